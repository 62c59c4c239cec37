"""The one rule for the ids HA AI gives automations.

An id ends up in `automations.yaml`, in MQTT responses and in log lines, so it
is kept to characters that need no quoting or escaping anywhere.
"""

from __future__ import annotations

import re
from typing import Final

MAX_AUTOMATION_ID_LENGTH: Final = 100
_AUTOMATION_ID = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_AUTOMATION_ID_LENGTH}}}")


def is_automation_id(value: object) -> bool:
    """Return whether `value` is 1 to 100 characters of `A-Z a-z 0-9 _ . -`."""
    return isinstance(value, str) and _AUTOMATION_ID.fullmatch(value) is not None
