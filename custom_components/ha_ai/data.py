"""Runtime objects of a loaded HA AI entry, kept in `entry.runtime_data`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant

from .automations.deploy import AutomationDeployer
from .automations.remote_deploy import RemoteDeploy
from .automations.runs import AutomationRuns
from .bus.mqtt_bus import MqttBus
from .cameras.tracker import CameraTracker
from .const import DOMAIN
from .entry_settings import HaAiSettings
from .habits.coordinator import HabitAnalysis
from .habits.live import HabitLive
from .habits.log import HabitLog
from .household.follower import HouseholdLive
from .sports.live import SportsLive
from .suggestions.live_list import LiveSuggestionList
from .suggestions.manager import SuggestionManager
from .zigbee.bridge import ZigbeeBridge
from .zigbee.coordinator import ZigbeeInsights


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
    household: HouseholdLive
    deployer: AutomationDeployer
    runs: AutomationRuns  # how HA AI's automations run
    suggestions: SuggestionManager
    live_list: LiveSuggestionList  # what the card's subscriptions receive
    remote: RemoteDeploy | None
    cameras: CameraTracker
    sports: SportsLive  # the followed teams' moments
    settings: HaAiSettings  # what the parts were built with
    version: str


type HaAiConfigEntry = ConfigEntry[HaAiRuntimeData]


def loaded_entry(hass: HomeAssistant) -> HaAiConfigEntry | None:
    """Return the loaded HA AI entry, or None while HA AI is not running."""
    entries: list[HaAiConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    return entries[0] if entries else None
