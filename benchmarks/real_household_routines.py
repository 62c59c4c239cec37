"""Judge the household routines on real homes' recordings against their annotations.

Run from the repository root: `.venv/bin/python -m benchmarks.real_household_routines`.
stdout: one JSON line per figure ({"name", "value", "unit"}); what was learned,
per house, on stderr.

Data (never committed: the recordings' terms forbid it):
- $HA_AI_REAL_HOUSES (default /work/data/real_houses): the History panel CSVs
  scripts/real_history.py makes, one per house;
- $HA_AI_CASAS (default /work/data/casas): the raw recordings, `<house>/data`,
  whose activity annotations give the truth (benchmarks/household_truth.py);
  houses without annotations are learned and described, not scored.
Times are read in $HA_AI_REAL_TIMEZONE (default America/Los_Angeles).

Roles come from the entity ids as the converter names them: `binary_sensor.*_door`
is a door, `binary_sensor.*_motion` motion, `person.*` / `device_tracker.*`
presence, `lock.*` a lock. Each house is learned on its whole history, `end` at
the local midnight after its last day.

Figures per house (`real_<house>_<figure>`):
- away_true, away_found: annotated away periods, absences learn_away counted;
- away_precision: found absences overlapping an annotated away period;
- away_recall: annotated away periods overlapping a found absence;
- away_recall_long: the same, of the annotated periods of at least the learned
  quiet_minutes (shorter ones are below what the routine can tell);
- away_quiet_minutes, away_occurrences, away_learned (1 when a routine was
  learned);
- 7d_away_* and 14d_away_* (learned, true, found, precision, recall): the same
  on the first 7 and 14 days only, for annotated houses that long;
- morning_median_abs_minutes / bedtime_median_abs_minutes: when the checkout
  has engine/household/learn.py, the median over the annotated nights of the
  minutes between the wake (bedtime) and the typical start of the morning
  (bedtime) routine of that day's class; morning_days / bedtime_days: the nights
  compared (a day class without a routine is not compared, and counted in
  morning_days_without / bedtime_days_without; without any day compared there
  is no median).
- night_wake_median_abs_minutes / night_bedtime_median_abs_minutes: the same
  checkout, per annotated night, the minutes between the wake and the first
  action after the night the learning found ending that day (its morning), and
  between the bedtime and the night's last action before its quiet; night_days:
  the nights compared, night_days_without: annotated nights the learning found
  no night for. These judge the nights themselves, not the routine's window:
  the routine's figures above also hold how much the real times vary.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from scripts.engine_alone import load_engine_alone

load_engine_alone()

from benchmarks.habit_truth import History, load_history  # noqa: E402
from benchmarks.household_truth import (  # noqa: E402
    HouseholdTruth,
    Night,
    bedtime_day,
    household_truth,
    local_minute,
    wake_day,
)
from custom_components.ha_ai.engine.habits.model import (  # noqa: E402
    ChangeTable,
    DayClass,
    Origin,
)
from custom_components.ha_ai.engine.household.away import (  # noqa: E402
    Absence,
    AwayFindings,
    find_absences,
)
from custom_components.ha_ai.engine.household.model import (  # noqa: E402
    EntityRole,
    HouseholdRoutines,
    RoutineKind,
)

DEFAULT_HOUSES = Path("/work/data/real_houses")
DEFAULT_CASAS = Path("/work/data/casas")
DEFAULT_TIMEZONE = "America/Los_Angeles"
LEARN_MODULE = "custom_components.ha_ai.engine.household.learn"
NIGHTS_MODULE = "custom_components.ha_ai.engine.household.nights"
EPOCH = date(1970, 1, 1)
MINUTES_PER_DAY = 1440
WEEKEND = 5  # date.weekday() of Saturday
YOUNG_DAYS = (7, 14)  # the first days of a house, judged for away too


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    sys.stdout.write(json.dumps({"name": name, "value": value, "unit": unit}) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    """Print what was learned on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def roles_of(entity_ids: list[str]) -> dict[str, EntityRole]:
    """Return the roles the converter's entity ids tell."""
    roles: dict[str, EntityRole] = {}
    for entity_id in entity_ids:
        domain, _, name = entity_id.partition(".")
        if domain in {"person", "device_tracker"}:
            roles[entity_id] = EntityRole.PRESENCE
        elif domain == "lock":
            roles[entity_id] = EntityRole.LOCK
        elif domain == "binary_sensor" and name.endswith("_door"):
            roles[entity_id] = EntityRole.DOOR
        elif domain == "binary_sensor" and name.endswith("_motion"):
            roles[entity_id] = EntityRole.MOTION
    return roles


def table_of(history: History) -> ChangeTable:
    """Return the log's table: first rows as system changes, then the changes."""
    rows: list[tuple[int, int, str, str]] = [
        (when, int(Origin.SYSTEM), entity_id, history.first_state[entity_id])
        for entity_id, when in history.first_seen.items()
    ]
    rows.extend(
        (change.when, int(Origin.MANUAL), change.entity_id, change.state)
        for change in history.changes
    )
    return ChangeTable.from_rows(rows)


def overlaps(one: tuple[float, float], other: tuple[float, float]) -> bool:
    """Tell whether two periods share a moment."""
    return one[0] < other[1] and other[0] < one[1]


def score_away(
    found: AwayFindings, truth: HouseholdTruth, until: float | None = None
) -> dict[str, tuple[float, str]]:
    """Return precision and recall of the absences against the annotated ones.

    `until` ends the history judged (the first days of a house): annotated
    periods ending later are left out.
    """
    last = truth.last.timestamp() if until is None else until
    true = [
        (a.timestamp(), b.timestamp()) for a, b in truth.away if b.timestamp() <= last
    ]
    span = (truth.first.timestamp(), last)
    seen = [
        (float(a.start), float(a.end))
        for a in found.absences
        if overlaps((a.start, a.end), span)
    ]
    hits = sum(any(overlaps(s, t) for t in true) for s in seen)
    caught = sum(any(overlaps(t, s) for s in seen) for t in true)
    figures: dict[str, tuple[float, str]] = {
        "away_true": (len(true), "periods"),
        "away_found": (len(seen), "periods"),
        "away_precision": (_ratio(hits, len(seen)), "ratio"),
        "away_recall": (_ratio(caught, len(true)), "ratio"),
    }
    if found.routine is not None:
        long_enough = [
            t for t in true if t[1] - t[0] >= found.routine.quiet_minutes * 60
        ]
        caught_long = sum(any(overlaps(t, s) for s in seen) for t in long_enough)
        figures["away_true_long"] = (len(long_enough), "periods")
        figures["away_recall_long"] = (_ratio(caught_long, len(long_enough)), "ratio")
    return figures


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def describe_absences(absences: tuple[Absence, ...], timezone: tzinfo) -> str:
    """Return the first absences found, in local time."""
    shown = [
        f"{datetime.fromtimestamp(a.start, timezone):%m-%d %H:%M}+{round(a.minutes)}m"
        for a in absences[:12]
    ]
    more = f" (+{len(absences) - 12})" if len(absences) > 12 else ""
    return " ".join(shown) + more


def day_class_of(day: date) -> DayClass:
    """Return the specific class of a day."""
    return DayClass.WEEKENDS if day.weekday() >= WEEKEND else DayClass.WEEKDAYS


def minutes_apart(a: int, b: int) -> int:
    """Return the minutes between two times of day, across midnight too."""
    distance = abs(a - b) % MINUTES_PER_DAY
    return min(distance, MINUTES_PER_DAY - distance)


def score_routines(
    routines: HouseholdRoutines, nights: tuple[Night, ...]
) -> dict[str, tuple[float, str]]:
    """Return how far the morning and bedtime starts lie from the annotated ones."""
    figures: dict[str, tuple[float, str]] = {}
    for kind, moment, day_of in (
        (RoutineKind.MORNING, "wake", wake_day),
        (RoutineKind.BEDTIME, "bedtime", bedtime_day),
    ):
        differences: list[int] = []
        without = 0
        for night in nights:
            day = day_of(night)
            routine = routines.routine(kind, day_class_of(day)) or routines.routine(
                kind, DayClass.DAILY
            )
            if routine is None:
                without += 1
                continue
            differences.append(
                minutes_apart(
                    routine.typical_start, local_minute(getattr(night, moment))
                )
            )
        if differences:
            median = float(statistics.median(differences))
            figures[f"{kind}_median_abs_minutes"] = (median, "min")
        figures[f"{kind}_days"] = (len(differences), "days")
        figures[f"{kind}_days_without"] = (without, "days")
    return figures


def score_nights(found: Any, nights: tuple[Night, ...]) -> dict[str, tuple[float, str]]:
    """Return how far each annotated night's wake and bedtime lie from the found night.

    `found` is what nights.find_nights returned: mornings by the local day
    number they are on, bedtimes by the day before.
    """
    wakes: list[int] = []
    bedtimes: list[int] = []
    without = 0
    for night in nights:
        day = (wake_day(night) - EPOCH).days
        morning = found.mornings.get(day)
        bedtime = found.bedtimes.get(day - 1)
        if morning is None or bedtime is None:
            without += 1
            continue
        wakes.append(minutes_apart(int(morning.minute[0]), local_minute(night.wake)))
        bedtimes.append(
            minutes_apart(int(bedtime.minute[-1]), local_minute(night.bedtime))
        )
        log(
            f"  night {night.wake:%m-%d}: found "
            f"{_clock(int(bedtime.minute[-1]))}-{_clock(int(morning.minute[0]))}, "
            f"annotated {night.bedtime:%H:%M}-{night.wake:%H:%M}"
        )
    figures: dict[str, tuple[float, str]] = {}
    if wakes:
        figures["night_wake_median_abs_minutes"] = (
            float(statistics.median(wakes)),
            "min",
        )
        figures["night_bedtime_median_abs_minutes"] = (
            float(statistics.median(bedtimes)),
            "min",
        )
    figures["night_days"] = (len(wakes), "days")
    figures["night_days_without"] = (without, "days")
    return figures


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe_routines(routines: HouseholdRoutines) -> str:
    """Return the learned morning and bedtime routines in a line each."""
    lines = []
    for routine in routines.routines:
        start = f"{routine.typical_start // 60:02d}:{routine.typical_start % 60:02d}"
        lines.append(
            f"  {routine.kind} {routine.day_class}: {start} "
            f"[{routine.window_start // 60:02d}:{routine.window_start % 60:02d}-"
            f"{routine.window_end // 60:02d}:{routine.window_end % 60:02d}] "
            f"{routine.support_days}/{routine.observed_days} days {routine.level}, "
            f"starters {list(routine.starters)[:3]}"
        )
    lines.extend(f"  missing {key}: {why}" for key, why in routines.missing.items())
    return "\n".join(lines)


def young_house(
    history: History,
    truth: HouseholdTruth,
    days: int,
    roles: dict[str, EntityRole],
) -> dict[str, tuple[float, str]]:
    """Return the away figures of the house's first `days` days."""
    young = history.first(days)
    end = datetime.combine(
        young.first_day + timedelta(days=days), time(0), tzinfo=young.timezone
    )
    found = find_absences(
        table_of(young), timezone=young.timezone, end=end, roles=roles
    )
    level = found.routine.level if found.routine else found.reason
    log(f"  first {days} days: {level}, {len(found.absences)} absences")
    scored = score_away(found, truth, until=end.timestamp())
    figures: dict[str, tuple[float, str]] = {
        f"{days}d_away_learned": (int(found.routine is not None), "bool")
    }
    for figure in ("away_true", "away_found", "away_precision", "away_recall"):
        figures[f"{days}d_{figure}"] = scored[figure]
    return figures


def judge_house(
    name: str, csv_path: Path, casas: Path, timezone: tzinfo, *, household: bool
) -> None:
    """Learn one house, print what was learned and the figures it scores."""
    history = load_history(csv_path, timezone)
    table = table_of(history)
    roles = roles_of(table.entity_ids)
    end = datetime.combine(
        history.first_day + timedelta(days=history.days), time(0), tzinfo=timezone
    )
    found = find_absences(table, timezone=timezone, end=end, roles=roles)
    routine = found.routine
    doors = sorted(e for e, r in roles.items() if r is EntityRole.DOOR)
    log(f"{name}: {history.days} days, doors {doors or 'none'}")
    if routine is None:
        log(f"  away: none ({found.reason})")
    else:
        log(
            f"  away: {routine.source}, leaving {list(routine.leaving)}, quiet "
            f"{routine.quiet_minutes} min, back {list(routine.coming_back)}, "
            f"{routine.occurrences} times on {routine.observed_days} days, "
            f"typically {routine.typical_duration_minutes} min, {routine.level}"
        )
    if found.absences:
        log(f"  absences: {describe_absences(found.absences, timezone)}")
    figures: dict[str, tuple[float, str]] = {
        "away_learned": (int(routine is not None), "bool"),
        "away_occurrences": (routine.occurrences if routine else 0, "periods"),
        "away_quiet_minutes": (routine.quiet_minutes if routine else 0, "min"),
    }
    raw = casas / name / "data"
    truth = household_truth(raw, timezone) if raw.is_file() else None
    if truth is None:
        log("  no annotations: not scored")
    else:
        figures.update(score_away(found, truth))
    if truth is not None:
        for days in YOUNG_DAYS:
            if days < history.days:
                figures.update(young_house(history, truth, days, roles))
    if household:
        learn = importlib.import_module(LEARN_MODULE)
        routines = learn.learn_household(table, timezone=timezone, end=end, roles=roles)
        log(describe_routines(routines))
        if truth is not None:
            figures.update(score_routines(routines, truth.nights))
            found = importlib.import_module(NIGHTS_MODULE).find_nights(
                table, timezone=timezone, end=end, roles=roles
            )
            figures.update(score_nights(found, truth.nights))
    for figure, (value, unit) in figures.items():
        emit(f"real_{name}_{figure}", value, unit)


def main(argv: list[str]) -> int:
    """Judge every house with a converted CSV."""
    houses = Path(os.environ.get("HA_AI_REAL_HOUSES", str(DEFAULT_HOUSES)))
    casas = Path(os.environ.get("HA_AI_CASAS", str(DEFAULT_CASAS)))
    timezone = ZoneInfo(os.environ.get("HA_AI_REAL_TIMEZONE", DEFAULT_TIMEZONE))
    paths = sorted(houses.glob("*.csv")) if houses.is_dir() else []
    wanted = set(argv)
    paths = [p for p in paths if not wanted or p.stem in wanted]
    if not paths:
        log(f"no converted recordings in {houses}: nothing measured")
        return 0
    household = importlib.util.find_spec(LEARN_MODULE) is not None
    if not household:
        log("engine/household/learn.py is not in this checkout: away only")
    for path in paths:
        judge_house(path.stem, path, casas, timezone, household=household)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
