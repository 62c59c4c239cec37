"""The websocket API of the suggestions: a live list and the user's answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.signals import entry_signal
from custom_components.ha_ai.suggestions import live_list
from custom_components.ha_ai.zigbee.coordinator import ZigbeeFindings

from .conftest import published
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import COFFEE, MORNING, add_house, analyse, writable_automations
from .zigbee_helpers import UNUSED_VIBRATION

PENDING = "sensor.ha_ai_suggestions_pending"
SUBSCRIBE = "ha_ai/suggestions/subscribe"
START = datetime(2025, 3, 10, 12, tzinfo=dt_util.UTC)
FEATURE = replace(
    UNUSED_VIBRATION,
    reason="entity_disabled",
    how_to_start="Enable binary_sensor.hall_window_vibration.",
)
LOST = replace(
    FEATURE,
    opportunity_id="0x00158d0002/battery",
    ieee_address="0x00158d0002",
    property_name="battery",
    entity_id="sensor.nowhere_battery",
    score=1.0,
)

type Client = Any
pytestmark = pytest.mark.usefixtures("house")


@pytest.fixture
async def house(hass: HomeAssistant, tmp_path: Path) -> None:
    """A house whose automations.yaml HA AI can write into."""
    add_house(hass)
    await writable_automations(hass, tmp_path)


async def subscribed(hass_ws_client: WebSocketGenerator, hass: HomeAssistant) -> Any:
    """Return a client subscribed to the suggestions, past its first result."""
    client, _ = await subscription(hass_ws_client, hass)
    return client


async def subscription(
    hass_ws_client: WebSocketGenerator, hass: HomeAssistant
) -> tuple[Any, int]:
    """Return a client subscribed to the suggestions, and the subscription's id."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": SUBSCRIBE})
    result = await client.receive_json()
    assert result["success"]
    assert result["result"] is None
    return client, result["id"]


async def next_event(client: Client) -> dict[str, Any]:
    message = await client.receive_json()
    assert message["type"] == "event"
    event: dict[str, Any] = message["event"]
    return event


async def event_where(
    client: Client, found: Callable[[dict[str, Any]], bool], most: int = 10
) -> dict[str, Any]:
    """Return the first of the next `most` events `found` accepts; fail after."""
    for _ in range(most):
        if found(event := await next_event(client)):
            return event
    pytest.fail(f"no such event among the next {most}")


async def command(client: Client, **message: Any) -> dict[str, Any]:
    await client.send_json_auto_id(message)
    response: dict[str, Any] = await client.receive_json()
    return response


def by_kind(event: dict[str, Any], kind: str) -> dict[str, Any]:
    [item] = [item for item in event["suggestions"] if item["kind"] == kind]
    return item


def new_announcements(mqtt_mock: MqttMockHAClient) -> list[str]:
    return [
        payload["suggestion_id"]
        for _, payload, _, _ in published(mqtt_mock, "ha-ai/suggestions/new")
    ]


async def test_subscribe_sends_the_list_at_once_then_every_change(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    bedroom = ar.async_get(hass).async_create("Bedroom")
    hass.states.async_remove("light.bedroom")
    er.async_get(hass).async_get_or_create(
        "light", "test", "bedroom", suggested_object_id="bedroom"
    )
    er.async_get(hass).async_update_entity("light.bedroom", area_id=bedroom.id)
    hass.states.async_set("light.bedroom", "off", {"friendly_name": "Bedroom light"})
    await analyse(hass, [MORNING, COFFEE])
    client, subscription_id = await subscription(hass_ws_client, hass)
    first = await next_event(client)

    assert [item["status"] for item in first["suggestions"]] == ["new", "new"]
    routine = by_kind(first, "routine")
    assert routine["evidence"] == "on 20 of 21 days around 07:00"
    assert routine["area"] == "Bedroom"
    assert routine["entity_names"] == {"light.bedroom": "Bedroom light"}
    assert routine["level"] == "established"
    assert f"id: ha_ai_{routine['suggestion_id']}" in routine["automation_yaml"]
    assert routine["snoozed_until"] is None
    assert routine["deployed_entity_id"] is None
    pair = by_kind(first, "used_together")
    assert pair["evidence"] == (
        "Kitchen light then Coffee machine within 45 s, 25 times"
    )
    assert pair["area"] is None
    assert pair["entity_names"] == {
        "light.kitchen": "Kitchen light",
        "switch.coffee": "Coffee machine",
    }

    # A second client dismisses: the first one hears of it.
    other = await hass_ws_client(hass)
    dismissed = await command(
        other,
        type="ha_ai/suggestions/dismiss",
        suggestion_id=pair["suggestion_id"],
    )
    assert dismissed["success"]
    assert dismissed["result"] == {}
    event = await next_event(client)
    assert by_kind(event, "used_together")["status"] == "dismissed"

    # The action snoozes: the same.
    await hass.services.async_call(
        DOMAIN,
        "snooze_suggestion",
        {"suggestion_id": routine["suggestion_id"], "days": 2},
        blocking=True,
    )
    event = await next_event(client)
    assert by_kind(event, "routine")["status"] == "snoozed"
    assert by_kind(event, "routine")["snoozed_until"] is not None

    # Accepted from the second client: deployed, with its automation entity.
    accepted = await command(
        other, type="ha_ai/suggestions/accept", suggestion_id=routine["suggestion_id"]
    )
    assert accepted["success"], accepted
    automation_id = f"ha_ai_{routine['suggestion_id']}"
    entity_id = "automation.bedroom_light_on_at_07_00_every_day"
    assert accepted["result"] == {
        "automation_id": automation_id,
        "entity_id": entity_id,
    }
    deployed = await event_where(
        client, lambda event: by_kind(event, "routine")["status"] == "deployed"
    )
    item = by_kind(deployed, "routine")
    assert item["deployed_entity_id"] == entity_id
    assert item["snoozed_until"] is None

    # Unsubscribed, it hears nothing more.
    unsubscribed = await command(
        client, type="unsubscribe_events", subscription=subscription_id
    )
    assert unsubscribed["success"], unsubscribed
    await analyse(hass, [MORNING, COFFEE])
    pong = await command(client, type="ping")
    assert pong["type"] == "pong"


async def test_the_summary_follows_the_analyses_and_the_judgement(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    client = await subscribed(hass_ws_client, hass)
    empty = await next_event(client)
    assert empty == {
        "suggestions": [],
        "summary": {
            "last_analysis": None,
            "next_analysis": empty["summary"]["next_analysis"],
            "history_days": 0,
            "patterns_established": 0,
            "patterns_forming": 0,
            "unused_capabilities": 0,
        },
    }
    setup_entry.runtime_data.insights.async_set_updated_data(
        ZigbeeFindings(findings=(FEATURE,))
    )
    event = await next_event(client)
    assert event["summary"]["unused_capabilities"] == 1


async def test_a_subscription_outlives_a_reload(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    client = await subscribed(hass_ws_client, hass)
    assert (await next_event(client))["suggestions"] == []
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    await analyse(hass, [MORNING])
    event = await event_where(client, lambda event: bool(event["suggestions"]))
    assert [item["kind"] for item in event["suggestions"]] == ["routine"]


async def test_the_summary_after_an_analysis(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    await analyse(hass, [MORNING, COFFEE])
    summary = (await next_event(await subscribed(hass_ws_client, hass)))["summary"]
    assert summary["last_analysis"] is not None
    assert datetime.fromisoformat(summary["next_analysis"]) > dt_util.utcnow()
    assert summary["patterns_established"] == 2
    assert summary["patterns_forming"] == 0
    assert summary["unused_capabilities"] == 0


async def test_history_days_count_the_days_logged(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    log = setup_entry.runtime_data.habit_log
    day = dt_util.now().date() - timedelta(days=3)
    log.directory.mkdir(parents=True, exist_ok=True)
    (log.directory / f"{day.isoformat()}.csv").write_text("")
    client = await subscribed(hass_ws_client, hass)
    assert (await next_event(client))["summary"]["history_days"] == 4


async def test_feature_suggestions_name_their_device_area(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    hall = ar.async_get(hass).async_create("Hall")
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=setup_entry.entry_id, identifiers={(DOMAIN, "0x00158d0001")}
    )
    dr.async_get(hass).async_update_device(device.id, area_id=hall.id)
    er.async_get(hass).async_get_or_create(
        "binary_sensor",
        "test",
        "vibration",
        suggested_object_id="hall_window_vibration",
        original_name="Hall window vibration",
        device_id=device.id,
        disabled_by=er.RegistryEntryDisabler.INTEGRATION,
    )
    # The other capability has no entity: its Zigbee2MQTT device is found by its
    # address, as MQTT discovery registers it.
    mqtt_entry = MockConfigEntry(domain="mqtt")
    mqtt_entry.add_to_hass(hass)
    lost_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=mqtt_entry.entry_id,
        identifiers={("mqtt", "zigbee2mqtt_0x00158D0002")},
    )
    setup_entry.runtime_data.insights.async_set_updated_data(
        ZigbeeFindings(findings=(FEATURE, LOST))
    )
    await setup_entry.runtime_data.suggestions.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    client = await subscribed(hass_ws_client, hass)
    event = await next_event(client)
    feature, lost = event["suggestions"]
    assert feature["device_id"] == device.id
    assert lost["device_id"] == lost_device.id
    assert feature["evidence"] == (
        "your Aqara DJT11LM can report vibration; nothing uses it"
    )
    assert feature["area"] == "Hall"
    assert feature["entity_names"] == {
        "binary_sensor.hall_window_vibration": "Hall window vibration"
    }
    assert feature["level"] is None
    assert feature["automation_yaml"] is None
    assert lost["entity_names"] == {"sensor.nowhere_battery": "sensor.nowhere_battery"}

    # Accepting a feature deploys nothing.
    other = await hass_ws_client(hass)
    accepted = await command(
        other, type="ha_ai/suggestions/accept", suggestion_id=feature["suggestion_id"]
    )
    assert accepted["result"] == {"automation_id": None, "entity_id": None}


async def test_answers_are_for_administrators(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    setup_entry: MockConfigEntry,
) -> None:
    await analyse(hass, [MORNING])
    [suggestion] = setup_entry.runtime_data.suggestions.query()
    client = await hass_ws_client(hass, hass_read_only_access_token)
    for answer in (
        {"type": "ha_ai/suggestions/accept"},
        {"type": "ha_ai/suggestions/dismiss"},
        {"type": "ha_ai/suggestions/snooze", "days": 3},
    ):
        response = await command(
            client, **answer, suggestion_id=suggestion.suggestion_id
        )
        assert response["error"]["code"] == "unauthorized"
    # Reading is for everyone.
    assert (await command(client, type=SUBSCRIBE))["success"]
    assert setup_entry.runtime_data.suggestions.query()[0].status == "new"


async def test_the_snooze_action_is_for_administrators(
    hass: HomeAssistant, hass_read_only_user: Any, setup_entry: MockConfigEntry
) -> None:
    await analyse(hass, [MORNING])
    [suggestion] = setup_entry.runtime_data.suggestions.query()
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "snooze_suggestion",
            {"suggestion_id": suggestion.suggestion_id, "days": 3},
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )


async def test_not_loaded_without_an_entry(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    client = await hass_ws_client(hass)
    for message in (
        {"type": SUBSCRIBE},
        {"type": "ha_ai/suggestions/accept", "suggestion_id": "routine_a"},
        {"type": "ha_ai/suggestions/dismiss", "suggestion_id": "routine_a"},
        {"type": "ha_ai/suggestions/snooze", "suggestion_id": "routine_a", "days": 1},
    ):
        response = await command(client, **message)
        assert response["error"]["code"] == "not_loaded", message


async def test_bad_ids_states_and_input_are_clear_errors(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    await analyse(hass, [MORNING])
    [suggestion] = setup_entry.runtime_data.suggestions.query()
    known = suggestion.suggestion_id
    client = await hass_ws_client(hass)

    for answer in ("accept", "dismiss", "snooze"):
        response = await command(
            client,
            type=f"ha_ai/suggestions/{answer}",
            suggestion_id="routine_nope",
            **({"days": 3} if answer == "snooze" else {}),
        )
        assert response["error"]["code"] == "not_found"
        assert "routine_nope" in response["error"]["message"]

    for bad in (
        {"type": "ha_ai/suggestions/snooze", "suggestion_id": known, "days": 0},
        {"type": "ha_ai/suggestions/snooze", "suggestion_id": known, "days": 91},
        {"type": "ha_ai/suggestions/snooze", "suggestion_id": known, "days": "3"},
        {"type": "ha_ai/suggestions/snooze", "suggestion_id": known},
        {"type": "ha_ai/suggestions/accept"},
        {"type": "ha_ai/suggestions/dismiss", "suggestion_id": 7},
    ):
        response = await command(client, **bad)
        assert response["error"]["code"] == "invalid_format", bad

    assert (
        await command(client, type="ha_ai/suggestions/dismiss", suggestion_id=known)
    )["success"]
    for answer in ("accept", "dismiss", "snooze"):
        response = await command(
            client,
            type=f"ha_ai/suggestions/{answer}",
            suggestion_id=known,
            **({"days": 3} if answer == "snooze" else {}),
        )
        assert response["error"]["code"] == "invalid_state", answer
        assert "dismissed" in response["error"]["message"]


async def test_a_refused_automation_is_refused_with_its_reason(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    await analyse(hass, [MORNING])
    [suggestion] = setup_entry.runtime_data.suggestions.query()
    hass.states.async_remove("light.bedroom")
    client = await hass_ws_client(hass)
    response = await command(
        client, type="ha_ai/suggestions/accept", suggestion_id=suggestion.suggestion_id
    )
    assert response["error"]["code"] == "refused"
    assert "light.bedroom" in response["error"]["message"]
    assert setup_entry.runtime_data.suggestions.query()[0].status == "failed"


async def test_a_snoozed_suggestion_comes_back_new_and_quietly(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    client = await hass_ws_client(hass)  # signed in before the clock moves
    freezer.move_to(START)
    await analyse(hass, [MORNING])
    [suggestion] = setup_entry.runtime_data.suggestions.query()
    assert new_announcements(mqtt_mock) == [suggestion.suggestion_id]
    response = await command(
        client,
        type="ha_ai/suggestions/snooze",
        suggestion_id=suggestion.suggestion_id,
        days=3,
    )
    assert response["result"] == {
        "snoozed_until": (START + timedelta(days=3)).isoformat()
    }
    await hass.async_block_till_done()
    assert hass.states.get(PENDING).state == "0"

    # A restart keeps it snoozed; another analysis leaves it so.
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    await analyse(hass, [MORNING])
    [kept] = setup_entry.runtime_data.suggestions.query()
    assert kept.status == "snoozed"
    assert kept.snoozed_until == START + timedelta(days=3)

    freezer.move_to(START + timedelta(days=3) - timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert setup_entry.runtime_data.suggestions.query()[0].status == "snoozed"

    freezer.move_to(START + timedelta(days=3))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    [back] = setup_entry.runtime_data.suggestions.query()
    assert back.status == "new"
    assert back.snoozed_until is None
    assert hass.states.get(PENDING).state == "1"
    assert new_announcements(mqtt_mock) == [suggestion.suggestion_id]


async def test_a_snooze_that_ended_while_stopped_ends_at_start(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(START)
    await analyse(hass, [MORNING])
    [suggestion] = setup_entry.runtime_data.suggestions.query()
    response = await hass.services.async_call(
        DOMAIN,
        "snooze_suggestion",
        {"suggestion_id": f" {suggestion.suggestion_id} ", "days": 1},
        blocking=True,
        return_response=True,
    )
    assert response == {
        "suggestion_id": suggestion.suggestion_id,
        "snoozed_until": (START + timedelta(days=1)).isoformat(),
    }
    # Snoozed again: one timer, for the later date.
    setup_entry.runtime_data.suggestions.async_snooze(suggestion.suggestion_id, 2)
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    freezer.move_to(START + timedelta(days=3))
    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert setup_entry.runtime_data.suggestions.query()[0].status == "new"


async def test_the_snooze_action_refuses_what_the_book_refuses(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    await analyse(hass, [MORNING])
    [suggestion] = setup_entry.runtime_data.suggestions.query()
    with pytest.raises(ServiceValidationError, match="no suggestion with the id"):
        await hass.services.async_call(
            DOMAIN,
            "snooze_suggestion",
            {"suggestion_id": "routine_nope", "days": 3},
            blocking=True,
        )
    with pytest.raises(ServiceValidationError, match="cannot be snoozed so"):
        setup_entry.runtime_data.suggestions.async_snooze(suggestion.suggestion_id, 91)


@pytest.fixture
def long_cooldown() -> Any:
    """Builds wait a minute for the burst to end: the test moves the clock."""
    with patch.object(live_list, "BUILD_COOLDOWN", 60):
        yield


@pytest.fixture
def builds() -> Any:
    """Count the builds of the suggestion list."""
    with patch.object(
        live_list, "suggestion_items", wraps=live_list.suggestion_items
    ) as spy:
        yield spy


def end_of_burst(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))


async def no_more_events(client: Client) -> None:
    """The next message answers a ping: no event came before it."""
    assert (await command(client, type="ping"))["type"] == "pong"


async def test_subscribers_share_one_build_per_change(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    long_cooldown: None,
    setup_entry: MockConfigEntry,
    builds: Any,
) -> None:
    await analyse(hass, [MORNING, COFFEE])
    first = await subscribed(hass_ws_client, hass)
    second = await subscribed(hass_ws_client, hass)
    assert await next_event(first) == await next_event(second)
    assert builds.call_count == 1  # the second got the first one's list

    pair = by_kind(await _current(setup_entry), "used_together")
    setup_entry.runtime_data.suggestions.async_dismiss(pair["suggestion_id"])
    await hass.async_block_till_done()
    event = await next_event(first)
    assert event == await next_event(second)
    assert by_kind(event, "used_together")["status"] == "dismissed"
    assert builds.call_count == 2  # one build for both
    end_of_burst(hass)
    await hass.async_block_till_done()
    built = builds.call_count

    # A third comes in later: the list built last, at once.
    third = await subscribed(hass_ws_client, hass)
    latest = await next_event(third)
    assert by_kind(latest, "used_together")["status"] == "dismissed"
    assert builds.call_count == built


async def _current(entry: MockConfigEntry) -> dict[str, Any]:
    payload: dict[str, Any] = await entry.runtime_data.live_list.async_current()
    return payload


async def test_a_burst_of_changes_sends_its_first_change_and_last_state(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    long_cooldown: None,
    setup_entry: MockConfigEntry,
    builds: Any,
) -> None:
    await analyse(hass, [MORNING, COFFEE])
    client = await subscribed(hass_ws_client, hass)
    listed = await next_event(client)
    builds.reset_mock()
    data = setup_entry.runtime_data
    data.suggestions.async_dismiss(by_kind(listed, "used_together")["suggestion_id"])
    await hass.async_block_till_done()
    # The first change goes out at once; what follows it waits for the burst.
    first = await next_event(client)
    assert builds.call_count == 1
    assert by_kind(first, "used_together")["status"] == "dismissed"
    await hass.services.async_call(
        DOMAIN,
        "snooze_suggestion",
        {"suggestion_id": by_kind(listed, "routine")["suggestion_id"], "days": 2},
        blocking=True,
    )
    data.habits.async_update_listeners()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert builds.call_count == 1

    end_of_burst(hass)
    event = await next_event(client)
    assert builds.call_count == 2
    assert by_kind(event, "used_together")["status"] == "dismissed"
    assert by_kind(event, "routine")["status"] == "snoozed"
    await no_more_events(client)


async def test_a_subscription_follows_the_reloaded_entrys_analyses(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    client = await subscribed(hass_ws_client, hass)
    assert (await next_event(client))["summary"]["last_analysis"] is None
    old_habits = setup_entry.runtime_data.habits
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert setup_entry.runtime_data.habits is not old_habits
    await analyse(hass, [MORNING, COFFEE])
    event = await event_where(
        client, lambda event: event["summary"]["patterns_established"] == 2
    )
    assert event["summary"]["last_analysis"] is not None
    assert len(event["suggestions"]) == 2


async def test_after_unload_the_subscribers_hear_nothing_until_it_is_back(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
    builds: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await subscribed(hass_ws_client, hass)
    await next_event(client)
    data = setup_entry.runtime_data
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    builds.reset_mock()

    assert not data.habits._listeners
    assert not data.insights._listeners
    data.habits.async_update_listeners()
    data.insights.async_set_updated_data(ZigbeeFindings(findings=(FEATURE,)))
    async_dispatcher_send(hass, entry_signal(setup_entry.entry_id, "suggestions"))
    end_of_burst(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert builds.call_count == 0
    await no_more_events(client)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]

    # Set up again under the same id: the subscription hears it.
    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert (await next_event(client))["suggestions"] == []


async def test_nothing_is_built_for_a_subscriber_who_left(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    long_cooldown: None,
    setup_entry: MockConfigEntry,
    builds: Any,
) -> None:
    await analyse(hass, [MORNING])
    client, subscription_id = await subscription(hass_ws_client, hass)
    [routine] = (await next_event(client))["suggestions"]
    builds.reset_mock()
    setup_entry.runtime_data.suggestions.async_dismiss(routine["suggestion_id"])
    await hass.async_block_till_done()
    assert (await next_event(client))["suggestions"][0]["status"] == "dismissed"
    assert builds.call_count == 1
    # A second change waits for the end of the burst; the subscriber leaves.
    async_dispatcher_send(hass, entry_signal(setup_entry.entry_id, "suggestions"))
    unsubscribed = await command(
        client, type="unsubscribe_events", subscription=subscription_id
    )
    assert unsubscribed["success"]
    end_of_burst(hass)
    await hass.async_block_till_done()
    assert builds.call_count == 1
    # The next subscriber gets a list built for it, with the change.
    again = await subscribed(hass_ws_client, hass)
    [dismissed] = (await next_event(again))["suggestions"]
    assert dismissed["status"] == "dismissed"
    assert builds.call_count == 2


async def test_history_days_follow_the_log_after_an_analysis(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
) -> None:
    client = await subscribed(hass_ws_client, hass)
    assert (await next_event(client))["summary"]["history_days"] == 0
    log = setup_entry.runtime_data.habit_log
    day = dt_util.now().date() - timedelta(days=5)
    log.directory.mkdir(parents=True, exist_ok=True)
    (log.directory / f"{day.isoformat()}.csv").write_text("")
    await analyse(hass, [MORNING])
    event = await event_where(
        client, lambda event: event["summary"]["history_days"] == 6
    )
    assert event["suggestions"]
