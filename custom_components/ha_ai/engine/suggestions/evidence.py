"""Say in a few words why HA AI suggests something, from the finding it kept.

A card shows this under each title, so it states the facts, not a proposal:
- a routine: "on 18 of 21 weekdays around 06:59";
- used together: "Kitchen light then Coffee machine within 44 s, 18 times";
- an unused capability: "your Aqara DJT11LM can report vibration; nothing uses it";
- a revision of an automation HA AI deployed: the evidence it was worded with
  ("The 06:59 Bedroom light automation was switched off by hand on 6 of its
  last 8 runs.").

The facts come from the suggestion's `source` (a pattern summary, or the
capability's fields), which a store may have damaged: a fact that is missing or
of the wrong type leaves the evidence empty rather than wrong. Names come from
the Home Assistant side; an entity without one reads as its entity id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from ..habits.model import DayClass
from ..zigbee.judge import clean_text
from .model import SuggestionKind
from .wording import DAY_CLASS_WORDS, MAX_ENTITY_ID, MAX_NAME, delay, times

MAX_DETAIL = 60  # a device model or a property name
MAX_EVIDENCE = 1000  # a revision's evidence, as long as a description


def evidence_text(
    kind: SuggestionKind, source: Mapping[str, Any], names: Mapping[str, str]
) -> str:
    """Return the evidence of a suggestion in words, or "" when unknown."""
    if kind is SuggestionKind.ROUTINE:
        return _routine(source)
    if kind is SuggestionKind.USED_TOGETHER:
        return _used_together(source, names)
    if kind is SuggestionKind.HOUSEHOLD:
        return _household(source)
    if kind in (SuggestionKind.REVISE, SuggestionKind.REMOVE):
        evidence = source.get("evidence")
        return clean_text(evidence, MAX_EVIDENCE) if isinstance(evidence, str) else ""
    return _feature(source)


def _household(source: Mapping[str, Any]) -> str:
    support, observed = source.get("support_days"), source.get("observed_days")
    at, kind, follows = source.get("time"), source.get("kind"), source.get("follows")
    if not (_count(support) and _count(observed) and isinstance(at, str)):
        return ""
    if kind not in ("morning", "bedtime") or not isinstance(follows, list):
        return ""
    moment = "the morning" if kind == "morning" else "bedtime"
    return (
        f"{moment} starts around {clean_text(at, MAX_DETAIL)} on {support} of "
        f"{observed} days; {len(follows)} usual "
        f"{'action follows' if len(follows) == 1 else 'actions follow'} within minutes"
    )


def _routine(source: Mapping[str, Any]) -> str:
    support, observed = source.get("support_days"), source.get("observed_days")
    at, day_class = source.get("time"), source.get("day_class")
    if not (_count(support) and _count(observed) and isinstance(at, str)):
        return ""
    if day_class not in set(DayClass):
        return ""
    days = DAY_CLASS_WORDS[DayClass(day_class)][1]
    return f"on {support} of {observed} {days} around {clean_text(at, MAX_DETAIL)}"


def _used_together(source: Mapping[str, Any], names: Mapping[str, str]) -> str:
    first, then = source.get("trigger_entity_id"), source.get("entity_id")
    count, seconds = source.get("count"), source.get("median_delay_seconds")
    if not (isinstance(first, str) and isinstance(then, str) and _count(count)):
        return ""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return ""
    return (
        f"{_name(first, names)} then {_name(then, names)} "
        f"within {delay(float(seconds))}, {times(count)}"
    )


def _feature(source: Mapping[str, Any]) -> str:
    model, name = source.get("device_model"), source.get("property_name")
    if not (isinstance(model, str) and isinstance(name, str)):
        return ""
    model = clean_text(model, MAX_DETAIL) or "device"
    name = clean_text(name.replace("_", " "), MAX_DETAIL)
    if not name:
        return ""
    return f"your {model} can report {name}; nothing uses it"


def _count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _name(entity_id: str, names: Mapping[str, str]) -> str:
    return clean_text(names.get(entity_id, ""), MAX_NAME) or clean_text(
        entity_id, MAX_ENTITY_ID
    )
