"""learn_away: when the house is empty, on generated households with exact truths."""

from __future__ import annotations

from datetime import datetime

import pytest

from benchmarks.away_households import (
    FRONT_DOOR,
    PERSON,
    Household,
    commuter,
    door_noise,
    night_shift,
    noise,
    retired_couple,
)
from custom_components.ha_ai.engine.habits.model import ChangeTable, PatternLevel
from custom_components.ha_ai.engine.household.away import (
    NEVER_AWAY,
    NO_SIGNALS,
    TOO_FEW,
    Absence,
    AwayFindings,
    find_absences,
    learn_away,
)
from custom_components.ha_ai.engine.household.model import AwaySource, EntityRole

DOOR_ACTIONS = ((FRONT_DOOR, "on"), (FRONT_DOOR, "off"))
SLACK_SECONDS = 120  # a found absence begins at the door's closing, not its opening


def findings(house: Household) -> AwayFindings:
    return find_absences(
        house.table, timezone=house.timezone, end=house.end, roles=house.roles
    )


def assert_same_absences(
    found: tuple[Absence, ...], truth: list[tuple[int, int]]
) -> None:
    """Every true absence found within two minutes, and nothing else."""
    assert len(found) == len(truth)
    for absence, (start, end) in zip(found, sorted(truth), strict=True):
        assert abs(absence.start - start) <= SLACK_SECONDS
        assert abs(absence.end - end) <= SLACK_SECONDS


def test_commuter_leaves_through_the_front_door() -> None:
    house = commuter()
    found = findings(house)
    routine = found.routine
    assert found.reason is None
    assert routine is not None
    assert routine.source is AwaySource.LEARNED
    assert routine.routine_id == "away"
    assert routine.presence_entities == ()
    assert routine.leaving == DOOR_ACTIONS
    assert routine.coming_back == DOOR_ACTIONS
    # Weekend afternoons hold a door and 50 quiet minutes with someone home:
    # the silence that tells the house is empty is longer than those.
    assert routine.quiet_minutes == 60
    assert routine.occurrences == 20
    assert routine.observed_days == 28
    assert 560 <= routine.typical_duration_minutes <= 580  # 08:00 to 17:30
    assert routine.level is PatternLevel.ESTABLISHED
    assert routine.confidence == pytest.approx(0.5294, abs=1e-4)
    assert_same_absences(found.absences, house.absences)


def test_learn_away_returns_the_routine_and_no_reason() -> None:
    house = commuter()
    routine, reason = learn_away(
        house.table, timezone=house.timezone, end=house.end, roles=house.roles
    )
    assert reason is None
    assert routine == findings(house).routine


def test_commuter_with_a_person_is_away_when_the_person_is() -> None:
    house = commuter(person=True)
    found = findings(house)
    routine = found.routine
    assert routine is not None
    assert routine.source is AwaySource.PRESENCE
    assert routine.presence_entities == (PERSON,)
    assert routine.leaving == routine.coming_back == ()
    assert routine.quiet_minutes == 0
    assert routine.occurrences == 20
    assert routine.observed_days == 28
    assert routine.level is PatternLevel.ESTABLISHED
    assert_same_absences(found.absences, house.absences)


def test_a_zone_is_away_too() -> None:
    house = commuter(person=True)
    house.rows = [
        (when, origin, entity_id, "Work" if state == "not_home" else state)
        for when, origin, entity_id, state in house.rows
    ]
    routine = findings(house).routine
    assert routine is not None
    assert routine.occurrences == 20


def test_one_person_at_home_keeps_the_house_occupied() -> None:
    house = commuter(person=True)
    house.roles["person.sam"] = EntityRole.PRESENCE
    house.change(house.epoch(0, 0), "person.sam", "home")
    found = findings(house)
    assert found.routine is None
    assert found.reason == NEVER_AWAY
    assert found.absences == ()


def test_presence_known_only_as_unavailable_leaves_it_to_the_doors() -> None:
    house = commuter()
    house.rows.append((house.epoch(0, 0), 2, PERSON, "unavailable"))
    routine = findings(house).routine
    assert routine is not None
    assert routine.source is AwaySource.LEARNED


def test_presence_absences_shorter_than_a_quarter_hour_do_not_count() -> None:
    house = Household(name="errands", days=7)
    house.change(house.epoch(0, 0), PERSON, "home")
    for day in range(7):
        house.change(house.epoch(day, 9 * 60), PERSON, "not_home")
        house.change(house.epoch(day, 9 * 60 + 10), PERSON, "home")
    found = findings(house)
    assert found.reason == NEVER_AWAY
    assert found.absences == ()


def test_a_holiday_week_is_one_long_absence() -> None:
    house = commuter(holiday=range(12, 19))
    found = findings(house)
    routine = found.routine
    assert routine is not None
    assert routine.occurrences == 16  # 15 working days and the holiday
    assert_same_absences(found.absences, house.absences)
    longest = max(found.absences, key=lambda a: a.minutes)
    assert longest.minutes == pytest.approx(6 * 24 * 60 + 6 * 60, abs=2)
    # The typical absence is still the working day.
    assert 560 <= routine.typical_duration_minutes <= 580


def test_two_working_days_are_too_few() -> None:
    found = findings(commuter(days=2))  # Monday and Tuesday
    assert found.routine is None
    assert found.reason == TOO_FEW


@pytest.mark.parametrize(
    ("days", "level"),
    [
        (3, PatternLevel.FORMING),
        (6, PatternLevel.FORMING),
        (8, PatternLevel.ESTABLISHED),
    ],
)
def test_few_days_are_forming(days: int, level: PatternLevel) -> None:
    routine = findings(commuter(days=days)).routine
    assert routine is not None
    assert routine.level is level


def test_letting_the_dog_out_at_night_is_not_away() -> None:
    house = commuter(dog_nights=True)
    found = findings(house)
    assert found.routine is not None
    assert found.routine.occurrences == 20
    assert_same_absences(found.absences, house.absences)


def test_a_retired_couple_is_never_away() -> None:
    found = findings(retired_couple())
    assert found.routine is None
    assert found.reason == NEVER_AWAY


def test_no_doors_and_no_persons_learn_nothing() -> None:
    found = findings(commuter(doors=False))
    assert found.routine is None
    assert found.reason == NO_SIGNALS


def test_an_empty_history_learns_nothing() -> None:
    end = datetime(2026, 3, 2).astimezone()
    routine, reason = learn_away(ChangeTable(), timezone=end.tzinfo, end=end, roles={})
    assert routine is None
    assert reason == NO_SIGNALS


def test_a_door_alone_is_never_away() -> None:
    house = Household(name="one_door", days=3)
    house.change(house.epoch(0, 600), FRONT_DOOR, "on")
    found = findings(house)
    assert found.reason == NEVER_AWAY


@pytest.mark.parametrize("seed", [3, 13, 23, 33, 43])
def test_noise_is_never_a_routine(seed: int) -> None:
    assert findings(noise(seed=seed)).routine is None


@pytest.mark.parametrize("seed", [5, 15, 25])
def test_a_house_of_doors_alone_is_chance(seed: int) -> None:
    found = findings(door_noise(seed=seed))
    assert found.routine is None
    assert found.reason == TOO_FEW


@pytest.mark.parametrize("person", [False, True])
def test_a_night_worker_is_away_at_night(person: bool) -> None:
    house = night_shift(person=person)
    found = findings(house)
    routine = found.routine
    assert routine is not None
    assert routine.source is (AwaySource.PRESENCE if person else AwaySource.LEARNED)
    assert routine.occurrences == 19
    assert 520 <= routine.typical_duration_minutes <= 560  # 21:45 to 06:45
    assert_same_absences(found.absences, house.absences)


def test_a_night_workers_day_sleep_after_the_door_is_not_away() -> None:
    house = night_shift(straight_to_bed=True)
    found = findings(house)
    assert found.routine is not None
    assert found.routine.quiet_minutes == 30
    # The door, then sleep until 15:30: never counted, only the nights out.
    assert_same_absences(found.absences, house.absences)


def test_a_lock_leaves_and_comes_back() -> None:
    house = commuter()
    house.roles["lock.front_door"] = EntityRole.LOCK
    for start, end in house.absences:
        house.change(start + 10, "lock.front_door", "locked")
        house.change(end - 10, "lock.front_door", "unlocked")
    routine = findings(house).routine
    assert routine is not None
    assert routine.leaving == (*DOOR_ACTIONS, ("lock.front_door", "locked"))
    assert routine.coming_back == (
        ("lock.front_door", "unlocked"),
        *DOOR_ACTIONS,
    )


def test_daylight_saving_keeps_the_absences() -> None:
    house = commuter(days=35)  # across 29 March
    found = findings(house)
    assert found.routine is not None
    assert_same_absences(found.absences, house.absences)


def test_presence_going_unavailable_keeps_its_last_state() -> None:
    house = commuter(person=True)
    start, end = house.absences[3]
    house.rows.append((start + 3600, 2, PERSON, "unavailable"))
    found = findings(house)
    assert found.routine is not None
    assert_same_absences(found.absences, house.absences)


def test_two_days_away_by_presence_are_too_few() -> None:
    found = findings(commuter(days=2, person=True))
    assert found.routine is None
    assert found.reason == TOO_FEW
    assert len(found.absences) == 2


def test_doors_only_automations_open_are_no_sign_of_leaving() -> None:
    house = commuter()
    house.rows = [
        (when, 1 if entity_id.endswith("_door") else origin, entity_id, state)
        for when, origin, entity_id, state in house.rows
    ]
    found = findings(house)
    assert found.routine is None
    assert found.reason == NEVER_AWAY


def test_a_lone_motion_blip_while_away_is_nobody() -> None:
    house = commuter()
    for start, end in house.absences[:5]:
        house.motion((start + end) // 2, "binary_sensor.hall_motion")
    found = findings(house)
    assert found.routine is not None
    assert found.routine.occurrences == 20
    assert_same_absences(found.absences, house.absences)


def test_someone_moving_about_while_the_door_was_shut_is_home() -> None:
    house = commuter()
    for start, end in house.absences[:5]:
        middle = (start + end) // 2
        house.motion(middle, "binary_sensor.hall_motion")
        house.motion(middle + 300, "binary_sensor.kitchen_motion")
    found = findings(house)
    assert found.routine is not None
    assert found.routine.occurrences == 15
    assert_same_absences(found.absences, house.absences[5:])
