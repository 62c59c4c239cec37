"""How Home Assistant's APIs pass on an ordinary refusal of an HA AI service.

A refusal is a `ServiceValidationError` (a bad event path, an analysis already
running). The websocket API answers it as an error with the translated message.
The REST API (`POST /api/services/<domain>/<service>`) handles only
`vol.Invalid` and `ServiceNotFound` (400) and lets any other error through, so
the refusal comes back as HTTP 500 with a traceback in the log; this is so in
Home Assistant 2025.4 and still in 2026.2. These tests pin both answers, so a
change in Home Assistant shows up here and the README's troubleshooting can
follow it.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.ha_ai.const import DOMAIN, SERVICE_PUBLISH_EVENT

REFUSED = {"path": "kitchen/+/coffee"}  # a wildcard: refused by the service


async def test_a_refusal_over_rest_is_http_500_with_a_logged_traceback(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await async_setup_component(hass, "api", {})
    client = await hass_client()
    response = await client.post(
        f"/api/services/{DOMAIN}/{SERVICE_PUBLISH_EVENT}?return_response",
        json=REFUSED,
    )
    assert response.status == HTTPStatus.INTERNAL_SERVER_ERROR
    [logged] = [
        record
        for record in caplog.records
        if record.name == "aiohttp.server" and record.levelname == "ERROR"
    ]
    assert logged.getMessage().startswith("Error handling request")
    assert "ServiceValidationError" in caplog.text  # the traceback


async def test_a_refusal_over_the_websocket_is_a_clean_error(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": SERVICE_PUBLISH_EVENT,
            "service_data": REFUSED,
            "return_response": True,
        }
    )
    answer = await client.receive_json()
    assert not answer["success"]
    assert answer["error"]["code"] == "service_validation_error"
    assert answer["error"]["translation_key"] == "invalid_event_path_topic_wildcard"
