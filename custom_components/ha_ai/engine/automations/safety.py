"""Which services an automation from HA AI may call.

An automation rendered from a habit, written by an LLM or sent over MQTT may only
call services on the allow list (the options can change it). Sensitive services
(ones that open the house or run code) are refused even when the allow list
would admit them, unless the user named them one by one in the options.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .walk import MAX_ACTIONS, MAX_DEPTH, CalledService, services_called, walk

__all__ = [
    "DEFAULT_ALLOWED_SERVICES",
    "MAX_ACTIONS",
    "MAX_DEPTH",
    "SENSITIVE_SERVICES",
    "CalledService",
    "Refusal",
    "RefusalReason",
    "check_services",
    "is_sensitive",
    "is_service_pattern",
    "services_called",
]

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
    "homeassistant.toggle",  # toggles covers too, so it can open them
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


OPTION_ALLOWED: Final = "Allowed services"
OPTION_SENSITIVE: Final = "Sensitive services allowed"


class RefusalReason(StrEnum):
    """Why an automation was refused."""

    NOT_ALLOWED = "not_allowed"
    SENSITIVE = "sensitive"
    TEMPLATED = "templated"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an automation may not be deployed, in words for the user."""

    service: str | None  # None when the automation's shape is the problem
    reason: RefusalReason
    message: str
    path: str


def _matches(service: str, patterns: Iterable[str]) -> bool:
    domain = service.partition(".")[0]
    return service in patterns or f"{domain}.*" in patterns


def _normalized(patterns: Iterable[object]) -> frozenset[str]:
    return frozenset(
        text
        for pattern in patterns
        if isinstance(pattern, str)
        and is_service_pattern(text := pattern.strip().lower())
    )


def is_sensitive(service: str) -> bool:
    """Return whether `service` is sensitive (its own entry or its domain's)."""
    return _matches(service, SENSITIVE_SERVICES)


def _refusal(
    call: CalledService, allowed: frozenset[str], sensitive_allowed: frozenset[str]
) -> Refusal | None:
    service = call.service
    domain = service.partition(".")[0]
    if call.templated:
        return Refusal(
            service,
            RefusalReason.TEMPLATED,
            f"the service name {service!r} is a template, so which service it calls "
            "cannot be checked; name the service itself",
            call.path,
        )
    if not call.valid:
        return Refusal(
            service,
            RefusalReason.MALFORMED,
            f"{service!r} is not a service name of the form domain.service",
            call.path,
        )
    if is_sensitive(service):
        if _matches(service, sensitive_allowed):
            return None
        entry = service if service in SENSITIVE_SERVICES else f"{domain}.*"
        return Refusal(
            service,
            RefusalReason.SENSITIVE,
            f"{service} is sensitive (it can open the house or run code) and is "
            f"refused unless you pick {entry} under '{OPTION_SENSITIVE}' in the "
            "options",
            call.path,
        )
    if _matches(service, allowed):
        return None
    hint = (
        "; a script can call any service, so allow it only if you trust the script"
        if domain == "script"
        else ""
    )
    return Refusal(
        service,
        RefusalReason.NOT_ALLOWED,
        f"{service} is not on the allow list; add {service} or {domain}.* to "
        f"'{OPTION_ALLOWED}' in the options to allow it{hint}",
        call.path,
    )


def check_services(
    config: object, *, allowed: Iterable[str], sensitive_allowed: Iterable[str]
) -> list[Refusal]:
    """Return why the automation may not be deployed; an empty list if it may.

    Each service must be on `allowed` (`domain.service` or `domain.*`). A
    sensitive one is refused even then, unless `sensitive_allowed` names it (or
    its domain). Templated or malformed service names, and automations that are
    not the shape of one, too deep or too long, are refused as well. One refusal
    per service and reason, at its first place. Never raises.
    """
    found = walk(config)
    allowed_set = _normalized(allowed)
    sensitive_set = _normalized(sensitive_allowed)
    refusals = [
        Refusal(None, RefusalReason.MALFORMED, problem.message, problem.path)
        for problem in found.problems
    ]
    seen: set[tuple[str | None, RefusalReason]] = set()
    for call in found.calls:
        refusal = _refusal(call, allowed_set, sensitive_set)
        if refusal is not None and (refusal.service, refusal.reason) not in seen:
            seen.add((refusal.service, refusal.reason))
            refusals.append(refusal)
    return refusals
