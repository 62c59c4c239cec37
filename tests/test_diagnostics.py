"""The diagnostics download."""

from __future__ import annotations

import pytest
from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.ha_ai.const import (
    CONF_LLM_API_KEY,
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DEFAULT_OPTIONS,
    DEFAULT_PAIR_DELAY_SECONDS,
    DOMAIN,
    SERVICE_PUBLISH_EVENT,
)
from custom_components.ha_ai.entry_settings import split_settings


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
) -> None:
    await hass.services.async_call(
        DOMAIN, SERVICE_PUBLISH_EVENT, {"path": "x"}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    data, options = split_settings(DEFAULT_OPTIONS)
    assert diagnostics["data"] == data  # empty secrets stay empty
    assert diagnostics["options"] == options
    assert diagnostics["suggestions"]["counts"]["new"] == 0
    assert diagnostics["remote_deploy"] is None
    assert diagnostics["zigbee"]["devices"] == 0
    assert diagnostics["zigbee"]["base_topic"] == "zigbee2mqtt"
    assert diagnostics["insights"]["unused_capabilities"] == 0
    assert diagnostics["habits"]["by_level"] == {"established": 0, "forming": 0}
    assert diagnostics["habits"]["reverse_only"] == 0
    assert diagnostics["habits"]["settings"] == {
        "pair_max_delay_seconds": DEFAULT_PAIR_DELAY_SECONDS
    }
    assert diagnostics["version"] == "0.3.0"
    assert diagnostics["mqtt"] == {
        "connected": True,
        "stalled": False,
        "writes_refused": False,
        "queued_messages": 0,
        "queue_limit": 100_000,
        "retained_topics": ["ha-ai/status"],
        "subscriptions": 7,
        "statistics": {
            "messages_published": 2,
            "publish_errors": 0,
            "messages_dropped_expired": 0,
            "messages_dropped_overflow": 0,
            "messages_received": 0,
            "messages_rejected": 0,
            "stalls": 0,
        },
        "settings": {
            "namespace_prefix": "ha-ai",
            "qos": 1,
            "message_ttl": 30,
            "queue_size": 100,
        },
    }


@pytest.mark.parametrize(
    "entry_options",
    [
        {
            **DEFAULT_OPTIONS,
            CONF_LLM_API_KEY: "sk-secret-key",
            CONF_REMOTE_DEPLOY: True,
            CONF_REMOTE_SECRET: "shared-secret",
        }
    ],
)
async def test_secrets_never_leave(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    text = str(diagnostics)
    assert "sk-secret-key" not in text
    assert "shared-secret" not in text
    # The migrated entry keeps them in its data, where they are redacted.
    assert diagnostics["data"][CONF_LLM_API_KEY] == REDACTED
    assert diagnostics["data"][CONF_REMOTE_SECRET] == REDACTED
    assert diagnostics["remote_deploy"] == {
        "accepted": 0,
        "refused": 0,
        "pending": 0,
        "refusals_answered": 0,
        "refusals_not_answered_by_reason": {},
        "refusals_awaiting_summary": 0,
        "remembered_event_ids": 0,
        "damaged_at": None,
        "refusing_commands_issued_until": None,
        "refusing_them_until": None,
    }
