"""Runtime objects of a loaded HA AI entry, kept in `entry.runtime_data`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE

from .automation_deploy import AutomationDeployer
from .camera_tracker import CameraTracker
from .entry_settings import HaAiSettings
from .habit_analysis import HabitAnalysis
from .habit_live import HabitLive
from .habit_log import HabitLog
from .mqtt_bus import MqttBus
from .remote_deploy import RemoteDeploy
from .suggestions import SuggestionManager
from .zigbee_bridge import ZigbeeBridge
from .zigbee_insights import ZigbeeInsights


class Listenable(Protocol):
    """A runtime part that tells its listeners when it changes."""

    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` on each change; return a function that stops it."""


@dataclass(slots=True)
class HaAiRuntimeData:
    """Everything a loaded entry owns; dropped as a whole when it unloads."""

    bus: MqttBus
    zigbee: ZigbeeBridge
    insights: ZigbeeInsights
    habit_log: HabitLog
    habits: HabitAnalysis
    habit_live: HabitLive
    deployer: AutomationDeployer
    suggestions: SuggestionManager
    remote: RemoteDeploy | None
    cameras: CameraTracker
    settings: HaAiSettings  # what the parts were built with
    version: str


type HaAiConfigEntry = ConfigEntry[HaAiRuntimeData]
