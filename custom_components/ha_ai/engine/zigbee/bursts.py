"""Bursts of device events, summarised instead of published one by one.

A pairing session of thousands of devices, a device list that suddenly adds or
removes thousands, or a bridge restart that makes every device unavailable would
each publish one event per device and flood the broker and every subscriber. Per
window (the bridge's one-minute check), the first few events of each kind go out
one by one; the rest are counted into one summary per kind, which the bridge
publishes once the device list is applied, or at the end of the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# Events of one kind published one by one per window; the rest are summarised.
MAX_INDIVIDUAL_EVENTS: Final = 10
# Device ids a summary names, as a sample of what it counts.
SUMMARY_SAMPLE: Final = 20


@dataclass(frozen=True, slots=True)
class BurstSummary:
    """The events of one kind that were not published one by one."""

    event: str
    count: int
    device_ids: tuple[str, ...]


@dataclass(slots=True)
class _Pending:
    count: int = 0
    device_ids: list[str] = field(default_factory=list)


class DeviceEventLimiter:
    """Lets a few events of each kind through per window and counts the rest."""

    def __init__(
        self,
        per_window: int = MAX_INDIVIDUAL_EVENTS,
        sample: int = SUMMARY_SAMPLE,
    ) -> None:
        """Let `per_window` events of each kind through, name `sample` per summary."""
        self._per_window = per_window
        self._sample = sample
        self._published: dict[str, int] = {}
        self._pending: dict[str, _Pending] = {}

    def admit(self, event: str, device_id: str) -> bool:
        """Return whether the event goes out on its own; if not, count it."""
        published = self._published.get(event, 0)
        if published < self._per_window:
            self._published[event] = published + 1
            return True
        pending = self._pending.setdefault(event, _Pending())
        pending.count += 1
        if len(pending.device_ids) < self._sample:
            pending.device_ids.append(device_id)
        return False

    def take_summaries(self) -> list[BurstSummary]:
        """Return the summaries counted so far, by kind, and start counting anew.

        The window's budget of single events stays used: the next events of a kind
        are counted into the next summary, until `new_window`.
        """
        summaries = [
            BurstSummary(event, pending.count, tuple(pending.device_ids))
            for event, pending in sorted(self._pending.items())
        ]
        self._pending.clear()
        return summaries

    def new_window(self) -> None:
        """Give every kind its budget of single events again."""
        self._published.clear()
