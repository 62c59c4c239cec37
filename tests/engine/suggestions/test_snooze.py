"""Snoozing a suggestion: off the new list until its date, then new again, quietly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.ha_ai.engine.stored import Drops
from custom_components.ha_ai.engine.suggestions.book import SuggestionBook
from custom_components.ha_ai.engine.suggestions.lifecycle import (
    SuggestionError,
    SuggestionErrorReason,
)
from custom_components.ha_ai.engine.suggestions.model import (
    SuggestionDraft,
    SuggestionKind,
    SuggestionStatus,
)
from custom_components.ha_ai.engine.suggestions.serialize import (
    book_from_store,
    book_to_store,
)

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
KEEP: dict[str, Any] = {"max_kept": 50, "expire_after": timedelta(days=7)}
S = SuggestionStatus


def draft(suggestion_id: str = "routine_a", confidence: float = 0.8) -> SuggestionDraft:
    return SuggestionDraft(
        suggestion_id=suggestion_id,
        kind=SuggestionKind.ROUTINE,
        category="lighting",
        title=f"Title of {suggestion_id}",
        description=f"Description of {suggestion_id}",
        confidence=confidence,
        value=0.5,
        entities=("light.bedroom",),
        source={"pattern_id": suggestion_id},
    )


def book_with(*suggestion_ids: str) -> SuggestionBook:
    book = SuggestionBook()
    result = book.merge([draft(item) for item in suggestion_ids], NOW, **KEEP)
    book.mark_announced(item.suggestion_id for item in result.to_announce)
    return book


def test_a_snoozed_suggestion_leaves_the_new_list_until_its_date() -> None:
    book = book_with("routine_a", "routine_b")
    change = book.snooze("routine_a", 3, NOW)
    assert (change.previous, change.current) == (S.NEW, S.SNOOZED)
    assert change.suggestion.snoozed_until == NOW + 3 * DAY
    assert [item.suggestion_id for item in book.query(S.NEW)] == ["routine_b"]
    assert book.next_wake == NOW + 3 * DAY

    assert book.wake(NOW + 3 * DAY - timedelta(seconds=1)) == ()
    [woken] = book.wake(NOW + 3 * DAY)
    assert (woken.previous, woken.current) == (S.SNOOZED, S.NEW)
    assert woken.suggestion.snoozed_until is None
    assert book.get("routine_a").status is S.NEW  # type: ignore[union-attr]
    assert book.next_wake is None


def test_snoozing_again_moves_the_date() -> None:
    book = book_with("routine_a")
    book.snooze("routine_a", 3, NOW)
    change = book.snooze("routine_a", 10, NOW + DAY)
    assert change.previous is S.SNOOZED
    assert change.suggestion.snoozed_until == NOW + 11 * DAY


@pytest.mark.parametrize("days", [0, -1, 91])
def test_days_outside_one_to_ninety_are_refused(days: int) -> None:
    book = book_with("routine_a")
    with pytest.raises(SuggestionError) as caught:
        book.snooze("routine_a", days, NOW)
    assert caught.value.reason is SuggestionErrorReason.INVALID_SNOOZE
    assert book.get("routine_a").status is S.NEW  # type: ignore[union-attr]


def test_only_a_new_suggestion_can_be_snoozed() -> None:
    book = book_with("routine_a")
    book.set_status("routine_a", S.ACCEPTED, NOW)
    with pytest.raises(SuggestionError) as caught:
        book.snooze("routine_a", 3, NOW)
    assert caught.value.reason is SuggestionErrorReason.INVALID_TRANSITION
    with pytest.raises(SuggestionError) as unknown:
        book.snooze("routine_nope", 3, NOW)
    assert unknown.value.reason is SuggestionErrorReason.UNKNOWN_SUGGESTION


@pytest.mark.parametrize("answer", [S.ACCEPTED, S.DISMISSED])
def test_a_snoozed_suggestion_can_still_be_answered(answer: S) -> None:
    book = book_with("routine_a")
    book.snooze("routine_a", 3, NOW)
    change = book.set_status("routine_a", answer, NOW + DAY)
    assert change.suggestion.snoozed_until is None
    assert book.next_wake is None
    assert book.wake(NOW + 10 * DAY) == ()


def test_a_snoozed_suggestion_is_refreshed_kept_and_not_announced_again() -> None:
    book = book_with("routine_a", "routine_b")
    book.snooze("routine_a", 3, NOW)
    # Its finding refreshes it, it keeps its place when the number is bounded
    # (the user answered it), and it is not new, so not announced.
    result = book.merge(
        [draft("routine_a", 0.1), draft("routine_b"), draft("routine_c", 0.9)],
        NOW + DAY,
        max_kept=2,
        expire_after=timedelta(days=7),
    )
    assert [item.suggestion_id for item in result.refreshed] == ["routine_a"]
    assert book.get("routine_a").status is S.SNOOZED  # type: ignore[union-attr]
    assert book.get("routine_a").confidence == 0.1  # type: ignore[union-attr]
    assert [item.suggestion_id for item in result.new] == ["routine_c"]
    assert [item.suggestion_id for item in result.dropped] == ["routine_b"]
    book.wake(NOW + 3 * DAY)
    again = book.merge([draft("routine_a")], NOW + 3 * DAY, **KEEP)
    assert again.to_announce == ()


def test_a_snoozed_suggestion_whose_finding_is_gone_expires() -> None:
    book = book_with("routine_a")
    book.snooze("routine_a", 30, NOW)
    result = book.merge([], NOW + 8 * DAY, **KEEP)
    assert [item.suggestion_id for item in result.expired] == ["routine_a"]
    assert book.next_wake is None


def test_the_snooze_survives_a_restart() -> None:
    book = book_with("routine_a")
    book.snooze("routine_a", 3, NOW)
    again = book_from_store(json.loads(json.dumps(book_to_store(book))))
    assert again.get("routine_a") == book.get("routine_a")
    assert again.next_wake == NOW + 3 * DAY


def test_a_store_without_snoozes_still_loads() -> None:
    stored = book_to_store(book_with("routine_a"))
    for item in stored["suggestions"]:
        del item["snoozed_until"]
    again = book_from_store(stored)
    assert again.get("routine_a").snoozed_until is None  # type: ignore[union-attr]


def test_a_damaged_snooze_date_wakes_at_once() -> None:
    book = book_with("routine_a")
    book.snooze("routine_a", 3, NOW)
    stored = book_to_store(book)
    stored["suggestions"][0]["snoozed_until"] = "not a time"
    drops = Drops()
    again = book_from_store(stored, drops)
    assert drops
    assert again.next_wake is None
    [woken] = again.wake(NOW)
    assert woken.current is S.NEW
