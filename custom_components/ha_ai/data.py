"""Runtime objects of a loaded HA AI entry, kept in `entry.runtime_data`."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .mqtt_bus import MqttBus


@dataclass(slots=True)
class HaAiRuntimeData:
    """Everything a loaded entry owns; dropped as a whole when it unloads."""

    bus: MqttBus
    version: str


type HaAiConfigEntry = ConfigEntry[HaAiRuntimeData]
