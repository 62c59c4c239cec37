"""Word habit patterns and unused Zigbee capabilities as suggestion drafts.

Ids are stable: the same finding tomorrow gives the same suggestion id, so the book
recognises it (and never brings back one the user dismissed). The id is the kind
and a hash of "<kind>:<finding id>" (the pattern's `pattern_id`, the capability's
`opportunity_id`): `routine_3f2a9c1b7d4e`. It is a valid MQTT topic segment and
entity id suffix, whatever the finding id holds.

Confidence and value (0..1 each; the book ranks by both, see `model.rank`):
- A routine: confidence is the pattern's (the Wilson lower bound of its share of
  days); value is the share of days it happens on, times the share of the week its
  day class covers (a daily routine saves a switch every day, a weekend one two
  days a week).
- Used together: confidence is the pattern's P(B follows A); value grows with how
  often it happened, full at `PAIR_COUNT_FOR_FULL_VALUE` times.
- An unused capability: confidence is `FEATURE_CONFIDENCE` (the capability surely
  exists and is unused; whether the user wants it is a guess); value is the
  finding's score over the best possible score.

Only an established pattern that no automation covers yet becomes a draft
(`becomes_suggestion`): a forming one is real but young, and a pair reported for
its reverse view alone (B is nearly always preceded by A) would make a poor
automation; both are shown and published, never proposed. Habit drafts carry no
automation: the Home Assistant side renders one and puts it in with
`dataclasses.replace`.

Unused capabilities are drafted only where a draft can change the book
(`capability_draft_steps`): a house of 20,000 devices has some 50,000 of them,
and the book keeps at most `max_kept` open suggestions (500 at the most), so
wording, hashing and copying every one of them would cost seconds to give a
result that is thrown away. The draft of a finding matters to the book when its id
is already there (to refresh it, or to move a deployed one's `last_seen`), or when
it is among the best `max_kept` of the others: `SuggestionBook.merge` keeps the
best `max_kept` of the new contenders at the most, so a finding that ranks below
`max_kept` unknown ones can never make the cut. Drafting only those gives the same
book as drafting all, at a cost that grows with `max_kept` and the book, not with
the house; the selection itself is a cheap pass, in small steps (see
`zigbee.steps`) so the Home Assistant side can run it off the event loop.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Container, Iterable, Mapping
from dataclasses import asdict
from typing import Any

from ..automations.render import action_for
from ..habits.model import (
    DayClass,
    Pattern,
    PatternLevel,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from ..habits.serialize import pattern_summary
from ..household.follows import usual_followers
from ..household.model import HouseholdRoutine, RoutineKind
from ..zigbee.features import MAX_EASE, MAX_GAIN, score
from ..zigbee.judge import UnusedCapability, clean_text
from ..zigbee.steps import Steps, run_to_end
from .categories import feature_category, habit_category
from .model import EntityFacts, SuggestionDraft, SuggestionKind, rank
from .wording import (
    DAY_CLASS_WORDS,
    delay,
    entity_name,
    percent,
    phrase,
    state_phrases,
    times,
    times_chance,
)

ID_HEX_DIGITS = 12
MAX_TITLE = 160
MAX_TEXT = 1000  # a description or a first step
PAIR_COUNT_FOR_FULL_VALUE = 30  # about once a day over a month of history
FEATURE_CONFIDENCE = 0.6
BEST_FEATURE_SCORE = score(MAX_GAIN, MAX_EASE)
# Findings looked at, and drafts written, between two pauses of the steps.
FINDINGS_PER_STEP = 256
DRAFTS_PER_STEP = 16
DAYS_A_WEEK: dict[DayClass, int] = {
    DayClass.DAILY: 7,
    DayClass.WEEKDAYS: 5,
    DayClass.WEEKENDS: 2,
}


def suggestion_id(kind: SuggestionKind, finding_id: str) -> str:
    """Return the stable id of the suggestion of a finding of `kind`."""
    digest = hashlib.sha256(f"{kind}:{finding_id}".encode()).hexdigest()
    return f"{kind}_{digest[:ID_HEX_DIGITS]}"


def _share(value: float) -> float:
    """Return `value` within 0..1; a value that is not a number counts as 0."""
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0


def _routine(
    pattern: TimeOfDayPattern, names: Mapping[str, EntityFacts]
) -> SuggestionDraft:
    name = entity_name(pattern.entity_id, names)
    phrases = state_phrases(pattern.state)
    when, days = DAY_CLASS_WORDS[pattern.day_class]
    title = f"{phrase(phrases.command, name, pattern.state)} at {pattern.time} {when}"
    description = (
        f"You {phrase(phrases.by_hand, name, pattern.state)} by hand at about "
        f"{pattern.time} on {pattern.support_days} of {pattern.observed_days} {days}."
    )
    kept = pattern.support_days / pattern.observed_days if pattern.observed_days else 0
    return SuggestionDraft(
        suggestion_id=suggestion_id(SuggestionKind.ROUTINE, pattern.pattern_id),
        kind=SuggestionKind.ROUTINE,
        category=habit_category(pattern.entity_id),
        title=clean_text(title, MAX_TITLE),
        description=clean_text(description, MAX_TEXT),
        confidence=_share(pattern.confidence),
        value=_share(kept * DAYS_A_WEEK[pattern.day_class] / 7),
        entities=(pattern.entity_id,),
        source=pattern_summary(pattern),
    )


def _used_together(
    pattern: UsedTogetherPattern, names: Mapping[str, EntityFacts]
) -> SuggestionDraft:
    first = entity_name(pattern.trigger_entity_id, names)
    then = entity_name(pattern.entity_id, names)
    first_phrases = state_phrases(pattern.trigger_state)
    then_phrases = state_phrases(pattern.state)
    title = (
        f"{phrase(then_phrases.command, then, pattern.state)} when "
        f"{phrase(first_phrases.trigger, first, pattern.trigger_state)}"
    )
    description = (
        f"{phrase(then_phrases.happened, then, pattern.state)} within about "
        f"{delay(pattern.median_delay_seconds)} after "
        f"{phrase(first_phrases.happened, first, pattern.trigger_state)}, "
        f"{times(pattern.count)} ({percent(_share(pattern.confidence))} of the time, "
        f"{times_chance(pattern.lift)})."
    )
    return SuggestionDraft(
        suggestion_id=suggestion_id(SuggestionKind.USED_TOGETHER, pattern.pattern_id),
        kind=SuggestionKind.USED_TOGETHER,
        category=habit_category(pattern.entity_id),
        title=clean_text(title, MAX_TITLE),
        description=clean_text(description, MAX_TEXT),
        confidence=_share(pattern.confidence),
        value=_share(pattern.count / PAIR_COUNT_FOR_FULL_VALUE),
        entities=tuple(dict.fromkeys((pattern.trigger_entity_id, pattern.entity_id))),
        source=pattern_summary(pattern),
    )


def becomes_suggestion(pattern: Pattern) -> bool:
    """Tell whether a pattern is proposed as an automation.

    Only an established pattern that no automation covers yet is: a forming one
    has too little evidence to act on, and a pair reported for its reverse view
    alone would fire B too often after A.
    """
    if pattern.automated or pattern.level != PatternLevel.ESTABLISHED:
        return False
    return not (isinstance(pattern, UsedTogetherPattern) and pattern.reverse_only)


def draft_from_pattern(
    pattern: Pattern, names: Mapping[str, EntityFacts]
) -> SuggestionDraft | None:
    """Return the draft of a habit pattern, or None when it is not proposed.

    See `becomes_suggestion`. `names` gives the name and area of the entities it
    knows; the others read as their entity id.
    """
    if not becomes_suggestion(pattern):
        return None
    if isinstance(pattern, TimeOfDayPattern):
        return _routine(pattern, names)
    return _used_together(pattern, names)


# How a title names the moment a household routine's automation runs at.
_MOMENT_TITLES: dict[RoutineKind, str] = {
    RoutineKind.MORNING: "When the morning starts",
    RoutineKind.BEDTIME: "At bedtime",
}


def _clock(minute_of_day: int) -> str:
    return f"{minute_of_day // 60 % 24:02d}:{minute_of_day % 60:02d}"


def _household_follows(routine: HouseholdRoutine) -> list[dict[str, Any]]:
    """Return the usual followers a service can do, as JSON-ready fields."""
    return [
        {
            "entity_id": step.entity_id,
            "state": step.state,
            "typical_delay_seconds": step.typical_delay_seconds,
            "share": round(step.share, 3),
        }
        for step in usual_followers(routine)
        if action_for(step.entity_id, step.state) is not None
    ]


def household_summary(routine: HouseholdRoutine) -> dict[str, Any]:
    """Return a household routine as a suggestion's JSON-ready source."""
    return {
        "routine_id": routine.routine_id,
        "kind": str(routine.kind),
        "day_class": str(routine.day_class),
        "time": _clock(routine.typical_start),
        "window": [_clock(routine.window_start), _clock(routine.window_end)],
        "support_days": routine.support_days,
        "observed_days": routine.observed_days,
        "confidence": round(routine.confidence, 3),
        "level": str(routine.level),
        "follows": _household_follows(routine),
    }


def draft_from_household(
    routine: HouseholdRoutine, names: Mapping[str, EntityFacts]
) -> SuggestionDraft | None:
    """Return the draft of a household routine's automation, or None.

    None when nothing that a service can do usually follows its start (see
    `household.follows`), which includes every forming routine.
    """
    source = household_summary(routine)
    follows: list[dict[str, Any]] = source["follows"]
    if not follows:
        return None
    entities = tuple(step["entity_id"] for step in follows)
    when = DAY_CLASS_WORDS[routine.day_class][0]
    actions = [
        phrase(
            state_phrases(step["state"]).command,
            entity_name(step["entity_id"], names),
            step["state"],
        )
        for step in follows
    ]
    title = f"{_MOMENT_TITLES[routine.kind]} {when}: " + "; ".join(
        action[:1].lower() + action[1:] for action in actions
    )
    description = (
        f"Your {routine.kind} usually starts around {source['time']} "
        f"({routine.support_days} of {routine.observed_days} days), and these "
        "follow within minutes. HA AI runs them as soon as it sees it begin."
    )
    kept = routine.support_days / routine.observed_days if routine.observed_days else 0
    return SuggestionDraft(
        suggestion_id=suggestion_id(SuggestionKind.HOUSEHOLD, routine.routine_id),
        kind=SuggestionKind.HOUSEHOLD,
        category=habit_category(entities[0]),
        title=clean_text(title, MAX_TITLE),
        description=clean_text(description, MAX_TEXT),
        confidence=_share(routine.confidence),
        value=_share(kept * DAYS_A_WEEK[routine.day_class] / 7),
        entities=entities,
        source=source,
    )


def _feature_value(finding: UnusedCapability) -> float:
    """Return the value of a capability's draft: its score over the best one."""
    return _share(finding.score / BEST_FEATURE_SCORE)


def draft_from_capability(finding: UnusedCapability) -> SuggestionDraft:
    """Return the draft of a Zigbee capability nothing uses.

    The judge has worded it already (names cleaned); the texts are bounded again
    here, as they are for every suggestion.
    """
    return SuggestionDraft(
        suggestion_id=suggestion_id(SuggestionKind.FEATURE, finding.opportunity_id),
        kind=SuggestionKind.FEATURE,
        category=feature_category(finding.feature_kind, finding.entity_id),
        title=clean_text(finding.title, MAX_TITLE),
        description=clean_text(finding.description, MAX_TEXT),
        confidence=FEATURE_CONFIDENCE,
        value=_feature_value(finding),
        entities=(finding.entity_id,) if finding.entity_id else (),
        source=asdict(finding),
        how_to_start=clean_text(finding.how_to_start, MAX_TEXT),
    )


def drafts_from_findings(
    patterns: Iterable[Pattern],
    capabilities: Iterable[UnusedCapability],
    names: Mapping[str, EntityFacts],
) -> list[SuggestionDraft]:
    """Return the drafts of one analysis run: its patterns, then its capabilities."""
    drafts = [draft_from_pattern(pattern, names) for pattern in patterns]
    return [draft for draft in drafts if draft is not None] + [
        draft_from_capability(finding) for finding in capabilities
    ]


def capability_drafts(
    findings: Iterable[UnusedCapability],
    *,
    known: Container[str],
    dismissed: Container[str],
    max_new: int,
) -> list[SuggestionDraft]:
    """Return the drafts of the findings that can change the book, in one go.

    See `capability_draft_steps`.
    """
    return run_to_end(
        capability_draft_steps(
            findings, known=known, dismissed=dismissed, max_new=max_new
        )
    )


def capability_draft_steps(
    findings: Iterable[UnusedCapability],
    *,
    known: Container[str],
    dismissed: Container[str],
    max_new: int,
) -> Steps[list[SuggestionDraft]]:
    """Draft the unused capabilities that can change the book, in small steps.

    `known` holds the ids the book has (any status), `dismissed` the ids it
    remembers as dismissed, `max_new` its `max_kept`. Drafted: every finding with
    a known id that is not dismissed, and the best `max_new` of the others (by the
    book's order: rank, then id), best first after the known ones. A dismissed
    id gives no draft: the book would skip it. Why this is enough is in the module
    docstring; the result is what drafting every finding would leave in the book.

    Findings are plain data (frozen) and the containers are read only, so the
    steps can run in an executor job while the event loop goes on.
    """
    chosen: list[UnusedCapability] = []
    best: list[tuple[float, str, int]] = []  # (-rank, id, position), best first
    others: list[UnusedCapability] = []
    batch: list[tuple[float, str, int]] = []
    for count, finding in enumerate(findings, start=1):
        finding_id = suggestion_id(SuggestionKind.FEATURE, finding.opportunity_id)
        if finding_id in dismissed:
            pass
        elif finding_id in known:
            chosen.append(finding)
        elif max_new > 0:
            order = -rank(FEATURE_CONFIDENCE, _feature_value(finding))
            batch.append((order, finding_id, len(others)))
            others.append(finding)
        if count % FINDINGS_PER_STEP == 0:
            best = heapq.nsmallest(max_new, [*best, *batch])
            batch.clear()
            yield
    best = heapq.nsmallest(max_new, [*best, *batch])
    chosen += [others[position] for _, _, position in best]
    drafts: list[SuggestionDraft] = []
    for count, finding in enumerate(chosen, start=1):
        drafts.append(draft_from_capability(finding))
        if count % DRAFTS_PER_STEP == 0:
            yield
    return drafts
