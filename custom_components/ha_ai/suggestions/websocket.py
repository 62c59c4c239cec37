"""The websocket API of the suggestions: a live list, and the user's answers.

`ha_ai/suggestions/subscribe` sends the whole list (every status, best first)
and a summary of the analyses at once, then again on every change of the
suggestions, of the habit analysis or of the Zigbee judgement; the frontend's
unsubscribe stops it. `accept`, `dismiss` and `snooze` answer a suggestion
through the same methods as the `ha_ai.*_suggestion` actions, so both behave
the same; they are admin-only, as the actions are. The suggestions' change
signal is named by the entry's id, so a subscription outlives a reload of the
entry (changed options) and always reads the running entry's suggestions; the
days of history are read once, when it starts. The commands exist whether
or not an entry is loaded, and answer `not_loaded` when none is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import voluptuous as vol
from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from ..data import HaAiConfigEntry, loaded_entry
from ..engine.automations.yaml_file import entry_text
from ..engine.habits.model import PatternLevel
from ..engine.suggestions.evidence import evidence_text
from ..engine.suggestions.lifecycle import (
    MAX_SNOOZE_DAYS,
    MIN_SNOOZE_DAYS,
    SuggestionError,
    SuggestionErrorReason,
)
from ..engine.suggestions.model import Suggestion, SuggestionStatus
from ..engine.suggestions.summary import history_days, next_run
from .manager import suggestion_fields

ERR_NOT_LOADED = "not_loaded"
ERR_NOT_FOUND = "not_found"
ERR_INVALID_STATE = "invalid_state"
ERR_REFUSED = "refused"
_LEVELS = frozenset(str(level) for level in PatternLevel)


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the commands of the suggestions (once, from `async_setup`)."""
    websocket_api.async_register_command(hass, websocket_subscribe)
    websocket_api.async_register_command(hass, websocket_accept)
    websocket_api.async_register_command(hass, websocket_dismiss)
    websocket_api.async_register_command(hass, websocket_snooze)


def _not_loaded(connection: ActiveConnection, msg_id: int) -> None:
    connection.send_error(msg_id, ERR_NOT_LOADED, "HA AI is not loaded.")


@websocket_command({vol.Required("type"): "ha_ai/suggestions/subscribe"})
@async_response
async def websocket_subscribe(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Send the suggestions and the summary now and on every change."""
    if (entry := loaded_entry(hass)) is None:
        _not_loaded(connection, msg["id"])
        return
    data = entry.runtime_data
    first = await data.habit_log.async_first_day()

    @callback
    def send() -> None:
        connection.send_message(
            event_message(
                msg["id"],
                {
                    "suggestions": suggestion_items(hass, entry),
                    "summary": _summary(entry, first),
                },
            )
        )

    stops = [
        data.suggestions.async_add_listener(send),
        data.habits.async_add_listener(send),
        data.insights.async_add_listener(send),
    ]

    @callback
    def unsubscribe() -> None:
        for stop in stops:
            stop()

    connection.subscriptions[msg["id"]] = unsubscribe
    connection.send_result(msg["id"])
    send()


@websocket_command(
    {
        vol.Required("type"): "ha_ai/suggestions/accept",
        vol.Required("suggestion_id"): str,
    }
)
@require_admin
@async_response
async def websocket_accept(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Accept a suggestion and deploy its automation, as the action does."""
    if (entry := loaded_entry(hass)) is None:
        _not_loaded(connection, msg["id"])
        return
    try:
        accepted = await entry.runtime_data.suggestions.async_accept(
            msg["suggestion_id"].strip()
        )
    except ServiceValidationError as err:
        _send_refusal(connection, msg["id"], err)
        return
    except HomeAssistantError as err:
        connection.send_error(msg["id"], ERR_REFUSED, str(err))
        return
    connection.send_result(
        msg["id"],
        {
            "automation_id": accepted.automation_id,
            "entity_id": _automation_entity(hass, accepted),
        },
    )


@websocket_command(
    {
        vol.Required("type"): "ha_ai/suggestions/dismiss",
        vol.Required("suggestion_id"): str,
    }
)
@require_admin
@async_response
async def websocket_dismiss(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Dismiss a suggestion for good, as the action does."""
    if (entry := loaded_entry(hass)) is None:
        _not_loaded(connection, msg["id"])
        return
    try:
        entry.runtime_data.suggestions.async_dismiss(msg["suggestion_id"].strip())
    except ServiceValidationError as err:
        _send_refusal(connection, msg["id"], err)
        return
    connection.send_result(msg["id"], {})


@websocket_command(
    {
        vol.Required("type"): "ha_ai/suggestions/snooze",
        vol.Required("suggestion_id"): str,
        vol.Required("days"): vol.All(
            int, vol.Range(min=MIN_SNOOZE_DAYS, max=MAX_SNOOZE_DAYS)
        ),
    }
)
@require_admin
@async_response
async def websocket_snooze(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Put a new suggestion off for some days, as the action does."""
    if (entry := loaded_entry(hass)) is None:
        _not_loaded(connection, msg["id"])
        return
    try:
        snoozed = entry.runtime_data.suggestions.async_snooze(
            msg["suggestion_id"].strip(), msg["days"]
        )
    except ServiceValidationError as err:
        _send_refusal(connection, msg["id"], err)
        return
    connection.send_result(msg["id"], {"snoozed_until": _iso(snoozed.snoozed_until)})


def _send_refusal(
    connection: ActiveConnection,
    msg_id: int,
    err: ServiceValidationError,
) -> None:
    """Send the book's refusal under the contract's code, with its message."""
    cause = err.__cause__
    reason = cause.reason if isinstance(cause, SuggestionError) else None
    code = (
        ERR_NOT_FOUND
        if reason is SuggestionErrorReason.UNKNOWN_SUGGESTION
        else ERR_INVALID_STATE
    )
    connection.send_error(msg_id, code, str(cause or err))


def suggestion_items(
    hass: HomeAssistant, entry: HaAiConfigEntry
) -> list[dict[str, Any]]:
    """Return every suggestion, best first, with what a card shows of it."""
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    areas = ar.async_get(hass)
    items = []
    for suggestion in entry.runtime_data.suggestions.query():
        names = {
            entity_id: _entity_name(hass, entities, entity_id)
            for entity_id in suggestion.entities
        }
        area_id = None
        for entity_id in suggestion.entities:
            if (entity := entities.async_get(entity_id)) is not None:
                area_id = entity.area_id
                if area_id is None and entity.device_id is not None:
                    device = devices.async_get(entity.device_id)
                    area_id = device.area_id if device is not None else None
            if area_id is not None:
                break
        area = areas.async_get_area(area_id) if area_id else None
        level = suggestion.source.get("level")
        items.append(
            {
                **suggestion_fields(suggestion),
                "evidence": evidence_text(suggestion.kind, suggestion.source, names),
                "area": area.name if area is not None else None,
                "entity_names": names,
                "level": level if level in _LEVELS else None,
                "automation_yaml": (
                    entry_text(suggestion.automation)
                    if suggestion.automation is not None
                    else None
                ),
                "deployed_entity_id": (
                    _automation_entity(hass, suggestion)
                    if suggestion.status is SuggestionStatus.DEPLOYED
                    else None
                ),
            }
        )
    return items


def _entity_name(
    hass: HomeAssistant, entities: er.EntityRegistry, entity_id: str
) -> str:
    """Return an entity's name as Home Assistant shows it, or its entity id."""
    if (state := hass.states.get(entity_id)) is not None:
        return state.name
    if (entity := entities.async_get(entity_id)) is not None:
        return entity.name or entity.original_name or entity_id
    return entity_id


def _automation_entity(hass: HomeAssistant, suggestion: Suggestion) -> str | None:
    """Return the entity of a suggestion's deployed automation, if it exists."""
    if suggestion.automation_id is None:
        return None
    return er.async_get(hass).async_get_entity_id(
        "automation", "automation", suggestion.automation_id
    )


def _summary(entry: HaAiConfigEntry, first: date | None) -> dict[str, Any]:
    """Return what the analyses have done so far and when the next one runs."""
    data = entry.runtime_data
    habits = data.habits
    levels = habits.level_counts()
    now = dt_util.now()
    return {
        "last_analysis": _iso(habits.last_run),
        "next_analysis": _iso(next_run(now, habits.schedule.run_at).astimezone(UTC)),
        "history_days": history_days(first, now.date(), habits.schedule.history_days),
        "patterns_established": levels.get(str(PatternLevel.ESTABLISHED), 0),
        "patterns_forming": levels.get(str(PatternLevel.FORMING), 0),
        "unused_capabilities": len(data.insights.findings),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
