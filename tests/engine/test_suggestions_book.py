"""The suggestion book: merging runs, ranking, the bound, expiry, the lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.ha_ai.engine.suggestions.book import SuggestionBook
from custom_components.ha_ai.engine.suggestions.lifecycle import (
    ALLOWED_TRANSITIONS,
    SuggestionError,
    SuggestionErrorReason,
)
from custom_components.ha_ai.engine.suggestions.model import (
    Suggestion,
    SuggestionDraft,
    SuggestionKind,
    SuggestionStatus,
    rank,
)

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
KEEP = {"max_kept": 50, "expire_after": WEEK}
RENDERED = {
    "alias": "Bedroom light on at 07:00",
    "triggers": [{"trigger": "time", "at": "07:00:00"}],
    "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.bedroom"}}],
}
S = SuggestionStatus


def draft(
    suggestion_id: str = "routine_a", confidence: float = 0.8, **changes: Any
) -> SuggestionDraft:
    fields: dict[str, Any] = {
        "suggestion_id": suggestion_id,
        "kind": SuggestionKind.ROUTINE,
        "category": "lighting",
        "title": f"Title of {suggestion_id}",
        "description": f"Description of {suggestion_id}",
        "confidence": confidence,
        "value": 0.5,
        "entities": ("light.bedroom",),
        "source": {"pattern_id": suggestion_id, "support_days": 20},
    }
    return SuggestionDraft(**(fields | changes))


def record(
    suggestion_id: str = "routine_a",
    status: SuggestionStatus = S.NEW,
    confidence: float = 0.8,
    **changes: Any,
) -> Suggestion:
    base = draft(suggestion_id, confidence)
    facts = {
        field: getattr(base, field) for field in SuggestionDraft.__dataclass_fields__
    }
    return Suggestion(
        **(facts | changes),
        status=status,
        created_at=NOW,
        updated_at=NOW,
        last_seen=NOW,
    )


def test_rank_weighs_confidence_by_value() -> None:
    assert rank(0.8, 1.0) == pytest.approx(0.8)
    assert rank(0.8, 0.0) == pytest.approx(0.4)
    assert draft(confidence=0.6, value=0.5).rank == pytest.approx(0.45)


def test_an_unseen_draft_becomes_new() -> None:
    book = SuggestionBook()
    result = book.merge([draft("routine_b", 0.5), draft("routine_a", 0.9)], NOW, **KEEP)
    assert [s.suggestion_id for s in result.new] == ["routine_a", "routine_b"]
    assert result.refreshed == result.expired == result.dropped == ()
    created = book.get("routine_a")
    assert created is not None
    assert created.status == S.NEW
    assert created.created_at == created.updated_at == created.last_seen == NOW
    assert created.is_open
    assert not created.enriched
    assert len(book) == 2
    assert "routine_a" in book
    assert "routine_c" not in book
    assert book.get("routine_c") is None


def test_a_known_draft_refreshes_its_facts_not_its_status() -> None:
    book = SuggestionBook()
    book.merge([draft()], NOW, **KEEP)
    book.set_status("routine_a", S.ACCEPTED, NOW)
    later = NOW + DAY
    fresher = replace(
        draft(confidence=0.9),
        title="New title",
        source={"support_days": 21},
        automation={"alias": "Morning"},
        how_to_start="Accept it",
    )
    result = book.merge([fresher], later, **KEEP)
    assert result.new == ()
    (refreshed,) = result.refreshed
    assert refreshed.status == S.ACCEPTED
    assert refreshed.confidence == 0.9
    assert refreshed.source == {"support_days": 21}
    assert refreshed.automation == {"alias": "Morning"}
    assert refreshed.how_to_start == "Accept it"
    assert refreshed.title == "New title"
    assert refreshed.last_seen == later
    assert refreshed.created_at == NOW
    assert refreshed.updated_at == NOW


def test_an_enriched_description_survives_a_refresh_of_the_same_automation() -> None:
    book = SuggestionBook()
    book.merge([draft(automation=RENDERED)], NOW, **KEEP)
    book.apply_enrichment("routine_a", "", "Friendly words.")
    again = replace(
        draft(confidence=0.7, automation={**RENDERED, "description": "28 days"}),
        title="Rendered",
    )
    (refreshed,) = book.merge([again], NOW, **KEEP).refreshed
    # HA AI's title follows its finding; the LLM's words stay with its automation.
    assert refreshed.title == "Rendered"
    assert refreshed.description == "Friendly words."
    assert refreshed.enriched
    assert refreshed.confidence == 0.7


def test_a_repeated_draft_counts_once_with_its_best_rank() -> None:
    book = SuggestionBook()
    result = book.merge(
        [draft(confidence=0.3), draft(confidence=0.9), draft(confidence=0.5)],
        NOW,
        **KEEP,
    )
    (created,) = result.new
    assert created.confidence == 0.9


def test_a_dismissed_suggestion_never_comes_back() -> None:
    book = SuggestionBook()
    book.merge([draft()], NOW, **KEEP)
    change = book.set_status("routine_a", S.DISMISSED, NOW)
    assert change.previous == S.NEW
    assert change.current == S.DISMISSED
    assert book.is_dismissed("routine_a")
    for day in range(1, 4):
        result = book.merge([draft(confidence=1.0)], NOW + day * DAY, **KEEP)
        assert result.new == result.refreshed == ()
    dismissed = book.get("routine_a")
    assert dismissed is not None
    assert dismissed.status == S.DISMISSED
    assert dismissed.last_seen == NOW


def test_a_dismissed_id_outlives_its_record() -> None:
    book = SuggestionBook(max_dismissed_records=0)
    book.merge([draft()], NOW, **KEEP)
    book.set_status("routine_a", S.DISMISSED, NOW)
    assert "routine_a" not in book
    assert book.dismissed_ids == ("routine_a",)
    assert book.merge([draft()], NOW + DAY, **KEEP).new == ()
    assert "routine_a" not in book


def test_a_dismissed_record_alone_keeps_it_away_too() -> None:
    book = SuggestionBook([record(status=S.DISMISSED)], max_dismissed_ids=0)
    assert book.dismissed_ids == ()
    assert book.merge([draft()], NOW + DAY, **KEEP).new == ()
    kept = book.get("routine_a")
    assert kept is not None
    assert kept.status == S.DISMISSED


def test_the_oldest_dismissed_ids_are_forgotten_first() -> None:
    book = SuggestionBook(dismissed_ids=["a", "b"], max_dismissed_ids=3)
    book.merge([draft("c"), draft("d")], NOW, **KEEP)
    book.set_status("c", S.DISMISSED, NOW)
    book.set_status("d", S.DISMISSED, NOW + DAY)
    assert book.dismissed_ids == ("b", "c", "d")
    assert not book.is_dismissed("a")


def test_only_the_latest_dismissed_records_are_kept() -> None:
    book = SuggestionBook(max_dismissed_records=2)
    book.merge([draft("a"), draft("b"), draft("c")], NOW, **KEEP)
    for offset, suggestion_id in enumerate(("b", "a", "c")):
        book.set_status(suggestion_id, S.DISMISSED, NOW + offset * DAY)
    assert sorted(s.suggestion_id for s in book.query()) == ["a", "c"]
    assert book.dismissed_ids == ("b", "a", "c")


def test_a_deployed_suggestion_is_not_proposed_again() -> None:
    book = SuggestionBook()
    book.merge([draft()], NOW, **KEEP)
    book.set_status("routine_a", S.ACCEPTED, NOW)
    book.set_status("routine_a", S.DEPLOYED, NOW, automation_id="ha_ai_1")
    later = NOW + DAY
    result = book.merge([draft(confidence=0.2, title="Other")], later, **KEEP)
    assert result.new == result.refreshed == result.expired == ()
    deployed = book.get("routine_a")
    assert deployed is not None
    assert deployed.status == S.DEPLOYED
    assert deployed.last_seen == later
    assert deployed.confidence == 0.8
    assert deployed.automation_id == "ha_ai_1"
    # Deployed ones are records: they never expire.
    assert book.merge([], NOW + 10 * WEEK, **KEEP).expired == ()
    assert "routine_a" in book


def test_stale_suggestions_go_at_once_but_deployed_ones_stay() -> None:
    book = SuggestionBook()
    book.merge([draft("a"), draft("b"), draft("c"), draft("d")], NOW, **KEEP)
    book.set_status("b", S.ACCEPTED, NOW)
    book.set_status("d", S.ACCEPTED, NOW)
    book.set_status("d", S.DEPLOYED, NOW, automation_id="ha_ai_d")
    # "c" is stale but found again in this run: the finding wins.
    result = book.merge([draft("c")], NOW + DAY, **KEEP, stale={"a", "b", "c", "d"})
    assert [s.suggestion_id for s in result.expired] == ["a", "b"]
    assert sorted(s.suggestion_id for s in book.query()) == ["c", "d"]


def test_open_suggestions_expire_when_their_finding_is_gone() -> None:
    book = SuggestionBook()
    book.merge([draft("a"), draft("b"), draft("c")], NOW, **KEEP)
    book.set_status("b", S.ACCEPTED, NOW)
    book.merge([draft("c")], NOW + 5 * DAY, **KEEP)
    assert book.merge([], NOW + WEEK - timedelta(seconds=1), **KEEP).expired == ()
    result = book.merge([], NOW + WEEK, **KEEP)
    assert [s.suggestion_id for s in result.expired] == ["a", "b"]
    assert "a" not in book
    assert "b" not in book
    assert "c" in book
    # Seen again after expiring, it is new again.
    assert [s.suggestion_id for s in book.merge([draft("a")], NOW, **KEEP).new] == ["a"]


def test_no_more_than_max_kept_best_first_and_losers_are_never_created() -> None:
    book = SuggestionBook()
    drafts = [draft(f"d{i}", confidence=i / 10) for i in range(1, 6)]
    result = book.merge(drafts, NOW, max_kept=2, expire_after=WEEK)
    assert [s.suggestion_id for s in result.new] == ["d5", "d4"]
    assert result.dropped == ()
    assert len(book) == 2
    # A better finding pushes the weakest new one out.
    result = book.merge(
        [*drafts, draft("best", 0.95)], NOW, max_kept=2, expire_after=WEEK
    )
    assert [s.suggestion_id for s in result.new] == ["best"]
    assert [s.suggestion_id for s in result.dropped] == ["d4"]
    assert [s.suggestion_id for s in result.refreshed] == ["d5"]
    assert [s.suggestion_id for s in book.query()] == ["best", "d5"]


def test_answered_suggestions_keep_their_place_whatever_their_rank() -> None:
    book = SuggestionBook()
    book.merge([draft("weak", 0.1), draft("weaker", 0.05)], NOW, **KEEP)
    book.set_status("weak", S.ACCEPTED, NOW)
    book.set_status("weaker", S.ACCEPTED, NOW)
    book.set_status("weaker", S.FAILED, NOW, error="boom")
    result = book.merge(
        [draft("weak", 0.1), draft("weaker", 0.05), draft("strong", 0.9)],
        NOW,
        max_kept=2,
        expire_after=WEEK,
    )
    assert result.new == ()
    assert {s.suggestion_id for s in book.query()} == {"weak", "weaker"}
    result = book.merge([draft("strong", 0.9)], NOW, max_kept=-1, expire_after=WEEK)
    assert result.new == ()


@pytest.mark.parametrize("previous", list(S))
@pytest.mark.parametrize("current", list(S))
def test_transitions(previous: SuggestionStatus, current: SuggestionStatus) -> None:
    book = SuggestionBook([record(status=previous)])
    if current in ALLOWED_TRANSITIONS[previous]:
        change = book.set_status("routine_a", current, NOW + DAY)
        assert change.previous == previous
        assert change.current == current
        assert change.suggestion.status == current
        assert change.suggestion.updated_at == NOW + DAY
        assert book.get("routine_a") == change.suggestion
        return
    with pytest.raises(SuggestionError) as raised:
        book.set_status("routine_a", current, NOW + DAY)
    assert raised.value.reason == SuggestionErrorReason.INVALID_TRANSITION
    assert str(raised.value) == (
        f"Suggestion routine_a is {previous}: it cannot become {current}."
    )
    unchanged = book.get("routine_a")
    assert unchanged is not None
    assert unchanged.status == previous


def test_the_lifecycle_table() -> None:
    assert {
        S.NEW: {S.ACCEPTED, S.DISMISSED, S.SNOOZED},
        S.SNOOZED: {S.NEW, S.ACCEPTED, S.DISMISSED},
        S.ACCEPTED: {S.DEPLOYED, S.FAILED, S.DISMISSED},
        S.FAILED: {S.ACCEPTED, S.DISMISSED},
        S.DEPLOYED: {S.DISMISSED},
        S.DISMISSED: set(),
    } == ALLOWED_TRANSITIONS


def test_errors_and_automation_ids_follow_the_status() -> None:
    book = SuggestionBook([record(status=S.ACCEPTED)])
    failed = book.set_status("routine_a", S.FAILED, NOW, error="bad\nentity\x00")
    assert failed.suggestion.error == "bad entity"
    retried = book.set_status("routine_a", S.ACCEPTED, NOW)
    assert retried.suggestion.error is None
    assert book.set_status("routine_a", S.FAILED, NOW).suggestion.error is None
    book.set_status("routine_a", S.ACCEPTED, NOW)
    deployed = book.set_status(
        "routine_a", S.DEPLOYED, NOW, error="ignored", automation_id="ha_ai_a"
    )
    assert deployed.suggestion.error is None
    assert deployed.suggestion.automation_id == "ha_ai_a"
    removed = book.set_status("routine_a", S.DISMISSED, NOW)
    assert removed.suggestion.automation_id == "ha_ai_a"
    assert removed.previous == S.DEPLOYED
    assert book.is_dismissed("routine_a")


def test_unknown_ids_are_refused_readably() -> None:
    book = SuggestionBook()
    with pytest.raises(SuggestionError) as raised:
        book.set_status("nope\n" + "x" * 500, S.ACCEPTED, NOW)
    assert raised.value.reason == SuggestionErrorReason.UNKNOWN_SUGGESTION
    assert raised.value.reason == "unknown_suggestion"
    message = str(raised.value)
    assert message.startswith("There is no suggestion nope x")
    assert "\n" not in message
    assert len(message) < 120
    with pytest.raises(SuggestionError) as raised:
        book.apply_enrichment("nope", "t", "d")
    assert raised.value.reason == SuggestionErrorReason.UNKNOWN_SUGGESTION


def test_enrichment_is_cleaned_and_an_empty_text_keeps_the_rendered_one() -> None:
    book = SuggestionBook([record(automation=RENDERED)])
    enriched = book.apply_enrichment(
        "routine_a",
        "Wake up\n to light " + "!" * 500,
        "  ",
        automation={"alias": "Better"},
    )
    assert enriched.title.startswith("Wake up to light !!")
    assert len(enriched.title) <= 160
    assert enriched.description == "Description of routine_a"
    assert enriched.automation == {"alias": "Better"}
    assert enriched.enriched
    assert book.get("routine_a") == enriched
    kept = book.apply_enrichment("routine_a", "", "New words.")
    assert kept.title == enriched.title
    assert kept.description == "New words."
    assert kept.automation == {"alias": "Better"}


def test_empty_enrichment_changes_nothing() -> None:
    book = SuggestionBook([record()])
    same = book.apply_enrichment("routine_a", " ", "\n")
    assert not same.enriched
    assert same == record()


@pytest.mark.parametrize("status", [S.DEPLOYED, S.DISMISSED])
def test_closed_suggestions_take_no_enrichment(status: SuggestionStatus) -> None:
    book = SuggestionBook([record(status=status)], max_dismissed_records=5)
    with pytest.raises(SuggestionError) as raised:
        book.apply_enrichment("routine_a", "t", "d")
    assert raised.value.reason == SuggestionErrorReason.CLOSED_SUGGESTION
    assert str(raised.value) == (
        f"Suggestion routine_a is {status}: it is no longer rewritten."
    )


def test_query_filters_and_orders_best_first() -> None:
    book = SuggestionBook(
        [
            record("b", confidence=0.5),
            record("a", confidence=0.5),
            record("c", confidence=0.9, status=S.DEPLOYED),
            replace(record("f", confidence=0.7), kind=SuggestionKind.FEATURE),
            record("a", confidence=0.1),  # a repeated id: the first one wins
        ]
    )
    assert [s.suggestion_id for s in book.query()] == ["c", "f", "a", "b"]
    assert [s.suggestion_id for s in book.query(S.NEW)] == ["f", "a", "b"]
    assert [s.suggestion_id for s in book.query(kind=SuggestionKind.FEATURE)] == ["f"]
    assert [s.suggestion_id for s in book.query(S.NEW, SuggestionKind.ROUTINE)] == [
        "a",
        "b",
    ]


def test_counts_and_success_rate() -> None:
    assert SuggestionBook().success_rate() is None
    assert SuggestionBook().counts() == dict.fromkeys(S, 0)
    book = SuggestionBook(
        [
            record("a", status=S.DEPLOYED),
            record("b", status=S.DEPLOYED),
            record("c", status=S.DEPLOYED),
            record("d", status=S.FAILED),
            record("e"),
            record("f", status=S.DISMISSED),
        ]
    )
    assert book.counts() == {
        S.NEW: 1,
        S.ACCEPTED: 0,
        S.DISMISSED: 1,
        S.DEPLOYED: 3,
        S.FAILED: 1,
        S.SNOOZED: 0,
    }
    assert book.success_rate() == 0.75
    assert book.dismissed_ids == ("f",)


# Attacks through an LLM: words that outlive their automation, repeated
# announcements, automations on kinds that deploy none.

LLM_AUTOMATION = {**RENDERED, "triggers": [{"trigger": "time", "at": "06:30:00"}]}


def test_the_llm_automation_and_its_title_stay_while_the_finding_is_the_same() -> None:
    book = SuggestionBook()
    book.merge([draft(automation=RENDERED)], NOW, **KEEP)
    book.apply_enrichment(
        "routine_a", "Turn on light at 06:30", "Friendly.", LLM_AUTOMATION
    )
    (kept,) = book.merge([draft(automation=RENDERED)], NOW + DAY, **KEEP).refreshed
    assert kept.automation == LLM_AUTOMATION
    assert kept.title == "Turn on light at 06:30"
    assert kept.description == "Friendly."
    assert kept.enriched


def test_when_the_rendered_automation_comes_back_the_llm_words_go_with_it() -> None:
    book = SuggestionBook()
    book.merge([draft(automation=RENDERED)], NOW, **KEEP)
    book.apply_enrichment(
        "routine_a", "Turn on light at 06:30", "Friendly.", LLM_AUTOMATION
    )
    moved = {**RENDERED, "triggers": [{"trigger": "time", "at": "07:15:00"}]}
    (refreshed,) = book.merge([draft(automation=moved)], NOW + DAY, **KEEP).refreshed
    # Text and behaviour agree again: all rendered, nothing of the LLM's left.
    assert refreshed.automation == moved
    assert refreshed.title == "Title of routine_a"
    assert refreshed.description == "Description of routine_a"
    assert not refreshed.enriched
    assert refreshed.enriched_for is None


def test_a_stored_enrichment_without_its_fingerprint_goes_at_the_next_refresh() -> None:
    book = SuggestionBook(
        [record(automation=LLM_AUTOMATION, title="Lock the door", enriched=True)]
    )
    (refreshed,) = book.merge([draft(automation=RENDERED)], NOW, **KEEP).refreshed
    assert refreshed.title == "Title of routine_a"
    assert refreshed.automation == RENDERED


def test_a_feature_suggestion_never_takes_an_llm_automation() -> None:
    feature = record("feature_a", kind=SuggestionKind.FEATURE)
    book = SuggestionBook([feature])
    enriched = book.apply_enrichment("feature_a", "", "Friendly.", LLM_AUTOMATION)
    assert enriched.automation is None
    assert enriched.description == "Friendly."


def test_a_suggestion_pushed_past_the_limit_is_not_announced_again() -> None:
    book = SuggestionBook()
    result = book.merge([draft("routine_a", 0.5)], NOW, max_kept=1, expire_after=WEEK)
    assert [item.suggestion_id for item in result.to_announce] == ["routine_a"]
    book.mark_announced(["routine_a"])
    better = draft("routine_b", 0.9)
    result = book.merge(
        [draft("routine_a", 0.5), better], NOW, max_kept=1, expire_after=WEEK
    )
    assert [item.suggestion_id for item in result.dropped] == ["routine_a"]
    book.mark_announced(["routine_b"])
    book.set_status("routine_b", S.DISMISSED, NOW)
    result = book.merge(
        [draft("routine_a", 0.5), better], NOW, max_kept=1, expire_after=WEEK
    )
    # It is back in the list, as new, but it was announced (and enriched) once.
    assert [item.suggestion_id for item in result.new] == ["routine_a"]
    assert result.to_announce == ()
    assert book.was_announced("routine_a")


def test_announced_ids_are_bounded_oldest_forgotten_first() -> None:
    book = SuggestionBook(announced_ids=["a", "b"], max_announced_ids=3)
    book.mark_announced(["c", "a", "d"])
    assert book.announced_ids == ("c", "a", "d")
    assert not book.was_announced("b")
