"""The websocket API of the suggestions: a live list, and the user's answers.

`ha_ai/suggestions/subscribe` sends the whole list (every status, best first)
and a summary of the analyses at once, then again on every change of the
suggestions, of the habit analysis or of the Zigbee judgement; the frontend's
unsubscribe stops it. `accept`, `dismiss` and `snooze` answer a suggestion
through the same methods as the `ha_ai.*_suggestion` actions, so both behave
the same; they are admin-only, as the actions are. The list is built once
per change for all subscribers (`live_list`), and a subscription is kept by the
entry's id, so it outlives a reload of the entry (changed options) and follows
the running entry's parts. The commands exist whether or not an entry is
loaded, and answer `not_loaded` when none is.
"""

from __future__ import annotations

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

from ..data import loaded_entry
from ..engine.suggestions.lifecycle import (
    MAX_SNOOZE_DAYS,
    MIN_SNOOZE_DAYS,
    SuggestionError,
    SuggestionErrorReason,
)
from .live_list import Payload, automation_entity, iso

ERR_NOT_LOADED = "not_loaded"
ERR_NOT_FOUND = "not_found"
ERR_INVALID_STATE = "invalid_state"
ERR_REFUSED = "refused"


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

    @callback
    def send(payload: Payload) -> None:
        connection.send_message(event_message(msg["id"], payload))

    live_list = entry.runtime_data.live_list
    payload = await live_list.async_current()
    connection.subscriptions[msg["id"]] = live_list.async_subscribe(send)
    connection.send_result(msg["id"])
    send(payload)


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
            "entity_id": automation_entity(hass, accepted),
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
    connection.send_result(msg["id"], {"snoozed_until": iso(snoozed.snoozed_until)})


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
