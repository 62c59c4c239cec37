"""Follows Zigbee2MQTT through its MQTT topics: devices, bridge health and events.

One `<base>/#` subscription carries everything: the retained device list, the bridge's
state, info and events, and each device's state and availability. Large device lists
are parsed in an executor job; a list that cannot be parsed is logged and the last
good one stays. What is learned is kept in a `Store`, so devices are known again
right after a restart, before Zigbee2MQTT republishes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import orjson
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..bus.mqtt_bus import MqttBus
from ..const import DOMAIN, LOGGER
from ..engine.inbound import (
    MAX_JSON_DEPTH,
    NotAnArrayError,
    Rejection,
    decode_text,
    iter_json_array,
    json_nesting_steps,
    parse_json_object,
    too_deep,
)
from ..engine.log_text import log_safe
from ..engine.zigbee.anomalies import Anomaly, AnomalySettings, AnomalyTracker
from ..engine.zigbee.bursts import BurstSummary, DeviceEventLimiter
from ..engine.zigbee.devices import (
    MAX_DEVICES,
    DeviceList,
    DeviceListDiff,
    DeviceListError,
    device_entry_steps,
    diff_device_lists,
    parse_device_list,
)
from ..engine.zigbee.model import ZigbeeDevice, ieee_address
from ..engine.zigbee.serialize import restore_zigbee_store, store_steps
from ..engine.zigbee.settings_usage import SettingsTracker
from ..engine.zigbee.steps import Slices, Steps, run_to_end
from ..signals import ChangeSignal
from ..stored_part import PartStore

STORE_VERSION = 1
ZIGBEE_STORE_KEY = f"{DOMAIN}.zigbee"
STORE_SAVE_DELAY = 10
# Above this size a device list is parsed in an executor job, not in the event loop:
# below it (a house of a hundred devices or so) parsing takes a few milliseconds,
# less than the trip to a thread and back.
EXECUTOR_PARSE_BYTES = 512 * 1024
# How long one executor job of a long piece of work runs (see async_run_in_slices).
# While a job runs, the event loop waits for the interpreter lock each time it
# wants it back, so work that becomes due during one job may wait for the next.
EXECUTOR_SLICE = 0.005
MAX_DEVICE_LIST_BYTES = 32 * 1024 * 1024
MAX_DEVICE_MESSAGE_BYTES = 64 * 1024
# `bridge/info` carries Zigbee2MQTT's whole configuration and its schema: tens of
# kilobytes, a few hundred at most. It is parsed on the event loop.
MAX_BRIDGE_INFO_BYTES = 2 * 1024 * 1024
MAX_RECORDED_CHANGES = 100
# Changed devices logged one by one per device list; the rest in one line.
MAX_LOGGED_CHANGES = 10
MAX_LOGGED_PROBLEMS = 20
CHECK_INTERVAL = timedelta(minutes=1)
# With no message at all under the base topic for this long, the bridge is silent.
BRIDGE_SILENT_AFTER = timedelta(hours=3)
# Unreachable (offline or silent) for this long raises a repair issue.
UNREACHABLE_REPAIR_AFTER = timedelta(hours=1)
REPAIR_ISSUE_ID = "zigbee2mqtt_unreachable"
ONLINE = "online"
OFFLINE = "offline"
# Summaries of bursts of device events: `ha-ai/events/device/bulk/<event>`. The
# segment cannot be a device's: device ids are IEEE addresses.
SUMMARY_SEGMENTS = ("events", "device", "bulk")

type BridgeHandler = Callable[["ZigbeeBridge", str, bytes], None]


@dataclass(frozen=True, slots=True)
class ParsedDeviceList:
    """A device list parsed off the event loop, with its store form."""

    devices: dict[str, ZigbeeDevice]
    stored: dict[str, Any]
    problems: list[str]
    skipped: int = 0


def parse_device_payload(payload: bytes) -> ParsedDeviceList | Rejection:
    """Decode and parse a `bridge/devices` payload in one go."""
    return run_to_end(device_payload_steps(payload))


def device_payload_steps(payload: bytes) -> Steps[ParsedDeviceList | Rejection]:
    """Decode and parse a `bridge/devices` payload, one step per device.

    A large list is decoded device by device, so that no step holds the interpreter
    lock long, and each raw entry is dropped once its device is parsed.
    """
    # Decoders recurse once per level of nesting: the depth is measured first.
    depth = yield from json_nesting_steps(payload)
    if depth > MAX_JSON_DEPTH:
        return Rejection(f"the device list: {too_deep(depth, MAX_JSON_DEPTH)}")
    try:
        if len(payload) > EXECUTOR_PARSE_BYTES:
            try:
                parsed = yield from device_entry_steps(
                    iter_json_array(payload, max_depth=None)
                )
            except NotAnArrayError:
                parsed = parse_device_list(orjson.loads(payload))
        else:
            parsed = parse_device_list(orjson.loads(payload))
    except DeviceListError as err:
        return Rejection(str(err))
    except ValueError as err:  # invalid JSON or UTF-8
        return Rejection(f"the device list is not valid JSON ({err})")
    if (suspicion := suspicious_device_list(parsed)) is not None:
        return Rejection(suspicion)
    stored = yield from store_steps(parsed.devices)
    return ParsedDeviceList(
        devices=parsed.devices,
        stored=stored,
        problems=parsed.problems,
        skipped=parsed.skipped,
    )


def suspicious_device_list(parsed: DeviceList) -> str | None:
    """Return why a list is not to be believed, or None when it is plausible.

    Zigbee2MQTT always lists its coordinator: a list without one (an empty list
    above all) did not come from it, and believing it would remove every device.
    """
    if not parsed.entries:
        return "the device list is empty (Zigbee2MQTT always lists its coordinator)"
    if not parsed.devices:
        return "no entry of the device list is a device"
    if not parsed.has_coordinator:
        return (
            f"the device list of {len(parsed.devices)} devices has no coordinator"
            " (Zigbee2MQTT always lists it)"
        )
    return None


async def async_run_in_slices[T](hass: HomeAssistant, steps: Steps[T]) -> T:
    """Run `steps` in executor jobs of a few milliseconds each; return the result.

    Between two jobs the worker thread is idle and the event loop runs freely; a
    single long job would make the loop wait for the interpreter lock again and
    again, and a 5,000-device list would hold it up for a tenth of a second.
    """
    slices = Slices(steps)
    while not await hass.async_add_executor_job(slices.run_for, EXECUTOR_SLICE):
        pass
    return slices.result


async def async_parse_device_payload(
    hass: HomeAssistant, payload: bytes
) -> ParsedDeviceList | Rejection:
    """Parse a device list in place when small, in executor slices when large."""
    if len(payload) <= EXECUTOR_PARSE_BYTES:
        return parse_device_payload(payload)
    return await async_run_in_slices(hass, device_payload_steps(payload))


def state_of(payload: bytes) -> str | None:
    """Return `online`/`offline` from a Zigbee2MQTT 2.x JSON or 1.x plain payload."""
    text = decode_text(payload, max_bytes=MAX_DEVICE_MESSAGE_BYTES)
    if isinstance(text, Rejection):
        return None
    state: object = text
    if text.startswith("{"):
        message = parse_json_object(
            text, max_bytes=MAX_DEVICE_MESSAGE_BYTES, now=dt_util.now()
        )
        state = message.get("state") if isinstance(message, dict) else None
    return state if state in (ONLINE, OFFLINE) else None  # type: ignore[return-value]


class ZigbeeBridge:
    """What HA AI knows of Zigbee2MQTT: its devices, its health, its events."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
        base_topic: str,
        anomaly_settings: AnomalySettings,
    ) -> None:
        """Prepare; nothing is read or subscribed before `async_start`.

        The timer, the store's writes and the parsing of large device lists end
        with `entry`.
        """
        self.hass = hass
        self.entry = entry
        self.bus = bus
        self.base_topic = base_topic
        self.devices: dict[str, ZigbeeDevice] = {}
        self.bridge_state: str | None = None
        self.bridge_info: dict[str, Any] = {}
        self.last_devices_received: datetime | None = None
        self.last_message_at: datetime | None = None
        self.unreachable_since: datetime | None = None
        self.problems: list[str] = []
        self.changes: list[dict[str, Any]] = []
        self.anomalies = AnomalyTracker(anomaly_settings)
        self.settings = SettingsTracker()
        self._anomaly_settings = anomaly_settings
        self._stored_devices: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        # Devices announced from `bridge/event` before the device list confirms
        # them, in announcement order (oldest first, so the bound drops those).
        self._announced_joins: dict[str, None] = {}
        self._announced_leaves: dict[str, None] = {}
        self._event_limiter = DeviceEventLimiter()
        # The reason last warned about, by topic: a run of equal rejections gives
        # one warning, the rest are counted and logged at debug level.
        self._warned: dict[str, str] = {}
        self.counters: dict[str, int] = {
            "device_lists_rejected": 0,
            "device_entries_skipped": 0,
            "bridge_info_rejected": 0,
            "bridge_events_rejected": 0,
            "device_events_summarised": 0,
        }
        self._list_sequence = 0
        self._started_at = dt_util.utcnow()
        self._store = PartStore(
            hass,
            entry,
            ZIGBEE_STORE_KEY,
            STORE_VERSION,
            self._store_data,
            STORE_SAVE_DELAY,
        )
        self._changed = ChangeSignal(hass, entry.entry_id, "zigbee")

    # Life cycle

    async def async_start(self) -> None:
        """Restore what was stored, then follow the bridge."""
        await self._async_restore()
        await self.bus.async_subscribe_raw(f"{self.base_topic}/#", self._on_message)
        self.entry.async_on_unload(
            async_track_time_interval(
                self.hass,
                self._async_periodic_check,
                CHECK_INTERVAL,
                name="ha_ai zigbee check",
            )
        )

    async def _async_restore(self) -> None:
        stored = await self._store.async_load(
            partial(restore_zigbee_store, anomaly_settings=self._anomaly_settings),
            in_executor=True,
        )
        if stored is None:
            return
        self.devices = stored.devices
        self._stored_devices = stored.stored_devices
        self._names = {dev.friendly_name: ieee for ieee, dev in self.devices.items()}
        self.bridge_info = stored.bridge_info
        self.last_devices_received = stored.last_devices_received
        self.changes = stored.changes
        self.anomalies = stored.anomalies
        self.settings = stored.settings

    def _store_data(self) -> dict[str, Any]:
        return {
            "devices": self._stored_devices,
            "bridge_info": self.bridge_info,
            "last_devices_received": self.last_devices_received.isoformat()
            if self.last_devices_received
            else None,
            "changes": self.changes,
            "anomalies": self.anomalies.to_dict(),
            "settings": self.settings.to_dict(),
        }

    @callback
    def _async_save_later(self) -> None:
        self._store.async_save_later()

    # Listeners (entities and the insights that judge the devices)

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` when devices, bridge health or info change.

        Return the function that stops it; the part itself holds no listener, so
        nothing is left to forget when the entry unloads.
        """
        return self._changed.async_add_listener(listener)

    @callback
    def _async_notify(self) -> None:
        self._changed.async_send()

    # State for entities and diagnostics

    @property
    def reachable(self) -> bool:
        """Return whether the bridge is online and has not gone silent."""
        if self.bridge_state != ONLINE:
            return False
        heard_at = self.last_message_at or self._started_at
        return dt_util.utcnow() - heard_at < BRIDGE_SILENT_AFTER

    @property
    def zigbee_devices(self) -> list[ZigbeeDevice]:
        """Return the devices, without the coordinator."""
        return [dev for dev in self.devices.values() if not dev.is_coordinator]

    @property
    def capability_count(self) -> int:
        """Return how many capabilities the devices expose in all."""
        return sum(len(dev.capabilities) for dev in self.devices.values())

    def as_diagnostics(self) -> dict[str, Any]:
        """Return a summary of the capability store for the diagnostics download."""
        by_type: dict[str, int] = {}
        for device in self.devices.values():
            for capability in device.capabilities:
                by_type[capability.type] = by_type.get(capability.type, 0) + 1
        return {
            "base_topic": self.base_topic,
            "bridge_state": self.bridge_state,
            "reachable": self.reachable,
            "bridge_info": self.bridge_info,
            "last_devices_received": self.last_devices_received,
            "last_message_at": self.last_message_at,
            "devices": len(self.zigbee_devices),
            "capabilities": self.capability_count,
            "capabilities_by_type": dict(sorted(by_type.items())),
            "devices_by_interview_state": _count(
                dev.interview_state for dev in self.zigbee_devices
            ),
            "disabled_devices": sum(dev.disabled for dev in self.devices.values()),
            "unsupported_devices": sum(
                not dev.supported for dev in self.zigbee_devices
            ),
            "parse_problems": self.problems[:50],
            "inbound_counters": dict(self.counters),
            "recent_changes": self.changes[-20:],
            "active_anomalies": [
                {"device": a.ieee_address, "kind": a.kind, "since": a.since}
                for a in self.anomalies.active
            ],
        }

    # Messages

    @callback
    def _on_message(self, topic: str, payload: bytes) -> None:
        """Route one message under the base topic by what it is."""
        self.last_message_at = dt_util.utcnow()
        subtopic = topic[len(self.base_topic) + 1 :]
        if subtopic.startswith("bridge/"):
            handler = self._bridge_handlers.get(subtopic[len("bridge/") :])
            if handler is not None:
                handler(self, topic, payload)
            return
        if subtopic.endswith("/availability"):
            name = subtopic[: -len("/availability")]
            if (ieee := self._names.get(name)) is not None:
                self._on_availability(topic, ieee, payload)
        elif (ieee := self._names.get(subtopic)) is not None:
            self._on_device_state(topic, ieee, payload)

    def _reject(self, topic: str, counter: str, reason: str, message: str) -> None:
        """Count a rejected message; warn once per run of the same reason.

        `message` is a log format with one `%s` for the reason. Zigbee2MQTT
        retains its device list and info, and a sender can repeat a message
        endlessly: one warning per occurrence, the repeats at debug level.
        """
        self.counters[counter] += 1
        safe_topic = log_safe(topic)
        safe_reason = log_safe(reason, 300)
        self.bus.async_count_rejected(safe_topic, safe_reason)
        if self._warned.get(topic) == reason:
            LOGGER.debug(message, safe_reason)
            return
        self._warned[topic] = reason
        LOGGER.warning(message, safe_reason)

    def _accept(self, topic: str) -> None:
        """End a run of rejections on `topic`: the next one is warned about again."""
        self._warned.pop(topic, None)

    def _on_device_list(self, topic: str, payload: bytes) -> None:
        if len(payload) > MAX_DEVICE_LIST_BYTES:
            self._reject(
                topic,
                "device_lists_rejected",
                f"{len(payload)} bytes (the limit is {MAX_DEVICE_LIST_BYTES})",
                "Ignored a Zigbee2MQTT device list of %s",
            )
            return
        self._list_sequence += 1
        if len(payload) <= EXECUTOR_PARSE_BYTES:
            self._apply_device_list(topic, parse_device_payload(payload))
            return
        sequence = self._list_sequence
        self.entry.async_create_background_task(
            self.hass,
            self._async_parse_large_list(topic, payload, sequence),
            "ha_ai parse zigbee2mqtt device list",
        )

    async def _async_parse_large_list(
        self, topic: str, payload: bytes, sequence: int
    ) -> None:
        result = await async_parse_device_payload(self.hass, payload)
        diff: DeviceListDiff | None = None
        if isinstance(result, ParsedDeviceList) and sequence == self._list_sequence:
            # Comparing two large lists takes longer than a loop turn may: the
            # device dicts are replaced whole, never changed, so it runs aside
            # (a list arriving meanwhile changes the sequence: this one is skipped).
            diff = await self.hass.async_add_executor_job(
                diff_device_lists, self.devices, result.devices
            )
        if sequence != self._list_sequence:
            LOGGER.debug("A newer Zigbee2MQTT device list arrived; this one is skipped")
            return
        self._apply_device_list(topic, result, diff)

    @callback
    def _apply_device_list(
        self,
        topic: str,
        result: ParsedDeviceList | Rejection,
        diff: DeviceListDiff | None = None,
    ) -> None:
        if isinstance(result, Rejection):
            self._reject(
                topic,
                "device_lists_rejected",
                result.reason,
                "Ignored a Zigbee2MQTT device list: %s; the last good one stays",
            )
            return
        self._accept(topic)
        for problem in result.problems[:MAX_LOGGED_PROBLEMS]:
            LOGGER.info("Zigbee2MQTT device list: %s", log_safe(problem, 300))
        if len(result.problems) > MAX_LOGGED_PROBLEMS:
            LOGGER.info(
                "Zigbee2MQTT device list: %s more problems (see the diagnostics)",
                len(result.problems) - MAX_LOGGED_PROBLEMS,
            )
        if result.skipped:
            self.counters["device_entries_skipped"] += result.skipped
            LOGGER.warning(
                "Skipped %s entries of the Zigbee2MQTT device list that are not"
                " devices (see the lines above or the diagnostics)",
                result.skipped,
            )
        first_list = self.last_devices_received is None and not self.devices
        if diff is None:
            diff = diff_device_lists(self.devices, result.devices)
        self.devices = result.devices
        self._stored_devices = result.stored
        self.problems = result.problems
        self._names = {dev.friendly_name: ieee for ieee, dev in self.devices.items()}
        self.last_devices_received = dt_util.utcnow()
        if not first_list:
            self._announce_differences(diff)
        self._async_save_later()
        self._async_notify()

    def _announce_differences(self, diff: DeviceListDiff) -> None:
        """Publish paired/removed events and record changed capabilities.

        Beyond a few events of a kind, the rest go out as one summary.
        """
        for device in diff.added:
            if device.ieee_address in self._announced_joins:
                del self._announced_joins[device.ieee_address]
                continue
            self._publish_device_event(device.ieee_address, "paired", device)
        for device in diff.removed:
            self.anomalies.forget(device.ieee_address)
            self.settings.forget(device.ieee_address)
            if device.ieee_address in self._announced_leaves:
                del self._announced_leaves[device.ieee_address]
                continue
            self._publish_device_event(device.ieee_address, "removed", device)
        self._publish_summaries()
        now = dt_util.utcnow().isoformat()
        for number, (old, new) in enumerate(diff.changed):
            if number >= MAX_LOGGED_CHANGES and (
                len(diff.changed) - number > MAX_RECORDED_CHANGES
            ):
                continue  # neither logged nor among the changes kept
            old_keys = {cap.key for cap in old.capabilities}
            new_keys = {cap.key for cap in new.capabilities}
            change = {
                "at": now,
                "ieee_address": new.ieee_address,
                "friendly_name": new.friendly_name,
                "capabilities_added": sorted(new_keys - old_keys),
                "capabilities_removed": sorted(old_keys - new_keys),
                "software_build_id": [old.software_build_id, new.software_build_id],
            }
            if number < MAX_LOGGED_CHANGES:
                LOGGER.info(
                    "Zigbee device %s changed: %s",
                    log_safe(new.friendly_name),
                    log_safe(change, 1000),
                )
            self.changes = [*self.changes, change][-MAX_RECORDED_CHANGES:]
        if len(diff.changed) > MAX_LOGGED_CHANGES:
            LOGGER.info(
                "%s more Zigbee devices changed (the last %s are in the diagnostics)",
                len(diff.changed) - MAX_LOGGED_CHANGES,
                MAX_RECORDED_CHANGES,
            )

    def _on_bridge_state(self, topic: str, payload: bytes) -> None:
        state = state_of(payload)
        if state is None:
            self.bus.async_count_rejected(log_safe(topic), "not a bridge state")
            return
        if state != self.bridge_state:
            LOGGER.info("Zigbee2MQTT bridge is %s", state)
            self.bridge_state = state
            self._update_reachability()
            self._async_notify()

    def _on_bridge_info(self, topic: str, payload: bytes) -> None:
        info = parse_json_object(
            payload, max_bytes=MAX_BRIDGE_INFO_BYTES, now=dt_util.now()
        )
        message = "Ignored a Zigbee2MQTT bridge info: %s; the known one stays"
        if isinstance(info, Rejection):
            self._reject(topic, "bridge_info_rejected", info.reason, message)
            return
        version = _short_text(info.get("version"))
        if not version:
            # Zigbee2MQTT always says its version: `{}` is not news from it.
            reason = "it has no version"
            self._reject(topic, "bridge_info_rejected", reason, message)
            return
        self._accept(topic)
        coordinator = info.get("coordinator")
        config = info.get("config")
        advanced = config.get("advanced") if isinstance(config, dict) else None
        fresh = {
            "version": version,
            "commit": _short_text(info.get("commit")),
            "coordinator_type": _short_text(coordinator.get("type"))
            if isinstance(coordinator, dict)
            else None,
            "last_seen": _short_text(advanced.get("last_seen"))
            if isinstance(advanced, dict)
            else None,
        }
        # A field missing from this message keeps what an earlier one said.
        self.bridge_info = {
            **self.bridge_info,
            **{key: value for key, value in fresh.items() if value is not None},
            "permit_join": info.get("permit_join") is True,
        }
        self._async_save_later()
        self._async_notify()

    def _on_bridge_event(self, topic: str, payload: bytes) -> None:
        event = parse_json_object(
            payload, max_bytes=MAX_DEVICE_MESSAGE_BYTES, now=dt_util.now()
        )
        if isinstance(event, Rejection):
            self._count_bad_event(topic, event.reason)
            return
        kind = event.get("type")
        if kind not in ("device_joined", "device_leave"):
            return  # interviews, announcements, ...: nothing HA AI follows
        data = event.get("data")
        if not isinstance(data, dict):
            self._count_bad_event(topic, f"a {kind} event without data")
            return
        ieee = ieee_address(raw := data.get("ieee_address"))
        if ieee is None:
            shown = repr(raw)[:60] if isinstance(raw, str) else "no text"
            reason = f"a {kind} event with ieee_address {shown}, not an IEEE address"
            self._count_bad_event(topic, reason)
            return
        name = _short_text(data.get("friendly_name")) or ieee
        if kind == "device_joined" and ieee not in self.devices:
            if ieee not in self._announced_joins:
                _remember(self._announced_joins, ieee)
                self._publish_device_event(ieee, "paired", None, name)
        elif (
            kind == "device_leave"
            and ieee in self.devices
            and ieee not in self._announced_leaves
        ):
            _remember(self._announced_leaves, ieee)
            self._publish_device_event(ieee, "removed", self.devices[ieee])

    def _count_bad_event(self, topic: str, reason: str) -> None:
        """Count and log an event that cannot be followed (at debug level).

        Zigbee2MQTT sends events of its own kinds all the time; a malformed one
        is worth a count, not a warning each.
        """
        self.counters["bridge_events_rejected"] += 1
        self.bus.async_count_rejected(log_safe(topic), log_safe(reason, 300))

    _bridge_handlers: ClassVar[
        dict[str, Callable[[ZigbeeBridge, str, bytes], None]]
    ] = {
        "devices": _on_device_list,
        "state": _on_bridge_state,
        "info": _on_bridge_info,
        "event": _on_bridge_event,
    }

    def _on_availability(self, topic: str, ieee: str, payload: bytes) -> None:
        state = state_of(payload)
        if state is None:
            self.bus.async_count_rejected(log_safe(topic), "not an availability state")
            return
        self.anomalies.observe_availability(ieee, state == ONLINE, dt_util.utcnow())
        self._store.async_note_changed()

    def _on_device_state(self, topic: str, ieee: str, payload: bytes) -> None:
        state = parse_json_object(
            payload, max_bytes=MAX_DEVICE_MESSAGE_BYTES, now=dt_util.now()
        )
        if isinstance(state, Rejection):
            self.bus.async_count_rejected(log_safe(topic), state.reason)
            return
        self.anomalies.observe_state(ieee, state, dt_util.utcnow())
        self.settings.observe(self.devices[ieee], state)
        self._store.async_note_changed()

    # Events

    def _publish_device_event(
        self,
        ieee: str,
        event: str,
        device: ZigbeeDevice | None,
        name: str | None = None,
        **details: object,
    ) -> None:
        if ieee_address(ieee) != ieee:
            # Devices restored from an older store were never checked.
            LOGGER.debug(
                "No %s event for %s: not an IEEE address", event, log_safe(ieee)
            )
            return
        if not self._event_limiter.admit(event, ieee):
            self.counters["device_events_summarised"] += 1
            return
        fields: dict[str, Any] = {
            "device_id": ieee,
            "friendly_name": device.friendly_name if device else name or ieee,
        }
        if device is not None:
            fields.update(
                model=device.model,
                vendor=device.vendor,
                description=device.description,
                device_type=device.device_type,
                capabilities=len(device.capabilities),
            )
        fields.update(details)
        self.bus.async_publish_event(["events", "device", ieee, event], fields)

    def _publish_summaries(self) -> None:
        """Publish one summary per kind of the device events not published singly."""
        for summary in self._event_limiter.take_summaries():
            self._publish_summary(summary)

    def _publish_summary(self, summary: BurstSummary) -> None:
        LOGGER.info(
            "%s more Zigbee device %s events are published as one summary on %s",
            summary.count,
            summary.event,
            self.bus.topic(*SUMMARY_SEGMENTS, summary.event),
        )
        self.bus.async_publish_event(
            [*SUMMARY_SEGMENTS, summary.event],
            {
                "event": summary.event,
                "count": summary.count,
                "device_ids": list(summary.device_ids),
            },
        )

    @callback
    def _async_periodic_check(self, now: datetime) -> None:
        """Report new anomalies and follow the bridge's reachability."""
        for anomaly in self.anomalies.check(dt_util.utcnow()):
            self._publish_anomaly(anomaly)
            self._async_save_later()
        self._publish_summaries()
        self._event_limiter.new_window()
        if self._update_reachability():
            self._async_notify()

    def _publish_anomaly(self, anomaly: Anomaly) -> None:
        device = self.devices.get(anomaly.ieee_address)
        LOGGER.info(
            "Zigbee device %s: %s",
            log_safe(device.friendly_name if device else anomaly.ieee_address),
            anomaly.kind,
        )
        self._publish_device_event(
            anomaly.ieee_address,
            "anomaly_detected",
            device,
            anomaly=anomaly.kind,
            since=anomaly.since.isoformat(),
            details=anomaly.details,
        )

    def _update_reachability(self) -> bool:
        """Track how long the bridge has been unreachable; return if that changed."""
        was_unreachable = self.unreachable_since is not None
        if self.reachable:
            self.unreachable_since = None
            ir.async_delete_issue(self.hass, DOMAIN, REPAIR_ISSUE_ID)
            return was_unreachable
        now = dt_util.utcnow()
        if self.unreachable_since is None:
            self.unreachable_since = now
        # Only a bridge HA AI has known can be missed: no nagging without Zigbee2MQTT.
        if self.devices and now - self.unreachable_since >= UNREACHABLE_REPAIR_AFTER:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                REPAIR_ISSUE_ID,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=REPAIR_ISSUE_ID,
                translation_placeholders={
                    "base_topic": self.base_topic,
                    "state": self.bridge_state or "unknown",
                },
            )
        return not was_unreachable


def _remember(announced: dict[str, None], ieee: str) -> None:
    """Add `ieee` to an ordered set bounded by the device limit, oldest out first.

    Events for devices that never show up in a device list must not pile up.
    """
    announced[ieee] = None
    if len(announced) > MAX_DEVICES:
        del announced[next(iter(announced))]


def _short_text(value: object) -> str | None:
    return value[:200] if isinstance(value, str) else None


def _count(values: Iterable[object]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[str(value)] = counts.get(str(value), 0) + 1
    return dict(sorted(counts.items()))
