"""Follow every run of the automations HA AI deployed, and report how each went.

How a run is followed, without polling:

- Its start is Home Assistant's `automation_triggered` event. The automation
  fires it from inside the run (its `started_action`, once the conditions
  passed), and the event bus calls callback listeners at once, so the listener
  runs inside the task that runs the automation's `async_trigger`, and the
  event's context is the run's own context. Only automations HA AI deployed are
  followed: the entity's `id` attribute is the automation id HA AI recorded.
- Its end is that task finishing (`Task.add_done_callback`): the automation
  wraps the whole run, its error handling included, in the trace it stores for
  the run (`trace_automation`), and the trace is marked finished before the
  trigger returns. The automation entity's own state change (its `current`
  attribute going back down) comes earlier, before the run's error is known.
  (A run started by a blocking `automation.trigger` call shares its caller's
  task, so it is reported when the caller is done.)
- Its result is that trace, found by the run's context among the traces the
  `trace` integration keeps (`hass.data[DATA_TRACE]`, the store behind the
  automation editor's trace view; `automation` depends on it). Its short form,
  the one the editor lists, gives the execution (`finished`, `error`...), the
  error and the start and finish times. Without a trace (none kept), a run
  counts as a success with the time measured here.

As a run starts, whether the sun is up (`sun.sun`) and whether anyone is home
(`zone.home`, the number of people in it) are read, and kept with the run: a
revision of an overridden automation compares the runs a person undid with the
kept ones. Those listening for runs (the override follower) learn each run's
context as it starts, before any of its service calls.

Each run is counted in the health table (kept in a store, so a restart keeps
the counts) and reported on `responses/automation/executed` or `.../failed`
with `"event": "run"`; an automation in a loop is held to a few reports a
minute, and the rest come as one summary with `"event": "summary"`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.components.trace.const import DATA_TRACE
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_ID,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_time_change,
)
from homeassistant.util import dt as dt_util

from ..bus.mqtt_bus import MqttBus
from ..const import DOMAIN, LOGGER
from ..engine.automations.runs import (
    BurstLimiter,
    BurstSummary,
    HealthTable,
    Outcome,
    RunResult,
    outcome_of_trace,
    restore_health,
    week_key,
)
from ..signals import ChangeSignal
from ..stored_part import PartStore
from .change_origin import EVENT_AUTOMATION_TRIGGERED
from .deploy import AutomationDeployer

HEALTH_STORE_KEY = f"{DOMAIN}.automation_health"
STORE_VERSION = 1
SAVE_DELAY = 10
ATTR_SOURCE = "source"  # the trigger's description in `automation_triggered`
SUN_ENTITY = "sun.sun"
SUN_UP = "above_horizon"
SUN_DOWN = "below_horizon"
HOME_ZONE = "zone.home"

# Told of each run of a followed automation as it starts: (automation id, run id).
type RunListener = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class _RunStart:
    """What is known of a run as it starts, kept until it ends."""

    automation_id: str
    run_id: str  # the run's context id
    trigger: str | None
    trace: Callable[[], dict[str, Any]] | None  # its trace's short form, if kept
    started: float  # perf_counter
    sun_up: bool | None
    home: bool | None


class AutomationRuns:
    """Follows the runs of HA AI's automations: health table, MQTT reports."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
        deployer: AutomationDeployer,
    ) -> None:
        """Prepare; `async_start` loads the table and starts following."""
        self.hass = hass
        self.entry = entry
        self.bus = bus
        self.deployer = deployer
        self.table = HealthTable()
        self.limiter = BurstLimiter()
        self.reports = 0
        self.suppressed = 0
        self._signal = ChangeSignal(hass, entry.entry_id, "automation_runs")
        self._cancel_summaries: CALLBACK_TYPE | None = None
        self._stopped = False
        self._run_listeners: list[RunListener] = []
        self._store = PartStore(
            hass,
            entry,
            HEALTH_STORE_KEY,
            STORE_VERSION,
            lambda: self.table.as_dict(),
            SAVE_DELAY,
        )

    async def async_start(self) -> None:
        """Restore the health table, then follow runs, deploys and the day."""
        if (loaded := await self._store.async_load(restore_health)) is not None:
            self.table = loaded
        self.entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_AUTOMATION_TRIGGERED, self._async_started)
        )
        self.entry.async_on_unload(
            self.deployer.async_add_listener(self._signal.async_send)
        )
        # Runs today and overrides this week start again from zero at midnight.
        self.entry.async_on_unload(
            async_track_time_change(
                self.hass, self._async_new_day, hour=0, minute=0, second=0
            )
        )

    @callback
    def async_stop(self) -> None:
        """Report the runs still held back, and stop the summary timer.

        A run still under way is not counted when it ends: the table is already
        written, and the next instance (after a reload) did not see it begin.
        """
        self._stopped = True
        if self._cancel_summaries is not None:
            self._cancel_summaries()
            self._cancel_summaries = None
        for summary in self.limiter.due(dt_util.now() + self.limiter.window):
            self._publish_summary(summary)

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` on each change of the table or of the followed set."""
        return self._signal.async_add_listener(listener)

    @callback
    def async_add_run_listener(self, listener: RunListener) -> CALLBACK_TYPE:
        """Call `listener(automation_id, run_id)` as each followed run starts."""
        self._run_listeners.append(listener)

        @callback
        def remove() -> None:
            self._run_listeners.remove(listener)

        return remove

    # Following

    @callback
    def _async_started(self, event: Event) -> None:
        """Follow a run that began to its end, when it is one of HA AI's."""
        state = self.hass.states.get(str(event.data.get(ATTR_ENTITY_ID)))
        automation_id = None if state is None else state.attributes.get(CONF_ID)
        if automation_id is None or not self.deployer.deployed_by_ha_ai(
            str(automation_id)
        ):
            return
        for listener in list(self._run_listeners):
            listener(str(automation_id), event.context.id)
        task = asyncio.current_task()
        if task is None:
            LOGGER.debug("automation_triggered of %s outside a run", automation_id)
            return
        trigger = event.data.get(ATTR_SOURCE)
        start = _RunStart(
            automation_id=str(automation_id),
            run_id=event.context.id,
            trigger=None if trigger is None else str(trigger),
            trace=self._trace_of(str(automation_id), event.context.id),
            started=time.perf_counter(),
            sun_up=self._sun_up(),
            home=self._anyone_home(),
        )
        task.add_done_callback(partial(self._run_ended, start))

    def _sun_up(self) -> bool | None:
        """Return whether the sun is above the horizon; None without a sun."""
        state = self.hass.states.get(SUN_ENTITY)
        if state is None or state.state not in (SUN_UP, SUN_DOWN):
            return None
        return state.state == SUN_UP

    def _anyone_home(self) -> bool | None:
        """Return whether anyone is home (the home zone counts its people)."""
        state = self.hass.states.get(HOME_ZONE)
        if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            return None
        try:
            people = float(state.state)
        except ValueError:
            return None
        return people > 0

    def _trace_of(
        self, automation_id: str, context_id: str
    ) -> Callable[[], dict[str, Any]] | None:
        """Return the short form of the run's trace, stored as the run began."""
        traces = self.hass.data.get(DATA_TRACE, {}).get(f"automation.{automation_id}")
        found = (
            trace
            for trace in reversed(list((traces or {}).values()))
            if trace.context.id == context_id
        )
        return next((trace.as_short_dict for trace in found), None)

    def _run_ended(self, start: _RunStart, _task: asyncio.Task[Any]) -> None:
        """Count the run and report it (through the burst limit)."""
        if self._stopped:
            return
        if start.trace is not None:
            outcome = outcome_of_trace(start.trace())
        else:
            elapsed = round((time.perf_counter() - start.started) * 1000, 1)
            outcome = Outcome(success=True, error=None, duration_ms=elapsed)
        result = RunResult(
            automation_id=start.automation_id,
            at=dt_util.now(),
            success=outcome.success,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            trigger=start.trigger,
            run_id=start.run_id,
            sun_up=start.sun_up,
            home=start.home,
        )
        self.table.record_run(result)
        self._store.async_save_later()
        # The summary of an ended burst goes out before the run that follows it.
        for summary in self.limiter.due(result.at):
            self._publish_summary(summary)
        if self.limiter.admit(result):
            self._publish(result, {"event": "run", "run_id": start.run_id})
        else:
            self.suppressed += 1
            self._schedule_summaries()
        self._signal.async_send()

    @callback
    def async_record_override(
        self, automation_id: str, run_id: str | None = None
    ) -> None:
        """Count a person undoing what a run of the automation just did.

        With `run_id` (the run's context id), that run is marked overridden.
        """
        self.table.record_override(automation_id, dt_util.now(), run_id=run_id)
        self._store.async_save_later()
        self._signal.async_send()

    @callback
    def async_record_acted(self, automation_id: str, run_id: str, at: datetime) -> bool:
        """Note when a person did by hand what an overridden run had done.

        `at` is kept in local time, as the runs' own times are. Return whether the
        run's record took it (it is still kept, and had no such time yet).
        """
        if not self.table.record_acted(automation_id, run_id, dt_util.as_local(at)):
            return False
        self._store.async_save_later()
        self._signal.async_send()
        return True

    # Reporting

    def _publish(self, result: RunResult, extra: dict[str, Any]) -> None:
        self.reports += 1
        self.bus.async_publish_event(
            ["responses", "automation", "executed" if result.success else "failed"],
            {
                "automation_id": result.automation_id,
                "suggestion_id": self.deployer.suggestion_of(result.automation_id),
                "success": result.success,
                "error": result.error,
                "execution_time_ms": result.duration_ms,
                "trigger": result.trigger,
                **extra,
            },
        )

    def _publish_summary(self, summary: BurstSummary) -> None:
        """Report the runs held back: the last one, with how many and how many failed.

        The summary goes to `failed` when any of them failed, so that a
        listener to failures alone hears of them too.
        """
        last = summary.last
        self._publish(
            RunResult(
                automation_id=last.automation_id,
                at=last.at,
                success=summary.failures == 0,
                error=last.error,
                duration_ms=last.duration_ms,
                trigger=last.trigger,
            ),
            {
                "event": "summary",
                "suppressed": summary.suppressed,
                "suppressed_failures": summary.failures,
            },
        )

    def _schedule_summaries(self) -> None:
        if self._cancel_summaries is None and (when := self.limiter.next_due):
            self._cancel_summaries = async_track_point_in_utc_time(
                self.hass, self._async_summaries_due, when
            )

    @callback
    def _async_summaries_due(self, now: datetime) -> None:
        self._cancel_summaries = None
        for summary in self.limiter.due(now):
            self._publish_summary(summary)
        self._schedule_summaries()

    @callback
    def _async_new_day(self, _now: datetime) -> None:
        self._signal.async_send()

    # For entities and diagnostics

    @property
    def followed(self) -> list[str]:
        """Return the ids of the automations followed (those HA AI deployed)."""
        return self.deployer.deployed_ids

    def health(self) -> dict[str, dict[str, Any]]:
        """Return each followed automation's runs, failures, overrides, last run."""
        return {i: self.table.get(i).summary() for i in self.followed}

    @property
    def runs_today(self) -> int:
        """Return the runs of the followed automations today."""
        return self.table.runs_on(dt_util.now().date(), iter(self.followed))

    @property
    def overrides_this_week(self) -> int:
        """Return the overrides of the followed automations this week."""
        week = week_key(dt_util.now().date())
        return self.table.overrides_in(week, iter(self.followed))

    @property
    def runs_and_kept(self) -> tuple[int, int]:
        """Return the followed automations' runs, and those that worked and stayed.

        A run stayed when it succeeded and no person undid it; a run counts as
        undone once, however many of its entities were set back.
        """
        runs = kept = 0
        for automation_id in self.followed:
            health = self.table.get(automation_id)
            runs += health.runs
            kept += max(health.successes - health.overridden_runs, 0)
        return runs, kept

    @property
    def kept_percent(self) -> float | None:
        """Return the share of runs that succeeded and were kept, in percent."""
        runs, kept = self.runs_and_kept
        return None if runs == 0 else round(kept / runs * 100, 1)

    def as_diagnostics(self) -> dict[str, Any]:
        """Return the whole health table and what the reports did."""
        return {
            "followed": self.followed,
            "reports": self.reports,
            "suppressed": self.suppressed,
            **self.table.as_dict(),
        }
