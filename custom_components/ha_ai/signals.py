"""The dispatcher signal a push-fed part of an entry sends when it changes.

Parts fed by MQTT (the bus counters, the Zigbee bridge, the cameras, the
suggestion book) have no refresh to run: they tell their entities through Home
Assistant's dispatcher. The signal's name carries the entry id, so two entries
never hear each other; a reloaded entry keeps its id, and its old listeners are
disconnected when it unloads (entities through `async_on_remove`, parts through
`entry.async_on_unload`).
"""

from __future__ import annotations

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)

from .const import DOMAIN


def entry_signal(entry_id: str, part: str) -> str:
    """Return the name of the signal `part` of entry `entry_id` sends."""
    return f"{DOMAIN}_{entry_id}_{part}_changed"


class ChangeSignal:
    """Sends one part's change signal, and connects its entities to it."""

    def __init__(self, hass: HomeAssistant, entry_id: str, part: str) -> None:
        """Name the signal of `part` in entry `entry_id`."""
        self.hass = hass
        self.name = entry_signal(entry_id, part)

    @callback
    def async_send(self) -> None:
        """Tell every connected listener that the part changed."""
        async_dispatcher_send(self.hass, self.name)

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` on each change; return the function that disconnects it.

        The name matches `DataUpdateCoordinator.async_add_listener`, so an entity
        follows a push-fed part and a coordinator the same way.
        """
        return async_dispatcher_connect(self.hass, self.name, listener)
