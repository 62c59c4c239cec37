"""HA AI: learns from the house and its Zigbee devices, and speaks MQTT about it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady, HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType
from homeassistant.loader import async_get_integration

from .automation_check import SafetySettings
from .automation_deploy import STORE_KEY as DEPLOYMENTS_STORE_KEY
from .automation_deploy import AutomationDeployer
from .camera_tracker import CAMERA_STORE_KEY, CameraSettings, CameraTracker
from .const import (
    CONF_ALLOWED_SERVICES,
    CONF_ANALYSIS_TIME,
    CONF_BATTERY_THRESHOLD,
    CONF_EXCLUDED_AREAS,
    CONF_EXCLUDED_DOMAINS,
    CONF_EXCLUDED_ENTITIES,
    CONF_HISTORY_DAYS,
    CONF_LAST_SEEN_STALE_HOURS,
    CONF_MAX_SUGGESTIONS,
    CONF_MESSAGE_TTL,
    CONF_NAMESPACE_PREFIX,
    CONF_NOTIFY_SUGGESTIONS,
    CONF_QOS,
    CONF_QUEUE_SIZE,
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    CONF_SENSITIVE_SERVICES_ALLOWED,
    CONF_SUGGESTION_EXPIRY_DAYS,
    CONF_UNAVAILABLE_MINUTES,
    CONF_ZIGBEE2MQTT_BASE_TOPIC,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from .data import HaAiConfigEntry, HaAiRuntimeData
from .engine.zigbee.anomalies import AnomalySettings
from .habit_analysis import (
    HABITS_STORE_KEY,
    AnalysisSchedule,
    HabitAnalysis,
    mining_settings,
)
from .habit_live import HabitLive
from .habit_log import Exclusions, HabitLog
from .llm_enrich import LlmEnricher
from .mqtt_bus import BusSettings, MqttBus
from .remote_deploy import RemoteDeploy
from .remote_replay import STORE_KEY as REMOTE_COMMANDS_STORE_KEY
from .services import async_setup_services
from .stored_part import async_remove_store
from .suggestions import STORE_KEY as SUGGESTIONS_STORE_KEY
from .suggestions import SuggestionManager, SuggestionSettings
from .zigbee_bridge import ZIGBEE_STORE_KEY, ZigbeeBridge
from .zigbee_insights import INSIGHTS_STORE_KEY, ZigbeeInsights

# What `async_remove_entry` deletes, so that removing HA AI leaves nothing behind.
STORE_KEYS = (
    ZIGBEE_STORE_KEY,
    INSIGHTS_STORE_KEY,
    HABITS_STORE_KEY,
    SUGGESTIONS_STORE_KEY,
    DEPLOYMENTS_STORE_KEY,
    REMOTE_COMMANDS_STORE_KEY,
    CAMERA_STORE_KEY,
)
PLATFORMS = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services, which exist whether or not an entry is loaded."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HaAiConfigEntry) -> bool:
    """Start the MQTT bus and the entities; never wait for the broker itself."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="mqtt_unavailable"
        )
    options = {**DEFAULT_OPTIONS, **entry.options}
    bus = MqttBus(hass, entry, bus_settings(options))
    zigbee = ZigbeeBridge(
        hass,
        entry,
        bus,
        options[CONF_ZIGBEE2MQTT_BASE_TOPIC],
        anomaly_settings(options),
    )
    insights = ZigbeeInsights(hass, entry, zigbee)
    habit_log = HabitLog(
        hass,
        entry,
        retention_days=int(options[CONF_HISTORY_DAYS]),
        exclusions=Exclusions(
            entities=frozenset(options[CONF_EXCLUDED_ENTITIES]),
            areas=frozenset(options[CONF_EXCLUDED_AREAS]),
            domains=frozenset(options[CONF_EXCLUDED_DOMAINS]),
        ),
    )
    habits = HabitAnalysis(
        hass,
        bus,
        habit_log,
        zigbee,
        AnalysisSchedule(
            run_at=time.fromisoformat(options[CONF_ANALYSIS_TIME]),
            history_days=int(options[CONF_HISTORY_DAYS]),
        ),
        mining_settings(options),
        entry=entry,
    )
    habit_live = HabitLive(hass, entry, bus, habits)
    deployer = AutomationDeployer(hass, entry)
    suggestions = SuggestionManager(
        hass,
        entry,
        bus,
        habits,
        insights,
        deployer,
        suggestion_settings(options),
        LlmEnricher.from_options(hass, options),
    )
    habits.suggest = suggestions.async_refresh
    remote = (
        RemoteDeploy(
            hass,
            entry,
            bus,
            deployer,
            suggestions,
            secret=str(options[CONF_REMOTE_SECRET]),
            safety=safety_settings(options).without_templates(),
        )
        if options[CONF_REMOTE_DEPLOY] and options[CONF_REMOTE_SECRET]
        else None
    )
    cameras = CameraTracker(hass, entry, bus, CameraSettings.from_options(options))
    # Stopped in the reverse order: the consumers first, the bus last; each
    # part's store writes itself after its part stopped, and on a clean stop of
    # Home Assistant (entries are not unloaded then), when the bus says `offline`.
    entry.async_on_unload(bus.async_stop)
    entry.async_on_unload(zigbee.async_stop)
    entry.async_on_unload(insights.async_stop)
    entry.async_on_unload(habit_log.async_stop)
    entry.async_on_unload(habits.async_stop)
    entry.async_on_unload(suggestions.async_stop)
    entry.async_on_unload(cameras.async_stop)
    if remote is not None:
        entry.async_on_unload(remote.async_stop)
    # What remote commands act on is loaded before they can arrive.
    await deployer.async_start()
    await suggestions.async_start()
    try:
        await bus.async_start()
        await zigbee.async_start()
        await cameras.async_start()
        if remote is not None:
            await remote.async_start()
    except HomeAssistantError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="mqtt_subscribe_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    await insights.async_start()
    await habit_log.async_start()
    await habits.async_start()
    await habit_live.async_start()
    integration = await async_get_integration(hass, DOMAIN)
    entry.runtime_data = HaAiRuntimeData(
        bus=bus,
        zigbee=zigbee,
        insights=insights,
        habit_log=habit_log,
        habits=habits,
        habit_live=habit_live,
        deployer=deployer,
        suggestions=suggestions,
        remote=remote,
        cameras=cameras,
        version=str(integration.version),
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_settings_changed))
    return True


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
    """Let the user remove a camera that has been silent long enough; no other."""
    if entry.state is not ConfigEntryState.LOADED:
        return False
    return entry.runtime_data.cameras.async_remove_device(device)


async def _async_settings_changed(hass: HomeAssistant, entry: HaAiConfigEntry) -> None:
    """Reload so that new topics, QoS or TTL apply at once."""
    await hass.config_entries.async_reload(entry.entry_id)


def bus_settings(options: Mapping[str, Any]) -> BusSettings:
    """Return the bus settings from the entry's options, defaults filled in."""
    return BusSettings(
        namespace_prefix=str(options[CONF_NAMESPACE_PREFIX]),
        qos=int(options[CONF_QOS]),
        message_ttl=int(options[CONF_MESSAGE_TTL]),
        queue_size=int(options[CONF_QUEUE_SIZE]),
    )


def anomaly_settings(options: Mapping[str, Any]) -> AnomalySettings:
    """Return the device anomaly thresholds from the entry's options."""
    return AnomalySettings(
        unavailable_after=timedelta(minutes=int(options[CONF_UNAVAILABLE_MINUTES])),
        battery_below=float(options[CONF_BATTERY_THRESHOLD]),
        last_seen_stale_after=timedelta(hours=int(options[CONF_LAST_SEEN_STALE_HOURS])),
    )


def safety_settings(options: Mapping[str, Any]) -> SafetySettings:
    """Return which services HA AI's automations may call, from the options."""
    return SafetySettings(
        allowed=tuple(options[CONF_ALLOWED_SERVICES]),
        sensitive_allowed=tuple(options[CONF_SENSITIVE_SERVICES_ALLOWED]),
    )


def suggestion_settings(options: Mapping[str, Any]) -> SuggestionSettings:
    """Return the suggestion store's settings from the entry's options."""
    return SuggestionSettings(
        max_kept=int(options[CONF_MAX_SUGGESTIONS]),
        expire_after=timedelta(days=int(options[CONF_SUGGESTION_EXPIRY_DAYS])),
        notify=bool(options[CONF_NOTIFY_SUGGESTIONS]),
        safety=safety_settings(options),
    )
