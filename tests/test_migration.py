"""Entries stored by an older HA AI are brought to today's layout, losing nothing."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_CAMERA_QUIET_MINUTES,
    CONF_CAMERA_TOPIC_PREFIX,
    CONF_LLM_API_KEY,
    CONF_LLM_BASE_URL,
    CONF_LLM_MODEL,
    CONF_LLM_PROVIDER,
    CONF_NAMESPACE_PREFIX,
    CONF_QOS,
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    CONF_ZIGBEE2MQTT_BASE_TOPIC,
    DOMAIN,
    LLM_PROVIDER_OPENAI,
)

from .conftest import published

# Version 1 kept every setting in the options, the secrets among them. Settings
# added after it was stored (the other LLM fields) are missing, and one option
# this version does not know is kept as it is.
VERSION_1_OPTIONS: dict[str, Any] = {
    CONF_ZIGBEE2MQTT_BASE_TOPIC: "home/zigbee",
    CONF_NAMESPACE_PREFIX: "house-ai",
    CONF_CAMERA_TOPIC_PREFIX: "cams",
    CONF_QOS: 2,
    CONF_CAMERA_QUIET_MINUTES: 9,
    CONF_REMOTE_DEPLOY: True,
    CONF_REMOTE_SECRET: "shared-secret",
    CONF_LLM_PROVIDER: LLM_PROVIDER_OPENAI,
    CONF_LLM_BASE_URL: "http://llm.example/v1",
    CONF_LLM_API_KEY: "sk-secret-key",
    CONF_LLM_MODEL: "llama3",
    "kept_as_it_is": [1, 2],
}
CONNECTION_KEYS = {
    CONF_ZIGBEE2MQTT_BASE_TOPIC,
    CONF_NAMESPACE_PREFIX,
    CONF_CAMERA_TOPIC_PREFIX,
    CONF_REMOTE_SECRET,
    CONF_LLM_PROVIDER,
    CONF_LLM_BASE_URL,
    CONF_LLM_API_KEY,
    CONF_LLM_MODEL,
}


async def test_a_version_1_entry_moves_its_secrets_and_topics_into_data(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, title="HA AI", data={}, options=VERSION_1_OPTIONS, version=1
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (2, 1)
    assert entry.data == {key: VERSION_1_OPTIONS[key] for key in CONNECTION_KEYS}
    assert entry.data[CONF_LLM_API_KEY] == "sk-secret-key"
    assert entry.data[CONF_REMOTE_SECRET] == "shared-secret"
    assert entry.options == {
        key: value
        for key, value in VERSION_1_OPTIONS.items()
        if key not in CONNECTION_KEYS
    }
    # Nothing was lost nor added: together they hold what the options held.
    assert {**entry.data, **entry.options} == VERSION_1_OPTIONS
    # The entry runs with the migrated settings.
    assert ("house-ai/status", "online", 2, True) in published(mqtt_mock)

    # Reloading keeps everything where it is.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert {**entry.data, **entry.options} == VERSION_1_OPTIONS
    assert entry.state is ConfigEntryState.LOADED


async def test_a_newer_minor_version_loads_as_it_is(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_NAMESPACE_PREFIX: "house-ai"},
        options={CONF_QOS: 0},
        version=2,
        minor_version=7,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (2, 7)
    assert ("house-ai/status", "online", 0, True) in published(mqtt_mock)


async def test_an_entry_from_a_newer_version_is_refused_untouched(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"a_future_layout": True},
        options=VERSION_1_OPTIONS,
        version=3,
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.version == 3
    assert entry.data == {"a_future_layout": True}
    assert entry.options == VERSION_1_OPTIONS
