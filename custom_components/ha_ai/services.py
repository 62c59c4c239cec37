"""Services of HA AI, registered once in `async_setup`.

Who may call what: the actions that change the house or start work -
`accept_suggestion` (writes automations.yaml and reloads automations),
`dismiss_suggestion` (drops a suggestion for good), `snooze_suggestion` (puts one
off for some days) and `run_analysis` (minutes of
work on the recorder's history) - are admin actions: a call made by a user who is
not an administrator fails with `Unauthorized` before anything happens, exactly as
Home Assistant's own admin services do. Calls without a user (automations, scripts,
the system) are allowed, as in core.

Home Assistant's `async_register_admin_service` only hands a service's response back
from 2025.6 on, and HA AI still supports 2025.4, whose admin handler drops it; so the
admin check here is core's check (unknown user: `UnknownUser`, not an admin:
`Unauthorized`) in front of a service that keeps its response. Once the oldest
supported version is 2025.6 the helper can replace `_admin_only`.

`get_suggestions` only reads what the suggestion sensors already show every user, and
`publish_event` stays open to every user on purpose: it can only publish an event
under `ha-ai/events/` (never on the command topics HA AI listens to, never with a
forged envelope), which is less than `mqtt.publish`, open to every user in core,
already allows on any topic. Whoever acts on those events decides how far to trust
them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import orjson
import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv

from .const import (
    ATTR_PATH,
    ATTR_PAYLOAD,
    ATTR_TTL,
    DOMAIN,
    MAX_MESSAGE_TTL,
    MAX_SERVICE_PAYLOAD_BYTES,
    MIN_MESSAGE_TTL,
    SERVICE_PUBLISH_EVENT,
    SERVICE_RUN_ANALYSIS,
)
from .data import HaAiConfigEntry, loaded_entry
from .engine.envelope import ENVELOPE_FIELDS
from .engine.suggestions.lifecycle import MAX_SNOOZE_DAYS, MIN_SNOOZE_DAYS
from .engine.suggestions.model import SuggestionKind, SuggestionStatus
from .engine.topics import validate_event_path
from .habits.coordinator import AnalysisCooldownError, AnalysisRunningError
from .suggestions.manager import suggestion_fields

SERVICE_ACCEPT_SUGGESTION = "accept_suggestion"
SERVICE_DISMISS_SUGGESTION = "dismiss_suggestion"
SERVICE_SNOOZE_SUGGESTION = "snooze_suggestion"
SERVICE_GET_SUGGESTIONS = "get_suggestions"
ATTR_SUGGESTION_ID = "suggestion_id"
ATTR_DAYS = "days"
ATTR_STATUS = "status"
ATTR_KIND = "kind"
ATTR_LIMIT = "limit"
MAX_LISTED_SUGGESTIONS = 500

type ServiceHandler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

PUBLISH_EVENT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_PATH): cv.string,
        vol.Optional(ATTR_PAYLOAD, default=dict): vol.Schema({}, extra=vol.ALLOW_EXTRA),
        vol.Optional(ATTR_TTL): vol.All(
            vol.Coerce(int), vol.Range(min=MIN_MESSAGE_TTL, max=MAX_MESSAGE_TTL)
        ),
    }
)
SUGGESTION_SCHEMA = vol.Schema({vol.Required(ATTR_SUGGESTION_ID): cv.string})
SNOOZE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_SUGGESTION_ID): cv.string,
        vol.Required(ATTR_DAYS): vol.All(
            vol.Coerce(int), vol.Range(min=MIN_SNOOZE_DAYS, max=MAX_SNOOZE_DAYS)
        ),
    }
)
GET_SUGGESTIONS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_STATUS): vol.In([str(status) for status in SuggestionStatus]),
        vol.Optional(ATTR_KIND): vol.In([str(kind) for kind in SuggestionKind]),
        vol.Optional(ATTR_LIMIT, default=50): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_LISTED_SUGGESTIONS)
        ),
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services of the integration."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RUN_ANALYSIS,
        _admin_only(_async_run_analysis),
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_PUBLISH_EVENT,
        _async_publish_event,
        schema=PUBLISH_EVENT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ACCEPT_SUGGESTION,
        _admin_only(_async_accept_suggestion),
        schema=SUGGESTION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DISMISS_SUGGESTION,
        _admin_only(_async_dismiss_suggestion),
        schema=SUGGESTION_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SNOOZE_SUGGESTION,
        _admin_only(_async_snooze_suggestion),
        schema=SNOOZE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_SUGGESTIONS,
        _async_get_suggestions,
        schema=GET_SUGGESTIONS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


def _admin_only(
    handler: ServiceHandler,
) -> ServiceHandler:
    """Return `handler` behind core's admin check, its response kept."""

    async def checked(call: ServiceCall) -> ServiceResponse:
        if call.context.user_id:
            user = await call.hass.auth.async_get_user(call.context.user_id)
            if user is None:
                raise UnknownUser(context=call.context)
            if not user.is_admin:
                raise Unauthorized(context=call.context)
        return await handler(call)

    return checked


def _loaded_entry(hass: HomeAssistant) -> HaAiConfigEntry:
    """Return the loaded entry, or tell the user that HA AI is not running."""
    if (entry := loaded_entry(hass)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="not_loaded"
        )
    return entry


def _validated_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return the user's payload once it is known to fit in an event."""
    if reserved := sorted(ENVELOPE_FIELDS.intersection(payload)):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="reserved_payload_key",
            translation_placeholders={"keys": ", ".join(reserved)},
        )
    try:
        size = len(orjson.dumps(payload))
    except TypeError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="payload_not_json",
            translation_placeholders={"error": str(err)},
        ) from err
    if size > MAX_SERVICE_PAYLOAD_BYTES:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="payload_too_large",
            translation_placeholders={
                "size": str(size),
                "limit": str(MAX_SERVICE_PAYLOAD_BYTES),
            },
        )
    return dict(payload)


async def _async_publish_event(call: ServiceCall) -> ServiceResponse:
    """Publish the user's event under `<prefix>/events/<path>`."""
    entry = _loaded_entry(call.hass)
    path = call.data[ATTR_PATH].strip()
    if (error := validate_event_path(path)) is not None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=f"invalid_event_path_{error.value}",
            translation_placeholders={"path": path},
        )
    payload = _validated_payload(call.data[ATTR_PAYLOAD])
    published = entry.runtime_data.bus.async_publish_event(
        ["events", *path.split("/")], payload, ttl=call.data.get(ATTR_TTL)
    )
    return {
        "event_id": published.event_id,
        "topic": published.topic,
        "queued": published.queued,
    }


async def _async_run_analysis(call: ServiceCall) -> ServiceResponse:
    """Run the habit analysis now and wait for it."""
    habits = _loaded_entry(call.hass).runtime_data.habits
    try:
        habits.check_can_run()
    except AnalysisRunningError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="analysis_running"
        ) from err
    except AnalysisCooldownError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="analysis_cooldown"
        ) from err
    if not await habits.async_run():
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="analysis_failed",
            translation_placeholders={"error": str(habits.last_error)},
        )
    return {
        "patterns_detected": len(habits.patterns),
        "duration_seconds": habits.last_duration,
    }


async def _async_accept_suggestion(call: ServiceCall) -> ServiceResponse:
    """Accept a suggestion; its automation is checked, deployed and confirmed."""
    suggestions = _loaded_entry(call.hass).runtime_data.suggestions
    accepted = await suggestions.async_accept(call.data[ATTR_SUGGESTION_ID].strip())
    return {
        "suggestion_id": accepted.suggestion_id,
        "status": str(accepted.status),
        "automation_id": accepted.automation_id,
    }


async def _async_dismiss_suggestion(call: ServiceCall) -> ServiceResponse:
    """Dismiss a suggestion for good."""
    suggestions = _loaded_entry(call.hass).runtime_data.suggestions
    suggestions.async_dismiss(call.data[ATTR_SUGGESTION_ID].strip())
    return None


async def _async_snooze_suggestion(call: ServiceCall) -> ServiceResponse:
    """Put a new suggestion off for some days."""
    suggestions = _loaded_entry(call.hass).runtime_data.suggestions
    snoozed = suggestions.async_snooze(
        call.data[ATTR_SUGGESTION_ID].strip(), call.data[ATTR_DAYS]
    )
    until = snoozed.snoozed_until
    return {
        "suggestion_id": snoozed.suggestion_id,
        "snoozed_until": None if until is None else until.isoformat(),
    }


async def _async_get_suggestions(call: ServiceCall) -> ServiceResponse:
    """Return the suggestions, best first, filtered by status and kind."""
    suggestions = _loaded_entry(call.hass).runtime_data.suggestions
    status = call.data.get(ATTR_STATUS)
    kind = call.data.get(ATTR_KIND)
    found = suggestions.query(
        SuggestionStatus(status) if status else None,
        SuggestionKind(kind) if kind else None,
    )
    return {
        "total": len(found),
        "suggestions": [
            suggestion_fields(item) for item in found[: call.data[ATTR_LIMIT]]
        ],
    }
