"""What the recorder keeps of a camera's last event: no free text, lists or links."""

from __future__ import annotations

import pytest
from homeassistant.components.recorder.history import get_last_state_changes
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    RecorderInstanceGenerator,
)

from .camera_helpers import FRONT, event_payload, send_event, state


@pytest.fixture(autouse=True)
async def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceGenerator,
) -> None:
    """Set the recorder up before Home Assistant, as the recorder tests do."""


async def test_large_attributes_stay_out_of_the_recorder(
    recorder_mock: object,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    assert state(hass, FRONT["last_description"]) == "A person at the door"
    shown = hass.states.get(FRONT["last_event"])
    assert shown is not None
    assert shown.attributes["description"] == "A person at the door"
    await async_wait_recording_done(hass)

    recorded = await get_instance(hass).async_add_executor_job(
        get_last_state_changes, hass, 1, FRONT["last_event"]
    )
    (last,) = recorded[FRONT["last_event"]]
    assert last.state == shown.state
    for left_out in ("description", "objects", "thumbnail_url", "event_id"):
        assert left_out not in last.attributes
    assert last.attributes["confidence"] == 87.5
    assert last.attributes["doorbell"] is False
