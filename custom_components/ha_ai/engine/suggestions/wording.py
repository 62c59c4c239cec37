"""The English words of habit suggestions: names, state changes, times, numbers.

Names and states come from the house (users name their devices): they are data.
Each one is cleaned (control characters and line breaks removed, white space
collapsed) and bounded in length before it enters a text, and it is only ever
inserted as a value, never read as a template or an instruction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..habits.model import DayClass
from ..zigbee.judge import clean_text
from .model import EntityFacts

MAX_NAME = 60  # an entity's name or area inside a title or description
MAX_ENTITY_ID = 100  # an entity id shown when the entity has no name
MAX_STATE = 30
SECONDS_SHOWN_AS_SECONDS = 90  # shorter delays read "45 s", longer ones "2 min"
SMALL_LIFT = 10  # lifts below this keep one decimal ("3.5x"), above are whole
MULTIPLIED = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True, slots=True)
class StatePhrases:
    """How a change to one state reads; `{name}` and `{state}` are filled in."""

    command: str  # a title's action: "Turn on {name}"
    by_hand: str  # what the user did: "You turned {name} on by hand"
    happened: str  # what was seen: "{name} went on"
    trigger: str  # what starts an automation: "when {name} turns on"


STATE_PHRASES: dict[str, StatePhrases] = {
    "on": StatePhrases(
        "Turn on {name}", "turned {name} on", "{name} went on", "{name} turns on"
    ),
    "off": StatePhrases(
        "Turn off {name}", "turned {name} off", "{name} went off", "{name} turns off"
    ),
    "open": StatePhrases(
        "Open {name}", "opened {name}", "{name} opened", "{name} opens"
    ),
    "closed": StatePhrases(
        "Close {name}", "closed {name}", "{name} closed", "{name} closes"
    ),
    "locked": StatePhrases(
        "Lock {name}", "locked {name}", "{name} locked", "{name} locks"
    ),
    "unlocked": StatePhrases(
        "Unlock {name}", "unlocked {name}", "{name} unlocked", "{name} unlocks"
    ),
    "playing": StatePhrases(
        "Play {name}",
        "started {name}",
        "{name} started playing",
        "{name} starts playing",
    ),
    "paused": StatePhrases(
        "Pause {name}", "paused {name}", "{name} paused", "{name} pauses"
    ),
    "home": StatePhrases(
        "Set {name} to home",
        "set {name} to home",
        "{name} came home",
        "{name} comes home",
    ),
    "not_home": StatePhrases(
        "Set {name} to away", "set {name} to away", "{name} left home", "{name} leaves"
    ),
}
OTHER_STATE = StatePhrases(
    "Set {name} to {state}",
    "set {name} to {state}",
    "{name} changed to {state}",
    "{name} changes to {state}",
)

DAY_CLASS_WORDS: dict[DayClass, tuple[str, str]] = {
    # (when, in a title; the days counted, in a description)
    DayClass.DAILY: ("every day", "days"),
    DayClass.WEEKDAYS: ("on weekdays", "weekdays"),
    DayClass.WEEKENDS: ("on weekends", "weekend days"),
}


def entity_name(entity_id: str, names: Mapping[str, EntityFacts]) -> str:
    """Return how an entity reads in a text: its name, with its area when useful.

    The area is added ("Ceiling light in Bedroom") unless the name already holds
    it; an entity without a name reads as its entity id.
    """
    facts = names.get(entity_id)
    name = clean_text(facts.name, MAX_NAME) if facts is not None else ""
    name = name or clean_text(entity_id, MAX_ENTITY_ID)
    area = clean_text(facts.area, MAX_NAME) if facts and facts.area else ""
    if area and area.casefold() not in name.casefold():
        return f"{name} in {area}"
    return name


def state_phrases(state: str) -> StatePhrases:
    """Return the phrases of a change to `state`."""
    return STATE_PHRASES.get(state, OTHER_STATE)


def phrase(template: str, name: str, state: str) -> str:
    """Return one of the phrases with the name and the cleaned state filled in."""
    return template.format(name=name, state=clean_text(state, MAX_STATE))


def delay(seconds: float) -> str:
    """Return a delay as people say it: "45 s", "2 min"."""
    seconds = max(seconds, 0.0) if math.isfinite(seconds) else 0.0
    if seconds < SECONDS_SHOWN_AS_SECONDS:
        return f"{round(seconds)} s"
    return f"{round(seconds / 60)} min"


def percent(share: float) -> str:
    """Return a share of 0..1 as a whole percentage: "77 %"."""
    return f"{round(share * 100)} %"


def times_chance(lift: float) -> str:
    """Return how much more often than chance: "12x more often than chance"."""
    if not math.isfinite(lift):
        return "far more often than chance"
    shown = f"{lift:.0f}" if lift >= SMALL_LIFT else f"{lift:.1f}".removesuffix(".0")
    return f"{shown}{MULTIPLIED} more often than chance"


def times(count: int) -> str:
    """Return a count of occurrences: "once", "23 times"."""
    return "once" if count == 1 else f"{count} times"
