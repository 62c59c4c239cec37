"""Things used together: after A goes to a state by hand, B follows by hand.

A pair A -> B holds when, after A goes to a state, B goes to one within
`pair_max_delay` (strictly later: changes in the same second are one action, such
as a group or a scene) more often than chance would make it, on several days.
Both changes must be manual: a person switching B right after A is the habit
worth automating; B following A because an automation does it is already
automated. A may be any entity (a motion sensor, a door, a person coming home);
B must be actionable (a light, a switch, a cover...).

What is counted are uses, not raw changes (see `episodes`): a cupboard opened
five times while cooking is one use, so one afternoon's burst weighs as one, not
as many independent chances. Forward, the uses of A (the change that opens an
episode of A, when it is to A's state) that any change of B to its state
followed; in reverse, B's episode starts (the first change to B's state in an
episode of B) that any change of A to its state preceded. For each pair:

- `count`: A's uses followed by B; `confidence` = count / A's uses;
- `reverse_confidence`: the share of B's episode starts that A preceded ("B is
  nearly always preceded by A");
- `distinct_days`: the local days on which B followed A (a pair needs
  `min_pair_days`, so no single day's burst makes one);
- `lift`: confidence over what chance gives within the delay, or within the
  narrower window that holds nine in ten of the pair's delays when that is
  higher (so a pair whose B comes within a minute stays clear of chance under a
  ten-minute delay setting);
- `evidence`: how unlikely chance makes the count, as -log10 of the probability
  after false-discovery control.

Chance: B changing regardless of A. The share of moments followed by a change of
B to its state within the delay (the union of the windows before each, over the
time B was seen: a burst covers its span once) is B's base rate; so that two
lights both used in the evening are not a pair for that alone, the rate is also
taken per hour of the local clock (smoothed over the neighbouring hours), and
each use of A is given the larger of the two at its hour. The count of A's uses
followed is held against a binomial with that mean (an upper bound of the chance
probability, Hoeffding). The reverse view is tested the same way with A's rate.
Both views of every (A, B) combination tested are hypotheses, and
Benjamini-Hochberg keeps false discoveries at `max_pair_false_discovery` over
them all, so the gate adapts to the size of the house and of its history.

A pair is reported for its forward view (A -> B would make an automation) when
that view is significant and its confidence and lift reach `min_pair_confidence`
and `min_pair_lift`; otherwise for its reverse view alone (`reverse_only`, a fact
to show, never a suggestion) when that view is significant with a reverse
confidence of at least `min_reverse_confidence` and the same lift. Either way B
must have followed A on `min_pair_days` distinct days. A pair is established
from `established_pair_days` days and `min_pair_count` counted uses, forming
before.

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
from .episodes import Episodes, find_episodes
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
NEVER = np.iinfo(np.int64).min // 4
LATER = np.iinfo(np.int64).max // 4
# Chance rates are kept inside (0, 1) so that logarithms stay finite.
LEAST_RATE = 1e-9
HALF = math.log10(0.5)
# Marks of a change: it opens an episode (a use), it is the first to its state in
# one (a start).
START, USE = 1, 2
# Share of a pair's delays the window of its tight lift holds.
TIGHT_SHARE = 0.9
# (entity, state) keys below this are numbered with a lookup table.
DENSE_GROUP_KEYS = 1 << 22

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


def find_used_together_patterns(  # noqa: PLR0913
    table: ChangeTable,
    *,
    settings: MiningSettings,
    end: datetime | None = None,
    timezone: tzinfo | None = None,
    same_device: SameDevice | None = None,
    episodes: Episodes | None = None,
) -> list[UsedTogetherPattern]:
    """Return the pairs A -> B in the table's manual changes (before `end`).

    Days are counted in `timezone` (UTC by default). `same_device(a, b)`, when
    given, tells which entities belong to one device; equal object ids always
    count as one device. `episodes` are those of the manual changes before `end`
    (`settings.episode_gap`), when the caller has them already.
    """
    history = _History.of(
        table,
        settings,
        int(end.timestamp()) if end is not None else None,
        timezone or UTC,
        episodes,
    )
    if history is None:
        return []
    delay = max(1, int(settings.pair_max_delay.total_seconds()))
    lead, follow = _candidates(history, settings, delay)
    names = [table.entity_ids[e] for e in _ints(history.entity_of)]
    distinct = [
        not same_object_id(names[a], names[b])
        and not (same_device is not None and same_device(names[a], names[b]))
        for a, b in zip(_ints(lead), _ints(follow), strict=True)
    ]
    judged = _judge(history, settings, delay, lead[distinct], follow[distinct])
    patterns = [
        UsedTogetherPattern(
            pattern_id="",
            trigger_entity_id=names[a],
            trigger_state=table.states[history.state_of[a]],
            entity_id=names[b],
            state=table.states[history.state_of[b]],
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
class _History:
    """The manual changes of the (entity, state) groups that may pair.

    A group may lead when its entity's uses open in its state at least
    `min_pair_days` times (or `min_pair_count`, when fewer), follow when its
    entity is actionable and it has as many episode starts. Groups are numbered
    densely. The changes are kept in time order with, for each, whether it opens
    an episode (a use) or is the first to its state in one (a start). For chance,
    per group and local hour: the share of moments that one of its changes
    follows (`before`) or precedes (`after`) within the delay, never below the
    share over the whole period (`*_overall`).
    """

    time: IntArray
    group: IntArray
    day: npt.NDArray[np.int32]  # local day number
    is_use: BoolArray
    is_start: BoolArray
    by_group: IntArray  # change indices grouped by group, time order kept
    bounds: IntArray  # group g's are by_group[bounds[g]:bounds[g + 1]]
    entity_of: IntArray  # per group
    state_of: list[int]
    leads: BoolArray
    follows: BoolArray
    use_count: IntArray
    start_count: IntArray
    use_hours: FloatArray  # per group x local hour, uses
    start_hours: FloatArray
    before: FloatArray
    after: FloatArray
    before_overall: FloatArray
    after_overall: FloatArray
    hour: npt.NDArray[np.int8]  # local hour of each change
    free_before: npt.NDArray[np.int32]  # seconds since its group's change before
    free_after: npt.NDArray[np.int32]  # seconds to its group's change after
    span: FloatArray  # per group, seconds from its entity's first change to the end

    @classmethod
    def of(
        cls,
        table: ChangeTable,
        settings: MiningSettings,
        end: int | None,
        timezone: tzinfo,
        episodes: Episodes | None = None,
    ) -> _History | None:
        """Return the table's changes that may pair, or None without any."""
        if len(table) == 0:
            return None
        end = int(table.when.max()) + 1 if end is None else end
        rows, is_use, is_start = _marked(
            table, end, int(settings.episode_gap.total_seconds()), episodes
        )
        states = max(1, len(table.states))
        keys, row_key = _numbered(
            table.entity[rows].astype(np.int64) * states + table.state[rows]
        )
        use_count = np.bincount(row_key[is_use], minlength=keys.shape[0])
        start_count = np.bincount(row_key[is_start], minlength=keys.shape[0])
        least = max(1, min(settings.min_pair_count, settings.min_pair_days))
        actionable = np.asarray(
            [domain(e) in ACTIONABLE_DOMAINS for e in table.entity_ids], dtype=np.bool_
        )
        leads = use_count >= least
        follows = (start_count >= least) & actionable[keys // states]
        if not follows.any() or not leads.any():
            return None
        kept = leads | follows
        count = int(np.count_nonzero(kept))
        own = kept[row_key]
        group = (np.cumsum(kept, dtype=np.int64) - 1)[row_key[own]]
        del row_key
        rows, is_use, is_start = rows[own], is_use[own], is_start[own]
        time = table.when[rows]
        entity_of = keys[kept] // states
        day, minute = local_day_and_minute(time, timezone)
        hour = minute // 60
        del minute
        by_group = np.argsort(_narrow(group), kind="stable")
        bounds = np.zeros(count + 1, dtype=np.int64)
        bounds[1:] = np.cumsum(np.bincount(group, minlength=count))
        seen, first_index = np.unique(_narrow(table.entity), return_index=True)
        first_seen = np.zeros(len(table.entity_ids), dtype=np.int64)
        first_seen[seen] = table.when[first_index]
        first = first_seen[entity_of]
        span = np.maximum(end - first, 1).astype(np.float64)
        delay = max(1, int(settings.pair_max_delay.total_seconds()))
        previous, following = _neighbours(time, by_group, bounds)
        # Free time before and after each change (to its group's neighbour, the
        # entity's first change, the end), within a day or so: windows are short.
        room = np.iinfo(np.int32).max
        free_before = np.minimum(time - np.maximum(previous, first[group]), room)
        free_after = np.minimum(np.minimum(following, end) - time, room)
        del previous, following
        before_overall, before = _chance(
            group, hour, np.minimum(free_before, delay), span
        )
        after_overall, after = _chance(group, hour, np.minimum(free_after, delay), span)
        return cls(
            time=time,
            group=group,
            day=day.astype(np.int32),
            is_use=is_use,
            is_start=is_start,
            by_group=by_group,
            bounds=bounds,
            entity_of=entity_of,
            state_of=_ints(keys[kept] % states),
            leads=leads[kept],
            follows=follows[kept],
            use_count=use_count[kept],
            start_count=start_count[kept],
            use_hours=_per_hour(group[is_use], hour[is_use], count),
            start_hours=_per_hour(group[is_start], hour[is_start], count),
            before=before,
            after=after,
            before_overall=before_overall,
            after_overall=after_overall,
            hour=hour.astype(np.int8),
            free_before=free_before.astype(np.int32),
            free_after=free_after.astype(np.int32),
            span=span,
        )

    def of_group(self, group: int) -> IntArray:
        """Return the indices of a group's changes, in time order."""
        return self.by_group[self.bounds[group] : self.bounds[group + 1]]

    def chance_within(
        self, group: int, window: int, hours: FloatArray, *, before: bool
    ) -> float:
        """Return a group's chance within a shorter window, at the hours given.

        As `before` (or `after`), for a window narrower than the delay: the share
        of moments one of the group's changes follows (or precedes) within
        `window`, per local hour, averaged with the weights `hours`.
        """
        changes = self.of_group(group)
        free = (self.free_before if before else self.free_after)[changes]
        reach = np.minimum(free, window).astype(np.float64)
        span = self.span[group : group + 1]
        zero = np.zeros(changes.shape[0], dtype=np.int64)
        _, local = _chance(zero, self.hour[changes].astype(np.int64), reach, span)
        return float(np.dot(hours, local[0]) / max(hours.sum(), 1.0))


def _marked(
    table: ChangeTable, end: int, gap: int, episodes: Episodes | None
) -> tuple[IntArray, BoolArray, BoolArray]:
    """Return the manual changes before `end` and which are uses, which starts."""
    manual = (table.origin == Origin.MANUAL) & (table.when < end)
    if episodes is None:
        episodes = find_episodes(table, manual, gap)
    marks = np.zeros(len(table), dtype=np.int8)
    marks[episodes.index] = START
    # A use opens an episode: the episode's earliest start (starts are in time
    # order, so the least position of each episode number).
    opening = np.full(int(episodes.episode.max(initial=-1)) + 1, len(episodes))
    np.minimum.at(opening, episodes.episode, np.arange(len(episodes)))
    marks[episodes.index[opening]] = START | USE
    rows = np.flatnonzero(manual)
    kept = marks[rows]
    return rows, (kept & USE) > 0, (kept & START) > 0


def _numbered(keys: IntArray) -> tuple[IntArray, IntArray]:
    """Return the distinct keys, sorted, and each key's number among them.

    A lookup table when the keys are small (entity x state), a sort otherwise.
    """
    if keys.shape[0] and int(keys.max()) < DENSE_GROUP_KEYS:
        present = np.bincount(keys) > 0
        distinct = np.flatnonzero(present)
        number = np.cumsum(present, dtype=np.int64) - 1
        return distinct, number[keys]
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct, inverse.astype(np.int64)


def _per_hour(group: IntArray, hour: IntArray, count: int) -> FloatArray:
    """Return per group x local hour how many of the changes given it has."""
    tally = np.bincount(group * HOURS + hour, minlength=count * HOURS)
    return tally.reshape(count, HOURS).astype(np.float64)


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
    """Return per change the time of its group's change before and after it."""
    ordered = time[by_group]
    previous = np.full(ordered.shape[0], NEVER, dtype=np.int64)
    following = np.full(ordered.shape[0], LATER, dtype=np.int64)
    same = np.ones(max(0, ordered.shape[0] - 1), dtype=np.bool_)
    inner = bounds[1:-1]
    same[inner[(inner > 0) & (inner < ordered.shape[0])] - 1] = False
    previous[by_group[1:][same]] = ordered[:-1][same]
    following[by_group[:-1][same]] = ordered[1:][same]
    return previous, following


def _chance(
    group: IntArray,
    hour: IntArray,
    reach: npt.NDArray[np.number[Any]],
    span: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Return the share of moments a group's windows cover, overall and per hour.

    `reach` is each change's window (cut where its group's neighbour's ends); per
    hour the share is smoothed over the neighbouring hours (1-2-1) and never
    below the overall share, so chance is never made smaller than the plain
    base rate.
    """
    count = span.shape[0]
    overall = np.bincount(group, weights=reach, minlength=count) / span
    hourly = np.bincount(
        group * HOURS + hour, weights=reach, minlength=count * HOURS
    ).reshape(count, HOURS) / (span[:, None] / HOURS)
    smooth = (np.roll(hourly, 1, axis=1) + 2 * hourly + np.roll(hourly, -1, axis=1)) / 4
    overall = np.clip(overall, LEAST_RATE, 1 - LEAST_RATE)
    local = np.clip(np.maximum(smooth, overall[:, None]), LEAST_RATE, 1 - LEAST_RATE)
    return overall, local


def _candidates(
    history: _History, settings: MiningSettings, delay: int
) -> tuple[IntArray, IntArray]:
    """Return the (A group, B group) combinations that may turn out pairs.

    The couples (a change of A, a change of B within the delay after it) of every
    combination bound from above both how many of A's uses B followed and how
    many of B's starts A preceded; held against the plain base rates (at most
    the chance used later), they give a lower bound of each view's chance
    probability, hence of its adjusted value. Combinations that cannot pass even
    so are left out.
    """
    groups = history.entity_of.shape[0]
    leader = history.leads[history.group]
    follower = history.follows[history.group]
    # Couples bound both counts, so a view needs at least this many of them.
    lead_least = settings.min_pair_confidence * history.use_count
    follow_least = settings.min_reverse_confidence * history.start_count

    def least(keys: IntArray) -> IntArray:
        lead, follow = np.divmod(keys, groups)
        need = np.maximum(
            settings.min_pair_days,
            np.ceil(np.minimum(lead_least[lead], follow_least[follow])),
        ).astype(np.int64)
        need[history.entity_of[lead] == history.entity_of[follow]] = LATER
        return np.asarray(need, dtype=np.int64)

    keys, couples = count_couples(
        *_kept(leader, history.time, history.group),
        *_kept(follower, history.time, history.group),
        delay,
        groups,
        least,
    )
    lead, follow = np.divmod(keys, groups)
    uses, starts = history.use_count[lead], history.start_count[follow]
    factorials = _log10_factorials(int(max(uses.max(initial=0), starts.max(initial=0))))
    forward = _log10_tail_lower(
        np.minimum(couples, uses), uses, history.before_overall[follow], factorials
    )
    reverse = _log10_tail_lower(
        np.minimum(couples, starts), starts, history.after_overall[lead], factorials
    )
    gate = math.log10(settings.max_pair_false_discovery)
    # An adjusted value is never below its p-value, so only views under the gate
    # are adjusted; the others stand for 1, which can only raise the rest.
    views = np.concatenate(
        [
            np.where(couples >= lead_least[lead], forward, 0.0),
            np.where(couples >= follow_least[follow], reverse, 0.0),
        ]
    )
    may = np.flatnonzero(views <= gate)
    passed = may[benjamini_hochberg_log10(views[may], _hypotheses(history)) <= gate]
    keep = np.unique(passed % max(1, lead.shape[0]))
    return lead[keep], follow[keep]


def _kept(
    mask: BoolArray, time: IntArray, group: IntArray
) -> tuple[IntArray, IntArray]:
    """Return times and groups where `mask` holds, uncopied when it always does."""
    if mask.all():
        return time, group
    return time[mask], group[mask]


def _hypotheses(history: _History) -> int:
    """Return how many views are tested: two per (A, B) of different entities."""
    combinations = int(np.count_nonzero(history.leads)) * int(
        np.count_nonzero(history.follows)
    )
    entities = int(history.entity_of.max()) + 1
    leading = np.bincount(history.entity_of[history.leads], minlength=entities)
    following = np.bincount(history.entity_of[history.follows], minlength=entities)
    return 2 * max(1, combinations - int(np.dot(leading, following)))


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
    history: _History,
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
    day_counts: list[int] = []
    delays: list[IntArray] = []
    back_delays: list[IntArray] = []
    for a, b in zip(_ints(lead), _ints(follow), strict=True):
        a_changes, b_changes = history.of_group(a), history.of_group(b)
        a_uses = a_changes[history.is_use[a_changes]]
        ahead = follow_up(history.time[a_uses], history.time[b_changes], delay)
        b_starts = b_changes[history.is_start[b_changes]]
        behind = follow_up(history.time[a_changes], history.time[b_starts], delay)
        followed.append(int(np.count_nonzero(ahead.followed)))
        preceded.append(int(np.count_nonzero(behind.preceded)))
        day_counts.append(np.unique(history.day[a_uses[ahead.followed]]).shape[0])
        delays.append(ahead.delays)
        back_delays.append(behind.back_delays)
    k = np.asarray(followed, dtype=np.int64)
    k_back = np.asarray(preceded, dtype=np.int64)
    n, n_back = history.use_count[lead], history.start_count[follow]
    # Chance per view: the rate at the hour of each use, averaged.
    chance = np.einsum("ij,ij->i", history.use_hours[lead], history.before[follow]) / n
    chance_back = (
        np.einsum("ij,ij->i", history.start_hours[follow], history.after[lead]) / n_back
    )
    factorials = _log10_factorials(int(max(n.max(), n_back.max())))
    adjusted = benjamini_hochberg_log10(
        np.concatenate(
            [
                _log10_tail_upper(k, n, chance, factorials),
                _log10_tail_upper(k_back, n_back, chance_back, factorials),
            ]
        ),
        _hypotheses(history),
    )
    count = lead.shape[0]
    gate = math.log10(settings.max_pair_false_discovery)
    confidence, back = k / n, k_back / n_back
    lift, lift_back = confidence / chance, back / chance_back
    days = np.asarray(day_counts, dtype=np.int64)
    for i in _ints(np.flatnonzero(adjusted[:count] <= gate)):
        a, b = int(lead[i]), int(follow[i])
        tight = _tight_lift(history, b, delays[i], n[i], history.use_hours[a])
        lift[i] = max(lift[i], tight)
    for i in _ints(np.flatnonzero(adjusted[count:] <= gate)):
        a, b = int(lead[i]), int(follow[i])
        tight = _tight_lift(
            history, a, back_delays[i], n_back[i], history.start_hours[b], after=True
        )
        lift_back[i] = max(lift_back[i], tight)
    forward_good = (
        (adjusted[:count] <= gate)
        & (confidence >= settings.min_pair_confidence)
        & (lift >= settings.min_pair_lift)
    )
    reverse_good = (
        (adjusted[count:] <= gate)
        & (back >= settings.min_reverse_confidence)
        & (lift_back >= settings.min_pair_lift)
    )
    # B must have followed A at least once, whatever the settings say.
    reported = (
        (forward_good | reverse_good)
        & (days >= max(1, settings.min_pair_days))
        & (k > 0)
    )
    judged: list[tuple[int, int, _View]] = []
    for i in _ints(np.flatnonzero(reported)):
        forward = bool(forward_good[i])
        counted = int(k[i] if forward else k_back[i])
        established = (
            days[i] >= settings.established_pair_days
            and counted >= settings.min_pair_count
        )
        view = _View(
            count=int(k[i]),
            confidence=float(confidence[i]),
            lift=float(lift[i]),
            reverse_confidence=float(back[i]),
            days=int(days[i]),
            evidence=-float(adjusted[i] if forward else adjusted[count + i]),
            level=PatternLevel.ESTABLISHED if established else PatternLevel.FORMING,
            reverse_only=not forward,
            delays=delays[i],
        )
        judged.append((int(lead[i]), int(follow[i]), view))
    return judged


def _tight_lift(  # noqa: PLR0913
    history: _History,
    group: int,
    delays: IntArray,
    counted: int,
    hours: FloatArray,
    *,
    after: bool = False,
) -> float:
    """Return the lift within the window holding most of a view's delays.

    A pair whose B comes within a minute says more than the delay allowed
    (10 minutes, say) lets its lift show: over the narrower window that holds
    TIGHT_SHARE of the delays, chance is smaller. `group` is the one whose
    changes chance is made of (B forward, A in reverse), `hours` when the
    counted changes happen.
    """
    if delays.shape[0] == 0 or counted == 0:
        return 0.0
    window = max(1, math.ceil(float(np.quantile(delays, TIGHT_SHARE))))
    within = int(np.count_nonzero(delays <= window))
    chance = history.chance_within(group, window, hours, before=not after)
    return within / counted / chance


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
