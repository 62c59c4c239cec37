"""The habit analysis: service, schedule, cooldown, failure, events, entities."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_PAIR_DELAY_SECONDS,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.ha_ai.engine.habits.model import MiningSettings, PatternLevel
from custom_components.ha_ai.habits import coordinator as habit_analysis
from custom_components.ha_ai.habits.coordinator import HabitAnalysis
from custom_components.ha_ai.suggestions.manager import SuggestionManager

from .conftest import published
from .fixtures_common import no_cooldown  # noqa: F401
from .habit_helpers import COFFEE, COVERED, MORNING, add_house

MINE = "custom_components.ha_ai.habits.coordinator.mine_habits"
PATTERNS = "sensor.ha_ai_patterns_detected"
LAST = "sensor.ha_ai_last_analysis"
RUNNING = "binary_sensor.ha_ai_analysis_running"


def payloads(mqtt_mock: MqttMockHAClient, prefix: str) -> list[tuple[str, Any]]:
    return [(topic, payload) for topic, payload, _, _ in published(mqtt_mock, prefix)]


async def run(hass: HomeAssistant) -> Any:
    return await hass.services.async_call(
        DOMAIN, "run_analysis", blocking=True, return_response=True
    )


@pytest.fixture(autouse=True)
def house(hass: HomeAssistant) -> None:
    """The patterns' entities exist, so they become suggestions."""
    add_house(hass)


async def test_run_publishes_results_and_updates_entities(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    assert hass.states.get(PATTERNS).state == "0"
    assert hass.states.get(LAST).state == "unknown"
    assert hass.states.get(RUNNING).state == "off"
    with patch(MINE, return_value=[MORNING, COFFEE, COVERED]):
        response = await run(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response["patterns_detected"] == 3

    [(_, complete)] = payloads(mqtt_mock, "ha-ai/analysis/complete")
    assert complete["patterns_detected"] == 3
    assert complete["suggestions_generated"] == 2  # the covered pair is not one
    assert complete["new_suggestions"] == 2
    assert complete["devices_analyzed"] == 0
    assert complete["entities_analyzed"] == 0
    assert complete["duration_seconds"] >= 0
    detected = payloads(mqtt_mock, "ha-ai/events/pattern/")
    assert sorted(topic for topic, _ in detected) == [
        "ha-ai/events/pattern/time_of_day_detected",
        "ha-ai/events/pattern/used_together_detected",
        "ha-ai/events/pattern/used_together_detected",
    ]
    routine = next(p for t, p in detected if "time_of_day" in t)
    assert routine["pattern_id"] == "tod_morning"
    assert routine["time"] == "07:00"
    assert routine["entities"] == ["light.bedroom"]

    assert hass.states.get(PATTERNS).state == "3"
    top = hass.states.get(PATTERNS).attributes["top_patterns"]
    assert top[0]["pattern_id"] == "pair_covered"
    last = hass.states.get(LAST)
    assert dt_util.parse_datetime(last.state) is not None
    assert last.attributes["duration_seconds"] >= 0


async def test_patterns_found_again_are_not_announced_again(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[MORNING, COFFEE]):
        await run(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        mqtt_mock.async_publish.reset_mock()
        await run(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    [(_, complete)] = payloads(mqtt_mock, "ha-ai/analysis/complete")
    assert complete["new_suggestions"] == 0
    assert payloads(mqtt_mock, "ha-ai/events/pattern/") == []


async def test_patterns_survive_a_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[MORNING, COFFEE]):
        await run(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(PATTERNS).state == "2"
    assert setup_entry.runtime_data.habits.patterns == [MORNING, COFFEE]


async def test_a_run_shows_as_running_and_refuses_a_second_one(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    mining = threading.Event()
    mined = threading.Event()

    def mine_slowly(*args: Any, **kwargs: Any) -> list[Any]:
        mining.set()
        mined.wait(timeout=30)
        return [MORNING]

    with patch(MINE, side_effect=mine_slowly):
        first = hass.async_create_task(run(hass))
        await hass.async_add_executor_job(mining.wait, 30)
        assert hass.states.get(RUNNING).state == "on"
        with pytest.raises(ServiceValidationError, match="already running"):
            await run(hass)
        mined.set()
        response = await first
    assert response["patterns_detected"] == 1
    assert hass.states.get(RUNNING).state == "off"
    assert len(payloads(mqtt_mock, "ha-ai/analysis/complete")) == 1


async def test_a_run_right_after_another_is_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with (
        patch.object(habit_analysis, "RUN_COOLDOWN", timedelta(minutes=1)),
        patch(MINE, return_value=[]),
    ):
        await run(hass)
        with pytest.raises(ServiceValidationError, match="less than a minute ago"):
            await run(hass)


async def test_a_failed_run_keeps_the_last_result_and_its_entities_wait(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[MORNING]):
        await run(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    mqtt_mock.async_publish.reset_mock()
    for _ in range(2):  # a second failure in a row changes nothing more
        with (
            patch(MINE, side_effect=MemoryError("too much")),
            pytest.raises(HomeAssistantError, match="The analysis failed: MemoryError"),
        ):
            await run(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert all(
            hass.states.get(entity_id).state == "unavailable"
            for entity_id in (PATTERNS, LAST)
        )
        # Whether a run is under way is still known.
        assert hass.states.get(RUNNING).state == "off"
    failures = payloads(mqtt_mock, "ha-ai/analysis/failed")
    assert [failed["error"] for _, failed in failures] == ["MemoryError: too much"] * 2
    assert payloads(mqtt_mock, "ha-ai/analysis/complete") == []
    habits = setup_entry.runtime_data.habits
    assert habits.patterns == [MORNING]
    summary = habits.as_diagnostics()
    assert summary["patterns"] == 1
    assert summary["last_error"] == "MemoryError: too much"
    assert summary["running"] is False

    # The next run recovers: the entities are back with its result.
    with patch(MINE, return_value=[MORNING, COFFEE]):
        await run(hass)
    assert hass.states.get(PATTERNS).state == "2"
    assert dt_util.parse_datetime(hass.states.get(LAST).state) is not None
    assert hass.states.get(RUNNING).state == "off"
    assert habits.as_diagnostics()["last_error"] is None


async def test_suggestions_that_cannot_be_made_fail_the_run(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with (
        patch.object(
            SuggestionManager, "async_refresh", side_effect=OSError("disk full")
        ),
        patch(MINE, return_value=[MORNING]),
        pytest.raises(HomeAssistantError, match="OSError: disk full"),
    ):
        await run(hass)
    [(_, failed)] = payloads(mqtt_mock, "ha-ai/analysis/failed")
    assert failed["error"] == "OSError: disk full"
    assert payloads(mqtt_mock, "ha-ai/analysis/complete") == []
    assert hass.states.get(PATTERNS).state == "unavailable"
    with patch(MINE, return_value=[MORNING]):
        await run(hass)
    assert hass.states.get(PATTERNS).state == "1"
    assert hass.states.get(RUNNING).state == "off"


async def test_the_last_result_survives_a_failure_and_a_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[MORNING]):
        await run(hass)
    with (
        patch(MINE, side_effect=RuntimeError("broken")),
        pytest.raises(HomeAssistantError),
    ):
        await run(hass)
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    # Restored as the analysis' data: available, without waiting for a run.
    assert hass.states.get(PATTERNS).state == "1"
    assert hass.states.get(RUNNING).state == "off"


async def test_the_service_runs_one_analysis(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[MORNING]) as mine:
        response = await run(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert mine.call_count == 1
    assert len(payloads(mqtt_mock, "ha-ai/analysis/complete")) == 1
    assert response == {
        "patterns_detected": 1,
        "duration_seconds": hass.states.get(LAST).attributes["duration_seconds"],
    }


async def test_the_daily_run_follows_the_schedule(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The next 03:00 to come, whatever the time the test runs at: moving the
    # clock past another 03:00 first would start the day's run early.
    now = dt_util.now()
    run_at = datetime.combine(now.date(), datetime.min.time(), now.tzinfo) + timedelta(
        hours=3
    )
    while run_at - now < timedelta(minutes=2):
        run_at += timedelta(days=1)
    with patch(MINE, return_value=[MORNING]) as mine:
        freezer.move_to(run_at - timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert mine.call_count == 0
        freezer.move_to(run_at)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert mine.call_count == 1
    assert hass.states.get(PATTERNS).state == "1"
    assert len(payloads(mqtt_mock, "ha-ai/analysis/complete")) == 1


async def test_setup_does_not_wait_for_an_analysis(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    assert setup_entry.runtime_data.habits.last_run is None
    assert payloads(mqtt_mock, "ha-ai/analysis/") == []


async def test_existing_automations_are_passed_as_coverage(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "triggers": [{"trigger": "time", "at": "07:00:00"}],
                    "actions": [
                        {
                            "action": "light.turn_on",
                            "target": {"entity_id": "light.bedroom"},
                        }
                    ],
                },
                {
                    "trigger": {"platform": "state", "entity_id": "binary_sensor.door"},
                    "action": [{"action": "light.turn_on", "entity_id": "light.hall"}],
                },
                {
                    "triggers": [{"trigger": "event", "event_type": "x"}],
                    "actions": [],
                },
            ]
        },
    )
    await hass.async_block_till_done()
    with patch(MINE, return_value=[]) as mine:
        await run(hass)
    coverage = mine.call_args.kwargs["coverage"]
    assert coverage.timed_targets == {"light.bedroom"}
    assert coverage.state_triggered == {("binary_sensor.door", "light.hall")}


async def test_diagnostics_summary(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[MORNING, COVERED]):
        await run(hass)
    summary = setup_entry.runtime_data.habits.as_diagnostics()
    assert summary["patterns"] == 2
    assert summary["by_type"] == {"time_of_day": 1, "used_together": 1}
    assert summary["by_level"] == {"established": 2, "forming": 0}
    assert summary["reverse_only"] == 0
    assert summary["automated"] == 1
    assert summary["schedule"] == {"run_at": "03:00:00", "history_days": 60}


async def test_entities_of_one_device_are_not_a_pair(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    owner = MockConfigEntry(domain="demo")
    owner.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=owner.entry_id, identifiers={("demo", "relay")}
    )
    for object_id in ("relay_one", "relay_two"):
        entity_registry.async_get_or_create(
            "switch",
            "demo",
            object_id,
            suggested_object_id=object_id,
            device_id=device.id,
        )
    for entity_id in ("switch.relay_one", "switch.relay_two", "light.lonely"):
        hass.states.async_set(entity_id, "off")
        hass.states.async_set(entity_id, "on")
    await hass.async_block_till_done()
    with patch(MINE, return_value=[]) as mine:
        await run(hass)
    same_device = mine.call_args.kwargs["same_device"]
    assert same_device("switch.relay_one", "switch.relay_two")
    assert not same_device("switch.relay_one", "light.lonely")
    assert not same_device("light.lonely", "light.other")


async def test_a_real_routine_is_learned_from_the_log(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    tz = dt_util.get_default_time_zone()
    today = dt_util.now().date()
    rows = []
    for back in range(1, 22):
        day = today - timedelta(days=back)
        on = datetime.combine(day, datetime.min.time(), tz) + timedelta(
            hours=7, minutes=back % 5
        )
        off = on + timedelta(hours=15)
        rows.append((int(on.timestamp()), 0, "light.bedroom", "on"))
        rows.append((int(off.timestamp()), 0, "light.bedroom", "off"))
    await setup_entry.runtime_data.habit_log.async_add_rows(rows)
    await run(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    patterns = setup_entry.runtime_data.habits.patterns
    routines = [p for p in patterns if p.pattern_type == "time_of_day"]
    assert {(p.entity_id, p.state) for p in routines} >= {("light.bedroom", "on")}
    morning = next(p for p in routines if p.state == "on")
    assert morning.time.startswith("07:0")
    [(_, complete)] = payloads(mqtt_mock, "ha-ai/analysis/complete")
    assert complete["entities_analyzed"] == 1
    assert complete["patterns_detected"] == len(patterns)
    detected = payloads(mqtt_mock, "ha-ai/events/pattern/time_of_day_detected")
    assert any(p["entity_id"] == "light.bedroom" for _, p in detected)


FORMING_MORNING = replace(MORNING, level=PatternLevel.FORMING, support_days=5)
FORMING_COFFEE = replace(COFFEE, level=PatternLevel.FORMING, distinct_days=3)
REVERSE_ONLY = replace(
    COFFEE,
    pattern_id="pair_hall",
    trigger_entity_id="binary_sensor.door",
    entity_id="light.hall",
    confidence=0.3,
    reverse_confidence=0.96,
    reverse_only=True,
    evidence=9.5,
    distinct_days=12,
)


async def test_forming_patterns_are_published_with_their_level_but_not_proposed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[FORMING_MORNING, FORMING_COFFEE, REVERSE_ONLY]):
        await run(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    [(_, complete)] = payloads(mqtt_mock, "ha-ai/analysis/complete")
    assert complete["patterns_detected"] == 3
    assert complete["patterns_established"] == 1
    assert complete["patterns_forming"] == 2
    assert complete["patterns_promoted"] == 0
    assert complete["suggestions_generated"] == 0
    assert complete["new_suggestions"] == 0
    assert payloads(mqtt_mock, "ha-ai/suggestions/new") == []

    detected = {
        p["pattern_id"]: (t, p) for t, p in payloads(mqtt_mock, "ha-ai/events/pattern/")
    }
    topic, routine = detected["tod_morning"]
    assert topic == "ha-ai/events/pattern/time_of_day_detected"
    assert routine["pattern_type"] == "time_of_day"
    assert routine["level"] == "forming"
    assert routine["promoted"] is False
    assert routine["changes"] == 0
    _, pair = detected["pair_coffee"]
    assert pair["level"] == "forming"
    assert pair["distinct_days"] == 3
    topic, reverse = detected["pair_hall"]
    assert topic == "ha-ai/events/pattern/used_together_detected"
    assert reverse["level"] == "established"
    assert reverse["reverse_only"] is True
    assert reverse["reverse_confidence"] == 0.96
    assert reverse["evidence"] == 9.5

    state = hass.states.get(PATTERNS)
    assert state.state == "3"
    assert state.attributes["established"] == 1
    assert state.attributes["forming"] == 2
    top = state.attributes["top_patterns"]
    assert [p["pattern_id"] for p in top] == ["pair_hall", "pair_coffee", "tod_morning"]


async def test_a_forming_pattern_that_grows_is_announced_as_promoted(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[FORMING_MORNING, FORMING_COFFEE]):
        await run(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    mqtt_mock.async_publish.reset_mock()

    # The routine's window moved a little and its id changed in the miner: it is
    # still the same routine, now established; the pair is still forming.
    grown = replace(MORNING, pattern_id="tod_morning_new", minute_of_day=7 * 60 + 4)
    with patch(MINE, return_value=[grown, FORMING_COFFEE]):
        await run(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    [(topic, promoted)] = payloads(mqtt_mock, "ha-ai/events/pattern/")
    assert topic == "ha-ai/events/pattern/time_of_day_detected"
    assert promoted["pattern_id"] == "tod_morning"
    assert promoted["level"] == "established"
    assert promoted["promoted"] is True
    [(_, complete)] = payloads(mqtt_mock, "ha-ai/analysis/complete")
    assert complete["patterns_promoted"] == 1
    assert complete["patterns_established"] == 1
    assert complete["patterns_forming"] == 1
    assert complete["suggestions_generated"] == 1
    assert complete["new_suggestions"] == 1
    [(_, suggestion)] = payloads(mqtt_mock, "ha-ai/suggestions/new")
    assert suggestion["kind"] == "routine"
    response = await hass.services.async_call(
        DOMAIN, "get_suggestions", {}, blocking=True, return_response=True
    )
    [listed] = response["suggestions"]
    assert listed["kind"] == "routine"
    assert listed["entities"] == ["light.bedroom"]
    assert listed["automation"]["triggers"] == [{"trigger": "time", "at": "07:04:00"}]

    # Found again established: announced no more.
    mqtt_mock.async_publish.reset_mock()
    with patch(MINE, return_value=[grown, FORMING_COFFEE]):
        await run(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert payloads(mqtt_mock, "ha-ai/events/pattern/") == []


@pytest.mark.parametrize(
    "entry_options", [{**DEFAULT_OPTIONS, CONF_PAIR_DELAY_SECONDS: 420}]
)
async def test_the_pair_delay_option_reaches_the_miner(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[]) as mine:
        await run(hass)
    settings = mine.call_args.kwargs["settings"]
    assert settings.pair_max_delay == timedelta(minutes=7)
    assert settings.episode_gap == MiningSettings().episode_gap
    summary = setup_entry.runtime_data.habits.as_diagnostics()
    assert summary["settings"] == {"pair_max_delay_seconds": 420}


async def test_the_pair_delay_defaults_to_the_miners(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with patch(MINE, return_value=[]) as mine:
        await run(hass)
    assert mine.call_args.kwargs["settings"] == MiningSettings()


async def test_the_analysis_feeds_the_suggestions_it_was_built_with(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    """Built one way, nothing set afterwards: the counts still reach the event."""
    runtime = setup_entry.runtime_data
    suggestions = SuggestionManager(
        hass,
        setup_entry,
        runtime.bus,
        runtime.insights,
        runtime.deployer,
        runtime.runs,
        runtime.settings.suggestions,
    )
    analysis = HabitAnalysis(
        hass,
        runtime.bus,
        runtime.habit_log,
        runtime.zigbee,
        runtime.settings.schedule,
        entry=setup_entry,
        suggestions=suggestions,
    )
    with patch(MINE, return_value=[MORNING, COFFEE, COVERED]):
        assert await analysis.async_run()
    await hass.async_block_till_done(wait_background_tasks=True)
    [(_, complete)] = payloads(mqtt_mock, "ha-ai/analysis/complete")
    assert complete["patterns_detected"] == 3
    assert complete["suggestions_generated"] == 2
    assert complete["new_suggestions"] == 2
    assert {str(item.kind) for item in suggestions.query()} == {
        "routine",
        "used_together",
    }
    # The entry's own parts did not take part.
    assert hass.states.get(PATTERNS).state == "0"
    assert runtime.suggestions.query() == []
