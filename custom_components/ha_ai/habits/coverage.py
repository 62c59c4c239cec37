"""What the existing automations already do, so HA AI does not propose it again.

Home Assistant keeps each automation's configuration as it was loaded; the
engine reads it (`engine/automations/references.py`) exactly as the offline
analyser reads an `automations.yaml`, so both mark the same patterns automated.
"""

from __future__ import annotations

from homeassistant.components import automation
from homeassistant.core import HomeAssistant

from ..engine.automations.references import coverage
from ..engine.habits.model import AutomationCoverage

AUTOMATION_DOMAIN = "automation"


def automation_coverage(hass: HomeAssistant) -> AutomationCoverage:
    """Return the timed targets and the state-triggered pairs of all automations."""
    if AUTOMATION_DOMAIN not in hass.config.components:
        return AutomationCoverage()
    component = hass.data.get(automation.DATA_COMPONENT)
    if component is None:
        return AutomationCoverage()
    return coverage(
        getattr(entity, "raw_config", None) for entity in component.entities
    )
