"""Device anomalies from Zigbee2MQTT availability and state messages.

Three kinds, each reported once per occurrence by `AnomalyTracker.check`:

- `unavailable`: the device's availability topic said offline, and it has stayed
  offline for longer than `unavailable_after`. The occurrence starts when it went
  offline (repeated offline messages do not move that moment) and ends when the
  device is online again.
- `battery_low`: the device reported a battery below `battery_below` percent, or
  `battery_low: true`. It ends only when the battery is back at `battery_below +
  BATTERY_HYSTERESIS` or more (and `battery_low` is not true), so a battery that
  wobbles around the threshold is reported once, not on every wobble.
- `last_seen_stale`: the newest `last_seen` the device has reported is older than
  `last_seen_stale_after` at check time. `last_seen` is when the bridge last heard
  from the device, so this covers both ways a device goes quiet: messages keep
  arriving but carry the same old `last_seen` (the bridge republishing its cached
  state after a restart, or answering for a device that no longer answers), and
  messages stop altogether (then the newest `last_seen` simply ages). A `last_seen`
  that is not newer than the one already known does not count as the device being
  heard; a `last_seen` in the future (a clock ahead of ours) counts as heard at the
  moment of the message. Devices that never reported `last_seen` (the option is off
  in Zigbee2MQTT) are never stale. The occurrence ends when a message brings a
  `last_seen` that is fresh again.

All times are passed in and must be timezone-aware. Values the bridge sends that
make no sense (a battery as text, a `last_seen` that does not parse, a naive ISO
time) are ignored: the last good value stays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

UNAVAILABLE = "unavailable"
BATTERY_LOW = "battery_low"
LAST_SEEN_STALE = "last_seen_stale"
KINDS = (UNAVAILABLE, BATTERY_LOW, LAST_SEEN_STALE)

BATTERY_HYSTERESIS = 5.0  # percentage points above the threshold to end an occurrence
STORE_VERSION = 1
MAX_DEVICES = 20_000
MAX_TIME_TEXT = 64


@dataclass(frozen=True, slots=True)
class AnomalySettings:
    """When a device counts as unavailable, low on battery, or silent."""

    unavailable_after: timedelta = timedelta(hours=1)
    battery_below: float = 15.0  # percent
    last_seen_stale_after: timedelta = timedelta(hours=25)


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One occurrence of something wrong with a device."""

    ieee_address: str
    kind: str  # "unavailable" | "battery_low" | "last_seen_stale"
    since: datetime
    details: dict[str, Any]


@dataclass(slots=True)
class _Device:
    """What the tracker knows about one device."""

    offline_since: datetime | None = None
    battery: float | None = None
    battery_low_flag: bool | None = None
    battery_low_since: datetime | None = None
    last_seen: datetime | None = None
    reported: dict[str, Anomaly] = field(default_factory=dict)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the time must be timezone-aware")


def _battery(value: object) -> float | None:
    """Return a battery percentage, or None when the value is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 <= value <= 100:  # noqa: PLR2004
        return None
    return value


def _aware_from_text(value: object) -> datetime | None:
    """Return an ISO 8601 time with a timezone, or None."""
    if not isinstance(value, str) or len(value) > MAX_TIME_TEXT:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed


def parse_last_seen(value: object) -> datetime | None:
    """Return Zigbee2MQTT's `last_seen` as a time, or None when it is not one.

    The bridge's `last_seen` option gives ISO 8601 text (`ISO_8601`: UTC with `Z`,
    `ISO_8601_local`: with the local offset) or milliseconds since the epoch
    (`epoch`). Text without a timezone is ambiguous and ignored.
    """
    if isinstance(value, str):
        return _aware_from_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


class AnomalyTracker:
    """Follows devices' availability and state; reports anomalies once each."""

    def __init__(self, settings: AnomalySettings) -> None:
        """Track with the given thresholds."""
        self._settings = settings
        self._devices: dict[str, _Device] = {}

    # Observations

    def observe_availability(self, ieee: str, online: bool, now: datetime) -> None:  # noqa: FBT001
        """Note the device's availability (already turned into a boolean)."""
        _require_aware(now)
        device = self._devices.setdefault(ieee, _Device())
        if online:
            device.offline_since = None
            device.reported.pop(UNAVAILABLE, None)
        elif device.offline_since is None:
            device.offline_since = now

    def observe_state(self, ieee: str, state: Mapping[str, Any], now: datetime) -> None:
        """Note the battery and `last_seen` of one state message of the device."""
        _require_aware(now)
        device = self._devices.setdefault(ieee, _Device())
        self._observe_battery(device, state, now)
        self._observe_last_seen(device, state, now)

    def _observe_battery(
        self, device: _Device, state: Mapping[str, Any], now: datetime
    ) -> None:
        battery = _battery(state.get("battery"))
        if battery is not None:
            device.battery = battery
        flag = state.get("battery_low")
        if isinstance(flag, bool):
            device.battery_low_flag = flag
        threshold = self._settings.battery_below
        if device.battery_low_flag is True or (
            device.battery is not None and device.battery < threshold
        ):
            if device.battery_low_since is None:
                device.battery_low_since = now
            return
        if device.battery is not None and (
            device.battery < threshold + BATTERY_HYSTERESIS
        ):
            return  # between the threshold and the hysteresis: nothing changes
        device.battery_low_since = None
        device.reported.pop(BATTERY_LOW, None)

    def _observe_last_seen(
        self, device: _Device, state: Mapping[str, Any], now: datetime
    ) -> None:
        last_seen = parse_last_seen(state.get("last_seen"))
        if last_seen is None:
            return
        heard = min(last_seen, now)
        if device.last_seen is None or heard > device.last_seen:
            device.last_seen = heard
        if not self._is_stale(device.last_seen, now):
            device.reported.pop(LAST_SEEN_STALE, None)

    def forget(self, ieee: str) -> None:
        """Drop everything about a device that left the network."""
        self._devices.pop(ieee, None)

    # Results

    def check(self, now: datetime) -> list[Anomaly]:
        """Return the anomalies that became active since the last check."""
        _require_aware(now)
        new: list[Anomaly] = []
        for ieee in sorted(self._devices):
            device = self._devices[ieee]
            for anomaly in self._current(ieee, device, now):
                if anomaly.kind not in device.reported:
                    device.reported[anomaly.kind] = anomaly
                    new.append(anomaly)
        return new

    @property
    def active(self) -> list[Anomaly]:
        """Return the anomalies reported and not over yet, by device and kind."""
        return [
            device.reported[kind]
            for ieee, device in sorted(self._devices.items())
            for kind in KINDS
            if kind in device.reported
        ]

    def _is_stale(self, last_seen: datetime, now: datetime) -> bool:
        return now - last_seen > self._settings.last_seen_stale_after

    def _current(self, ieee: str, device: _Device, now: datetime) -> list[Anomaly]:
        """Return the anomalies whose condition holds now, in kind order."""
        current: list[Anomaly] = []
        if device.offline_since is not None:
            offline_for = now - device.offline_since
            if offline_for > self._settings.unavailable_after:
                current.append(
                    Anomaly(
                        ieee,
                        UNAVAILABLE,
                        device.offline_since,
                        {"unavailable_for_seconds": int(offline_for.total_seconds())},
                    )
                )
        if device.battery_low_since is not None:
            details: dict[str, Any] = {}
            if device.battery is not None:
                details["battery"] = device.battery
            if device.battery_low_flag is True:
                details["battery_low"] = True
            current.append(
                Anomaly(ieee, BATTERY_LOW, device.battery_low_since, details)
            )
        if device.last_seen is not None and self._is_stale(device.last_seen, now):
            current.append(
                Anomaly(
                    ieee,
                    LAST_SEEN_STALE,
                    device.last_seen,
                    {
                        "last_seen": device.last_seen.isoformat(),
                        "stale_for_seconds": int(
                            (now - device.last_seen).total_seconds()
                        ),
                    },
                )
            )
        return current

    # Persistence

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data, so a restart neither repeats nor forgets."""
        return {
            "version": STORE_VERSION,
            "devices": {
                ieee: {
                    "offline_since": _iso(device.offline_since),
                    "battery": device.battery,
                    "battery_low": device.battery_low_flag,
                    "battery_low_since": _iso(device.battery_low_since),
                    "last_seen": _iso(device.last_seen),
                    "reported": {
                        kind: {
                            "since": anomaly.since.isoformat(),
                            "details": dict(anomaly.details),
                        }
                        for kind, anomaly in device.reported.items()
                    },
                }
                for ieee, device in self._devices.items()
            },
        }

    @classmethod
    def from_dict(cls, data: object, settings: AnomalySettings) -> AnomalyTracker:
        """Return the tracker stored by `to_dict`; a fresh one for anything else.

        Devices and fields that do not make sense are left out one by one, and a
        reported anomaly whose starting point is gone is forgotten with it.
        """
        tracker = cls(settings)
        if not isinstance(data, Mapping) or data.get("version") != STORE_VERSION:
            return tracker
        devices = data.get("devices")
        if not isinstance(devices, Mapping):
            return tracker
        for ieee, stored in islice(devices.items(), MAX_DEVICES):
            if isinstance(ieee, str) and ieee and isinstance(stored, Mapping):
                tracker._devices[ieee] = _device_from_dict(ieee, stored)
        return tracker


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _json_simple(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int)


def _device_from_dict(ieee: str, stored: Mapping[str, Any]) -> _Device:
    flag = stored.get("battery_low")
    device = _Device(
        offline_since=_aware_from_text(stored.get("offline_since")),
        battery=_battery(stored.get("battery")),
        battery_low_flag=flag if isinstance(flag, bool) else None,
        battery_low_since=_aware_from_text(stored.get("battery_low_since")),
        last_seen=_aware_from_text(stored.get("last_seen")),
    )
    starts = {
        UNAVAILABLE: device.offline_since,
        BATTERY_LOW: device.battery_low_since,
        LAST_SEEN_STALE: device.last_seen,
    }
    reported = stored.get("reported")
    if not isinstance(reported, Mapping):
        return device
    for kind in KINDS:
        item = reported.get(kind)
        if starts[kind] is None or not isinstance(item, Mapping):
            continue
        since = _aware_from_text(item.get("since"))
        details = item.get("details")
        if since is None or not isinstance(details, Mapping):
            continue
        device.reported[kind] = Anomaly(
            ieee,
            kind,
            since,
            {
                key: value
                for key, value in details.items()
                if isinstance(key, str) and _json_simple(value)
            },
        )
    return device
