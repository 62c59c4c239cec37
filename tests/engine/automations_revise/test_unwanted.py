"""An automation people keep undoing: a separating condition, a new time, or off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ha_ai.engine.automations.revise import (
    Change,
    Reason,
    separating_side,
)
from custom_components.ha_ai.engine.automations.runs import RunRecord

from .helpers import BERLIN, candidates, morning, run

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
# Tue and Wed kept; five weekend runs (Sat, Sun, Sat, Sun, Sat) undone.
WEEKEND_UNDONE = [
    run(1),
    run(2),
    *(run(day, overridden=True) for day in (5, 6, 12, 13, 19)),
]


def test_weekend_overrides_give_a_weekday_condition() -> None:
    first, *others = candidates(WEEKEND_UNDONE)

    assert first.reason is Reason.UNWANTED
    assert first.change is Change.REPLACE
    assert first.automation_id == "ha_ai_routine_1"
    assert first.evidence == (
        "The 06:59 Bedroom light automation was switched off by hand on 5 of its "
        "last 7 runs, all of them at weekends."
    )
    assert first.change_words == "Run it only on weekdays"
    assert first.automation is not None
    assert first.automation["id"] == "ha_ai_routine_1"
    assert first.automation["conditions"] == [
        {"condition": "time", "weekday": WEEKDAYS}
    ]
    assert first.automation["triggers"] == morning()["triggers"]
    assert first.automation["actions"] == morning()["actions"]
    assert first.automation["alias"] == (
        "Bedroom light on at 06:59 every day, only on weekdays"
    )
    assert first.automation["description"].endswith(
        "Revised by HA AI: run it only on weekdays."
    )
    assert (first.share, first.runs, first.affected) == (5 / 7, 7, 5)
    assert first.targets == ("light.bedroom",)
    assert first.original == morning()
    # Without acted times there is no time to move to: turning it off is last.
    assert [c.change for c in others] == [Change.DISABLE]
    assert others[0].change_words == "Turn it off"
    assert others[0].automation is None


def test_weekday_overrides_give_a_weekend_condition() -> None:
    runs = [run(5), run(6), *(run(day, overridden=True) for day in (7, 8, 9, 10, 11))]

    first = candidates(runs)[0]

    assert first.change_words == "Run it only at weekends"
    assert first.evidence.endswith("all of them on weekdays.")
    assert first.automation is not None
    assert first.automation["conditions"] == [
        {"condition": "time", "weekday": ["sat", "sun"]}
    ]


def test_a_kept_run_on_the_overridden_side_separates_nothing() -> None:
    runs = [run(-2), *WEEKEND_UNDONE]  # the first one a Saturday, kept

    assert [c.change for c in candidates(runs)] == [Change.DISABLE]


def test_one_kept_run_on_the_other_side_is_not_enough() -> None:
    runs = [run(2), *(run(day, overridden=True) for day in (5, 6, 12, 13))]

    assert [c.change for c in candidates(runs)] == [Change.DISABLE]


def test_failed_runs_are_not_kept_runs() -> None:
    runs = [
        run(1, success=False),
        run(2, success=False),
        run(3),
        *(run(day, overridden=True) for day in (5, 6, 12, 13, 19)),
    ]

    assert [c.change for c in candidates(runs)] == [Change.DISABLE]


def test_the_sun_separates_when_the_day_does_not() -> None:
    runs = [
        run(0, sun_up=False),
        run(1, sun_up=False),
        run(2, sun_up=None),  # unknown: on neither side
        *(run(day, overridden=True, sun_up=True) for day in (3, 4, 5, 6, 7)),
    ]

    first, second = candidates(runs)

    assert first.change_words == "Run it only when the sun is down"
    assert first.evidence.endswith("all of them with the sun up.")
    assert first.automation is not None
    assert first.automation["conditions"] == [
        {
            "condition": "or",
            "conditions": [
                {"condition": "sun", "before": "sunrise"},
                {"condition": "sun", "after": "sunset"},
            ],
        }
    ]
    assert second.change is Change.DISABLE


def test_sun_down_overrides_keep_it_to_daylight() -> None:
    runs = [
        run(0, sun_up=True),
        run(1, sun_up=True),
        *(run(day, overridden=True, sun_up=False) for day in (3, 4, 5, 6, 7)),
    ]

    first = candidates(runs)[0]

    assert first.change_words == "Run it only when the sun is up"
    assert first.automation is not None
    assert first.automation["conditions"] == [
        {"condition": "sun", "after": "sunrise", "before": "sunset"}
    ]


def test_an_overridden_run_of_unknown_sun_rules_the_sun_out() -> None:
    runs = [
        run(0, sun_up=False),
        run(1, sun_up=False),
        *(run(day, overridden=True, sun_up=True) for day in (3, 4, 5, 6)),
        run(7, overridden=True, sun_up=None),
    ]

    assert [c.change for c in candidates(runs)] == [Change.DISABLE]


@pytest.mark.parametrize(
    ("home", "words", "condition"),
    [
        (
            False,
            "Run it only when someone is home",
            {"condition": "numeric_state", "entity_id": "zone.home", "above": 0},
        ),
        (
            True,
            "Run it only when nobody is home",
            {"condition": "state", "entity_id": "zone.home", "state": "0"},
        ),
    ],
)
def test_presence_separates(
    home: bool, words: str, condition: dict[str, object]
) -> None:
    runs = [
        run(0, home=not home),
        run(1, home=not home),
        *(run(day, overridden=True, home=home) for day in (3, 4, 5, 6, 7)),
    ]

    first = candidates(runs)[0]

    assert first.change_words == words
    assert first.automation is not None
    assert first.automation["conditions"] == [condition]


def test_every_separating_condition_is_a_candidate_in_order() -> None:
    runs = [
        run(1, sun_up=False, home=True),
        run(2, sun_up=False, home=True),
        *(
            run(day, overridden=True, sun_up=True, home=False, acted="07:32")
            for day in (5, 6, 12, 13, 19)
        ),
    ]

    words = [c.change_words for c in candidates(runs)]

    assert words == [
        "Run it only on weekdays",
        "Run it only when the sun is down",
        "Run it only when someone is home",
        "Move it to 07:32, when you turn it on yourself",
        "Turn it off",
    ]


def test_separating_side_rules() -> None:
    kept = [run(1), run(2)]
    undone = [run(5, overridden=True), run(6, overridden=True)]

    assert separating_side(undone, kept, lambda r: r.weekend) is True
    assert separating_side(kept, undone, lambda r: r.weekend) is False
    assert separating_side([], kept, lambda r: r.weekend) is None
    assert separating_side(undone, kept[:1], lambda r: r.weekend) is None
    assert separating_side(undone, [*kept, run(12)], lambda r: r.weekend) is None
    assert separating_side(undone, kept, lambda _run: None) is None


def test_the_time_moves_to_when_people_act() -> None:
    acted = ["07:30", "07:32", "07:35", "07:31", "07:40", "07:29", "07:33", "07:34"]
    runs = [run(day, overridden=True, acted=at) for day, at in enumerate(acted)]

    first, second = candidates(runs)

    assert first.change is Change.REPLACE
    assert first.change_words == "Move it to 07:32, when you turn it on yourself"
    assert first.evidence == (
        "The 06:59 Bedroom light automation was switched off by hand on 8 of its "
        "last 8 runs."
    )
    assert first.share == 1.0
    assert first.automation is not None
    assert first.automation["triggers"] == [{"trigger": "time", "at": "07:32:00"}]
    assert first.automation["conditions"] == []
    assert first.automation["alias"] == "Bedroom light on at 07:32 every day"
    assert second.change is Change.DISABLE


def test_a_move_of_under_five_minutes_is_not_proposed() -> None:
    short = [run(day, overridden=True, acted="07:03") for day in range(6)]
    five = [run(day, overridden=True, acted="07:04") for day in range(6)]

    assert [c.change for c in candidates(short)] == [Change.DISABLE]
    assert candidates(five)[0].change_words.startswith("Move it to 07:04")


def test_a_move_needs_acted_times_after_half_the_overrides() -> None:
    half = [
        *(run(day, overridden=True, acted="08:00") for day in range(3)),
        *(run(day, overridden=True) for day in range(3, 6)),
    ]
    fewer = [*half[:2], *(run(day, overridden=True) for day in range(2, 6))]

    assert candidates(half)[0].change_words.startswith("Move it to 08:00")
    assert [c.change for c in candidates(fewer)] == [Change.DISABLE]


def test_acted_times_far_apart_name_no_time() -> None:
    runs = [
        run(day, overridden=True, acted=at)
        for day, at in enumerate(["07:00", "09:00", "11:00", "13:00", "15:00"])
    ]

    assert [c.change for c in candidates(runs)] == [Change.DISABLE]


def test_the_median_time_wraps_around_midnight() -> None:
    late = {**morning(), "triggers": [{"trigger": "time", "at": "23:30"}]}
    runs = [
        run(day, overridden=True, acted=at)
        for day, at in enumerate(["23:58", "00:04", "00:10", "23:55", "00:06"])
    ]

    first = candidates(runs, late)[0]

    assert first.change_words == "Move it to 00:04, when you turn it on yourself"
    assert first.automation is not None
    assert first.automation["triggers"] == [{"trigger": "time", "at": "00:04:00"}]


def test_acted_times_read_as_the_wall_clock_across_daylight_saving() -> None:
    # 07:30 in Berlin: 06:30 UTC in winter, 05:30 UTC in summer.
    winter = datetime(2026, 3, 25, 6, 30, tzinfo=UTC)
    summer = datetime(2026, 3, 30, 5, 30, tzinfo=UTC)
    runs = []
    for day, acted in enumerate([winter, winter, winter, summer, summer, summer]):
        at = (acted - timedelta(minutes=31)).astimezone(BERLIN)
        runs.append(
            RunRecord(
                run_id=f"r{day}", at=at, success=True, overridden=True, acted_at=acted
            )
        )

    first = candidates(
        runs,
        now=datetime(2026, 4, 1, 12, tzinfo=BERLIN),
        deployed_at=datetime(2026, 3, 1, tzinfo=UTC),
    )[0]

    assert first.change_words == "Move it to 07:30, when you turn it on yourself"


def test_an_off_action_reads_the_other_way() -> None:
    evening = {
        **morning(),
        "actions": [{"action": "light.turn_off", "entity_id": "light.bedroom"}],
    }
    runs = [run(day, overridden=True, acted="23:30") for day in range(5)]

    first = candidates(runs, evening)[0]

    assert "was switched on by hand on 5 of its last 5 runs" in first.evidence
    assert first.change_words == "Move it to 23:30, when you turn it off yourself"


def test_an_action_of_no_known_state_is_undone() -> None:
    toggling = {
        **morning(),
        "actions": [
            {"action": "light.toggle", "target": {"entity_id": "light.bedroom"}}
        ],
    }
    runs = [run(day, overridden=True, acted="08:00") for day in range(5)]

    first = candidates(runs, toggling)[0]

    assert "was undone by hand" in first.evidence
    assert first.change_words == "Move it to 08:00, when you do it yourself"


@pytest.mark.parametrize(
    "flags",
    [
        [True, True, True],  # a first bad week is not a verdict
        [True, False] * 4,  # half the time it is wanted
        [False] * 8,
        [],
    ],
)
def test_an_automation_that_is_wanted_is_left_alone(flags: list[bool]) -> None:
    runs = [run(day, overridden=flag) for day, flag in enumerate(flags)]

    assert candidates(runs) == []


def test_only_the_last_eight_runs_make_the_verdict() -> None:
    runs = [
        *(run(day, overridden=True) for day in range(8)),
        *(run(day) for day in range(8, 16)),
    ]

    assert candidates(runs) == []
