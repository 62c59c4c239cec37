"""Check an automation before it reaches Home Assistant.

Every automation HA AI writes (rendered from a habit, proposed by an LLM, or sent
by an outside program over MQTT) passes the same four checks, in this order:
the safety rules (`engine/automations/safety.py`: every step, trigger, condition,
target and template of an allowed kind; only allowed services, sensitive ones
only when named in the options), Home Assistant's own automation config
validation (the one the automation editor uses), the existence of every
entity, device and service it names, and the data of every service call against
that service's own schema (which Home Assistant only applies when the call is
made, so an automation with data its service refuses would fail at every run). A
failed check says why, in words a user can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from ..engine.automations.references import names_to_check
from ..engine.automations.safety import SafetySettings, check_automation
from ..engine.automations.walk import service_data

__all__ = ["AutomationRefusedError", "SafetySettings", "async_check_automation"]


class AutomationRefusedError(HomeAssistantError):
    """An automation failed a check; `reason` is a short code, the text says why."""

    def __init__(self, reason: str, message: str) -> None:
        """Keep the reason code beside the readable message."""
        super().__init__(message)
        self.reason = reason
        self.message = message


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
    _check_service_data(hass, config)
    return config


def _check_references(hass: HomeAssistant, config: Mapping[str, Any]) -> None:
    """Refuse an automation naming an entity, device or service that does not exist."""
    names = names_to_check(config)
    entities = er.async_get(hass)
    if missing := sorted(
        entity_id
        for entity_id in names.entities
        if hass.states.get(entity_id) is None and entities.async_get(entity_id) is None
    ):
        raise AutomationRefusedError(
            "unknown_entity", f"These entities do not exist: {', '.join(missing)}"
        )
    devices = dr.async_get(hass)
    if missing := sorted(
        device_id for device_id in names.devices if devices.async_get(device_id) is None
    ):
        raise AutomationRefusedError(
            "unknown_device", f"These devices do not exist: {', '.join(missing)}"
        )
    if missing := sorted(
        service
        for service in names.services
        if not hass.services.has_service(*service.split(".", 1))
    ):
        raise AutomationRefusedError(
            "unknown_service", f"These actions do not exist: {', '.join(missing)}"
        )


def _check_service_data(hass: HomeAssistant, config: Mapping[str, Any]) -> None:
    """Refuse a call whose written-out data its service's schema does not accept.

    Calls with templates are left to Home Assistant at run time, as are services
    registered without a schema.
    """
    for call in service_data(config):
        domain, name = call.service.split(".", 1)
        service = hass.services.async_services_for_domain(domain).get(name)
        if service is None or service.schema is None:
            continue
        try:
            service.schema(dict(call.data))
        except vol.Invalid as err:
            raise AutomationRefusedError(
                "invalid_data",
                f"{call.service} ({call.path}) does not accept its data: {err}",
            ) from err
