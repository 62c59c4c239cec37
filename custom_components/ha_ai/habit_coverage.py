"""What the existing automations already do, so HA AI does not propose it again.

Read from each automation's configuration as Home Assistant loaded it: the kinds
of its triggers, the entities its state triggers watch, and the entities it
references (through Home Assistant's own reference helper).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.components import automation
from homeassistant.core import HomeAssistant

from .engine.habits.model import AutomationCoverage

TIMED_TRIGGERS = frozenset({"time", "time_pattern", "sun", "calendar"})
STATE_TRIGGERS = frozenset({"state", "device"})
AUTOMATION_DOMAIN = "automation"


def _triggers(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    triggers = config.get("triggers", config.get("trigger", []))
    if isinstance(triggers, Mapping):
        triggers = [triggers]
    return (
        [t for t in triggers if isinstance(t, Mapping)]
        if isinstance(triggers, list)
        else []
    )


def _entity_ids(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [item for item in value if isinstance(item, str)]
    return []


def automation_coverage(hass: HomeAssistant) -> AutomationCoverage:
    """Return the timed targets and the state-triggered pairs of all automations."""
    if AUTOMATION_DOMAIN not in hass.config.components:
        return AutomationCoverage()
    component = hass.data.get(automation.DATA_COMPONENT)
    if component is None:
        return AutomationCoverage()
    timed: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for entity in component.entities:
        config = getattr(entity, "raw_config", None)
        if not isinstance(config, Mapping):
            continue
        referenced = set(automation.entities_in_automation(hass, entity.entity_id))
        for trigger in _triggers(config):
            kind = trigger.get("trigger", trigger.get("platform"))
            if kind in TIMED_TRIGGERS:
                timed.update(referenced)
            elif kind in STATE_TRIGGERS:
                watched = _entity_ids(trigger.get("entity_id"))
                pairs.update(
                    (source, target)
                    for source in watched
                    for target in referenced
                    if target != source
                )
    return AutomationCoverage(
        timed_targets=frozenset(timed), state_triggered=frozenset(pairs)
    )
