"""The actions of HA AI: who may call them, and ha_ai.publish_event in detail."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import (
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from voluptuous import Invalid

from custom_components.ha_ai.const import DOMAIN, SERVICE_PUBLISH_EVENT

from .conftest import published, set_mqtt_connected
from .fixtures_common import mock_hass_config  # noqa: F401
from .habit_helpers import MORNING, add_house

MINE = "custom_components.ha_ai.habits.coordinator.mine_habits"
PENDING = "sensor.ha_ai_suggestions_pending"


async def call(
    hass: HomeAssistant, data: dict[str, Any], *, response: bool = True
) -> Any:
    return await hass.services.async_call(
        DOMAIN, SERVICE_PUBLISH_EVENT, data, blocking=True, return_response=response
    )


async def test_publishes_under_events_with_the_envelope(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    response = await call(
        hass, {"path": "kitchen/coffee_ready", "payload": {"cups": 2}, "ttl": 90}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    [(topic, payload, qos, retain)] = published(mqtt_mock, "ha-ai/events")
    assert (topic, qos, retain) == ("ha-ai/events/kitchen/coffee_ready", 1, False)
    assert payload["cups"] == 2
    assert payload["ttl"] == 90
    assert payload["source"] == "ha_ai"
    assert response == {
        "event_id": payload["event_id"],
        "topic": topic,
        "queued": False,
    }


async def test_payload_and_response_are_optional(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    assert await call(hass, {"path": "ping"}, response=False) is None
    await hass.async_block_till_done(wait_background_tasks=True)
    [(topic, payload, _, _)] = published(mqtt_mock, "ha-ai/events")
    assert topic == "ha-ai/events/ping"
    assert payload["ttl"] == 30


async def test_queued_while_disconnected(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    set_mqtt_connected(hass, mqtt_mock, False)
    response = await call(hass, {"path": "ping"})
    assert response["queued"] is True
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[0] for m in published(mqtt_mock, "ha-ai/events")] == ["ha-ai/events/ping"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("kitchen/+", "contains a wildcard"),
        ("kitchen/#", "contains a wildcard"),
        ("/kitchen", "starts or ends with"),
        ("kitchen//coffee", "empty level"),
        ("Kitchen Light", "lower-case letters"),
        ("$SYS/x", "reserved for the broker"),
        ("a/b/c/d/e/f/g/h/i", "more than 8 levels"),
        ("", "is empty"),
        ("x" * 101, "longer than 100"),
        ("a\x01b", "control characters"),
    ],
)
async def test_invalid_path_is_refused(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    path: str,
    message: str,
) -> None:
    with pytest.raises(ServiceValidationError, match=message):
        await call(hass, {"path": path})
    assert published(mqtt_mock, "ha-ai/events") == []


async def test_reserved_keys_are_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError, match="reserved.*event_id, ttl"):
        await call(hass, {"path": "x", "payload": {"ttl": 1, "event_id": "a"}})


async def test_payload_must_be_a_mapping(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(Invalid):
        await call(hass, {"path": "x", "payload": [1, 2]})


async def test_payload_must_be_json(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError, match="cannot be sent as JSON"):
        await call(hass, {"path": "x", "payload": {"when": object()}})


async def test_huge_payload_is_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError, match="at most 65536 bytes"):
        await call(hass, {"path": "x", "payload": {"blob": "x" * 70_000}})


async def test_refused_when_not_loaded(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    await hass.config_entries.async_unload(setup_entry.entry_id)
    with pytest.raises(ServiceValidationError, match="HA AI is not loaded"):
        await call(hass, {"path": "x"})


@pytest.fixture(autouse=True)
def configuration_yaml(tmp_path: Path) -> None:
    """Give every test a configuration.yaml whose automations HA AI can write."""
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text("[]\n")


@pytest.fixture
async def house(hass: HomeAssistant) -> None:
    """The entities of the habits and the automations that use them."""
    add_house(hass)
    assert await async_setup_component(hass, "automation", {})


@pytest.fixture
async def suggestion_id(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> str:
    """Return the id of the one new suggestion an analysis (run by the system) made."""
    with patch(MINE, return_value=[MORNING]):
        await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    [suggestion] = await suggestions(hass)
    mqtt_mock.async_publish.reset_mock()
    return str(suggestion["suggestion_id"])


async def suggestions(hass: HomeAssistant) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, "get_suggestions", {}, blocking=True, return_response=True
    )
    return list(response["suggestions"])


async def call_as(
    hass: HomeAssistant, user: MockUser | None, service: str, **data: Any
) -> Any:
    """Call an action the way a user's dashboard or API request does."""
    return await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        context=Context(user_id=user.id if user else None),
        return_response=service not in ("dismiss_suggestion",),
    )


@pytest.mark.usefixtures("house")
@pytest.mark.parametrize("service", ["accept_suggestion", "dismiss_suggestion"])
async def test_a_user_who_is_not_an_admin_cannot_answer_a_suggestion(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    suggestion_id: str,
    hass_read_only_user: MockUser,
    tmp_path: Path,
    service: str,
) -> None:
    with pytest.raises(Unauthorized):
        await call_as(hass, hass_read_only_user, service, suggestion_id=suggestion_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (tmp_path / "automations.yaml").read_text() == "[]\n"
    assert [s["status"] for s in await suggestions(hass)] == ["new"]
    assert hass.states.get(PENDING).state == "1"
    assert published(mqtt_mock, "ha-ai/") == []


@pytest.mark.usefixtures("house")
async def test_an_admin_accepts_a_suggestion(
    hass: HomeAssistant,
    suggestion_id: str,
    hass_admin_user: MockUser,
    tmp_path: Path,
) -> None:
    response = await call_as(
        hass, hass_admin_user, "accept_suggestion", suggestion_id=suggestion_id
    )
    assert response["status"] == "deployed"
    assert f"id: ha_ai_{suggestion_id}" in (tmp_path / "automations.yaml").read_text()


@pytest.mark.usefixtures("house")
async def test_an_admin_dismisses_a_suggestion(
    hass: HomeAssistant, suggestion_id: str, hass_admin_user: MockUser
) -> None:
    assert (
        await call_as(
            hass, hass_admin_user, "dismiss_suggestion", suggestion_id=suggestion_id
        )
        is None
    )
    assert [s["status"] for s in await suggestions(hass)] == ["dismissed"]


@pytest.mark.usefixtures("house")
async def test_only_an_admin_runs_an_analysis(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    with patch(MINE, return_value=[MORNING]) as mine:
        with pytest.raises(Unauthorized):
            await call_as(hass, hass_read_only_user, "run_analysis")
        await hass.async_block_till_done(wait_background_tasks=True)
        mine.assert_not_called()
        assert published(mqtt_mock, "ha-ai/analysis") == []
        assert await suggestions(hass) == []

        response = await call_as(hass, hass_admin_user, "run_analysis")
    assert response["patterns_detected"] == 1
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(published(mqtt_mock, "ha-ai/analysis/complete")) == 1


@pytest.mark.parametrize(
    "service", ["accept_suggestion", "dismiss_suggestion", "run_analysis"]
)
async def test_a_user_that_does_not_exist_is_refused(
    hass: HomeAssistant, setup_entry: MockConfigEntry, service: str
) -> None:
    data = {} if service == "run_analysis" else {"suggestion_id": "routine_x"}
    with pytest.raises(UnknownUser):
        await hass.services.async_call(
            DOMAIN,
            service,
            data,
            blocking=True,
            context=Context(user_id="no-such-user"),
        )


async def test_every_user_may_read_suggestions_and_publish_events(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_read_only_user: MockUser,
) -> None:
    found = await call_as(hass, hass_read_only_user, "get_suggestions")
    assert found == {"total": 0, "suggestions": []}
    response = await call_as(hass, hass_read_only_user, "publish_event", path="ping")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[0] for m in published(mqtt_mock, "ha-ai/events")] == [response["topic"]]
