"""How many refusals of remote commands are answered one by one.

Anyone who can publish to the broker can send commands that are refused: no
secret is needed for an unsigned one, and a signed command seen on the broker
can be replayed as often as one likes. Answering each would let them flood the
namespace with `failed` messages. So each reason has a token bucket: a burst is
answered in full, then a steady trickle; the rest are counted, and the caller
publishes one summary per interval saying how many went unanswered, and why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

DEFAULT_BURST: Final = 10
DEFAULT_PER_MINUTE: Final = 10.0
DEFAULT_SUMMARY_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class RefusalLimits:
    """A burst of `burst` answers per reason, refilled at `per_minute`."""

    burst: int = DEFAULT_BURST
    per_minute: float = DEFAULT_PER_MINUTE
    summary_seconds: float = DEFAULT_SUMMARY_SECONDS

    def __post_init__(self) -> None:
        """Refuse limits that would answer nothing or never refill."""
        if self.burst < 1 or self.per_minute <= 0 or self.summary_seconds <= 0:
            raise ValueError("refusal limits must be positive")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RefusalLimiter:
    """A token bucket per refusal reason, and the count of what was held back.

    Times are seconds of a monotonic clock, so a clock change never refills it.
    """

    def __init__(self, limits: RefusalLimits | None = None) -> None:
        """Start with every bucket full."""
        self.limits = limits or RefusalLimits()
        self._buckets: dict[str, _Bucket] = {}
        self._pending: Counter[str] = Counter()
        self.answered = 0
        self.held_back: Counter[str] = Counter()

    def allow(self, reason: str, now: float) -> bool:
        """Return whether this refusal is answered; count it if not."""
        limits = self.limits
        bucket = self._buckets.get(reason)
        if bucket is None:
            bucket = self._buckets[reason] = _Bucket(float(limits.burst), now)
        elapsed = max(now - bucket.updated, 0.0)
        bucket.tokens = min(
            float(limits.burst), bucket.tokens + elapsed * limits.per_minute / 60
        )
        bucket.updated = max(bucket.updated, now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            self.answered += 1
            return True
        self._pending[reason] += 1
        self.held_back[reason] += 1
        return False

    @property
    def pending(self) -> int:
        """Return how many refusals went unanswered since the last summary."""
        return self._pending.total()

    def take_summary(self) -> dict[str, int]:
        """Return the unanswered refusals by reason since the last summary; reset."""
        summary = dict(sorted(self._pending.items()))
        self._pending.clear()
        return summary
