"""The suggestions HA AI keeps: merged from each analysis run, ranked, answered.

Rules of `merge` (one analysis run's drafts, at `now`):
- An id the book has never seen becomes a `new` suggestion, if it makes the cut
  (below); one that does not is not created, so it is never announced.
- A known open suggestion (new, accepted, failed) gets the facts of its finding
  again: confidence, value, the factor of the user's answers (`feedback`),
  category, entities, source, automation, first step and `last_seen`. Its status
  stays. What an LLM wrote stays while the finding brings
  back the automation the LLM wrote for (same `behaviour_fingerprint`): its
  description, and the automation it narrowed with the title HA AI wrote for
  that automation. When the finding brings another automation, the LLM's words
  and automation go, and the rendered ones come back: text and behaviour never
  disagree.
- Each id is announced (and enriched) once: the book remembers the announced
  ids (the latest `MAX_ANNOUNCED_IDS`), so a suggestion that was dropped or
  expired and is found again is kept as new but not in `to_announce`.
- A dismissed id never comes back: the book remembers the ids of dismissed
  suggestions (the latest `MAX_DISMISSED_IDS`, the oldest forgotten first), longer
  than it keeps their records (the latest `MAX_DISMISSED_RECORDS`).
- A deployed suggestion is not proposed again: it stays as a record of what was
  deployed, and only its `last_seen` moves.
- An open suggestion whose finding was not seen for `expire_after` is removed
  (reported as expired); so is, at once, an open one the caller knows to be
  stale (`stale`: its capability came into use, its device or entity is gone).
- At most `max_kept` open suggestions are kept. Accepted and failed ones are kept
  first, whatever their rank (the user has answered them); the remaining places go
  to the best-ranked of the new ones and the newly found drafts. A new suggestion
  pushed out by better ones is removed (reported as dropped); should it make the
  cut in a later run, it is new again.

A snoozed suggestion (`snooze`) is open: its finding refreshes it and it expires
like a new one, but it is kept first when the number is bounded (the user has
answered it) and left out of the new ones until its date; `wake` makes it new
again then. It was announced when it was first new, so it is not announced again.

Status changes follow `lifecycle.ALLOWED_TRANSITIONS`. Every list is best first:
rank descending (`model.rank`), then id.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from ..zigbee.judge import clean_text
from .behaviour import behaviour_fingerprint
from .findings import MAX_TEXT, MAX_TITLE
from .lifecycle import (
    MAX_SNOOZE_DAYS,
    MIN_SNOOZE_DAYS,
    SNOOZABLE_STATUSES,
    SuggestionError,
    SuggestionErrorReason,
    can_change,
)
from .model import (
    Suggestion,
    SuggestionDraft,
    SuggestionKind,
    SuggestionStatus,
    order_key,
)

MAX_DISMISSED_IDS = 10_000
MAX_ANNOUNCED_IDS = 10_000
MAX_DISMISSED_RECORDS = 100
MAX_ERROR = 500
MAX_ID_IN_MESSAGE = 80
# Answered by the user: kept before any new suggestion when the number is bounded.
ANSWERED_STATUSES = frozenset(
    {SuggestionStatus.ACCEPTED, SuggestionStatus.FAILED, SuggestionStatus.SNOOZED}
)


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What one merge changed; each list is best first."""

    new: tuple[Suggestion, ...]  # announce each one, once
    refreshed: tuple[Suggestion, ...]  # open ones whose finding was seen again
    expired: tuple[Suggestion, ...]  # open ones whose finding is gone
    dropped: tuple[Suggestion, ...]  # new ones pushed out by better ones
    to_announce: tuple[Suggestion, ...] = ()  # new ones never announced before


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A status change: the suggestion as it is now, and where it came from."""

    suggestion: Suggestion
    previous: SuggestionStatus
    current: SuggestionStatus


# What a finding says, as opposed to what the book adds (status, times, enrichment).
_FACTS = tuple(field.name for field in fields(SuggestionDraft))


def _refreshed(
    suggestion: Suggestion, draft: SuggestionDraft, now: datetime
) -> Suggestion:
    """Return an open suggestion with the facts of its finding seen again.

    What an LLM wrote stays while the finding's automation is the one it wrote
    for; otherwise it goes, and the rendered words and automation come back.
    """
    kept: tuple[str, ...] = ()
    if suggestion.enriched:
        if behaviour_fingerprint(draft.automation) != suggestion.enriched_for:
            return replace(
                suggestion,
                **{name: getattr(draft, name) for name in _FACTS},
                last_seen=now,
                enriched=False,
                enriched_for=None,
            )
        kept = ("description",)
        if behaviour_fingerprint(suggestion.automation) != suggestion.enriched_for:
            kept += ("title", "automation")  # the LLM's narrowed automation
    facts = {name: getattr(draft, name) for name in _FACTS if name not in kept}
    return replace(suggestion, **facts, last_seen=now)


def _created(draft: SuggestionDraft, now: datetime) -> Suggestion:
    """Return a new suggestion of a draft."""
    return Suggestion(
        **{name: getattr(draft, name) for name in _FACTS},
        status=SuggestionStatus.NEW,
        created_at=now,
        updated_at=now,
        last_seen=now,
    )


def _ranked(suggestions: Iterable[Suggestion]) -> tuple[Suggestion, ...]:
    return tuple(sorted(suggestions, key=order_key))


class SuggestionBook:
    """The suggestions by id, and the ids of the dismissed ones."""

    def __init__(  # noqa: PLR0913 - the records, the two id memories, their bounds
        self,
        suggestions: Iterable[Suggestion] = (),
        dismissed_ids: Iterable[str] = (),
        *,
        max_dismissed_ids: int = MAX_DISMISSED_IDS,
        max_dismissed_records: int = MAX_DISMISSED_RECORDS,
        announced_ids: Iterable[str] = (),
        max_announced_ids: int = MAX_ANNOUNCED_IDS,
    ) -> None:
        """Hold `suggestions` (the first of a repeated id wins) and `dismissed_ids`.

        `dismissed_ids` are oldest first; the ids of dismissed suggestions among
        `suggestions` are remembered as dismissed too. `announced_ids` (oldest
        first) were announced already and are not announced again.
        """
        self._max_dismissed_ids = max_dismissed_ids
        self._max_dismissed_records = max_dismissed_records
        self._max_announced_ids = max_announced_ids
        self._items: dict[str, Suggestion] = {}
        # Ordered sets: insertion order is the order of dismissal, of announcement.
        self._dismissed: dict[str, None] = {}
        self._announced: dict[str, None] = {}
        self.mark_announced(announced_ids)
        for suggestion_id in dismissed_ids:
            self._remember_dismissed(suggestion_id)
        for suggestion in suggestions:
            self._items.setdefault(suggestion.suggestion_id, suggestion)
        for suggestion in self._items.values():
            if suggestion.status == SuggestionStatus.DISMISSED:
                self._remember_dismissed(suggestion.suggestion_id)
        self._forget_old_dismissed_records()

    def __len__(self) -> int:
        """Return how many suggestions the book holds, in any status."""
        return len(self._items)

    def __contains__(self, suggestion_id: object) -> bool:
        """Return whether the book holds a suggestion with this id."""
        return suggestion_id in self._items

    @property
    def dismissed_ids(self) -> tuple[str, ...]:
        """Return the remembered ids of dismissed suggestions, oldest first."""
        return tuple(self._dismissed)

    def is_dismissed(self, suggestion_id: str) -> bool:
        """Return whether the suggestion was dismissed (and so never returns)."""
        return suggestion_id in self._dismissed

    @property
    def announced_ids(self) -> tuple[str, ...]:
        """Return the remembered ids of announced suggestions, oldest first."""
        return tuple(self._announced)

    def was_announced(self, suggestion_id: str) -> bool:
        """Return whether the suggestion was announced (and enriched) already."""
        return suggestion_id in self._announced

    def mark_announced(self, suggestion_ids: Iterable[str]) -> None:
        """Remember announced ids; forget the oldest ones beyond the bound."""
        for suggestion_id in suggestion_ids:
            self._announced.pop(suggestion_id, None)
            self._announced[suggestion_id] = None
        while len(self._announced) > self._max_announced_ids:
            del self._announced[next(iter(self._announced))]

    def get(self, suggestion_id: str) -> Suggestion | None:
        """Return the suggestion with this id, or None."""
        return self._items.get(suggestion_id)

    def query(
        self,
        status: SuggestionStatus | None = None,
        kind: SuggestionKind | None = None,
    ) -> list[Suggestion]:
        """Return the suggestions of a status and of a kind (None: any), best first."""
        return sorted(
            (
                suggestion
                for suggestion in self._items.values()
                if (status is None or suggestion.status == status)
                and (kind is None or suggestion.kind == kind)
            ),
            key=order_key,
        )

    def counts(self) -> dict[SuggestionStatus, int]:
        """Return how many suggestions the book holds in each status.

        Dismissed ones count as far as their records are kept (the latest
        `MAX_DISMISSED_RECORDS`).
        """
        counts: dict[SuggestionStatus, int] = dict.fromkeys(SuggestionStatus, 0)
        for suggestion in self._items.values():
            counts[suggestion.status] += 1
        return counts

    def success_rate(self) -> float | None:
        """Return deployed / (deployed + failed), or None before any attempt."""
        counts = self.counts()
        attempts = counts[SuggestionStatus.DEPLOYED] + counts[SuggestionStatus.FAILED]
        if not attempts:
            return None
        return counts[SuggestionStatus.DEPLOYED] / attempts

    def merge(
        self,
        drafts: Iterable[SuggestionDraft],
        now: datetime,
        *,
        max_kept: int,
        expire_after: timedelta,
        stale: Collection[str] = (),
    ) -> MergeResult:
        """Take in one analysis run's drafts; see the module docstring for the rules.

        A draft repeated within the run counts once, with its best rank.
        """
        seen: dict[str, SuggestionDraft] = {}
        for draft in drafts:
            earlier = seen.get(draft.suggestion_id)
            if earlier is None or draft.rank > earlier.rank:
                seen[draft.suggestion_id] = draft
        found: list[SuggestionDraft] = []
        refreshed: list[str] = []
        for suggestion_id, draft in seen.items():
            if suggestion_id in self._dismissed:
                continue
            known = self._items.get(suggestion_id)
            if known is None:
                found.append(draft)
            elif known.status == SuggestionStatus.DEPLOYED:
                self._items[suggestion_id] = replace(known, last_seen=now)
            elif known.is_open:
                self._items[suggestion_id] = _refreshed(known, draft, now)
                refreshed.append(suggestion_id)
        expired = [
            suggestion
            for suggestion in self._items.values()
            if suggestion.is_open
            and suggestion.suggestion_id not in seen
            and (
                now - suggestion.last_seen >= expire_after
                or suggestion.suggestion_id in stale
            )
        ]
        for suggestion in expired:
            del self._items[suggestion.suggestion_id]
        new, dropped = self._bound(found, now, max_kept)
        return MergeResult(
            new=new,
            refreshed=_ranked(
                self._items[suggestion_id]
                for suggestion_id in refreshed
                if suggestion_id in self._items
            ),
            expired=_ranked(expired),
            dropped=dropped,
            to_announce=tuple(
                item for item in new if item.suggestion_id not in self._announced
            ),
        )

    def _bound(
        self, found: list[SuggestionDraft], now: datetime, max_kept: int
    ) -> tuple[tuple[Suggestion, ...], tuple[Suggestion, ...]]:
        """Keep at most `max_kept` open suggestions; return the new and the dropped."""
        answered = sum(
            suggestion.status in ANSWERED_STATUSES
            for suggestion in self._items.values()
        )
        places = max(max_kept - answered, 0)
        contenders: list[SuggestionDraft] = [
            suggestion
            for suggestion in self._items.values()
            if suggestion.status == SuggestionStatus.NEW
        ]
        contenders.extend(found)
        contenders.sort(key=order_key)
        new: list[Suggestion] = []
        for draft in contenders[:places]:
            if draft.suggestion_id not in self._items:
                created = _created(draft, now)
                self._items[draft.suggestion_id] = created
                new.append(created)
        dropped = [
            self._items.pop(draft.suggestion_id)
            for draft in contenders[places:]
            if draft.suggestion_id in self._items
        ]
        return tuple(new), tuple(dropped)

    def set_status(
        self,
        suggestion_id: str,
        status: SuggestionStatus,
        now: datetime,
        *,
        error: str | None = None,
        automation_id: str | None = None,
    ) -> StatusChange:
        """Move a suggestion to `status`, as `lifecycle` allows.

        `error` is kept for `failed` (and cleared by any other status);
        `automation_id` is kept once deployed. Raises SuggestionError for an
        unknown id (`unknown_suggestion`) or a refused change
        (`invalid_transition`).
        """
        known = self._require(suggestion_id)
        if not can_change(known.status, status):
            raise SuggestionError(
                SuggestionErrorReason.INVALID_TRANSITION,
                f"Suggestion {known.suggestion_id} is {known.status}: "
                f"it cannot become {status}.",
            )
        changed = replace(
            known,
            status=status,
            updated_at=now,
            error=(
                clean_text(error, MAX_ERROR) or None
                if status == SuggestionStatus.FAILED and error
                else None
            ),
            automation_id=(
                automation_id
                if status == SuggestionStatus.DEPLOYED and automation_id
                else known.automation_id
            ),
            snoozed_until=None,
        )
        self._items[suggestion_id] = changed
        if status == SuggestionStatus.DISMISSED:
            self._remember_dismissed(suggestion_id)
            self._forget_old_dismissed_records()
        return StatusChange(suggestion=changed, previous=known.status, current=status)

    def snooze(self, suggestion_id: str, days: int, now: datetime) -> StatusChange:
        """Put a new (or snoozed) suggestion off for `days` days from `now`.

        Raises SuggestionError for an unknown id (`unknown_suggestion`), a
        suggestion that is neither new nor snoozed (`invalid_transition`), or a
        number of days outside 1..`MAX_SNOOZE_DAYS` (`invalid_snooze`).
        """
        known = self._require(suggestion_id)
        if not MIN_SNOOZE_DAYS <= days <= MAX_SNOOZE_DAYS:
            raise SuggestionError(
                SuggestionErrorReason.INVALID_SNOOZE,
                f"A suggestion is snoozed for {MIN_SNOOZE_DAYS} to "
                f"{MAX_SNOOZE_DAYS} days, not {days}.",
            )
        if known.status not in SNOOZABLE_STATUSES:
            raise SuggestionError(
                SuggestionErrorReason.INVALID_TRANSITION,
                f"Suggestion {known.suggestion_id} is {known.status}: "
                "only a new one can be snoozed.",
            )
        changed = replace(
            known,
            status=SuggestionStatus.SNOOZED,
            updated_at=now,
            snoozed_until=now + timedelta(days=days),
        )
        self._items[suggestion_id] = changed
        return StatusChange(
            suggestion=changed, previous=known.status, current=changed.status
        )

    def wake(self, now: datetime) -> tuple[StatusChange, ...]:
        """Make the snoozed suggestions whose date has come new again, best first.

        A snoozed suggestion without a date (a damaged store) wakes at once.
        """
        woken: list[StatusChange] = []
        for suggestion in self.query(SuggestionStatus.SNOOZED):
            until = suggestion.snoozed_until
            if until is None or until <= now:
                woken.append(
                    self.set_status(suggestion.suggestion_id, SuggestionStatus.NEW, now)
                )
        return tuple(woken)

    @property
    def next_wake(self) -> datetime | None:
        """Return when the first snoozed suggestion becomes new again (None: none)."""
        return min(
            (
                suggestion.snoozed_until
                for suggestion in self._items.values()
                if suggestion.status == SuggestionStatus.SNOOZED
                and suggestion.snoozed_until is not None
            ),
            default=None,
        )

    def apply_enrichment(
        self,
        suggestion_id: str,
        title: str,
        description: str,
        automation: Mapping[str, Any] | None = None,
    ) -> Suggestion:
        """Put an LLM's description and (optionally) narrowed automation in.

        `title` is the one HA AI wrote for `automation` (an empty one keeps the
        current title). The texts are data: cleaned and bounded like any other;
        an empty one leaves the current text. The words are tied to the
        automation the suggestion carries now (see `merge`). A suggestion without
        an automation (an unused capability) never takes one: `automation` is
        ignored. Only open suggestions take enrichment: a deployed one describes
        what runs, a dismissed one is done. Raises SuggestionError
        (`unknown_suggestion`, `closed_suggestion`).
        """
        known = self._require(suggestion_id)
        if not known.is_open:
            raise SuggestionError(
                SuggestionErrorReason.CLOSED_SUGGESTION,
                f"Suggestion {known.suggestion_id} is {known.status}: "
                "it is no longer rewritten.",
            )
        title = clean_text(title, MAX_TITLE)
        description = clean_text(description, MAX_TEXT)
        changed = replace(
            known,
            title=title or known.title,
            description=description or known.description,
            automation=(
                known.automation
                if automation is None or known.automation is None
                else automation
            ),
            enriched=known.enriched or bool(title or description),
            enriched_for=(
                behaviour_fingerprint(known.automation)
                if not known.enriched and (title or description)
                else known.enriched_for
            ),
        )
        self._items[suggestion_id] = changed
        return changed

    def _require(self, suggestion_id: str) -> Suggestion:
        """Return the suggestion with this id, or raise `unknown_suggestion`."""
        known = self._items.get(suggestion_id)
        if known is None:
            shown = clean_text(suggestion_id, MAX_ID_IN_MESSAGE)
            raise SuggestionError(
                SuggestionErrorReason.UNKNOWN_SUGGESTION,
                f"There is no suggestion {shown}.",
            )
        return known

    def _remember_dismissed(self, suggestion_id: str) -> None:
        """Remember a dismissed id; forget the oldest ones beyond the bound."""
        self._dismissed[suggestion_id] = None
        while len(self._dismissed) > self._max_dismissed_ids:
            del self._dismissed[next(iter(self._dismissed))]

    def _forget_old_dismissed_records(self) -> None:
        """Keep the records of the latest dismissed suggestions only.

        Their ids stay remembered longer: the records are large, the ids small.
        """
        dismissed = sorted(
            (s for s in self._items.values() if s.status == SuggestionStatus.DISMISSED),
            key=lambda suggestion: suggestion.updated_at,
            reverse=True,
        )
        for suggestion in dismissed[self._max_dismissed_records :]:
            del self._items[suggestion.suggestion_id]
