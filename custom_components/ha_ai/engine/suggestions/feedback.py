"""What the user's answers say about the suggestions they want: a rank factor.

Every answer is counted under the keys of its suggestion: its category
(`lighting`), its kind, the sort of finding it came from (`routine`,
`used_together`, `household`, `feature`...), and each area its entities are in.
Three answers count:

- **accepted and kept**: an accepted suggestion whose automation was deployed
  (or an accepted feature, which deploys nothing) and not removed since: one on
  each of its keys. When its automation goes (deleted, or the suggestion
  dismissed after all), that one is taken back: `not_kept`, `dismissed`.
- **dismissed**: one on each key.
- **overridden**: each override of a deployed automation (a person undoing what
  it just did) counts once on its suggestion's keys. The Home Assistant side
  hands in each automation's total of overrides (`note_overrides`); the tally
  keeps the total it saw last, in its store, so a restart never counts one twice.

Snoozing says nothing about the kind, and a failed deployment is HA AI's fault,
not the user's answer: neither counts.

The factor of one key is the share of good answers under a Beta(2, 2) prior, two
imagined good and two imagined bad answers, mapped onto 0.5..1.5:
`0.5 + (kept + 2) / (kept + dismissed + overridden + 4)`. Without answers it is
1.0 (neutral); one dismissal makes it 0.9, three 0.79, ten 0.64, and no number
of answers takes it to a bound. The factor of a draft is the geometric mean of
three: its category's, its kind's, and its areas' (the geometric mean of its
areas' factors; 1.0 without area). A mean, not a product: the three keys of one
answer move together (a dismissed kitchen light routine counts on all three), so
multiplying would count each answer three times; and the mean of factors within
the bounds stays within them.

Why bounded to 0.5..1.5: answers are few and say less than they seem (a
dismissal may be about one automation's time, not about its kind), so the factor
reorders suggestions of similar rank, but never buries a kind nor lifts one
above all others: a sure suggestion of a kind the user keeps dismissing still
outranks a guess of less than half its rank, and dismissing that one suggestion
is what makes it go for good.

Memory is bounded whatever the house and whatever the store says: at most
`MAX_KEYS` keys (the one answered least recently forgotten first), `MAX_ACCEPTED`
accepted suggestions (the oldest forgotten first), `MAX_AREAS` areas per
suggestion, names as plain text of at most `MAX_NAME` characters, and counts of
at most `MAX_COUNT`. The same answers in the same order give the same factors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..stored import (
    BadRecordError,
    Drops,
    flag,
    optional_text,
    record,
    required_int,
    required_text,
    text_tuple,
)
from ..zigbee.judge import clean_text

FEEDBACK_MIN = 0.5
FEEDBACK_MAX = 1.5
NEUTRAL = 1.0
# Imagined answers on each side: one real answer moves a key's factor by 0.1.
PRIOR_ANSWERS = 2
MAX_KEYS = 1000
MAX_ACCEPTED = 2000
MAX_AREAS = 16
MAX_NAME = 100
MAX_COUNT = 1_000_000
MAX_ID = 255  # longer texts are not ids HA AI wrote
TALLY_VERSION = 1
_STORE = "suggestion store"
_ANSWER = "feedback answer"
_ACCEPTED = "accepted suggestion"


class Dimension(StrEnum):
    """What a key of the tally groups suggestions by."""

    CATEGORY = "category"
    KIND = "kind"
    AREA = "area"


def _name(value: object) -> str:
    """Return a name as one line of plain text of at most `MAX_NAME` characters."""
    return clean_text(value, MAX_NAME)


def bounded_feedback(value: float) -> float:
    """Return a factor within `FEEDBACK_MIN`..`FEEDBACK_MAX` (1.0: not a number)."""
    if not math.isfinite(value):
        return NEUTRAL
    return min(max(value, FEEDBACK_MIN), FEEDBACK_MAX)


@dataclass(frozen=True, slots=True)
class FeedbackKeys:
    """The keys a suggestion's answers count under: category, kind, areas.

    Build it with `of`, which makes the names plain text and bounds them.
    """

    category: str
    kind: str
    areas: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, category: str, kind: str, areas: Iterable[str | None] = ()
    ) -> FeedbackKeys:
        """Return the keys of a suggestion; its areas sorted, once each, bounded.

        An area without a name is left out; an area name is the user's own
        text, so it is made one line of plain text and cut like any other name.
        """
        names = sorted({_name(area) for area in areas if area} - {""})
        return cls(_name(category), _name(kind), tuple(names[:MAX_AREAS]))

    def pairs(self) -> tuple[tuple[Dimension, str], ...]:
        """Return each key as (dimension, name); an empty name is no key."""
        pairs = [(Dimension.CATEGORY, self.category), (Dimension.KIND, self.kind)]
        pairs += [(Dimension.AREA, area) for area in self.areas]
        return tuple((dimension, name) for dimension, name in pairs if name)


@dataclass(slots=True)
class Answers:
    """The answers counted under one key."""

    kept: int = 0
    dismissed: int = 0
    overridden: int = 0

    @property
    def total(self) -> int:
        """Return how many answers the key has."""
        return self.kept + self.dismissed + self.overridden

    @property
    def factor(self) -> float:
        """Return the key's factor: see the module docstring."""
        good = self.kept + PRIOR_ANSWERS
        every = self.total + 2 * PRIOR_ANSWERS
        return bounded_feedback(
            FEEDBACK_MIN + (FEEDBACK_MAX - FEEDBACK_MIN) * good / every
        )

    def as_dict(self) -> dict[str, int]:
        """Return the counts, ready for JSON."""
        return {
            "kept": self.kept,
            "dismissed": self.dismissed,
            "overridden": self.overridden,
        }


@dataclass(slots=True)
class _Accepted:
    """An accepted suggestion (or one whose automation HA AI follows).

    `kept` tells whether its one "accepted and kept" counts now; `keys` are the
    ones it counted under, so that taking it back takes it from the same keys.
    `overrides_seen` is its automation's total of overrides counted so far.
    """

    keys: FeedbackKeys
    kept: bool
    automation_id: str | None
    overrides_seen: int = 0

    def as_dict(self, suggestion_id: str) -> dict[str, Any]:
        return {
            "suggestion_id": suggestion_id,
            "category": self.keys.category,
            "kind": self.keys.kind,
            "areas": list(self.keys.areas),
            "kept": self.kept,
            "automation_id": self.automation_id,
            "overrides_seen": self.overrides_seen,
        }


def _geometric_mean(factors: list[float]) -> float:
    if not factors:
        return NEUTRAL
    return math.exp(math.fsum(math.log(factor) for factor in factors) / len(factors))


class FeedbackTally:
    """The user's answers per category, kind and area; the factor they give."""

    def __init__(
        self, *, max_keys: int = MAX_KEYS, max_accepted: int = MAX_ACCEPTED
    ) -> None:
        """Start without answers; the bounds are for tests."""
        self._max_keys = max_keys
        self._max_accepted = max_accepted
        # Ordered: the key answered least recently first, the oldest accepted first.
        self._answers: dict[tuple[Dimension, str], Answers] = {}
        self._accepted: dict[str, _Accepted] = {}

    def __len__(self) -> int:
        """Return how many keys have answers."""
        return len(self._answers)

    def answers(self, dimension: Dimension, name: str) -> Answers:
        """Return the answers counted under one key (all zero for an unknown one)."""
        found = self._answers.get((dimension, name))
        return Answers() if found is None else Answers(**found.as_dict())

    def factor(self, keys: FeedbackKeys) -> float:
        """Return the rank factor of a suggestion with these keys (1.0: no answers)."""

        def of(dimension: Dimension, name: str) -> float:
            found = self._answers.get((dimension, name)) if name else None
            return NEUTRAL if found is None else found.factor

        areas = _geometric_mean([of(Dimension.AREA, area) for area in keys.areas])
        return bounded_feedback(
            _geometric_mean(
                [
                    of(Dimension.CATEGORY, keys.category),
                    of(Dimension.KIND, keys.kind),
                    areas,
                ]
            )
        )

    # The answers

    def accepted(
        self,
        suggestion_id: str,
        keys: FeedbackKeys,
        *,
        automation_id: str | None = None,
        overrides_now: int = 0,
    ) -> None:
        """Count a suggestion accepted and kept (its automation deployed, if any).

        `overrides_now` is its automation's total of overrides at this moment:
        only the ones that come after count. Counting a kept one again does nothing.
        """
        known = self._accepted.get(suggestion_id)
        if known is not None and known.kept:
            return
        if known is None:
            known = self._remember(
                suggestion_id,
                _Accepted(keys, kept=False, automation_id=automation_id),
            )
            known.overrides_seen = _count(overrides_now)
        known.keys = keys
        known.kept = True
        known.automation_id = automation_id or known.automation_id
        self._add(keys, kept=1)

    def dismissed(self, suggestion_id: str, keys: FeedbackKeys) -> None:
        """Count a dismissal; a suggestion accepted before is no longer kept."""
        self.not_kept(suggestion_id)
        self._add(keys, dismissed=1)

    def not_kept(self, suggestion_id: str) -> bool:
        """Take back an accepted suggestion's "kept" (its automation is gone).

        Return whether it counted as kept. Its overrides seen stay remembered,
        so an automation still running is never counted twice.
        """
        known = self._accepted.get(suggestion_id)
        if known is None or not known.kept:
            return False
        known.kept = False
        self._add(known.keys, kept=-1)
        return True

    def overrides_seen(self, suggestion_id: str) -> int:
        """Return the total of overrides of a suggestion's automation counted so far."""
        known = self._accepted.get(suggestion_id)
        return 0 if known is None else known.overrides_seen

    def note_overrides(
        self,
        suggestion_id: str,
        keys: FeedbackKeys,
        total: int,
        *,
        automation_id: str | None = None,
    ) -> int:
        """Count the overrides of a suggestion's automation since the last time.

        `total` is the automation's count of overrides now; return how many of
        them are new. They count under the keys the suggestion was accepted
        with, or `keys` for one followed without being accepted here (a remote
        deploy). A total below the one seen (a table started again) counts
        nothing and becomes the one seen.
        """
        known = self._accepted.get(suggestion_id)
        if known is None:
            known = self._remember(
                suggestion_id,
                _Accepted(keys, kept=False, automation_id=automation_id),
            )
        total = _count(total)
        growth = total - known.overrides_seen
        known.overrides_seen = total
        if growth > 0:
            self._add(known.keys, overridden=growth)
        return max(growth, 0)

    def kept_automations(self) -> list[tuple[str, str]]:
        """Return (suggestion id, automation id) of each kept deployed automation."""
        return [
            (suggestion_id, known.automation_id)
            for suggestion_id, known in self._accepted.items()
            if known.kept and known.automation_id is not None
        ]

    def _remember(self, suggestion_id: str, accepted: _Accepted) -> _Accepted:
        """Remember an accepted suggestion; forget the oldest beyond the bound."""
        self._accepted[suggestion_id] = accepted
        while len(self._accepted) > self._max_accepted:
            del self._accepted[next(iter(self._accepted))]
        return accepted

    def _add(
        self,
        keys: FeedbackKeys,
        *,
        kept: int = 0,
        dismissed: int = 0,
        overridden: int = 0,
    ) -> None:
        """Add to the counts of each key; the key becomes the latest answered.

        Taking back from a key that was forgotten does nothing; a key left
        without answers is forgotten.
        """
        for key in keys.pairs():
            answers = self._answers.pop(key, None)
            if answers is None:
                if kept < 0:
                    continue
                answers = Answers()
            answers.kept = _count(answers.kept + kept)
            answers.dismissed = _count(answers.dismissed + dismissed)
            answers.overridden = _count(answers.overridden + overridden)
            if answers.total:
                self._put(key, answers)

    def _put(self, key: tuple[Dimension, str], answers: Answers) -> None:
        self._answers[key] = answers
        while len(self._answers) > self._max_keys:
            del self._answers[next(iter(self._answers))]

    # Store and diagnostics

    def as_dict(self) -> dict[str, Any]:
        """Return the tally as JSON-ready data (what the store keeps)."""
        return {
            "version": TALLY_VERSION,
            "answers": [
                {"dimension": str(dimension), "name": name, **answers.as_dict()}
                for (dimension, name), answers in self._answers.items()
            ],
            "accepted": [
                known.as_dict(suggestion_id)
                for suggestion_id, known in self._accepted.items()
            ],
        }

    def summary(self) -> dict[str, Any]:
        """Return the answers for the diagnostics: per category and kind, areas summed.

        Area names are the user's own words and may name a person ("Emma's
        room"); a diagnostics download is often shared in public, so the areas
        are only counted, like the entities elsewhere in it.
        """
        by: dict[Dimension, dict[str, Answers]] = {d: {} for d in Dimension}
        for (dimension, name), answers in self._answers.items():
            by[dimension][name] = answers
        areas = by[Dimension.AREA].values()
        return {
            "categories": _named(by[Dimension.CATEGORY]),
            "kinds": _named(by[Dimension.KIND]),
            "areas": {
                "count": len(areas),
                "kept": sum(a.kept for a in areas),
                "dismissed": sum(a.dismissed for a in areas),
                "overridden": sum(a.overridden for a in areas),
            },
            "accepted": len(self._accepted),
            "kept_automations": len(self.kept_automations()),
        }


def _named(answers: Mapping[str, Answers]) -> dict[str, dict[str, Any]]:
    return {
        name: {**answers[name].as_dict(), "factor": round(answers[name].factor, 3)}
        for name in sorted(answers)
    }


def _count(value: int) -> int:
    return min(max(value, 0), MAX_COUNT)


# Reading back


def restore_tally(data: object, drops: Drops) -> FeedbackTally:
    """Return the tally stored by `FeedbackTally.as_dict`, each record checked.

    Never raises: the tally is a part of the suggestion store, and losing it
    costs less than setting the store aside. A tally of the wrong shape or
    version reads as empty (counted as reset), a record of the wrong shape is
    left out (counted), and the bounds hold whatever the store says.
    """
    tally = FeedbackTally()
    if data is None:
        return tally
    if not isinstance(data, Mapping) or data.get("version", TALLY_VERSION) != (
        TALLY_VERSION
    ):
        drops.reset_field(_STORE, "feedback")
        return tally
    for item in _records(data, "answers", drops):
        try:
            key, answers = _restored_answers(record(item))
        except BadRecordError as err:
            drops.drop(_ANSWER, str(err))
            continue
        if key in tally._answers:  # noqa: SLF001 - its own restore
            drops.drop(_ANSWER, "its key is repeated")
        elif answers.total:
            tally._put(key, answers)  # noqa: SLF001 - its own restore
    for item in _records(data, "accepted", drops):
        try:
            suggestion_id, accepted = _restored_accepted(record(item), drops)
        except BadRecordError as err:
            drops.drop(_ACCEPTED, str(err))
            continue
        if suggestion_id in tally._accepted:  # noqa: SLF001 - its own restore
            drops.drop(_ACCEPTED, "its suggestion_id is repeated")
        else:
            tally._remember(suggestion_id, accepted)  # noqa: SLF001 - its own restore
    return tally


def _records(data: Mapping[str, object], key: str, drops: Drops) -> list[object]:
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        drops.reset_field(_STORE, f"feedback.{key}")
        return []
    return items


def _restored_answers(
    item: Mapping[str, object],
) -> tuple[tuple[Dimension, str], Answers]:
    dimension = item.get("dimension")
    if not isinstance(dimension, str) or dimension not in set(Dimension):
        raise BadRecordError(f"dimension is not one of {', '.join(Dimension)}")
    name = _name(required_text(item, "name"))
    if not name:
        raise BadRecordError("name is empty")
    counts = {
        key: _stored_count(item, key) for key in ("kept", "dismissed", "overridden")
    }
    return (Dimension(dimension), name), Answers(**counts)


def _restored_accepted(
    item: Mapping[str, object], drops: Drops
) -> tuple[str, _Accepted]:
    suggestion_id = required_text(item, "suggestion_id")
    if len(suggestion_id) > MAX_ID:
        raise BadRecordError("suggestion_id is too long")
    automation_id = optional_text(item, "automation_id", drops, _ACCEPTED)
    if automation_id is not None and len(automation_id) > MAX_ID:
        drops.reset_field(_ACCEPTED, "automation_id")
        automation_id = None
    keys = FeedbackKeys.of(
        required_text(item, "category"),
        required_text(item, "kind"),
        text_tuple(item, "areas", drops, _ACCEPTED),
    )
    if not keys.category or not keys.kind:
        raise BadRecordError("its category or kind is not a name")
    return suggestion_id, _Accepted(
        keys,
        kept=flag(item, "kept", False, drops, _ACCEPTED),  # noqa: FBT003
        automation_id=automation_id,
        overrides_seen=_stored_count(item, "overrides_seen"),
    )


def _stored_count(item: Mapping[str, object], key: str) -> int:
    value = required_int(item, key)
    if value < 0:
        raise BadRecordError(f"{key} is below zero")
    return min(value, MAX_COUNT)
