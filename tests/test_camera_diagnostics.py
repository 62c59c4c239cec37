"""The AI camera part of the diagnostics download, without secrets in links."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ha_ai.cameras.diagnostics import REDACTED, redact_url

from .camera_helpers import event_payload, send_event, send_status


async def test_diagnostics_summarise_the_cameras(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    send_event(hass, event_payload())
    send_event(hass, event_payload(event_id="e2"))
    send_status(hass, "porch", "online")
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    cameras = diagnostics["cameras"]
    assert cameras["classifier_online"] is True
    assert cameras["topic_prefix"] == "liveobject"
    assert cameras["quiet_seconds"] == 300
    assert cameras["forget_after_days"] == 7
    assert cameras["count"] == 2
    front = cameras["cameras"]["front_door"]
    assert front["camera_name"] == "Front Door"
    assert front["status"] is None
    assert front["events_today"] == 2
    assert front["events_this_week"] == 2
    assert front["recent_activity"] is True
    assert front["last_event"]["event_id"] == "e2"
    assert front["last_event"]["thumbnail_url"] == (
        f"https://nvr.local/thumb/e1.jpg?{REDACTED}"
    )
    assert "token=secret" not in str(diagnostics["cameras"])
    porch = cameras["cameras"]["porch"]
    assert porch["status"] == "online"
    assert porch["last_event"] is None
    assert porch["active_from"] is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (None, None),
        ("https://nvr.local/a.jpg", "https://nvr.local/a.jpg"),
        (
            "http://user:pw@10.0.0.2:8080/a.jpg?token=x#frag",
            f"http://{REDACTED}@10.0.0.2:8080/a.jpg?{REDACTED}#{REDACTED}",
        ),
    ],
)
def test_links_lose_logins_and_query_strings(url: str | None, shown: str) -> None:
    assert redact_url(url) == shown
