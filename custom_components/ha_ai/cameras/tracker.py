"""Follows an AI camera classifier over MQTT: its cameras, their events and status.

Three subscriptions carry everything (DESIGN.md §3): `<prefix>/camera/+/event`,
`<prefix>/camera/+/status` and `<prefix>/status`, the classifier's availability.
Each message is checked by the engine (`engine.cameras`); a message it refuses
leaves a debug line and a count on the bus, never an exception. What is learned is
kept in a `Store`, so cameras, counts and last events are known right after a
restart, before the classifier sends anything.

Changes travel on Home Assistant's dispatcher, under names that carry the entry
id: each camera has its signal (`camera_signal`), which its entities follow, and
the platforms follow the signal of cameras seen for the first time
(`new_camera_signal`), so a camera's device appears the moment it is first heard
of. Two kinds of timers keep states true without any message: one at each local
midnight, when today's (and on the first day of a week, this week's) counts start
again, and one per camera at the end of its quiet time, when its recent activity
goes off.

A flood costs bounded work per message (a redelivered event id is dropped at once)
and at most one disk write per `STORE_SAVE_DELAY`. New cameras appear at most
`DEFAULT_BURST` at once and `DEFAULT_PER_MINUTE` a minute after that
(`engine.cameras.admission`): an unknown camera beyond that waits, its message is
not recorded, and it is added with a later message once its turn has come. One
summary line per `WAITING_LOG_INTERVAL` says how many waited.

Every id, name or status from MQTT reaches a log line through `log_safe`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_call_later,
    async_track_point_in_utc_time,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.signal_type import SignalType

from ..bus.mqtt_bus import MqttBus
from ..const import (
    DOMAIN,
    LOGGER,
)
from ..engine.cameras.admission import (
    DEFAULT_BURST,
    DEFAULT_PER_MINUTE,
    NewCameraLimit,
    WaitingTally,
)
from ..engine.cameras.counters import (
    DEFAULT_MAX_CAMERAS,
    Camera,
    Cameras,
    Seen,
    next_midnight,
    restore_cameras_store,
)
from ..engine.cameras.model import (
    CameraEvent,
    parse_camera_event,
    parse_camera_status,
)
from ..engine.inbound import Rejection, parse_json_object
from ..engine.log_text import log_safe
from ..signals import entry_signal
from ..stored_part import PartStore

STORE_VERSION = 1
CAMERA_STORE_KEY = f"{DOMAIN}.cameras"
# A flood of events is written once per this many seconds, not once per event.
STORE_SAVE_DELAY = 10
# A camera event is a few hundred bytes; anything this large is not one.
MAX_CAMERA_MESSAGE_BYTES = 64 * 1024
CAMERA_IDENTIFIER_PREFIX = "camera_"
# Cameras that had to wait are summed up in one log line per this many seconds.
WAITING_LOG_INTERVAL = 60
ONLINE = "online"
OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """What the tracker needs from the entry's settings."""

    topic_prefix: str
    quiet: timedelta  # recent activity stays on this long after an event
    forget_after_days: int  # a camera silent this long may be removed
    stale_after: timedelta  # the message TTL: older events do not switch activity on
    # More cameras than this are refused (counted as rejected messages): a bound
    # on memory and on entities, whatever publishes on the camera topics.
    max_cameras: int = DEFAULT_MAX_CAMERAS


def camera_signal(entry_id: str, slug: str) -> SignalType[CameraEvent | None]:
    """Return the signal sent on each change of camera `slug` of entry `entry_id`.

    It carries the event when one just happened, else None.
    """
    return SignalType(entry_signal(entry_id, f"camera_{slug}"))


def new_camera_signal(entry_id: str) -> SignalType[str, CameraEvent | None]:
    """Return the signal sent for each camera entry `entry_id` sees the first time.

    It carries the camera's slug and the event that revealed it, if any.
    """
    return SignalType(entry_signal(entry_id, "new_camera"))


def camera_identifier(slug: str) -> tuple[str, str]:
    """Return the device registry identifier of the camera with this slug."""
    return (DOMAIN, f"{CAMERA_IDENTIFIER_PREFIX}{slug}")


def camera_device(hass: HomeAssistant, slug: str) -> dr.DeviceEntry | None:
    """Return the device of the camera `slug`, looked up among HA AI's own devices.

    Since Home Assistant 2026.8 an identifier is unique only within its config
    entry, so a registry-wide lookup by identifier is deprecated there; a lookup
    per config entry means the same on every version.
    """
    registry = dr.async_get(hass)
    identifier = camera_identifier(slug)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if identifier in device.identifiers:
                return device
    return None


def camera_slug_of(device: dr.DeviceEntry) -> str | None:
    """Return the slug of the camera a device stands for, or None for others."""
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(CAMERA_IDENTIFIER_PREFIX):
            return identifier.removeprefix(CAMERA_IDENTIFIER_PREFIX)
    return None


class CameraTracker:
    """What HA AI knows of the classifier's cameras, kept current and persisted."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
        settings: CameraSettings,
    ) -> None:
        """Prepare; nothing is read or subscribed before `async_start`.

        The store is written when `entry` unloads or Home Assistant stops.
        """
        self.hass = hass
        self.entry = entry
        self.bus = bus
        self.settings = settings
        self.cameras = Cameras(max_cameras=settings.max_cameras)
        self.classifier_online = True
        self._store = PartStore(
            hass,
            entry,
            CAMERA_STORE_KEY,
            STORE_VERSION,
            lambda: self.cameras.to_dict(),
            STORE_SAVE_DELAY,
        )
        self._quiet_timers: dict[str, CALLBACK_TYPE] = {}
        self._midnight_timer: CALLBACK_TYPE | None = None
        self._camera_topic = f"{settings.topic_prefix}/camera/"
        self.new_camera_limit = NewCameraLimit(
            now=dt_util.utcnow(), per_minute=DEFAULT_PER_MINUTE, burst=DEFAULT_BURST
        )
        self.waiting = WaitingTally()
        self.kept_apart = 0  # new cameras whose preferred key another id held
        self._waiting_log_timer: CALLBACK_TYPE | None = None

    # Life cycle

    async def async_start(self) -> None:
        """Restore what was stored, arm the timers, then follow the classifier."""
        cameras = await self._store.async_load(
            partial(restore_cameras_store, max_cameras=self.settings.max_cameras),
            in_executor=True,
        )
        if cameras is not None:
            self.cameras = cameras
        now = dt_util.utcnow()
        for camera in self.cameras:
            self._async_arm_quiet_timer(camera, now)
        prefix = self.settings.topic_prefix
        await self.bus.async_subscribe_json(
            f"{prefix}/camera/+/event",
            self._on_event,
            max_bytes=MAX_CAMERA_MESSAGE_BYTES,
        )
        await self.bus.async_subscribe_text(
            f"{prefix}/camera/+/status",
            self._on_status,
            max_bytes=MAX_CAMERA_MESSAGE_BYTES,
        )
        await self.bus.async_subscribe_text(
            f"{prefix}/status", self._on_availability, max_bytes=1024
        )
        self._async_arm_midnight_timer()

    async def async_stop(self) -> None:
        """Stop the timers; the store writes itself, the bus unsubscribes."""
        if self._midnight_timer is not None:
            self._midnight_timer()
            self._midnight_timer = None
        while self._quiet_timers:
            self._quiet_timers.popitem()[1]()
        if self._waiting_log_timer is not None:
            self._waiting_log_timer()
            self._waiting_log_timer = None
        self._async_log_waiting()

    @callback
    def _async_save_later(self) -> None:
        """Save within `STORE_SAVE_DELAY`; a flood does not push the write back."""
        self._store.async_save_later()

    # Signals

    @callback
    def _async_notify(self, slug: str, event: CameraEvent | None = None) -> None:
        async_dispatcher_send(
            self.hass, camera_signal(self.entry.entry_id, slug), event
        )

    @callback
    def _async_notify_all(self) -> None:
        for camera in self.cameras:
            self._async_notify(camera.camera_slug)

    @callback
    def _async_seen(self, seen: Seen, event: CameraEvent | None) -> None:
        """Announce a new camera, or rename the device of a renamed one."""
        camera = seen.camera
        slug = camera.camera_slug
        if seen.new:
            if seen.kept_apart_from is not None:
                self.kept_apart += 1
                LOGGER.warning(
                    "AI camera id %s slugs like the known camera %s; "
                    "they are kept apart, the new one as %s",
                    log_safe(repr(camera.camera_id)),
                    log_safe(repr(seen.kept_apart_from)),
                    slug,
                )
            LOGGER.info(
                "New AI camera %s (id %s, key %s)",
                log_safe(repr(camera.camera_name)),
                log_safe(repr(camera.camera_id)),
                slug,
            )
            async_dispatcher_send(
                self.hass, new_camera_signal(self.entry.entry_id), slug, event
            )
        elif seen.renamed:
            if (device := camera_device(self.hass, slug)) is not None:
                dr.async_get(self.hass).async_update_device(
                    device.id, name=seen.camera.camera_name
                )

    # Reading

    def __iter__(self) -> Iterator[Camera]:
        """Yield the known cameras, in the order they were first heard of."""
        return iter(self.cameras)

    def get(self, slug: str) -> Camera | None:
        """Return the camera with this slug, or None once it is forgotten."""
        return self.cameras.get(slug)

    # Removal

    @callback
    def async_remove_device(self, device: dr.DeviceEntry) -> bool:
        """Forget the camera of `device` when it has been silent long enough.

        Only camera devices can go, and only after `forget_after_days` without a
        message, so a camera in use is never lost by mistake. A camera that speaks
        again later comes back as a new one.
        """
        slug = camera_slug_of(device)
        if slug is None:
            return False
        if slug not in self.cameras:
            return True
        days = self.settings.forget_after_days
        if slug not in self.cameras.stale(dt_util.utcnow(), days):
            LOGGER.info(
                "AI camera %s sent something in the last %s days; it is kept",
                slug,
                days,
            )
            return False
        # Its quiet time ended long ago: no timer of its own is left.
        self.cameras.forget(slug)
        self._async_save_later()
        LOGGER.info("AI camera %s is forgotten", slug)
        return True

    # Messages

    def _topic_camera_id(self, topic: str, kind: str) -> str | None:
        """Return the `<camera_id>` of `<prefix>/camera/<camera_id>/<kind>`."""
        suffix = f"/{kind}"
        if topic.startswith(self._camera_topic) and topic.endswith(suffix):
            return topic[len(self._camera_topic) : -len(suffix)]
        return None  # pragma: no cover - the subscription only delivers these

    def _rejected(self, topic: str, rejection: Rejection) -> None:
        self.bus.async_count_rejected(
            log_safe(topic), log_safe(rejection.reason, 1_000)
        )

    @staticmethod
    def _log_notes(topic: str, notes: tuple[str, ...]) -> None:
        if notes:
            LOGGER.debug(
                "Camera message on %s: %s",
                log_safe(topic),
                log_safe("; ".join(notes), 1_000),
            )

    @callback
    def _async_must_wait(self, camera_id: str, now: datetime) -> bool:
        """Tell whether a message of `camera_id` must wait: a new camera too soon.

        A known camera, or a new one when the total cap is reached (the cameras
        refuse it themselves), never waits and takes no turn.
        """
        cameras = self.cameras
        if cameras.knows(camera_id) or cameras.full:
            return False
        if self.new_camera_limit.admit(now):
            return False
        self.waiting.add(camera_id)
        if self._waiting_log_timer is None:
            self._waiting_log_timer = async_call_later(
                self.hass, WAITING_LOG_INTERVAL, self._async_waiting_interval_ended
            )
        return True

    @callback
    def _async_waiting_interval_ended(self, _now: datetime) -> None:
        self._waiting_log_timer = None
        self._async_log_waiting()

    @callback
    def _async_log_waiting(self) -> None:
        """Write the one line that sums up the cameras that waited."""
        summary = self.waiting.summary()
        if summary is None:
            return
        LOGGER.warning(
            "%s new AI camera(s) had to wait (%s message(s) not recorded), "
            "for example %s: at most %s new cameras are added at once and %s a "
            "minute after that; a camera that waited is added with a later "
            "message. Check who publishes on %s",
            summary.cameras,
            summary.messages,
            ", ".join(log_safe(repr(camera_id), 80) for camera_id in summary.sample),
            self.new_camera_limit.burst,
            log_safe(self.new_camera_limit.per_minute),
            log_safe(f"{self._camera_topic}+/#"),
        )

    @callback
    def _on_event(self, topic: str, payload: dict[str, Any]) -> None:
        now = dt_util.utcnow()
        event = parse_camera_event(
            payload, now=now, topic_camera_id=self._topic_camera_id(topic, "event")
        )
        if isinstance(event, Rejection):
            self._rejected(topic, event)
            return
        self._log_notes(topic, event.notes)
        if self._async_must_wait(event.camera_id, now):
            return
        recorded = self.cameras.record_event(
            event,
            now=now,
            tz=dt_util.get_default_time_zone(),
            stale_after=self.settings.stale_after,
        )
        if isinstance(recorded, Rejection):
            self._rejected(topic, recorded)
            return
        seen, result = recorded
        self._async_save_later()
        if result.duplicate:
            LOGGER.debug(
                "Camera event %s was delivered again; ignored",
                log_safe(event.event_id),
            )
            return
        if result.activates:
            self._async_arm_quiet_timer(seen.camera, now)
        happened = event if now - event.timestamp <= self.settings.stale_after else None
        self._async_seen(seen, happened)
        # A new camera's entities take its first event when they are created.
        self._async_notify(seen.camera.camera_slug, None if seen.new else happened)

    @callback
    def _on_status(self, topic: str, text: str) -> None:
        now = dt_util.utcnow()
        payload: Mapping[str, Any] | str = text
        if text.startswith("{"):
            decoded = parse_json_object(
                text, max_bytes=MAX_CAMERA_MESSAGE_BYTES, now=now
            )
            if isinstance(decoded, Rejection):
                self._rejected(topic, decoded)
                return
            payload = decoded
        status = parse_camera_status(
            payload, now=now, topic_camera_id=self._topic_camera_id(topic, "status")
        )
        if isinstance(status, Rejection):
            self._rejected(topic, status)
            return
        self._log_notes(topic, status.notes)
        if self._async_must_wait(status.camera_id, now):
            return
        seen = self.cameras.record_status(status, now=now)
        if isinstance(seen, Rejection):
            self._rejected(topic, seen)
            return
        self._async_save_later()
        self._async_seen(seen, None)
        self._async_notify(seen.camera.camera_slug)

    @callback
    def _on_availability(self, topic: str, text: str) -> None:
        state: object = text.lower()
        if text.startswith("{"):
            decoded = parse_json_object(text, max_bytes=1024, now=dt_util.now())
            state = (
                decoded.get("status", decoded.get("state"))
                if isinstance(decoded, dict)
                else None
            )
        if state not in (ONLINE, OFFLINE):
            self._rejected(
                topic,
                Rejection(
                    f"availability {log_safe(repr(text[:40]))} is not online/offline"
                ),
            )
            return
        online = state == ONLINE
        if online == self.classifier_online:
            return
        self.classifier_online = online
        LOGGER.info("The AI camera classifier is %s", state)
        self._async_notify_all()

    # Timers

    @callback
    def _async_arm_quiet_timer(self, camera: Camera, now: datetime) -> None:
        """Wake up when the camera's recent activity ends, to show it off."""
        slug = camera.camera_slug
        if (timer := self._quiet_timers.pop(slug, None)) is not None:
            timer()
        until = camera.activity.active_until(self.settings.quiet)
        if until is None or until <= now:
            return

        @callback
        def quiet(_now: datetime) -> None:
            self._quiet_timers.pop(slug, None)
            self._async_notify(slug)

        self._quiet_timers[slug] = async_track_point_in_utc_time(
            self.hass, quiet, until
        )

    @callback
    def _async_arm_midnight_timer(self) -> None:
        """Wake up at the next local midnight, when the day's counts start again."""
        self._midnight_timer = async_track_point_in_utc_time(
            self.hass,
            self._async_midnight,
            next_midnight(dt_util.utcnow(), dt_util.get_default_time_zone()),
        )

    @callback
    def _async_midnight(self, _now: datetime) -> None:
        self._async_arm_midnight_timer()
        self._async_notify_all()
