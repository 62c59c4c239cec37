"""Says when a learned routine is happening now, so automations can build on it.

For a time-of-day routine, its first manual occurrence inside today's window is the
moment; for a used-together pair, each manual change of A to its state. Each
publishes `ha-ai/events/pattern/<pattern_id>/triggered` once, with what is expected
next. Only established patterns are watched: a forming one has too little evidence
for automations to act on, and a pair known for its reverse view alone (B is nearly
always preceded by A) says little about what follows A.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.util import dt as dt_util

from ..bus.mqtt_bus import MqttBus
from ..engine.habits.model import (
    Origin,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from ..engine.habits.occurrence import (
    in_day_class,
    in_window,
    is_watched,
    next_occurrence,
)
from .coordinator import HabitAnalysis


class HabitLive:
    """Watches live state changes for the leading events of learned patterns."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        bus: MqttBus,
        analysis: HabitAnalysis,
    ) -> None:
        """Prepare; nothing is watched before `async_start`, nor after `entry` ends."""
        self.hass = hass
        self.entry = entry
        self.bus = bus
        self.analysis = analysis
        self.triggered = 0
        self._routines: dict[tuple[str, str], list[TimeOfDayPattern]] = {}
        self._pairs: dict[tuple[str, str], list[UsedTogetherPattern]] = {}
        self._fired_today: set[tuple[str, date]] = set()

    async def async_start(self) -> None:
        """Follow the patterns the analysis learns, and the state changes."""
        self._index()
        self.entry.async_on_unload(self.analysis.async_add_listener(self._index))
        self.entry.async_on_unload(
            self.hass.bus.async_listen(
                EVENT_STATE_CHANGED,
                self._on_state_changed,
                event_filter=self._is_watched,
            )
        )

    @callback
    def _index(self) -> None:
        routines: dict[tuple[str, str], list[TimeOfDayPattern]] = {}
        pairs: dict[tuple[str, str], list[UsedTogetherPattern]] = {}
        for pattern in filter(is_watched, self.analysis.patterns):
            if isinstance(pattern, TimeOfDayPattern):
                key = (pattern.entity_id, pattern.state)
                routines.setdefault(key, []).append(pattern)
            else:
                key = (pattern.trigger_entity_id, pattern.trigger_state)
                pairs.setdefault(key, []).append(pattern)
        self._routines = routines
        self._pairs = pairs

    @callback
    def _is_watched(self, event_data: EventStateChangedData) -> bool:
        entity_id = event_data["entity_id"]
        new_state = event_data["new_state"]
        if new_state is None:
            return False
        key = (entity_id, new_state.state)
        return key in self._routines or key in self._pairs

    @callback
    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        old_state = event.data["old_state"]
        new_state = event.data["new_state"]
        if new_state is None or (old_state and old_state.state == new_state.state):
            return
        # Judged as the habit log judges it: an automation's change (HA AI's own
        # deployed routines included) is not the routine happening.
        origin = self.analysis.log.origins.origin_of(event)
        if origin is not Origin.MANUAL:
            return
        now = dt_util.now()
        key = (event.data["entity_id"], new_state.state)
        for routine in self._routines.get(key, []):
            self._routine_happening(routine, now)
        for pair in self._pairs.get(key, []):
            self._publish(
                pair.pattern_id,
                pair.pattern_type,
                [pair.trigger_entity_id, pair.entity_id],
                {
                    "entity_id": pair.entity_id,
                    "state": pair.state,
                    "within_seconds": round(pair.median_delay_seconds, 1),
                    "expected_at": (
                        now + timedelta(seconds=pair.median_delay_seconds)
                    ).isoformat(),
                },
            )

    def _routine_happening(self, routine: TimeOfDayPattern, now: datetime) -> None:
        minute = now.hour * 60 + now.minute
        today = now.date()
        if not in_day_class(today, routine.day_class) or not in_window(routine, minute):
            return
        if (routine.pattern_id, today) in self._fired_today:
            return
        self._fired_today = {
            fired for fired in self._fired_today if fired[1] == today
        } | {(routine.pattern_id, today)}
        self._publish(
            routine.pattern_id,
            routine.pattern_type,
            [routine.entity_id],
            {
                "entity_id": routine.entity_id,
                "state": routine.state,
                "expected_at": next_occurrence(routine, now).isoformat(),
            },
        )

    def _publish(
        self,
        pattern_id: str,
        pattern_type: str,
        entities: list[str],
        expected_next: dict[str, Any],
    ) -> None:
        self.triggered += 1
        self.bus.async_publish_event(
            ["events", "pattern", pattern_id, "triggered"],
            {
                "pattern_id": pattern_id,
                "pattern_type": pattern_type,
                "entities": entities,
                "expected_next": expected_next,
            },
        )
