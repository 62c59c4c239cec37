"""The household's rhythm as the residents' annotations tell it: away, wake, bedtime.

Some recordings of real homes (WSU CASAS) carry, on each sensor event, the
activity the resident was doing then (`Sleep`, `Bed_Toilet_Transition`,
`Leave_Home`, `Enter_Home`, `Wake_Up`, `Morning_Meds`...), annotated by hand.
Consecutive events with the same label make one *segment*. From them:

- an **away period** runs from the end of a `Leave_Home` segment (the door shut
  behind the resident) to the start of the next `Enter_Home` segment; a
  `Leave_Home` with no `Enter_Home` after it is left out;
- a **night** is the `Sleep` segments joined across short interruptions (getting
  up to the toilet: `Bed_Toilet_Transition`, `Wake_Up`, `Go_To_Sleep`, anything
  under NIGHT_JOIN), at least NIGHT_MIN long: its **bedtime** is the start of its
  first `Sleep` segment, its **wake** the first event after its last one (the
  first activity of the morning).

The recordings are read raw (`DATE TIME SENSOR... VALUE [LABEL]`, fields
separated by spaces, tabs or commas, local wall-clock time); the label is the
last field when it is not a value. Nothing here reads the converted CSVs or the
engine, so the truth does not depend on what it judges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

LEAVE = "Leave_Home"
ENTER = "Enter_Home"
SLEEP = "Sleep"
NIGHT_JOIN = timedelta(minutes=60)
NIGHT_MIN = timedelta(hours=3)
VALUES = frozenset({"ON", "OFF", "OPEN", "CLOSE", "PRESENT", "ABSENT", "OK"})
_SPLIT = re.compile(r"[\s,]+")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Event:
    """One annotated sensor event, at its local wall-clock time."""

    when: datetime  # timezone-aware
    label: str


@dataclass(frozen=True, slots=True)
class Segment:
    """Consecutive events with the same label."""

    label: str
    start: datetime
    end: datetime  # the last event's time
    after: datetime | None  # the first event after the segment


@dataclass(frozen=True, slots=True)
class Night:
    """One night's sleep: from bedtime to the first activity after it."""

    bedtime: datetime
    wake: datetime


@dataclass(frozen=True, slots=True)
class HouseholdTruth:
    """What the annotations tell of a house's rhythm."""

    away: tuple[tuple[datetime, datetime], ...]
    nights: tuple[Night, ...]
    first: datetime
    last: datetime


def parse_events(lines: Iterable[str], timezone: tzinfo) -> Iterator[Event]:
    """Yield the annotated events of a raw recording; unlabelled ones are skipped."""
    for line in lines:
        fields = [f for f in _SPLIT.split(line.strip()) if f]
        if len(fields) < 4:
            continue
        label = fields[-1]
        if label.upper() in VALUES or _NUMBER.match(label):
            continue
        try:
            moment = datetime.fromisoformat(f"{fields[0]} {fields[1]}")
        except ValueError:
            continue
        yield Event(moment.replace(tzinfo=timezone), label)


def segments(events: Iterable[Event]) -> list[Segment]:
    """Return the runs of consecutive events with the same label."""
    found: list[Segment] = []
    label: str | None = None
    start = end = None
    for event in events:
        if event.label != label:
            if label is not None and start is not None and end is not None:
                found.append(Segment(label, start, end, event.when))
            label, start = event.label, event.when
        end = event.when
    if label is not None and start is not None and end is not None:
        found.append(Segment(label, start, end, None))
    return found


def away_periods(runs: list[Segment]) -> list[tuple[datetime, datetime]]:
    """Return each Leave_Home's end to the next Enter_Home's start."""
    periods: list[tuple[datetime, datetime]] = []
    left: datetime | None = None
    for run in runs:
        if run.label == LEAVE:
            left = run.end
        elif run.label == ENTER and left is not None:
            periods.append((left, run.start))
            left = None
    return periods


def nights(runs: list[Segment]) -> list[Night]:
    """Return the nights: Sleep segments joined across short interruptions."""
    found: list[Night] = []
    bedtime: datetime | None = None
    last: Segment | None = None
    for run in runs:
        if run.label != SLEEP:
            continue
        if last is not None and bedtime is not None:
            resumed = last.after is not None and run.start - last.after <= NIGHT_JOIN
            if not resumed:
                _close(found, bedtime, last)
                bedtime = None
        if bedtime is None:
            bedtime = run.start
        last = run
    if last is not None and bedtime is not None:
        _close(found, bedtime, last)
    return found


def _close(found: list[Night], bedtime: datetime, last: Segment) -> None:
    wake = last.after if last.after is not None else last.end
    if wake - bedtime >= NIGHT_MIN:
        found.append(Night(bedtime, wake))


def household_truth(path: Path, timezone: tzinfo) -> HouseholdTruth | None:
    """Return the truth of a raw recording, or None when it is not annotated."""
    with path.open(encoding="utf-8", errors="replace") as stream:
        events = list(parse_events(stream, timezone))
    labels = {event.label for event in events}
    if not events or not labels & {LEAVE, ENTER, SLEEP}:
        return None
    runs = segments(events)
    return HouseholdTruth(
        away=tuple(away_periods(runs)),
        # A night the recording begins in has no bedtime of its own.
        nights=tuple(n for n in nights(runs) if n.bedtime > events[0].when),
        first=events[0].when,
        last=events[-1].when,
    )


def local_minute(moment: datetime) -> int:
    """Return the local minute of the day of a moment."""
    return moment.hour * 60 + moment.minute


def wake_day(night: Night) -> date:
    """Return the day a night's morning is on."""
    return night.wake.date()


def bedtime_day(night: Night) -> date:
    """Return the day whose evening a night's bedtime ends (after midnight: before)."""
    noon = 12
    day = night.bedtime.date()
    return day - timedelta(days=1) if night.bedtime.hour < noon else day
