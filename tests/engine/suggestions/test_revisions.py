"""Revisions of HA AI's automations as suggestions: words, ids, ranking, the book."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from custom_components.ha_ai.engine.automations.revise import Change, Revision
from custom_components.ha_ai.engine.suggestions.book import SuggestionBook
from custom_components.ha_ai.engine.suggestions.evidence import evidence_text
from custom_components.ha_ai.engine.suggestions.model import (
    SuggestionKind,
    SuggestionStatus,
)
from custom_components.ha_ai.engine.suggestions.revisions import (
    FAILING_VALUE,
    STALE_CONFIDENCE,
    STALE_VALUE,
    draft_from_revision,
    revision_id,
)
from custom_components.ha_ai.engine.suggestions.serialize import (
    book_from_store,
    book_to_store,
)
from tests.engine.automations_revise.helpers import candidates, morning, run

NOW = datetime(2026, 2, 1, 12, tzinfo=UTC)
KEEP = {"max_kept": 50, "expire_after": timedelta(days=7)}
WEEKEND_UNDONE = [
    run(1),
    run(2),
    *(run(day, overridden=True, acted="07:40") for day in (5, 6, 12, 13, 19)),
]
FAILED = [run(day, success=False, error="The lamp is gone") for day in (5, 6, 7)]


def weekday_condition() -> Revision:
    return candidates(WEEKEND_UNDONE)[0]


def test_a_changed_automation_is_a_revise_suggestion() -> None:
    revision = weekday_condition()

    draft = draft_from_revision(revision)

    assert draft.kind is SuggestionKind.REVISE
    assert draft.suggestion_id.startswith("revise_")
    assert draft.category == "lighting"
    assert draft.title == (
        "The 06:59 Bedroom light automation: run it only on weekdays"
    )
    assert draft.description == (
        "The 06:59 Bedroom light automation was switched off by hand on 5 of its "
        "last 7 runs, all of them at weekends. Run it only on weekdays."
    )
    assert draft.confidence == draft.value == 5 / 7
    assert draft.entities == ("light.bedroom",)
    assert draft.automation == revision.automation
    assert draft.source == {
        "automation_id": "ha_ai_routine_1",
        "alias": "Bedroom light on at 06:59 every day",
        "reason": "unwanted",
        "change": "replace",
        "evidence": revision.evidence,
        "change_words": "Run it only on weekdays",
        "runs": 7,
        "affected": 5,
        "share": 0.714,
        "missing_entity": None,
        "error": None,
        "idle_days": None,
    }
    assert evidence_text(draft.kind, draft.source, {}) == revision.evidence
    json.dumps(draft.source)


def test_turning_off_and_removing() -> None:
    (failing,) = candidates(FAILED)
    (missing,) = candidates(FAILED, exists=set())
    (stale,) = candidates([], pattern_gone=True)

    off, gone, idle = map(draft_from_revision, (failing, missing, stale))

    assert (off.kind, off.automation) == (SuggestionKind.REVISE, None)
    assert off.title == "The 06:59 Bedroom light automation: turn it off"
    assert (off.confidence, off.value) == (1.0, FAILING_VALUE)
    assert (gone.kind, gone.automation) == (SuggestionKind.REMOVE, None)
    assert gone.suggestion_id.startswith("remove_")
    assert gone.source["missing_entity"] == "light.bedroom"
    assert gone.title == "The 06:59 Bedroom light automation: remove it"
    assert (idle.kind, idle.confidence, idle.value) == (
        SuggestionKind.REMOVE,
        STALE_CONFIDENCE,
        STALE_VALUE,
    )
    assert idle.source["idle_days"] == 50
    assert len({off.suggestion_id, gone.suggestion_id, idle.suggestion_id}) == 3


def test_an_automation_acting_on_nothing_named_is_of_the_other_category() -> None:
    scene = morning(actions=[{"scene": "scene.morning"}])
    (revision,) = candidates(FAILED, scene)

    assert draft_from_revision(revision).category == "other"


def test_the_id_stays_while_the_change_does() -> None:
    first = weekday_condition()
    more_evidence = candidates([*WEEKEND_UNDONE, run(20, overridden=True)])[0]
    renamed = candidates(
        WEEKEND_UNDONE, morning(alias="Renamed", description="Other words")
    )[0]

    assert more_evidence.evidence != first.evidence
    assert revision_id(more_evidence) == revision_id(first)
    assert revision_id(renamed) == revision_id(first)


def test_another_change_or_another_automation_has_another_id() -> None:
    condition, moved, off = candidates(WEEKEND_UNDONE)
    off_for_another = candidates(WEEKEND_UNDONE, morning(mode="restart"))[-1]
    other_id = candidates(WEEKEND_UNDONE, morning(id="ha_ai_other"))[0]

    assert off.change is Change.DISABLE
    ids = {
        revision_id(revision)
        for revision in (condition, moved, off, off_for_another, other_id)
    }
    assert len(ids) == 5


def test_the_same_change_for_another_reason_has_another_id() -> None:
    unwanted_off = candidates(WEEKEND_UNDONE)[-1]
    (failing_off,) = candidates(FAILED)

    assert unwanted_off.change is failing_off.change is Change.DISABLE
    assert revision_id(unwanted_off) != revision_id(failing_off)


def test_a_dismissed_revision_never_comes_back_but_another_can() -> None:
    book = SuggestionBook()
    condition, moved, _off = map(draft_from_revision, candidates(WEEKEND_UNDONE))
    book.merge([condition], NOW, **KEEP)
    book.set_status(condition.suggestion_id, SuggestionStatus.DISMISSED, NOW)

    result = book.merge([condition, moved], NOW + timedelta(days=1), **KEEP)

    assert [item.suggestion_id for item in result.new] == [moved.suggestion_id]
    restored = book_from_store(json.loads(json.dumps(book_to_store(book))))
    again = restored.merge([condition], NOW + timedelta(days=2), **KEEP)
    assert again.new == ()


def test_revisions_round_trip_and_a_stored_removal_carries_no_automation() -> None:
    book = SuggestionBook()
    condition = draft_from_revision(weekday_condition())
    (missing,) = candidates(FAILED, exists=set())
    removal = draft_from_revision(missing)
    book.merge([condition, removal], NOW, **KEEP)
    stored = book_to_store(book)
    for item in stored["suggestions"]:
        if item["kind"] == "remove":
            item["automation"] = {"id": "ha_ai_routine_1", "triggers": []}

    restored = book_from_store(json.loads(json.dumps(stored)))

    got = restored.get(condition.suggestion_id)
    assert got is not None
    assert got.kind is SuggestionKind.REVISE
    assert got.automation == condition.automation
    gone = restored.get(removal.suggestion_id)
    assert gone is not None
    assert (gone.kind, gone.automation) == (SuggestionKind.REMOVE, None)


def test_evidence_of_a_damaged_revision_is_empty() -> None:
    assert evidence_text(SuggestionKind.REVISE, {}, {}) == ""
    assert evidence_text(SuggestionKind.REMOVE, {"evidence": 3}, {}) == ""
    assert (
        evidence_text(SuggestionKind.REMOVE, {"evidence": "Gone\nsince May"}, {})
        == "Gone since May"
    )


def test_odd_shares_are_bounded() -> None:
    revision = replace(weekday_condition(), share=float("nan"))

    assert draft_from_revision(revision).confidence == 0.0
    assert draft_from_revision(replace(revision, share=3.0)).confidence == 1.0
