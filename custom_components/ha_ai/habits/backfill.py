"""Back-fill HA AI's habit log from the recorder on the first run.

Home Assistant's history API returns states without their context, and the context
is what tells a person's change from an automation's. So the states and the events
that say who acted (`automation_triggered`, `script_started`, `call_service`) are
read with the recorder's own SQLAlchemy models, which work on every database the
recorder supports, and replayed in time order through the same `OriginTracker` the
live log uses (changes at one and the same time in the order the recorder wrote
them, by row id: each database orders equal times its own way): a state is joined
to its run on the context id (`States.context_id_bin` = `Events.context_id_bin`),
a late device report to the command before it, exactly as live. Reading happens
in the recorder's executor, a day at a time and streamed, so neither the event
loop nor the memory carries the database; each entity's previous state and the
remembered runs carry over from one day to the next, and the state each entity
had before the first day is read first, so no entity's first change of a day is
mistaken for a restore.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.recorder.db_schema import (
    EventData,
    Events,
    EventTypes,
    States,
    StatesMeta,
)
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..automations.change_origin import (
    EVENT_AUTOMATION_TRIGGERED,
    EVENT_SCRIPT_STARTED,
    RegistrySnapshot,
    note_call,
)
from ..const import LOGGER
from ..engine.habits.log_files import LogRow
from ..engine.habits.origin import ChangeContext, OriginTracker
from .log import HabitLog

ROWS_PER_FETCH = 5000
MAX_STATE_LENGTH = 100
EVENT_TYPES = (EVENT_AUTOMATION_TRIGGERED, EVENT_SCRIPT_STARTED, EVENT_CALL_SERVICE)
# At equal times an event comes before the state change it caused.
EVENT_FIRST, STATE_SECOND = 0, 1


def _context(
    context_id: bytes | None, parent_id: bytes | None, user_id: bytes | None
) -> ChangeContext:
    """Return a context from the recorder's binary columns (hex is enough to join)."""
    return ChangeContext(
        context_id.hex() if context_id else None,
        parent_id.hex() if parent_id else None,
        user_id.hex() if user_id else None,
    )


class RecorderReplay:
    """Reads the recorder's changes with their origin, one period after another.

    Periods must follow each other in time; `read` runs in the recorder's executor.
    """

    def __init__(self, hass: HomeAssistant, is_logged: Callable[[str], bool]) -> None:
        """Prepare on the event loop; the database is first read by `read`.

        Where each device and area leads is copied now: `read` runs in a worker
        thread, which must not read the registries the event loop changes.
        """
        self.hass = hass
        self.targets = RegistrySnapshot.of(hass)
        self.is_logged = is_logged
        self.tracker = OriginTracker()
        self.previous: dict[str, str] = {}
        self._entities: dict[int, str] | None = None
        self._event_types: dict[int, str] = {}

    def read(self, start: datetime, end: datetime) -> list[LogRow]:
        """Return the state changes between `start` and `end`.

        A row is a change when its state differs from the entity's previous row
        (rows are also written when only attributes change).
        """
        with session_scope(hass=self.hass, read_only=True) as session:
            if self._entities is None:
                self._prepare(session, start)
            assert self._entities is not None  # noqa: S101 - set by _prepare
            if not self._entities:
                return []
            events = list(self._events(session, start.timestamp(), end.timestamp()))
            states = self._states(session, start.timestamp(), end.timestamp())
            rows: list[LogRow] = []
            for item in heapq.merge(events, states, key=lambda row: row[:2]):
                if item[1] == EVENT_FIRST:
                    self._note_event(item)
                elif (row := self._change(item)) is not None:
                    rows.append(row)
            return rows

    def _prepare(self, session: Session, start: datetime) -> None:
        """Read the entities, the event types, and where things stood at `start`."""
        self._entities = {
            metadata_id: entity_id
            for metadata_id, entity_id in session.execute(
                select(StatesMeta.metadata_id, StatesMeta.entity_id)
            )
            if entity_id and self.is_logged(entity_id)
        }
        self._event_types = {
            event_type_id: event_type
            for event_type_id, event_type in session.execute(
                select(EventTypes.event_type_id, EventTypes.event_type).where(
                    EventTypes.event_type.in_(EVENT_TYPES)
                )
            )
            if event_type
        }
        before = start.timestamp()
        for metadata_id, entity_id in self._entities.items():
            state = session.execute(
                select(States.state)
                .where(States.metadata_id == metadata_id)
                .where(States.last_updated_ts < before)
                .order_by(States.last_updated_ts.desc(), States.state_id.desc())
                .limit(1)
            ).scalar()
            if state is not None:
                self.previous[entity_id] = state
        # Runs still under way at `start`.
        for event in self._events(session, before - self.tracker.run_seconds, before):
            self._note_event(event)

    def _events(
        self, session: Session, start: float, end: float
    ) -> Iterator[tuple[Any, ...]]:
        if not self._event_types:
            return
        query = (
            select(
                Events.time_fired_ts,
                Events.event_type_id,
                Events.context_id_bin,
                Events.context_parent_id_bin,
                Events.context_user_id_bin,
                EventData.shared_data,
            )
            .outerjoin(EventData, Events.data_id == EventData.data_id)
            .where(Events.event_type_id.in_(list(self._event_types)))
            .where(Events.time_fired_ts >= start)
            .where(Events.time_fired_ts < end)
            .order_by(Events.time_fired_ts, Events.event_id)
        )
        for when, type_id, context_id, parent_id, user_id, data in session.execute(
            query.execution_options(yield_per=ROWS_PER_FETCH)
        ):
            if when is not None:
                yield (
                    when,
                    EVENT_FIRST,
                    self._event_types.get(type_id),
                    _context(context_id, parent_id, user_id),
                    data,
                )

    def _states(
        self, session: Session, start: float, end: float
    ) -> Iterator[tuple[Any, ...]]:
        assert self._entities is not None  # noqa: S101 - set by _prepare
        query = (
            select(
                States.last_updated_ts,
                States.metadata_id,
                States.state,
                States.context_id_bin,
                States.context_parent_id_bin,
                States.context_user_id_bin,
            )
            .where(States.metadata_id.in_(list(self._entities)))
            .where(States.last_updated_ts >= start)
            .where(States.last_updated_ts < end)
            .order_by(States.last_updated_ts, States.state_id)
        )
        for when, metadata_id, state, context_id, parent_id, user_id in session.execute(
            query.execution_options(yield_per=ROWS_PER_FETCH)
        ):
            entity_id = self._entities.get(metadata_id)
            if when is None or state is None or entity_id is None:
                continue
            yield (
                when,
                STATE_SECOND,
                entity_id,
                _context(context_id, parent_id, user_id),
                state,
            )

    def _note_event(self, event: tuple[Any, ...]) -> None:
        when, _, event_type, context, data = event
        if event_type == EVENT_AUTOMATION_TRIGGERED:
            self.tracker.run_started(context, when)
        elif event_type == EVENT_SCRIPT_STARTED:
            self.tracker.script_started(context, when)
        elif event_type == EVENT_CALL_SERVICE and data:
            try:
                payload = json_loads(data)
            except ValueError:
                return
            if isinstance(payload, dict):
                note_call(
                    self.targets,
                    self.tracker,
                    context,
                    when,
                    payload,
                    self.previous.get,
                )

    def _change(self, item: tuple[Any, ...]) -> LogRow | None:
        when, _, entity_id, context, state = item
        old = self.previous.get(entity_id)
        self.previous[entity_id] = state
        if old == state:
            return None
        origin = self.tracker.classify(entity_id, old, state, context, when)
        return (int(when), int(origin), entity_id, state[:MAX_STATE_LENGTH])


async def async_backfill(hass: HomeAssistant, log: HabitLog, days: int) -> int:
    """Fill the empty log with what the recorder still has; return the rows."""
    end = dt_util.utcnow()
    replay = RecorderReplay(hass, log.is_logged)
    total = 0
    for day in range(days, 0, -1):
        start = end - timedelta(days=day)
        stop = start + timedelta(days=1)
        rows = await get_instance(hass).async_add_executor_job(replay.read, start, stop)
        if rows:
            await log.async_add_rows(rows)
            total += len(rows)
    LOGGER.info("Habit log back-filled with %s changes from the recorder", total)
    return total
