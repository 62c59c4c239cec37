"""Whether HA AI may write or accept an automation: the safety check.

Every automation HA AI writes (rendered from a habit, proposed by an LLM, sent
by an outside program over MQTT) passes `check_automation`. It judges every part
of the automation (`walk.py` sorts them, `triggers.py` and `templates.py` hold
the rules for triggers, conditions and templates), and here:

- Services. Each must be on the allow list (`domain.service`, or `domain.*` for
  a whole domain; the options can change it). A *sensitive* service (one that
  can open, unlock or disarm, silence an alarm, stop or restart something, run
  code, act on any entity, or reach outside the house) is refused whatever
  pattern the allow list has: `homeassistant.*` never admits
  `homeassistant.turn_on`, `lock.*` never `lock.unlock`. Only naming the one
  service under 'Sensitive services allowed' admits it, and a refusal never
  proposes a pattern that would take in a sensitive service. A few services
  are never admitted at all: stopping or restarting Home Assistant or its host,
  and restoring a backup over it.
- Templates, when the caller accepts them, must be in the strict subset of
  `templates.py`; a caller may refuse them outright (remote commands do).

The check is pure (no Home Assistant), never raises, and its work is bounded
by the size limits of `bounds.py` and of the template check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from .found import CalledService, FoundTemplate, Problem, ProblemKind
from .templates import RESERVED_NAMES, count_tokens, template_problem
from .walk import MAX_ACTIONS, MAX_DEPTH, services_called, walk

__all__ = [
    "DEFAULT_ALLOWED_SERVICES",
    "MAX_ACTIONS",
    "MAX_DEPTH",
    "MAX_TEMPLATES",
    "MAX_TEMPLATE_TOKENS_TOTAL",
    "NEVER_ALLOWED_SERVICES",
    "SENSITIVE",
    "SENSITIVE_SERVICES",
    "CalledService",
    "Refusal",
    "RefusalReason",
    "SafetySettings",
    "check_automation",
    "check_services",
    "is_forbidden",
    "is_sensitive",
    "is_service_pattern",
    "services_called",
]

# "domain.service", or "domain.*" for every service of a domain. The automations
# HA AI renders from habits only call services of these.
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
    "persistent_notification.*",
    "scene.turn_on",
    "switch.*",
    "water_heater.*",
)

_OPENS: Final = "it can open the house"
_ANY_ENTITY: Final = (
    "it acts on any entity of any domain or reconfigures Home Assistant"
)
_RUNS_CODE: Final = "it runs code or commands"
_OUTSIDE: Final = "it reaches outside the house"
# Why each service is sensitive: `domain.service`, or `domain.*` when every
# service of the domain is (those services are named by the user, like
# `script.morning`, or act on Home Assistant itself).
SENSITIVE: Final[Mapping[str, str]] = {
    # Open, unlock, disarm, silence.
    "alarm_control_panel.alarm_disarm": "it disarms an alarm",
    "button.press": "a button can open a gate, reboot or reset a device",
    "camera.*": "it can switch off a camera or write its pictures to a file",
    "cover.open_cover": _OPENS,
    "cover.open_cover_tilt": _OPENS,
    "cover.set_cover_position": _OPENS,
    "cover.set_cover_tilt_position": _OPENS,
    "cover.toggle": _OPENS,
    "cover.toggle_cover_tilt": _OPENS,
    "device_tracker.see": "it fakes where a person is, which automations trust",
    "lock.open": _OPENS,
    "lock.unlock": _OPENS,
    "remote.send_command": "it sends any infrared or radio code, gate remotes' too",
    "scene.apply": "it sets any entity to any state, locks and covers included",
    "scene.create": "it makes a scene that sets any entity to any state",
    "siren.toggle": "it can silence an alarm",
    "siren.turn_off": "it can silence an alarm",
    "valve.open_valve": "it can open a water or gas valve",
    "valve.set_valve_position": "it can open a water or gas valve",
    "valve.toggle": "it can open a water or gas valve",
    # Act on anything, stop, restart, reconfigure.
    "homeassistant.*": _ANY_ENTITY,
    "automation.*": "it runs, stops or reloads other automations",
    "backup.*": "it writes backups of the whole house",
    "cloud.*": "it opens or closes remote access to Home Assistant",
    "hassio.*": "it controls add-ons, backups and the host",
    "logger.*": "it changes what is logged",
    "recorder.*": "it deletes or stops the history",
    "system_log.*": "it writes or clears the system log",
    "update.*": "it installs updates, which restart what they update",
    # Run code.
    "conversation.*": "it runs any spoken command",
    "pyscript.*": _RUNS_CODE,
    "python_script.*": _RUNS_CODE,
    "script.*": "a script can call any service, with data chosen by the caller",
    "shell_command.*": _RUNS_CODE,
    # Reach outside.
    "ai_task.*": _OUTSIDE,
    "downloader.*": _OUTSIDE,
    "ha_ai.*": "it publishes to MQTT or deploys automations",
    "media_player.play_media": "it makes a player fetch any address",
    "mobile_app.notify": _OUTSIDE,
    "mqtt.*": "it publishes to any MQTT topic, every device's commands included",
    "notify.*": "it sends messages to people or services outside the house",
    "rest_command.*": _OUTSIDE,
    "telegram_bot.*": _OUTSIDE,
}
# Never admitted, whatever the options say.
NEVER_ALLOWED_SERVICES: Final[Mapping[str, str]] = {
    "homeassistant.restart": "it restarts Home Assistant",
    "homeassistant.stop": "it stops Home Assistant",
    "hassio.host_reboot": "it restarts the host",
    "hassio.host_shutdown": "it shuts the host down",
    "hassio.restore_full": "it restores a backup over the whole house",
    "hassio.restore_partial": "it restores a backup over the house",
}
# What 'Sensitive services allowed' offers to pick; any other sensitive service
# (`script.morning`, `notify.mobile_app_phone`) is typed in by its full name.
SENSITIVE_SERVICES: Final = tuple(
    sorted(
        {
            *(entry for entry in SENSITIVE if not entry.endswith(".*")),
            "automation.trigger",
            "automation.turn_off",
            "homeassistant.reload_all",
            "homeassistant.toggle",
            "homeassistant.turn_off",
            "homeassistant.turn_on",
            "homeassistant.update_entity",
            "mqtt.publish",
        }
    )
)

MAX_TEMPLATES: Final = 20  # per automation
MAX_TEMPLATE_TEXT: Final = 5_000  # characters of all templates of an automation
MAX_TEMPLATE_TOKENS_TOTAL: Final = 600  # Jinja tokens of all its templates

OPTION_ALLOWED: Final = "Allowed services"
OPTION_SENSITIVE: Final = "Sensitive services allowed"

_NAME = re.compile(r"[a-z0-9_]+")


def is_service_pattern(text: str) -> bool:
    """Return whether `text` is `domain.service` or `domain.*` (lower case)."""
    domain, dot, service = text.partition(".")
    return bool(
        dot and _NAME.fullmatch(domain) and (service == "*" or _NAME.fullmatch(service))
    )


class RefusalReason(StrEnum):
    """Why an automation was refused."""

    NOT_ALLOWED = "not_allowed"  # a service not on the allow list
    SENSITIVE = "sensitive"  # a sensitive service not named one by one
    FORBIDDEN = "forbidden"  # never allowed (events, webhooks, restarts, ...)
    TEMPLATED = "templated"  # a service or target written as a template
    TEMPLATE = "template"  # a template outside the subset, or templates refused
    TARGET = "target"  # `all` or `none` instead of named entities
    UNKNOWN = "unknown"  # a kind of step, trigger or condition, or a key, unknown
    MALFORMED = "malformed"  # not the shape of an automation, or too big


_PROBLEM_REASONS: Final[Mapping[ProblemKind, RefusalReason]] = {
    ProblemKind.MALFORMED: RefusalReason.MALFORMED,
    ProblemKind.UNKNOWN: RefusalReason.UNKNOWN,
    ProblemKind.FORBIDDEN: RefusalReason.FORBIDDEN,
    ProblemKind.TEMPLATED: RefusalReason.TEMPLATED,
    ProblemKind.TARGET: RefusalReason.TARGET,
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an automation may not be deployed, in words for the user."""

    service: str | None  # None when the automation's shape is the problem
    reason: RefusalReason
    message: str
    path: str


def _domain(service: str) -> str:
    return service.partition(".")[0]


def _sensitive_why(service: str) -> str | None:
    return SENSITIVE.get(service) or SENSITIVE.get(f"{_domain(service)}.*")


def is_forbidden(service: str) -> bool:
    """Return whether `service` is never admitted, whatever the options say."""
    return service in NEVER_ALLOWED_SERVICES


def is_sensitive(service: str) -> bool:
    """Return whether `service` is admitted only when named one by one (or never)."""
    return is_forbidden(service) or _sensitive_why(service) is not None


def _has_sensitive(domain: str) -> bool:
    """Return whether `domain.*` would take in a sensitive service."""
    return any(
        _domain(entry) == domain for entry in (*SENSITIVE, *NEVER_ALLOWED_SERVICES)
    )


def _normalized(patterns: Iterable[object]) -> frozenset[str]:
    return frozenset(
        text
        for pattern in patterns
        if isinstance(pattern, str)
        and is_service_pattern(text := pattern.strip().lower())
    )


def _shape_refusal(call: CalledService) -> Refusal | None:
    if call.templated:
        return Refusal(
            call.service,
            RefusalReason.TEMPLATED,
            f"the service name {call.service!r} is a template, so which service it "
            "calls cannot be checked; name the service itself",
            call.path,
        )
    if not call.valid:
        return Refusal(
            call.service,
            RefusalReason.MALFORMED,
            f"{call.service!r} is not a service name of the form domain.service",
            call.path,
        )
    return None


def _refusal(
    call: CalledService, allowed: frozenset[str], sensitive_allowed: frozenset[str]
) -> Refusal | None:
    if (refusal := _shape_refusal(call)) is not None:
        return refusal
    service = call.service
    domain = _domain(service)
    if is_forbidden(service):
        return Refusal(
            service,
            RefusalReason.FORBIDDEN,
            f"{service} is never allowed: {NEVER_ALLOWED_SERVICES[service]}",
            call.path,
        )
    if (why := _sensitive_why(service)) is not None:
        if service in sensitive_allowed:
            return None
        return Refusal(
            service,
            RefusalReason.SENSITIVE,
            f"{service} is sensitive ({why}) and is refused unless you name "
            f"{service} itself under '{OPTION_SENSITIVE}' in the options; no "
            "pattern on the allow list admits it",
            call.path,
        )
    if service in allowed or f"{domain}.*" in allowed:
        return None
    entries = service if _has_sensitive(domain) else f"{service} or {domain}.*"
    return Refusal(
        service,
        RefusalReason.NOT_ALLOWED,
        f"{service} is not on the allow list; add {entries} to '{OPTION_ALLOWED}' "
        "in the options to allow it",
        call.path,
    )


def _problem_refusal(problem: Problem) -> Refusal:
    where = f" (at {problem.path})" if problem.path else ""
    return Refusal(
        None, _PROBLEM_REASONS[problem.kind], problem.message + where, problem.path
    )


def _template_refusals(
    templates: list[FoundTemplate], variables: set[str], *, allowed: bool
) -> list[Refusal]:
    if not templates:
        return []
    if not allowed:
        return [
            Refusal(
                None,
                RefusalReason.TEMPLATE,
                f"templates are not accepted here (found at {templates[0].path}); "
                "write every value out",
                templates[0].path,
            )
        ]
    if len(templates) > MAX_TEMPLATES:
        return [_too_many(templates[0].path, f"more than {MAX_TEMPLATES} templates")]
    if sum(len(found.text) for found in templates) > MAX_TEMPLATE_TEXT:
        return [
            _too_many(
                templates[0].path,
                f"more than {MAX_TEMPLATE_TEXT} characters of templates",
            )
        ]
    remaining = MAX_TEMPLATE_TOKENS_TOTAL
    for found in templates:
        remaining -= count_tokens(found.text, limit=remaining)
        if remaining < 0:
            return [
                _too_many(
                    found.path,
                    f"more than {MAX_TEMPLATE_TOKENS_TOTAL} tokens of templates",
                )
            ]
    names = frozenset(variables - RESERVED_NAMES)
    refusals = []
    for found in templates:
        problem = template_problem(found.text, variables=names)
        if problem is not None:
            refusals.append(
                Refusal(
                    None,
                    RefusalReason.TEMPLATE,
                    f"the template at {found.path} is outside the subset HA AI "
                    f"accepts: {problem}",
                    found.path,
                )
            )
    return refusals


def _too_many(path: str, what: str) -> Refusal:
    return Refusal(None, RefusalReason.TEMPLATE, f"the automation has {what}", path)


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """The options that decide which services an automation may call.

    `templates` says whether templates in the strict subset are accepted at all;
    commands from outside programs get none (`without_templates`), since what a
    template does cannot be seen until it runs in the house.
    """

    allowed: tuple[str, ...]
    sensitive_allowed: tuple[str, ...]
    templates: bool = True

    def without_templates(self) -> SafetySettings:
        """Return these settings, refusing every template."""
        return replace(self, templates=False)


def check_automation(
    config: object,
    *,
    allowed: Iterable[str],
    sensitive_allowed: Iterable[str],
    templates: bool = True,
) -> list[Refusal]:
    """Return why the automation may not be deployed; an empty list if it may.

    Each service must be on `allowed` (`domain.service` or `domain.*`); a
    sensitive one only when `sensitive_allowed` names it exactly. Every step,
    trigger and condition must be of an allowed kind with allowed keys, targets
    written out, and templates (refused outright unless `templates`) in the
    subset. One refusal per service and reason, at its first place. Never raises.
    """
    found = walk(config)
    allowed_set = _normalized(allowed)
    sensitive_set = _normalized(sensitive_allowed)
    refusals = [_problem_refusal(problem) for problem in found.problems]
    seen: set[tuple[str | None, RefusalReason]] = set()
    for call in found.calls:
        refusal = _refusal(call, allowed_set, sensitive_set)
        if refusal is not None and (refusal.service, refusal.reason) not in seen:
            seen.add((refusal.service, refusal.reason))
            refusals.append(refusal)
    if not found.problems:  # a malformed config's templates say nothing more
        refusals.extend(
            _template_refusals(found.templates, found.variables, allowed=templates)
        )
    return refusals


# The check's former name, from when it judged only services.
check_services = check_automation
