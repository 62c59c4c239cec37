"""The field checks every store's restore function is built of."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from custom_components.ha_ai.engine.stored import (
    BadRecordError,
    Drops,
    UnreadableStoreError,
    aware_time,
    check_version,
    finite_number,
    flag,
    iso_date,
    mapping_or_unreadable,
    optional_number,
    optional_text,
    record,
    required_int,
    required_text,
    required_time,
    section,
    text_tuple,
)


@pytest.mark.parametrize("data", [None, [], "x", 3, True])
def test_a_store_that_is_not_an_object_is_unreadable(data: object) -> None:
    with pytest.raises(UnreadableStoreError, match="the store is"):
        mapping_or_unreadable(data, "the store")
    assert mapping_or_unreadable({"a": 1}, "the store") == {"a": 1}


def test_a_version_from_elsewhere_is_unreadable_and_a_missing_one_is_known() -> None:
    check_version({"version": 1}, 1, "the book")
    check_version({}, 1, "the book")
    with pytest.raises(UnreadableStoreError, match="version 2, this version reads 1"):
        check_version({"version": 2}, 1, "the book")
    with pytest.raises(UnreadableStoreError, match="version 'xxxxxxxxxxxxxxxxxx…"):
        check_version({"version": "x" * 40}, 1, "the book")


def test_a_section_of_the_wrong_type_is_unreadable_and_a_missing_one_empty() -> None:
    assert section({}, "items", list, "the store") == []
    assert section({"items": [1]}, "items", list, "the store") == [1]
    with pytest.raises(UnreadableStoreError, match="`items` is an object"):
        section({"items": {}}, "items", list, "the store")


def test_required_fields_name_what_is_wrong() -> None:
    item = {"name": ["a"], "empty": "", "count": True, "good": "x", "n": 3}
    assert required_text(item, "good") == "x"
    assert required_int(item, "n") == 3
    with pytest.raises(BadRecordError, match="name is a list, not text"):
        required_text(item, "name")
    with pytest.raises(BadRecordError, match="empty is empty"):
        required_text(item, "empty")
    with pytest.raises(BadRecordError, match="missing is missing, not text"):
        required_text(item, "missing")
    with pytest.raises(BadRecordError, match="count is a boolean, not an integer"):
        required_int(item, "count")
    with pytest.raises(BadRecordError, match="is text, not an object"):
        record("x")
    with pytest.raises(BadRecordError, match="at is not a time"):
        required_time({"at": "soon"}, "at")


def test_optional_fields_of_the_wrong_type_fall_back_and_are_counted() -> None:
    drops = Drops()
    item = {"label": 5, "unit": "W", "low": "1", "high": 2.5, "on": "yes"}
    assert optional_text(item, "label", drops, "cap") is None
    assert optional_text(item, "unit", drops, "cap") == "W"
    assert optional_text(item, "missing", drops, "cap") is None
    assert optional_number(item, "low", drops, "cap") is None
    assert optional_number(item, "high", drops, "cap") == 2.5
    assert optional_number(item, "missing", drops, "cap") is None
    assert flag(item, "on", False, drops, "cap") is False
    assert flag(item, "missing", True, drops, "cap") is True
    assert drops.reset == {"cap.label": 1, "cap.low": 1, "cap.on": 1}
    assert drops.reset_count == 3
    assert drops.dropped_count == 0


def test_text_lists_keep_their_texts() -> None:
    drops = Drops()
    assert text_tuple({"v": ["a", 1, "b"]}, "v", drops, "cap") == ("a", "b")
    assert text_tuple({"v": "a"}, "v", drops, "cap") == ()
    assert text_tuple({}, "v", drops, "cap") == ()
    assert text_tuple({"v": ["a"]}, "v", drops, "cap") == ("a",)
    assert drops.reset == {"cap.v": 2}


@pytest.mark.parametrize(
    ("value", "finite"),
    [(1, True), (1.5, True), (True, False), ("1", False), (10**400, False)],
)
def test_finite_numbers(value: object, finite: bool) -> None:
    assert finite_number(value) is finite


def test_times_and_dates() -> None:
    assert aware_time("2026-11-20T12:00:00") == datetime(2026, 11, 20, 12, tzinfo=UTC)
    plus_one = timezone(timedelta(hours=1))
    assert aware_time("2026-11-20T12:00:00+01:00") == datetime(
        2026, 11, 20, 12, tzinfo=plus_one
    )
    assert aware_time("yesterday") is None
    assert aware_time(3) is None
    assert aware_time("2026-11-20" + " " * 100) is None
    assert iso_date("2026-11-20") == date(2026, 11, 20)
    assert iso_date("2026-13-01") is None
    assert iso_date(None) is None


def test_the_summary_names_each_reason_most_frequent_first() -> None:
    drops = Drops()
    drops.drop("device", "friendly_name is a list, not text")
    drops.drop("device", "its definition was dropped", 3)
    drops.reset_field("device", "vendor")
    assert drops.dropped_count == 4
    assert drops.summary() == (
        "device: its definition was dropped (3); "
        "device: friendly_name is a list, not text (1); "
        "device.vendor reset to its default (1)"
    )
    assert Drops().summary() == ""
