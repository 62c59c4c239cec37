"""Learned routines happening now: `ha-ai/events/pattern/<id>/triggered`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.habits.model import (
    Pattern,
    PatternLevel,
)
from custom_components.ha_ai.habits import coordinator as habit_analysis

from .conftest import published
from .habit_helpers import COFFEE, MORNING


def triggered(mqtt_mock: MqttMockHAClient) -> list[tuple[str, Any]]:
    return [
        (topic, payload)
        for topic, payload, _, _ in published(mqtt_mock, "ha-ai/events/pattern/")
        if topic.endswith("/triggered")
    ]


async def learn(hass: HomeAssistant, patterns: list[Pattern] | None = None) -> None:
    with patch(
        "custom_components.ha_ai.habits.coordinator.mine_habits",
        return_value=[MORNING, COFFEE] if patterns is None else patterns,
    ):
        await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)


def local(base: date, hour: int, minute: int, days: int = 0) -> datetime:
    """Return a local time `days` after `base`."""
    today = base + timedelta(days=days)
    return datetime.combine(
        today, datetime.min.time(), dt_util.get_default_time_zone()
    ) + timedelta(hours=hour, minutes=minute)


async def test_routine_happening_is_announced_once_a_day(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    base = dt_util.now().date()
    freezer.move_to(local(base, 6, 0, days=1))
    hass.states.async_set("light.bedroom", "off")
    await learn(hass)
    # Outside the window: nothing.
    hass.states.async_set("light.bedroom", "on")
    hass.states.async_set("light.bedroom", "off")
    freezer.move_to(local(base, 7, 5, days=1))
    # An automation switching it on is not the person's routine: one triggered
    # by a state (its context has a parent) or by the time (HA AI's own routine).
    hass.states.async_set("light.bedroom", "on", context=Context(parent_id="run"))
    hass.states.async_set("light.bedroom", "off")
    timed_run = Context()
    hass.bus.async_fire("automation_triggered", {"name": "7:00"}, context=timed_run)
    hass.states.async_set("light.bedroom", "on", context=timed_run)
    hass.states.async_set("light.bedroom", "off")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert triggered(mqtt_mock) == []
    hass.states.async_set("light.bedroom", "on")
    hass.states.async_set("light.bedroom", "off")
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    [(topic, payload)] = triggered(mqtt_mock)
    assert topic == "ha-ai/events/pattern/tod_morning/triggered"
    assert payload["pattern_type"] == "time_of_day"
    assert payload["entities"] == ["light.bedroom"]
    expected = dt_util.parse_datetime(payload["expected_next"]["expected_at"])
    assert expected == local(base, 7, 0, days=2)

    # The next day it is announced again.
    freezer.move_to(local(base, 7, 2, days=2))
    hass.states.async_set("light.bedroom", "off")
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(triggered(mqtt_mock)) == 2


async def test_pair_leader_announces_what_follows(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    hass.states.async_set("light.kitchen", "off")
    await learn(hass)
    hass.states.async_set("light.kitchen", "on")
    hass.states.async_set("light.kitchen", "on", {"brightness": 3})
    hass.states.async_set("switch.coffee", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    [(topic, payload)] = triggered(mqtt_mock)
    assert topic == "ha-ai/events/pattern/pair_coffee/triggered"
    assert payload["entities"] == ["light.kitchen", "switch.coffee"]
    assert payload["expected_next"]["entity_id"] == "switch.coffee"
    assert payload["expected_next"]["state"] == "on"
    assert payload["expected_next"]["within_seconds"] == 45.0


async def test_forming_and_reverse_only_patterns_are_not_announced_live(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    base = dt_util.now().date()
    freezer.move_to(local(base, 7, 0, days=1))
    hass.states.async_set("light.bedroom", "off")
    hass.states.async_set("light.kitchen", "off")
    hass.states.async_set("light.hall", "off")
    await learn(
        hass,
        [
            replace(MORNING, level=PatternLevel.FORMING),
            replace(COFFEE, level=PatternLevel.FORMING),
            replace(
                COFFEE,
                pattern_id="pair_hall",
                entity_id="light.hall",
                reverse_only=True,
                reverse_confidence=0.97,
            ),
        ],
    )
    hass.states.async_set("light.bedroom", "on")
    hass.states.async_set("light.kitchen", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert triggered(mqtt_mock) == []

    # Once established, the same routine is announced.
    with patch.object(habit_analysis, "RUN_COOLDOWN", timedelta(0)):
        await learn(hass, [MORNING])
    hass.states.async_set("light.bedroom", "off")
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [topic for topic, _ in triggered(mqtt_mock)] == [
        "ha-ai/events/pattern/tod_morning/triggered"
    ]
