"""Device anomalies: once per occurrence, recovery, hysteresis, persistence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from custom_components.ha_ai.engine.zigbee import anomalies as anomalies_module
from custom_components.ha_ai.engine.zigbee.anomalies import (
    BATTERY_HYSTERESIS,
    BATTERY_LOW,
    LAST_SEEN_STALE,
    UNAVAILABLE,
    Anomaly,
    AnomalySettings,
    AnomalyTracker,
    parse_last_seen,
)

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
IEEE = "0x00158d0000000002"
OTHER = "0x00124b0000000009"
SETTINGS = AnomalySettings()


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def tracker() -> AnomalyTracker:
    return AnomalyTracker(SETTINGS)


def kinds(anomalies: list[Anomaly]) -> list[tuple[str, str]]:
    return [(a.ieee_address, a.kind) for a in anomalies]


def restarted(old: AnomalyTracker) -> AnomalyTracker:
    """Return the tracker as it comes back from the store after a restart."""
    stored = orjson.loads(orjson.dumps(old.to_dict()))
    return AnomalyTracker.from_dict(stored, SETTINGS)


def test_default_settings() -> None:
    expected = AnomalySettings(
        unavailable_after=timedelta(hours=1),
        battery_below=15.0,
        last_seen_stale_after=timedelta(hours=25),
    )
    assert expected == SETTINGS


def test_nothing_observed_nothing_reported() -> None:
    t = tracker()
    assert t.check(T0) == []
    assert t.active == []


# --- unavailable ---------------------------------------------------------------


def test_unavailable_is_reported_once_after_the_limit() -> None:
    t = tracker()
    t.observe_availability(IEEE, True, T0)
    t.observe_availability(IEEE, False, at(minutes=5))
    assert t.check(at(minutes=30)) == []
    assert t.check(at(minutes=65)) == []  # exactly one hour offline: not longer
    assert t.check(at(minutes=66, seconds=40)) == [
        Anomaly(IEEE, UNAVAILABLE, at(minutes=5), {"unavailable_for_seconds": 3700})
    ]
    assert t.check(at(minutes=90)) == []
    assert t.check(at(hours=30)) == []
    assert kinds(t.active) == [(IEEE, UNAVAILABLE)]


def test_repeated_offline_messages_keep_the_first_moment() -> None:
    t = tracker()
    t.observe_availability(IEEE, False, T0)
    t.observe_availability(IEEE, False, at(minutes=50))
    (anomaly,) = t.check(at(minutes=61))
    assert anomaly.since == T0
    assert anomaly.details == {"unavailable_for_seconds": 3660}


def test_back_online_ends_the_occurrence_and_the_next_one_is_reported() -> None:
    t = tracker()
    t.observe_availability(IEEE, False, T0)
    assert kinds(t.check(at(hours=2))) == [(IEEE, UNAVAILABLE)]
    t.observe_availability(IEEE, True, at(hours=3))
    assert t.active == []
    assert t.check(at(hours=4)) == []
    t.observe_availability(IEEE, False, at(hours=5))
    assert t.check(at(hours=5, minutes=30)) == []
    (again,) = t.check(at(hours=6, minutes=1))
    assert (again.kind, again.since) == (UNAVAILABLE, at(hours=5))


def test_short_outage_between_checks_is_not_reported() -> None:
    t = tracker()
    t.observe_availability(IEEE, False, T0)
    t.observe_availability(IEEE, True, at(minutes=40))
    assert t.check(at(hours=2)) == []


def test_unavailable_limit_comes_from_the_settings() -> None:
    t = AnomalyTracker(AnomalySettings(unavailable_after=timedelta(minutes=5)))
    t.observe_availability(IEEE, False, T0)
    assert kinds(t.check(at(minutes=6))) == [(IEEE, UNAVAILABLE)]


# --- battery -------------------------------------------------------------------


def test_low_battery_is_reported_once() -> None:
    t = tracker()
    t.observe_state(IEEE, {"battery": 37, "temperature": 21.5}, T0)
    assert t.check(at(minutes=1)) == []
    t.observe_state(IEEE, {"battery": 9}, at(hours=1))
    assert t.check(at(hours=1, minutes=1)) == [
        Anomaly(IEEE, BATTERY_LOW, at(hours=1), {"battery": 9})
    ]
    t.observe_state(IEEE, {"battery": 8}, at(hours=2))
    t.observe_state(IEEE, {"battery": 7}, at(hours=3))
    assert t.check(at(hours=4)) == []
    assert t.active == [Anomaly(IEEE, BATTERY_LOW, at(hours=1), {"battery": 9})]


def test_battery_at_the_threshold_is_not_low() -> None:
    t = tracker()
    t.observe_state(IEEE, {"battery": 15}, T0)
    assert t.check(T0) == []
    t.observe_state(IEEE, {"battery": 14.5}, at(minutes=1))
    assert t.check(at(minutes=1)) == [
        Anomaly(IEEE, BATTERY_LOW, at(minutes=1), {"battery": 14.5})
    ]


def test_battery_wobbling_around_the_threshold_is_reported_once() -> None:
    t = tracker()
    reported: list[Anomaly] = []
    for hour, battery in enumerate([16, 14, 16, 15, 14, 17, 13, 19, 14]):
        t.observe_state(IEEE, {"battery": battery}, at(hours=hour))
        reported += t.check(at(hours=hour, minutes=30))
    assert reported == [Anomaly(IEEE, BATTERY_LOW, at(hours=1), {"battery": 14})]


def test_battery_replaced_ends_the_occurrence_and_the_next_one_is_reported() -> None:
    t = tracker()
    t.observe_state(IEEE, {"battery": 9}, T0)
    assert len(t.check(T0)) == 1
    t.observe_state(IEEE, {"battery": 15 + BATTERY_HYSTERESIS - 0.5}, at(days=1))
    assert len(t.active) == 1
    t.observe_state(IEEE, {"battery": 15 + BATTERY_HYSTERESIS}, at(days=2))
    assert t.active == []
    assert t.check(at(days=2)) == []
    t.observe_state(IEEE, {"battery": 100}, at(days=3))
    t.observe_state(IEEE, {"battery": 12}, at(days=200))
    assert t.check(at(days=200)) == [
        Anomaly(IEEE, BATTERY_LOW, at(days=200), {"battery": 12})
    ]


def test_low_battery_that_recovers_before_a_check_is_not_reported() -> None:
    t = tracker()
    t.observe_state(IEEE, {"battery": 10}, T0)
    t.observe_state(IEEE, {"battery": 100}, at(minutes=1))
    assert t.check(at(minutes=2)) == []


def test_battery_low_flag_alone() -> None:
    t = tracker()
    t.observe_state(IEEE, {"battery_low": False, "occupancy": True}, T0)
    assert t.check(T0) == []
    t.observe_state(IEEE, {"battery_low": True}, at(hours=1))
    assert t.check(at(hours=1)) == [
        Anomaly(IEEE, BATTERY_LOW, at(hours=1), {"battery_low": True})
    ]
    t.observe_state(IEEE, {"occupancy": False}, at(hours=2))  # no battery news
    assert len(t.active) == 1
    t.observe_state(IEEE, {"battery_low": False}, at(hours=3))
    assert t.active == []
    t.observe_state(IEEE, {"battery_low": True}, at(hours=4))
    assert kinds(t.check(at(hours=4))) == [(IEEE, BATTERY_LOW)]


def test_battery_low_flag_wins_over_a_good_percentage() -> None:
    t = tracker()
    t.observe_state(IEEE, {"battery": 80, "battery_low": True}, T0)
    assert t.check(T0) == [
        Anomaly(IEEE, BATTERY_LOW, T0, {"battery": 80, "battery_low": True})
    ]
    t.observe_state(IEEE, {"battery": 80, "battery_low": False}, at(hours=1))
    assert t.active == []


def test_battery_threshold_comes_from_the_settings() -> None:
    t = AnomalyTracker(AnomalySettings(battery_below=30))
    t.observe_state(IEEE, {"battery": 25}, T0)
    assert kinds(t.check(T0)) == [(IEEE, BATTERY_LOW)]
    t.observe_state(IEEE, {"battery": 34}, at(hours=1))
    assert len(t.active) == 1
    t.observe_state(IEEE, {"battery": 35}, at(hours=2))
    assert t.active == []


@pytest.mark.parametrize(
    "garbage",
    ["9", "", True, False, None, -5, 101, 250, float("nan"), float("-inf"), [9], {}],
)
def test_battery_garbage_is_ignored(garbage: object) -> None:
    t = tracker()
    t.observe_state(IEEE, {"battery": garbage, "battery_low": "yes"}, T0)
    assert t.check(T0) == []
    t.observe_state(IEEE, {"battery": 50}, at(hours=1))
    t.observe_state(IEEE, {"battery": garbage, "battery_low": 1}, at(hours=2))
    assert t.check(at(hours=2)) == []
    t.observe_state(IEEE, {"battery": 10}, at(hours=3))
    t.observe_state(IEEE, {"battery": garbage}, at(hours=4))
    assert t.check(at(hours=4)) == [
        Anomaly(IEEE, BATTERY_LOW, at(hours=3), {"battery": 10})
    ]


# --- last_seen -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # ISO_8601_local, as the real installations publish it
        ("2025-01-06T09:00:00+01:00", T0),
        # ISO_8601, UTC with milliseconds
        ("2025-01-06T08:00:00.000Z", T0),
        ("2025-01-06T08:00:00Z", T0),
        # epoch: milliseconds since 1970
        (int(T0.timestamp() * 1000), T0),
        (T0.timestamp() * 1000 + 250.0, T0 + timedelta(milliseconds=250)),
        # not a time
        ("2025-01-06T08:00:00", None),
        ("yesterday", None),
        ("", None),
        ("2025-01-06T08:00:00+00:00" + " " * 100, None),
        (0, None),
        (-1, None),
        (1e30, None),
        (float("nan"), None),
        (float("inf"), None),
        (True, None),
        (None, None),
        ([2025], None),
        ({"ts": 1}, None),
    ],
)
def test_parse_last_seen(value: object, expected: datetime | None) -> None:
    assert parse_last_seen(value) == expected


@pytest.mark.parametrize(
    "last_seen",
    [
        "2025-01-06T09:00:00+01:00",
        "2025-01-06T08:00:00.000Z",
        int(T0.timestamp() * 1000),
    ],
    ids=["iso_local", "iso_utc", "epoch"],
)
def test_last_seen_stale_in_both_formats(last_seen: object) -> None:
    t = tracker()
    t.observe_state(IEEE, {"last_seen": last_seen, "linkquality": 91}, T0)
    assert t.check(at(hours=25)) == []  # exactly the limit: not longer
    (anomaly,) = t.check(at(hours=25, seconds=1))
    assert (anomaly.ieee_address, anomaly.kind, anomaly.since) == (
        IEEE,
        LAST_SEEN_STALE,
        T0,
    )
    assert anomaly.details["stale_for_seconds"] == 90001
    # The time keeps the offset the bridge used.
    assert parse_last_seen(anomaly.details["last_seen"]) == T0
    assert t.check(at(hours=48)) == []


def test_messages_that_keep_coming_with_an_old_last_seen_are_stale() -> None:
    """The bridge republishes its cached state; the device itself is silent."""
    t = tracker()
    old = {"last_seen": "2025-01-06T08:00:00Z", "battery": 90}
    t.observe_state(IEEE, old, T0)
    for hour in range(1, 30):
        t.observe_state(IEEE, old, at(hours=hour))
        if hour == 26:
            assert kinds(t.check(at(hours=hour))) == [(IEEE, LAST_SEEN_STALE)]
        else:
            assert t.check(at(hours=hour)) == []
    assert kinds(t.active) == [(IEEE, LAST_SEEN_STALE)]


def test_messages_that_stop_altogether_are_stale_too() -> None:
    t = tracker()
    t.observe_state(IEEE, {"last_seen": "2025-01-06T08:00:00Z"}, T0)
    assert kinds(t.check(at(hours=26))) == [(IEEE, LAST_SEEN_STALE)]


def test_old_last_seen_at_start_is_stale_at_once() -> None:
    t = tracker()
    t.observe_state(IEEE, {"last_seen": "2025-01-05T02:00:00Z"}, T0)
    (anomaly,) = t.check(T0)
    assert anomaly.since == at(hours=-30)
    assert anomaly.details["stale_for_seconds"] == 30 * 3600


def test_last_seen_advancing_ends_the_occurrence_and_the_next_one_is_reported() -> None:
    t = tracker()
    t.observe_state(IEEE, {"last_seen": "2025-01-06T08:00:00Z"}, T0)
    assert len(t.check(at(hours=26))) == 1
    t.observe_state(IEEE, {"last_seen": "2025-01-07T10:00:00Z"}, at(hours=26))
    assert t.active == []
    assert t.check(at(hours=27)) == []
    (again,) = t.check(at(hours=51, seconds=1))
    assert (again.kind, again.since) == (LAST_SEEN_STALE, at(hours=26))


def test_last_seen_advancing_but_still_old_keeps_the_occurrence() -> None:
    t = tracker()
    t.observe_state(IEEE, {"last_seen": "2025-01-06T08:00:00Z"}, T0)
    (first,) = t.check(at(hours=30))
    t.observe_state(IEEE, {"last_seen": "2025-01-06T09:00:00Z"}, at(hours=30))
    assert t.active == [first]
    assert t.check(at(hours=31)) == []


def test_last_seen_never_goes_back() -> None:
    t = tracker()
    t.observe_state(IEEE, {"last_seen": "2025-01-06T10:00:00Z"}, at(hours=2))
    t.observe_state(IEEE, {"last_seen": "2025-01-06T08:00:00Z"}, at(hours=3))
    assert t.check(at(hours=26, minutes=30)) == []
    (anomaly,) = t.check(at(hours=27, seconds=1))
    assert anomaly.since == at(hours=2)


def test_last_seen_in_the_future_counts_as_now() -> None:
    t = tracker()
    t.observe_state(IEEE, {"last_seen": "2025-01-09T08:00:00Z"}, T0)
    (anomaly,) = t.check(at(hours=25, seconds=1))
    assert anomaly.since == T0


def test_last_seen_garbage_is_ignored() -> None:
    t = tracker()
    t.observe_state(IEEE, {"last_seen": "2025-01-06T08:00:00Z"}, T0)
    for garbage in ("now", "2025-01-07T08:00:00", 0, None, True, {"x": 1}):
        t.observe_state(IEEE, {"last_seen": garbage}, at(hours=20))
    (anomaly,) = t.check(at(hours=26))
    assert anomaly.since == T0


def test_no_last_seen_is_never_stale() -> None:
    t = tracker()
    t.observe_state(IEEE, {"temperature": 21}, T0)
    t.observe_availability(IEEE, True, T0)
    assert t.check(at(days=365)) == []


def test_stale_limit_comes_from_the_settings() -> None:
    t = AnomalyTracker(AnomalySettings(last_seen_stale_after=timedelta(hours=2)))
    t.observe_state(IEEE, {"last_seen": "2025-01-06T08:00:00Z"}, T0)
    assert kinds(t.check(at(hours=2, minutes=1))) == [(IEEE, LAST_SEEN_STALE)]


def test_last_seen_from_a_real_state_message() -> None:
    payload = (
        '{"battery":100,"humidity":33.9,"last_seen":"2024-11-23T15:13:45+01:00",'
        '"linkquality":91,"temperature":21.7,"voltage":3005}'
    )
    t = tracker()
    now = datetime(2024, 11, 23, 14, 14, tzinfo=UTC)
    t.observe_state(IEEE, json.loads(payload), now)
    assert t.check(now + timedelta(hours=24)) == []
    (anomaly,) = t.check(now + timedelta(hours=25))
    assert anomaly.since == datetime(2024, 11, 23, 14, 13, 45, tzinfo=UTC)
    assert anomaly.since.utcoffset() == timedelta(hours=1)
    assert anomaly.details["last_seen"] == "2024-11-23T15:13:45+01:00"


# --- several devices and kinds -------------------------------------------------


def test_kinds_and_devices_are_independent_and_ordered() -> None:
    t = tracker()
    for ieee in (OTHER, IEEE):
        t.observe_availability(ieee, False, T0)
        t.observe_state(ieee, {"battery": 5, "last_seen": "2025-01-04T00:00:00Z"}, T0)
    new = t.check(at(hours=2))
    expected = [
        (ieee, kind)
        for ieee in sorted((IEEE, OTHER))
        for kind in (UNAVAILABLE, BATTERY_LOW, LAST_SEEN_STALE)
    ]
    assert kinds(new) == expected
    assert kinds(t.active) == expected
    t.observe_availability(OTHER, True, at(hours=3))
    assert kinds(t.active) == [e for e in expected if e != (OTHER, UNAVAILABLE)]


def test_forget_drops_the_device() -> None:
    t = tracker()
    t.observe_availability(IEEE, False, T0)
    t.observe_state(OTHER, {"battery": 3}, T0)
    assert len(t.check(at(hours=2))) == 2
    t.forget(IEEE)
    t.forget("0xunknown")
    assert kinds(t.active) == [(OTHER, BATTERY_LOW)]
    assert t.check(at(hours=3)) == []
    t.observe_availability(IEEE, False, at(hours=4))
    assert kinds(t.check(at(hours=6))) == [(IEEE, UNAVAILABLE)]


@pytest.mark.parametrize(
    "call",
    [
        lambda t, now: t.observe_availability(IEEE, False, now),
        lambda t, now: t.observe_state(IEEE, {"battery": 5}, now),
        lambda t, now: t.check(now),
    ],
)
def test_naive_times_are_refused(call: Any) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(tracker(), datetime(2025, 1, 6, 8, 0))  # noqa: DTZ001


def test_other_timezones_compare_by_the_instant() -> None:
    paris = timezone(timedelta(hours=1))
    t = tracker()
    t.observe_availability(IEEE, False, datetime(2025, 1, 6, 9, 0, tzinfo=paris))
    assert t.check(at(minutes=59)) == []
    (anomaly,) = t.check(at(minutes=61))
    assert anomaly.details == {"unavailable_for_seconds": 3660}


# --- persistence ---------------------------------------------------------------


def busy_tracker() -> AnomalyTracker:
    t = tracker()
    t.observe_availability(IEEE, False, T0)
    t.observe_state(IEEE, {"battery": 9.5, "battery_low": True}, T0)
    t.observe_state(IEEE, {"last_seen": "2025-01-05T00:00:00+01:00"}, T0)
    t.observe_availability(OTHER, True, T0)
    t.observe_state(OTHER, {"battery": 60, "last_seen": 1736150400000}, T0)
    return t


def test_to_dict_is_json_ready() -> None:
    t = busy_tracker()
    t.check(at(hours=2))
    data = t.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["version"] == 1
    assert data["devices"][IEEE]["reported"][UNAVAILABLE] == {
        "since": "2025-01-06T08:00:00+00:00",
        "details": {"unavailable_for_seconds": 7200},
    }
    for anomaly in t.active:
        assert json.loads(json.dumps(anomaly.details)) == anomaly.details


def test_restart_neither_repeats_nor_forgets() -> None:
    t = busy_tracker()
    reported = t.check(at(hours=2))
    assert len(reported) == 3
    back = restarted(t)
    assert back.active == t.active
    assert back.check(at(hours=3)) == []
    assert back.to_dict() == t.to_dict()
    # The occurrences still end, and later ones are reported again.
    back.observe_availability(IEEE, True, at(hours=4))
    back.observe_state(IEEE, {"battery": 100, "battery_low": False}, at(hours=4))
    back.observe_state(IEEE, {"last_seen": "2025-01-06T12:00:00Z"}, at(hours=4))
    assert back.active == []
    back.observe_availability(IEEE, False, at(hours=5))
    assert kinds(back.check(at(hours=7))) == [(IEEE, UNAVAILABLE)]


def test_restart_keeps_what_is_not_reported_yet() -> None:
    t = tracker()
    t.observe_availability(IEEE, False, T0)
    t.observe_state(OTHER, {"battery": 17}, T0)
    t.observe_state(OTHER, {"battery": 12}, at(minutes=1))
    t.observe_state(OTHER, {"battery": 17}, at(minutes=2))  # still low: hysteresis
    back = restarted(t)
    assert back.check(at(minutes=30)) == [
        Anomaly(OTHER, BATTERY_LOW, at(minutes=1), {"battery": 17})
    ]
    assert kinds(back.check(at(minutes=61))) == [(IEEE, UNAVAILABLE)]


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        [],
        "anomalies",
        3,
        {},
        {"version": 2, "devices": {}},
        {"version": "1", "devices": {}},
        {"version": 1},
        {"version": 1, "devices": []},
        {"version": 1, "devices": "0x01"},
    ],
)
def test_from_dict_garbage_is_a_fresh_tracker(garbage: object) -> None:
    t = AnomalyTracker.from_dict(garbage, SETTINGS)
    assert t.active == []
    assert t.to_dict() == {"version": 1, "devices": {}}
    t.observe_availability(IEEE, False, T0)
    assert kinds(t.check(at(hours=2))) == [(IEEE, UNAVAILABLE)]


def test_from_dict_leaves_out_bad_devices_and_fields() -> None:
    good_report = {"since": "2025-01-06T08:00:00+00:00", "details": {"battery": 9}}
    data: dict[str, Any] = {
        "version": 1,
        "devices": {
            "": {"battery": 9},
            "0xgarbage": "garbage",
            IEEE: {
                "offline_since": "yesterday",
                "battery": 9,
                "battery_low": "yes",
                "battery_low_since": "2025-01-06T08:00:00+00:00",
                "last_seen": "2025-01-06T08:00:00",
                "reported": {
                    UNAVAILABLE: {"since": "2025-01-06T08:00:00+00:00", "details": {}},
                    BATTERY_LOW: {
                        "since": "2025-01-06T08:00:00+00:00",
                        "details": {
                            "battery": 9,
                            "nested": {"a": 1},
                            "list": [1],
                            "nan": float("nan"),
                            "ratio": 0.5,
                            "text": "x",
                            "none": None,
                            "flag": True,
                        },
                    },
                    LAST_SEEN_STALE: good_report,
                    "exploded": good_report,
                },
            },
            OTHER: {
                "battery_low_since": "2025-01-06T08:00:00+00:00",
                "offline_since": "2025-01-06T08:00:00+00:00",
                "last_seen": "2025-01-06T08:00:00+00:00",
                "reported": {
                    BATTERY_LOW: "garbage",
                    UNAVAILABLE: {"since": "soon", "details": {}},
                    LAST_SEEN_STALE: {"since": "2025-01-06T08:00:00Z", "details": []},
                },
            },
            "0xnoreports": {"reported": ["garbage"]},
        },
    }
    data["devices"][7] = {"battery": 9}
    t = AnomalyTracker.from_dict(data, SETTINGS)
    # The unavailable and stale reports lost their starting point: forgotten.
    assert t.active == [
        Anomaly(
            IEEE,
            BATTERY_LOW,
            T0,
            {"battery": 9, "ratio": 0.5, "text": "x", "none": None, "flag": True},
        )
    ]
    stored = t.to_dict()["devices"]
    assert set(stored) == {IEEE, OTHER, "0xnoreports"}
    assert stored[IEEE]["battery_low"] is None
    assert stored[IEEE]["offline_since"] is None
    assert stored[IEEE]["last_seen"] is None
    # OTHER's conditions survive, so they are reported (their reports were garbage).
    assert kinds(t.check(at(hours=26))) == [
        (OTHER, UNAVAILABLE),
        (OTHER, BATTERY_LOW),
        (OTHER, LAST_SEEN_STALE),
    ]


def test_from_dict_reads_a_bounded_number_of_devices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(anomalies_module, "MAX_DEVICES", 2)
    devices = {f"0x{i:02x}": {"battery": 50} for i in range(5)}
    t = AnomalyTracker.from_dict({"version": 1, "devices": devices}, SETTINGS)
    assert list(t.to_dict()["devices"]) == ["0x00", "0x01"]
