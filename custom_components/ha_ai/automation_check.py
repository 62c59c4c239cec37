"""Check an automation before it reaches Home Assistant.

Every automation HA AI writes (rendered from a habit, proposed by an LLM, or sent
by an outside program over MQTT) passes the same three checks, in this order:
the safety rules (`engine/automations/safety.py`: every step, trigger, condition,
target and template of an allowed kind; only allowed services, sensitive ones
only when named in the options), Home Assistant's own automation config
validation (the one the automation editor uses), and the existence of every
entity, device and service it names. A failed check says why, in words a user
can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import voluptuous as vol
from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .engine.automations.references import referenced_ids
from .engine.automations.safety import check_automation, services_called


class AutomationRefusedError(HomeAssistantError):
    """An automation failed a check; `reason` is a short code, the text says why."""

    def __init__(self, reason: str, message: str) -> None:
        """Keep the reason code beside the readable message."""
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """The options that decide which services an automation may call.

    `templates` says whether templates in the strict subset are accepted at all;
    commands from outside programs get none (`without_templates`), since what a
    template does cannot be seen until it runs in the house.
    """

    allowed: tuple[str, ...]
    sensitive_allowed: tuple[str, ...]
    templates: bool = True

    def without_templates(self) -> SafetySettings:
        """Return these settings, refusing every template."""
        return replace(self, templates=False)


async def async_check_automation(
    hass: HomeAssistant,
    automation: Mapping[str, Any],
    *,
    automation_id: str,
    safety: SafetySettings,
) -> dict[str, Any]:
    """Return the automation with its id, or raise `AutomationRefusedError`."""
    config = {**automation, "id": automation_id}
    if refusals := check_automation(
        config,
        allowed=safety.allowed,
        sensitive_allowed=safety.sensitive_allowed,
        templates=safety.templates,
    ):
        raise AutomationRefusedError(
            "refused", "; ".join(refusal.message for refusal in refusals)
        )
    try:
        await async_validate_config_item(hass, automation_id, config)
    except (vol.Invalid, HomeAssistantError) as err:
        raise AutomationRefusedError(
            "invalid", f"Home Assistant does not accept this automation: {err}"
        ) from err
    _check_references(hass, config)
    return config


def _check_references(hass: HomeAssistant, config: Mapping[str, Any]) -> None:
    """Refuse an automation naming an entity, device or service that does not exist."""
    entities = er.async_get(hass)
    missing_entities = sorted(
        {
            entity_id
            for entity_id in referenced_ids(config, "entity_id")
            if hass.states.get(entity_id) is None
            and entities.async_get(entity_id) is None
        }
    )
    if missing_entities:
        raise AutomationRefusedError(
            "unknown_entity",
            f"These entities do not exist: {', '.join(missing_entities)}",
        )
    devices = dr.async_get(hass)
    missing_devices = sorted(
        {
            device_id
            for device_id in referenced_ids(config, "device_id")
            if devices.async_get(device_id) is None
        }
    )
    if missing_devices:
        raise AutomationRefusedError(
            "unknown_device",
            f"These devices do not exist: {', '.join(missing_devices)}",
        )
    missing_services = sorted(
        {
            called.service
            for called in services_called(config)
            if called.valid
            and called.path.endswith((".action", ".service"))  # not device actions
            and not hass.services.has_service(*called.service.split(".", 1))
        }
    )
    if missing_services:
        raise AutomationRefusedError(
            "unknown_service",
            f"These actions do not exist: {', '.join(missing_services)}",
        )
