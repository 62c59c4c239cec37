"""Per camera: events today and this week, de-duplication, last event, activity.

Days and weeks are local to the time zone passed in (Home Assistant's), so they
follow daylight-saving changes: a day is a calendar date, whatever its length. The
week starts on `week_start` (0 = Monday … 6 = Sunday, as `date.weekday()`).

- Counting: an event counts in the day and week it happened, read in local time
  (an event stamped after the time of receipt counts as received now). An event
  from yesterday that arrives after midnight counts in this week, not today; one
  from an earlier week counts nowhere. Rollovers are applied lazily whenever counts
  are read or an event is recorded, so after a restart on the next day the stored
  counts read 0 today.
- De-duplication: a redelivered `event_id` changes nothing. Each camera remembers
  its last `max_ids` ids; the oldest are forgotten first.
- Last event: the newest by event time; an older event arriving late counts but does
  not replace it (equal times do).
- Recent activity: on from the moment of the newest fresh event (its time, or the
  time of receipt when stamped later) for `quiet`. An event older than `stale_after`
  when received (the message TTL: it waited out an outage) counts without switching
  activity on.

All times must be timezone-aware. `to_dict` gives JSON-ready data and `from_dict`
takes anything, keeping what makes sense.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice
from typing import Any

from ..inbound import Rejection
from ..log_text import log_safe
from ..stored import (
    Drops,
    Restored,
    UnreadableStoreError,
    mapping_or_unreadable,
    section,
)
from .keys import CameraKeys, KeyTakenError, candidate_keys, legacy_key
from .model import (
    MAX_NAME_LENGTH,
    CameraEvent,
    CameraStatus,
    bounded_id,
    clean_text,
)

STORE_VERSION = 1
MONDAY = 0
DEFAULT_MAX_IDS = 1_000
DEFAULT_MAX_CAMERAS = 1_000
MAX_COUNT = 1_000_000_000
_MAX_STORED_TEXT = 64


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What recording one event did."""

    counted: bool  # added to this week's count (and today's if it happened today)
    duplicate: bool  # its event_id was already seen: nothing changed
    latest: bool  # it is now the camera's last event
    activates: bool  # recent activity is on from its time


_DUPLICATE = RecordResult(counted=False, duplicate=True, latest=False, activates=False)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the time must be timezone-aware")


def local_day(moment: datetime, tz: tzinfo) -> date:
    """Return the calendar date of `moment` in the time zone `tz`."""
    return moment.astimezone(tz).date()


def first_day_of_week(day: date, week_start: int = MONDAY) -> date:
    """Return the date the week of `day` starts on."""
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def next_midnight(now: datetime, tz: tzinfo) -> datetime:
    """Return the next local midnight after `now`, when today's count resets.

    Where a daylight-saving change skips midnight, this is the first moment of the
    new day. The result is in UTC.
    """
    _require_aware(now)
    tomorrow = local_day(now, tz) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=tz).astimezone(UTC)


class CameraActivity:
    """One camera's counts, recent event ids, last event and recent activity."""

    def __init__(
        self, *, week_start: int = MONDAY, max_ids: int = DEFAULT_MAX_IDS
    ) -> None:
        """Count weeks from `week_start` and remember `max_ids` event ids."""
        if week_start not in range(7):
            raise ValueError("week_start must be 0 (Monday) to 6 (Sunday)")
        if max_ids < 1:
            raise ValueError("max_ids must be at least 1")
        self._week_start = week_start
        self._max_ids = max_ids
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._day: date | None = None
        self._today = 0
        self._week_of: date | None = None
        self._week = 0
        self._last_event: CameraEvent | None = None
        self._active_from: datetime | None = None

    @property
    def last_event(self) -> CameraEvent | None:
        """Return the newest event by event time, or None before any."""
        return self._last_event

    @property
    def active_from(self) -> datetime | None:
        """Return when the newest fresh event switched recent activity on."""
        return self._active_from

    def seen(self, event_id: str) -> bool:
        """Tell whether `event_id` is among the remembered ids."""
        return event_id in self._ids

    def _roll(self, now: datetime, tz: tzinfo) -> tuple[date, date]:
        day = local_day(now, tz)
        week_of = first_day_of_week(day, self._week_start)
        if self._day != day:
            self._day, self._today = day, 0
        if self._week_of != week_of:
            self._week_of, self._week = week_of, 0
        return day, week_of

    def _remember(self, event_id: str) -> None:
        self._ids[event_id] = None
        while len(self._ids) > self._max_ids:
            self._ids.popitem(last=False)

    def record(
        self,
        event: CameraEvent,
        *,
        now: datetime,
        tz: tzinfo,
        stale_after: timedelta,
    ) -> RecordResult:
        """Count `event` received at `now`, unless its id was seen already."""
        _require_aware(now)
        if event.event_id in self._ids:
            return _DUPLICATE
        self._remember(event.event_id)
        day, week_of = self._roll(now, tz)
        moment = min(event.timestamp, now)
        event_day = local_day(moment, tz)
        counted = first_day_of_week(event_day, self._week_start) == week_of
        if counted:
            self._week = min(self._week + 1, MAX_COUNT)
            if event_day == day:
                self._today = min(self._today + 1, MAX_COUNT)
        latest = (
            self._last_event is None or event.timestamp >= self._last_event.timestamp
        )
        if latest:
            self._last_event = event
        activates = now - event.timestamp <= stale_after and (
            self._active_from is None or moment >= self._active_from
        )
        if activates:
            self._active_from = moment
        return RecordResult(
            counted=counted, duplicate=False, latest=latest, activates=activates
        )

    def counts(self, now: datetime, tz: tzinfo) -> tuple[int, int]:
        """Return the events of today and of this week, local to `tz`, at `now`."""
        _require_aware(now)
        self._roll(now, tz)
        return self._today, self._week

    def active_until(self, quiet: timedelta) -> datetime | None:
        """Return when recent activity goes off, or None when it never went on."""
        if self._active_from is None:
            return None
        return self._active_from + quiet

    def active(self, now: datetime, quiet: timedelta) -> bool:
        """Tell whether there was a fresh event less than `quiet` before `now`."""
        _require_aware(now)
        until = self.active_until(quiet)
        return until is not None and now < until

    # Persistence

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data, so a restart neither forgets nor double-counts."""
        return {
            "version": STORE_VERSION,
            "day": _iso(self._day),
            "today": self._today,
            "week_of": _iso(self._week_of),
            "week": self._week,
            "event_ids": list(self._ids),
            "last_event": (
                self._last_event.to_dict() if self._last_event is not None else None
            ),
            "active_from": _iso(self._active_from),
        }

    @classmethod
    def from_dict(
        cls,
        data: object,
        *,
        week_start: int = MONDAY,
        max_ids: int = DEFAULT_MAX_IDS,
    ) -> CameraActivity:
        """Return the activity stored by `to_dict`; a fresh one for anything else."""
        activity = cls(week_start=week_start, max_ids=max_ids)
        if not isinstance(data, Mapping) or data.get("version") != STORE_VERSION:
            return activity
        activity._day = _date(data.get("day"))
        if activity._day is not None:
            activity._today = _count(data.get("today"))
        activity._week_of = _date(data.get("week_of"))
        if activity._week_of is not None:
            activity._week = _count(data.get("week"))
        ids = data.get("event_ids")
        if isinstance(ids, list):
            for event_id in ids[-max_ids:]:
                if isinstance(event_id, str) and bounded_id(event_id) == event_id:
                    activity._remember(event_id)
        activity._last_event = CameraEvent.from_dict(data.get("last_event"))
        activity._active_from = _aware(data.get("active_from"))
        return activity


@dataclass(slots=True)
class Camera:
    """A camera the classifier has sent something for."""

    camera_id: str
    camera_slug: str
    camera_name: str
    last_seen: datetime  # when its last message was received
    activity: CameraActivity
    status: CameraStatus | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """Which camera a message was for, and whether it is new or renamed.

    `kept_apart_from` is set on a new camera whose preferred key was held by
    another id: the id holding it, so the split can be logged.
    """

    camera: Camera
    new: bool
    renamed: bool
    kept_apart_from: str | None = None


class Cameras:
    """Every camera heard of, by `camera_slug` (its key), remembered across restarts.

    A camera takes the name of its latest message. A message without a name (the
    parser puts the camera id in its place) keeps the name already known. Each
    distinct id is a camera of its own, with a key no other id holds
    (`keys.CameraKeys`): ids that slug alike (`Front Door`, `front_door`) are two
    cameras, the second under a hashed key, and the new camera says so.
    """

    def __init__(
        self,
        *,
        week_start: int = MONDAY,
        max_ids: int = DEFAULT_MAX_IDS,
        max_cameras: int = DEFAULT_MAX_CAMERAS,
    ) -> None:
        """Keep at most `max_cameras` cameras; see `CameraActivity` for the rest."""
        CameraActivity(week_start=week_start, max_ids=max_ids)  # checks the values
        self._week_start = week_start
        self._max_ids = max_ids
        self._max_cameras = max_cameras
        self._cameras: dict[str, Camera] = {}
        self._keys = CameraKeys()

    def __len__(self) -> int:
        """Return how many cameras are known."""
        return len(self._cameras)

    def __iter__(self) -> Iterator[Camera]:
        """Yield the cameras in the order they were first heard of."""
        return iter(list(self._cameras.values()))

    def __contains__(self, slug: object) -> bool:
        """Tell whether a camera with this slug is known."""
        return slug in self._cameras

    def get(self, slug: str) -> Camera | None:
        """Return the camera with this slug, or None."""
        return self._cameras.get(slug)

    def knows(self, camera_id: str) -> bool:
        """Tell whether the camera with this exact id is known."""
        return self._keys.key_of(camera_id) is not None

    @property
    def full(self) -> bool:
        """Tell whether no new camera can be added."""
        return len(self._cameras) >= self._max_cameras

    def _see(self, camera_id: str, name: str, now: datetime) -> Seen | Rejection:
        _require_aware(now)
        slug = self._keys.key_of(camera_id)
        camera = self._cameras.get(slug) if slug is not None else None
        if camera is None:
            if self.full:
                return Rejection(
                    f"already {self._max_cameras} cameras; "
                    f"camera {log_safe(camera_id, 80)!r} is ignored"
                )
            try:
                slug, kept_apart_from = self._keys.propose(camera_id)
            except KeyTakenError:  # pragma: no cover - needs a 128-bit collision
                return Rejection(
                    f"every key of camera {log_safe(camera_id, 80)!r} is taken"
                )
            self._keys.hold(camera_id, slug)
            camera = Camera(
                camera_id=camera_id,
                camera_slug=slug,
                camera_name=name,
                last_seen=now,
                activity=CameraActivity(
                    week_start=self._week_start, max_ids=self._max_ids
                ),
            )
            self._cameras[slug] = camera
            return Seen(
                camera, new=True, renamed=False, kept_apart_from=kept_apart_from
            )
        camera.last_seen = now
        if name == clean_text(camera_id, MAX_NAME_LENGTH):
            return Seen(camera, new=False, renamed=False)  # no name: the id stood in
        renamed = camera.camera_name != name
        camera.camera_name = name
        return Seen(camera, new=False, renamed=renamed)

    def record_event(
        self,
        event: CameraEvent,
        *,
        now: datetime,
        tz: tzinfo,
        stale_after: timedelta,
    ) -> tuple[Seen, RecordResult] | Rejection:
        """Record an event for its camera, which appears if it is new."""
        seen = self._see(event.camera_id, event.camera_name, now)
        if isinstance(seen, Rejection):
            return seen
        result = seen.camera.activity.record(
            event, now=now, tz=tz, stale_after=stale_after
        )
        return seen, result

    def record_status(self, status: CameraStatus, *, now: datetime) -> Seen | Rejection:
        """Record a status for its camera, which appears if it is new."""
        seen = self._see(status.camera_id, status.camera_name, now)
        if isinstance(seen, Rejection):
            return seen
        seen.camera.status = status
        return seen

    def forget(self, slug: str) -> bool:
        """Drop a camera the user removed; tell whether it was known."""
        self._keys.release(slug)
        return self._cameras.pop(slug, None) is not None

    def stale(self, now: datetime, days: float) -> list[str]:
        """Return the slugs of cameras silent for more than `days` days, sorted."""
        _require_aware(now)
        limit = timedelta(days=days)
        return sorted(
            slug
            for slug, camera in self._cameras.items()
            if now - camera.last_seen > limit
        )

    # Persistence

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data for every camera."""
        return {
            "version": STORE_VERSION,
            "cameras": {
                slug: {
                    "camera_id": camera.camera_id,
                    "camera_name": camera.camera_name,
                    "last_seen": camera.last_seen.isoformat(),
                    "status": (
                        camera.status.to_dict() if camera.status is not None else None
                    ),
                    "activity": camera.activity.to_dict(),
                }
                for slug, camera in self._cameras.items()
            },
        }

    @classmethod
    def from_dict(
        cls,
        data: object,
        *,
        week_start: int = MONDAY,
        max_ids: int = DEFAULT_MAX_IDS,
        max_cameras: int = DEFAULT_MAX_CAMERAS,
    ) -> Cameras:
        """Return the cameras stored by `to_dict`; none for anything else.

        A camera is kept when its id and last-seen time make sense, and a second
        camera with the same id is dropped. It keeps its stored key when that key
        is one its id may hold (`keys.candidate_keys`, or the key every id had
        before keys could collide), so the devices and entities of existing
        cameras keep their ids; any other key is given again. A status or last
        event that belongs to another camera is dropped.
        """
        cameras = cls(week_start=week_start, max_ids=max_ids, max_cameras=max_cameras)
        if not isinstance(data, Mapping) or data.get("version") != STORE_VERSION:
            return cameras
        stored_cameras = data.get("cameras")
        if not isinstance(stored_cameras, Mapping):
            return cameras
        loaded: dict[str, Camera] = {}  # by id, in the stored order
        misfits: list[Camera] = []
        for stored_key, stored in islice(stored_cameras.items(), max_cameras):
            camera = cameras._camera_from_dict(stored)
            if camera is None or camera.camera_id in loaded:
                continue
            loaded[camera.camera_id] = camera
            camera_id = camera.camera_id
            fits = stored_key in {legacy_key(camera_id), *candidate_keys(camera_id)}
            if fits and cameras._keys.hold(camera_id, str(stored_key)):
                camera.camera_slug = str(stored_key)
            else:
                misfits.append(camera)
        # Cameras whose stored key does not fit take a key once the fitting ones
        # hold theirs, so they cannot push an existing camera off its key.
        for camera in misfits:
            camera.camera_slug, _ = cameras._keys.propose(camera.camera_id)
            cameras._keys.hold(camera.camera_id, camera.camera_slug)
        cameras._cameras = {camera.camera_slug: camera for camera in loaded.values()}
        return cameras

    def _camera_from_dict(self, stored: object) -> Camera | None:
        if not isinstance(stored, Mapping):
            return None
        camera_id = bounded_id(stored.get("camera_id"))
        last_seen = _aware(stored.get("last_seen"))
        if camera_id is None or last_seen is None:
            return None
        name = stored.get("camera_name")
        name = clean_text(name, MAX_NAME_LENGTH) if isinstance(name, str) else ""
        activity = CameraActivity.from_dict(
            stored.get("activity"), week_start=self._week_start, max_ids=self._max_ids
        )
        last_event = activity.last_event
        if last_event is not None and not _same_camera(last_event.camera_id, camera_id):
            activity._last_event = None  # noqa: SLF001
        status = CameraStatus.from_dict(stored.get("status"))
        if status is not None and not _same_camera(status.camera_id, camera_id):
            status = None
        return Camera(
            camera_id=camera_id,
            camera_slug="",  # given by `from_dict`
            camera_name=name or clean_text(camera_id, MAX_NAME_LENGTH),
            last_seen=last_seen,
            activity=activity,
            status=status,
        )


def _same_camera(message_id: str, camera_id: str) -> bool:
    """Tell whether a stored message belongs to the camera with `camera_id`.

    Before each id had a key of its own, ids that slug alike were one camera, so a
    stored message with such an id belongs to it too.
    """
    return message_id == camera_id or legacy_key(message_id) == legacy_key(camera_id)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) > _MAX_STORED_TEXT:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _aware(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > _MAX_STORED_TEXT:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if not math.isfinite(value) or value < 0:
        return 0
    return min(int(value), MAX_COUNT)


def restore_cameras_store(
    data: object,
    *,
    week_start: int = MONDAY,
    max_ids: int = DEFAULT_MAX_IDS,
    max_cameras: int = DEFAULT_MAX_CAMERAS,
) -> Restored[Cameras]:
    """Return the stored cameras (see `Cameras.from_dict`), counting those left out.

    Raises `UnreadableStoreError` when the store is not an object of this
    version with an object of cameras: the Home Assistant side sets it aside.
    """
    stored = mapping_or_unreadable(data, "the camera store")
    if stored.get("version") != STORE_VERSION:
        raise UnreadableStoreError(
            f"the camera store is not of version {STORE_VERSION}"
        )
    entries = list(section(stored, "cameras", dict, "the camera store").values())
    cameras = Cameras.from_dict(
        stored, week_start=week_start, max_ids=max_ids, max_cameras=max_cameras
    )
    drops = Drops()
    usable = 0
    for number, entry in enumerate(entries):
        if number >= max_cameras:
            drops.drop("camera", f"beyond the limit of {max_cameras} cameras")
        elif not isinstance(entry, Mapping):
            drops.drop("camera", "is not an object")
        elif bounded_id(entry.get("camera_id")) is None:
            drops.drop("camera", "camera_id is not a usable id")
        elif _aware(entry.get("last_seen")) is None:
            drops.drop("camera", "last_seen is not a time with its time zone")
        else:
            usable += 1
            activity = entry.get("activity")
            if not isinstance(activity, Mapping) or (
                activity.get("version") != STORE_VERSION
            ):
                drops.reset_field("camera", "activity")
    if usable > len(cameras):
        drops.drop("camera", "same camera as another stored one", usable - len(cameras))
    return Restored(cameras, drops)
