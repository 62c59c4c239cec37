"""Judge habit mining on real households' recordings against brute-force truth.

Run from the repository root: `.venv/bin/python -m benchmarks.real_houses_bench`.
stdout: one JSON line per figure ({"name", "value", "unit"}); progress, the
misses (what the truth holds and the miner did not report, and what it reported
that brute force does not back) and a summary table on stderr.

Data: the History panel CSVs in $HA_AI_REAL_HOUSES (default
/work/data/real_houses), one per house, made by scripts/real_history.py from
local copies of public recordings (never committed: their terms forbid it).
Without them it says so and measures nothing. Times are read in
$HA_AI_REAL_TIMEZONE (default America/Los_Angeles, the CASAS homes'). The
engine judged is this repository's, or that of the checkout $HA_AI_ENGINE_REPO
names (to compare a change without copying this file).

Each house is judged on its first 10, 14 and 28 days and on its whole history
(the lengths it has). The miner runs through `mine_habits` with the default
settings, the house's time zone, and `end` at the local midnight after the last
day judged; each entity's first row is a system change, as the History CSV gives
no earlier state. Truth comes from benchmarks/habit_truth.py on exactly the same
days (its docstring and docs/habit-evaluation.md give the rules).

A reported routine finds a true one when entity and state are the same, the day
classes are the same or one of them is daily, and its typical time lies within
max(15 min, half its window) of the true run. Figures, per house and length and
summed over houses per length:
- routine_recall: true routines found by an established routine;
- routine_recall_forming: found by any reported routine (forming ones count);
- routine_recall_actionable (and _forming_actionable): the same, of the true
  routines of entities a person acts on (lights, switches...), the ones that
  become automations;
- routine_precision: reported routines (any level) that brute force supports;
- routine_precision_established: the same, of established routines only;
- pair_recall / pair_precision: true pairs reported (A, state, B, state), and
  reported pairs brute force supports; pairs_single_day: reported pairs seen on
  one day only (the pattern's distinct_days, else brute force's);
- mining_seconds.

What any miner can reach (the limits): a true routine's evidence is how probably
chance gives its support, the larger of two probabilities: that of its window's
support if each day's changes were turned around the clock by a random offset
(each day keeps its own chance, a Poisson binomial), and that of the support if
each day held the window with the share the clock's median window has (a
binomial). To find a share r of the true routines, a miner must accept evidence
as weak as the r-quantile of theirs, p_r. A house of the same entities and
states with nothing at a time of day offers at least entities x states x 3 day
classes x 16 windows of 90 min (one tiling of the clock, the fewest distinct
windows any search looks at), and chance makes about that many times p_r of
them pass: chance_windows_at_recall_0_7 and _0_9. Above 1, recall r cannot be
reached without reporting routines in pure noise.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
# The engine judged: this repository's, or another checkout's ($HA_AI_ENGINE_REPO).
ENGINE_REPO = Path(os.environ.get("HA_AI_ENGINE_REPO", str(REPO)))

from scripts.engine_alone import load_engine_alone  # noqa: E402

load_engine_alone(ENGINE_REPO / "custom_components" / "ha_ai")

from benchmarks.habit_truth import (  # noqa: E402
    ACTIONABLE_DOMAINS,
    DAILY,
    MINUTES_PER_DAY,
    History,
    PairStats,
    TrueRoutine,
    clock,
    day_coverages,
    entity_state_minutes,
    load_history,
    pair_supported,
    pair_truth,
    routine_support,
    routine_truth,
)
from custom_components.ha_ai.engine.habits.mining import mine_habits  # noqa: E402
from custom_components.ha_ai.engine.habits.model import (  # noqa: E402
    ChangeTable,
    MiningSettings,
    Origin,
    Pattern,
    PatternLevel,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from custom_components.ha_ai.engine.habits.significance import (  # noqa: E402
    binomial_tail,
    poisson_binomial_tail,
)

DEFAULT_DATA = Path("/work/data/real_houses")
DEFAULT_TIMEZONE = "America/Los_Angeles"
LENGTHS: tuple[int | None, ...] = (10, 14, 28, None)  # None: the whole history
MIN_SLACK = 15  # minutes around a true run a reported time may fall
SHOWN = 40  # lines per section of the misses table


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    sys.stdout.write(json.dumps({"name": name, "value": value, "unit": unit}) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    """Print progress on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def ratio(part: int, whole: int) -> float:
    """Return part / whole rounded, 1 when there is nothing to count."""
    return round(part / whole, 4) if whole else 1.0


def table_of(history: History) -> ChangeTable:
    """Return the miner's table: first rows as system changes, then the changes."""
    rows: list[tuple[int, int, str, str]] = [
        (when, int(Origin.SYSTEM), entity_id, history.first_state[entity_id])
        for entity_id, when in history.first_seen.items()
    ]
    rows.extend(
        (change.when, int(Origin.MANUAL), change.entity_id, change.state)
        for change in history.changes
    )
    return ChangeTable.from_rows(rows)


def finds(pattern: TimeOfDayPattern, truth: TrueRoutine) -> bool:
    """Tell whether a reported routine is the true one."""
    classes = {pattern.day_class.value, truth.day_class}
    return (
        pattern.entity_id == truth.entity_id
        and pattern.state == truth.state
        and (len(classes) == 1 or DAILY in classes)
        and truth.distance(pattern.minute_of_day)
        <= max(MIN_SLACK, pattern.window_minutes // 2)
    )


def pair_key(pattern: UsedTogetherPattern | PairStats) -> tuple[str, str, str, str]:
    """Return (A, A's state, B, B's state)."""
    if isinstance(pattern, PairStats):
        return (pattern.a_entity, pattern.a_state, pattern.b_entity, pattern.b_state)
    return (
        pattern.trigger_entity_id,
        pattern.trigger_state,
        pattern.entity_id,
        pattern.state,
    )


@dataclass(slots=True)
class Counts:
    """What recall and precision are made of, for one run or summed."""

    true_routines: int = 0
    found: int = 0
    found_any: int = 0
    true_actionable: int = 0  # true routines of entities a person acts on
    found_actionable: int = 0
    found_any_actionable: int = 0
    reported: int = 0
    reported_established: int = 0
    supported: int = 0
    supported_established: int = 0
    true_pairs: int = 0
    pairs_found: int = 0
    pairs_reported: int = 0
    pairs_supported: int = 0
    pairs_single_day: int = 0
    chance_windows_07: float = 0.0  # see the limits in the module docstring
    chance_windows_09: float = 0.0
    seconds: float = 0.0
    runs: int = 0

    def add(self, other: Counts) -> None:
        """Sum another run's counts into these."""
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class Run:
    """One house judged on one history length."""

    house: str
    label: str
    days: int
    counts: Counts = field(default_factory=Counts)
    lines: list[str] = field(default_factory=list)


def judge(house: str, label: str, history: History, timezone: ZoneInfo) -> Run:
    """Mine one history and compare it with its truth."""
    run = Run(house=house, label=label, days=history.days)
    counts = run.counts
    table = table_of(history)
    started = time.perf_counter()
    patterns: list[Pattern] = mine_habits(
        table,
        timezone=timezone,
        end=history.day_start(history.days),
        settings=MiningSettings(),
    )
    counts.seconds = time.perf_counter() - started
    counts.runs = 1
    routines = [p for p in patterns if isinstance(p, TimeOfDayPattern)]
    pairs = [p for p in patterns if isinstance(p, UsedTogetherPattern)]
    truth = routine_truth(history)
    true_pairs = pair_truth(history)
    counts.chance_windows_07, counts.chance_windows_09 = chance_windows(
        history, truth, (0.7, 0.9)
    )

    counts.true_routines = len(truth)
    missed: list[TrueRoutine] = []
    for routine in truth:
        hits = [p for p in routines if finds(p, routine)]
        established = [p for p in hits if p.level is PatternLevel.ESTABLISHED]
        counts.found += bool(established)
        counts.found_any += bool(hits)
        if routine.entity_id.partition(".")[0] in ACTIONABLE_DOMAINS:
            counts.true_actionable += 1
            counts.found_actionable += bool(established)
            counts.found_any_actionable += bool(hits)
        if not established:
            missed.append(routine)
    counts.reported = len(routines)
    unsupported: list[tuple[TimeOfDayPattern, str]] = []
    for pattern in routines:
        is_established = pattern.level is PatternLevel.ESTABLISHED
        counts.reported_established += is_established
        support = routine_support(
            history,
            pattern.entity_id,
            pattern.state,
            pattern.day_class.value,
            pattern.minute_of_day,
            pattern.window_minutes,
        )
        counts.supported += support.supported
        counts.supported_established += support.supported and is_established
        if not support.supported:
            unsupported.append(
                (
                    pattern,
                    f"{support.support_days}/{support.observed_days} days, "
                    f"clock q75 {support.clock_quantile:.0f}",
                )
            )

    reported_keys = {pair_key(p) for p in pairs}
    counts.true_pairs = len(true_pairs)
    counts.pairs_found = sum(pair_key(p) in reported_keys for p in true_pairs)
    counts.pairs_reported = len(reported_keys)
    pair_notes: list[str] = []
    for pair in pairs:
        ok, stats = pair_supported(
            history,
            (pair.trigger_entity_id, pair.trigger_state),
            (pair.entity_id, pair.state),
        )
        counts.pairs_supported += ok
        days = pair.distinct_days or stats.distinct_days
        counts.pairs_single_day += days <= 1
        if not ok or days <= 1:
            pair_notes.append(
                f"    reported {describe_pair(pair_key(pair))} "
                f"({pair.level.value}, {days} day(s)): brute force "
                f"{stats.count} follows, confidence {stats.confidence:.2f}, "
                f"lift {stats.lift:.1f}, reverse {stats.reverse_confidence:.2f}"
                + ("" if ok else "  NOT SUPPORTED")
            )

    run.lines = misses_lines(
        run, missed, routines, unsupported, true_pairs, reported_keys, pair_notes
    )
    return run


def routine_evidence(history: History, truth: Sequence[TrueRoutine]) -> list[float]:
    """Return each true routine's chance probability (see the module docstring)."""
    minutes_of = entity_state_minutes(history)
    evidence: list[float] = []
    for routine in truth:
        chances = day_coverages(history, routine, minutes_of)
        by_days = (
            poisson_binomial_tail(routine.support_days, chances)
            if routine.support_days > float(chances.sum())
            else 1.0
        )
        median_share = min(routine.clock_median / routine.observed_days, 1.0)
        by_clock = binomial_tail(
            routine.support_days, routine.observed_days, median_share
        )
        evidence.append(max(by_days, by_clock))
    return evidence


def chance_windows(
    history: History, truth: Sequence[TrueRoutine], recalls: Sequence[float]
) -> tuple[float, ...]:
    """Return, per recall, the windows an empty house of this size passes by chance.

    Accepting the evidence a recall needs (the quantile of the true routines')
    lets through that share of the fewest windows any search tests.
    """
    if not truth:
        return tuple(0.0 for _ in recalls)
    evidence = sorted(routine_evidence(history, truth))
    windows = len(entity_state_minutes(history)) * 3 * (MINUTES_PER_DAY // 90)
    return tuple(
        round(windows * evidence[max(math.ceil(r * len(evidence)) - 1, 0)], 2)
        for r in recalls
    )


def describe_pair(key: tuple[str, str, str, str]) -> str:
    """Return a pair as 'A -> state ⇒ B -> state'."""
    return f"{key[0]} → {key[1]} ⇒ {key[2]} → {key[3]}"


def nearest(routines: Sequence[TimeOfDayPattern], truth: TrueRoutine) -> str:
    """Say what the miner reported for a missed routine's entity and state."""
    same = [
        p for p in routines if p.entity_id == truth.entity_id and p.state == truth.state
    ]
    if not same:
        return "nothing for this entity and state"
    best = min(same, key=lambda p: truth.distance(p.minute_of_day))
    return (
        f"nearest report {clock(best.minute_of_day)} {best.day_class.value} "
        f"{best.level.value} ±{best.window_minutes // 2} min "
        f"({truth.distance(best.minute_of_day)} min away)"
    )


def misses_lines(
    run: Run,
    missed: list[TrueRoutine],
    routines: list[TimeOfDayPattern],
    unsupported: list[tuple[TimeOfDayPattern, str]],
    true_pairs: list[PairStats],
    reported_keys: set[tuple[str, str, str, str]],
    pair_notes: list[str],
) -> list[str]:
    """Return the readable account of one run's misses."""
    c = run.counts
    lines = [
        f"== {run.house} {run.label} ({run.days} days): {c.true_routines} true "
        f"routines, {c.found} found established, {c.found_any} counting forming; "
        f"{c.reported} reported, {c.supported} supported; {c.true_pairs} true "
        f"pairs, {c.pairs_found} found; {c.pairs_reported} reported; "
        f"{c.seconds:.2f} s",
    ]
    if missed:
        lines.append("  true routines not found as established (truth: run, days):")
        lines.extend(
            f"    {routine.entity_id} → {routine.state} {routine.day_class} "
            f"{routine.label()}  {routine.support_days}/{routine.observed_days}"
            f" days (clock median {routine.clock_median:.0f}, width "
            f"{routine.best_width}); {nearest(routines, routine)}"
            for routine in missed[:SHOWN]
        )
        if len(missed) > SHOWN:
            lines.append(f"    ... {len(missed) - SHOWN} more")
    if unsupported:
        lines.append("  reported routines brute force does not support:")
        for pattern, why in unsupported[:SHOWN]:
            lines.append(
                f"    {pattern.entity_id} → {pattern.state} "
                f"{pattern.day_class.value} {clock(pattern.minute_of_day)} "
                f"±{pattern.window_minutes // 2} min {pattern.level.value} "
                f"{pattern.support_days}/{pattern.observed_days}: {why}"
            )
        if len(unsupported) > SHOWN:
            lines.append(f"    ... {len(unsupported) - SHOWN} more")
    pair_misses = [p for p in true_pairs if pair_key(p) not in reported_keys]
    if pair_misses:
        lines.append("  true pairs not reported:")
        lines.extend(
            f"    {describe_pair(pair_key(p))}: {p.count}/{p.uses} uses "
            f"(confidence {p.confidence:.2f}, lift {p.lift:.1f}), reverse "
            f"{p.reverse_confidence:.2f} (lift {p.reverse_lift:.1f}), "
            f"{p.distinct_days} days, median delay {p.median_delay:.0f} s"
            for p in pair_misses
        )
    lines.extend(pair_notes)
    return lines


def emit_counts(prefix: str, counts: Counts) -> None:
    """Print the figures of one run or of a sum."""
    emit(f"{prefix}_true_routines", counts.true_routines, "routines")
    emit(f"{prefix}_routine_recall", ratio(counts.found, counts.true_routines), "")
    emit(
        f"{prefix}_routine_recall_forming",
        ratio(counts.found_any, counts.true_routines),
        "",
    )
    emit(f"{prefix}_true_routines_actionable", counts.true_actionable, "routines")
    emit(
        f"{prefix}_routine_recall_actionable",
        ratio(counts.found_actionable, counts.true_actionable),
        "",
    )
    emit(
        f"{prefix}_routine_recall_forming_actionable",
        ratio(counts.found_any_actionable, counts.true_actionable),
        "",
    )
    emit(f"{prefix}_reported_routines", counts.reported, "routines")
    emit(f"{prefix}_routine_precision", ratio(counts.supported, counts.reported), "")
    emit(
        f"{prefix}_routine_precision_established",
        ratio(counts.supported_established, counts.reported_established),
        "",
    )
    emit(f"{prefix}_true_pairs", counts.true_pairs, "pairs")
    emit(f"{prefix}_pair_recall", ratio(counts.pairs_found, counts.true_pairs), "")
    emit(
        f"{prefix}_pair_precision",
        ratio(counts.pairs_supported, counts.pairs_reported),
        "",
    )
    emit(f"{prefix}_pairs_single_day", counts.pairs_single_day, "pairs")
    emit(
        f"{prefix}_chance_windows_at_recall_0_7",
        round(counts.chance_windows_07, 2),
        "windows",
    )
    emit(
        f"{prefix}_chance_windows_at_recall_0_9",
        round(counts.chance_windows_09, 2),
        "windows",
    )
    emit(f"{prefix}_mining_seconds", round(counts.seconds, 3), "s")


def summary(runs: list[Run]) -> list[str]:
    """Return the table of every run, one line each."""
    head = (
        f"{'house':<8} {'length':<6} {'days':>4} {'true':>5} {'rec':>5} "
        f"{'rec+f':>5} {'rep':>4} {'prec':>5} {'tpair':>5} {'p.rec':>5} "
        f"{'ppair':>5} {'p.pre':>5} {'1day':>4} {'ch.7':>6} {'ch.9':>6} {'s':>6}"
    )
    lines = [head]
    for run in runs:
        c = run.counts
        lines.append(
            f"{run.house:<8} {run.label:<6} {run.days:>4} {c.true_routines:>5} "
            f"{ratio(c.found, c.true_routines):>5.2f} "
            f"{ratio(c.found_any, c.true_routines):>5.2f} {c.reported:>4} "
            f"{ratio(c.supported, c.reported):>5.2f} {c.true_pairs:>5} "
            f"{ratio(c.pairs_found, c.true_pairs):>5.2f} {c.pairs_reported:>5} "
            f"{ratio(c.pairs_supported, c.pairs_reported):>5.2f} "
            f"{c.pairs_single_day:>4} {c.chance_windows_07:>6.1f} "
            f"{c.chance_windows_09:>6.1f} {c.seconds:>6.2f}"
        )
    lines.append(
        "true: true routines; rec: routine recall (established); rec+f: "
        "counting forming; rep: reported routines; prec: their supported share; "
        "tpair: true pairs; p.rec: pair recall; ppair: reported pairs; p.pre: "
        "their supported share; 1day: reported pairs seen on one day only; "
        "ch.7, ch.9: windows of a house like it with nothing in it that pass by "
        "chance at the evidence recall 0.7 / 0.9 needs (the limits)"
    )
    return lines


def main(argv: list[str]) -> int:
    """Judge every house found on every history length it has."""
    del argv
    data = Path(os.environ.get("HA_AI_REAL_HOUSES", str(DEFAULT_DATA)))
    files = sorted(data.glob("*.csv")) if data.is_dir() else []
    if not files:
        log(f"No real-household history CSVs in {data}: nothing measured.")
        return 0
    timezone = ZoneInfo(os.environ.get("HA_AI_REAL_TIMEZONE", DEFAULT_TIMEZONE))
    runs: list[Run] = []
    totals: dict[str, Counts] = {}
    for path in files:
        house = path.stem
        whole = load_history(path, timezone)
        log(f"{house}: {whole.days} days, {len(whole.changes):,} changes")
        for length in LENGTHS:
            if length is not None and length >= whole.days:
                continue
            label = "whole" if length is None else f"{length}d"
            history = whole if length is None else whole.first(length)
            run = judge(house, label, history, timezone)
            runs.append(run)
            log("\n".join(run.lines))
            emit_counts(f"real_{house}_{label}", run.counts)
            totals.setdefault(label, Counts()).add(run.counts)
    for label, counts in totals.items():
        emit_counts(f"real_{label}", counts)
    log("")
    log("\n".join(summary(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
