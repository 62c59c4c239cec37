"""Following the runs of HA AI's automations: reports over MQTT, health, entities."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.ha_ai.automations import runs as runs_module
from custom_components.ha_ai.automations.change_origin import (
    EVENT_AUTOMATION_TRIGGERED,
)

from .conftest import published
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import writable_automations

EXECUTED = "ha-ai/responses/automation/executed"
FAILED = "ha-ai/responses/automation/failed"
HEALTH = "sensor.ha_ai_automation_health"
RUNS_TODAY = "sensor.ha_ai_automation_runs_today"
OVERRIDES = "sensor.ha_ai_automation_overrides_this_week"


@pytest.fixture(autouse=True)
def configuration(tmp_path: Path) -> None:
    """A configuration.yaml including automations.yaml, there before MQTT starts."""
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text("[]\n")


@pytest.fixture
async def loaded(
    hass: HomeAssistant,
    tmp_path: Path,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """HA AI on a house whose automations.yaml it can write into."""
    await writable_automations(hass, tmp_path)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    return config_entry


async def deploy(
    entry: MockConfigEntry,
    automation_id: str,
    triggers: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    *,
    suggestion_id: str | None = None,
    **extra: Any,
) -> None:
    config = {
        "id": automation_id,
        "alias": automation_id.replace("_", " "),
        "triggers": triggers,
        "actions": actions,
        **extra,
    }
    await entry.runtime_data.deployer.async_deploy(
        config,
        source="suggestion" if suggestion_id else "remote",
        suggestion_id=suggestion_id,
    )


async def settle(hass: HomeAssistant) -> None:
    """Let runs end and their reports go out (a run is reported as its task ends)."""
    for _ in range(2):
        await hass.async_block_till_done(wait_background_tasks=True)


def reports(mqtt_mock: MqttMockHAClient, topic: str) -> list[dict[str, Any]]:
    return [payload for _, payload, _, _ in published(mqtt_mock, topic)]


def runs(mqtt_mock: MqttMockHAClient, topic: str) -> list[dict[str, Any]]:
    return [p for p in reports(mqtt_mock, topic) if p.get("event") == "run"]


def local(hour: int, minute: int, second: int = 0) -> datetime:
    return dt_util.now().replace(hour=hour, minute=minute, second=second, microsecond=0)


STATE_TRIGGER = [{"trigger": "state", "entity_id": "binary_sensor.door", "to": "on"}]
RECORD = [{"action": "test.record"}]


async def test_a_time_triggered_run_is_reported_as_executed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    calls = async_mock_service(hass, "test", "record")
    freezer.move_to(local(6, 6, 50))
    await deploy(
        loaded,
        "ha_ai_morning",
        [{"trigger": "time", "at": "06:07:00"}],
        RECORD,
        suggestion_id="s_morning",
    )

    freezer.move_to(local(6, 7))
    async_fire_time_changed(hass)
    await settle(hass)

    assert len(calls) == 1
    (report,) = runs(mqtt_mock, EXECUTED)
    assert report["automation_id"] == "ha_ai_morning"
    assert report["suggestion_id"] == "s_morning"
    assert report["success"] is True
    assert report["error"] is None
    assert report["execution_time_ms"] >= 0
    assert report["trigger"] == "time"
    assert report["run_id"]
    topic, _, qos, retain = published(mqtt_mock, EXECUTED)[-1]
    assert (qos, retain) == (1, False)
    assert report["ttl"] > 0
    assert reports(mqtt_mock, FAILED) == []
    assert hass.states.get(RUNS_TODAY).state == "1"
    health = hass.states.get(HEALTH)
    assert health.state == "1"
    assert health.attributes["automations"]["ha_ai_morning"]["runs"] == 1


async def test_a_state_triggered_run_of_a_remote_deploy_has_no_suggestion(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded: MockConfigEntry
) -> None:
    async_mock_service(hass, "test", "record")
    await deploy(loaded, "ha_ai_door", STATE_TRIGGER, RECORD)

    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)

    (report,) = runs(mqtt_mock, EXECUTED)
    assert report["automation_id"] == "ha_ai_door"
    assert report["suggestion_id"] is None
    assert report["trigger"].startswith("state of binary_sensor.door")


async def test_a_run_whose_action_raises_is_reported_as_failed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded: MockConfigEntry
) -> None:
    async def fail(_call: ServiceCall) -> None:
        raise HomeAssistantError("The lamp is gone")

    hass.services.async_register("test", "fail", fail)
    await deploy(loaded, "ha_ai_broken", STATE_TRIGGER, [{"action": "test.fail"}])

    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)

    (report,) = runs(mqtt_mock, FAILED)
    assert report["success"] is False
    assert report["error"] == "The lamp is gone"
    assert runs(mqtt_mock, EXECUTED) == []
    health = hass.states.get(HEALTH).attributes["automations"]["ha_ai_broken"]
    assert health["failures"] == 1
    assert health["last_error"] == "The lamp is gone"


async def test_a_loop_is_reported_a_few_times_then_summarised(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    async_mock_service(hass, "test", "record")
    await deploy(
        loaded,
        "ha_ai_loop",
        [{"trigger": "state", "entity_id": "sensor.counter"}],
        RECORD,
        mode="parallel",
        max=100,
    )
    for value in range(20):
        hass.states.async_set("sensor.counter", str(value))
        await settle(hass)

    assert len(runs(mqtt_mock, EXECUTED)) == 6
    assert hass.states.get(RUNS_TODAY).state == "20"

    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass)
    await settle(hass)

    (summary,) = [r for r in reports(mqtt_mock, EXECUTED) if r["event"] == "summary"]
    assert summary["automation_id"] == "ha_ai_loop"
    assert summary["suppressed"] == 14
    assert summary["suppressed_failures"] == 0
    assert summary["success"] is True


async def test_a_burst_of_failures_is_summarised_on_failed_and_flushed_on_unload(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded: MockConfigEntry
) -> None:
    async def fail(_call: ServiceCall) -> None:
        raise HomeAssistantError("No")

    hass.services.async_register("test", "fail", fail)
    await deploy(
        loaded,
        "ha_ai_failing_loop",
        [{"trigger": "state", "entity_id": "sensor.counter"}],
        [{"action": "test.fail"}],
        mode="parallel",
        max=100,
    )
    for value in range(8):
        hass.states.async_set("sensor.counter", str(value))
        await settle(hass)
    assert len(runs(mqtt_mock, FAILED)) == 6

    await hass.config_entries.async_unload(loaded.entry_id)
    await settle(hass)

    (summary,) = [r for r in reports(mqtt_mock, FAILED) if r["event"] == "summary"]
    assert (summary["suppressed"], summary["suppressed_failures"]) == (2, 2)
    assert summary["success"] is False


async def test_the_first_run_after_the_minute_brings_the_summary(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    async_mock_service(hass, "test", "record")
    await deploy(
        loaded,
        "ha_ai_loop",
        [{"trigger": "state", "entity_id": "sensor.counter"}],
        RECORD,
        mode="parallel",
        max=100,
    )
    # Without its timer (as if it had not fired yet), the next run brings it.
    with patch.object(runs_module, "async_track_point_in_utc_time") as timer:
        for value in range(7):
            hass.states.async_set("sensor.counter", str(value))
            await settle(hass)
        freezer.tick(timedelta(minutes=1, seconds=1))
        hass.states.async_set("sensor.counter", "again")
        await settle(hass)

    assert timer.called
    events = [(r["event"], r.get("suppressed")) for r in reports(mqtt_mock, EXECUTED)]
    assert events == [("run", None)] * 6 + [("summary", 1), ("run", None)]


async def test_a_restart_keeps_the_counts(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded: MockConfigEntry
) -> None:
    async_mock_service(hass, "test", "record")
    await deploy(loaded, "ha_ai_door", STATE_TRIGGER, RECORD)
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)

    assert await hass.config_entries.async_reload(loaded.entry_id)
    await settle(hass)
    hass.states.async_set("binary_sensor.door", "off")
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)

    health = hass.states.get(HEALTH).attributes["automations"]["ha_ai_door"]
    assert health["runs"] == 2
    assert hass.states.get(RUNS_TODAY).state == "2"
    assert len(runs(mqtt_mock, EXECUTED)) == 2


async def test_a_run_under_way_at_a_reload_is_left_to_neither(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded: MockConfigEntry
) -> None:
    release = asyncio.Event()

    waited = []

    async def wait(call: ServiceCall) -> None:
        waited.append(call)
        await release.wait()

    hass.services.async_register("test", "wait", wait)
    await deploy(loaded, "ha_ai_slow", STATE_TRIGGER, [{"action": "test.wait"}])
    hass.states.async_set("binary_sensor.door", "on")
    await asyncio.sleep(0)
    assert len(waited) == 1  # the run waits in its action
    assert await hass.config_entries.async_reload(loaded.entry_id)
    release.set()
    await settle(hass)

    assert runs(mqtt_mock, EXECUTED) == []
    slow = hass.states.get(HEALTH).attributes["automations"]["ha_ai_slow"]
    assert slow["runs"] == 0
    hass.states.async_set("binary_sensor.door", "off")
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)
    slow = hass.states.get(HEALTH).attributes["automations"]["ha_ai_slow"]
    assert slow["runs"] == 1


async def test_only_ha_ai_automations_are_followed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded: MockConfigEntry
) -> None:
    async_mock_service(hass, "test", "record")
    await deploy(loaded, "ha_ai_door", STATE_TRIGGER, RECORD)
    # The user's own automation, beside HA AI's, and one fired by hand.
    Path(hass.config.path("automations.yaml")).write_text(
        Path(hass.config.path("automations.yaml")).read_text()
        + "- id: mine\n  triggers: [{trigger: state, entity_id: binary_sensor.door}]\n"
        "  actions: [{action: test.record}]\n"
    )
    await hass.services.async_call("automation", "reload", blocking=True)
    hass.bus.async_fire(
        EVENT_AUTOMATION_TRIGGERED, {"entity_id": "automation.ha_ai_door"}
    )
    hass.loop.call_soon(
        hass.bus.async_fire,
        EVENT_AUTOMATION_TRIGGERED,
        {"entity_id": "automation.ha_ai_door"},
    )
    await settle(hass)
    assert runs(mqtt_mock, EXECUTED) == [] or all(
        r["automation_id"] == "ha_ai_door" for r in runs(mqtt_mock, EXECUTED)
    )

    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)

    followed = [r["automation_id"] for r in runs(mqtt_mock, EXECUTED)]
    assert "mine" not in followed
    assert followed.count("ha_ai_door") >= 1


async def test_a_run_without_a_kept_trace_counts_as_a_success(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded: MockConfigEntry
) -> None:
    async_mock_service(hass, "test", "record")
    await deploy(loaded, "ha_ai_untraced", STATE_TRIGGER, RECORD)
    with patch.object(runs_module, "DATA_TRACE", "no traces kept"):
        hass.states.async_set("binary_sensor.door", "on")
        await settle(hass)

    (report,) = runs(mqtt_mock, EXECUTED)
    assert report["success"] is True
    assert report["execution_time_ms"] >= 0


async def test_entities_follow_deploys_and_the_day(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    async_mock_service(hass, "test", "record")
    freezer.move_to(local(23, 50))
    assert hass.states.get(HEALTH).state == "0"
    await deploy(loaded, "ha_ai_door", STATE_TRIGGER, RECORD)
    assert hass.states.get(HEALTH).state == "1"
    assert hass.states.get(HEALTH).attributes["automations"] == {
        "ha_ai_door": {
            "runs": 0,
            "failures": 0,
            "overrides": 0,
            "last_run": None,
            "last_error": None,
        }
    }
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)
    assert hass.states.get(RUNS_TODAY).state == "1"
    assert hass.states.get(OVERRIDES).state == "0"

    freezer.move_to(local(23, 50) + timedelta(minutes=10))
    async_fire_time_changed(hass)
    await settle(hass)
    assert hass.states.get(RUNS_TODAY).state == "0"

    await loaded.runtime_data.deployer.async_remove("ha_ai_door")
    assert hass.states.get(HEALTH).state == "0"


async def test_diagnostics_hold_the_health_table(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
) -> None:
    async_mock_service(hass, "test", "record")
    await deploy(loaded, "ha_ai_door", STATE_TRIGGER, RECORD)
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded)

    health = diagnostics["automation_health"]
    assert health["followed"] == ["ha_ai_door"]
    assert health["reports"] == 1
    assert health["suppressed"] == 0
    assert health["automations"]["ha_ai_door"]["runs"] == 1
    assert health["automations"]["ha_ai_door"]["successes"] == 1


async def test_the_health_table_stays_out_of_the_recorder(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, loaded: MockConfigEntry
) -> None:
    state_info = hass.states.get(HEALTH).state_info
    assert state_info is not None
    assert "automations" in state_info["unrecorded_attributes"]


async def test_overrides_are_counted_for_the_week(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # A Sunday evening; the override detector feeds the count.
    freezer.move_to(
        dt_util.as_utc(
            datetime(2026, 12, 6, 21, tzinfo=dt_util.get_default_time_zone())
        )
    )
    await deploy(loaded, "ha_ai_door", STATE_TRIGGER, RECORD)
    loaded.runtime_data.runs.async_record_override("ha_ai_door")
    loaded.runtime_data.runs.async_record_override("ha_ai_door")
    assert hass.states.get(OVERRIDES).state == "2"
    assert (
        hass.states.get(HEALTH).attributes["automations"]["ha_ai_door"]["overrides"]
        == 2
    )

    freezer.tick(timedelta(hours=3))  # Monday
    async_fire_time_changed(hass)
    await settle(hass)
    assert hass.states.get(OVERRIDES).state == "0"
    assert (
        hass.states.get(HEALTH).attributes["automations"]["ha_ai_door"]["overrides"]
        == 2
    )
