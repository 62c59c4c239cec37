"""A large house judged: the bookkeeping runs off the loop, or a device at a time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.engine.zigbee.devices import parse_device_list
from custom_components.ha_ai.engine.zigbee.settings_usage import SettingsTracker
from custom_components.ha_ai.zigbee import coordinator as zigbee_insights
from custom_components.ha_ai.zigbee.coordinator import ChangedSettings

from .conftest import published
from .zigbee_helpers import PLUG, house_devices, send


async def judged(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def opportunity_ids(mqtt_mock: MqttMockHAClient) -> list[str]:
    return [
        payload["opportunity_id"]
        for topic, payload, _, _ in published(mqtt_mock, "ha-ai/events/device/")
        if topic.endswith("/optimization_opportunity")
    ]


async def test_a_large_house_finds_its_new_opportunities_in_an_executor_job(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    jobs: list[str] = []
    add_job = hass.async_add_executor_job

    def executor_job(target: Any, *args: Any) -> Any:
        jobs.append(getattr(target, "__name__", ""))
        return add_job(target, *args)

    with (
        patch.object(zigbee_insights, "NEW_IN_PLACE_FINDINGS", 0),
        patch.object(zigbee_insights, "MAX_PUBLISHED_PER_JUDGEMENT", 2),
        patch.object(hass, "async_add_executor_job", executor_job),
    ):
        send(hass, "bridge/devices", house_devices())
        await judged(hass, freezer)
        first = opportunity_ids(mqtt_mock)
        mqtt_mock.async_publish.reset_mock()
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(hass)
        await judged(hass, freezer)
        second = opportunity_ids(mqtt_mock)

    assert "new_opportunities" in jobs
    ranked = [f.opportunity_id for f in setup_entry.runtime_data.insights.findings]
    # The best ones in order, two a judgement, none published twice.
    assert first + second == ranked[: len(first) + len(second)]
    assert len(second) == 2


def test_changed_settings_are_worked_out_when_asked_for() -> None:
    devices = list(parse_device_list(house_devices()).devices.values())
    tracker = SettingsTracker()
    changed = ChangedSettings(tracker, devices)
    assert len(changed) == len(devices)
    assert set(changed) == {device.ieee_address for device in devices}
    assert changed[PLUG] == frozenset()
    assert changed.get("0xnot_a_device") is None
