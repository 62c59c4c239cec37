"""Turn a learned habit into the Home Assistant automation that would keep it.

The output is the automation in today's syntax (`triggers`, `conditions`,
`actions`, `trigger:`/`action:` keys), which Home Assistant 2025.4 and later
accept and which its automation editor writes. A pattern whose target cannot be
set by a service (a binary sensor, a person) or whose state has no service gives
None: such a habit is worth knowing but not worth an automation.

Entity names come from the user's registry and are data: they only ever reach
the alias and description, cleaned of control characters and bounded in length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

from ..habits.model import (
    SYSTEM_STATES,
    DayClass,
    Pattern,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from ..household.follows import usual_followers
from ..household.model import HouseholdRoutine, MomentKind, RoutineKind
from .ids import is_automation_id

# Home Assistant's own rule for entity ids (homeassistant.core.VALID_ENTITY_ID).
_ENTITY_ID = re.compile(r"(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)")
_WHITESPACE = re.compile(r"\s+")

MAX_NAME_LENGTH: Final = 60
MAX_STATE_LENGTH: Final = 40
MAX_STATE_TRIGGER_LENGTH: Final = 255  # Home Assistant's limit on a state

_ON_OFF_DOMAINS: Final = frozenset(
    {"light", "switch", "fan", "input_boolean", "humidifier", "media_player"}
)
_STATE_SERVICES: Final[Mapping[str, Mapping[str, str]]] = {
    "media_player": {"playing": "media_play", "paused": "media_pause"},
    "cover": {"open": "open_cover", "closed": "close_cover"},
    "lock": {"locked": "lock", "unlocked": "unlock"},
}
HVAC_MODES: Final = frozenset(
    {"heat", "cool", "heat_cool", "auto", "dry", "fan_only", "off"}
)
_WEEKDAYS: Final[Mapping[DayClass, list[str]]] = {
    DayClass.WEEKDAYS: ["mon", "tue", "wed", "thu", "fri"],
    DayClass.WEEKENDS: ["sat", "sun"],
}
_DAY_CLASS_WORDS: Final[Mapping[DayClass, str]] = {
    DayClass.DAILY: "every day",
    DayClass.WEEKDAYS: "on weekdays",
    DayClass.WEEKENDS: "on weekends",
}
# Every state action_for accepts, as the description tells it (climate aside).
_DONE_WORDS: Final[Mapping[str, str]] = {
    "on": "turned on",
    "off": "turned off",
    "open": "opened",
    "closed": "closed",
    "locked": "locked",
    "unlocked": "unlocked",
    "playing": "started playing",
    "paused": "paused",
}
# Restarts and reconnects pass through these states; a trigger from them would
# fire on every restart rather than on a person's action.
_NOT_FROM: Final = ["unavailable", "unknown"]


def is_entity_id(value: object) -> bool:
    """Return whether `value` is an entity id Home Assistant would accept."""
    return isinstance(value, str) and _ENTITY_ID.fullmatch(value) is not None


def action_for(entity_id: str, state: str) -> tuple[str, dict[str, Any]] | None:
    """Return the service (`domain.service`) and data that put the entity in `state`.

    None when no service does: the entity cannot be set (binary sensors, persons,
    device trackers), the state is not one a service sets, or the entity id is
    not valid.
    """
    if not is_entity_id(entity_id):
        return None
    domain = entity_id.partition(".")[0]
    if domain in _ON_OFF_DOMAINS and state in {"on", "off"}:
        return f"{domain}.turn_{state}", {}
    if service := _STATE_SERVICES.get(domain, {}).get(state):
        return f"{domain}.{service}", {}
    if domain == "climate" and state in HVAC_MODES:
        return "climate.set_hvac_mode", {"hvac_mode": state}
    return None


def clean_text(text: object, *, max_length: int) -> str:
    """Return `text` on one line, without control characters, at most `max_length`.

    Names and states come from devices and users; they must not break a YAML
    file, a log line or a notification, nor grow without bound.
    """
    characters = (
        " " if unicodedata.category(character).startswith("C") else character
        for character in str(text)[: 4 * max_length]  # no work on a huge text
    )
    cleaned = _WHITESPACE.sub(" ", "".join(characters)).strip()
    if len(cleaned) > max_length:
        cleaned = cleaned[: max_length - 1].rstrip() + "…"
    return cleaned


def _name(entity_id: str, names: Mapping[str, str]) -> str:
    name = clean_text(names.get(entity_id) or "", max_length=MAX_NAME_LENGTH)
    return name or entity_id


def _state_words(entity_id: str, state: str) -> str:
    """Return how the alias says the target's new state ("on", "to heat")."""
    words = clean_text(state.replace("_", " "), max_length=MAX_STATE_LENGTH)
    if entity_id.startswith("climate.") and state != "off":
        return f"to {words}"
    return words


def _done_words(entity_id: str, state: str) -> str:
    """Return how the description says what a person did ("turned on")."""
    if entity_id.startswith("climate.") and state != "off":
        return "set to " + state.replace("_", " ")
    return _DONE_WORDS[state]


def _change_words(state: str, *, past: bool) -> str:
    """Return how a text says the trigger's change ("turns on", "became home")."""
    if state in {"on", "off"}:
        return f"{'turned' if past else 'turns'} {state}"
    words = clean_text(state.replace("_", " "), max_length=MAX_STATE_LENGTH)
    return f"{'became' if past else 'becomes'} {words}"


def _action(entity_id: str, service: str, data: dict[str, Any]) -> dict[str, Any]:
    action: dict[str, Any] = {"action": service, "target": {"entity_id": entity_id}}
    if data:
        action["data"] = data
    return action


def _routine(
    pattern: TimeOfDayPattern, automation_id: str, names: Mapping[str, str]
) -> dict[str, Any] | None:
    found = action_for(pattern.entity_id, pattern.state)
    if found is None or not 0 <= pattern.minute_of_day < 24 * 60:
        return None
    service, data = found
    target = _name(pattern.entity_id, names)
    state = _state_words(pattern.entity_id, pattern.state)
    done = _done_words(pattern.entity_id, pattern.state)
    days = _DAY_CLASS_WORDS[pattern.day_class]
    conditions: list[dict[str, Any]] = []
    if weekdays := _WEEKDAYS.get(pattern.day_class):
        conditions.append({"condition": "time", "weekday": list(weekdays)})
    day_word = "days" if pattern.day_class is DayClass.DAILY else pattern.day_class
    return {
        "id": automation_id,
        "alias": f"{target} {state} at {pattern.time} {days}",
        "description": (
            f"Learned routine: {target} was {done} by hand around "
            f"{pattern.time} (within {pattern.window_minutes} min) on "
            f"{pattern.support_days} of {pattern.observed_days} observed "
            f"{day_word}; confidence {pattern.confidence:.0%}. Proposed by HA AI."
        ),
        "triggers": [{"trigger": "time", "at": f"{pattern.time}:00"}],
        "conditions": conditions,
        "actions": [_action(pattern.entity_id, service, data)],
        "mode": "single",
    }


def _used_together(
    pattern: UsedTogetherPattern, automation_id: str, names: Mapping[str, str]
) -> dict[str, Any] | None:
    found = action_for(pattern.entity_id, pattern.state)
    trigger_state = pattern.trigger_state
    if (
        found is None
        or not is_entity_id(pattern.trigger_entity_id)
        or pattern.trigger_entity_id == pattern.entity_id
        or trigger_state in SYSTEM_STATES
        or len(trigger_state) > MAX_STATE_TRIGGER_LENGTH
    ):
        return None
    service, data = found
    target = _name(pattern.entity_id, names)
    trigger = _name(pattern.trigger_entity_id, names)
    state = _state_words(pattern.entity_id, pattern.state)
    change = _change_words(trigger_state, past=False)
    changed = _change_words(trigger_state, past=True)
    done = _done_words(pattern.entity_id, pattern.state)
    return {
        "id": automation_id,
        "alias": f"{target} {state} when {trigger} {change}",
        "description": (
            f"Learned from use: {target} was {done} by hand within about "
            f"{round(pattern.median_delay_seconds)} s after {trigger} {changed}, "
            f"{pattern.count} times; confidence {pattern.confidence:.0%}, "
            f"{pattern.lift:.3g} times more often than chance. Proposed by HA AI."
        ),
        "triggers": [
            {
                "trigger": "state",
                "entity_id": pattern.trigger_entity_id,
                "to": trigger_state,
                "not_from": list(_NOT_FROM),
            }
        ],
        "conditions": [],
        "actions": [_action(pattern.entity_id, service, data)],
        "mode": "single",
    }


# The event type the household event entity reports for each routine's start.
_MOMENT_EVENTS: Final[Mapping[RoutineKind, str]] = {
    RoutineKind.MORNING: MomentKind.MORNING_ROUTINE,
    RoutineKind.BEDTIME: MomentKind.BEDTIME,
}


def render_automation(
    pattern: Pattern, *, automation_id: str, names: Mapping[str, str]
) -> dict[str, Any] | None:
    """Return the automation that keeps the habit, or None when none can.

    `names` maps entity ids to display names for the alias and description; an
    entity without one is called by its id. Raises ValueError for an invalid
    `automation_id`, which the caller chooses.
    """
    if not is_automation_id(automation_id):
        raise ValueError(f"invalid automation id {automation_id!r}")
    if isinstance(pattern, TimeOfDayPattern):
        return _routine(pattern, automation_id, names)
    return _used_together(pattern, automation_id, names)


# How a household routine's moment is called in an alias ("At bedtime: ...").
_MOMENT_WORDS: Final[Mapping[RoutineKind, str]] = {
    RoutineKind.MORNING: "When the morning starts",
    RoutineKind.BEDTIME: "At bedtime",
}


def render_household(
    routine: HouseholdRoutine,
    *,
    automation_id: str,
    names: Mapping[str, str],
    event_entity_id: str,
) -> dict[str, Any] | None:
    """Return the automation doing what usually follows a household routine's start.

    It is triggered by HA AI's household event entity (`event_entity_id`) when
    it reports the routine's moment, so it follows the household's rhythm, not
    a clock. The actions are the routine's usual followers (see
    `household.follows`) that a service can do; None when there is none.
    Raises ValueError for an invalid `automation_id`.
    """
    if not is_automation_id(automation_id):
        raise ValueError(f"invalid automation id {automation_id!r}")
    if not is_entity_id(event_entity_id) or not event_entity_id.startswith("event."):
        return None
    actions = []
    done = []
    for step in usual_followers(routine):
        if (found := action_for(step.entity_id, step.state)) is None:
            continue
        service, data = found
        actions.append(_action(step.entity_id, service, data))
        done.append(
            f"{_name(step.entity_id, names)} {_state_words(step.entity_id, step.state)}"
        )
    if not actions:
        return None
    moment = _MOMENT_WORDS[routine.kind]
    days = _DAY_CLASS_WORDS[routine.day_class]
    start = f"{routine.typical_start // 60:02d}:{routine.typical_start % 60:02d}"
    conditions: list[dict[str, Any]] = [
        {
            "condition": "state",
            "entity_id": event_entity_id,
            "attribute": "event_type",
            "state": str(_MOMENT_EVENTS[routine.kind]),
        }
    ]
    if weekdays := _WEEKDAYS.get(routine.day_class):
        conditions.append({"condition": "time", "weekday": list(weekdays)})
    return {
        "id": automation_id,
        "alias": f"{moment} {days}: " + ", ".join(done),
        "description": (
            f"Learned household routine: {routine.kind} starts around {start} on "
            f"{routine.support_days} of {routine.observed_days} observed days, and "
            "these usually follow within minutes; confidence "
            f"{routine.confidence:.0%}. Runs when HA AI sees it begin. "
            "Proposed by HA AI."
        ),
        "triggers": [
            {
                "trigger": "state",
                "entity_id": event_entity_id,
                "not_from": list(_NOT_FROM),
            }
        ],
        "conditions": conditions,
        "actions": actions,
        "mode": "single",
    }
