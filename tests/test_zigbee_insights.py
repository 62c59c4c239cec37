"""Judging the Zigbee devices in Home Assistant: unused capabilities, once each."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.engine.zigbee.judge import find_unused_capabilities
from custom_components.ha_ai.zigbee import coordinator as zigbee_insights
from custom_components.ha_ai.zigbee.coordinator import ZigbeeInsights
from custom_components.ha_ai.zigbee.entities import ATTR_TOP_OPPORTUNITIES

from .conftest import published
from .zigbee_helpers import BUTTON, PLUG, VIBRATION, house_devices, register_house, send

UNUSED = "sensor.ha_ai_unused_capabilities"


@pytest.fixture
def registry(hass: HomeAssistant) -> dict[str, str]:
    """Register the house the way Zigbee2MQTT's discovery would."""
    return register_house(hass)


def insights_of(entry: MockConfigEntry) -> ZigbeeInsights:
    insights: ZigbeeInsights = entry.runtime_data.insights
    return insights


async def judged(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the debounced judgement run."""
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def finding_keys(entry: MockConfigEntry) -> set[tuple[str, str]]:
    """Return (device, capability) of each current finding."""
    return {(f.ieee_address, f.capability_key) for f in insights_of(entry).findings}


def opportunities(mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    return [
        payload
        for topic, payload, _, _ in published(mqtt_mock, "ha-ai/events/device/")
        if topic.endswith("/optimization_opportunity")
    ]


async def test_unused_capabilities_are_found_and_published_once(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)

    findings = insights_of(setup_entry).findings
    assert findings
    state = hass.states.get(UNUSED)
    assert state.state == str(len(findings))
    top = state.attributes[ATTR_TOP_OPPORTUNITIES]
    assert 0 < len(top) <= 5
    assert top[0]["title"] == findings[0].title
    assert {"opportunity_id", "device", "entity_id", "how_to_start"} <= set(top[0])

    # The plug's power entity exists but nothing uses it.
    power = next(f for f in findings if f.capability_key == "power")
    assert power.reason == "not_referenced"
    assert power.entity_id == registry["power"]
    assert power.ieee_address == PLUG

    events = opportunities(mqtt_mock)
    assert sorted(e["opportunity_id"] for e in events) == sorted(
        f.opportunity_id for f in findings
    )
    event = next(e for e in events if e["capability"] == "power")
    assert event["device_id"] == PLUG
    assert event["friendly_name"] == "Kitchen plug"
    assert event["entity_id"] == registry["power"]
    assert event["title"] == power.title
    assert event["reason"] == "not_referenced"

    # Judging again publishes nothing new.
    mqtt_mock.async_publish.reset_mock()
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    assert opportunities(mqtt_mock) == []


async def test_a_restart_does_not_repeat_opportunities(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    assert opportunities(mqtt_mock)
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    mqtt_mock.async_publish.reset_mock()
    await judged(hass, freezer)
    assert insights_of(setup_entry).findings
    assert opportunities(mqtt_mock) == []


async def test_using_a_capability_removes_it_and_reacts_to_reloads(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    keys = finding_keys(setup_entry)
    assert (PLUG, "power") in keys

    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "triggers": [
                        {"trigger": "state", "entity_id": registry["power"]},
                        {"trigger": "state", "entity_id": registry["vibration"]},
                    ],
                    "actions": [],
                }
            ]
        },
    )
    hass.bus.async_fire("automation_reloaded")
    await judged(hass, freezer)
    keys = finding_keys(setup_entry)
    assert (PLUG, "power") not in keys
    assert (VIBRATION, "vibration") not in keys


async def test_enabling_an_entity_changes_the_reason(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    entity_registry.async_update_entity(
        registry["power"], disabled_by=er.RegistryEntryDisabler.USER
    )
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    power = next(
        f for f in insights_of(setup_entry).findings if f.capability_key == "power"
    )
    assert power.reason == "entity_disabled"
    assert power.entity_id in (registry["power"], registry["power_disabled"])
    assert power.entity_id in power.how_to_start

    entity_registry.async_update_entity(registry["power"], disabled_by=None)
    await judged(hass, freezer)
    power = next(
        f for f in insights_of(setup_entry).findings if f.capability_key == "power"
    )
    assert power.reason == "not_referenced"
    assert power.entity_id == registry["power"]


async def test_a_new_judgement_keeps_what_did_not_change(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    insights = insights_of(setup_entry)
    before = {f.opportunity_id: f for f in insights.findings}
    usage_before = dict(insights.data.usage)

    entity_registry.async_update_entity(
        registry["power"], disabled_by=er.RegistryEntryDisabler.USER
    )
    await judged(hass, freezer)
    after = {f.opportunity_id: f for f in insights.findings}
    power = next(key for key in after if key.endswith("/power"))
    # The finding that changed is new; every other one is the same object.
    assert after[power] != before[power]
    assert all(after[key] is before[key] for key in after if key != power)
    changed_device = power.split("/")[0]
    assert insights.data.usage[changed_device] is not usage_before[changed_device]
    assert all(
        usage is usage_before[ieee]
        for ieee, usage in insights.data.usage.items()
        if ieee != changed_device
    )


async def test_changed_settings_are_used(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    send(hass, "Kitchen plug", {"state": "ON", "child_lock": "UNLOCK"})
    await judged(hass, freezer)
    keys = finding_keys(setup_entry)
    assert (PLUG, "child_lock") in keys
    send(hass, "Kitchen plug", {"state": "ON", "child_lock": "LOCK"})
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    keys = finding_keys(setup_entry)
    assert (PLUG, "child_lock") not in keys


async def test_button_used_through_its_device(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    assert any(f.ieee_address == BUTTON for f in insights_of(setup_entry).findings)
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "desk": {
                    "sequence": [
                        {
                            "action": "homeassistant.turn_on",
                            "target": {"device_id": registry[BUTTON]},
                        }
                    ]
                }
            }
        },
    )
    hass.bus.async_fire("script_reloaded")
    await judged(hass, freezer)
    assert not any(
        f.ieee_address == BUTTON and f.feature_kind == "button_action"
        for f in insights_of(setup_entry).findings
    )


async def test_top_opportunities_stay_out_of_the_recorder(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    # What the recorder is told to leave out, with each state it records.
    state_info = hass.states.get(UNUSED).state_info
    assert state_info is not None
    assert ATTR_TOP_OPPORTUNITIES in state_info["unrecorded_attributes"]


async def test_setup_does_not_wait_for_a_judgement(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # Until the first judgement, the stored state is what there is: nothing found.
    assert hass.states.get(UNUSED).state == "0"
    assert insights_of(setup_entry).last_judged is None
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    assert insights_of(setup_entry).last_judged is not None
    assert int(hass.states.get(UNUSED).state) > 0


async def test_a_burst_of_changes_gives_one_judgement(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    await judged(hass, freezer)  # the cooldown after that judgement is over
    with patch.object(
        zigbee_insights, "find_unused_capabilities", wraps=find_unused_capabilities
    ) as judge:
        send(hass, "bridge/devices", house_devices())
        entity_registry.async_update_entity(
            registry["power"], disabled_by=er.RegistryEntryDisabler.USER
        )
        for event_type in zigbee_insights.RELOAD_EVENTS:
            hass.bus.async_fire(event_type)
        await judged(hass, freezer)
        assert judge.call_count == 1
    # The one judgement saw the last change of the burst.
    power = next(
        f for f in insights_of(setup_entry).findings if f.capability_key == "power"
    )
    assert power.reason == "entity_disabled"


async def test_a_failed_judgement_keeps_the_findings_unavailable_until_the_next(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    insights = insights_of(setup_entry)
    findings = insights.findings
    count = hass.states.get(UNUSED).state
    assert count != "0"

    mqtt_mock.async_publish.reset_mock()
    with patch.object(
        zigbee_insights, "find_unused_capabilities", side_effect=RuntimeError("boom")
    ):
        hass.bus.async_fire("automation_reloaded")
        await judged(hass, freezer)
    assert hass.states.get(UNUSED).state == STATE_UNAVAILABLE
    assert "Judging the Zigbee devices failed: boom" in caplog.text
    assert insights.findings is findings
    assert insights.as_diagnostics()["unused_capabilities"] == len(findings)
    assert opportunities(mqtt_mock) == []

    hass.bus.async_fire("automation_reloaded")
    await judged(hass, freezer)
    assert hass.states.get(UNUSED).state == count


async def test_the_hourly_judgement_runs_without_a_change(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await judged(hass, freezer)
    first = insights_of(setup_entry).last_judged
    with patch.object(
        zigbee_insights, "find_unused_capabilities", wraps=find_unused_capabilities
    ) as judge:
        freezer.tick(zigbee_insights.REJUDGE_INTERVAL - timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert judge.call_count == 0
        freezer.tick(timedelta(minutes=2))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert judge.call_count == 1
    assert insights_of(setup_entry).last_judged != first


async def test_many_opportunities_are_published_a_few_at_a_time(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    with patch.object(zigbee_insights, "MAX_PUBLISHED_PER_JUDGEMENT", 3):
        send(hass, "bridge/devices", house_devices())
        await judged(hass, freezer)
        findings = insights_of(setup_entry).findings
        assert len(findings) > 6
        ranked = [f.opportunity_id for f in findings]
        first = [e["opportunity_id"] for e in opportunities(mqtt_mock)]
        # The best ones, in order, three a judgement (setup may judge twice).
        assert first == ranked[: len(first)]
        assert len(first) in (3, 6)

        # The hourly judgement publishes the next ones, none repeated.
        mqtt_mock.async_publish.reset_mock()
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(hass)
        await judged(hass, freezer)
        second = [e["opportunity_id"] for e in opportunities(mqtt_mock)]
        assert len(second) >= 3
        assert first + second == ranked[: len(first) + len(second)]


async def test_a_large_house_is_judged_in_an_executor_job(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    threads: list[str] = []
    real_steps = zigbee_insights.judge_steps

    def recording_steps(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return (yield from real_steps(*args))

    send(hass, "bridge/devices", house_devices())
    with (
        patch.object(zigbee_insights, "JUDGE_IN_PLACE_DEVICES", 0),
        patch.object(zigbee_insights, "judge_steps", recording_steps),
    ):
        await judged(hass, freezer)
    assert threads
    assert threading.current_thread().name not in threads
    assert insights_of(setup_entry).findings
