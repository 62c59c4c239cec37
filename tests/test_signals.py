"""The change signal of a push-fed part: heard by its own entry only."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from custom_components.ha_ai.signals import ChangeSignal, entry_signal


async def test_a_signal_reaches_its_listeners_until_they_disconnect(
    hass: HomeAssistant,
) -> None:
    """Listeners hear each change while connected, and nothing after."""
    signal = ChangeSignal(hass, "entry_1", "bus")
    heard: list[str] = []
    disconnect = signal.async_add_listener(lambda: heard.append("changed"))
    signal.async_send()
    await hass.async_block_till_done()
    disconnect()
    signal.async_send()
    await hass.async_block_till_done()
    assert heard == ["changed"]


async def test_entries_do_not_hear_each_other(hass: HomeAssistant) -> None:
    """The entry id is part of the name: another entry's change is not heard."""
    heard: list[str] = []
    ChangeSignal(hass, "entry_1", "bus").async_add_listener(lambda: heard.append("1"))
    ChangeSignal(hass, "entry_2", "bus").async_send()
    await hass.async_block_till_done()
    assert heard == []
    assert entry_signal("entry_1", "bus") != entry_signal("entry_2", "bus")
