"""How HA AI's own automations fare: a health table per automation, and a burst limit.

Once HA AI deployed an automation, whether it runs, fails or is undone by hand
is what tells whether it works and is wanted. The health table keeps, per
automation id, its runs, successes, failures, overrides (counted by the override
detector), the last run with its error and duration, and two counters people
look at: runs today and overrides this week. Those counters carry the day or
week they count, so a count from yesterday reads as zero today without a reset.

It also keeps the last few runs themselves (`RunRecord`, at most `RECENT_KEPT`
per automation): when each ended, whether it failed, whether a person undid it
and when that person then did by hand what the run had done, and what the house
was like (sun up, anyone home). Counts say *that* an automation is unwanted;
these records say *when* it is wanted, which is what a revised automation needs.

Every run is reported over MQTT, but an automation caught in a loop must not
flood the broker: `BurstLimiter` lets at most `per_window` reports per
automation through per window (a minute); the runs beyond are counted, and one
summary with their count is due when the window ends.

Days and weeks are those of the times given: the caller passes local times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from ..stored import (
    BadRecordError,
    Drops,
    Restored,
    aware_time,
    flag,
    iso_date,
    mapping_or_unreadable,
    optional_number,
    optional_text,
    record,
    required_time,
    section,
)
from .ids import is_automation_id

_ENTRY = "automation health"
# An error text longer than this is cut: it is shown, not parsed.
MAX_ERROR_TEXT = 500
DEFAULT_PER_WINDOW = 6
DEFAULT_WINDOW = timedelta(minutes=1)
# The runs kept per automation: twice what a verdict on it reads (8), so that a
# revision can compare the overridden runs with the kept ones.
RECENT_KEPT = 16
_RECORD = "automation run"


def week_key(day: date) -> str:
    """Return the ISO week of `day`, e.g. `2026-W49`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class RunResult:
    """One finished run of an automation, as reported."""

    automation_id: str
    at: datetime  # when it ended, local time
    success: bool
    error: str | None
    duration_ms: float | None
    trigger: str | None
    run_id: str = ""  # the run's context id
    sun_up: bool | None = None  # the sun above the horizon as it ran (None: unknown)
    home: bool | None = None  # anyone at home as it ran (None: unknown)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One recent run of an automation, and what the household made of it.

    `overridden`: a person undid what the run did (see `overrides`).
    `acted_at`: after that, when a person did by hand what the run had done
    (the time they actually wanted it), local time; None when they did not.
    """

    run_id: str
    at: datetime  # when it ended, local time
    success: bool
    error: str | None = None
    overridden: bool = False
    acted_at: datetime | None = None
    sun_up: bool | None = None
    home: bool | None = None

    @property
    def weekend(self) -> bool:
        """Return whether the run was on a Saturday or Sunday (its local date)."""
        return self.at.weekday() >= 5  # noqa: PLR2004 - Saturday is 5

    def as_dict(self) -> dict[str, Any]:
        """Return the record ready for JSON."""
        return {
            "run_id": self.run_id,
            "at": self.at.isoformat(),
            "success": self.success,
            "error": self.error,
            "overridden": self.overridden,
            "acted_at": self.acted_at.isoformat() if self.acted_at else None,
            "sun_up": self.sun_up,
            "home": self.home,
        }


@dataclass(slots=True)
class AutomationHealth:
    """What is known of one automation's runs."""

    runs: int = 0
    successes: int = 0
    failures: int = 0
    overrides: int = 0  # each entity a person set back counts, several per run
    overridden_runs: int = 0  # each run counts once, however many entities
    last_run: datetime | None = None
    last_error: str | None = None
    last_duration_ms: float | None = None
    runs_today: int = 0
    runs_day: date | None = None
    overrides_this_week: int = 0
    overrides_week: str | None = None
    recent: list[RunRecord] = field(default_factory=list)  # oldest first

    def runs_on(self, day: date) -> int:
        """Return the runs counted on `day` (0 when the counter is of another day)."""
        return self.runs_today if self.runs_day == day else 0

    def overrides_in(self, week: str) -> int:
        """Return the overrides counted in `week` (0 for another week)."""
        return self.overrides_this_week if self.overrides_week == week else 0

    def summary(self) -> dict[str, Any]:
        """Return what a person reads: runs, failures, overrides, the last run."""
        return {
            "runs": self.runs,
            "failures": self.failures,
            "overrides": self.overrides,
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "last_error": self.last_error,
        }

    def as_dict(self) -> dict[str, Any]:
        """Return every field, ready for JSON."""
        return {
            "runs": self.runs,
            "successes": self.successes,
            "failures": self.failures,
            "overrides": self.overrides,
            "overridden_runs": self.overridden_runs,
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "last_error": self.last_error,
            "last_duration_ms": self.last_duration_ms,
            "runs_today": self.runs_today,
            "runs_day": self.runs_day.isoformat() if self.runs_day else None,
            "overrides_this_week": self.overrides_this_week,
            "overrides_week": self.overrides_week,
            "recent": [run.as_dict() for run in self.recent],
        }

    def _mark(self, run_id: str, change: Callable[[RunRecord], RunRecord]) -> bool:
        """Change the recent run `run_id`; return whether it is still kept."""
        for index, run in enumerate(self.recent):
            if run.run_id == run_id:
                self.recent[index] = change(run)
                return True
        return False


@dataclass(slots=True)
class HealthTable:
    """The health of each automation, by automation id."""

    automations: dict[str, AutomationHealth] = field(default_factory=dict)

    def get(self, automation_id: str) -> AutomationHealth:
        """Return the automation's health (all zero for one that never ran)."""
        return self.automations.get(automation_id) or AutomationHealth()

    def record_run(self, result: RunResult) -> AutomationHealth:
        """Count a finished run and return the automation's health after it."""
        health = self.automations.setdefault(result.automation_id, AutomationHealth())
        health.runs += 1
        if result.success:
            health.successes += 1
        else:
            health.failures += 1
            health.last_error = _short(result.error)
        health.last_run = result.at
        health.last_duration_ms = result.duration_ms
        day = result.at.date()
        health.runs_today = health.runs_on(day) + 1
        health.runs_day = day
        health.recent.append(
            RunRecord(
                run_id=result.run_id,
                at=result.at,
                success=result.success,
                error=_short(result.error),
                sun_up=result.sun_up,
                home=result.home,
            )
        )
        del health.recent[:-RECENT_KEPT]
        return health

    def record_override(
        self, automation_id: str, at: datetime, run_id: str | None = None
    ) -> AutomationHealth:
        """Count a person undoing what a run of the automation did, at `at`.

        With `run_id`, that run's record is marked overridden (when still kept),
        and the first mark of a run counts one overridden run: a run that set
        three lights, all switched back, is three overrides and one overridden
        run. Without a kept record the run cannot be told from one already
        counted, so it is not counted as an overridden run.
        """
        health = self.automations.setdefault(automation_id, AutomationHealth())
        health.overrides += 1
        week = week_key(at.date())
        health.overrides_this_week = health.overrides_in(week) + 1
        health.overrides_week = week
        if run_id is not None:
            run = next((r for r in health.recent if r.run_id == run_id), None)
            if run is not None and not run.overridden:
                health.overridden_runs += 1
                health._mark(run_id, lambda run: replace(run, overridden=True))  # noqa: SLF001 - its own record
        return health

    def record_acted(self, automation_id: str, run_id: str, at: datetime) -> bool:
        """Note when a person did by hand what an overridden run had done.

        The first such time counts; return whether the run's record took it.
        """
        health = self.automations.get(automation_id)
        if health is None:
            return False
        run = next((r for r in health.recent if r.run_id == run_id), None)
        if run is None or run.acted_at is not None:
            return False
        return health._mark(run_id, lambda run: replace(run, acted_at=at))  # noqa: SLF001 - its own record

    def recent_runs(self, automation_id: str) -> tuple[RunRecord, ...]:
        """Return the automation's last runs, oldest first."""
        health = self.automations.get(automation_id)
        return () if health is None else tuple(health.recent)

    def runs_on(self, day: date, automation_ids: Iterator[str] | None = None) -> int:
        """Return the runs of `day`, of all automations or of those given."""
        return sum(h.runs_on(day) for h in self._of(automation_ids))

    def overrides_in(
        self, week: str, automation_ids: Iterator[str] | None = None
    ) -> int:
        """Return the overrides of `week`, of all automations or of those given."""
        return sum(h.overrides_in(week) for h in self._of(automation_ids))

    def _of(self, automation_ids: Iterator[str] | None) -> Iterator[AutomationHealth]:
        if automation_ids is None:
            yield from self.automations.values()
        else:
            yield from (self.get(i) for i in automation_ids)

    def as_dict(self) -> dict[str, Any]:
        """Return the table ready for JSON (what the store keeps)."""
        return {"automations": {i: h.as_dict() for i, h in self.automations.items()}}


def _short(error: str | None) -> str | None:
    if error is None or len(error) <= MAX_ERROR_TEXT:
        return error
    return error[: MAX_ERROR_TEXT - 1] + "…"


def restore_health(data: object) -> Restored[HealthTable]:
    """Return the table stored by `HealthTable.as_dict`, each entry checked.

    An entry with a bad id or counts is dropped; a bad optional field is reset.
    Raises `UnreadableStoreError` when `data` is not that shape as a whole.
    """
    stored = mapping_or_unreadable(data, "the automation health table")
    entries = section(stored, "automations", dict, "the automation health table")
    drops = Drops()
    table = HealthTable()
    for automation_id, entry in entries.items():
        try:
            table.automations[_checked_id(automation_id)] = _restored_entry(
                record(entry), drops
            )
        except BadRecordError as err:
            drops.drop(_ENTRY, str(err))
    return Restored(table, drops)


def _checked_id(automation_id: object) -> str:
    if not is_automation_id(automation_id):
        raise BadRecordError("its id is not an automation id")
    return automation_id


_COUNTS = (
    "runs",
    "successes",
    "failures",
    "overrides",
    "overridden_runs",
    "runs_today",
    "overrides_this_week",
)


def _restored_entry(entry: Mapping[str, object], drops: Drops) -> AutomationHealth:
    counts: dict[str, int] = {}
    for key in _COUNTS:
        value = entry.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadRecordError(f"{key} is not a count")
        counts[key] = value
    last_run = aware_time(entry.get("last_run"))
    if last_run is None and entry.get("last_run") is not None:
        drops.reset_field(_ENTRY, "last_run")
    runs_day = iso_date(entry.get("runs_day"))
    if runs_day is None and entry.get("runs_day") is not None:
        drops.reset_field(_ENTRY, "runs_day")
    return AutomationHealth(
        **counts,
        last_run=last_run,
        last_error=_short(optional_text(entry, "last_error", drops, _ENTRY)),
        last_duration_ms=optional_number(entry, "last_duration_ms", drops, _ENTRY),
        runs_day=runs_day,
        overrides_week=optional_text(entry, "overrides_week", drops, _ENTRY),
        recent=_restored_recent(entry.get("recent"), drops),
    )


def _restored_recent(value: object, drops: Drops) -> list[RunRecord]:
    """Return the kept runs of a stored entry; a bad one is dropped alone.

    Stores written before runs were kept have none: an empty list.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        drops.reset_field(_ENTRY, "recent")
        return []
    runs: list[RunRecord] = []
    for item in value[-RECENT_KEPT:]:
        try:
            runs.append(_restored_run(record(item), drops))
        except BadRecordError as err:
            drops.drop(_RECORD, str(err))
    return runs


def _restored_run(item: Mapping[str, object], drops: Drops) -> RunRecord:
    run_id = item.get("run_id")
    if not isinstance(run_id, str) or len(run_id) > MAX_ERROR_TEXT:
        raise BadRecordError("run_id is not text")
    success = item.get("success")
    if not isinstance(success, bool):
        raise BadRecordError("success is not true or false")
    acted_at = aware_time(item.get("acted_at"))
    if acted_at is None and item.get("acted_at") is not None:
        drops.reset_field(_RECORD, "acted_at")
    return RunRecord(
        run_id=run_id,
        at=required_time(item, "at"),
        success=success,
        error=_short(optional_text(item, "error", drops, _RECORD)),
        overridden=flag(item, "overridden", False, drops, _RECORD),  # noqa: FBT003
        acted_at=acted_at,
        sun_up=_optional_flag(item, "sun_up", drops),
        home=_optional_flag(item, "home", drops),
    )


def _optional_flag(item: Mapping[str, object], key: str, drops: Drops) -> bool | None:
    value = item.get(key)
    if value is None or isinstance(value, bool):
        return value
    drops.reset_field(_RECORD, key)
    return None


@dataclass(frozen=True, slots=True)
class BurstSummary:
    """The runs of one automation held back in a window, counted."""

    automation_id: str
    suppressed: int
    failures: int
    last: RunResult  # the last run held back


@dataclass(slots=True)
class _Window:
    start: datetime
    reported: int = 0
    suppressed: int = 0
    failures: int = 0
    last: RunResult | None = None


class BurstLimiter:
    """At most `per_window` reports per automation per window; the rest counted.

    A window starts with the first run after the last window ended. Runs
    beyond the limit are held back; their summary is due at the window's end
    (`due`, `next_due`), at the latest with the first run after it.
    """

    def __init__(
        self, per_window: int = DEFAULT_PER_WINDOW, window: timedelta = DEFAULT_WINDOW
    ) -> None:
        """Let `per_window` reports of one automation through per `window`."""
        self.per_window = per_window
        self.window = window
        self._windows: dict[str, _Window] = {}
        self._ready: list[BurstSummary] = []

    def admit(self, result: RunResult) -> bool:
        """Return whether to report `result`; if not, it is counted for a summary.

        Ask `due` first: a window this run ends then gives its summary, which
        belongs before this run's report.
        """
        current = self._windows.get(result.automation_id)
        if current is not None and result.at >= current.start + self.window:
            self._end(result.automation_id)
            current = None
        if current is None:
            current = self._windows[result.automation_id] = _Window(result.at)
        if current.reported < self.per_window:
            current.reported += 1
            return True
        current.suppressed += 1
        current.failures += not result.success
        current.last = result
        return False

    def due(self, now: datetime) -> list[BurstSummary]:
        """Return the summaries of the windows ended by `now`, and forget them."""
        for automation_id, window in list(self._windows.items()):
            if now >= window.start + self.window:
                self._end(automation_id)
        ready, self._ready = self._ready, []
        return ready

    def _end(self, automation_id: str) -> None:
        window = self._windows.pop(automation_id)
        if window.last is not None:
            self._ready.append(
                BurstSummary(
                    automation_id, window.suppressed, window.failures, window.last
                )
            )

    @property
    def next_due(self) -> datetime | None:
        """Return when the first window holding runs back ends; None if none does."""
        ends = [w.start + self.window for w in self._windows.values() if w.suppressed]
        return min(ends, default=None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended, as its trace tells."""

    success: bool
    error: str | None
    duration_ms: float | None


def outcome_of_trace(trace: Mapping[str, object]) -> Outcome:
    """Return how a run ended from its trace's summary (Home Assistant's short form).

    A run failed when its trace holds an error or its execution ended in
    `error`; a run that finished, was stopped, cancelled or aborted by a
    condition did what it was meant to.
    """
    error = trace.get("error")
    success = error is None and trace.get("script_execution") != "error"
    if not success and error is None:
        error = "the run ended with an error"
    return Outcome(success, None if error is None else str(error), _duration(trace))


def _duration(trace: Mapping[str, object]) -> float | None:
    stamps = trace.get("timestamp")
    if not isinstance(stamps, Mapping):
        return None
    start, finish = stamps.get("start"), stamps.get("finish")
    if not isinstance(start, datetime) or not isinstance(finish, datetime):
        return None
    return round(max((finish - start).total_seconds(), 0.0) * 1000, 1)
