"""The user's answers as a rank factor: neutral, smoothed, bounded, stored."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.ha_ai.engine.stored import Drops
from custom_components.ha_ai.engine.suggestions.book import SuggestionBook
from custom_components.ha_ai.engine.suggestions.feedback import (
    FEEDBACK_MAX,
    FEEDBACK_MIN,
    MAX_AREAS,
    MAX_COUNT,
    MAX_NAME,
    Answers,
    Dimension,
    FeedbackKeys,
    FeedbackTally,
    bounded_feedback,
    restore_tally,
)
from custom_components.ha_ai.engine.suggestions.model import (
    SuggestionDraft,
    SuggestionKind,
    SuggestionStatus,
    order_key,
    rank,
)
from custom_components.ha_ai.engine.suggestions.serialize import (
    book_from_store,
    book_to_store,
    restore_suggestions_store,
)

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
KEEP: dict[str, Any] = {"max_kept": 50, "expire_after": timedelta(days=7)}
KITCHEN_LIGHTS = FeedbackKeys.of("lighting", "routine", ["Kitchen"])
OFFICE_SWITCH = FeedbackKeys.of("appliances", "used_together", ["Office"])


def through_json(data: Any) -> Any:
    return json.loads(json.dumps(data))


def draft(
    suggestion_id: str, confidence: float = 0.8, **changes: Any
) -> SuggestionDraft:
    fields: dict[str, Any] = {
        "suggestion_id": suggestion_id,
        "kind": SuggestionKind.ROUTINE,
        "category": "lighting",
        "title": suggestion_id,
        "description": suggestion_id,
        "confidence": confidence,
        "value": 0.5,
        "entities": ("light.kitchen",),
        "source": {},
    }
    return SuggestionDraft(**(fields | changes))


def dismissed(tally: FeedbackTally, keys: FeedbackKeys, times: int) -> None:
    for number in range(times):
        tally.dismissed(f"d{number}_{keys.kind}", keys)


# The factor


def test_without_answers_the_factor_is_neutral() -> None:
    tally = FeedbackTally()
    assert tally.factor(KITCHEN_LIGHTS) == 1.0
    assert tally.factor(FeedbackKeys.of("", "", [])) == 1.0
    assert Answers().factor == 1.0
    assert len(tally) == 0


def test_one_dismissal_moves_it_a_little_many_move_it_more() -> None:
    tally = FeedbackTally()
    factors = [tally.factor(KITCHEN_LIGHTS)]
    for number in range(12):
        tally.dismissed(f"s{number}", KITCHEN_LIGHTS)
        factors.append(tally.factor(KITCHEN_LIGHTS))
    # A Beta(2, 2) prior: one answer of four imagined and real ones.
    assert factors[1] == pytest.approx(0.9)
    assert factors[3] == pytest.approx(0.5 + 2 / 7)
    assert factors == sorted(factors, reverse=True)
    assert len(set(factors)) == len(factors)
    assert factors[-1] > FEEDBACK_MIN
    assert tally.answers(Dimension.KIND, "routine") == Answers(dismissed=12)


def test_accepted_and_kept_raises_it() -> None:
    tally = FeedbackTally()
    tally.accepted("s1", KITCHEN_LIGHTS, automation_id="ha_ai_s1")
    assert tally.factor(KITCHEN_LIGHTS) == pytest.approx(1.1)
    tally.accepted("s2", KITCHEN_LIGHTS)  # a feature: nothing deployed, kept
    assert tally.factor(KITCHEN_LIGHTS) == pytest.approx(0.5 + 4 / 6)
    # Accepting a kept one again counts nothing.
    tally.accepted("s1", KITCHEN_LIGHTS, automation_id="ha_ai_s1")
    assert tally.answers(Dimension.AREA, "Kitchen").kept == 2
    assert tally.kept_automations() == [("s1", "ha_ai_s1")]


def test_the_factor_never_leaves_its_bounds() -> None:
    tally = FeedbackTally()
    good = FeedbackKeys.of("climate", "household", ["Hall"])
    for number in range(MAX_COUNT // 1000):
        tally.accepted(f"k{number}", good)
    tally.note_overrides("o", KITCHEN_LIGHTS, 10**12)
    assert FEEDBACK_MAX - 0.01 < tally.factor(good) <= FEEDBACK_MAX
    assert FEEDBACK_MIN <= tally.factor(KITCHEN_LIGHTS) < FEEDBACK_MIN + 0.01
    assert tally.answers(Dimension.KIND, "routine").overridden == MAX_COUNT


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["accept", "dismiss", "override", "remove"]),
            st.integers(0, 5),
            st.integers(0, 30),
        ),
        max_size=60,
    )
)
def test_any_answers_give_a_factor_within_bounds_and_the_same_twice(
    answers: list[tuple[str, int, int]],
) -> None:
    def play() -> FeedbackTally:
        tally = FeedbackTally(max_keys=4, max_accepted=3)
        for what, number, total in answers:
            keys = FeedbackKeys.of(
                ["lighting", "climate"][number % 2], "routine", [f"Area {number}"]
            )
            if what == "accept":
                tally.accepted(f"s{number}", keys, automation_id=f"a{number}")
            elif what == "dismiss":
                tally.dismissed(f"s{number}", keys)
            elif what == "override":
                tally.note_overrides(f"s{number}", keys, total)
            else:
                tally.not_kept(f"s{number}")
        return tally

    tally, again = play(), play()
    assert tally.as_dict() == again.as_dict()
    assert len(tally) <= 4
    assert len(tally.as_dict()["accepted"]) <= 3
    for number in range(6):
        keys = FeedbackKeys.of("lighting", "routine", [f"Area {number}"])
        assert FEEDBACK_MIN <= tally.factor(keys) <= FEEDBACK_MAX
        assert tally.factor(keys) == again.factor(keys)
    for entry in tally.as_dict()["answers"]:
        assert min(entry["kept"], entry["dismissed"], entry["overridden"]) >= 0


def test_the_factor_is_the_mean_of_category_kind_and_areas() -> None:
    tally = FeedbackTally()
    dismissed(tally, KITCHEN_LIGHTS, 3)
    low = 0.5 + 2 / 7
    assert tally.factor(KITCHEN_LIGHTS) == pytest.approx(low)
    # Another kind, category and area: untouched.
    assert tally.factor(OFFICE_SWITCH) == 1.0
    # A routine of another category elsewhere: only its kind is like them.
    climate = FeedbackKeys.of("climate", "routine", ["Office"])
    assert tally.factor(climate) == pytest.approx(low ** (1 / 3))
    # Areas count as one: the mean of a suggestion's areas.
    two_areas = FeedbackKeys.of("climate", "household", ["Kitchen", "Office"])
    assert tally.factor(two_areas) == pytest.approx(low ** (1 / 6))
    no_area = FeedbackKeys.of("lighting", "feature")
    assert tally.factor(no_area) == pytest.approx(low ** (1 / 3))


# Overrides


def test_overrides_count_once_each_under_the_keys_it_was_accepted_with() -> None:
    tally = FeedbackTally()
    tally.accepted("s1", KITCHEN_LIGHTS, automation_id="ha_ai_s1", overrides_now=2)
    assert tally.overrides_seen("s1") == 2
    # Only what comes after the accept counts; the same total twice counts once.
    assert tally.note_overrides("s1", OFFICE_SWITCH, 5) == 3
    assert tally.note_overrides("s1", OFFICE_SWITCH, 5) == 0
    assert tally.answers(Dimension.KIND, "routine") == Answers(kept=1, overridden=3)
    assert tally.answers(Dimension.KIND, "used_together") == Answers()
    assert tally.factor(KITCHEN_LIGHTS) == pytest.approx(0.5 + 3 / 8)
    # A table that started again: nothing counted, its total is the one seen.
    assert tally.note_overrides("s1", KITCHEN_LIGHTS, 1) == 0
    assert tally.overrides_seen("s1") == 1
    assert tally.note_overrides("s1", KITCHEN_LIGHTS, 2) == 1


def test_an_automation_followed_without_an_accept_here_counts_its_overrides() -> None:
    tally = FeedbackTally()
    assert tally.overrides_seen("remote") == 0
    assert tally.note_overrides("remote", OFFICE_SWITCH, 2, automation_id="a") == 2
    assert tally.answers(Dimension.AREA, "Office") == Answers(overridden=2)
    # It never counted as kept, so nothing is taken back.
    assert tally.kept_automations() == []
    assert not tally.not_kept("remote")
    tally.accepted("remote", OFFICE_SWITCH, automation_id="a", overrides_now=9)
    assert tally.overrides_seen("remote") == 2  # what was counted stays counted
    assert tally.kept_automations() == [("remote", "a")]


def test_the_overrides_seen_survive_a_restart() -> None:
    tally = FeedbackTally()
    tally.accepted("s1", KITCHEN_LIGHTS, automation_id="ha_ai_s1")
    tally.note_overrides("s1", KITCHEN_LIGHTS, 4)
    drops = Drops()
    again = restore_tally(through_json(tally.as_dict()), drops)
    assert drops.dropped_count == drops.reset_count == 0
    assert again.note_overrides("s1", KITCHEN_LIGHTS, 4) == 0
    assert again.factor(KITCHEN_LIGHTS) == tally.factor(KITCHEN_LIGHTS)
    assert again.as_dict() == tally.as_dict()


# Taking back


def test_a_removed_automation_is_no_longer_kept() -> None:
    tally = FeedbackTally()
    tally.accepted("s1", KITCHEN_LIGHTS, automation_id="ha_ai_s1")
    assert tally.not_kept("s1")
    assert not tally.not_kept("s1")
    assert tally.factor(KITCHEN_LIGHTS) == 1.0
    assert len(tally) == 0  # keys without answers are forgotten
    assert tally.kept_automations() == []
    # Its overrides are still remembered: the automation may still run.
    tally.note_overrides("s1", KITCHEN_LIGHTS, 1)
    assert tally.answers(Dimension.KIND, "routine") == Answers(overridden=1)


def test_dismissing_an_accepted_one_takes_its_kept_back() -> None:
    tally = FeedbackTally()
    tally.accepted("s1", KITCHEN_LIGHTS)
    tally.dismissed("s1", KITCHEN_LIGHTS)
    assert tally.answers(Dimension.CATEGORY, "lighting") == Answers(dismissed=1)
    assert tally.factor(KITCHEN_LIGHTS) == pytest.approx(0.9)


# Bounds and hostile names


def test_area_names_are_plain_text_cut_and_bounded() -> None:
    hostile = "Kitchen\n\u202e<b>" + "x" * 500
    keys = FeedbackKeys.of(
        "lighting",
        "routine",
        [hostile, None, "", "Hall", "Hall", *(f"Room {n:02}" for n in range(40))],
    )
    assert len(keys.areas) == MAX_AREAS
    assert keys.areas == tuple(sorted(keys.areas))
    assert "Hall" in keys.areas
    (cut,) = [area for area in keys.areas if area.startswith("Kitchen")]
    assert len(cut) == MAX_NAME
    assert "\n" not in cut
    assert "\u202e" not in cut
    tally = FeedbackTally()
    tally.dismissed("s", keys)
    assert all(len(entry["name"]) <= MAX_NAME for entry in tally.as_dict()["answers"])


def test_the_least_recently_answered_key_is_forgotten_first() -> None:
    tally = FeedbackTally(max_keys=4)
    tally.dismissed("a", FeedbackKeys.of("lighting", "routine", ["Kitchen"]))
    tally.dismissed("b", FeedbackKeys.of("lighting", "routine"))  # lighting, routine
    tally.dismissed("c", FeedbackKeys.of("climate", "routine", ["Hall"]))
    assert len(tally) == 4
    assert tally.answers(Dimension.AREA, "Kitchen") == Answers()
    assert tally.answers(Dimension.CATEGORY, "lighting") == Answers(dismissed=2)
    assert tally.answers(Dimension.AREA, "Hall") == Answers(dismissed=1)


def test_the_oldest_accepted_suggestion_is_forgotten_first() -> None:
    tally = FeedbackTally(max_accepted=2)
    for number in range(3):
        tally.accepted(f"s{number}", KITCHEN_LIGHTS, automation_id=f"a{number}")
    assert tally.kept_automations() == [("s1", "a1"), ("s2", "a2")]
    # A forgotten one can no longer be taken back: its count stays.
    assert not tally.not_kept("s0")
    assert tally.answers(Dimension.KIND, "routine").kept == 3


def test_taking_back_from_a_forgotten_key_does_nothing() -> None:
    tally = FeedbackTally(max_keys=3)
    tally.accepted("s1", KITCHEN_LIGHTS)
    tally.dismissed("s2", OFFICE_SWITCH)  # pushes the kitchen keys out
    assert tally.not_kept("s1")
    assert tally.answers(Dimension.KIND, "routine") == Answers()
    assert len(tally) == 3


# Diagnostics


def test_the_summary_names_categories_and_kinds_and_only_counts_areas() -> None:
    tally = FeedbackTally()
    tally.accepted("s1", KITCHEN_LIGHTS, automation_id="a1")
    dismissed(tally, OFFICE_SWITCH, 2)
    tally.note_overrides("s1", KITCHEN_LIGHTS, 1)
    summary = tally.summary()
    assert summary == {
        "categories": {
            "appliances": {"kept": 0, "dismissed": 2, "overridden": 0, "factor": 0.833},
            "lighting": {"kept": 1, "dismissed": 0, "overridden": 1, "factor": 1.0},
        },
        "kinds": {
            "routine": {"kept": 1, "dismissed": 0, "overridden": 1, "factor": 1.0},
            "used_together": {
                "kept": 0,
                "dismissed": 2,
                "overridden": 0,
                "factor": 0.833,
            },
        },
        "areas": {"count": 2, "kept": 1, "dismissed": 2, "overridden": 1},
        "accepted": 1,
        "kept_automations": 1,
    }
    assert "Kitchen" not in json.dumps(summary)


# The store


@pytest.mark.parametrize("data", [None, {}, {"version": 1}])
def test_a_missing_tally_is_empty_without_a_word(data: object) -> None:
    drops = Drops()
    assert len(restore_tally(data, drops)) == 0
    assert drops.dropped_count == drops.reset_count == 0


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_factor_that_is_not_a_number_is_neutral(value: float) -> None:
    assert bounded_feedback(value) == 1.0


@pytest.mark.parametrize("data", ["x", [], 3, {"version": 2, "answers": []}])
def test_a_tally_of_unknown_shape_starts_empty_and_is_counted(data: object) -> None:
    drops = Drops()
    assert len(restore_tally(data, drops)) == 0
    assert drops.reset == {"suggestion store.feedback": 1}


def stored_tally() -> dict[str, Any]:
    tally = FeedbackTally()
    tally.accepted("s1", KITCHEN_LIGHTS, automation_id="ha_ai_s1")
    tally.note_overrides("s1", KITCHEN_LIGHTS, 2)
    dismissed(tally, OFFICE_SWITCH, 1)
    return through_json(tally.as_dict())


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ({"dimension": "room"}, "dimension is not one of category, kind, area"),
        ({"name": ""}, "name is empty"),
        ({"name": "\n\t"}, "name is empty"),
        ({"name": 3}, "name is a number, not text"),
        ({"kept": -1}, "kept is below zero"),
        ({"dismissed": True}, "dismissed is a boolean, not an integer"),
        ({"overridden": 1.5}, "overridden is a number, not an integer"),
    ],
)
def test_a_damaged_answer_is_dropped_and_counted(
    damage: dict[str, Any], reason: str
) -> None:
    stored = stored_tally()
    stored["answers"][0].update(damage)
    drops = Drops()
    tally = restore_tally(stored, drops)
    assert drops.dropped == {f"feedback answer: {reason}": 1}
    assert len(tally) == len(stored["answers"]) - 1


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ({"suggestion_id": ""}, "suggestion_id is empty"),
        ({"suggestion_id": "s" * 300}, "suggestion_id is too long"),
        ({"category": None}, "category is missing, not text"),
        ({"kind": "\u200b"}, "its category or kind is not a name"),
        ({"overrides_seen": -2}, "overrides_seen is below zero"),
    ],
)
def test_a_damaged_accepted_record_is_dropped_and_counted(
    damage: dict[str, Any], reason: str
) -> None:
    stored = stored_tally()
    stored["accepted"][0].update(damage)
    drops = Drops()
    tally = restore_tally(stored, drops)
    assert drops.dropped == {f"accepted suggestion: {reason}": 1}
    assert tally.kept_automations() == []


def test_bad_optional_fields_and_repeats_are_reset_or_dropped() -> None:
    stored = stored_tally()
    stored["answers"].append(dict(stored["answers"][0]))
    stored["answers"].append("not an answer")
    stored["answers"].append(
        {
            "dimension": "area",
            "name": "Hall",
            "kept": 0,
            "dismissed": 0,
            "overridden": 0,
        }
    )
    stored["answers"][0]["kept"] = 10**30
    stored["accepted"].append(dict(stored["accepted"][0]))
    stored["accepted"][0].update(
        {"areas": ["Kitchen", 3], "kept": "yes", "automation_id": "a" * 300}
    )
    drops = Drops()
    tally = restore_tally(stored, drops)
    assert drops.dropped == {
        "feedback answer: its key is repeated": 1,
        "feedback answer: is text, not an object": 1,
        "accepted suggestion: its suggestion_id is repeated": 1,
    }
    assert drops.reset == {
        "accepted suggestion.areas": 1,
        "accepted suggestion.kept": 1,
        "accepted suggestion.automation_id": 1,
    }
    first = stored["answers"][0]
    assert tally.answers(Dimension(first["dimension"]), first["name"]).kept == (
        MAX_COUNT
    )
    assert tally.answers(Dimension.AREA, "Hall") == Answers()  # no answers: no key
    assert tally.kept_automations() == []  # `kept` reset to its default


@pytest.mark.parametrize("section", ["answers", "accepted"])
def test_a_section_that_is_not_a_list_is_reset(section: str) -> None:
    stored = stored_tally()
    stored[section] = {"x": 1}
    drops = Drops()
    restore_tally(stored, drops)
    assert drops.reset == {f"suggestion store.feedback.{section}": 1}


def test_restoring_keeps_the_bounds() -> None:
    stored = {
        "answers": [
            {"dimension": "area", "name": f"Room {n}", "kept": 1}
            | {"dismissed": 0, "overridden": 0}
            for n in range(1200)
        ],
        "accepted": [
            {"suggestion_id": f"s{n}", "category": "c", "kind": "k", "kept": True}
            | {"overrides_seen": 0, "automation_id": f"a{n}"}
            for n in range(2100)
        ],
    }
    tally = restore_tally(stored, Drops())
    assert len(tally) == 1000
    assert tally.answers(Dimension.AREA, "Room 1199").kept == 1
    assert tally.answers(Dimension.AREA, "Room 0") == Answers()
    assert len(tally.kept_automations()) == 2000


# The factor in the ranking


def test_the_rank_takes_the_factor() -> None:
    assert rank(0.8, 1.0) == pytest.approx(0.8)
    assert rank(0.8, 1.0, 0.5) == pytest.approx(0.4)
    assert rank(0.8, 0.0, 1.5) == pytest.approx(0.6)
    assert draft("a").feedback == 1.0
    assert draft("a", feedback=0.8).rank == pytest.approx(0.8 * 0.75 * 0.8)
    disliked, liked = draft("a", feedback=0.8), draft("b", 0.7)
    assert sorted([disliked, liked], key=order_key) == [liked, disliked]


def test_a_merge_refreshes_the_factor_of_an_open_suggestion() -> None:
    book = SuggestionBook()
    book.merge([draft("a"), draft("b", 0.75)], NOW, **KEEP)
    assert [s.suggestion_id for s in book.query()] == ["a", "b"]
    book.apply_enrichment("a", "", "Friendly words.")
    result = book.merge(
        [draft("a", feedback=0.7), draft("b", 0.75, feedback=1.1)], NOW, **KEEP
    )
    assert {s.suggestion_id: s.feedback for s in result.refreshed} == {
        "a": 0.7,
        "b": 1.1,
    }
    assert [s.suggestion_id for s in book.query()] == ["b", "a"]
    assert book.get("a").description == "Friendly words."  # type: ignore[union-attr]


def test_the_factor_decides_which_new_drafts_make_the_cut() -> None:
    book = SuggestionBook()
    result = book.merge(
        [draft("a", 0.9, feedback=0.5), draft("b", 0.6)],
        NOW,
        max_kept=1,
        expire_after=KEEP["expire_after"],
    )
    assert [s.suggestion_id for s in result.new] == ["b"]


def test_the_factor_is_kept_in_the_store_and_older_stores_read_as_neutral() -> None:
    book = SuggestionBook()
    book.merge([draft("a", feedback=0.75), draft("b", feedback=1.25)], NOW, **KEEP)
    stored = through_json(book_to_store(book))
    assert book_from_store(stored).query() == book.query()
    for item in stored["suggestions"]:
        del item["feedback"]
    drops = Drops()
    older = book_from_store(stored, drops)
    assert {s.feedback for s in older.query()} == {1.0}
    assert drops.reset_count == 0


@pytest.mark.parametrize(
    ("stored", "restored", "resets"),
    [("high", 1.0, 1), (None, 1.0, 0), (9.0, FEEDBACK_MAX, 0), (0.1, FEEDBACK_MIN, 0)],
)
def test_a_bad_factor_in_the_store_is_reset_or_bounded(
    stored: object, restored: float, resets: int
) -> None:
    book = SuggestionBook()
    book.merge([draft("a")], NOW, **KEEP)
    data = through_json(book_to_store(book))
    data["suggestions"][0]["feedback"] = stored
    drops = Drops()
    (suggestion,) = book_from_store(data, drops).query()
    assert suggestion.feedback == restored
    assert drops.reset_count == resets


def test_the_suggestion_store_keeps_the_tally_beside_the_book() -> None:
    book = SuggestionBook()
    book.merge([draft("a")], NOW, **KEEP)
    book.set_status("a", SuggestionStatus.DISMISSED, NOW)
    data = through_json(
        {"book": book_to_store(book), "unannounced": [], "feedback": stored_tally()}
    )
    restored = restore_suggestions_store(data)
    assert restored.drops.dropped_count == restored.drops.reset_count == 0
    assert restored.value.feedback.as_dict() == stored_tally()
    assert restored.value.book.is_dismissed("a")
    # A store written before the tally: no answers yet.
    del data["feedback"]
    assert len(restore_suggestions_store(data).value.feedback) == 0
    # A tally that cannot be read does not cost the book.
    data["feedback"] = "broken"
    again = restore_suggestions_store(data)
    assert again.value.book.is_dismissed("a")
    assert again.drops.reset == {"suggestion store.feedback": 1}


def test_a_dismissed_suggestion_never_comes_back_whatever_its_factor() -> None:
    book = SuggestionBook()
    book.merge([draft("a")], NOW, **KEEP)
    book.set_status("a", SuggestionStatus.DISMISSED, NOW)
    result = book.merge([replace(draft("a"), feedback=FEEDBACK_MAX)], NOW, **KEEP)
    assert result.new == result.refreshed == ()
    assert book.get("a").status is SuggestionStatus.DISMISSED  # type: ignore[union-attr]
