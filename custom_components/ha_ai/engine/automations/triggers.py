"""Which triggers and conditions an automation from HA AI may have.

A trigger decides who can make the automation run, a condition what it reads.
Only kinds that listen to the house itself are allowed, each with its known keys;
every other kind, and every key not listed, is refused:

- `state`, `numeric_state`: a named entity changes (how every habit starts).
- `time`, `time_pattern`, `sun`: the clock and the sun; nobody can fire them.
- `zone`: a named person or tracker enters or leaves a named zone.
- `device`: a device's own trigger (a button, a motion), named by its id. It
  listens like `state` does; devices act only through device actions, which
  the action walk maps to the services they stand for.
- `homeassistant` (start or shutdown): runs on Home Assistant's own schedule.
- `event`: an integration's event (`zha_event`, a doorbell). Core events are
  refused: `homeassistant_*` (start and stop), `call_service` and
  `state_changed` (they fire for everything that happens and would hand every
  service call or state to the automation's templates), registry and user
  events, and `*` (every event).
- `template`: a template in the strict subset (`templates.py`); a template
  trigger is rendered again on every change of what it reads.

Refused by name, with the reason: `webhook` (anyone who learns its id can run
it, from outside the house with `local_only: false`), `mqtt` (anyone who can
publish on the broker can run it), `conversation` (any spoken or typed
sentence can run it). Unknown kinds (`tag`, `calendar`, integrations' own,
Home Assistant 2026's new trigger kinds) are refused until reviewed.

Conditions: `state`, `numeric_state`, `time`, `sun`, `zone`, `device` and
`trigger` read the house or the run, and `and`, `or`, `not` (or their shorthand)
combine others; `template` conditions, and the shorthand of a bare template,
must be in the subset. Conditions only read, so no kind of them can act.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .found import ProblemKind, Walk, join, shorten
from .templates import is_template

MAX_DEPTH: Final = 20  # of actions, and of conditions, inside one another

COMMON_TRIGGER_KEYS: Final = frozenset(
    {"trigger", "platform", "id", "alias", "enabled", "variables"}
)
COMMON_CONDITION_KEYS: Final = frozenset({"condition", "alias", "enabled"})
# A device's trigger, condition or action: its base, and the keys of the common
# integrations' extra fields (position, brightness, mode, ...).
DEVICE_KEYS: Final = frozenset(
    {"device_id", "domain", "type", "subtype", "entity_id", "metadata"}
)
DEVICE_NAMES: Final = ("device_id", "domain", "type")
_DEVICE_LISTEN_KEYS: Final = DEVICE_KEYS | frozenset(
    {"for", "to", "from", "above", "below", "zone", "event", "discovery_id"}
)
TRIGGER_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "state": frozenset(
        {"entity_id", "attribute", "from", "to", "not_from", "not_to", "for"}
    ),
    "numeric_state": frozenset(
        {"entity_id", "attribute", "above", "below", "value_template", "for"}
    ),
    "time": frozenset({"at", "weekday"}),
    "time_pattern": frozenset({"hours", "minutes", "seconds"}),
    "sun": frozenset({"event", "offset"}),
    "zone": frozenset({"entity_id", "zone", "event"}),
    "device": _DEVICE_LISTEN_KEYS,
    "homeassistant": frozenset({"event"}),
    "event": frozenset({"event_type", "event_data", "context"}),
    "template": frozenset({"value_template", "for"}),
}
FORBIDDEN_TRIGGERS: Final[Mapping[str, str]] = {
    "webhook": "anyone who learns a webhook's id can run it, and with "
    "local_only: false from outside the house",
    "mqtt": "anyone who can publish on the MQTT broker can run it",
    "conversation": "any spoken or typed sentence can run it",
}
_NESTED_CONDITIONS: Final = frozenset({"and", "or", "not"})
CONDITION_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "state": frozenset({"entity_id", "attribute", "state", "for", "match"}),
    "numeric_state": frozenset(
        {"entity_id", "attribute", "above", "below", "value_template"}
    ),
    "time": frozenset({"after", "before", "weekday"}),
    "sun": frozenset({"after", "before", "after_offset", "before_offset"}),
    "zone": frozenset({"entity_id", "zone"}),
    "device": _DEVICE_LISTEN_KEYS,
    "trigger": frozenset({"id"}),
    "template": frozenset({"value_template"}),
    **dict.fromkeys(_NESTED_CONDITIONS, frozenset({"conditions"})),
}
# Events an automation may not listen to (see the module's docstring).
SENSITIVE_EVENTS: Final = frozenset(
    {
        "*",
        "automation_reloaded",
        "automation_triggered",
        "call_service",
        "component_loaded",
        "core_config_updated",
        "labs_updated",
        "logbook_entry",
        "logging_changed",
        "lovelace_updated",
        "panels_updated",
        "platform_discovered",
        "script_started",
        "service_registered",
        "service_removed",
        "state_changed",
        "state_reported",
        "themes_updated",
        "user_added",
        "user_removed",
        "user_updated",
    }
)
_SENSITIVE_EVENT_PREFIXES: Final = ("homeassistant_", "recorder_", "load_platform")
_SENSITIVE_EVENT_SUFFIXES: Final = ("_registry_updated",)


def is_sensitive_event(event_type: str) -> bool:
    """Return whether an automation may neither fire nor listen to this event."""
    name = event_type.strip().lower()
    return (
        name in SENSITIVE_EVENTS
        or name.startswith(_SENSITIVE_EVENT_PREFIXES)
        or name.endswith(_SENSITIVE_EVENT_SUFFIXES)
    )


def _as_list(value: object) -> list[object]:
    """Return `value` as a list: Home Assistant accepts one item for a list."""
    return value if isinstance(value, list) else [value]


def walk_triggers(found: Walk, triggers: object, path: str) -> None:
    """Judge a list of triggers (or one trigger)."""
    for index, trigger in enumerate(_as_list(triggers)):
        _walk_trigger(found, trigger, f"{path}[{index}]")


def _walk_trigger(found: Walk, trigger: object, path: str) -> None:
    if not isinstance(trigger, Mapping):
        found.refuse(path, f"a trigger must be a mapping, not {type(trigger).__name__}")
        return
    if "trigger" in trigger and "platform" in trigger:
        found.refuse(path, "a trigger has both 'trigger' and 'platform'")
        return
    kind = trigger.get("trigger", trigger.get("platform"))
    if not isinstance(kind, str):
        found.refuse(path, "a trigger must name its kind in 'trigger'")
        return
    if kind in FORBIDDEN_TRIGGERS:
        found.refuse(
            path,
            f"{kind} triggers are never allowed: {FORBIDDEN_TRIGGERS[kind]}",
            ProblemKind.FORBIDDEN,
        )
        return
    keys = TRIGGER_KEYS.get(kind)
    if keys is None:
        found.refuse(
            path,
            f"the trigger kind {shorten(kind)!r} is not allowed; allowed are "
            f"{', '.join(sorted(TRIGGER_KEYS))}",
            ProblemKind.UNKNOWN,
        )
        return
    found.unknown_keys(trigger, COMMON_TRIGGER_KEYS | keys, path)
    if kind == "event":
        _event_types(found, trigger.get("event_type"), join(path, "event_type"))
    if kind == "device":
        device_names(found, trigger, path, keys=DEVICE_NAMES)
    if "variables" in trigger:
        found.define(trigger["variables"], join(path, "variables"))
    found.targets(trigger, path)
    found.values({k: v for k, v in trigger.items() if k != "variables"}, path)


def _event_types(found: Walk, event_types: object, path: str) -> None:
    for event_type in _as_list(event_types):
        if not isinstance(event_type, str) or not event_type.strip():
            found.refuse(path, "an event trigger must name its event type")
        elif is_template(event_type):
            found.refuse(
                path,
                "the event type is a template, so what the trigger listens to "
                "cannot be checked",
                ProblemKind.TEMPLATED,
            )
        elif is_sensitive_event(event_type):
            found.refuse(
                path,
                f"listening to the event {shorten(event_type)!r} is not allowed: "
                "it is one of Home Assistant's own events",
                ProblemKind.FORBIDDEN,
            )


def device_names(
    found: Walk, node: Mapping[object, object], path: str, *, keys: tuple[str, ...]
) -> bool:
    """Refuse a device's names in `keys` that are not plain text; say if all are."""
    plain = True
    for key in keys:
        value = node.get(key)
        if not isinstance(value, str) or not value:
            found.refuse(join(path, key), f"a device's {key} must be text")
            plain = False
        elif is_template(value):
            found.refuse(
                join(path, key),
                f"a device's {key} is a template, so what it does cannot be checked",
                ProblemKind.TEMPLATED,
            )
            plain = False
    return plain


def walk_conditions(found: Walk, conditions: object, path: str, depth: int) -> None:
    """Judge a list of conditions (or one condition)."""
    if depth > MAX_DEPTH:
        found.refuse(path, f"conditions are nested more than {MAX_DEPTH} levels deep")
        return
    for index, condition in enumerate(_as_list(conditions)):
        walk_condition(found, condition, f"{path}[{index}]", depth)


def walk_condition(
    found: Walk, condition: object, path: str, depth: int, *, step: bool = False
) -> None:
    """Judge one condition; `step` when it is an action step (`- condition: ...`)."""
    if isinstance(condition, str):
        if is_template(condition):
            found.values(condition, path)
        else:
            found.refuse(path, "a condition must be a mapping or a template")
        return
    if not isinstance(condition, Mapping):
        found.refuse(
            path, f"a condition must be a mapping, not {type(condition).__name__}"
        )
        return
    kind = condition.get("condition")
    if kind is None:
        _shorthand(found, condition, path, depth)
        return
    if isinstance(kind, list):  # `condition: [...]` is shorthand for `and`
        found.unknown_keys(condition, COMMON_CONDITION_KEYS, path)
        walk_conditions(found, kind, join(path, "condition"), depth + 1)
        return
    if isinstance(kind, str) and step and is_template(kind):  # `- condition: "{{..}}"`
        found.unknown_keys(condition, COMMON_CONDITION_KEYS, path)
        found.values(condition, path)
        return
    if not isinstance(kind, str) or kind not in CONDITION_KEYS:
        found.refuse(
            path,
            f"the condition kind {shorten(kind)!r} is not allowed; allowed are "
            f"{', '.join(sorted(CONDITION_KEYS))}",
            ProblemKind.UNKNOWN,
        )
        return
    found.unknown_keys(condition, COMMON_CONDITION_KEYS | CONDITION_KEYS[kind], path)
    if kind in _NESTED_CONDITIONS:
        walk_conditions(
            found, condition.get("conditions"), join(path, "conditions"), depth + 1
        )
        found.values({k: v for k, v in condition.items() if k != "conditions"}, path)
        return
    if kind == "device":
        device_names(found, condition, path, keys=DEVICE_NAMES)
    found.targets(condition, path)
    found.values(condition, path)


def _shorthand(
    found: Walk, condition: Mapping[object, object], path: str, depth: int
) -> None:
    """Judge `- and: [...]` (or `or`, `not`) written without `condition:`."""
    kinds = sorted(_NESTED_CONDITIONS.intersection(condition))
    if len(kinds) != 1:
        found.refuse(path, "a condition must name its kind in 'condition'")
        return
    kind = kinds[0]
    found.unknown_keys(condition, frozenset({kind, "alias", "enabled"}), path)
    walk_conditions(found, condition[kind], join(path, kind), depth + 1)
    found.values({k: v for k, v in condition.items() if k != kind}, path)
