"""Change listeners, as the runtime parts (bus, bridge, insights) offer them."""

from __future__ import annotations

from homeassistant.core import CALLBACK_TYPE, callback


class Listeners:
    """Callbacks to run when a runtime part changes, for its entities."""

    def __init__(self) -> None:
        """Start with no listener."""
        self._listeners: list[CALLBACK_TYPE] = []

    def __len__(self) -> int:
        """Return how many listeners there are."""
        return len(self._listeners)

    @callback
    def async_add(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Add `listener`; return the function that removes it (twice is harmless)."""
        self._listeners.append(listener)

        @callback
        def remove_listener() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove_listener

    @callback
    def async_notify(self) -> None:
        """Call every listener."""
        for listener in list(self._listeners):
            listener()

    def clear(self) -> None:
        """Drop every listener, when the part stops."""
        self._listeners.clear()
