"""What existing automations already cover, read from their configuration."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from custom_components.ha_ai.habit_coverage import (
    _entity_ids,
    _triggers,
    automation_coverage,
)


def test_triggers_in_every_shape() -> None:
    assert _triggers({"trigger": {"platform": "time"}}) == [{"platform": "time"}]
    assert _triggers({"triggers": [{"trigger": "state"}, "junk"]}) == [
        {"trigger": "state"}
    ]
    assert _triggers({"triggers": "nonsense"}) == []
    assert _triggers({}) == []


def test_entity_ids_in_every_shape() -> None:
    assert _entity_ids("light.a") == ["light.a"]
    assert _entity_ids(["light.a", 3, "light.b"]) == ["light.a", "light.b"]
    assert _entity_ids(None) == []


async def test_no_automations_cover_nothing(hass: HomeAssistant) -> None:
    coverage = automation_coverage(hass)
    assert coverage.timed_targets == frozenset()
    assert coverage.state_triggered == frozenset()
    hass.config.components.add("automation")
    assert automation_coverage(hass).timed_targets == frozenset()
