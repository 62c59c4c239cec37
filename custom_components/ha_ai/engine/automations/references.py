"""Read what existing automations name: what they listen to and what they act on.

`walk.py` judges an automation HA AI is about to write, and refuses whatever it
does not know. This walk reads automations that already exist - the user's, as
Home Assistant loaded them or as an `automations.yaml` holds them - and never
refuses: it only learns from them. Every reader of automation configs uses it:

- habit mining (through `coverage`): which entity a timed automation sets to
  which state at which time, and which entity's change (to which state) leads to
  which target being set to which state, so that what is automated already is
  not proposed again. The integration and the offline analyser read the same
  automations the same way.
- the check before deployment (through `referenced_ids`): every entity and
  device a config names, so that a missing one is reported.

What the walk cannot follow is counted (`unresolved`: targets by area, device
or template) or kept by name (`unfollowed`: a YAML tag such as `!include`),
never fatal. Shared or recursive YAML (anchors) is read once, so it ends on
any input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from ..habits.model import AutomationCoverage
from .walk import services_called

TIMED_TRIGGERS: Final = frozenset({"time", "time_pattern", "sun", "calendar"})
STATE_TRIGGERS: Final = frozenset({"state", "device"})
# The state an action leaves its entities in, by service name; other services
# (toggle, set a value, ...) set no state known without running them.
SET_STATES: Final = {
    "turn_on": "on",
    "turn_off": "off",
    "lock": "locked",
    "unlock": "unlocked",
    "open_cover": "open",
    "close_cover": "closed",
    "open_valve": "open",
    "close_valve": "closed",
}
# The state a device trigger's type waits for; other types are not followed.
DEVICE_TRIGGER_STATES: Final = {"turned_on": "on", "turned_off": "off"}
TIME_OF_DAY: Final = re.compile(r"(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?")
# Keys whose values are conditions or triggers inside actions: what they name is
# looked at, not acted on.
NOT_ACTED_ON: Final = frozenset(
    {"conditions", "if", "while", "until", "wait_for_trigger"}
)
UNRESOLVED_TARGETS: Final = ("area_id", "device_id", "floor_id", "label_id")
ENTITY_ID: Final = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
# Values of `entity_id` that are not entities.
_NOT_ENTITIES: Final = frozenset({"all", "none"})
# Deeper than Home Assistant's own limits: ids below are not looked for.
MAX_REFERENCE_DEPTH: Final = 30


@dataclass(frozen=True, slots=True)
class Unfollowed:
    """A value under a tag that is not followed offline (!include, !secret, ...)."""

    tag: str
    value: object

    def __str__(self) -> str:
        """Return the tag as it is written, with its value when it is a name."""
        if isinstance(self.value, str) and self.value:
            return f"{self.tag} {self.value}"
        return self.tag


@dataclass(slots=True)
class Triggers:
    """What an automation's triggers are: timed, or watching entities."""

    timed: bool = False
    watched: set[str] = field(default_factory=set)
    unfollowed: list[str] = field(default_factory=list)
    # Minutes of the day of the fixed `time` triggers (sun and patterns: none).
    times: set[int] = field(default_factory=set)
    # (entity, the state it changes to; None: any change) of state triggers.
    watched_states: set[tuple[str, str | None]] = field(default_factory=set)


@dataclass(slots=True)
class Targets:
    """The entities an automation's actions act on."""

    entities: set[str] = field(default_factory=set)
    unresolved: int = 0  # targets by area, device, label, template, ...
    unfollowed: list[str] = field(default_factory=list)
    # (entity, state) for the targets of actions that set a known state.
    set_states: set[tuple[str, str]] = field(default_factory=set)


@dataclass(slots=True)
class Reading:
    """One automation as habit mining sees it: its triggers and its targets."""

    triggers: Triggers
    targets: Targets

    @property
    def timed_targets(self) -> set[str]:
        """Return the entities the automation acts on at a time of day."""
        return set(self.targets.entities) if self.triggers.timed else set()

    @property
    def state_triggered(self) -> set[tuple[str, str]]:
        """Return (watched entity, entity acted on) for every other target."""
        return {
            (source, target)
            for source in self.triggers.watched
            for target in self.targets.entities
            if target != source
        }

    @property
    def timed_actions(self) -> set[tuple[str, str, int]]:
        """Return (entity, state, minute of the day) the automation sets it at."""
        return {
            (entity, state, minute)
            for minute in self.triggers.times
            for entity, state in self.targets.set_states
        }

    @property
    def triggered_actions(self) -> set[tuple[str, str | None, str, str]]:
        """Return (watched entity, its new state or None, target, state set)."""
        return {
            (source, to_state, target, state)
            for source, to_state in self.triggers.watched_states
            for target, state in self.targets.set_states
            if target != source
        }


def as_list(value: object) -> list[object]:
    """Return a list of triggers or actions: YAML allows a single one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def triggers_of(automation: Mapping[object, object]) -> object:
    """Return the triggers as written (`triggers`, or the old `trigger`)."""
    return automation.get("triggers", automation.get("trigger"))


def actions_of(automation: Mapping[object, object]) -> object:
    """Return the actions as written (`actions`, or the old `action`)."""
    return automation.get("actions", automation.get("action"))


def entity_ids(value: object) -> tuple[list[str], int]:
    """Return the entity ids an `entity_id` value names, and how many others.

    Others are templates, registry ids of device actions, or anything else that
    cannot be resolved without Home Assistant.
    """
    items: list[object]
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = list(value)
    else:
        return [], 1
    found = [
        item for item in items if isinstance(item, str) and ENTITY_ID.fullmatch(item)
    ]
    return found, len(items) - len(found)


def read_triggers(triggers: object) -> Triggers:
    """Return whether the triggers are timed and which entities state ones watch.

    Disabled triggers (`enabled: false`) never fire, so they are left out.
    """
    result = Triggers()
    for trigger in as_list(triggers):
        if isinstance(trigger, Unfollowed):
            result.unfollowed.append(str(trigger))
            continue
        if not isinstance(trigger, Mapping) or trigger.get("enabled") is False:
            continue
        kind = trigger.get("trigger", trigger.get("platform"))
        if kind in TIMED_TRIGGERS:
            result.timed = True
            if kind == "time":
                result.times.update(_minutes_of_day(trigger.get("at")))
        elif kind in STATE_TRIGGERS:
            watched = entity_ids(trigger.get("entity_id"))[0]
            result.watched.update(watched)
            result.watched_states.update(
                (entity, state)
                for entity in watched
                for state in _states_waited_for(kind, trigger)
            )
    return result


def _minutes_of_day(at: object) -> set[int]:
    """Return the fixed times of a `time` trigger (entities holding one: none)."""
    minutes = set()
    for value in as_list(at):
        if isinstance(value, str) and (match := TIME_OF_DAY.fullmatch(value.strip())):
            hour, minute = int(match[1]), int(match[2])
            if hour < 24 and minute < 60:  # noqa: PLR2004 - a clock's limits
                minutes.add(hour * 60 + minute)
    return minutes


def _states_waited_for(
    kind: object, trigger: Mapping[object, object]
) -> list[str | None]:
    """Return the states a state or device trigger fires on (None: any change)."""
    if kind == "device":
        state = DEVICE_TRIGGER_STATES.get(str(trigger.get("type")))
        return [state] if state is not None else []
    to_state = trigger.get("to")
    if to_state is None:
        return [None]
    return [str(value) for value in as_list(to_state) if isinstance(value, str)]


def action_targets(actions: object) -> Targets:
    """Return every entity named by an `entity_id` in the actions, at any depth.

    Conditions (a step with `condition`, or under `conditions`, `if`, `while`,
    `until`) and `wait_for_trigger` only look at entities; they are left out, and
    so are disabled steps.
    """
    targets = Targets()
    # Each node with the state its action sets (None: not a known one).
    stack: list[tuple[object, str | None]] = [(actions, None)]
    seen: set[int] = set()
    while stack:
        node, state = stack.pop()
        if isinstance(node, Unfollowed):
            targets.unfollowed.append(str(node))
            continue
        if not isinstance(node, Mapping | list) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, list):
            stack.extend((item, state) for item in reversed(node))
            continue
        if "condition" in node or node.get("enabled") is False:
            continue
        stack.extend(_read_step(node, state, targets))
    return targets


def _read_step(
    step: Mapping[object, object], state: str | None, targets: Targets
) -> list[tuple[object, str | None]]:
    """Add a step's own targets; return its parts to read, with the state set.

    A step calling an action passes the state that action sets on to its parts;
    any other step passes on the state of the step it is part of.
    """
    service = step.get("action", step.get("service"))
    if isinstance(service, str):
        state = SET_STATES.get(service.rpartition(".")[2])
    parts: list[tuple[object, str | None]] = []
    for key, value in step.items():
        if key == "entity_id":
            found, unresolved = entity_ids(value)
            targets.entities.update(found)
            targets.unresolved += unresolved
            if state is not None:
                targets.set_states.update((entity, state) for entity in found)
        elif key in UNRESOLVED_TARGETS:
            targets.unresolved += 1
        elif key not in NOT_ACTED_ON:
            parts.append((value, state))
    return parts


def read_automation(automation: Mapping[object, object]) -> Reading:
    """Return what one automation's triggers listen to and its actions act on."""
    return Reading(
        read_triggers(triggers_of(automation)), action_targets(actions_of(automation))
    )


def coverage(automations: Iterable[object]) -> AutomationCoverage:
    """Return what the automations (mappings; anything else is skipped) cover."""
    timed: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    timed_actions: set[tuple[str, str, int]] = set()
    triggered_actions: set[tuple[str, str | None, str, str]] = set()
    for automation in automations:
        if isinstance(automation, Mapping):
            reading = read_automation(automation)
            timed |= reading.timed_targets
            pairs |= reading.state_triggered
            timed_actions |= reading.timed_actions
            triggered_actions |= reading.triggered_actions
    return AutomationCoverage(
        timed_targets=frozenset(timed),
        state_triggered=frozenset(pairs),
        timed_actions=frozenset(timed_actions),
        triggered_actions=frozenset(triggered_actions),
    )


def referenced_ids(node: object, key: str, depth: int = 0) -> Iterator[str]:
    """Yield every plain (non-template) value of `key`, anywhere in the config.

    Triggers and conditions count too: an entity an automation only reads must
    exist as much as one it acts on.
    """
    if depth > MAX_REFERENCE_DEPTH:
        return
    if isinstance(node, Mapping):
        for name, value in node.items():
            if name == key:
                yield from _plain_ids(value)
            else:
                yield from referenced_ids(value, key, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from referenced_ids(item, key, depth + 1)


def _plain_ids(value: object) -> Iterator[str]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if (
            isinstance(item, str)
            and item not in _NOT_ENTITIES
            and "{{" not in item
            and "{%" not in item
        ):
            # Home Assistant accepts "a, b" lists; it has refused empty parts already.
            yield from (part.strip() for part in item.split(","))


@dataclass(frozen=True, slots=True)
class Names:
    """The entities, devices and services a config names, which must exist."""

    entities: frozenset[str]
    devices: frozenset[str]
    services: frozenset[str]


def names_to_check(config: object) -> Names:
    """Return every entity, device and service `config` names, to look up.

    Services are those the actions call by name (`action`, or the old
    `service`); a device action's service is the device's own business.
    """
    return Names(
        entities=frozenset(referenced_ids(config, "entity_id")),
        devices=frozenset(referenced_ids(config, "device_id")),
        services=frozenset(
            called.service
            for called in services_called(config)
            if called.valid and called.path.endswith((".action", ".service"))
        ),
    )
