"""Revise one of HA AI's automations from how it fared: change, turn off or remove it.

An automation HA AI deployed is judged again from its own runs (`runs.RunRecord`,
oldest first) and from whether the habit it came from is still there. Three
things make a revision, looked at in this order:

1. **Stale**: it has not run for `stale_after` (since its last run, or since it
   was deployed when it never ran) and the analysis no longer finds the habit it
   came from. Nothing it does is wanted any more: remove it.
2. **Failing**: its last `FAILURES_IN_A_ROW` runs all failed. When an entity it
   names (anywhere: trigger, condition, action) no longer exists, it cannot work
   again: remove it. Otherwise turn it off, saying the last error: the user can
   repair it and turn it back on.
3. **Unwanted**: `overrides.is_unwanted` over its recent runs (a person undid
   it on a large share of them). The change proposed, in this order of
   preference (each one a candidate; the caller proposes the first one Home
   Assistant's validation and the safety rules accept):

   a. a condition that separates the overridden runs from the kept ones, looked
      for by day class (weekend or weekday), then sun (up or down), then
      presence (someone home or nobody). A value separates when *every*
      overridden run has it, *no* kept run has it, and at least
      `MIN_KEPT_OTHER_SIDE` kept runs have the other one. An unknown value
      (None: the sun or presence was not known at that run) never separates: an
      overridden run with it rules the dimension out, a kept run with it is on
      neither side. Kept runs are the successful runs nobody undid; failed runs
      say nothing of whether the automation is wanted.
   b. moving its time, when its only trigger is a time trigger at one fixed
      time, and a person then did by hand what the run had done (`acted_at`)
      after at least half of the overridden runs: the new time is the median
      time of day of those acted times, to the minute, read on the clock's
      circle (see `circular_median`: 23:50 and 00:10 give 00:00; times spread
      over more than `MAX_ACTED_SPREAD` give none). It is proposed only
      `MIN_TIME_MOVE` or more away from the old time.
   c. turning it off.

Only runs since `deployed_at` count: earlier runs were of an earlier version of
the automation (a revision replaced it under the same id), and say nothing of
this one. An automation that is turned off is judged for staleness only (it does
not run, so it cannot fail or be undone again).

A revised automation keeps the automation's id (it replaces the original once
accepted) and everything it does not change (alias and description adjusted to
say so). Configs are read defensively: `trigger`/`condition`/`action` (the old
keys) as well as their plural forms, single items or lists, anything else left
alone; a config that cannot be revised safely gives no candidate of that kind,
never an error. Times of day are read in the zone of `now` (a zone with its
daylight-saving rules, as Home Assistant's local time has), so an acted time
stored in UTC or in a fixed offset reads as the clock on the wall showed it.

Pure: no Home Assistant; whether an entity exists is asked through `exists`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Final

from ..zigbee.judge import clean_text
from .ids import is_automation_id
from .overrides import RECENT_RUNS, is_unwanted
from .references import SET_STATES, action_targets, as_list, entity_ids, names_to_check
from .runs import AutomationHealth, RunRecord

FAILURES_IN_A_ROW: Final = 3
MIN_KEPT_OTHER_SIDE: Final = 2
# A person who acts at about the same time: their times fit in this arc of the clock.
MAX_ACTED_SPREAD: Final = timedelta(hours=3)
MIN_TIME_MOVE: Final = timedelta(minutes=5)
SECONDS_A_DAY: Final = 24 * 60 * 60
MAX_NAME: Final = 60
MAX_ALIAS: Final = 160
MAX_DESCRIPTION: Final = 1000
MAX_ERROR: Final = 200
# A fixed time of day as a time trigger writes it: 06:59, 06:59:00, 6:59:00.5.
_CLOCK: Final = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?")
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri")
WEEKEND: Final = ("sat", "sun")
# How undoing a run reads, by the state its action set; and doing it by hand.
_UNDONE: Final[Mapping[str, str]] = {
    "on": "switched off",
    "off": "switched on",
    "open": "closed",
    "closed": "opened",
    "locked": "unlocked",
    "unlocked": "locked",
}
_DONE_BY_HAND: Final[Mapping[str, str]] = {
    "on": "turn it on",
    "off": "turn it off",
    "open": "open it",
    "closed": "close it",
    "locked": "lock it",
    "unlocked": "unlock it",
}


class Reason(StrEnum):
    """Why an automation is revised."""

    UNWANTED = "unwanted"  # undone by hand on a large share of its runs
    FAILING = "failing"  # its last runs failed
    STALE = "stale"  # it no longer runs, and its habit is gone


class Change(StrEnum):
    """What the revision does to the automation."""

    REPLACE = "replace"  # deploy the revised automation under the same id
    DISABLE = "disable"  # turn the automation off
    REMOVE = "remove"  # remove it from automations.yaml


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    """A proposed change to one automation, with the evidence for it in words.

    `automation` is the revised automation (for `Change.REPLACE`), else None;
    `original` the automation as deployed. `share` is the evidence's weight
    (0..1): the share of the recent runs that were overridden or failed; 1 for a
    stale automation. `runs` and `affected` are the counts behind it.
    `targets` are the entities the automation acts on.
    """

    automation_id: str
    reason: Reason
    change: Change
    original: Mapping[str, Any]
    automation: Mapping[str, Any] | None
    subject: str  # "The 06:59 Bedroom light automation"
    evidence: str  # "The 06:59 Bedroom light automation was switched off by ..."
    change_words: str  # "Run it only on weekdays"
    share: float
    runs: int
    affected: int
    targets: tuple[str, ...]
    missing_entity: str | None = None
    error: str | None = None
    idle_days: int | None = None


def revise(  # noqa: PLR0913 - the facts of one automation, each named
    automation: object,
    runs: Sequence[RunRecord],
    health: AutomationHealth,
    *,
    exists: Callable[[str], bool],
    now: datetime,
    stale_after: timedelta,
    deployed_at: datetime | None,
    pattern_gone: bool,
    enabled: bool = True,
    names: Mapping[str, str] | None = None,
) -> Revision | None:
    """Return the best revision of the automation, or None when it needs none.

    See `revisions`; this is its first candidate.
    """
    return next(
        iter(
            revisions(
                automation,
                runs,
                health,
                exists=exists,
                now=now,
                stale_after=stale_after,
                deployed_at=deployed_at,
                pattern_gone=pattern_gone,
                enabled=enabled,
                names=names,
            )
        ),
        None,
    )


def revisions(  # noqa: PLR0913 - the facts of one automation, each named
    automation: object,
    runs: Sequence[RunRecord],
    health: AutomationHealth,
    *,
    exists: Callable[[str], bool],
    now: datetime,
    stale_after: timedelta,
    deployed_at: datetime | None,
    pattern_gone: bool,
    enabled: bool = True,
    names: Mapping[str, str] | None = None,
) -> list[Revision]:
    """Return the candidate revisions of one automation, best first (see the module).

    `automation` is the JSON-ready config HA AI deployed (with its `id`; anything
    else, or an id that is not an automation id, gives none); `runs`
    its recent runs, oldest first; `health` its counts (`last_run`,
    `last_error`); `names` the display names of entities, for the words. The
    caller proposes the first candidate that passes validation. Raises
    ValueError for a `now` without a timezone.
    """
    if now.tzinfo is None:
        raise ValueError("now must carry its timezone")
    if not isinstance(automation, Mapping):
        return []
    automation_id = automation.get("id")
    if not is_automation_id(automation_id):
        return []
    since = [run for run in runs if deployed_at is None or run.at >= deployed_at]
    zone = now.tzinfo
    facts = _Facts.of(automation_id, automation, names or {})
    if pattern_gone and (
        stale := _stale(facts, since, health, now, stale_after, deployed_at)
    ):
        return [stale]
    if not enabled:
        return []
    if (failing := _failing(facts, since, health, exists)) is not None:
        return [failing]
    return _unwanted(facts, since, zone)


@dataclass(frozen=True, slots=True)
class _TimeTrigger:
    """The automation's only trigger, a time trigger at one fixed time."""

    index: int
    seconds: int  # its time of day
    text: str  # "06:59"


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the words and the revisions need of the automation."""

    automation_id: str
    automation: Mapping[str, Any]
    targets: tuple[str, ...]
    set_state: str | None  # the state the first action sets, when known
    time: _TimeTrigger | None
    subject: str  # "The 06:59 Bedroom light automation"

    @classmethod
    def of(
        cls, automation_id: str, automation: Mapping[str, Any], names: Mapping[str, str]
    ) -> _Facts:
        targets, set_state = _targets(automation)
        time = _time_trigger(automation)
        if targets:
            name = clean_text(names.get(targets[0]) or targets[0], MAX_NAME)
            subject = f"The {time.text} {name} automation" if time else None
            subject = subject or f"The {name} automation"
        else:
            alias = automation.get("alias")
            shown = clean_text(alias, MAX_NAME) if isinstance(alias, str) else ""
            subject = f"The automation {shown or automation_id}"
        return cls(automation_id, automation, targets, set_state, time, subject)

    def revision(  # noqa: PLR0913 - a revision's fields, each named
        self,
        reason: Reason,
        change: Change,
        counts: _Counts,
        *,
        evidence: str,
        change_words: str,
        automation: Mapping[str, Any] | None = None,
        missing_entity: str | None = None,
        error: str | None = None,
        idle_days: int | None = None,
    ) -> Revision:
        return Revision(
            automation_id=self.automation_id,
            reason=reason,
            change=change,
            original=self.automation,
            automation=automation,
            subject=self.subject,
            evidence=evidence,
            change_words=change_words,
            share=counts.share,
            runs=counts.runs,
            affected=counts.affected,
            targets=self.targets,
            missing_entity=missing_entity,
            error=error,
            idle_days=idle_days,
        )


@dataclass(frozen=True, slots=True)
class _Counts:
    """The evidence's weight: its share of the recent runs, and the counts."""

    share: float
    runs: int
    affected: int


def _targets(automation: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """Return the entities acted on (top-level actions first), the first state set."""
    ordered: list[str] = []
    set_state = None
    for action in _part(automation, "actions", "action"):
        if not isinstance(action, Mapping):
            continue
        target = action.get("target")
        named = target.get("entity_id") if isinstance(target, Mapping) else None
        found = entity_ids(named if named is not None else action.get("entity_id"))[0]
        service = action.get("action", action.get("service"))
        if found and set_state is None and isinstance(service, str):
            set_state = SET_STATES.get(service.rpartition(".")[2])
        ordered += found
    ordered += sorted(action_targets(_part(automation, "actions", "action")).entities)
    return tuple(dict.fromkeys(ordered)), set_state


def _part(automation: Mapping[str, Any], plural: str, singular: str) -> list[Any]:
    """Return the triggers, conditions or actions as a list, under either key."""
    return as_list(automation.get(plural, automation.get(singular)))


def _time_trigger(automation: Mapping[str, Any]) -> _TimeTrigger | None:
    """Return the automation's trigger when it is its only one, at one fixed time."""
    triggers = _part(automation, "triggers", "trigger")
    if len(triggers) != 1 or not isinstance(trigger := triggers[0], Mapping):
        return None
    if trigger.get("trigger", trigger.get("platform")) != "time":
        return None
    at = trigger.get("at")
    if isinstance(at, list) and len(at) == 1:
        at = at[0]
    if not isinstance(at, str) or not (match := _CLOCK.fullmatch(at.strip())):
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour >= 24 or minute >= 60 or second >= 60:  # noqa: PLR2004 - a clock's limits
        return None
    return _TimeTrigger(
        0, hour * 3600 + minute * 60 + second, f"{hour:02d}:{minute:02d}"
    )


# Stale


def _stale(  # noqa: PLR0913
    facts: _Facts,
    since: list[RunRecord],
    health: AutomationHealth,
    now: datetime,
    stale_after: timedelta,
    deployed_at: datetime | None,
) -> Revision | None:
    """Return the removal of an automation idle for `stale_after`, or None."""
    if stale_after <= timedelta(0):
        return None
    moments = [run.at for run in since[-1:]]
    if health.last_run is not None and (
        deployed_at is None or health.last_run >= deployed_at
    ):
        moments.append(health.last_run)
    last = max(moments, default=deployed_at)
    if last is None or now - last < stale_after:
        return None
    days = (now - last).days
    return facts.revision(
        Reason.STALE,
        Change.REMOVE,
        _Counts(share=1.0, runs=0, affected=0),
        evidence=(
            f"{facts.subject} has not run for {_days(days)} and the habit it "
            "came from is gone."
        ),
        change_words="Remove it",
        idle_days=days,
    )


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


# Failing


def _failing(
    facts: _Facts,
    since: list[RunRecord],
    health: AutomationHealth,
    exists: Callable[[str], bool],
) -> Revision | None:
    """Return the removal or disabling of an automation failing run after run."""
    streak = 0
    for run in reversed(since):
        if run.success:
            break
        streak += 1
    if streak < FAILURES_IN_A_ROW:
        return None
    recent = since[-RECENT_RUNS:]
    failures = sum(not run.success for run in recent)
    counts = _Counts(failures / len(recent), len(recent), failures)
    missing = next(
        (
            entity
            for entity in sorted(_named_entities(facts.automation))
            if not exists(entity)
        ),
        None,
    )
    if missing is not None:
        return facts.revision(
            Reason.FAILING,
            Change.REMOVE,
            counts,
            evidence=(
                f"{facts.subject} failed {streak} times in a row: the entity "
                f"{missing} no longer exists."
            ),
            change_words="Remove it",
            missing_entity=missing,
        )
    error = since[-1].error or health.last_error or "no error was given"
    error = clean_text(error, MAX_ERROR)
    return facts.revision(
        Reason.FAILING,
        Change.DISABLE,
        counts,
        evidence=f"{facts.subject} failed {streak} times in a row: {_sentence(error)}",
        change_words="Turn it off",
        error=error,
    )


def _sentence(text: str) -> str:
    """Return `text` ending as a sentence does (an error may end without a stop)."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _named_entities(automation: Mapping[str, Any]) -> frozenset[str]:
    """Return every entity the automation names (triggers and conditions too)."""
    return names_to_check(automation).entities


# Unwanted


@dataclass(frozen=True, slots=True)
class _Dimension:
    """A way runs differ, and the condition that keeps one side of it."""

    value_of: Callable[[RunRecord], bool | None]
    # By the overridden side's value: (condition keeping the other side,
    # change in words, the overridden runs in words, alias words).
    keep_other: Mapping[bool, tuple[dict[str, Any], str, str, str]]


_SUN_DOWN: Final = {
    "condition": "or",
    "conditions": [
        {"condition": "sun", "before": "sunrise"},
        {"condition": "sun", "after": "sunset"},
    ],
}
_DIMENSIONS: Final = (
    _Dimension(
        lambda run: run.weekend,
        {
            True: (
                {"condition": "time", "weekday": list(WEEKDAYS)},
                "Run it only on weekdays",
                "all of them at weekends",
                "only on weekdays",
            ),
            False: (
                {"condition": "time", "weekday": list(WEEKEND)},
                "Run it only at weekends",
                "all of them on weekdays",
                "only at weekends",
            ),
        },
    ),
    _Dimension(
        lambda run: run.sun_up,
        {
            True: (
                _SUN_DOWN,
                "Run it only when the sun is down",
                "all of them with the sun up",
                "only when the sun is down",
            ),
            False: (
                {"condition": "sun", "after": "sunrise", "before": "sunset"},
                "Run it only when the sun is up",
                "all of them with the sun down",
                "only when the sun is up",
            ),
        },
    ),
    _Dimension(
        lambda run: run.home,
        {
            False: (
                {"condition": "numeric_state", "entity_id": "zone.home", "above": 0},
                "Run it only when someone is home",
                "all of them with nobody home",
                "only when someone is home",
            ),
            True: (
                {"condition": "state", "entity_id": "zone.home", "state": "0"},
                "Run it only when nobody is home",
                "all of them with someone home",
                "only when nobody is home",
            ),
        },
    ),
)


def separating_side(
    overridden: Sequence[RunRecord],
    kept: Sequence[RunRecord],
    value_of: Callable[[RunRecord], bool | None],
) -> bool | None:
    """Return the value every overridden run has and no kept run has, or None.

    See the module's rule (a): None when an overridden run's value is unknown,
    when the overridden runs differ, when a kept run shares their value, or when
    fewer than `MIN_KEPT_OTHER_SIDE` kept runs are known to be on the other side.
    """
    sides = {value_of(run) for run in overridden}
    if len(sides) != 1 or None in sides:
        return None
    (side,) = sides
    known = [value for run in kept if (value := value_of(run)) is not None]
    if side in known or len(known) < MIN_KEPT_OTHER_SIDE:
        return None
    return side


def _unwanted(facts: _Facts, since: list[RunRecord], zone: tzinfo) -> list[Revision]:
    """Return the changes of an automation people keep undoing, best first."""
    recent = since[-RECENT_RUNS:]
    if not is_unwanted([run.overridden for run in recent]):
        return []
    overridden_recent = sum(run.overridden for run in recent)
    undone = _UNDONE.get(facts.set_state or "", "undone")
    evidence = (
        f"{facts.subject} was {undone} by hand on {overridden_recent} of its last "
        f"{len(recent)} runs"
    )
    counts = _Counts(overridden_recent / len(recent), len(recent), overridden_recent)
    overridden = [run for run in since if run.overridden]
    kept = [run for run in since if run.success and not run.overridden]
    candidates: list[Revision] = []
    for dimension in _DIMENSIONS:
        side = separating_side(overridden, kept, dimension.value_of)
        if side is None:
            continue
        condition, words, which, alias_words = dimension.keep_other[side]
        revised = _with_condition(facts.automation, condition, alias_words, words)
        if revised is not None:
            candidates.append(
                facts.revision(
                    Reason.UNWANTED,
                    Change.REPLACE,
                    counts,
                    automation=revised,
                    evidence=f"{evidence}, {which}.",
                    change_words=words,
                )
            )
    if (moved := _moved(facts, overridden, zone)) is not None:
        revised, words = moved
        candidates.append(
            facts.revision(
                Reason.UNWANTED,
                Change.REPLACE,
                counts,
                automation=revised,
                evidence=f"{evidence}.",
                change_words=words,
            )
        )
    candidates.append(
        facts.revision(
            Reason.UNWANTED,
            Change.DISABLE,
            counts,
            evidence=f"{evidence}.",
            change_words="Turn it off",
        )
    )
    return candidates


def _with_condition(
    automation: Mapping[str, Any],
    condition: dict[str, Any],
    alias_words: str,
    words: str,
) -> dict[str, Any] | None:
    """Return the automation with `condition` added, or None when it cannot be.

    The conditions may be under `conditions` or the old `condition`, a list or
    a single one (a mapping, or a template's shorthand); both keys at once, or
    anything else there, is left alone. A condition it has already is not added.
    """
    if "conditions" in automation and "condition" in automation:
        return None
    existing = automation.get("conditions", automation.get("condition"))
    if existing is None:
        conditions: list[Any] = []
    elif isinstance(existing, list):
        conditions = list(existing)
    elif isinstance(existing, Mapping | str):
        conditions = [existing]
    else:
        return None
    if condition in conditions:
        return None
    revised = {key: value for key, value in automation.items() if key != "condition"}
    revised["conditions"] = [*conditions, condition]
    return _reworded(revised, alias_words, words)


def _moved(
    facts: _Facts, overridden: list[RunRecord], zone: tzinfo
) -> tuple[dict[str, Any], str] | None:
    """Return the automation moved to when people act, and the words, or None."""
    if facts.time is None or not overridden:
        return None
    acted = [run.acted_at for run in overridden if run.acted_at is not None]
    if 2 * len(acted) < len(overridden):
        return None
    median = circular_median([_seconds_of_day(at, zone) for at in acted])
    if median is None:
        return None
    minute = median // 60
    distance = abs(minute * 60 - facts.time.seconds)
    if min(distance, SECONDS_A_DAY - distance) < MIN_TIME_MOVE.total_seconds():
        return None
    clock = f"{minute // 60:02d}:{minute % 60:02d}"
    triggers = [
        dict(trigger) for trigger in _part(facts.automation, "triggers", "trigger")
    ]
    triggers[facts.time.index]["at"] = f"{clock}:00"
    revised = {
        key: value
        for key, value in facts.automation.items()
        if key not in ("trigger", "triggers")
    }
    revised["triggers"] = triggers
    doing = _DONE_BY_HAND.get(facts.set_state or "", "do it")
    words = f"Move it to {clock}, when you {doing} yourself"
    alias = revised.get("alias")
    if isinstance(alias, str) and facts.time.text in alias:
        revised["alias"] = alias.replace(facts.time.text, clock)
        return _reworded(revised, "", words), words
    return _reworded(revised, f"at {clock}", words), words


def _reworded(revised: dict[str, Any], alias_words: str, words: str) -> dict[str, Any]:
    """Return the revised automation whose alias and description say what changed."""
    alias = revised.get("alias")
    if isinstance(alias, str) and alias_words:
        revised["alias"] = clean_text(f"{alias}, {alias_words}", MAX_ALIAS)
    description = revised.get("description")
    if isinstance(description, str):
        revised["description"] = clean_text(
            f"{description} Revised by HA AI: {words[:1].lower()}{words[1:]}.",
            MAX_DESCRIPTION,
        )
    return revised


def _seconds_of_day(at: datetime, zone: tzinfo) -> int:
    local = at.astimezone(zone)
    return local.hour * 3600 + local.minute * 60 + local.second


def circular_median(seconds: Sequence[int]) -> int | None:
    """Return the median time of day (seconds since midnight) of `seconds`, or None.

    Times of day sit on a circle: 23:50 and 00:10 are 20 minutes apart, and
    their median is 00:00, not noon. The circle is cut in its widest gap between
    the times; their median on the line that leaves (the mean of the middle
    two for an even count, rounded down) is the answer. Times spread over more
    than `MAX_ACTED_SPREAD` of the clock name no one time: None. None for no
    times too.
    """
    times = sorted(second % SECONDS_A_DAY for second in seconds)
    if not times:
        return None
    count = len(times)
    gaps = [(times[(i + 1) % count] - times[i]) % SECONDS_A_DAY for i in range(count)]
    widest = max(range(count), key=lambda i: (gaps[i], -i))
    start = times[(widest + 1) % count]
    line = sorted((second - start) % SECONDS_A_DAY for second in times)
    if line[-1] > MAX_ACTED_SPREAD.total_seconds():
        return None
    middle = count // 2
    median = line[middle] if count % 2 else (line[middle - 1] + line[middle]) // 2
    return (median + start) % SECONDS_A_DAY
