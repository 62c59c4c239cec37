"""A household routine's suggestion: what usually follows its start, automated."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.ha_ai.engine.automations.render import render_household
from custom_components.ha_ai.engine.habits.model import DayClass, PatternLevel
from custom_components.ha_ai.engine.household.follows import (
    FOLLOW_WITHIN_SECONDS,
    MAX_ACTIONS,
    usual_followers,
)
from custom_components.ha_ai.engine.household.model import (
    HouseholdRoutine,
    RoutineKind,
    RoutineStep,
)
from custom_components.ha_ai.engine.suggestions.evidence import evidence_text
from custom_components.ha_ai.engine.suggestions.findings import (
    draft_from_household,
    suggestion_id,
)
from custom_components.ha_ai.engine.suggestions.model import (
    EntityFacts,
    SuggestionKind,
)

EVENT = "event.ha_ai_household"


def step(entity_id: str, state: str, delay: int, share: float = 0.9) -> RoutineStep:
    return RoutineStep(
        entity_id=entity_id, state=state, typical_delay_seconds=delay, share=share
    )


BEDTIME = HouseholdRoutine(
    routine_id="bedtime_daily",
    kind=RoutineKind.BEDTIME,
    day_class=DayClass.DAILY,
    typical_start=23 * 60 + 5,
    window_start=22 * 60 + 45,
    window_end=23 * 60 + 30,
    starters=(("media_player.tv", "off"),),
    steps=(
        step("media_player.tv", "off", 0),
        step("light.living_room", "off", 40),
        step("binary_sensor.hall_motion", "on", 60),  # nothing can do it
        step("light.hall", "off", 120),
        step("light.living_room", "on", 200),  # the same light again: first wins
        step("lock.front_door", "locked", 300, share=0.4),  # too rare
        step("light.bedroom", "off", FOLLOW_WITHIN_SECONDS + 1),  # too late
    ),
    support_days=24,
    observed_days=28,
    confidence=0.71,
    level=PatternLevel.ESTABLISHED,
    quiet_minutes=420,
)
NAMES = {
    "light.living_room": EntityFacts(name="Living room light"),
    "light.hall": EntityFacts(name="Hall light"),
}


def test_the_usual_followers_are_soon_frequent_and_not_the_start() -> None:
    followers = usual_followers(BEDTIME)
    assert [(s.entity_id, s.state) for s in followers] == [
        ("light.living_room", "off"),
        ("binary_sensor.hall_motion", "on"),
        ("light.hall", "off"),
    ]


def test_a_forming_routine_suggests_nothing() -> None:
    forming = replace(BEDTIME, level=PatternLevel.FORMING)
    assert usual_followers(forming) == ()
    assert draft_from_household(forming, NAMES) is None


def test_followers_are_bounded() -> None:
    many = replace(
        BEDTIME,
        steps=tuple(step(f"light.l{n}", "off", n) for n in range(MAX_ACTIONS + 5)),
    )
    assert len(usual_followers(many)) == MAX_ACTIONS


def test_the_automation_runs_the_followers_when_bedtime_begins() -> None:
    automation = render_household(
        BEDTIME,
        automation_id="ha_ai_household_1",
        names={"light.living_room": "Living room light"},
        event_entity_id=EVENT,
    )
    assert automation is not None
    assert automation["triggers"] == [
        {"trigger": "state", "entity_id": EVENT, "not_from": ["unavailable", "unknown"]}
    ]
    assert automation["conditions"] == [
        {
            "condition": "state",
            "entity_id": EVENT,
            "attribute": "event_type",
            "state": "bedtime",
        }
    ]
    assert automation["actions"] == [
        {"action": "light.turn_off", "target": {"entity_id": "light.living_room"}},
        {"action": "light.turn_off", "target": {"entity_id": "light.hall"}},
    ]
    assert automation["alias"] == (
        "At bedtime every day: Living room light off, light.hall off"
    )
    assert "24 of 28" in automation["description"]


def test_a_weekday_morning_runs_on_weekdays_only() -> None:
    morning = replace(
        BEDTIME,
        routine_id="morning_weekdays",
        kind=RoutineKind.MORNING,
        day_class=DayClass.WEEKDAYS,
        steps=(step("switch.coffee", "on", 90),),
        starters=(("light.kitchen", "on"),),
    )
    automation = render_household(
        morning, automation_id="ha_ai_m", names={}, event_entity_id=EVENT
    )
    assert automation is not None
    assert automation["conditions"][0]["state"] == "morning_routine"
    assert automation["conditions"][1] == {
        "condition": "time",
        "weekday": ["mon", "tue", "wed", "thu", "fri"],
    }
    assert automation["alias"].startswith("When the morning starts on weekdays:")


@pytest.mark.parametrize("event_entity_id", ["sensor.not_an_event", "event.Bad Id"])
def test_no_automation_without_a_valid_event_entity(event_entity_id: str) -> None:
    assert (
        render_household(
            BEDTIME, automation_id="ha_ai_x", names={}, event_entity_id=event_entity_id
        )
        is None
    )


def test_no_automation_when_nothing_can_be_done() -> None:
    sensors_only = replace(
        BEDTIME, steps=(step("binary_sensor.hall_motion", "on", 60),)
    )
    assert (
        render_household(
            sensors_only, automation_id="ha_ai_x", names={}, event_entity_id=EVENT
        )
        is None
    )
    assert draft_from_household(sensors_only, NAMES) is None


def test_an_invalid_automation_id_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid automation id"):
        render_household(
            BEDTIME, automation_id="no spaces", names={}, event_entity_id=EVENT
        )


def test_the_draft_says_what_follows_and_why() -> None:
    draft = draft_from_household(BEDTIME, NAMES)
    assert draft is not None
    assert draft.suggestion_id == suggestion_id(
        SuggestionKind.HOUSEHOLD, "bedtime_daily"
    )
    assert draft.kind is SuggestionKind.HOUSEHOLD
    assert draft.title == (
        "At bedtime every day: turn off Living room light; turn off Hall light"
    )
    assert draft.entities == ("light.living_room", "light.hall")
    assert draft.source["time"] == "23:05"
    assert draft.source["window"] == ["22:45", "23:30"]
    assert [f["entity_id"] for f in draft.source["follows"]] == [
        "light.living_room",
        "light.hall",
    ]
    assert evidence_text(draft.kind, draft.source, {}) == (
        "bedtime starts around 23:05 on 24 of 28 days; "
        "2 usual actions follow within minutes"
    )


def test_evidence_of_one_action_and_of_a_broken_source() -> None:
    one = replace(
        BEDTIME, kind=RoutineKind.MORNING, steps=(step("light.hall", "on", 30),)
    )
    draft = draft_from_household(one, NAMES)
    assert draft is not None
    assert evidence_text(draft.kind, draft.source, {}).startswith(
        "the morning starts around 23:05"
    )
    assert evidence_text(draft.kind, draft.source, {}).endswith(
        "1 usual action follows within minutes"
    )
    assert evidence_text(SuggestionKind.HOUSEHOLD, {"kind": "nap"}, {}) == ""
    assert (
        evidence_text(
            SuggestionKind.HOUSEHOLD,
            {**draft.source, "kind": "nap"},
            {},
        )
        == ""
    )
