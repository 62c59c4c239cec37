"""Which services an automation from HA AI may call.

An automation rendered from a habit, written by an LLM or sent over MQTT may only
call services on the allow list (the options can change it). Sensitive services
(ones that open the house or run code) are refused even when the allow list
would admit them, unless the user named them one by one in the options.
"""

from __future__ import annotations

import re
from typing import Final

# "domain.service", or "domain.*" for every service of a domain.
DEFAULT_ALLOWED_SERVICES: Final = (
    "climate.*",
    "cover.close_cover",
    "cover.stop_cover",
    "fan.*",
    "humidifier.*",
    "input_boolean.*",
    "light.*",
    "lock.lock",
    "media_player.*",
    "notify.*",
    "persistent_notification.*",
    "scene.turn_on",
    "switch.*",
    "water_heater.*",
)

# Refused unless the user allowed each one explicitly ("domain.*" entries here
# cover a whole domain: every service of it is sensitive).
SENSITIVE_SERVICES: Final = (
    "alarm_control_panel.alarm_disarm",
    "cover.open_cover",
    "cover.open_cover_tilt",
    "cover.set_cover_position",
    "cover.set_cover_tilt_position",
    "cover.toggle",
    "cover.toggle_cover_tilt",
    "hassio.*",
    "lock.open",
    "lock.unlock",
    "pyscript.*",
    "python_script.*",
    "rest_command.*",
    "shell_command.*",
)

_NAME = re.compile(r"[a-z0-9_]+")


def is_service_pattern(text: str) -> bool:
    """Return whether `text` is `domain.service` or `domain.*` (lower case)."""
    domain, dot, service = text.partition(".")
    return bool(
        dot and _NAME.fullmatch(domain) and (service == "*" or _NAME.fullmatch(service))
    )
