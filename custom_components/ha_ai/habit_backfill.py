"""Back-fill HA AI's habit log from the recorder on the first run.

Home Assistant's history API returns states without their context, and the context
is what tells a person's change from an automation's. So the states, with the
parent of their context, are read with the recorder's own SQLAlchemy models, which
work on every database the recorder supports, in the recorder's executor, a day at
a time and streamed, so neither the event loop nor the memory carries the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from homeassistant.components.recorder.db_schema import States, StatesMeta
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.util import dt as dt_util
from sqlalchemy import select

from .const import LOGGER
from .engine.habits.log_files import LogRow
from .engine.habits.model import classify_origin
from .habit_log import HabitLog

ROWS_PER_FETCH = 5000
MAX_STATE_LENGTH = 100


def read_recorder_changes(
    hass: HomeAssistant,
    start: datetime,
    end: datetime,
    is_logged: Callable[[str], bool],
) -> list[LogRow]:
    """Return the state changes between `start` and `end`; run in the recorder.

    A row is a change when its state differs from the entity's previous row (rows
    are also written when only attributes change).
    """
    with session_scope(hass=hass, read_only=True) as session:
        metadata = {
            metadata_id: entity_id
            for metadata_id, entity_id in session.execute(
                select(StatesMeta.metadata_id, StatesMeta.entity_id)
            )
            if entity_id and is_logged(entity_id)
        }
        if not metadata:
            return []
        query = (
            select(
                States.metadata_id,
                States.state,
                States.last_updated_ts,
                States.context_parent_id_bin,
            )
            .where(States.metadata_id.in_(list(metadata)))
            .where(States.last_updated_ts >= start.timestamp())
            .where(States.last_updated_ts < end.timestamp())
            .order_by(States.last_updated_ts)
        )
        rows: list[LogRow] = []
        previous: dict[int, str] = {}
        for metadata_id, state, updated, parent in session.execute(
            query.execution_options(yield_per=ROWS_PER_FETCH)
        ):
            if state is None or updated is None or metadata_id is None:
                continue
            old = previous.get(metadata_id)
            previous[metadata_id] = state
            if old == state:
                continue
            origin = classify_origin(
                old, state, context_parent_id="parent" if parent else None
            )
            rows.append(
                (
                    int(updated),
                    int(origin),
                    metadata[metadata_id],
                    state[:MAX_STATE_LENGTH],
                )
            )
        return rows


async def async_backfill(hass: HomeAssistant, log: HabitLog, days: int) -> int:
    """Fill the empty log with what the recorder still has; return the rows."""
    end = dt_util.utcnow()
    total = 0
    for day in range(days, 0, -1):
        start = end - timedelta(days=day)
        stop = start + timedelta(days=1)
        rows = await get_instance(hass).async_add_executor_job(
            read_recorder_changes, hass, start, stop, log.is_logged
        )
        if rows:
            await log.async_add_rows(rows)
            total += len(rows)
    LOGGER.info("Habit log back-filled with %s changes from the recorder", total)
    return total
