"""Routines at a time of day: an entity goes to a state by hand at about the same time.

Real devices change in bursts (a cupboard opened five times while cooking, a
motion sensor flickering), so the unit is the *use*, not the change: an entity's
manual changes close together form one episode (`episodes.find_episodes`), and
each episode's first change to a state becomes a local wall-clock minute of a
local day. For each (entity, state) and day class, a day *supports* a window when
an episode went to the state inside it that day; a window of the clock is a
routine when enough of the observed days support it (a Wilson lower bound) and
far more than chance would.

Chance is the entity's own day turned around the clock: each day's episodes keep
their spacing but are shifted together by a random offset (a circular shift), so
a window of w minutes is hit that day with the share of the clock that lies
within w minutes before one of them. Bursts therefore weigh as one use, an entity
used at every meal is judged by how narrow its meals are, and a sensor busy all
day long hits any window anyway. Days differ in their chances, and the chance
probability of a support sums them exactly (a Poisson binomial). A routine must
also stand out from the entity's own clock: at most a share of it may hold the
state on nearly as many days.

The search runs on a circular clock (23:55 and 00:05 are neighbours; a window
across midnight belongs to the day it starts on):

1. Locate: every window of a few widths up to the widest allowed, at every
   minute, gets its support (distinct days, from a bitset of days per minute and a
   sparse table of ORs) and a score, the log-likelihood ratio of its support
   against chance (Chernoff: chance gives it with at most exp(-score)). The best
   window is a core.
2. Refine: around the core, the typical time is the median of each day's
   nearest episode, and the window is the one centred on it that keeps the most
   support above chance (support days minus the days chance would give); it
   never reaches into a routine already found. Windows overlapping the core or
   the routine are set aside and the next best window gives the next core
   (morning and evening routines).
3. Judge, over the whole run: every window of every entity, state and day class
   is a hypothesis; Benjamini-Hochberg over all of them (an entity, state and
   day class searched counts `HYPOTHESES_PER_TILE` times the windows tiling the
   clock at each width searched) keeps the routines whose chance probability
   stays small once adjusted for how many were tested; pure noise thus makes
   none, however large the house. The evidence shown is -log10 of the adjusted
   probability. A window must also stand out from the entity's clock.
4. Day class: the same routine is often found for daily and for weekdays or
   weekends; one is kept. Weekdays (weekends) when, in the daily routine's
   window, they hold it clearly more often and the other days do not keep it at
   all; daily otherwise.
5. Level: established when its support's Wilson bound reaches `min_confidence`
   over at least `min_observed_days` days of its class; forming when it is a
   discovery all the same but younger: fewer days, or a bound below
   `min_confidence` while it holds on `min_forming_share` of the days (7 of 10
   weekdays). Other discoveries are weak habits, not routines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import numpy as np
import numpy.typing as npt

from .episodes import Episodes, find_episodes
from .false_discovery import benjamini_hochberg
from .model import (
    ChangeTable,
    DayClass,
    MiningSettings,
    Origin,
    PatternLevel,
    TimeOfDayPattern,
)
from .significance import (
    binomial_tail,
    evidence,
    needed_successes,
    poisson_binomial_tail,
    wilson_lower,
    wilson_upper,
)

__all__ = [
    "binomial_tail",
    "find_time_of_day_patterns",
    "local_day_and_minute",
    "minutes_apart",
    "utc_offsets",
    "weekday_of",
    "wilson_lower",
    "wilson_upper",
]

MINUTES_PER_DAY = 1440
SECONDS_PER_DAY = 86_400
# Widths tried when locating routines; the widest allowed is always added.
LOCATE_WIDTHS = (10, 15, 20, 30, 45, 60, 75, 90, 120, 180)
# Windows tiling the clock at a width, times this, count as that width's
# hypotheses. Measured on pure noise (500 entities, 14 to 60 days, 20 to 50
# changes a day), the smallest chance probability of a day class's whole search
# falls below x about as often as 400 to 1300 independent tests would: this
# gives about 1350 for the default widths (a window shifted by a third of its
# width, or refined around its core, is nearly the same test).
HYPOTHESES_PER_TILE = 3
# The most routines looked for per entity, state and day class.
MAX_CORES = 6
# A core is refined when its score could lead to a discovery: the Chernoff bound
# of the best one could clear, less this margin (the bound is loose), and never
# below the floor.
CORE_MARGIN = 3.0
MIN_CORE_SCORE = 5.0
# Windows are at most this wide (minutes), whatever the settings say.
MAX_WIDTH_LIMIT = MINUTES_PER_DAY // 2 - 1
# Entities and states whose window supports are counted together.
SUPPORT_BATCH = 32
# Recentring a window on its episodes' median stops after this many moves.
MAX_RECENTRING = 8
# A clock position holds the state "nearly as often" as a routine with at least
# this share of the routine's support days.
CLOCK_NEAR_SHARE = 0.75
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
    """A routine found for one day class, before it is judged with the others."""

    day_class: DayClass
    minute: int
    half_width: int
    support: int
    observed: int
    confidence: float
    day_distance: IntArray  # per observed day, distance of its nearest episode
    # Per observed day, its chance of hitting a window of the routine's width.
    day_chance: FloatArray = field(default_factory=lambda: np.zeros(0))
    probability: float = 1.0  # chance probability, before adjustment
    adjusted: float = 1.0  # after the run's false-discovery control
    group: int = -1  # which (entity, state) of the run

    @property
    def width(self) -> int:
        return 2 * self.half_width + 1

    def overlaps(self, other: _Candidate) -> bool:
        return minutes_apart(self.minute, other.minute) <= (
            self.half_width + other.half_width
        )


def minutes_apart(a: int, b: int) -> int:
    """Return the minutes between two times of day, across midnight too."""
    distance = abs(a - b) % MINUTES_PER_DAY
    return min(distance, MINUTES_PER_DAY - distance)


@dataclass(slots=True)
class _Group:
    """One (entity, state): its episodes, observed days and chances."""

    entity: int
    state: int
    observed: int  # whole days from the entity's first day to `end`
    weekend: BoolArray  # per observed day
    candidates: list[_Candidate] = field(default_factory=list)


@dataclass(slots=True)
class _Search:
    """What every (entity, state) is searched with, and what the run tested."""

    settings: MiningSettings
    max_width: int
    widths: IntArray  # locate widths
    core_score: float  # the least score a core needs to be refined
    hypotheses_per_class: int
    hypotheses: int = 0  # tested so far in the run


def find_time_of_day_patterns(
    table: ChangeTable,
    *,
    timezone: tzinfo,
    end: datetime,
    settings: MiningSettings,
    episodes: Episodes | None = None,
) -> list[TimeOfDayPattern]:
    """Return the routines in the table's manual changes, up to `end`.

    Observed days of an entity run from the local day of its first change (any
    origin) to the last whole local day before `end`. `episodes` are those of
    the manual changes before `end` (`settings.episode_gap`), when the caller
    has them already.
    """
    end_ts = int(end.timestamp())
    manual = (table.origin == Origin.MANUAL) & (table.when < end_ts)
    if episodes is None:
        episodes = find_episodes(
            table, manual, int(settings.episode_gap.total_seconds())
        )
    starts = episodes.index
    if starts.shape[0] == 0:
        return []
    # The table is in time order: an entity's first change has its least index.
    first_index = np.full(len(table.entity_ids), len(table), dtype=np.int64)
    np.minimum.at(first_index, table.entity, np.arange(len(table), dtype=np.int64))
    seen = first_index < len(table)
    first_day = np.zeros(len(table.entity_ids), dtype=np.int64)
    first_day[seen] = local_day_and_minute(table.when[first_index[seen]], timezone)[0]
    end_day = int(local_day_and_minute(np.asarray([end_ts]), timezone)[0][0])

    day, minute = local_day_and_minute(table.when[starts], timezone)
    state_count = max(1, len(table.states))
    key = table.entity[starts].astype(np.int64) * state_count + table.state[
        starts
    ].astype(np.int64)
    # Per group, in time order (a radix sort when the keys are small).
    order = np.argsort(
        key.astype(np.uint16) if int(key.max()) < 2**16 else key,
        kind="stable",
    )
    key, day, minute = key[order], day[order], minute[order]
    bounds = np.flatnonzero(np.diff(key)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [key.shape[0]]])

    search = _new_search(settings)
    # (first day, start, stop) per entity and state observed long enough; those
    # of one first day share their days, so their window supports are counted
    # together, a batch at a time.
    pending = sorted(
        (int(first_day[int(key[start]) // state_count]), start, stop)
        for start, stop in zip(map(int, starts), map(int, stops), strict=True)
        if end_day - int(first_day[int(key[start]) // state_count])
        >= _fewest_days(settings)
    )
    groups: list[_Group] = []
    position = 0
    while position < len(pending):
        first = pending[position][0]
        batch: list[tuple[int, int, int]] = []
        while (
            position < len(pending)
            and pending[position][0] == first
            and len(batch) < SUPPORT_BATCH
        ):
            batch.append(pending[position])
            position += 1
        observed = end_day - first
        first_weekday = weekday_of(first)
        weekend = (first_weekday + np.arange(observed)) % 7 >= 5  # noqa: PLR2004
        weekdays, weekends = _window_supports(
            [(day[a:b] - first, minute[a:b]) for _, a, b in batch],
            observed,
            weekend,
            search.widths,
            search.max_width,
        )
        for number, (_, start, stop) in enumerate(batch):
            entity, state = divmod(int(key[start]), state_count)
            group = _search_group(
                entity,
                state,
                day[start:stop] - first,
                minute[start:stop],
                weekend=weekend,
                supports=(weekdays[number], weekends[number]),
                search=search,
            )
            if group.candidates:
                for candidate in group.candidates:
                    candidate.group = len(groups)
                groups.append(group)
    return _judge(table, groups, search, manual, timezone, first_day)


def _fewest_days(settings: MiningSettings) -> int:
    """Return the fewest observed days a day class needs to be searched."""
    return max(1, min(settings.min_forming_days, settings.min_observed_days))


def _new_search(settings: MiningSettings) -> _Search:
    """Return the search's widths, its core threshold and hypotheses per class."""
    max_width = min(
        max(1, int(settings.max_window.total_seconds() // 60)), MAX_WIDTH_LIMIT
    )
    widths = np.asarray(
        sorted({w for w in LOCATE_WIDTHS if w < max_width} | {max_width}),
        dtype=np.int64,
    )
    per_class = HYPOTHESES_PER_TILE * sum(
        math.ceil(MINUTES_PER_DAY / int(w)) for w in widths
    )
    # The best of a class can at most be judged against rate * MAX_CORES / tested.
    rate = max(settings.routine_false_discovery_rate, 1e-300)
    core_score = max(
        MIN_CORE_SCORE, -math.log(min(1.0, rate * MAX_CORES / per_class)) - CORE_MARGIN
    )
    return _Search(
        settings=settings,
        max_width=max_width,
        widths=widths,
        core_score=core_score,
        hypotheses_per_class=per_class,
    )


def _search_group(  # noqa: PLR0913
    entity: int,
    state: int,
    day: IntArray,
    minute: IntArray,
    *,
    weekend: BoolArray,
    supports: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    search: _Search,
) -> _Group:
    """Return one entity and state with the routines found for each day class.

    `day` counts from the entity's first day (0); days 0..observed-1 are observed
    and day `observed` is today, whose episodes only serve windows across midnight.
    `supports` holds the weekdays' and weekends' window supports.
    """
    settings, observed = search.settings, int(weekend.shape[0])
    whole = day < observed
    group = _Group(entity=entity, state=state, observed=observed, weekend=weekend)
    # (day, width): that day's chance of hitting a window.
    coverage = _day_coverage(day[whole], minute[whole], observed, search.max_width)
    active = coverage[:, 1] > 0  # days with an episode
    daily = np.ones(observed, dtype=np.bool_)
    days = np.stack([daily, ~weekend, weekend])
    trials = days.sum(axis=1)
    # Per class and width, the mean chance of the class's days, and the best
    # support of any window: its score (which grows with the support) tells
    # whether any window of the class is worth scoring.
    chances = days @ coverage / np.maximum(trials, 1)[:, None]
    support = (supports[0] + supports[1], supports[0], supports[1])
    best = np.stack([s.max(axis=1) for s in support])
    scores = _best_scores(best, trials, chances[:, search.widths])
    absolute = np.sort(day * MINUTES_PER_DAY + minute)
    for number, day_class in enumerate(
        (DayClass.DAILY, DayClass.WEEKDAYS, DayClass.WEEKENDS)
    ):
        count = int(trials[number])
        if count < _fewest_days(settings):
            continue
        needed = min(
            needed_successes(count, settings.min_confidence),
            math.ceil(settings.min_forming_share * count - 1e-9),
        )
        if int(np.count_nonzero(active & days[number])) + 1 < needed:
            continue  # (+1: a day may hold only a window's spill past midnight)
        search.hypotheses += search.hypotheses_per_class
        if best[number, -1] < needed or scores[number] < search.core_score:
            continue
        group.candidates.extend(
            _find_in_class(
                support[number],
                _ClassData(
                    day_class=day_class,
                    in_class=days[number],
                    trials=count,
                    needed=needed,
                    chance=chances[number],
                    coverage=coverage,
                ),
                absolute,
                search,
            )
        )
    return group


def _best_scores(
    best: npt.NDArray[np.int64], trials: IntArray, chance: FloatArray
) -> FloatArray:
    """Return per class the highest score of its best windows (see below)."""
    share = best / np.maximum(trials, 1)[:, None]
    p = np.clip(chance, 1e-12, 1 - 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.where(share > 0, share * np.log(share / p), 0.0)
        outside = np.where(share < 1, (1 - share) * np.log((1 - share) / (1 - p)), 0.0)
    score = trials[:, None] * (inside + outside)
    return np.asarray(np.where(share > p, score, 0.0).max(axis=1), dtype=np.float64)


def _day_coverage(
    day: IntArray, minute: IntArray, observed: int, max_width: int
) -> FloatArray:
    """Return per day and width 0..max_width the chance of a window being hit.

    The day's episodes shifted together by a random offset on the clock land in
    a given window of w minutes with the share of the clock lying less than w
    minutes before one of them: the sum over episodes of min(w, gap to the next
    one), around the clock. `day` and `minute` are in time order.
    """
    coverage = np.zeros((observed, max_width + 1), dtype=np.float64)
    count = int(day.shape[0])
    if count == 0:
        return coverage
    new_day = np.ones(count, dtype=np.bool_)
    new_day[1:] = day[1:] != day[:-1]
    last = np.ones(count, dtype=np.bool_)
    last[:-1] = new_day[1:]
    run_start = np.maximum.accumulate(np.where(new_day, np.arange(count), 0))
    gap = np.empty(count, dtype=np.int64)
    gap[:-1] = minute[1:] - minute[:-1]
    gap[last] = minute[run_start[last]] + MINUTES_PER_DAY - minute[last]
    bins = max_width + 2
    histogram = np.bincount(
        day * bins + np.minimum(gap, bins - 1), minlength=observed * bins
    ).reshape(observed, bins)
    sizes = np.arange(bins, dtype=np.int64)
    # Below w: the gaps themselves; from w on: w each.
    below = np.cumsum(histogram * sizes, axis=1) - histogram * sizes
    from_here = histogram.sum(axis=1, keepdims=True) - (
        np.cumsum(histogram, axis=1) - histogram
    )
    coverage[:] = (below + sizes * from_here)[:, : max_width + 1] / MINUTES_PER_DAY
    return coverage


def _window_supports(
    episodes: list[tuple[IntArray, IntArray]],
    observed: int,
    weekend: BoolArray,
    widths: IntArray,
    max_width: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return the weekdays and weekends with an episode in [s, s + w).

    For a batch of (entity, state) sharing their observed days, given as (day,
    minute) of their episodes: arrays of (member, width, start). Presence per
    minute is packed as bits, a day per bit, weekdays and weekends each in their
    own 64-bit words, so one sparse table of ORs (levels[k][i]: OR of minutes
    i .. i + 2**k - 1) serves both. Rows past midnight repeat the next day's
    first minutes for the day before, so a window starting late in the evening
    holds its own night.
    """
    rows = MINUTES_PER_DAY + max_width
    # Each day's bit: its rank among the weekdays (or weekends), weekends after
    # the weekdays' words.
    rank = np.where(weekend, np.cumsum(weekend) - 1, np.cumsum(~weekend) - 1)
    split = max(1, -(-int(np.count_nonzero(~weekend)) // 64))
    size = split + max(1, -(-int(np.count_nonzero(weekend)) // 64))
    word = np.where(weekend, split, 0) + rank // 64
    bit = np.left_shift(np.uint64(1), (rank % 64).astype(np.uint64))
    packed = np.zeros(len(episodes) * rows * size, dtype=np.uint64)
    for member, (day, minute) in enumerate(episodes):
        whole = day < observed
        spill = (minute < max_width) & (day >= 1)
        on_day = np.concatenate([day[whole], day[spill] - 1])
        at = np.concatenate([minute[whole], MINUTES_PER_DAY + minute[spill]])
        np.bitwise_or.at(
            packed, (member * rows + at) * size + word[on_day], bit[on_day]
        )
    levels: list[npt.NDArray[np.uint64]] = [packed.reshape(len(episodes), rows, size)]
    while 2 ** len(levels) <= max_width:
        half = 2 ** (len(levels) - 1)
        previous = levels[-1]
        levels.append(previous[:, :-half] | previous[:, half:])
    shape = (len(episodes), widths.shape[0], MINUTES_PER_DAY)
    weekdays = np.empty(shape, dtype=np.int64)
    weekends = np.empty(shape, dtype=np.int64)
    for row, width in enumerate(int(w) for w in widths):
        k = width.bit_length() - 1
        level = levels[k]
        shift = width - 2**k
        counts = np.bitwise_count(
            level[:, :MINUTES_PER_DAY] | level[:, shift : shift + MINUTES_PER_DAY]
        )
        weekdays[:, row] = counts[:, :, :split].sum(axis=2, dtype=np.int64)
        weekends[:, row] = counts[:, :, split:].sum(axis=2, dtype=np.int64)
    return weekdays, weekends


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


@dataclass(slots=True)
class _ClassData:
    """One day class of one entity and state: its days and mean chances."""

    day_class: DayClass
    in_class: BoolArray  # per observed day
    trials: int  # observed days of the class
    needed: int  # fewest support days of a routine, forming or established
    chance: FloatArray  # per window width in minutes (index), the mean chance
    coverage: FloatArray  # (day, width): each day's own chance


def _find_in_class(
    support: npt.NDArray[np.int64],
    data: _ClassData,
    absolute: IntArray,
    search: _Search,
) -> list[_Candidate]:
    """Return the candidate routines of one entity, state and day class.

    `support[i, s]`: the class's days with an episode in [s, s + widths[i]).
    Only candidates whose chance probability could survive the run's
    false-discovery control are kept.
    """
    widths, max_width = search.widths, search.max_width
    chance = data.chance[widths]
    # A window's score depends on its width and support only: a table of them.
    scores = _likelihood_ratio(np.arange(data.trials + 1)[None, :], data.trials, chance)
    # Row r of the table starts at r * (trials + 1) once flattened.
    offsets = np.arange(widths.shape[0])[:, None] * (data.trials + 1)
    score = scores.ravel().take(support + offsets)
    rate = search.settings.routine_false_discovery_rate
    found: list[_Candidate] = []
    for _ in range(MAX_CORES):
        row, column = np.unravel_index(int(np.argmax(score)), score.shape)
        if score[row, column] < search.core_score:
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
            _clear_overlapping(score, widths, first, size)
        if candidate.support < data.needed:
            continue
        candidate.day_chance = data.coverage[:, candidate.width].copy()
        candidate.probability = _chance_probability(candidate, data)
        if candidate.probability > rate:
            continue  # its adjusted probability can only be higher
        candidate.probability = max(
            candidate.probability,
            _clock_probability(candidate, support, data, search),
        )
        if candidate.probability > rate:
            continue
        if _stands_out(candidate, support, data, search):
            found.append(candidate)
    return found


def _clear_overlapping(
    score: FloatArray, widths: IntArray, first: int, size: int
) -> None:
    """Zero the score of every window overlapping [first, first + size), circularly.

    A window of width w starting at s overlaps it when s lies in
    [first - w + 1, first + size - 1]: one run of the clock per width, cleared
    as one or two slices.
    """
    for row, width in enumerate(int(w) for w in widths):
        length = size + width - 1
        if length >= MINUTES_PER_DAY:
            score[row] = 0.0
            continue
        start = (first - width + 1) % MINUTES_PER_DAY
        end = start + length
        score[row, start : min(end, MINUTES_PER_DAY)] = 0.0
        if end > MINUTES_PER_DAY:
            score[row, : end - MINUTES_PER_DAY] = 0.0


def _chance_probability(candidate: _Candidate, data: _ClassData) -> float:
    """Return how probably the entity's own days, shifted, would give the support.

    Each day of the class is hit with its own chance (`_day_coverage`); days
    without an episode cannot support a window and are left out, and a day
    supporting the window with its night's spill alone counts as a certain hit.
    """
    inside = data.in_class & (candidate.day_distance <= candidate.half_width)
    chance = data.coverage[:, candidate.width]
    active = data.in_class & (chance > 0)
    chances = np.concatenate(
        [chance[active], np.ones(int(np.count_nonzero(inside & ~active)))]
    )
    if candidate.support < float(chances.sum()) + 1:
        return 1.0
    return poisson_binomial_tail(candidate.support, chances)


def _width_row(width: int, search: _Search) -> int:
    """Return the row of the narrowest searched width at least `width`."""
    return min(int(np.searchsorted(search.widths, width)), search.widths.shape[0] - 1)


def _clock_probability(
    candidate: _Candidate,
    support: npt.NDArray[np.int64],
    data: _ClassData,
    search: _Search,
) -> float:
    """Return how probably the entity's typical time of day would give the support.

    The empirical null of the entity's own clock: a window of the same width at
    a typical time (the median over every start of the clock) holds the state on
    some share of the days; a routine must beat that share, not only chance
    spread over the whole day. A sensor busy through all its waking hours holds
    most of its windows on most days, so a window that happened to catch it a
    few days more is no routine; a breakfast among meals still stands far above
    the entity's typical window.
    """
    row = support[_width_row(candidate.width, search)]
    middle = row.shape[0] // 2
    # The median, by partial sorting (a full sort per candidate costs more).
    lower, upper = np.partition(row, (middle - 1, middle))[[middle - 1, middle]]
    typical = (float(lower) + float(upper)) / 2
    share = min(typical / max(data.trials, 1), 1.0)
    return binomial_tail(candidate.support, data.trials, share)


def _stands_out(
    candidate: _Candidate,
    support: npt.NDArray[np.int64],
    data: _ClassData,
    search: _Search,
) -> bool:
    """Tell whether the routine's window stands out from the entity's own clock.

    At most `max_routine_clock_share` of the clock may hold the state on nearly
    as many days of the class as the routine, counted at the narrowest searched
    width at least the routine's (`support`: per searched width and start), so
    an entity busy through all its waking hours has no time of its own.
    """
    row = _width_row(candidate.width, search)
    near = max(data.needed, math.ceil(CLOCK_NEAR_SHARE * candidate.support))
    share = float(np.count_nonzero(support[row] >= near)) / MINUTES_PER_DAY
    return share <= search.settings.max_routine_clock_share


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
    data: _ClassData,
    blockers: list[tuple[int, int]],
    max_width: int,
) -> _Candidate:
    """Return the routine around a core: its typical time and centred window.

    The window keeps the most support days above what chance would give; the
    typical time is the median of each supporting day's nearest episode, and the
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


# --- judging the run --------------------------------------------------------------


def _judge(  # noqa: PLR0913
    table: ChangeTable,
    groups: list[_Group],
    search: _Search,
    manual: BoolArray,
    timezone: tzinfo,
    first_day: IntArray,
) -> list[TimeOfDayPattern]:
    """Return the routines that survive the run's false-discovery control.

    Each survivor keeps one day class per routine and gets its level, evidence
    and the raw manual changes in its window.
    """
    settings = search.settings
    candidates = [c for g in groups for c in g.candidates]
    adjusted = benjamini_hochberg(
        np.asarray([c.probability for c in candidates], dtype=np.float64),
        search.hypotheses,
    )
    for candidate, value in zip(candidates, adjusted, strict=True):
        candidate.adjusted = float(value)
    kept: list[tuple[_Group, _Candidate]] = []
    for group in groups:
        discoveries = [
            c
            for c in group.candidates
            if c.adjusted <= settings.routine_false_discovery_rate
        ]
        kept.extend(
            (group, c)
            for c in _reconcile(
                discoveries,
                group.weekend,
                settings.min_confidence,
            )
        )
    raw = _raw_changes(table, [g for g, _ in kept], manual, timezone, first_day)
    levels = [_level(found, settings) for _, found in kept]
    patterns = [
        TimeOfDayPattern(
            pattern_id="",
            entity_id=table.entity_ids[group.entity],
            state=table.states[group.state],
            day_class=found.day_class,
            minute_of_day=found.minute,
            window_minutes=found.width,
            support_days=found.support,
            observed_days=found.observed,
            confidence=round(found.confidence, 4),
            level=level,
            evidence=evidence(found.adjusted),
            changes=_changes_in_window(found, raw[group.entity, group.state], group),
        )
        for (group, found), level in zip(kept, levels, strict=True)
        if level is not None
    ]
    patterns.sort(key=lambda p: (p.entity_id, p.state, p.minute_of_day))
    return patterns


def _level(found: _Candidate, settings: MiningSettings) -> PatternLevel | None:
    """Return established when the routine clears today's bar, else forming.

    None for a weak habit: under the bar and on too few of its days to be young.
    """
    if (
        found.confidence >= settings.min_confidence
        and found.observed >= settings.min_observed_days
    ):
        return PatternLevel.ESTABLISHED
    if found.support >= settings.min_forming_share * found.observed - 1e-9:
        return PatternLevel.FORMING
    return None


def _raw_changes(
    table: ChangeTable,
    groups: list[_Group],
    manual: BoolArray,
    timezone: tzinfo,
    first_day: IntArray,
) -> dict[tuple[int, int], IntArray]:
    """Return the minutes since their entity's first day of the manual changes.

    Only the (entity, state) of `groups` are looked up, in time order.
    """
    if not groups:
        return {}
    state_count = max(1, len(table.states))
    wanted = np.unique([g.entity * state_count + g.state for g in groups])
    chosen = np.flatnonzero(manual)
    key = table.entity[chosen].astype(np.int64) * state_count + table.state[chosen]
    chosen = chosen[np.isin(key, wanted)]
    key = table.entity[chosen].astype(np.int64) * state_count + table.state[chosen]
    day, minute = local_day_and_minute(table.when[chosen], timezone)
    absolute = (day - first_day[table.entity[chosen]]) * MINUTES_PER_DAY + minute
    return {divmod(int(k), state_count): absolute[key == k] for k in map(int, wanted)}


def _changes_in_window(found: _Candidate, absolute: IntArray, group: _Group) -> int:
    """Return the raw changes within the routine's window on its class's days."""
    offset = (absolute - found.minute) % MINUTES_PER_DAY
    after = offset <= found.half_width
    before = offset >= MINUTES_PER_DAY - found.half_width
    day = np.where(
        after,
        (absolute - found.minute - offset) // MINUTES_PER_DAY,
        (absolute - found.minute + MINUTES_PER_DAY - offset) // MINUTES_PER_DAY,
    )
    inside = (after | before) & (day >= 0) & (day < group.observed)
    in_class = _class_days(found.day_class, group.weekend)
    return int(np.count_nonzero(in_class[day[inside]]))


def _class_days(day_class: DayClass, weekend: BoolArray) -> BoolArray:
    if day_class is DayClass.WEEKDAYS:
        return ~weekend
    if day_class is DayClass.WEEKENDS:
        return weekend
    return np.ones(weekend.shape[0], dtype=np.bool_)


def _reconcile(
    found: list[_Candidate],
    weekend: BoolArray,
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
        preferred = _preferred_class(
            routine, weekend, routine.day_chance, min_confidence
        )
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
    chance: FloatArray,
    min_confidence: float,
) -> DayClass:
    """Return the day class a daily routine belongs to.

    Weekdays (or weekends) when, in the routine's window, they hold it clearly
    more often than the other days (a two-proportion z test) and the other days
    do not keep it at all: their support is neither a routine by the Wilson
    bound nor above what chance gives (`chance`: per day, the chance of a
    window of the routine's width; a binomial tail of DAY_CLASS_CHANCE).
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
    mean = float(chance[others].mean())
    if (
        wilson_lower(support, trials) >= min_confidence
        or binomial_tail(support, trials, mean) <= DAY_CLASS_CHANCE
    ):
        return DayClass.DAILY
    return preferred
