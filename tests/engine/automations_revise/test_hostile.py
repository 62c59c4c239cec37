"""Odd, old-style and hostile configs: read defensively, never an error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.automations.revise import Change, Reason

from .helpers import NOW, candidates, morning, run

UNDONE = [run(day, overridden=True, acted="07:40") for day in range(6)]
WEEKEND_UNDONE = [
    run(1),
    run(2),
    *(run(day, overridden=True) for day in (5, 6, 12, 13, 19)),
]


@pytest.mark.parametrize(
    "automation",
    [None, "ha_ai_x", [], {"alias": "no id"}, {"id": "bad id!"}, {"id": 7}],
)
def test_what_is_not_an_automation_with_an_id_gives_nothing(automation: Any) -> None:
    assert candidates(UNDONE, automation) == []


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        candidates(UNDONE, now=datetime(2026, 1, 1))  # noqa: DTZ001


def test_old_style_keys_become_todays() -> None:
    old = {
        "id": "ha_ai_old",
        "alias": "Old",
        "trigger": {"platform": "time", "at": "06:59"},
        "condition": {
            "condition": "state",
            "entity_id": "sun.sun",
            "state": "above_horizon",
        },
        "action": {"service": "light.turn_on", "entity_id": "light.bedroom"},
    }

    condition, moved, off = candidates(
        [
            run(1),
            run(2),
            *(run(d, overridden=True, acted="07:40") for d in (5, 6, 12, 13, 19)),
        ],
        old,
    )

    assert condition.automation is not None
    assert "condition" not in condition.automation
    assert condition.automation["conditions"] == [
        old["condition"],
        {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]},
    ]
    assert condition.automation["trigger"] == old["trigger"]
    assert moved.automation is not None
    assert "trigger" not in moved.automation
    assert moved.automation["triggers"] == [{"platform": "time", "at": "07:40:00"}]
    assert moved.automation["alias"] == "Old, at 07:40"
    assert off.change is Change.DISABLE
    assert condition.evidence.startswith("The 06:59 Bedroom light automation")


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ("{{ is_state('sun.sun', 'below_horizon') }}", 2),
        ({"condition": "state", "entity_id": "sun.sun", "state": "below_horizon"}, 2),
        ([], 1),
        (None, 1),
    ],
)
def test_a_single_condition_or_a_shorthand_is_kept(
    conditions: object, expected: int
) -> None:
    automation = morning(conditions=conditions)

    first = candidates(WEEKEND_UNDONE, automation)[0]

    assert first.automation is not None
    assert len(first.automation["conditions"]) == expected


@pytest.mark.parametrize(
    "automation",
    [
        morning(conditions=7),
        {**morning(), "condition": []},  # both keys: Home Assistant refuses it
        morning(
            conditions=[
                {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}
            ]
        ),
    ],
)
def test_conditions_that_cannot_take_the_new_one_are_left_alone(
    automation: dict[str, Any],
) -> None:
    changes = [c.change for c in candidates(WEEKEND_UNDONE, automation)]

    assert changes == [Change.DISABLE]


@pytest.mark.parametrize(
    "triggers",
    [
        [
            {"trigger": "time", "at": "06:59"},
            {"trigger": "state", "entity_id": "light.x"},
        ],
        [{"trigger": "time", "at": "input_datetime.wake"}],
        [{"trigger": "time", "at": "{{ now() }}"}],
        [{"trigger": "time", "at": "25:00"}],
        [{"trigger": "time", "at": ["06:59", "07:30"]}],
        [{"trigger": "time"}],
        [{"trigger": "sun", "event": "sunrise"}],
        ["06:59"],
        [],
    ],
)
def test_only_one_fixed_time_trigger_is_moved(triggers: list[Any]) -> None:
    automation = morning(triggers=triggers)

    changes = [c.change for c in candidates(UNDONE, automation)]

    assert changes == [Change.DISABLE]


@pytest.mark.parametrize("at", ["06:59", ["06:59:00"], "6:59:30", " 06:59:00.5 "])
def test_a_fixed_time_is_read_in_its_forms(at: object) -> None:
    automation = morning(triggers=[{"trigger": "time", "at": at, "weekday": "mon"}])

    first = candidates(UNDONE, automation)[0]

    assert first.automation is not None
    assert first.automation["triggers"] == [
        {"trigger": "time", "at": "07:40:00", "weekday": "mon"}
    ]


def test_without_targets_the_alias_or_the_id_names_it() -> None:
    scene = morning(actions=[{"scene": "scene.morning"}])
    bare = {key: value for key, value in scene.items() if key != "alias"}

    assert candidates(UNDONE, scene)[0].evidence.startswith(
        "The automation Bedroom light on at 06:59 every day was undone"
    )
    assert candidates(UNDONE, bare)[0].evidence.startswith(
        "The automation ha_ai_routine_1 was undone"
    )


def test_names_are_cleaned_and_bounded() -> None:
    first = candidates(UNDONE, names={"light.bedroom": "Bed\nroom\u202e " + "x" * 300})[
        0
    ]

    assert "\n" not in first.evidence
    assert "\u202e" not in first.evidence
    assert len(first.evidence) < 300


def test_targets_in_nested_steps_are_found_too() -> None:
    nested = morning(
        actions=[
            {"delay": 5},
            {
                "if": [{"condition": "state", "entity_id": "sun.sun", "state": "x"}],
                "then": [{"action": "switch.turn_on", "entity_id": "switch.fan"}],
            },
            {
                "action": "light.turn_on",
                "target": {"entity_id": ["light.a", "light.b"]},
            },
        ]
    )

    first = candidates(UNDONE, nested)[0]

    assert first.targets == ("light.a", "light.b", "switch.fan")
    assert first.evidence.startswith("The 06:59 light.a automation was switched off")


def test_a_description_that_is_not_text_is_left_as_it_is() -> None:
    automation = morning(description=None, alias=None)

    first = candidates(UNDONE, automation)[0]

    assert first.automation is not None
    assert first.automation["description"] is None
    assert first.automation["alias"] is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            [
                "trigger",
                "triggers",
                "condition",
                "conditions",
                "action",
                "actions",
                "at",
                "entity_id",
                "target",
                "platform",
                "service",
                "alias",
                "description",
            ]
        ),
        inner,
        max_size=5,
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "trigger",
                "triggers",
                "condition",
                "conditions",
                "action",
                "actions",
                "alias",
                "description",
                "mode",
            ]
        ),
        JSON,
        max_size=7,
    ),
    flags=st.lists(
        st.tuples(
            st.booleans(), st.booleans(), st.sampled_from([None, "07:40", "23:55"])
        ),
        max_size=16,
    ),
    gone=st.booleans(),
)
def test_any_config_and_runs_give_sane_candidates(
    body: dict[str, Any], flags: list[tuple[bool, bool, str | None]], gone: bool
) -> None:
    automation = {**body, "id": "ha_ai_fuzzed"}
    runs = [
        run(
            day,
            overridden=overridden,
            success=success,
            acted=acted if overridden else None,
        )
        for day, (overridden, success, acted) in enumerate(flags)
    ]

    found = candidates(runs, automation, pattern_gone=gone, exists={"light.bedroom"})

    for revision in found:
        assert revision.automation_id == "ha_ai_fuzzed"
        assert 0 <= revision.share <= 1
        assert revision.evidence
        if revision.change is Change.REPLACE:
            assert revision.automation is not None
            assert revision.automation["id"] == "ha_ai_fuzzed"
            assert revision.reason is Reason.UNWANTED
        else:
            assert revision.automation is None
    assert all(r.change is not Change.REPLACE for r in found[-1:])
    assert NOW.tzinfo is not None
