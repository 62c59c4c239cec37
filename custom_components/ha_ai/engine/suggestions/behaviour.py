"""What an automation does, as a fingerprint and as a title HA AI writes itself.

A suggestion's words must match its automation. An LLM's title is free text in
any language, which no check can hold to what an automation does ("Lock the front
door every night" over one that switches a plug off). So the title of a
suggestion whose automation the LLM changed is written here, from the automation
itself; the LLM's text is only the explanation below it. And the LLM's words are
tied to the behaviour they were written for by a fingerprint: when the finding
brings back another automation, the words go with the old one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from ..zigbee.judge import clean_text
from .model import EntityFacts
from .wording import entity_name, phrase, state_phrases

NO_AUTOMATION: Final = "none"
MAX_TITLE: Final = 160
# What an automation does, whatever its alias and description say.
_BEHAVIOUR_KEYS: Final = (
    ("triggers", "trigger"),
    ("conditions", "condition"),
    ("actions", "action"),
    ("mode",),
)
# The state each service HA AI renders puts its target in (render.action_for).
_SERVICE_STATES: Final[Mapping[str, str]] = {
    "turn_on": "on",
    "turn_off": "off",
    "open_cover": "open",
    "close_cover": "closed",
    "lock": "locked",
    "unlock": "unlocked",
    "media_play": "playing",
    "media_pause": "paused",
}
_WEEKDAYS: Final = {
    ("fri", "mon", "thu", "tue", "wed"): "on weekdays",
    ("sat", "sun"): "on weekends",
}


def behaviour_fingerprint(automation: Mapping[str, Any] | None) -> str:
    """Return a short digest of what an automation does (`none` without one).

    Triggers, conditions, actions and mode count; the id, alias and description
    do not, so a rendered description whose evidence grew keeps its fingerprint.
    """
    if automation is None:
        return NO_AUTOMATION
    behaviour = {
        keys[0]: next((automation[key] for key in keys if key in automation), None)
        for keys in _BEHAVIOUR_KEYS
    }
    text = json.dumps(behaviour, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def automation_title(
    automation: Mapping[str, Any], names: Mapping[str, EntityFacts]
) -> str:
    """Return a title saying what the automation does and when.

    "Turn on Bedroom light at 06:55 on weekdays", "Turn off Plug when Door
    closes". Built only from the automation's services, targets, triggers and
    weekday condition, with the names of the house (cleaned and bounded).
    """
    doing = [
        _action_words(action, names)
        for action in _list(automation, "actions", "action")
        if isinstance(action, Mapping)
        and "delay" not in action
        and "condition" not in action
    ]
    when = [
        words
        for trigger in _list(automation, "triggers", "trigger")
        if (words := _trigger_words(trigger, names))
    ]
    title = " and ".join(words for words in doing if words)
    if when:
        title += " " + " or ".join(when)
    days = _weekday_words(_list(automation, "conditions", "condition"))
    if not days and any(words.startswith("at ") for words in when):
        days = "every day"
    if days:
        title += " " + days
    return clean_text(title, MAX_TITLE)


def _list(automation: Mapping[str, Any], plural: str, singular: str) -> list[Any]:
    value = automation.get(plural, automation.get(singular, []))
    return value if isinstance(value, list) else [value]


def _targets(action: Mapping[str, Any]) -> list[str]:
    target = action.get("target")
    named = target.get("entity_id") if isinstance(target, Mapping) else None
    named = action.get("entity_id") if named is None else named
    values = named if isinstance(named, list) else [named]
    return [value for value in values if isinstance(value, str)]


def _action_words(action: Mapping[str, Any], names: Mapping[str, EntityFacts]) -> str:
    service = str(action.get("action", action.get("service", "")))
    verb = service.partition(".")[2]
    targets = " and ".join(entity_name(entity, names) for entity in _targets(action))
    data = action.get("data")
    if verb == "set_hvac_mode" and isinstance(data, Mapping):
        state = str(data.get("hvac_mode", "")).replace("_", " ")
    else:
        state = _SERVICE_STATES.get(verb, verb.replace("_", " "))
    return phrase(state_phrases(state).command, targets, state)


def _trigger_words(trigger: object, names: Mapping[str, EntityFacts]) -> str:
    if not isinstance(trigger, Mapping):
        return ""
    kind = trigger.get("trigger", trigger.get("platform"))
    if kind == "time":
        times = trigger.get("at")
        times = times if isinstance(times, list) else [times]
        return "at " + " and ".join(str(at)[:5] for at in times)
    if kind == "sun":
        return f"at {trigger.get('event', 'sunrise')}"
    entities = trigger.get("entity_id")
    entities = entities if isinstance(entities, list) else [entities]
    subject = " or ".join(entity_name(str(entity), names) for entity in entities)
    if kind == "numeric_state":
        limits = [
            f"{word} {trigger[key]}"
            for key, word in (("above", "above"), ("below", "below"))
            if key in trigger
        ]
        return f"when {subject} goes {' and '.join(limits)}".rstrip()
    if isinstance(to := trigger.get("to"), str):
        return "when " + phrase(state_phrases(to).trigger, subject, to)
    return f"when {subject} changes"


def _weekday_words(conditions: list[Any]) -> str:
    for condition in conditions:
        if isinstance(condition, Mapping) and condition.get("condition") == "time":
            if (days := condition.get("weekday")) is None:
                continue
            days = days if isinstance(days, list) else [days]
            key = tuple(sorted(str(day) for day in days))
            return _WEEKDAYS.get(key, "on " + ", ".join(key))
    return ""
