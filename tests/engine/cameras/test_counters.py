"""Camera counts, de-duplication, last event, recent activity and persistence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from custom_components.ha_ai.engine.cameras.counters import (
    MAX_COUNT,
    CameraActivity,
    Cameras,
    RecordResult,
    first_day_of_week,
    local_day,
    next_midnight,
    restore_cameras_store,
)
from custom_components.ha_ai.engine.cameras.keys import hashed_key
from custom_components.ha_ai.engine.cameras.model import (
    CameraEvent,
    CameraState,
    CameraStatus,
    parse_camera_event,
    parse_camera_status,
)
from custom_components.ha_ai.engine.inbound import Rejection
from custom_components.ha_ai.engine.stored import UnreadableStoreError

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TTL = timedelta(seconds=30)
QUIET = timedelta(minutes=5)
_serial = iter(range(10**9))


def make_event(
    when: datetime,
    *,
    event_id: str | None = None,
    camera_id: str = "front_door",
    camera_name: str = "Front Door",
    now: datetime | None = None,
) -> CameraEvent:
    body: dict[str, Any] = {
        "event_id": event_id or f"e{next(_serial)}",
        "camera_id": camera_id,
        "camera_name": camera_name,
        "description": "person",
        "timestamp": when.isoformat(),
    }
    parsed = parse_camera_event(body, now=now or when, topic_camera_id=None)
    assert isinstance(parsed, CameraEvent)
    return parsed


def record(
    activity: CameraActivity,
    when: datetime,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = PARIS,
    event_id: str | None = None,
) -> RecordResult:
    return activity.record(
        make_event(when, event_id=event_id, now=now),
        now=now or when,
        tz=tz,
        stale_after=TTL,
    )


# Calendar helpers


def test_local_days_and_weeks() -> None:
    moment = datetime(2025, 3, 29, 23, 30, tzinfo=UTC)  # Sunday 00:30 in Paris
    assert local_day(moment, PARIS) == date(2025, 3, 30)
    assert local_day(moment, NEW_YORK) == date(2025, 3, 29)
    sunday = date(2025, 3, 30)
    assert first_day_of_week(sunday) == date(2025, 3, 24)
    assert first_day_of_week(sunday, 6) == sunday
    assert first_day_of_week(date(2025, 3, 24)) == date(2025, 3, 24)


def test_next_midnight_follows_daylight_saving() -> None:
    # Paris springs forward on Sunday 30 March 2025: that day has 23 hours.
    saturday_noon = datetime(2025, 3, 29, 12, tzinfo=PARIS)
    assert next_midnight(saturday_noon, PARIS) == datetime(2025, 3, 29, 23, tzinfo=UTC)
    sunday_noon = datetime(2025, 3, 30, 12, tzinfo=PARIS)
    assert next_midnight(sunday_noon, PARIS) == datetime(2025, 3, 30, 22, tzinfo=UTC)
    # New York falls back on Sunday 2 November 2025: that day has 25 hours.
    sunday = datetime(2025, 11, 2, 0, 30, tzinfo=NEW_YORK)
    assert next_midnight(sunday, NEW_YORK) == datetime(2025, 11, 3, 5, tzinfo=UTC)
    assert next_midnight(sunday, NEW_YORK) - sunday.astimezone(UTC) == timedelta(
        hours=24, minutes=30
    )
    # Santiago skips midnight itself: the day starts at 01:00.
    santiago = ZoneInfo("America/Santiago")
    before = datetime(2024, 9, 7, 12, tzinfo=santiago)
    start = next_midnight(before, santiago)
    assert start == datetime(2024, 9, 8, 4, tzinfo=UTC)
    assert start.astimezone(santiago).hour == 1
    assert local_day(start, santiago) == date(2024, 9, 8)


# Counting and rollovers


def test_counts_reset_at_local_midnight_on_a_23_hour_day_in_paris() -> None:
    activity = CameraActivity()
    sunday_start = datetime(2025, 3, 30, 0, 0, 1, tzinfo=PARIS)
    saturday_late = datetime(2025, 3, 29, 23, 59, 59, tzinfo=PARIS)
    assert record(activity, saturday_late).counted
    assert activity.counts(saturday_late, PARIS) == (1, 1)
    assert activity.counts(sunday_start, PARIS) == (0, 1)
    record(activity, sunday_start)
    after_jump = datetime(2025, 3, 30, 3, 0, 0, tzinfo=PARIS)  # 02:00 never was
    record(activity, after_jump)
    sunday_end = datetime(2025, 3, 30, 23, 59, 59, tzinfo=PARIS)
    record(activity, sunday_end)
    assert activity.counts(sunday_end, PARIS) == (3, 4)
    # 23 hours after Sunday started, it is Monday: a new day and a new week.
    monday = datetime(2025, 3, 30, 22, 0, 0, tzinfo=UTC)
    assert (monday - sunday_start.astimezone(UTC)) < timedelta(hours=23)
    assert activity.counts(monday, PARIS) == (0, 0)


def test_counts_on_a_25_hour_day_in_new_york() -> None:
    activity = CameraActivity()
    first = datetime(2025, 11, 2, 1, 30, tzinfo=NEW_YORK)  # EDT
    second = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=NEW_YORK)  # EST, an hour on
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    for moment in (first, second, datetime(2025, 11, 2, 23, 59, tzinfo=NEW_YORK)):
        record(activity, moment, tz=NEW_YORK)
    late = datetime(2025, 11, 2, 23, 59, 59, tzinfo=NEW_YORK)
    assert activity.counts(late, NEW_YORK) == (3, 3)
    # 24.5 hours after Sunday began it is still Sunday 2 November in New York.
    day_start = datetime(2025, 11, 2, tzinfo=NEW_YORK).astimezone(UTC)
    still_sunday = day_start + timedelta(hours=24, minutes=30)
    assert local_day(still_sunday, NEW_YORK) == date(2025, 11, 2)
    assert activity.counts(still_sunday, NEW_YORK) == (3, 3)
    monday = datetime(2025, 11, 3, 0, 0, tzinfo=NEW_YORK)
    assert activity.counts(monday, NEW_YORK) == (0, 0)


def test_the_week_starts_on_the_chosen_day() -> None:
    activity = CameraActivity(week_start=6)  # Sunday
    saturday = datetime(2025, 11, 1, 20, tzinfo=NEW_YORK)
    record(activity, saturday, tz=NEW_YORK)
    sunday = datetime(2025, 11, 2, 9, tzinfo=NEW_YORK)
    record(activity, sunday, tz=NEW_YORK)
    assert activity.counts(sunday, NEW_YORK) == (1, 1)
    monday = datetime(2025, 11, 3, 9, tzinfo=NEW_YORK)
    record(activity, monday, tz=NEW_YORK)
    assert activity.counts(monday, NEW_YORK) == (1, 2)


def test_an_event_from_before_midnight_counts_in_the_week_only() -> None:
    activity = CameraActivity()
    tuesday_late = datetime(2025, 3, 25, 23, 59, 59, tzinfo=PARIS)
    wednesday = datetime(2025, 3, 26, 0, 0, 2, tzinfo=PARIS)
    result = record(activity, tuesday_late, now=wednesday)
    assert result.counted
    assert activity.counts(wednesday, PARIS) == (0, 1)


def test_an_event_from_last_week_counts_nowhere() -> None:
    activity = CameraActivity()
    sunday = datetime(2025, 3, 23, 23, 0, tzinfo=PARIS)
    monday = datetime(2025, 3, 24, 8, 0, tzinfo=PARIS)
    result = record(activity, sunday, now=monday)
    assert result == RecordResult(
        counted=False, duplicate=False, latest=True, activates=False
    )
    assert activity.counts(monday, PARIS) == (0, 0)
    assert activity.last_event is not None


def test_an_event_stamped_ahead_of_the_clock_counts_today() -> None:
    activity = CameraActivity()
    now = datetime(2025, 3, 25, 23, 50, tzinfo=PARIS)
    tomorrow = now + timedelta(hours=2)
    result = record(activity, tomorrow, now=now)
    assert result.counted
    assert result.activates
    assert activity.active_from == now
    assert activity.counts(now, PARIS) == (1, 1)


def test_counts_are_bounded() -> None:
    activity = CameraActivity.from_dict(
        {
            "version": 1,
            "day": "2025-03-25",
            "today": MAX_COUNT,
            "week_of": "2025-03-24",
            "week": MAX_COUNT,
        }
    )
    record(activity, datetime(2025, 3, 25, 9, tzinfo=PARIS))
    assert activity.counts(datetime(2025, 3, 25, 10, tzinfo=PARIS), PARIS) == (
        MAX_COUNT,
        MAX_COUNT,
    )


# De-duplication


def test_a_redelivered_event_changes_nothing() -> None:
    activity = CameraActivity()
    when = datetime(2025, 3, 25, 9, tzinfo=PARIS)
    first = record(activity, when, event_id="same")
    again = record(activity, when + timedelta(seconds=1), event_id="same")
    assert first == RecordResult(
        counted=True, duplicate=False, latest=True, activates=True
    )
    assert again == RecordResult(
        counted=False, duplicate=True, latest=False, activates=False
    )
    assert activity.counts(when, PARIS) == (1, 1)
    assert activity.seen("same")


def test_a_redelivery_without_event_id_is_recognised() -> None:
    activity = CameraActivity()
    body = {"camera_id": "cam", "timestamp": "2025-03-25T09:00:00+01:00"}
    now = datetime(2025, 3, 25, 9, 0, 5, tzinfo=PARIS)
    for _ in range(3):
        parsed = parse_camera_event(body, now=now, topic_camera_id=None)
        assert isinstance(parsed, CameraEvent)
        activity.record(parsed, now=now, tz=PARIS, stale_after=TTL)
    assert activity.counts(now, PARIS) == (1, 1)


def test_the_oldest_ids_are_forgotten_first() -> None:
    activity = CameraActivity(max_ids=3)
    when = datetime(2025, 3, 25, 9, tzinfo=PARIS)
    for event_id in ("a", "b", "c", "d"):
        record(activity, when, event_id=event_id)
    assert not activity.seen("a")
    assert all(activity.seen(event_id) for event_id in ("b", "c", "d"))
    assert record(activity, when, event_id="a").counted
    assert not activity.seen("b")


# Last event and recent activity


def test_an_older_event_counts_but_is_not_the_last_event() -> None:
    activity = CameraActivity()
    newer = datetime(2025, 3, 25, 9, 0, 20, tzinfo=PARIS)
    older = datetime(2025, 3, 25, 9, 0, 10, tzinfo=PARIS)
    record(activity, newer, event_id="new")
    result = record(activity, older, now=newer + timedelta(seconds=5), event_id="old")
    assert result == RecordResult(
        counted=True, duplicate=False, latest=False, activates=False
    )
    assert activity.last_event is not None
    assert activity.last_event.event_id == "new"
    assert activity.active_from == newer
    assert activity.counts(newer, PARIS) == (2, 2)
    same_time = record(activity, newer, event_id="tie")
    assert same_time.latest
    assert same_time.activates
    assert activity.last_event.event_id == "tie"


def test_recent_activity_goes_off_after_the_quiet_time() -> None:
    activity = CameraActivity()
    assert activity.active_until(QUIET) is None
    when = datetime(2025, 3, 25, 9, tzinfo=PARIS)
    assert not activity.active(when, QUIET)
    received = when + timedelta(seconds=3)
    assert record(activity, when, now=received).activates
    assert activity.active_until(QUIET) == when + QUIET
    assert activity.active(received, QUIET)
    assert activity.active(when + QUIET - timedelta(microseconds=1), QUIET)
    assert not activity.active(when + QUIET, QUIET)


def test_a_stale_event_counts_without_switching_activity_on() -> None:
    activity = CameraActivity()
    happened = datetime(2025, 3, 25, 9, tzinfo=PARIS)
    received = happened + TTL + timedelta(seconds=1)
    result = record(activity, happened, now=received)
    assert result == RecordResult(
        counted=True, duplicate=False, latest=True, activates=False
    )
    assert not activity.active(received, QUIET)
    assert activity.active_until(QUIET) is None
    on_time = record(activity, happened, now=happened + TTL)
    assert on_time.activates


def test_a_naive_time_is_a_programming_error() -> None:
    activity = CameraActivity()
    naive = datetime(2025, 1, 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        activity.counts(naive, PARIS)
    with pytest.raises(ValueError, match="timezone-aware"):
        activity.active(naive, QUIET)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_midnight(naive, PARIS)
    with pytest.raises(ValueError, match="timezone-aware"):
        Cameras().stale(naive, 3)


@pytest.mark.parametrize(("week_start", "max_ids"), [(7, 10), (-1, 10), (0, 0)])
def test_bad_settings_are_refused(week_start: int, max_ids: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        CameraActivity(week_start=week_start, max_ids=max_ids)
    with pytest.raises(ValueError, match="must be"):
        Cameras(week_start=week_start, max_ids=max_ids)


# Persistence


def round_trip(data: dict[str, Any]) -> Any:
    return orjson.loads(orjson.dumps(data))


def test_a_restart_the_next_day_shows_zero_today() -> None:
    activity = CameraActivity()
    tuesday = datetime(2025, 3, 25, 9, tzinfo=PARIS)
    record(activity, tuesday, event_id="a")
    record(activity, tuesday + timedelta(minutes=1), event_id="b")
    restored = CameraActivity.from_dict(round_trip(activity.to_dict()))
    assert restored.to_dict() == activity.to_dict()
    assert restored.last_event == activity.last_event
    assert restored.active_from == activity.active_from
    assert restored.active(tuesday + timedelta(minutes=2), QUIET)
    assert restored.counts(tuesday, PARIS) == (2, 2)
    wednesday = datetime(2025, 3, 26, 9, tzinfo=PARIS)
    again = CameraActivity.from_dict(round_trip(activity.to_dict()))
    assert again.counts(wednesday, PARIS) == (0, 2)
    assert record(again, tuesday, now=wednesday, event_id="a").duplicate


def test_a_changed_week_start_resets_the_stored_week() -> None:
    activity = CameraActivity()
    tuesday = datetime(2025, 3, 25, 9, tzinfo=PARIS)
    record(activity, tuesday)
    restored = CameraActivity.from_dict(activity.to_dict(), week_start=6)
    assert restored.counts(tuesday, PARIS) == (1, 0)


def test_stored_ids_beyond_the_bound_are_dropped() -> None:
    stored = {"version": 1, "event_ids": [f"id{i}" for i in range(10)]}
    restored = CameraActivity.from_dict(stored, max_ids=4)
    assert [restored.seen(f"id{i}") for i in range(10)] == [False] * 6 + [True] * 4


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "garbage",
        [],
        {},
        {"version": 2, "today": 5},
        {
            "version": 1,
            "day": "not a date",
            "today": 5,
            "week_of": 12,
            "week": 9,
            "event_ids": "abc",
            "last_event": {"event_id": "x"},
            "active_from": "2025-03-25T09:00:00",
        },
        {
            "version": 1,
            "day": "2025-03-25",
            "today": -1,
            "week_of": "x" * 100,
            "week": True,
            "event_ids": [1, None, "", "x" * 200, "\x00"],
            "last_event": [],
            "active_from": "x" * 100,
        },
        {
            "version": 1,
            "day": "2025-03-25",
            "today": float("nan"),
            "week_of": "2025-03-24",
            "week": "7",
            "active_from": "garbage",
        },
    ],
)
def test_garbage_activity_gives_a_fresh_one(stored: Any) -> None:
    restored = CameraActivity.from_dict(stored)
    assert restored.counts(datetime(2025, 3, 25, 9, tzinfo=PARIS), PARIS) == (0, 0)
    assert restored.to_dict()["event_ids"] == []
    assert restored.last_event is None
    assert restored.active_from is None


def test_fractional_stored_counts_are_whole() -> None:
    restored = CameraActivity.from_dict(
        {"version": 1, "day": "2025-03-25", "today": 2.7, "week_of": "2025-03-24"}
    )
    assert restored.counts(datetime(2025, 3, 25, 9, tzinfo=PARIS), PARIS) == (2, 0)


# Cameras


NOW = datetime(2025, 3, 25, 9, tzinfo=PARIS)


def status_for(camera_id: str, state: str, name: str | None = None) -> CameraStatus:
    body: dict[str, Any] = {"status": state, "last_updated": NOW.isoformat()}
    if name is not None:
        body["camera_name"] = name
    parsed = parse_camera_status(body, now=NOW, topic_camera_id=camera_id)
    assert isinstance(parsed, CameraStatus)
    return parsed


def test_cameras_appear_on_their_first_event_or_status() -> None:
    cameras = Cameras()
    outcome = cameras.record_event(make_event(NOW), now=NOW, tz=PARIS, stale_after=TTL)
    assert not isinstance(outcome, Rejection)
    seen, result = outcome
    assert seen.new
    assert not seen.renamed
    assert result.counted
    assert seen.camera.camera_slug == "front_door"
    assert seen.camera.last_seen == NOW
    assert "front_door" in cameras
    # A status for a camera never seen before makes it appear too.
    status_seen = cameras.record_status(status_for("Back Yard", "offline"), now=NOW)
    assert not isinstance(status_seen, Rejection)
    assert status_seen.new
    camera = cameras.get("back_yard")
    assert camera is not None
    assert camera.status is not None
    assert camera.status.status is CameraState.OFFLINE
    assert camera.activity.counts(NOW, PARIS) == (0, 0)
    assert [camera.camera_slug for camera in cameras] == ["front_door", "back_yard"]
    assert len(cameras) == 2
    assert cameras.get("nothing") is None


def test_a_camera_is_renamed_by_its_messages() -> None:
    cameras = Cameras()
    cameras.record_status(status_for("cam", "online", "Old"), now=NOW)
    later = NOW + timedelta(minutes=1)
    outcome = cameras.record_status(status_for("cam", "online", "New"), now=later)
    assert not isinstance(outcome, Rejection)
    assert not outcome.new
    assert outcome.renamed
    assert outcome.camera.camera_name == "New"
    assert outcome.camera.last_seen == later
    again = cameras.record_status(status_for("cam", "offline", "New"), now=later)
    assert not isinstance(again, Rejection)
    assert not again.renamed
    # A message without a name (the id stands in for it) keeps the known name.
    nameless = cameras.record_status(status_for("cam", "offline"), now=later)
    assert not isinstance(nameless, Rejection)
    assert not nameless.renamed
    assert nameless.camera.camera_name == "New"


def test_a_duplicate_still_counts_as_the_camera_being_heard() -> None:
    cameras = Cameras()
    event = make_event(NOW)
    cameras.record_event(event, now=NOW, tz=PARIS, stale_after=TTL)
    later = NOW + timedelta(minutes=1)
    outcome = cameras.record_event(event, now=later, tz=PARIS, stale_after=TTL)
    assert not isinstance(outcome, Rejection)
    assert outcome[1].duplicate
    assert outcome[0].camera.last_seen == later


def test_the_number_of_cameras_is_bounded() -> None:
    cameras = Cameras(max_cameras=2)
    for camera_id in ("a", "b"):
        cameras.record_status(status_for(camera_id, "online"), now=NOW)
    refused = cameras.record_event(
        make_event(NOW, camera_id="c"), now=NOW, tz=PARIS, stale_after=TTL
    )
    assert isinstance(refused, Rejection)
    assert "camera 'c' is ignored" in refused.reason
    assert isinstance(
        cameras.record_status(status_for("c", "online"), now=NOW), Rejection
    )
    assert not isinstance(
        cameras.record_event(
            make_event(NOW, camera_id="a"), now=NOW, tz=PARIS, stale_after=TTL
        ),
        Rejection,
    )
    assert len(cameras) == 2


def test_silent_cameras_are_stale_and_can_be_forgotten() -> None:
    cameras = Cameras()
    cameras.record_status(status_for("old", "online"), now=NOW - timedelta(days=8))
    cameras.record_status(status_for("older", "online"), now=NOW - timedelta(days=30))
    cameras.record_status(status_for("fresh", "online"), now=NOW - timedelta(days=6))
    assert cameras.stale(NOW, 7) == ["old", "older"]
    assert cameras.stale(NOW, 29.5) == ["older"]
    assert cameras.forget("old")
    assert not cameras.forget("old")
    assert cameras.stale(NOW, 7) == ["older"]
    assert "fresh" in cameras


def test_cameras_round_trip_through_json() -> None:
    cameras = Cameras()
    cameras.record_event(make_event(NOW), now=NOW, tz=PARIS, stale_after=TTL)
    cameras.record_status(status_for("front_door", "online"), now=NOW)
    cameras.record_status(status_for("Back Yard", "offline"), now=NOW)
    data = round_trip(cameras.to_dict())
    restored = Cameras.from_dict(data)
    assert restored.to_dict() == cameras.to_dict()
    front = restored.get("front_door")
    assert front is not None
    assert front.camera_name == "Front Door"
    assert front.status == status_for("front_door", "online")
    assert front.activity.counts(NOW, PARIS) == (1, 1)
    assert front.activity.active(NOW, QUIET)


def test_garbage_cameras_are_left_out_one_by_one() -> None:
    cameras = Cameras()
    cameras.record_event(make_event(NOW), now=NOW, tz=PARIS, stale_after=TTL)
    good = cameras.to_dict()["cameras"]["front_door"]
    other_event = make_event(NOW, camera_id="elsewhere").to_dict()
    stored = {
        "version": 1,
        "cameras": {
            "front_door": good,
            "copy": good,  # the same id again: the first one is kept
            "no_id": {**good, "camera_id": None},
            "no_time": {**good, "last_seen": "yesterday"},
            "not_a_dict": 5,
            "renamed_key": {
                **good,
                "camera_id": "Garden\x00",
                "camera_name": 3,
                "status": status_for("elsewhere", "online").to_dict(),
                "activity": {
                    **good["activity"],
                    "last_event": other_event,
                },
            },
        },
    }
    restored = Cameras.from_dict(round_trip(stored))
    assert [camera.camera_slug for camera in restored] == ["front_door", "garden"]
    garden = restored.get("garden")
    assert garden is not None
    assert garden.camera_id == "Garden"
    assert garden.camera_name == "Garden"
    assert garden.status is None
    assert garden.activity.last_event is None
    assert garden.activity.counts(NOW, PARIS) == (1, 1)


# Keys: one per id, never shared


def test_non_latin_ids_are_distinct_cameras_not_one_unknown() -> None:
    cameras = Cameras()
    ids = ("кухня", "日本", "كاميرا", "../..", "+", "#")
    for index, camera_id in enumerate(ids):
        event = make_event(NOW, camera_id=camera_id, event_id=f"x{index}")
        outcome = cameras.record_event(event, now=NOW, tz=PARIS, stale_after=TTL)
        assert not isinstance(outcome, Rejection)
        assert outcome[0].new
        assert outcome[0].kept_apart_from is None
    assert len(cameras) == len(ids)
    assert "unknown" not in cameras
    assert {camera.camera_id for camera in cameras} == set(ids)
    kitchen = next(camera for camera in cameras if camera.camera_id == "кухня")
    assert kitchen.camera_slug == hashed_key("кухня")
    assert kitchen.activity.counts(NOW, PARIS) == (1, 1)


def test_ids_that_slug_alike_are_two_cameras_and_the_second_says_so() -> None:
    cameras = Cameras()
    first = cameras.record_status(status_for("Front Door", "online"), now=NOW)
    second = cameras.record_status(status_for("front_door", "offline"), now=NOW)
    assert not isinstance(first, Rejection)
    assert not isinstance(second, Rejection)
    assert first.camera.camera_slug == "front_door"
    assert first.kept_apart_from is None
    assert second.new
    assert second.kept_apart_from == "Front Door"
    assert second.camera.camera_slug == hashed_key("front_door")
    again = cameras.record_status(status_for("front_door", "online"), now=NOW)
    assert not isinstance(again, Rejection)
    assert not again.new
    assert again.camera is second.camera
    assert cameras.knows("Front Door")
    assert not cameras.knows("FRONT DOOR")


def test_a_forgotten_camera_frees_its_key() -> None:
    cameras = Cameras()
    cameras.record_status(status_for("Front Door", "online"), now=NOW)
    assert cameras.forget("front_door")
    assert not cameras.knows("Front Door")
    seen = cameras.record_status(status_for("front_door", "online"), now=NOW)
    assert not isinstance(seen, Rejection)
    assert seen.camera.camera_slug == "front_door"


def test_stored_cameras_keep_their_keys_old_and_new() -> None:
    cameras = Cameras()
    cameras.record_status(status_for("Front Door", "online"), now=NOW)
    cameras.record_status(status_for("front_door", "online"), now=NOW)
    cameras.record_status(status_for("кухня", "online"), now=NOW)
    stored = round_trip(cameras.to_dict())
    restored = Cameras.from_dict(stored)
    assert [camera.camera_slug for camera in restored] == [
        "front_door",
        hashed_key("front_door"),
        hashed_key("кухня"),
    ]
    assert restored.to_dict() == cameras.to_dict()


def test_cameras_stored_before_keys_could_collide_keep_their_keys() -> None:
    """`кухня` was stored as `unknown`: its device and entities keep that key."""
    cameras = Cameras()
    cameras.record_status(status_for("кухня", "online"), now=NOW)
    cameras.record_status(status_for("Back Yard", "online"), now=NOW)
    data = round_trip(cameras.to_dict())
    legacy = dict(zip(["unknown", "back_yard"], data["cameras"].values(), strict=True))
    restored = Cameras.from_dict({**data, "cameras": legacy})
    assert [camera.camera_slug for camera in restored] == ["unknown", "back_yard"]
    # Another id that would once have merged into `unknown` is a camera of its own.
    seen = restored.record_status(status_for("日本", "online"), now=NOW)
    assert not isinstance(seen, Rejection)
    assert seen.new
    assert seen.camera.camera_slug == hashed_key("日本")
    kitchen = restored.record_status(status_for("кухня", "offline"), now=NOW)
    assert not isinstance(kitchen, Rejection)
    assert kitchen.camera.camera_slug == "unknown"
    assert not kitchen.new


def test_a_camera_merged_by_an_older_version_keeps_its_last_event() -> None:
    """Back then `front_door` events counted for `Front Door`: they still show."""
    cameras = Cameras()
    event = make_event(NOW, camera_id="front_door")
    cameras.record_event(event, now=NOW, tz=PARIS, stale_after=TTL)
    data = round_trip(cameras.to_dict())
    [stored] = data["cameras"].values()
    merged = {"front_door": {**stored, "camera_id": "Front Door"}}
    restored = Cameras.from_dict({**data, "cameras": merged})
    camera = restored.get("front_door")
    assert camera is not None
    assert camera.camera_id == "Front Door"
    assert camera.activity.last_event == event


def test_a_stored_key_that_does_not_fit_its_id_is_given_again() -> None:
    """A key that is not one its id may hold never pushes another camera off."""
    cameras = Cameras()
    cameras.record_status(status_for("Front Door", "online"), now=NOW)
    cameras.record_status(status_for("garden", "online"), now=NOW)
    data = round_trip(cameras.to_dict())
    front, garden = data["cameras"].values()
    # `garden` stored under Front Door's key, before Front Door itself.
    swapped = {"front_door": garden, "garden_stolen": front}
    restored = Cameras.from_dict({**data, "cameras": swapped})
    assert {camera.camera_id: camera.camera_slug for camera in restored} == {
        "garden": "garden",
        "Front Door": "front_door",
    }


@pytest.mark.parametrize(
    "stored",
    [None, 1, [], {}, {"version": 9, "cameras": {}}, {"version": 1, "cameras": []}],
)
def test_garbage_gives_no_cameras(stored: Any) -> None:
    assert len(Cameras.from_dict(stored)) == 0


def test_stored_cameras_are_bounded() -> None:
    cameras = Cameras()
    for index in range(5):
        cameras.record_status(status_for(f"cam{index}", "online"), now=NOW)
    assert len(Cameras.from_dict(cameras.to_dict(), max_cameras=3)) == 3


# A flood


def test_a_flood_of_events_for_20_cameras_is_counted_and_bounded() -> None:
    """What a flood leaves is bounded; its speed is `scripts/bench`'s to measure."""
    cameras = Cameras(max_ids=1_000)
    start = datetime(2025, 3, 24, 0, 0, tzinfo=PARIS)
    events = [
        make_event(
            start + timedelta(seconds=index * 5),
            event_id=f"flood-{index}",
            camera_id=f"camera_{index % 20}",
        )
        for index in range(100_000)
    ]
    for index, event in enumerate(events):
        now = event.timestamp + timedelta(milliseconds=200)
        cameras.record_event(event, now=now, tz=PARIS, stale_after=TTL)
        if index % 10 == 0:  # redeliveries of a recent event
            cameras.record_event(
                events[max(index - 100, 0)], now=now, tz=PARIS, stale_after=TTL
            )
    assert len(cameras) == 20
    end = events[-1].timestamp + timedelta(seconds=1)
    total_week = 0
    for camera in cameras:
        assert len(camera.activity.to_dict()["event_ids"]) == 1_000
        total_week += camera.activity.counts(end, PARIS)[1]
        assert camera.activity.active(end, QUIET)
    # 100,000 events 5 s apart span almost 6 days of one week (Monday to Saturday).
    assert total_week == 100_000
    assert len(orjson.dumps(cameras.to_dict())) < 2_000_000


def test_the_camera_store_counts_each_camera_it_leaves_out() -> None:
    cameras = Cameras()
    cameras.record_event(make_event(NOW), now=NOW, tz=PARIS, stale_after=TTL)
    good = cameras.to_dict()["cameras"]["front_door"]
    stored = {
        "version": 1,
        "cameras": {
            "front_door": good,
            "copy": good,
            "no_id": {**good, "camera_id": ["front"]},
            "no_time": {**good, "last_seen": "yesterday"},
            "not_a_dict": 5,
            "garden": {**good, "camera_id": "garden", "activity": "lots"},
            "over_the_limit": good,
        },
    }
    restored = restore_cameras_store(round_trip(stored), max_cameras=6)
    assert [camera.camera_slug for camera in restored.value] == [
        "front_door",
        "garden",
    ]
    assert restored.drops.reset == {"camera.activity": 1}
    assert restored.drops.dropped == {
        "camera: same camera as another stored one": 1,
        "camera: camera_id is not a usable id": 1,
        "camera: last_seen is not a time with its time zone": 1,
        "camera: is not an object": 1,
        "camera: beyond the limit of 6 cameras": 1,
    }


@pytest.mark.parametrize(
    "stored",
    [1, [], {}, {"version": 9, "cameras": {}}, {"version": 1, "cameras": []}],
)
def test_a_camera_store_of_unknown_shape_or_version_is_unreadable(
    stored: Any,
) -> None:
    with pytest.raises(UnreadableStoreError):
        restore_cameras_store(stored)
