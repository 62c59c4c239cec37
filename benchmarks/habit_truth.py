"""What a history really holds, by brute force: the truth habit mining is judged by.

Nothing here uses the miner's code: every window of the clock is counted directly,
so the evaluation cannot share the miner's mistakes. The rules (also in
docs/habit-evaluation.md):

Changes. A history's rows, per entity in time order; a row repeating the state
its entity already had is no change, and each entity's first row is left out (it
has no previous state: Home Assistant's logs count it as the system's). Times are
the house's local wall clock; a day is a local calendar day. An entity is
observed from the day of its first row to the last day evaluated.

Routine truth, per (entity, state, day class in daily / weekdays / weekends), on
the class's observed days (n, at least `min_class_days`):

- a window of width W (15, 30, 45, 60 and 90 min), starting at any minute of a
  circular clock (a window across midnight belongs to the day it starts on),
  *holds* the change on a day when the entity went to the state inside it that day;
  its support is the number of such days;
- the window is a *routine window* when its support is at least 70 % of n, at
  least max(2, 30 % of n) days above the median support of all 1440 windows of
  the same width, and fewer than half of those windows reach 70 % of n (most of
  the clock does not hold the change on most days: a sensor firing all day makes
  none);
- overlapping routine windows (any width) merge into one routine: a run of the
  clock. A run longer than 6 h is not a time of day and is dropped.
- a weekdays or weekends routine overlapping a daily routine of the same entity
  and state is the daily one seen on fewer days, and is not counted again.

Supported (for precision): a reported routine (entity, state, day class, time t,
width w) is supported when some window of width max(w, 15) whose centre is within
15 min of t holds the change on at least 50 % of the class's observed days (and 3
days), and on more days than 75 % of the same-width windows of the clock do.

Pair truth: A -> B, B in an actionable domain (the list below, copied from the
miner's, as Home Assistant defines what can be acted on). A *use* of A is a change
of A to a state not preceded by another change of A within 5 min. B *follows* a use
when B goes to its state within `pair_delay` (3 min) after it. A pair is true when
it follows at least 5 uses, on at least 3 distinct days, and either B follows at
least 50 % of A's uses (confidence) with a lift of at least 10 (confidence over
the share of the observed time lying within the delay after a change of B to its
state: what a random moment would give), or at least 80 % of B's changes come
within the delay after a change of A to its state (the reverse view: B is nearly
always preceded by A) with a lift of at least 10 likewise (over the share of time
within the delay after a change of A).
A reported pair is supported when the same count with a 5 min delay gives at
least 3 follows and, forward (confidence 0.3, lift 5) or reverse (reverse
confidence 0.5, reverse lift 5), clearly more than chance.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path

import numpy as np
import numpy.typing as npt

MINUTES_PER_DAY = 1440
SECONDS_PER_DAY = 86_400
DAILY, WEEKDAYS, WEEKENDS = "daily", "weekdays", "weekends"
DAY_CLASSES = (DAILY, WEEKDAYS, WEEKENDS)
# What a person can act on: a pair's B must be one of these (a copy of the
# domains Home Assistant services can change; kept here so truth stays apart).
ACTIONABLE_DOMAINS = frozenset(
    {
        "alarm_control_panel",
        "button",
        "climate",
        "cover",
        "fan",
        "humidifier",
        "input_boolean",
        "input_button",
        "input_number",
        "input_select",
        "lawn_mower",
        "light",
        "lock",
        "media_player",
        "number",
        "remote",
        "scene",
        "script",
        "select",
        "siren",
        "switch",
        "vacuum",
        "valve",
        "water_heater",
    }
)


@dataclass(frozen=True, slots=True)
class TruthSettings:
    """The brute force's thresholds (see the module's docstring)."""

    widths: tuple[int, ...] = (15, 30, 45, 60, 90)
    present_share: float = 0.7
    min_class_days: int = 5
    lead_days: int = 2
    lead_share: float = 0.3
    max_run_minutes: int = 360
    max_present_share: float = 0.5
    supported_share: float = 0.5
    supported_days: int = 3
    supported_quantile: float = 0.75
    supported_slack: int = 15
    min_width: int = 15
    use_gap_seconds: int = 300
    pair_delay_seconds: int = 180
    pair_min_count: int = 5
    pair_min_days: int = 3
    pair_min_confidence: float = 0.5
    pair_min_lift: float = 10.0
    pair_min_reverse: float = 0.8
    supported_pair_delay_seconds: int = 300
    supported_pair_count: int = 3
    supported_pair_confidence: float = 0.3
    supported_pair_lift: float = 5.0
    supported_pair_reverse: float = 0.5


@dataclass(frozen=True, slots=True)
class Change:
    """One change of an entity to a state, at whole epoch seconds (UTC)."""

    entity_id: str
    state: str
    when: int


@dataclass(slots=True)
class History:
    """A house's changes in time order, with what days mean there."""

    changes: list[Change]
    timezone: tzinfo
    first_seen: dict[str, int]  # entity -> epoch seconds of its first row
    first_state: dict[str, str] = field(default_factory=dict)  # its first row's state
    first_day: date = field(init=False)
    days: int = field(init=False)  # local days from the first to the last row

    def __post_init__(self) -> None:
        """Work out the local days the history spans."""
        moments = [*self.first_seen.values(), *(c.when for c in self.changes)]
        if not moments:
            self.first_day, self.days = date(1970, 1, 1), 0
            return
        self.first_day = self.local_date(min(moments))
        self.days = (self.local_date(max(moments)) - self.first_day).days + 1

    def local_date(self, epoch: int) -> date:
        """Return the local calendar day of a moment."""
        return datetime.fromtimestamp(epoch, self.timezone).date()

    def day_start(self, day: int) -> datetime:
        """Return the local midnight starting day `day` (0 is the first day)."""
        return datetime.combine(
            self.first_day + timedelta(days=day), time(0), tzinfo=self.timezone
        )

    def first(self, days: int) -> History:
        """Return the history of the first `days` days only."""
        end = int(self.day_start(days).timestamp())
        first = History(
            changes=[c for c in self.changes if c.when < end],
            timezone=self.timezone,
            first_seen={e: w for e, w in self.first_seen.items() if w < end},
            first_state=self.first_state,
        )
        # Quiet last days are still days: the span is the days asked for.
        first.first_day = self.first_day
        first.days = min(days, self.days)
        return first


def read_history_csv(path: Path) -> list[tuple[str, str, int]]:
    """Return (entity_id, state, epoch seconds) rows of a History panel CSV."""
    rows: list[tuple[str, str, int]] = []
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = [cell.strip().lower() for cell in next(reader, [])]
        column = {name: index for index, name in enumerate(header)}
        entity, state, changed = (
            column["entity_id"],
            column["state"],
            column["last_changed"],
        )
        for cells in reader:
            if len(cells) <= max(entity, state, changed):
                continue
            moment = datetime.fromisoformat(cells[changed].strip())
            rows.append((cells[entity].strip(), cells[state], int(moment.timestamp())))
    return rows


def history_of_rows(rows: Iterable[tuple[str, str, int]], timezone: tzinfo) -> History:
    """Return the changes the rows make (see the module's docstring)."""
    by_entity: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for entity_id, state, when in rows:
        by_entity[entity_id].append((when, state))
    changes: list[Change] = []
    first_seen: dict[str, int] = {}
    first_state: dict[str, str] = {}
    for entity_id, entity_rows in by_entity.items():
        entity_rows.sort(key=lambda row: row[0])
        first_seen[entity_id] = entity_rows[0][0]
        first_state[entity_id] = entity_rows[0][1]
        previous = entity_rows[0][1]
        for when, state in entity_rows[1:]:
            if state != previous:
                changes.append(Change(entity_id, state, when))
                previous = state
    changes.sort(key=lambda change: (change.when, change.entity_id))
    return History(
        changes=changes,
        timezone=timezone,
        first_seen=first_seen,
        first_state=first_state,
    )


def load_history(path: Path, timezone: tzinfo) -> History:
    """Return the history of a History panel CSV."""
    return history_of_rows(read_history_csv(path), timezone)


# Routines


@dataclass(frozen=True, slots=True)
class TrueRoutine:
    """A run of the clock where a change happens on most days of a class."""

    entity_id: str
    state: str
    day_class: str
    start_minute: int  # local, 0..1439; the run may cross midnight
    minutes: int  # the run's length
    support_days: int  # the best routine window's support
    observed_days: int
    clock_median: float  # the median support of windows of the best one's width
    best_width: int

    def distance(self, minute: int) -> int:
        """Return how far a minute of the day is from the run (0 inside)."""
        offset = (minute - self.start_minute) % MINUTES_PER_DAY
        if offset < self.minutes:
            return 0
        return min(offset - self.minutes + 1, MINUTES_PER_DAY - offset)

    def label(self) -> str:
        """Return the run as HH:MM-HH:MM."""
        end = (self.start_minute + self.minutes) % MINUTES_PER_DAY
        return f"{clock(self.start_minute)}-{clock(end)}"


@dataclass(frozen=True, slots=True)
class ClassDays:
    """An entity's observed days of one day class, and its changes as minutes."""

    day_class: str
    days: npt.NDArray[np.int64]  # day indices (0 = the history's first day)


def clock(minute: int) -> str:
    """Return a minute of the day as HH:MM."""
    minute %= MINUTES_PER_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _absolute_minutes(history: History, changes: Sequence[Change]) -> list[int]:
    """Return each change's minute counted from the first day's local midnight."""
    out: list[int] = []
    for change in changes:
        local = datetime.fromtimestamp(change.when, history.timezone)
        day = (local.date() - history.first_day).days
        out.append(day * MINUTES_PER_DAY + local.hour * 60 + local.minute)
    return out


def _class_days(history: History, entity_id: str) -> list[ClassDays]:
    """Return the observed days of each day class of an entity."""
    first = (history.local_date(history.first_seen[entity_id]) - history.first_day).days
    days = np.arange(first, history.days, dtype=np.int64)
    weekday = np.array(
        [(history.first_day + timedelta(days=int(d))).weekday() for d in days],
        dtype=np.int64,
    )
    weekend = weekday >= 5
    return [
        ClassDays(DAILY, days),
        ClassDays(WEEKDAYS, days[~weekend]),
        ClassDays(WEEKENDS, days[weekend]),
    ]


def _presence(
    minutes: Sequence[int], history_days: int, extra: int
) -> npt.NDArray[np.int32]:
    """Return per day and minute (the day's and `extra` of the next) a 0/1 count."""
    span = (history_days + 1) * MINUTES_PER_DAY + extra
    flat = np.zeros(span, dtype=np.int32)
    index = np.asarray(minutes, dtype=np.int64)
    index = index[(index >= 0) & (index < span)]
    flat[index] = 1
    rows = np.lib.stride_tricks.as_strided(
        flat,
        shape=(history_days, MINUTES_PER_DAY + extra),
        strides=(flat.strides[0] * MINUTES_PER_DAY, flat.strides[0]),
        writeable=False,
    )
    return np.ascontiguousarray(rows)


def window_supports(
    presence: npt.NDArray[np.int32], days: npt.NDArray[np.int64], width: int
) -> npt.NDArray[np.int64]:
    """Return, per start minute, the days of `days` holding a change in the window."""
    if days.size == 0:
        return np.zeros(MINUTES_PER_DAY, dtype=np.int64)
    rows = presence[days]
    total = np.zeros((rows.shape[0], rows.shape[1] + 1), dtype=np.int32)
    np.cumsum(rows, axis=1, out=total[:, 1:])
    starts = np.arange(MINUTES_PER_DAY)
    inside = total[:, starts + width] - total[:, starts]
    support: npt.NDArray[np.int64] = (inside > 0).sum(axis=0, dtype=np.int64)
    return support


def day_coverages(
    history: History,
    routine: TrueRoutine,
    minutes_of: dict[tuple[str, str], list[int]] | None = None,
) -> npt.NDArray[np.float64]:
    """Return, per day of the routine's class with the change, that day's chance.

    A day's changes turned together by a random offset around the clock land in a
    window of the routine's best width with the share of the clock lying less than
    that width before one of them: what the day would give a window with no time
    of its own. Days without the change cannot hold any window and are left out.
    `minutes_of` is `entity_state_minutes(history)`, when the caller has it.
    """
    minutes_of = minutes_of or entity_state_minutes(history)
    minutes = np.asarray(minutes_of[routine.entity_id, routine.state], dtype=np.int64)
    days = minutes // MINUTES_PER_DAY
    class_days = next(
        c.days
        for c in _class_days(history, routine.entity_id)
        if c.day_class == routine.day_class
    )
    starts = np.arange(MINUTES_PER_DAY)
    chances: list[float] = []
    for day in class_days.tolist():
        row = np.zeros(2 * MINUTES_PER_DAY, dtype=np.int32)
        on_day = minutes[days == day] % MINUTES_PER_DAY
        if on_day.size == 0:
            continue
        row[on_day] = 1
        row[on_day + MINUTES_PER_DAY] = 1
        total = np.concatenate([[0], np.cumsum(row)])
        hit = total[starts + routine.best_width] - total[starts] > 0
        chances.append(float(hit.mean()))
    return np.asarray(chances, dtype=np.float64)


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Return (start, length) of each run of a circular minute mask."""
    if mask.all():
        return [(0, MINUTES_PER_DAY)]
    if not mask.any():
        return []
    start_at = int(np.argmin(mask))  # a minute outside every run
    rolled = np.roll(mask, -start_at)
    runs: list[tuple[int, int]] = []
    minute = 0
    while minute < MINUTES_PER_DAY:
        if rolled[minute]:
            begin = minute
            while minute < MINUTES_PER_DAY and rolled[minute]:
                minute += 1
            runs.append(((begin + start_at) % MINUTES_PER_DAY, minute - begin))
        else:
            minute += 1
    return runs


def entity_state_minutes(
    history: History,
) -> dict[tuple[str, str], list[int]]:
    """Return each (entity, state)'s changes as absolute minutes."""
    grouped: dict[tuple[str, str], list[Change]] = defaultdict(list)
    for change in history.changes:
        grouped[change.entity_id, change.state].append(change)
    return {
        key: _absolute_minutes(history, changes) for key, changes in grouped.items()
    }


def routine_truth(
    history: History, settings: TruthSettings | None = None
) -> list[TrueRoutine]:
    """Return every routine the history holds (see the module's docstring)."""
    settings = settings or TruthSettings()
    extra = max(settings.widths)
    found: list[TrueRoutine] = []
    for (entity_id, state), minutes in sorted(entity_state_minutes(history).items()):
        presence = _presence(minutes, history.days, extra)
        per_class: dict[str, list[TrueRoutine]] = {}
        for class_days in _class_days(history, entity_id):
            per_class[class_days.day_class] = _class_routines(
                entity_id, state, class_days, presence, settings
            )
        daily = per_class[DAILY]
        found.extend(daily)
        for day_class in (WEEKDAYS, WEEKENDS):
            found.extend(
                routine
                for routine in per_class[day_class]
                if not any(_overlap(routine, other) for other in daily)
            )
    return found


def _class_routines(
    entity_id: str,
    state: str,
    class_days: ClassDays,
    presence: npt.NDArray[np.int32],
    settings: TruthSettings,
) -> list[TrueRoutine]:
    """Return the routines of one entity, state and day class."""
    n = int(class_days.days.size)
    if n < settings.min_class_days:
        return []
    needed = math.ceil(settings.present_share * n - 1e-9)
    lead = max(settings.lead_days, settings.lead_share * n)
    covered = np.zeros(MINUTES_PER_DAY, dtype=np.bool_)
    windows: list[tuple[int, int, int, float]] = []  # start, width, support, median
    for width in settings.widths:
        support = window_supports(presence, class_days.days, width)
        present = support >= needed
        if present.mean() >= settings.max_present_share:
            continue  # most of the clock holds it: no time of day at this width
        median = float(np.median(support))
        good = np.flatnonzero(present & (support - median >= lead))
        for start in good:
            covered[(start + np.arange(width)) % MINUTES_PER_DAY] = True
            windows.append((int(start), width, int(support[start]), median))
    routines: list[TrueRoutine] = []
    for start, length in _runs(covered):
        if length > settings.max_run_minutes:
            continue
        inside = [w for w in windows if (w[0] - start) % MINUTES_PER_DAY < length]
        best = max(inside, key=lambda w: (w[2], -w[1]))
        routines.append(
            TrueRoutine(
                entity_id=entity_id,
                state=state,
                day_class=class_days.day_class,
                start_minute=start,
                minutes=length,
                support_days=best[2],
                observed_days=n,
                clock_median=best[3],
                best_width=best[1],
            )
        )
    return routines


def _overlap(one: TrueRoutine, other: TrueRoutine) -> bool:
    """Tell whether two runs of the clock share a minute."""
    forward = (one.start_minute - other.start_minute) % MINUTES_PER_DAY
    backward = (other.start_minute - one.start_minute) % MINUTES_PER_DAY
    return forward < other.minutes or backward < one.minutes


@dataclass(frozen=True, slots=True)
class Support:
    """How well brute force backs a reported routine."""

    supported: bool
    support_days: int
    observed_days: int
    clock_quantile: float


def routine_support(
    history: History,
    entity_id: str,
    state: str,
    day_class: str,
    minute: int,
    width: int,
    settings: TruthSettings | None = None,
) -> Support:
    """Return whether brute force finds a reported routine (module docstring)."""
    settings = settings or TruthSettings()
    width = min(max(width, settings.min_width), MINUTES_PER_DAY // 2)
    if entity_id not in history.first_seen:
        return Support(False, 0, 0, 0.0)
    minutes = [
        m
        for m, c in zip(
            _absolute_minutes(history, history.changes), history.changes, strict=True
        )
        if c.entity_id == entity_id and c.state == state
    ]
    presence = _presence(minutes, history.days, width)
    days = next(
        c.days for c in _class_days(history, entity_id) if c.day_class == day_class
    )
    n = int(days.size)
    if n == 0:
        return Support(False, 0, 0, 0.0)
    support = window_supports(presence, days, width)
    quantile = float(np.quantile(support, settings.supported_quantile))
    starts = [
        (minute - width // 2 + shift) % MINUTES_PER_DAY
        for shift in range(-settings.supported_slack, settings.supported_slack + 1)
    ]
    best = int(max(support[s] for s in starts))
    supported = (
        best >= settings.supported_share * n
        and best >= settings.supported_days
        and best > quantile
    )
    return Support(supported, best, n, quantile)


# Pairs


@dataclass(frozen=True, slots=True)
class PairStats:
    """How often B followed A's uses, and how far above chance."""

    a_entity: str
    a_state: str
    b_entity: str
    b_state: str
    uses: int
    count: int
    confidence: float
    lift: float
    distinct_days: int
    median_delay: float
    reverse_confidence: float = 0.0  # share of B's changes an A change preceded
    reverse_lift: float = 0.0  # reverse_confidence over chance


def _uses(history: History, gap: int) -> dict[tuple[str, str], npt.NDArray[np.int64]]:
    """Return the times of each (entity, state)'s uses (see the docstring)."""
    last: dict[str, int] = {}
    uses: dict[tuple[str, str], list[int]] = defaultdict(list)
    for change in history.changes:
        previous = last.get(change.entity_id)
        if previous is None or change.when - previous > gap:
            uses[change.entity_id, change.state].append(change.when)
        last[change.entity_id] = change.when
    return {key: np.asarray(value, dtype=np.int64) for key, value in uses.items()}


def _targets(history: History) -> dict[tuple[str, str], npt.NDArray[np.int64]]:
    """Return the times of every change, by (entity, state)."""
    grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
    for change in history.changes:
        grouped[change.entity_id, change.state].append(change.when)
    return {key: np.asarray(value, dtype=np.int64) for key, value in grouped.items()}


def _observed_seconds(history: History) -> int:
    """Return the span of the history's days, in seconds."""
    return max(history.days, 1) * SECONDS_PER_DAY


def _covered_share(times: npt.NDArray[np.int64], delay: int, total: int) -> float:
    """Return the share of `total` seconds within `delay` after one of `times`."""
    if times.size == 0:
        return 0.0
    gaps = np.diff(np.sort(times), append=np.iinfo(np.int64).max // 2)
    return min(1.0, float(np.minimum(gaps, delay).sum()) / total)


def pair_stats(
    history: History,
    a: tuple[str, str],
    b: tuple[str, str],
    delay: int,
    *,
    uses: dict[tuple[str, str], npt.NDArray[np.int64]] | None = None,
    targets: dict[tuple[str, str], npt.NDArray[np.int64]] | None = None,
    gap: int = 300,
) -> PairStats:
    """Return how often B followed A's uses within `delay` seconds."""
    uses = uses if uses is not None else _uses(history, gap)
    targets = targets if targets is not None else _targets(history)
    a_times = uses.get(a, np.empty(0, dtype=np.int64))
    b_times = targets.get(b, np.empty(0, dtype=np.int64))
    if a_times.size == 0 or b_times.size == 0:
        return PairStats(*a, *b, int(a_times.size), 0, 0.0, 0.0, 0, 0.0)
    a_all = targets.get(a, a_times)
    before = np.searchsorted(a_all, b_times, side="left") - 1
    preceded = (before >= 0) & (b_times - a_all[np.maximum(before, 0)] <= delay)
    reverse = float(preceded.mean())
    after = np.searchsorted(b_times, a_times, side="right")
    has = after < b_times.size
    delays = np.full(a_times.size, np.iinfo(np.int64).max, dtype=np.int64)
    delays[has] = b_times[after[has]] - a_times[has]
    followed = delays <= delay
    count = int(followed.sum())
    confidence = count / a_times.size
    total = _observed_seconds(history)
    chance = _covered_share(b_times, delay, total)
    lift = confidence / chance if chance > 0 else 0.0
    reverse_chance = _covered_share(a_all, delay, total)
    reverse_lift = reverse / reverse_chance if reverse_chance > 0 else 0.0
    days = {history.local_date(int(t)) for t in a_times[followed]}
    median = float(np.median(delays[followed])) if count else 0.0
    return PairStats(
        *a,
        *b,
        int(a_times.size),
        count,
        confidence,
        lift,
        len(days),
        median,
        reverse,
        reverse_lift,
    )


def pair_truth(
    history: History, settings: TruthSettings | None = None
) -> list[PairStats]:
    """Return every true pair A -> B of the history (see the module's docstring)."""
    settings = settings or TruthSettings()
    uses = _uses(history, settings.use_gap_seconds)
    targets = _targets(history)
    found: list[PairStats] = []
    for a in sorted(uses):
        for b in sorted(targets):
            if b[0] == a[0] or b[0].partition(".")[0] not in ACTIONABLE_DOMAINS:
                continue
            stats = pair_stats(
                history,
                a,
                b,
                settings.pair_delay_seconds,
                uses=uses,
                targets=targets,
            )
            if (
                stats.count >= settings.pair_min_count
                and stats.distinct_days >= settings.pair_min_days
                and (
                    (
                        stats.confidence >= settings.pair_min_confidence
                        and stats.lift >= settings.pair_min_lift
                    )
                    or (
                        stats.reverse_confidence >= settings.pair_min_reverse
                        and stats.reverse_lift >= settings.pair_min_lift
                    )
                )
            ):
                found.append(stats)
    return found


def pair_supported(
    history: History,
    a: tuple[str, str],
    b: tuple[str, str],
    settings: TruthSettings | None = None,
) -> tuple[bool, PairStats]:
    """Return whether brute force backs a reported pair, and its figures."""
    settings = settings or TruthSettings()
    stats = pair_stats(
        history,
        a,
        b,
        settings.supported_pair_delay_seconds,
        gap=settings.use_gap_seconds,
    )
    ok = stats.count >= settings.supported_pair_count and (
        (
            stats.confidence >= settings.supported_pair_confidence
            and stats.lift >= settings.supported_pair_lift
        )
        or (
            stats.reverse_confidence >= settings.supported_pair_reverse
            and stats.reverse_lift >= settings.supported_pair_lift
        )
    )
    return ok, stats
