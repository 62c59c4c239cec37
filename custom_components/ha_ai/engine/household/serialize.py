"""Turn the household's routines into JSON-ready data and back, for the store.

Reading back is tolerant (see `stored`): a routine, step or away routine of the
wrong shape is left out and counted in `Drops`, an optional field of the wrong
type falls back to its default, and nothing raises, whatever the data: a
damaged store costs what is damaged, never the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..habits.model import DayClass, PatternLevel
from ..stored import (
    BadRecordError,
    Drops,
    finite_number,
    record,
    required_int,
    required_text,
)
from .model import (
    AwayRoutine,
    AwaySource,
    HouseholdRoutine,
    HouseholdRoutines,
    RoutineKind,
    RoutineStep,
)

VERSION = 1
MINUTES_A_DAY = 24 * 60
ROUTINE = "household routine"
STEP = "household routine step"
AWAY = "away routine"
MISSING = "household missing reason"


def routines_to_dict(routines: HouseholdRoutines) -> dict[str, Any]:
    """Return the routines as JSON-ready data (`routines_from_dict` reads it)."""
    return {
        "version": VERSION,
        "routines": [_routine_to_dict(routine) for routine in routines.routines],
        "away": None if routines.away is None else _away_to_dict(routines.away),
        "missing": dict(routines.missing),
    }


def routines_from_dict(
    data: object, drops: Drops | None = None
) -> tuple[HouseholdRoutines, Drops]:
    """Return the routines stored by `routines_to_dict`, and what was left out.

    Never raises: data that is not an object, or of another version, gives no
    routines (counted as one drop). What is left out is counted in `drops`
    when given (the store they are part of counts for all its parts).
    """
    drops = Drops() if drops is None else drops
    if not isinstance(data, Mapping):
        drops.drop("household routines", "not an object")
        return HouseholdRoutines(), drops
    if data.get("version", VERSION) != VERSION:
        drops.drop("household routines", "an unknown version")
        return HouseholdRoutines(), drops
    routines: list[HouseholdRoutine] = []
    items = data.get("routines")
    if not isinstance(items, list):
        if items is not None:
            drops.drop(ROUTINE, "routines is not a list")
        items = []
    for item in items:
        try:
            routines.append(_routine_from_dict(record(item), drops))
        except BadRecordError as err:
            drops.drop(ROUTINE, str(err))
    away: AwayRoutine | None = None
    if data.get("away") is not None:
        try:
            away = _away_from_dict(record(data["away"]), drops)
        except BadRecordError as err:
            drops.drop(AWAY, str(err))
    return (
        HouseholdRoutines(
            routines=tuple(routines), away=away, missing=_missing(data, drops)
        ),
        drops,
    )


def _routine_to_dict(routine: HouseholdRoutine) -> dict[str, Any]:
    return {
        "routine_id": routine.routine_id,
        "kind": routine.kind.value,
        "day_class": routine.day_class.value,
        "typical_start": routine.typical_start,
        "window_start": routine.window_start,
        "window_end": routine.window_end,
        "starters": [list(action) for action in routine.starters],
        "steps": [
            {
                "entity_id": step.entity_id,
                "state": step.state,
                "typical_delay_seconds": step.typical_delay_seconds,
                "share": step.share,
            }
            for step in routine.steps
        ],
        "support_days": routine.support_days,
        "observed_days": routine.observed_days,
        "confidence": routine.confidence,
        "level": routine.level.value,
        "quiet_minutes": routine.quiet_minutes,
    }


def _away_to_dict(away: AwayRoutine) -> dict[str, Any]:
    return {
        "routine_id": away.routine_id,
        "source": away.source.value,
        "presence_entities": list(away.presence_entities),
        "leaving": [list(action) for action in away.leaving],
        "quiet_minutes": away.quiet_minutes,
        "coming_back": [list(action) for action in away.coming_back],
        "occurrences": away.occurrences,
        "observed_days": away.observed_days,
        "typical_duration_minutes": away.typical_duration_minutes,
        "confidence": away.confidence,
        "level": away.level.value,
    }


def _routine_from_dict(item: Mapping[str, object], drops: Drops) -> HouseholdRoutine:
    steps: list[RoutineStep] = []
    step_items = item.get("steps")
    if not isinstance(step_items, list):
        raise BadRecordError("steps is not a list")
    for step in step_items:
        try:
            steps.append(_step_from_dict(record(step)))
        except BadRecordError as err:
            drops.drop(STEP, str(err))
    return HouseholdRoutine(
        routine_id=required_text(item, "routine_id"),
        kind=_choice(item, "kind", RoutineKind),
        day_class=_choice(item, "day_class", DayClass),
        typical_start=_count(item, "typical_start", MINUTES_A_DAY - 1),
        window_start=_count(item, "window_start", MINUTES_A_DAY - 1),
        window_end=_count(item, "window_end", MINUTES_A_DAY - 1),
        starters=_actions(item, "starters", drops, ROUTINE),
        steps=tuple(steps),
        support_days=_count(item, "support_days"),
        observed_days=_count(item, "observed_days"),
        confidence=_share(item, "confidence"),
        level=_choice(item, "level", PatternLevel),
        quiet_minutes=_count(item, "quiet_minutes"),
    )


def _step_from_dict(item: Mapping[str, object]) -> RoutineStep:
    return RoutineStep(
        entity_id=required_text(item, "entity_id"),
        state=required_text(item, "state"),
        typical_delay_seconds=_count(item, "typical_delay_seconds"),
        share=_share(item, "share"),
    )


def _away_from_dict(item: Mapping[str, object], drops: Drops) -> AwayRoutine:
    presence = item.get("presence_entities", [])
    if not isinstance(presence, list) or not all(
        isinstance(entity_id, str) and entity_id for entity_id in presence
    ):
        drops.reset_field(AWAY, "presence_entities")
        presence = []
    return AwayRoutine(
        routine_id=required_text(item, "routine_id"),
        source=_choice(item, "source", AwaySource),
        presence_entities=tuple(str(entity_id) for entity_id in presence),
        leaving=_actions(item, "leaving", drops, AWAY),
        quiet_minutes=_count(item, "quiet_minutes"),
        coming_back=_actions(item, "coming_back", drops, AWAY),
        occurrences=_count(item, "occurrences"),
        observed_days=_count(item, "observed_days"),
        typical_duration_minutes=_count(item, "typical_duration_minutes"),
        confidence=_share(item, "confidence"),
        level=_choice(item, "level", PatternLevel),
    )


def _actions(
    item: Mapping[str, object], key: str, drops: Drops, record_kind: str
) -> tuple[tuple[str, str], ...]:
    """Return the [entity_id, state] pairs of `item[key]`; damaged ones left out."""
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        drops.reset_field(record_kind, key)
        return ()
    actions = tuple(
        (str(action[0]), str(action[1]))
        for action in value
        if isinstance(action, list)
        and len(action) == 2  # noqa: PLR2004 - entity and state
        and all(isinstance(part, str) and part for part in action)
    )
    if len(actions) != len(value):
        drops.reset_field(record_kind, key)
    return actions


def _missing(data: Mapping[str, object], drops: Drops) -> dict[str, str]:
    """Return the reasons routines are missing; damaged entries left out."""
    value = data.get("missing")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        drops.drop(MISSING, "missing is not an object")
        return {}
    missing: dict[str, str] = {}
    for key, reason in value.items():
        if isinstance(key, str) and isinstance(reason, str):
            missing[key] = reason
        else:
            drops.drop(MISSING, "not text")
    return missing


def _choice[T: (RoutineKind, DayClass, PatternLevel, AwaySource)](
    item: Mapping[str, object], key: str, kind: type[T]
) -> T:
    value = item.get(key)
    if not isinstance(value, str) or value not in {member.value for member in kind}:
        raise BadRecordError(f"{key} is not a known {kind.__name__}")
    return kind(value)


def _count(item: Mapping[str, object], key: str, most: int | None = None) -> int:
    value = required_int(item, key)
    if value < 0 or (most is not None and value > most):
        raise BadRecordError(f"{key} is out of range")
    return value


def _share(item: Mapping[str, object], key: str) -> float:
    value = item.get(key)
    if not finite_number(value) or not 0 <= float(value) <= 1:  # type: ignore[arg-type]
        raise BadRecordError(f"{key} is not a share between 0 and 1")
    return float(value)  # type: ignore[arg-type]
