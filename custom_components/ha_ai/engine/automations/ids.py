"""The rules for ids that arrive from outside and are written or published.

An automation id ends up in `automations.yaml`, in MQTT responses and in log
lines; event and suggestion ids are quoted back in responses. So they are kept
to characters that need no quoting or escaping anywhere, and to a sane length.
"""

from __future__ import annotations

import re
from typing import Final, TypeGuard

MAX_ID_LENGTH: Final = 100
_AUTOMATION_ID = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_ID_LENGTH}}}")
_MESSAGE_ID = re.compile(rf"[A-Za-z0-9_.:-]{{1,{MAX_ID_LENGTH}}}")


def is_automation_id(value: object) -> TypeGuard[str]:
    """Return whether `value` is 1 to 100 characters of `A-Z a-z 0-9 _ . -`."""
    return isinstance(value, str) and _AUTOMATION_ID.fullmatch(value) is not None


def is_message_id(value: object) -> TypeGuard[str]:
    """Return whether `value` is an event or suggestion id (`:` allowed as well)."""
    return isinstance(value, str) and _MESSAGE_ID.fullmatch(value) is not None
