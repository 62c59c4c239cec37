"""What existing automations already cover, read from their configuration."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.ha_ai.habits.coverage import automation_coverage


async def test_no_automations_cover_nothing(hass: HomeAssistant) -> None:
    coverage = automation_coverage(hass)
    assert coverage.timed_targets == frozenset()
    assert coverage.state_triggered == frozenset()
    hass.config.components.add("automation")
    assert automation_coverage(hass).timed_targets == frozenset()


async def test_loaded_automations_are_read_as_the_analyser_reads_them(
    hass: HomeAssistant,
) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "trigger": {"platform": "time", "at": "07:00:00"},
                    "action": {"action": "light.turn_on", "entity_id": "light.a"},
                },
                {
                    "triggers": [
                        {"trigger": "state", "entity_id": ["binary_sensor.door"]}
                    ],
                    "actions": [
                        {"action": "light.turn_on", "entity_id": "light.b"},
                        {"action": "light.turn_on", "entity_id": "binary_sensor.door"},
                    ],
                },
            ]
        },
    )
    await hass.async_block_till_done()
    coverage = automation_coverage(hass)
    assert coverage.timed_targets == {"light.a"}
    assert coverage.state_triggered == {("binary_sensor.door", "light.b")}
    # What they set, when: what "already automated" compares.
    assert coverage.timed_actions == {("light.a", "on", 7 * 60)}
    assert coverage.triggered_actions == {("binary_sensor.door", None, "light.b", "on")}
