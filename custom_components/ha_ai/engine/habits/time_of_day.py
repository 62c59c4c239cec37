"""Routines at a time of day: an entity goes to a state by hand at about the same time.

Each manual change becomes a local wall-clock minute of a local day. For each
(entity, state) and day class, a day *supports* a window when the entity went to
the state at least once inside it that day; a window of the clock is a routine
when enough of the observed days support it, by a Wilson lower bound, and far
more than chance would: the entity's own changes of the day, thrown at uniformly
random times, would rarely land in so narrow a window on so many days.

The search runs on a circular clock (23:55 and 00:05 are neighbours; a window
across midnight belongs to the day it starts on):

1. Locate: every window of a few widths up to the widest allowed, at every
   minute, gets its support (distinct days, from a bitset of days per minute and a
   sparse table of ORs) and a score, the log-likelihood ratio of its support
   against chance. The best window is a core.
2. Refine: around the core, the typical time is the median of each day's
   nearest change, and the window is the one centred on it that keeps the most
   support above chance (support days minus the days chance would give); it
   never reaches into a routine already found. Windows overlapping the core or
   the routine are set aside and the next best window gives the next core
   (morning and evening routines), while one is significant enough.
3. Gate: enough observed days, the Wilson bound, and the chance probability.
4. Day class: the same routine is often found for daily and for weekdays or
   weekends; one is kept. Weekdays (weekends) when, in the daily routine's
   window, they hold it clearly more often and the other days do not keep it at
   all; daily otherwise.

Every day class of every (entity, state) is searched, and every window tried, so
the chance probability allowed is small (`MiningSettings.max_chance_probability`):
pure noise must give nothing however large the house.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np
import numpy.typing as npt

from .model import ChangeTable, DayClass, MiningSettings, Origin, TimeOfDayPattern

MINUTES_PER_DAY = 1440
SECONDS_PER_DAY = 86_400
Z95 = 1.959963984540054
# Widths tried when locating routines; the widest allowed is always added.
LOCATE_WIDTHS = (5, 10, 15, 20, 30, 45, 60, 75, 90, 120, 180)
# The most routines looked for per entity, state and day class.
MAX_CORES = 6
# A core must be at least this significant (a log-likelihood ratio) to be refined:
# a share of -log(max_chance_probability), and never below the floor.
MIN_CORE_SCORE = 5.0
CORE_SHARE = 0.5
# Windows are at most this wide (minutes), whatever the settings say.
MAX_WIDTH_LIMIT = MINUTES_PER_DAY // 2 - 1
# Recentring a window on its changes' median stops after this many moves.
MAX_RECENTRING = 8
# Two-proportion z beyond which weekdays and weekends differ for a routine, and
# the chance probability below which the other days keep it all the same.
Z_DAY_CLASS = 1.96
DAY_CLASS_CHANCE = 1e-3
# UTC offsets are read on a grid this fine (no zone changes its offset twice in
# so short a time) and each change found is bisected to the second.
OFFSET_GRID_SECONDS = 6 * 3600
WEEKDAY_OF_EPOCH = 3  # 1970-01-01 was a Thursday; Monday is 0

type IntArray = npt.NDArray[np.int64]
type FloatArray = npt.NDArray[np.float64]
type BoolArray = npt.NDArray[np.bool_]


# --- statistics -----------------------------------------------------------------


def wilson_lower(successes: int, trials: int, z: float = Z95) -> float:
    """Return the Wilson score interval's lower bound of successes / trials."""
    if trials <= 0:
        return 0.0
    share = successes / trials
    z2 = z * z
    centre = share + z2 / (2 * trials)
    margin = z * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - margin) / (1 + z2 / trials))


def wilson_upper(successes: int, trials: int, z: float = Z95) -> float:
    """Return the Wilson score interval's upper bound of successes / trials."""
    return 1.0 - wilson_lower(trials - successes, trials, z)


def binomial_tail(successes: int, trials: int, share: float) -> float:
    """Return P(X >= successes) for X ~ Binomial(trials, share)."""
    if successes <= 0 or share >= 1.0:
        return 1.0
    if successes > trials or share <= 0.0:
        return 0.0
    x = np.arange(successes, trials + 1, dtype=np.float64)
    log_terms = (
        math.lgamma(trials + 1)
        - np.array([math.lgamma(v + 1) + math.lgamma(trials - v + 1) for v in x])
        + x * math.log(share)
        + (trials - x) * math.log1p(-share)
    )
    top = float(log_terms.max())
    return min(1.0, math.exp(top) * float(np.exp(log_terms - top).sum()))


@functools.cache
def _needed_support(trials: int, min_confidence: float) -> int:
    """Return the fewest successes whose Wilson lower bound reaches the threshold."""
    for successes in range(trials + 1):
        if wilson_lower(successes, trials) >= min_confidence:
            return successes
    return trials + 1


# --- local time -------------------------------------------------------------------


def _utc_offset(timestamp: int, tz: tzinfo) -> int:
    offset = datetime.fromtimestamp(timestamp, tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def utc_offsets(when: IntArray, tz: tzinfo) -> IntArray:
    """Return the UTC offset in seconds of `tz` at each of `when` (UTC seconds).

    Offsets are read on a grid over the span and each change between two grid
    points is bisected to the second, so daylight-saving changes fall exactly.
    """
    if when.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    low, high = int(when.min()), int(when.max())
    grid = [*range(low, high, OFFSET_GRID_SECONDS), high]
    offsets = [_utc_offset(t, tz) for t in grid]
    starts: list[int] = []
    values = [offsets[0]]
    for i in range(len(grid) - 1):
        if offsets[i + 1] == offsets[i]:
            continue
        before, after = grid[i], grid[i + 1]  # offset changes in (before, after]
        while after - before > 1:
            middle = (before + after) // 2
            if _utc_offset(middle, tz) == offsets[i]:
                before = middle
            else:
                after = middle
        starts.append(after)
        values.append(offsets[i + 1])
    index = np.searchsorted(np.asarray(starts, dtype=np.int64), when, side="right")
    return np.asarray(values, dtype=np.int64)[index]


def local_day_and_minute(when: IntArray, tz: tzinfo) -> tuple[IntArray, IntArray]:
    """Return each time's local day (days since 1970-01-01) and minute of the day."""
    local = when + utc_offsets(when, tz)
    day, seconds = np.divmod(local, SECONDS_PER_DAY)
    return day, seconds // 60


def weekday_of(day: int) -> int:
    """Return the weekday (Monday 0) of a local day number."""
    return (day + WEEKDAY_OF_EPOCH) % 7


# --- the detector -----------------------------------------------------------------


@dataclass(slots=True)
class _Candidate:
    """A routine found for one day class, before the classes are reconciled."""

    day_class: DayClass
    minute: int
    half_width: int
    support: int
    observed: int
    confidence: float
    day_distance: IntArray  # per observed day, distance of its nearest change

    @property
    def width(self) -> int:
        return 2 * self.half_width + 1

    def overlaps(self, other: _Candidate) -> bool:
        return _circular_distance(self.minute, other.minute) <= (
            self.half_width + other.half_width
        )


def _circular_distance(a: int, b: int) -> int:
    distance = abs(a - b) % MINUTES_PER_DAY
    return min(distance, MINUTES_PER_DAY - distance)


def find_time_of_day_patterns(
    table: ChangeTable,
    *,
    timezone: tzinfo,
    end: datetime,
    settings: MiningSettings,
) -> list[TimeOfDayPattern]:
    """Return the routines in the table's manual changes, up to `end`.

    Observed days of an entity run from the local day of its first change (any
    origin) to the last whole local day before `end`.
    """
    end_ts = int(end.timestamp())
    manual = np.flatnonzero(
        (table.origin == Origin.MANUAL) & (table.when < end_ts)
    ).astype(np.int64)
    if manual.shape[0] == 0:
        return []
    seen, first_index = np.unique(table.entity, return_index=True)
    first_day = np.zeros(len(table.entity_ids), dtype=np.int64)
    first_day[seen] = local_day_and_minute(table.when[first_index], timezone)[0]
    end_day = int(local_day_and_minute(np.asarray([end_ts]), timezone)[0][0])

    day, minute = local_day_and_minute(table.when[manual], timezone)
    group = table.entity[manual].astype(np.int64) * len(table.states) + table.state[
        manual
    ].astype(np.int64)
    order = np.argsort(group, kind="stable")
    group, day, minute = group[order], day[order], minute[order]
    bounds = np.flatnonzero(np.diff(group)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [group.shape[0]]])

    patterns: list[TimeOfDayPattern] = []
    for start, stop in zip(map(int, starts), map(int, stops), strict=True):
        entity, state = divmod(int(group[start]), len(table.states))
        observed = end_day - int(first_day[entity])  # whole days up to `end`
        if observed < settings.min_observed_days:
            continue
        routines = _find_routines(
            day[start:stop] - first_day[entity],
            minute[start:stop],
            first_weekday=weekday_of(int(first_day[entity])),
            observed=observed,
            settings=settings,
        )
        patterns.extend(
            TimeOfDayPattern(
                pattern_id="",
                entity_id=table.entity_ids[entity],
                state=table.states[state],
                day_class=found.day_class,
                minute_of_day=found.minute,
                window_minutes=found.width,
                support_days=found.support,
                observed_days=found.observed,
                confidence=round(found.confidence, 4),
            )
            for found in routines
        )
    patterns.sort(key=lambda p: (p.entity_id, p.state, p.minute_of_day))
    return patterns


@dataclass(slots=True)
class _DayClassData:
    """One day class of one entity and state: its days and chance rates."""

    day_class: DayClass
    in_class: BoolArray  # per observed day
    trials: int  # observed days of the class
    needed: int  # fewest support days whose Wilson bound clears the threshold
    chance: FloatArray  # per window width in minutes (index), the chance rate


def _find_routines(
    day: IntArray,
    minute: IntArray,
    *,
    first_weekday: int,
    observed: int,
    settings: MiningSettings,
) -> list[_Candidate]:
    """Return the routines of one entity and state.

    `day` counts from the entity's first day (0); days 0..observed-1 are observed
    and day `observed` is today, whose changes only serve windows across midnight.
    """
    max_width = min(
        max(1, int(settings.max_window.total_seconds() // 60)), MAX_WIDTH_LIMIT
    )
    # Presence of a change per minute (rows) and day (columns). Rows past
    # midnight repeat the next day's first minutes for the day before, so a
    # window starting late in the evening holds its own night.
    present = np.zeros((MINUTES_PER_DAY + max_width, observed), dtype=np.bool_)
    whole = day < observed
    present[minute[whole], day[whole]] = True
    spill = (minute < max_width) & (day >= 1)
    present[MINUTES_PER_DAY + minute[spill], day[spill] - 1] = True
    changes_per_day = present[:MINUTES_PER_DAY].sum(axis=0)
    absolute = np.sort(day * MINUTES_PER_DAY + minute)
    weekend = (first_weekday + np.arange(observed)) % 7 >= 5  # noqa: PLR2004
    classes = {
        DayClass.DAILY: np.ones(observed, dtype=np.bool_),
        DayClass.WEEKDAYS: ~weekend,
        DayClass.WEEKENDS: weekend,
    }
    widths = np.asarray(
        sorted({w for w in LOCATE_WIDTHS if w < max_width} | {max_width}),
        dtype=np.int64,
    )
    # Window supports of weekdays and of weekends; daily adds them up.
    weekdays = _window_support(present[:, ~weekend], widths, max_width)
    weekends = _window_support(present[:, weekend], widths, max_width)
    supports = {
        DayClass.DAILY: weekdays + weekends,
        DayClass.WEEKDAYS: weekdays,
        DayClass.WEEKENDS: weekends,
    }
    found: list[_Candidate] = []
    for day_class, in_class in classes.items():
        columns = np.flatnonzero(in_class)
        trials = int(columns.shape[0])
        if trials < max(1, settings.min_observed_days):
            continue
        needed = _needed_support(trials, settings.min_confidence)
        if int(np.count_nonzero(changes_per_day[columns])) + 1 < needed:
            continue  # (+1: a day may hold only a window's spill past midnight)
        data = _DayClassData(
            day_class=day_class,
            in_class=in_class,
            trials=trials,
            needed=needed,
            chance=_chance(changes_per_day[columns], max_width),
        )
        found.extend(
            _find_in_class(
                supports[day_class], widths, absolute, data, max_width, settings
            )
        )
    return _reconcile(found, weekend, changes_per_day, settings.min_confidence)


def _window_support(
    present: BoolArray, widths: IntArray, max_width: int
) -> npt.NDArray[np.int64]:
    """Return the distinct days with a change in [s, s + w), per width and start."""
    packed = np.packbits(present, axis=1)
    levels = [packed]  # levels[k][i]: OR of rows i .. i + 2**k - 1
    while 2 ** len(levels) <= max_width:
        half = 2 ** (len(levels) - 1)
        previous = levels[-1]
        levels.append(previous[:-half] | previous[half:])
    support = np.empty((widths.shape[0], MINUTES_PER_DAY), dtype=np.int64)
    for row, width in enumerate(int(w) for w in widths):
        k = width.bit_length() - 1
        level = levels[k]
        shift = width - 2**k
        union = level[:MINUTES_PER_DAY] | level[shift : shift + MINUTES_PER_DAY]
        support[row] = np.bitwise_count(union).sum(axis=1, dtype=np.int64)
    return support


def _chance(changes_per_day: IntArray, max_width: int) -> FloatArray:
    """Return, per window width 0..max_width, the share of days chance would hit.

    Each day's changes are thrown at uniformly random minutes: a window of
    w minutes misses all k of them with probability (1 - w/1440)^k.
    """
    counts, days = np.unique(changes_per_day, return_counts=True)
    miss = 1.0 - np.arange(max_width + 1, dtype=np.float64) / MINUTES_PER_DAY
    hit = 1.0 - miss[:, None] ** counts[None, :].astype(np.float64)
    return np.asarray(hit @ days / days.sum(), dtype=np.float64)


def _likelihood_ratio(
    support: npt.NDArray[np.int64], trials: int, chance: FloatArray
) -> FloatArray:
    """Return trials * KL(support/trials || chance), 0 where support is not above it.

    By Chernoff's bound, chance gives such a support with at most exp(-score).
    """
    share = np.arange(trials + 1, dtype=np.float64) / trials
    inner = share[1:-1]
    entropy = np.zeros(trials + 1)  # q log q + (1 - q) log(1 - q), 0 at the ends
    entropy[1:-1] = inner * np.log(inner) + (1 - inner) * np.log1p(-inner)
    p = np.clip(chance, 1e-12, 1 - 1e-12)[:, None]
    q = support / trials
    score = trials * (entropy[support] - q * np.log(p) - (1 - q) * np.log1p(-p))
    return np.where(q > p, score, 0.0)


def _find_in_class(  # noqa: PLR0913
    support: npt.NDArray[np.int64],
    widths: IntArray,
    absolute: IntArray,
    data: _DayClassData,
    max_width: int,
    settings: MiningSettings,
) -> list[_Candidate]:
    """Return the routines of one entity, state and day class.

    `support[i, s]`: the class's days with a change in [s, s + widths[i]).
    """
    if int(support[-1].max()) < data.needed:
        return []
    score = _likelihood_ratio(support, data.trials, data.chance[widths])
    # A core whose score cannot reach the chance threshold is not refined.
    threshold = max(
        MIN_CORE_SCORE,
        CORE_SHARE * -math.log(max(settings.max_chance_probability, 1e-300)),
    )
    starts = np.arange(MINUTES_PER_DAY)
    found: list[_Candidate] = []
    for _ in range(MAX_CORES):
        row, column = np.unravel_index(int(np.argmax(score)), score.shape)
        if score[row, column] < threshold:
            break
        start, width = int(column), int(widths[row])
        candidate = _refine(
            (start + width // 2) % MINUTES_PER_DAY,
            absolute,
            data,
            [((f.minute - f.half_width) % MINUTES_PER_DAY, f.width) for f in found],
            max_width,
        )
        # Windows overlapping the core or the routine belong to it (or its noise).
        for first, size in (
            (start, width),
            (
                (candidate.minute - candidate.half_width) % MINUTES_PER_DAY,
                candidate.width,
            ),
        ):
            overlap = ((starts - first) % MINUTES_PER_DAY < size)[None, :] | (
                ((first - starts) % MINUTES_PER_DAY)[None, :] < widths[:, None]
            )
            score[overlap] = 0.0
        if candidate.support < data.needed:
            continue
        probability = binomial_tail(
            candidate.support, data.trials, float(data.chance[candidate.width])
        )
        if probability <= settings.max_chance_probability:
            found.append(candidate)
    return found


def _day_distances(
    centre: int, absolute: IntArray, observed: int
) -> tuple[IntArray, IntArray]:
    """Return per observed day the distance and signed offset of its nearest change.

    `absolute` holds the changes' minutes since the first day's midnight, sorted.
    Days without a change within half a day get a distance of a whole day.
    """
    centres = np.arange(observed, dtype=np.int64) * MINUTES_PER_DAY + centre
    after = np.searchsorted(absolute, centres)
    last = absolute.shape[0] - 1
    later = absolute[np.minimum(after, last)] - centres
    earlier = centres - absolute[np.maximum(after - 1, 0)]
    later[after > last] = MINUTES_PER_DAY
    earlier[after == 0] = MINUTES_PER_DAY
    signed = np.where(later <= earlier, later, -earlier)
    distance = np.abs(signed)
    distance[distance > MINUTES_PER_DAY // 2] = MINUTES_PER_DAY
    return distance, signed


def _room(centre: int, blockers: list[tuple[int, int]], max_width: int) -> int:
    """Return the widest half-width around `centre` that avoids every blocker.

    `centre` is never inside a blocker: cores are taken outside the windows
    already found, and a window only recentres within itself.
    """
    room = (max_width - 1) // 2
    for start, width in blockers:
        to_start = (start - centre) % MINUTES_PER_DAY
        to_end = (centre - (start + width - 1)) % MINUTES_PER_DAY
        room = min(room, to_start - 1, to_end - 1)
    return max(room, 0)


def _refine(
    centre: int,
    absolute: IntArray,
    data: _DayClassData,
    blockers: list[tuple[int, int]],
    max_width: int,
) -> _Candidate:
    """Return the routine around a core: its typical time and centred window.

    The window keeps the most support days above what chance would give; the
    typical time is the median of each supporting day's nearest change, and the
    window is looked for again around it until the time settles.
    """
    observed = data.in_class.shape[0]
    seen: set[int] = set()
    while True:
        room = _room(centre, blockers, max_width)
        day_distance, day_signed = _day_distances(centre, absolute, observed)
        distances = np.sort(day_distance[data.in_class])
        halves = np.arange(room + 1)
        support = np.searchsorted(distances, halves, side="right")
        excess = support - data.trials * data.chance[2 * halves + 1]
        half = int(np.argmax(excess))
        offsets = day_signed[data.in_class & (day_distance <= half)]
        seen.add(centre)
        shift = round(float(np.median(offsets))) if offsets.shape[0] else 0
        moved = (centre + shift) % MINUTES_PER_DAY
        if moved in seen or len(seen) >= MAX_RECENTRING:
            break
        centre = moved
    return _Candidate(
        day_class=data.day_class,
        minute=centre,
        half_width=half,
        support=int(support[half]),
        observed=data.trials,
        confidence=wilson_lower(int(support[half]), data.trials),
        day_distance=day_distance,
    )


def _reconcile(
    found: list[_Candidate],
    weekend: BoolArray,
    changes_per_day: IntArray,
    min_confidence: float,
) -> list[_Candidate]:
    """Keep one day class per routine.

    When a daily routine belongs to weekdays (or weekends) only (see
    `_preferred_class`), the overlapping routine found for that class replaces
    it; otherwise the daily routine stands and the overlapping routines of a
    single class are dropped.
    """
    daily = [c for c in found if c.day_class is DayClass.DAILY]
    specific = [c for c in found if c.day_class is not DayClass.DAILY]
    kept: list[_Candidate] = []
    chosen: set[int] = set()
    dropped: set[int] = set()
    for routine in daily:
        overlapping = [c for c in specific if c.overlaps(routine)]
        preferred = _preferred_class(routine, weekend, changes_per_day, min_confidence)
        better = [c for c in overlapping if c.day_class is preferred]
        if better:
            chosen.update(id(c) for c in better)
        else:
            kept.append(routine)
        dropped.update(id(c) for c in overlapping)
    kept.extend(c for c in specific if id(c) in chosen or id(c) not in dropped)
    return kept


def _preferred_class(
    routine: _Candidate,
    weekend: BoolArray,
    changes_per_day: IntArray,
    min_confidence: float,
) -> DayClass:
    """Return the day class a daily routine belongs to.

    Weekdays (or weekends) when, in the routine's window, they hold it clearly
    more often than the other days (a two-proportion z test) and the other days
    do not keep it at all: their support is neither a routine by the Wilson
    bound nor above what chance gives (a binomial tail of DAY_CLASS_CHANCE).
    """
    inside = routine.day_distance <= routine.half_width
    weekdays, weekends = int((~weekend).sum()), int(weekend.sum())
    if not weekdays or not weekends:
        return DayClass.DAILY
    on_weekdays = int((inside & ~weekend).sum())
    on_weekends = int((inside & weekend).sum())
    pooled = (on_weekdays + on_weekends) / (weekdays + weekends)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / weekdays + 1 / weekends))
    if spread == 0:
        return DayClass.DAILY
    z = (on_weekdays / weekdays - on_weekends / weekends) / spread
    if z >= Z_DAY_CLASS:
        preferred, others, support = DayClass.WEEKDAYS, weekend, on_weekends
    elif z <= -Z_DAY_CLASS:
        preferred, others, support = DayClass.WEEKENDS, ~weekend, on_weekdays
    else:
        return DayClass.DAILY
    trials = int(others.sum())
    chance = _chance(changes_per_day[others], routine.width)[routine.width]
    if (
        wilson_lower(support, trials) >= min_confidence
        or binomial_tail(support, trials, float(chance)) <= DAY_CLASS_CHANCE
    ):
        return DayClass.DAILY
    return preferred
