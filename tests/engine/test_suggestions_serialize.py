"""The suggestion book in the store: round trip and damaged data."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.ha_ai.engine.stored import Drops, UnreadableStoreError
from custom_components.ha_ai.engine.suggestions.book import SuggestionBook
from custom_components.ha_ai.engine.suggestions.findings import (
    draft_from_capability,
    draft_from_pattern,
)
from custom_components.ha_ai.engine.suggestions.model import (
    EntityFacts,
    SuggestionDraft,
    SuggestionKind,
    SuggestionStatus,
)
from custom_components.ha_ai.engine.suggestions.serialize import (
    STORE_VERSION,
    book_from_store,
    book_to_store,
    restore_suggestions_store,
)
from tests.engine.test_suggestions_findings import leak_finding
from tests.habit_helpers import COFFEE, MORNING

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
KEEP = {"max_kept": 50, "expire_after": timedelta(days=7)}
NAMES = {"light.bedroom": EntityFacts("Bedroom light", "Bedroom")}


def drafts() -> list[SuggestionDraft]:
    routine = draft_from_pattern(MORNING, NAMES)
    pair = draft_from_pattern(COFFEE, NAMES)
    assert routine is not None
    assert pair is not None
    routine = replace(routine, automation={"alias": "Morning", "triggers": []})
    return [routine, pair, draft_from_capability(leak_finding())]


def filled_book() -> SuggestionBook:
    book = SuggestionBook()
    routine, pair, feature = drafts()
    book.merge([routine, pair, feature], NOW, **KEEP)
    book.set_status(routine.suggestion_id, SuggestionStatus.ACCEPTED, NOW)
    book.set_status(
        routine.suggestion_id,
        SuggestionStatus.DEPLOYED,
        NOW,
        automation_id="ha_ai_morning",
    )
    book.set_status(pair.suggestion_id, SuggestionStatus.DISMISSED, NOW)
    book.apply_enrichment(feature.suggestion_id, "Know about leaks", "Friendly.")
    return book


def through_json(data: dict[str, Any]) -> Any:
    return json.loads(json.dumps(data))


def test_round_trip_through_json() -> None:
    book = filled_book()
    stored = through_json(book_to_store(book))
    assert stored["version"] == STORE_VERSION
    again = book_from_store(stored)
    assert again.query() == book.query()
    assert again.dismissed_ids == book.dismissed_ids
    assert book_to_store(again) == stored


def test_dismissed_never_returns_after_a_restart() -> None:
    _, pair, _ = drafts()
    again = book_from_store(through_json(book_to_store(filled_book())))
    assert again.is_dismissed(pair.suggestion_id)
    result = again.merge(drafts(), NOW + timedelta(days=1), **KEEP)
    assert result.new == ()
    assert [s.description for s in result.refreshed] == ["Friendly."]


def test_dismissed_ids_alone_keep_suggestions_away_after_a_restart() -> None:
    routine, pair, feature = drafts()
    stored = through_json(book_to_store(filled_book()))
    stored["suggestions"] = []
    again = book_from_store(stored)
    new = again.merge(drafts(), NOW, **KEEP).new
    assert {s.suggestion_id for s in new} == {
        routine.suggestion_id,
        feature.suggestion_id,
    }
    assert pair.suggestion_id not in again


@pytest.mark.parametrize("data", [None, {}])
def test_no_store_gives_an_empty_book(data: object) -> None:
    book = book_from_store(data)
    assert len(book) == 0
    assert book.dismissed_ids == ()


@pytest.mark.parametrize(
    "data", [[], "x", 3, {"suggestions": "x"}, {"version": 2, "suggestions": []}]
)
def test_a_book_of_unknown_shape_or_version_is_unreadable(data: object) -> None:
    # The Home Assistant side sets such a store aside rather than writing over it.
    with pytest.raises(UnreadableStoreError):
        book_from_store(data)


@pytest.mark.parametrize(
    "damage",
    [
        {"suggestion_id": ""},
        {"suggestion_id": 3},
        {"kind": "wish"},
        {"status": "maybe"},
        {"title": None},
        {"confidence": "high"},
        {"confidence": True},
        {"confidence": float("nan")},
        {"value": 10**400},
        {"entities": "light.x"},
        {"entities": [1]},
        {"automation": "alias: x"},
        {"created_at": "yesterday"},
        {"updated_at": None},
    ],
)
def test_a_damaged_suggestion_is_skipped(damage: dict[str, Any]) -> None:
    stored = through_json(book_to_store(filled_book()))
    stored["suggestions"][0].update(damage)
    again = book_from_store(stored)
    assert len(again) == len(filled_book()) - 1


def test_tolerated_oddities() -> None:
    stored = through_json(book_to_store(filled_book()))
    first = stored["suggestions"][0]
    first["confidence"] = 7
    first["value"] = -1
    first["how_to_start"] = None
    first["error"] = 5
    first["enriched"] = "yes"
    first["source"] = []
    first["last_seen"] = "2025-03-01T12:00:00"
    del first["automation_id"]
    stored["suggestions"].append("garbage")
    stored["dismissed_ids"] = ["ok", "", 3, None]
    again = book_from_store(stored)
    loaded = again.get(first["suggestion_id"])
    assert loaded is not None
    assert loaded.confidence == 1.0
    assert loaded.value == 0.0
    assert loaded.how_to_start == ""
    assert loaded.error is None
    assert loaded.automation_id is None
    assert not loaded.enriched
    assert loaded.source == {}
    assert loaded.last_seen == NOW
    assert again.dismissed_ids[0] == "ok"
    assert len(again) == len(filled_book())


def test_dismissed_ids_that_are_not_a_list_are_skipped() -> None:
    stored = through_json(book_to_store(filled_book()))
    stored["dismissed_ids"] = "all"
    again = book_from_store(stored)
    # The dismissed record still remembers its id.
    assert len(again.dismissed_ids) == 1


def test_announced_ids_and_fingerprints_survive_a_restart() -> None:
    book = filled_book()
    book.mark_announced(["routine_x", "pair_y"])
    again = book_from_store(through_json(book_to_store(book)))
    assert again.announced_ids == ("routine_x", "pair_y")
    _, _, feature = drafts()
    stored = again.get(feature.suggestion_id)
    assert stored is not None
    assert stored.enriched_for == "none"


def test_a_stored_feature_with_an_automation_loads_without_it() -> None:
    data = through_json(book_to_store(filled_book()))
    for item in data["suggestions"]:
        item["automation"] = {"alias": "Deploy me", "actions": []}
    data["announced_ids"] = ["ok", 3, ""]
    again = book_from_store(data)
    (feature,) = again.query(kind=SuggestionKind.FEATURE)
    assert feature.automation is None
    assert again.announced_ids == ("ok",)


def test_a_repeated_suggestion_id_is_counted_and_the_first_kept() -> None:
    stored = through_json(book_to_store(filled_book()))
    first = stored["suggestions"][0]
    stored["suggestions"].append({**first, "title": "Another"})
    drops = Drops()
    again = book_from_store(stored, drops)
    kept = again.get(first["suggestion_id"])
    assert kept is not None
    assert kept.title == first["title"]
    assert drops.dropped == {"suggestion: its suggestion_id is repeated": 1}


def test_the_suggestion_store_counts_ids_it_cannot_use() -> None:
    stored = {
        "book": through_json(book_to_store(filled_book())),
        "unannounced": ["a", 3, ""],
    }
    stored["book"]["dismissed_ids"] = "all"
    restored = restore_suggestions_store(stored)
    assert restored.value.unannounced == ["a"]
    assert len(restored.value.book) == len(filled_book())
    assert restored.drops.dropped == {"id to announce: not an id": 2}
    assert restored.drops.reset == {"suggestion store.dismissed_ids": 1}
    with pytest.raises(UnreadableStoreError):
        restore_suggestions_store(["not", "a", "store"])
