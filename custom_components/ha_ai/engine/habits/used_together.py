"""Things used together: after A goes to a state by hand, B follows by hand.

A pair A -> B holds when, after A goes to a state, B goes to one within
`pair_max_delay` (strictly later: changes in the same second are one action, such
as a group or a scene) more often than chance would make it, on several days.
Both changes must be manual: a person switching B right after A is the habit
worth automating; B following A because an automation does it is already
automated. A may be any entity (a motion sensor, a door, a person coming home);
B must be actionable (a light, a switch, a cover...).

What is counted are episodes (see `episodes`): a cupboard opened five times
while cooking is one use, so one afternoon's burst weighs as one, not as many
independent chances. For each pair:

- `count`: A's episodes followed by B; `confidence` = count / A's episodes;
- `reverse_confidence`: the share of B's episodes that A preceded within the
  delay ("B is nearly always preceded by A");
- `distinct_days`: the local days on which B followed A (a pair needs
  `min_pair_days`, so no single day's burst makes one);
- `lift`: confidence over what chance gives, and `evidence`: how unlikely chance
  makes the count, as -log10 of the probability after false-discovery control.

Chance: B's episodes happening regardless of A. The share of moments followed by
one of B's episodes within the delay (the union of the windows before each, over
the time B's entity was seen) is B's base rate; so that two lights both used in
the evening are not a pair for that alone, the rate is also taken per hour of
the local clock (smoothed over the neighbouring hours), and A's episodes are
given the larger of the two at their hour. The count of A's episodes followed is
then held against a binomial with that mean (an upper bound of the chance
probability, Hoeffding). The reverse view is tested the same way with A's rate.
Both views of every (A, B) combination tested are hypotheses, and
Benjamini-Hochberg keeps false discoveries at `max_pair_false_discovery` over
them all, so the gate adapts to the size of the house and of its history.

A pair is reported for its forward view (A -> B would make an automation) when
it is significant, B followed A on at least `min_pair_days` days, and the
confidence and lift reach `min_pair_confidence` and `min_pair_lift`. Otherwise it
is reported for its reverse view alone (`reverse_only`, a fact to show, never a
suggestion) when that view is significant, on as many days, with a reverse
confidence of at least `min_reverse_confidence`. It is established with
`established_pair_days` days and `min_pair_count` episodes, forming before.

Pairs of one device are not reported: the same entity, entities whose object ids
are equal (`light.kitchen` and `switch.kitchen`: one device exposing two
entities), and whatever `same_device` (Home Assistant's device registry) says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import numpy as np
import numpy.typing as npt

from .co_occurrence import count_couples, follow_up
from .episodes import find_episodes
from .false_discovery import benjamini_hochberg_log10
from .model import (
    ChangeTable,
    MiningSettings,
    Origin,
    PatternLevel,
    UsedTogetherPattern,
)
from .time_of_day import local_day_and_minute

# Domains whose entities a person or an automation acts on: B must be one, so
# sensor-to-sensor couples (a motion sensor and a door, a person and the sun)
# never make a pair, while a sensor may lead (motion, then the hall light).
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
HOURS = 24
SECONDS_PER_HOUR = 3600
NEVER = np.iinfo(np.int64).min // 4
LATER = np.iinfo(np.int64).max // 4
# Chance rates are kept inside (0, 1) so that logarithms stay finite.
LEAST_RATE = 1e-9
HALF = math.log10(0.5)

type IntArray = npt.NDArray[np.int64]
type FloatArray = npt.NDArray[np.float64]
type BoolArray = npt.NDArray[np.bool_]
type SameDevice = Callable[[str, str], bool]


def object_id(entity_id: str) -> str:
    """Return what follows the domain in an entity id."""
    return entity_id.partition(".")[2]


def domain(entity_id: str) -> str:
    """Return an entity id's domain."""
    return entity_id.partition(".")[0]


def same_object_id(first: str, second: str) -> bool:
    """Tell whether two entities look like one device: equal object ids."""
    return object_id(first) == object_id(second)


def find_used_together_patterns(
    table: ChangeTable,
    *,
    settings: MiningSettings,
    end: datetime | None = None,
    timezone: tzinfo | None = None,
    same_device: SameDevice | None = None,
) -> list[UsedTogetherPattern]:
    """Return the pairs A -> B in the table's manual changes (before `end`).

    Days are counted in `timezone` (UTC by default). `same_device(a, b)`, when
    given, tells which entities belong to one device; equal object ids always
    count as one device.
    """
    starts = _Starts.of(
        table,
        settings,
        int(end.timestamp()) if end is not None else None,
        timezone or UTC,
    )
    if starts is None:
        return []
    delay = max(1, int(settings.pair_max_delay.total_seconds()))
    lead, follow = _candidates(starts, settings, delay)
    names = [table.entity_ids[e] for e in _ints(starts.entity_of)]
    distinct = [
        not same_object_id(names[a], names[b])
        and not (same_device is not None and same_device(names[a], names[b]))
        for a, b in zip(_ints(lead), _ints(follow), strict=True)
    ]
    lead, follow = lead[distinct], follow[distinct]
    judged = _judge(starts, settings, delay, lead, follow)
    patterns = [
        UsedTogetherPattern(
            pattern_id="",
            trigger_entity_id=names[a],
            trigger_state=table.states[starts.state_of[a]],
            entity_id=names[b],
            state=table.states[starts.state_of[b]],
            count=view.count,
            confidence=round(view.confidence, 4),
            lift=round(view.lift, 2),
            median_delay_seconds=float(np.median(view.delays)),
            delay_spread_seconds=float(
                np.percentile(view.delays, 75) - np.percentile(view.delays, 25)
            ),
            level=view.level,
            evidence=round(view.evidence, 2),
            distinct_days=view.days,
            reverse_confidence=round(view.reverse_confidence, 4),
            reverse_only=view.reverse_only,
        )
        for a, b, view in judged
    ]
    patterns.sort(
        key=lambda p: (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
    )
    return patterns


@dataclass(frozen=True, slots=True, kw_only=True)
class _Starts:
    """Episode starts of the (entity, state) groups frequent enough to pair.

    Groups are numbered densely; `follows[g]` tells whether group g may follow
    (its entity is actionable). Per group: its entity and state, its episodes,
    its entity's first change (any origin) and, for chance, the share of moments
    that one of its episodes follows (`before_*`) or precedes (`after_*`) within
    the delay, over the whole period and per local hour of the clock.
    """

    time: IntArray  # every start, in time order
    group: IntArray
    hour: IntArray  # local hour of the day
    day: IntArray  # local day number
    entity_of: IntArray  # per group
    state_of: list[int]
    size: IntArray  # episodes per group
    follows: BoolArray
    hours: FloatArray  # per group x hour, its episodes at that hour
    before: FloatArray  # per group x hour, chance of following (global or local)
    after: FloatArray  # per group x hour, chance of preceding
    before_overall: FloatArray  # per group, over the whole period
    after_overall: FloatArray
    by_group: IntArray  # start indices grouped by group, time order kept
    bounds: IntArray  # group g's starts are by_group[bounds[g]:bounds[g + 1]]

    @classmethod
    def of(
        cls,
        table: ChangeTable,
        settings: MiningSettings,
        end: int | None,
        timezone: tzinfo,
    ) -> _Starts | None:
        """Return the table's episode starts that may pair, or None without any."""
        if len(table) == 0:
            return None
        end = int(table.when.max()) + 1 if end is None else end
        manual = (table.origin == Origin.MANUAL) & (table.when < end)
        gap = int(settings.episode_gap.total_seconds())
        index = find_episodes(table, manual, gap).index
        states = max(1, len(table.states))
        groups, inverse, sizes = np.unique(
            table.entity[index].astype(np.int64) * states + table.state[index],
            return_inverse=True,
            return_counts=True,
        )
        least = max(1, min(settings.min_pair_count, settings.min_pair_days))
        frequent = sizes >= least
        actionable = np.asarray(
            [domain(e) in ACTIONABLE_DOMAINS for e in table.entity_ids], dtype=np.bool_
        )
        follows = actionable[groups[frequent] // states]
        if not follows.any():
            return None
        kept = frequent[inverse]
        group = (np.cumsum(frequent, dtype=np.int64) - 1)[inverse[kept]]
        time = table.when[index[kept]]
        day, minute = local_day_and_minute(time, timezone)
        hour = minute // 60
        count = int(np.count_nonzero(frequent))
        entity_of = groups[frequent] // states
        seen, first_index = np.unique(_narrow(table.entity), return_index=True)
        first_seen = np.zeros(len(table.entity_ids), dtype=np.int64)
        first_seen[seen] = table.when[first_index]
        first = first_seen[entity_of]
        span = np.maximum(end - first, 1).astype(np.float64)
        by_group = np.argsort(_narrow(group), kind="stable")
        bounds = np.zeros(count + 1, dtype=np.int64)
        bounds[1:] = np.cumsum(np.bincount(group, minlength=count))
        delay = max(1, int(settings.pair_max_delay.total_seconds()))
        previous, following = _neighbours(time, by_group, bounds)
        reach_before = np.minimum(
            delay, time - np.maximum(previous, first[group])
        ).astype(np.float64)
        reach_after = np.minimum(delay, np.minimum(following, end) - time).astype(
            np.float64
        )
        before_overall, before = _chance(group, hour, reach_before, span, count)
        after_overall, after = _chance(group, hour, reach_after, span, count)
        return cls(
            time=time,
            group=group,
            hour=hour,
            day=day,
            entity_of=entity_of,
            state_of=(groups[frequent] % states).tolist(),
            size=sizes[frequent].astype(np.int64),
            follows=follows,
            hours=np.bincount(group * HOURS + hour, minlength=count * HOURS)
            .reshape(count, HOURS)
            .astype(np.float64),
            before=before,
            after=after,
            before_overall=before_overall,
            after_overall=after_overall,
            by_group=by_group,
            bounds=bounds,
        )

    def of_group(self, group: int) -> IntArray:
        """Return the indices of a group's starts, in time order."""
        return self.by_group[self.bounds[group] : self.bounds[group + 1]]


def _ints(values: npt.NDArray[np.signedinteger[Any]]) -> list[int]:
    """Return an integer array as a list of ints."""
    return [int(v) for v in values]


def _narrow(
    values: npt.NDArray[np.signedinteger[Any]],
) -> npt.NDArray[np.signedinteger[Any]]:
    """Return small non-negative integers as int16, which numpy sorts in one pass."""
    if values.shape[0] and int(values.max()) < np.iinfo(np.int16).max:
        return values.astype(np.int16)
    return values


def _neighbours(
    time: IntArray, by_group: IntArray, bounds: IntArray
) -> tuple[IntArray, IntArray]:
    """Return per start the time of its group's start before and after it."""
    ordered = time[by_group]
    previous = np.full(time.shape[0], NEVER, dtype=np.int64)
    following = np.full(time.shape[0], LATER, dtype=np.int64)
    same = np.ones(max(0, ordered.shape[0] - 1), dtype=np.bool_)
    same[bounds[1:-1][bounds[1:-1] > 0] - 1] = False  # a group's last, then next's
    previous[by_group[1:][same]] = ordered[:-1][same]
    following[by_group[:-1][same]] = ordered[1:][same]
    return previous, following


def _chance(
    group: IntArray, hour: IntArray, reach: FloatArray, span: FloatArray, count: int
) -> tuple[FloatArray, FloatArray]:
    """Return the share of moments a group's window covers, overall and per hour.

    `reach` is each start's window (cut where the one before ends); per hour the
    share is smoothed over the neighbouring hours (1-2-1) and never below the
    overall share, so chance is never made smaller than the plain base rate.
    """
    overall = np.bincount(group, weights=reach, minlength=count) / span
    hourly = np.bincount(
        group * HOURS + hour, weights=reach, minlength=count * HOURS
    ).reshape(count, HOURS) / (span[:, None] / HOURS)
    smooth = (np.roll(hourly, 1, axis=1) + 2 * hourly + np.roll(hourly, -1, axis=1)) / 4
    overall = np.clip(overall, LEAST_RATE, 1 - LEAST_RATE)
    local = np.clip(np.maximum(smooth, overall[:, None]), LEAST_RATE, 1 - LEAST_RATE)
    return overall, local


def _candidates(
    starts: _Starts, settings: MiningSettings, delay: int
) -> tuple[IntArray, IntArray]:
    """Return the (A group, B group) combinations that may turn out pairs.

    The couples of every combination bound from above both how many of A's
    episodes B followed and how many of B's A preceded; held against the plain
    base rates (at most the chance used later), they give a lower bound of each
    view's chance probability, hence of its adjusted value. Combinations that
    cannot pass even so are left out.
    """
    groups = starts.size.shape[0]
    follower = np.flatnonzero(starts.follows[starts.group])
    # Couples bound both counts, so a view needs at least this many of them.
    lead_least = settings.min_pair_confidence * starts.size
    follow_least = settings.min_reverse_confidence * starts.size

    def least(keys: IntArray) -> IntArray:
        lead, follow = np.divmod(keys, groups)
        need = np.maximum(
            settings.min_pair_days,
            np.ceil(np.minimum(lead_least[lead], follow_least[follow])),
        ).astype(np.int64)
        need[starts.entity_of[lead] == starts.entity_of[follow]] = LATER
        return np.asarray(need, dtype=np.int64)

    keys, couples = count_couples(
        starts.time,
        starts.group * groups,
        starts.time[follower],
        starts.group[follower],
        delay,
        groups * groups,
        least,
    )
    lead, follow = np.divmod(keys, groups)
    factorials = _log10_factorials(int(starts.size.max()))
    forward = _log10_tail_lower(
        np.minimum(couples, starts.size[lead]),
        starts.size[lead],
        starts.before_overall[follow],
        factorials,
    )
    reverse = _log10_tail_lower(
        np.minimum(couples, starts.size[follow]),
        starts.size[follow],
        starts.after_overall[lead],
        factorials,
    )
    gate = math.log10(settings.max_pair_false_discovery)
    # An adjusted value is never below its p-value, so only views under the gate
    # are adjusted; the others stand for 1, which can only raise the rest.
    views = np.concatenate(
        [
            np.where(
                couples >= settings.min_pair_confidence * starts.size[lead],
                forward,
                0.0,
            ),
            np.where(
                couples >= settings.min_reverse_confidence * starts.size[follow],
                reverse,
                0.0,
            ),
        ]
    )
    may = np.flatnonzero(views <= gate)
    passed = may[benjamini_hochberg_log10(views[may], _hypotheses(starts)) <= gate]
    keep = np.unique(passed % lead.shape[0])
    return lead[keep], follow[keep]


def _hypotheses(starts: _Starts) -> int:
    """Return how many views are tested: two per (A, B) of different entities."""
    combinations = starts.size.shape[0] * int(np.count_nonzero(starts.follows))
    per_entity = np.bincount(starts.entity_of)
    following = np.bincount(starts.entity_of[starts.follows], minlength=len(per_entity))
    same_entity = int(np.dot(per_entity, following))
    return 2 * max(1, combinations - same_entity)


@dataclass(frozen=True, slots=True)
class _View:
    """What is reported of a pair: its forward view, or its reverse view alone."""

    count: int
    confidence: float
    lift: float
    reverse_confidence: float
    days: int
    evidence: float
    level: PatternLevel
    reverse_only: bool
    delays: IntArray


def _judge(
    starts: _Starts,
    settings: MiningSettings,
    delay: int,
    lead: IntArray,
    follow: IntArray,
) -> list[tuple[int, int, _View]]:
    """Return the candidates that are pairs, with what is reported of each."""
    if lead.shape[0] == 0:
        return []
    followed: list[int] = []
    preceded: list[int] = []
    followed_days: list[int] = []
    preceded_days: list[int] = []
    delays: list[IntArray] = []
    for a, b in zip(_ints(lead), _ints(follow), strict=True):
        leads, follows = starts.of_group(a), starts.of_group(b)
        found = follow_up(starts.time[leads], starts.time[follows], delay)
        followed.append(int(np.count_nonzero(found.followed)))
        preceded.append(int(np.count_nonzero(found.preceded)))
        followed_days.append(np.unique(starts.day[leads[found.followed]]).shape[0])
        preceded_days.append(np.unique(starts.day[follows[found.preceded]]).shape[0])
        delays.append(found.delays)
    k = np.asarray(followed, dtype=np.int64)
    k_back = np.asarray(preceded, dtype=np.int64)
    n, n_back = starts.size[lead], starts.size[follow]
    # Chance per view: the rate at the hour of each episode, averaged.
    chance = np.einsum("ij,ij->i", starts.hours[lead], starts.before[follow]) / n
    chance_back = (
        np.einsum("ij,ij->i", starts.hours[follow], starts.after[lead]) / n_back
    )
    factorials = _log10_factorials(int(starts.size.max()))
    adjusted = benjamini_hochberg_log10(
        np.concatenate(
            [
                _log10_tail_upper(k, n, chance, factorials),
                _log10_tail_upper(k_back, n_back, chance_back, factorials),
            ]
        ),
        _hypotheses(starts),
    )
    count = lead.shape[0]
    gate = math.log10(settings.max_pair_false_discovery)
    confidence, back = k / n, k_back / n_back
    lift, lift_back = confidence / chance, back / chance_back
    days = np.asarray(followed_days, dtype=np.int64)
    days_back = np.asarray(preceded_days, dtype=np.int64)
    forward_good = (
        (adjusted[:count] <= gate)
        & (days >= settings.min_pair_days)
        & (confidence >= settings.min_pair_confidence)
        & (lift >= settings.min_pair_lift)
    )
    reverse_good = (
        (adjusted[count:] <= gate)
        & (days_back >= settings.min_pair_days)
        & (back >= settings.min_reverse_confidence)
        & (lift_back >= settings.min_pair_lift)
    )
    judged: list[tuple[int, int, _View]] = []
    for i in _ints(np.flatnonzero(forward_good | reverse_good)):
        forward = bool(forward_good[i])
        seen_days = int(days[i] if forward else days_back[i])
        episodes = int(k[i] if forward else k_back[i])
        established = (
            seen_days >= settings.established_pair_days
            and episodes >= settings.min_pair_count
        )
        view = _View(
            count=int(k[i]),
            confidence=float(confidence[i]),
            lift=float(lift[i]),
            reverse_confidence=float(back[i]),
            days=seen_days,
            evidence=-float(adjusted[i] if forward else adjusted[count + i]),
            level=PatternLevel.ESTABLISHED if established else PatternLevel.FORMING,
            reverse_only=not forward,
            delays=delays[i],
        )
        judged.append((int(lead[i]), int(follow[i]), view))
    return judged


# --- chance ---------------------------------------------------------------------


def _log10_factorials(largest: int) -> FloatArray:
    """Return log10(k!) for k = 0..largest."""
    logs = np.zeros(largest + 1, dtype=np.float64)
    logs[1:] = np.cumsum(np.log10(np.arange(1, largest + 1, dtype=np.float64)))
    return logs


def _log10_pmf(
    k: IntArray, n: IntArray, p: FloatArray, factorials: FloatArray
) -> FloatArray:
    """Return log10 P(X = k) for X ~ Binomial(n, p), elementwise."""
    return np.asarray(
        factorials[n]
        - factorials[k]
        - factorials[n - k]
        + k * np.log10(p)
        + (n - k) * np.log10(1 - p),
        dtype=np.float64,
    )


def _log10_tail_upper(
    k: IntArray, n: IntArray, p: FloatArray, factorials: FloatArray
) -> FloatArray:
    """Return an upper bound of log10 P(X >= k), X ~ Binomial(n, p), elementwise.

    Above the mean the terms fall at least geometrically, by at most
    r = (n - k) p / ((k + 1)(1 - p)) from P(X = k) on: the tail is at most
    P(X = k) / (1 - r). Where r is not below 1, the bound is 1.
    """
    p = np.clip(p, LEAST_RATE, 1 - LEAST_RATE)
    k = np.minimum(k, n)
    ratio = (n - k) * p / ((k + 1) * (1 - p))
    falling = (ratio < 1) & (k > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = _log10_pmf(k, n, p, factorials) - np.log10(1 - ratio)
    return np.where(falling, np.minimum(bound, 0.0), 0.0)


def _log10_tail_lower(
    k: IntArray, n: IntArray, p: FloatArray, factorials: FloatArray
) -> FloatArray:
    """Return a lower bound of log10 P(X >= k), X ~ Binomial(n, p), elementwise.

    P(X = k) above the mean; at or below it, a half (a binomial's median is at
    least the floor of its mean).
    """
    p = np.clip(p, LEAST_RATE, 1 - LEAST_RATE)
    above = k > np.floor(n * p)
    return np.where(above, _log10_pmf(k, n, p, factorials), HALF)
