"""How fast new AI cameras may appear, and the tally of those that had to wait.

Anyone who can publish on the classifier's topics can name a new camera with each
message, and each camera brings a device and seven entities that stay for days.
`NewCameraLimit` is a token bucket: `burst` new cameras at once, then `per_minute`
more each minute. A message of an unknown camera that finds no token is not
recorded: the camera *waits*, and is added with a later message once a token is
free (a real camera keeps sending; nothing is kept for it meanwhile, so waiting
costs no memory). `WaitingTally` counts the waits for one summary log line per
interval and for the diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_PER_MINUTE = 5
DEFAULT_BURST = 10
SAMPLE_SIZE = 3  # ids named in a summary line
MAX_TRACKED_IDS = 1_000  # distinct ids remembered per interval


class NewCameraLimit:
    """A token bucket for new cameras: `burst` at once, then `per_minute`."""

    def __init__(
        self,
        *,
        now: datetime,
        per_minute: float = DEFAULT_PER_MINUTE,
        burst: int = DEFAULT_BURST,
    ) -> None:
        """Start full: `burst` new cameras may appear right away."""
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be positive and burst at least 1")
        self.per_minute = per_minute
        self.burst = burst
        self._tokens = float(burst)
        self._since = now

    def admit(self, now: datetime) -> bool:
        """Take a token for one new camera at `now`; False when there is none."""
        elapsed = max((now - self._since) / timedelta(minutes=1), 0.0)
        self._tokens = min(self._tokens + elapsed * self.per_minute, self.burst)
        self._since = max(now, self._since)
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


@dataclass(frozen=True, slots=True)
class WaitingSummary:
    """The cameras that waited during one interval."""

    cameras: int  # distinct ids (at least; counting stops at MAX_TRACKED_IDS)
    messages: int
    sample: tuple[str, ...]  # the first few ids, as they came


@dataclass(slots=True)
class WaitingTally:
    """Counts the messages of cameras that waited, per interval and in total."""

    messages_total: int = 0
    cameras_total: int = 0  # the sum of each interval's distinct ids
    _messages: int = 0
    _ids: dict[str, None] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        """Tell whether something waited since the last summary."""
        return self._messages > 0

    def add(self, camera_id: str) -> None:
        """Count one message of a camera that had to wait."""
        self._messages += 1
        self.messages_total += 1
        if camera_id not in self._ids and len(self._ids) < MAX_TRACKED_IDS:
            self._ids[camera_id] = None
            self.cameras_total += 1

    def summary(self) -> WaitingSummary | None:
        """Return what waited since the last summary and start a new interval."""
        if not self._messages:
            return None
        summary = WaitingSummary(
            cameras=len(self._ids),
            messages=self._messages,
            sample=tuple(list(self._ids)[:SAMPLE_SIZE]),
        )
        self._messages = 0
        self._ids = {}
        return summary
