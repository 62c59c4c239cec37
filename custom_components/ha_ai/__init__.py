"""HA AI: learns from the house and its Zigbee devices, and speaks MQTT about it."""

from __future__ import annotations

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady, HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType
from homeassistant.loader import async_get_integration

from .automations.deploy import STORE_KEY as DEPLOYMENTS_STORE_KEY
from .automations.deploy import AutomationDeployer
from .automations.overrides import OverrideFollower
from .automations.remote_deploy import RemoteDeploy
from .automations.remote_replay import STORE_KEY as REMOTE_COMMANDS_STORE_KEY
from .automations.runs import HEALTH_STORE_KEY, AutomationRuns
from .bus.mqtt_bus import MqttBus
from .cameras.tracker import CAMERA_STORE_KEY, CameraTracker
from .const import DOMAIN, ENTRY_MINOR_VERSION, ENTRY_VERSION, LOGGER
from .data import HaAiConfigEntry, HaAiRuntimeData
from .entry_settings import HaAiSettings, split_settings
from .frontend import async_register_card
from .habits.coordinator import HABITS_STORE_KEY, HabitAnalysis
from .habits.live import HabitLive
from .habits.log import HabitLog
from .household.follower import HOUSEHOLD_STORE_KEY, HouseholdLive
from .llm.enrich import LlmEnricher
from .services import async_setup_services
from .sports.live import SPORTS_STORE_KEY, SportsLive
from .stored_part import async_remove_store
from .suggestions.live_list import LiveSuggestionList
from .suggestions.manager import STORE_KEY as SUGGESTIONS_STORE_KEY
from .suggestions.manager import SuggestionManager
from .suggestions.websocket import async_setup_websocket
from .zigbee.bridge import ZIGBEE_STORE_KEY, ZigbeeBridge
from .zigbee.coordinator import INSIGHTS_STORE_KEY, ZigbeeInsights

# What `async_remove_entry` deletes, so that removing HA AI leaves nothing behind.
STORE_KEYS = (
    ZIGBEE_STORE_KEY,
    INSIGHTS_STORE_KEY,
    HABITS_STORE_KEY,
    SUGGESTIONS_STORE_KEY,
    DEPLOYMENTS_STORE_KEY,
    REMOTE_COMMANDS_STORE_KEY,
    CAMERA_STORE_KEY,
    HOUSEHOLD_STORE_KEY,
    HEALTH_STORE_KEY,
    SPORTS_STORE_KEY,
)
PLATFORMS = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services and websocket commands, there with or without an entry."""
    async_setup_services(hass)
    async_setup_websocket(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HaAiConfigEntry) -> bool:
    """Start the MQTT bus and the entities; never wait for the broker itself."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="mqtt_unavailable"
        )
    integration = await async_get_integration(hass, DOMAIN)
    parts = _build_parts(
        hass, entry, HaAiSettings.from_entry(entry), str(integration.version)
    )
    _stop_on_unload(entry, parts)
    await _async_start_parts(parts)
    entry.runtime_data = parts
    await async_register_card(hass, parts.version)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # The teams' entities are there now: the moments of the first readings reach
    # them too.
    parts.sports.async_follow()
    return True


def _build_parts(
    hass: HomeAssistant, entry: HaAiConfigEntry, settings: HaAiSettings, version: str
) -> HaAiRuntimeData:
    """Make every part of the entry, wired to the parts it reads; none started."""
    bus = MqttBus(hass, entry, settings.bus)
    zigbee = ZigbeeBridge(
        hass, entry, bus, settings.zigbee_base_topic, settings.anomalies
    )
    insights = ZigbeeInsights(hass, entry, zigbee)
    habit_log = HabitLog(
        hass,
        entry,
        retention_days=settings.history_days,
        exclusions=settings.exclusions,
    )
    deployer = AutomationDeployer(hass, entry)
    runs = AutomationRuns(hass, entry, bus, deployer)
    suggestions = SuggestionManager(
        hass,
        entry,
        bus,
        insights,
        deployer,
        runs,
        settings.suggestions,
        LlmEnricher.from_settings(hass, settings.llm, entry),
    )
    habits = HabitAnalysis(
        hass,
        bus,
        habit_log,
        zigbee,
        settings.schedule,
        settings.mining,
        entry=entry,
        suggestions=suggestions,
    )
    return HaAiRuntimeData(
        bus=bus,
        zigbee=zigbee,
        insights=insights,
        habit_log=habit_log,
        habits=habits,
        habit_live=HabitLive(hass, entry, bus, habits),
        household=HouseholdLive(
            hass,
            entry,
            bus,
            habits,
            habit_log,
            announce_forming=settings.announce_forming_routines,
        ),
        deployer=deployer,
        runs=runs,
        overrides=OverrideFollower(
            hass, entry, runs, habit_log.origins, settings.feedback.override_window
        ),
        suggestions=suggestions,
        live_list=LiveSuggestionList(
            hass, entry, suggestions, habits, insights, habit_log
        ),
        remote=(
            RemoteDeploy(
                hass,
                entry,
                bus,
                deployer,
                suggestions,
                secret=settings.remote_deploy.secret,
                safety=settings.remote_deploy.safety,
            )
            if settings.remote_deploy is not None
            else None
        ),
        cameras=CameraTracker(hass, entry, bus, settings.cameras),
        sports=SportsLive(hass, entry, bus, settings.sports),
        settings=settings,
        version=version,
    )


def _stop_on_unload(entry: HaAiConfigEntry, parts: HaAiRuntimeData) -> None:
    """Stop the parts with the entry, in the reverse order: the bus last.

    Each part's store writes itself after its part stopped, and on a clean stop
    of Home Assistant (entries are not unloaded then), when the bus says
    `offline`.
    """
    entry.async_on_unload(parts.bus.async_stop)
    entry.async_on_unload(parts.habit_log.async_stop)
    entry.async_on_unload(parts.habits.async_stop)
    entry.async_on_unload(parts.suggestions.async_stop)
    entry.async_on_unload(parts.cameras.async_stop)
    entry.async_on_unload(parts.sports.async_stop)
    entry.async_on_unload(parts.runs.async_stop)
    if parts.remote is not None:
        entry.async_on_unload(parts.remote.async_stop)


async def _async_start_parts(parts: HaAiRuntimeData) -> None:
    """Start the parts in the order they need one another."""
    # What remote commands act on is loaded before they can arrive.
    await parts.deployer.async_start()
    await parts.runs.async_start()
    await parts.suggestions.async_start()
    try:
        await parts.bus.async_start()
        await parts.zigbee.async_start()
        await parts.cameras.async_start()
        if parts.remote is not None:
            await parts.remote.async_start()
    except HomeAssistantError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="mqtt_subscribe_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    await parts.insights.async_start()
    await parts.habit_log.async_start()
    # Judges changes with the origins the habit log follows from its start.
    parts.overrides.async_start()
    await parts.habits.async_start()
    await parts.habit_live.async_start()
    await parts.live_list.async_start()
    await parts.household.async_start()
    await parts.sports.async_start()


async def async_unload_entry(hass: HomeAssistant, entry: HaAiConfigEntry) -> bool:
    """Unload the entities; the bus stops through `async_on_unload`."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: HaAiConfigEntry) -> None:
    """Delete what HA AI stored, so that removing it leaves nothing behind."""
    for key in STORE_KEYS:
        await async_remove_store(hass, key)
    await HabitLog.async_remove_files(hass)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: HaAiConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user remove a camera silent long enough, or a team not followed."""
    if entry.state is not ConfigEntryState.LOADED:
        return False
    team = entry.runtime_data.sports.async_remove_device(device)
    if team is not None:
        return team
    return entry.runtime_data.cameras.async_remove_device(device)


async def async_migrate_entry(hass: HomeAssistant, entry: HaAiConfigEntry) -> bool:
    """Bring an entry stored by an older HA AI to today's layout, losing nothing.

    Version 1 kept every setting in the options; version 2 keeps what defines the
    connection (topics, LLM, secrets) in the data. An entry from a newer HA AI is
    refused: this one cannot know what it holds.
    """
    if entry.version > ENTRY_VERSION:
        LOGGER.error(
            "The HA AI entry was stored by a newer version (%s.%s); this one knows %s",
            entry.version,
            entry.minor_version,
            ENTRY_VERSION,
        )
        return False
    if entry.version == 1:
        data, options = split_settings({**entry.options, **entry.data})
        hass.config_entries.async_update_entry(
            entry,
            data=data,
            options=options,
            version=ENTRY_VERSION,
            minor_version=ENTRY_MINOR_VERSION,
        )
    return True
