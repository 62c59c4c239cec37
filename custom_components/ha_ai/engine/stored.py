"""Reading back what HA AI stored: checks of each field that never raise.

A store is a file anyone can edit, and a crash or another version can leave it
in a shape the code does not expect. One record of the wrong shape must not stop
the rest: each store's restore function checks every record field by field with
these helpers. A record whose needed field is wrong is dropped (`BadRecordError`
says why), an optional field of the wrong type falls back to its default, and
`Drops` counts both, so that nothing is lost without a word. A store that is not
in any known shape as a whole raises `UnreadableStoreError`: the Home Assistant
side then sets the file aside instead of writing over it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

# Longer texts are not times or dates of HA AI's own writing.
_MAX_TIME_TEXT = 64


class UnreadableStoreError(ValueError):
    """The store as a whole is not in a shape this version knows."""


class BadRecordError(ValueError):
    """One record is not in a shape this version knows; the message says why."""


@dataclass(slots=True)
class Drops:
    """What one restore left out or reset, counted by kind of record and reason."""

    dropped: dict[str, int] = field(default_factory=dict)
    reset: dict[str, int] = field(default_factory=dict)

    def drop(self, record: str, reason: str, count: int = 1) -> None:
        """Count `count` records of kind `record` left out for `reason`."""
        key = f"{record}: {reason}"
        self.dropped[key] = self.dropped.get(key, 0) + count

    def reset_field(self, record: str, name: str) -> None:
        """Count one optional field of a kept record set back to its default."""
        key = f"{record}.{name}"
        self.reset[key] = self.reset.get(key, 0) + 1

    @property
    def dropped_count(self) -> int:
        """Return how many records were left out in all."""
        return sum(self.dropped.values())

    @property
    def reset_count(self) -> int:
        """Return how many fields were set back to their default in all."""
        return sum(self.reset.values())

    def summary(self) -> str:
        """Return one line naming each reason with its count, most frequent first."""
        parts = [
            f"{reason} ({count})"
            for reason, count in sorted(self.dropped.items(), key=lambda i: -i[1])
        ]
        parts += [
            f"{name} reset to its default ({count})"
            for name, count in sorted(self.reset.items(), key=lambda i: -i[1])
        ]
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Restored[T]:
    """What a restore function read back, and what it had to leave out."""

    value: T
    drops: Drops


def mapping_or_unreadable(data: object, what: str) -> Mapping[str, object]:
    """Return `data` when it is a mapping; raise `UnreadableStoreError` otherwise."""
    if not isinstance(data, Mapping):
        raise UnreadableStoreError(f"{what} is {_kind(data)}, not an object")
    return data


def check_version(data: Mapping[str, object], known: int, what: str) -> None:
    """Raise `UnreadableStoreError` unless `data` says it is of version `known`.

    A missing version is taken as `known` (stores written before it was added).
    """
    version = data.get("version", known)
    if version != known:
        raise UnreadableStoreError(
            f"{what} has version {_shown(version)}, this version reads {known}"
        )


def section[T](data: Mapping[str, object], key: str, kind: type[T], what: str) -> T:
    """Return the collection `data[key]`; raise `UnreadableStoreError` if not a `kind`.

    A missing section is read as an empty one. Records live in sections: a section
    of the wrong type means the store as a whole is damaged.
    """
    value = data.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise UnreadableStoreError(f"{what} `{key}` is {_kind(value)}")
    return value


def record(value: object) -> Mapping[str, object]:
    """Return a record that is a mapping; raise `BadRecordError` otherwise."""
    if not isinstance(value, Mapping):
        raise BadRecordError(f"is {_kind(value)}, not an object")
    return value


def required_text(item: Mapping[str, object], key: str) -> str:
    """Return the non-empty text `item[key]`; raise `BadRecordError` otherwise."""
    value = item.get(key)
    if not isinstance(value, str):
        raise BadRecordError(f"{key} is {_kind(value)}, not text")
    if not value:
        raise BadRecordError(f"{key} is empty")
    return value


def required_int(item: Mapping[str, object], key: str) -> int:
    """Return the integer `item[key]` (not a bool); raise `BadRecordError` otherwise."""
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRecordError(f"{key} is {_kind(value)}, not an integer")
    return value


def optional_text(
    item: Mapping[str, object], key: str, drops: Drops, record_kind: str
) -> str | None:
    """Return `item[key]` when it is text, None when missing, null or wrong."""
    value = item.get(key)
    if value is None or isinstance(value, str):
        return value
    drops.reset_field(record_kind, key)
    return None


def optional_number(
    item: Mapping[str, object], key: str, drops: Drops, record_kind: str
) -> float | None:
    """Return `item[key]` when it is a finite number, None otherwise."""
    value = item.get(key)
    if value is None:
        return None
    if finite_number(value):
        return value  # type: ignore[return-value]
    drops.reset_field(record_kind, key)
    return None


def flag(
    item: Mapping[str, object],
    key: str,
    default: bool,  # noqa: FBT001
    drops: Drops,
    record_kind: str,
) -> bool:
    """Return the bool `item[key]`; `default` when missing or not a bool."""
    value = item.get(key, default)
    if isinstance(value, bool):
        return value
    drops.reset_field(record_kind, key)
    return default


def text_tuple(
    item: Mapping[str, object], key: str, drops: Drops, record_kind: str
) -> tuple[str, ...]:
    """Return the texts of the list `item[key]`; other items and types are left out."""
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        drops.reset_field(record_kind, key)
        return ()
    texts = tuple(text for text in value if isinstance(text, str))
    if len(texts) != len(value):
        drops.reset_field(record_kind, key)
    return texts


def aware_time(value: object) -> datetime | None:
    """Return an ISO 8601 text as a datetime (UTC when it names no zone), or None."""
    if not isinstance(value, str) or len(value) > _MAX_TIME_TEXT:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment


def required_time(item: Mapping[str, object], key: str) -> datetime:
    """Return the time `item[key]`; raise `BadRecordError` when it is not one."""
    moment = aware_time(item.get(key))
    if moment is None:
        raise BadRecordError(f"{key} is not a time")
    return moment


def iso_date(value: object) -> date | None:
    """Return an ISO 8601 date text as a date, or None."""
    if not isinstance(value, str) or len(value) > _MAX_TIME_TEXT:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def finite_number(value: object) -> bool:
    """Tell whether `value` is an int or float (not a bool) within float range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float
        return False


def _kind(value: object) -> str:
    """Return what a JSON value is, in words, for a reason of a drop."""
    if value is None:
        return "missing"
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 20 else text[:19] + "…"  # noqa: PLR2004
