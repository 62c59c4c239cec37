"""Helpers for the sports tests: TeamTracker-like sensors, replayed games, messages.

A TeamTracker sensor is made as TeamTracker makes one: an entity registry entry
of the platform `teamtracker` (its unique id is the slug of its name and its
config entry's id), and states written with the attributes of the engine's
timelines, at the times the timelines give, on a frozen clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_FRIENDLY_NAME, ATTR_ICON, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.engine.sports.model import Moment
from custom_components.ha_ai.engine.sports.timelines import (
    SCORE_CHANGE_EVENT,
    Fixture,
    ScoreChange,
    Step,
)

from .conftest import published

SPORTS = "ha-ai/events/sports/"
ENVELOPE = ("event_id", "timestamp", "ttl", "expires_at", "source", "schema")


@dataclass(frozen=True, slots=True)
class Sensor:
    """A TeamTracker sensor made for a test."""

    entity_id: str
    unique_id: str
    fixture: Fixture


def register(
    hass: HomeAssistant,
    fixture: Fixture,
    *,
    name: str | None = None,
    unique_id: str | None = None,
) -> Sensor:
    """Register a TeamTracker sensor for the team of `fixture`, as TeamTracker does."""
    name = name or fixture.friendly_name
    unique_id = unique_id or f"{name.lower()}_01jteamtracker{fixture.team.abbr.lower()}"
    entry = er.async_get(hass).async_get_or_create(
        "sensor",
        "teamtracker",
        unique_id,
        suggested_object_id=name.lower(),
        original_name=name,
        original_icon=fixture.icon,
    )
    return Sensor(entry.entity_id, unique_id, fixture)


def attributes(sensor: Sensor, step: Step) -> dict[str, Any]:
    """Return the attributes Home Assistant writes: TeamTracker's, name and icon."""
    shown = dict(step.attributes)
    if step.state != "unavailable":
        shown[ATTR_ICON] = sensor.fixture.icon
    shown[ATTR_FRIENDLY_NAME] = sensor.fixture.friendly_name
    return shown


async def show(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sensor: Sensor,
    item: Step | ScoreChange,
) -> None:
    """Move the clock to the item's time (timers run), then show or fire it."""
    freezer.move_to(item.at)
    async_fire_time_changed(hass, item.at)
    await hass.async_block_till_done()
    if isinstance(item, Step):
        hass.states.async_set(sensor.entity_id, item.state, attributes(sensor, item))
    else:
        hass.bus.async_fire(
            SCORE_CHANGE_EVENT, {**item.data, "entity_id": sensor.entity_id}
        )
    await hass.async_block_till_done()


async def replay(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sensor: Sensor,
    items: Iterable[Step | ScoreChange],
) -> None:
    """Show every item in turn."""
    for item in items:
        await show(hass, freezer, sensor, item)


def messages(mqtt_mock: MqttMockHAClient) -> list[tuple[str, dict[str, Any]]]:
    """Return each sports message published: its topic and its fields (no envelope)."""
    found = []
    for topic, payload, qos, retain in published(mqtt_mock, SPORTS):
        assert (qos, retain) == (1, False)
        assert payload["source"] == "ha_ai"
        assert payload["schema"] == 1
        assert payload["ttl"] == 30
        found.append((topic, {k: v for k, v in payload.items() if k not in ENVELOPE}))
    return found


def event_ids(mqtt_mock: MqttMockHAClient) -> list[str]:
    """Return the envelope's event id of each sports message."""
    return [payload["event_id"] for _, payload, _, _ in published(mqtt_mock, SPORTS)]


def expected(moments: Iterable[Moment]) -> list[tuple[str, dict[str, Any]]]:
    """Return the messages the engine's moments make."""
    return [(f"ha-ai/{'/'.join(m.path)}", m.payload()) for m in moments]


class Fired:
    """Collects what an event entity fires: its type and attributes."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.entity_id = entity_id
        # Heard straight from the bus: a state change tracker hears it a loop
        # iteration later, which a test's wait may not reach.
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] != self.entity_id:
            return
        old, new = event.data["old_state"], event.data["new_state"]
        # The entity writes its state only when it fires; an entity added again
        # (after unavailable while its entry reloaded) writes the event it
        # restored, which is no new one.
        if old is None or new is None or "unavailable" in (old.state, new.state):
            return
        if new.state == "unknown":
            return
        fields = dict(new.attributes)
        event_type = fields.pop("event_type")
        for key in ("event_types", ATTR_FRIENDLY_NAME, ATTR_ICON):
            fields.pop(key, None)
        self.events.append((event_type, fields))


def fired_as_messages(fired: Fired) -> list[tuple[str, dict[str, Any]]]:
    """Return what an event entity fired in the shape of `messages`."""
    return [
        (f"{SPORTS}{fields['team']}/{event_type}", fields)
        for event_type, fields in fired.events
    ]
