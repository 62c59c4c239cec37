"""Overrides: a person undoing what one of HA AI's automations just did.

An automation that runs and is at once reversed by hand is unwanted or mistimed,
and nothing else says so as plainly: a failed run is an error, an overridden one
is the household's opinion. The watch is told when a run sets an entity to a
state (`OverrideWatch.expect`) and sees every state change of the house
(`OverrideWatch.observe`); a manual change of that entity to another state
within the window is one override of that run.

The rules, and why:
- One expectation per entity, the latest run's: the person undoes what the
  automation *just* did, so a later run (of the same automation or another)
  replaces the earlier expectation.
- A manual change to another state within the window is an override, reported
  once per run and entity: the later flips of a person who keeps changing it
  are not new opinions about that run.
- A change to another state made by an automation or the system ends the
  expectation without an override: the run's state is gone, and whatever the
  person does next answers something else.
- A change to the same state is not an override (the person agreed, or only
  adjusted an attribute, as dimming a light does) and leaves the expectation
  as it was: turning the light off a minute later still undoes the run.
- Expectations older than the window are dropped, by `prune` and lazily by
  `observe`.

`observe` runs for every state_changed event of the house, so it is a dict
lookup and a comparison or two, never a scan, and converts no time unless the
entity is awaited. Times are timezone-aware datetimes; the runs' are kept in UTC,
so every comparison and difference is between instants and a daylight-saving
change neither stretches nor shrinks the window (two datetimes of one zone would
be compared by their wall clocks). A naive datetime raises ValueError.

Memory is bounded whatever the callers send: at most `max_pending`
expectations (10,000 by default) are kept, the oldest expectation being dropped
for a new one, and as many remembered (run, entity) reports; an expectation whose
ids or state are longer than Home Assistant allows (255 characters) cannot be a
real entity's and is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

DEFAULT_WINDOW: Final = timedelta(minutes=10)
DEFAULT_MAX_PENDING: Final = 10_000
# Home Assistant caps entity ids and states at 255 characters; automation ids
# and context ids are far shorter.
MAX_TEXT_LENGTH: Final = 255

# An automation is unwanted when, among its last RECENT_RUNS runs, at least
# UNWANTED_MIN_OVERRIDES were overridden and they are at least UNWANTED_SHARE
# of those runs: 5 of 8, or 4 of the first 4 to 6, but never 3 of 3 (a first
# bad week is not yet a verdict) nor 4 of 8 (half the time it is wanted).
RECENT_RUNS: Final = 8
UNWANTED_SHARE: Final = 0.6
UNWANTED_MIN_OVERRIDES: Final = 4


@dataclass(frozen=True, slots=True)
class Override:
    """A run's state reversed by hand: what it set, what the person chose."""

    automation_id: str
    run_id: str  # the run's context id
    entity_id: str
    set_state: str  # what the automation set
    reverted_to: str  # what the person set instead
    after_seconds: float


@dataclass(frozen=True, slots=True)
class _Expectation:
    automation_id: str
    run_id: str
    state: str
    at: datetime  # the run's change, in UTC


_NEVER: Final = datetime.max.replace(tzinfo=UTC)


def _in_utc(at: datetime) -> datetime:
    """Return `at` in UTC; refuse a naive datetime."""
    if at.utcoffset() is None:
        raise ValueError("override times must be timezone-aware")
    return at.astimezone(UTC)


class OverrideWatch:
    """The entities HA AI's runs just set, awaiting a person's undoing."""

    def __init__(
        self,
        window: timedelta = DEFAULT_WINDOW,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        """Watch `window` long after each run; keep at most `max_pending` waiting."""
        if window <= timedelta(0):
            raise ValueError("the override window must be positive")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.window = window
        self.max_pending = max_pending
        self._window_seconds = window.total_seconds()
        # When the oldest expectation passes the window: until then, an event
        # of an entity nobody awaits costs one comparison.
        self._front_expiry = _NEVER
        # Insertion order is the order of the runs' changes (a replaced
        # expectation moves to the end), so the oldest is first.
        self._pending: dict[str, _Expectation] = {}
        self._reported: dict[tuple[str, str], None] = {}
        self.dropped_for_room = 0

    @property
    def pending_count(self) -> int:
        """Return how many expectations are waiting."""
        return len(self._pending)

    def pending_for(self, entity_id: str) -> tuple[str, str, str] | None:
        """Return (automation id, run id, expected state) awaited for an entity."""
        expectation = self._pending.get(entity_id)
        if expectation is None:
            return None
        return expectation.automation_id, expectation.run_id, expectation.state

    def expect(
        self,
        *,
        automation_id: str,
        run_id: str,
        at: datetime,
        entity_id: str,
        state: str,
    ) -> None:
        """Await a person's answer to a run that just set entity_id to state.

        The caller knows the change is the run's own by its context.
        """
        at = _in_utc(at)
        # Whatever happens to this expectation, the entity was changed by an
        # automation: an earlier run's expectation ends here.
        self._pending.pop(entity_id, None)
        if (
            len(automation_id) > MAX_TEXT_LENGTH
            or len(run_id) > MAX_TEXT_LENGTH
            or len(entity_id) > MAX_TEXT_LENGTH
            or len(state) > MAX_TEXT_LENGTH
            or (run_id, entity_id) in self._reported
        ):
            return
        while len(self._pending) >= self.max_pending:
            del self._pending[next(iter(self._pending))]
            self.dropped_for_room += 1
        if not self._pending:
            self._front_expiry = self._expiry(at)
        self._pending[entity_id] = _Expectation(automation_id, run_id, state, at)

    def observe(
        self, *, at: datetime, entity_id: str, state: str, manual: bool
    ) -> Override | None:
        """Judge a state change; return the override it is, if any.

        A manual change of an expected entity to another state within the window
        is an override, counted once per run and entity.
        """
        if at.tzinfo is None:
            raise ValueError("override times must be timezone-aware")
        pending = self._pending
        if not pending:
            return None
        expectation = pending.get(entity_id)
        if expectation is None:
            try:
                expired = at > self._front_expiry
            except TypeError:  # a tzinfo that gives no offset: naive after all
                raise ValueError("override times must be timezone-aware") from None
            if expired:
                self._drop_expired_front(at)
            return None
        after = (_in_utc(at) - expectation.at).total_seconds()
        if after < 0:
            # A change older than the run's own: it arrived late and says
            # nothing about the run.
            return None
        if after > self._window_seconds:
            del pending[entity_id]
            return None
        if state == expectation.state:
            return None
        del pending[entity_id]
        if not manual:
            return None
        self._remember_report(expectation.run_id, entity_id)
        return Override(
            automation_id=expectation.automation_id,
            run_id=expectation.run_id,
            entity_id=entity_id,
            set_state=expectation.state,
            reverted_to=state,
            after_seconds=after,
        )

    def prune(self, now: datetime) -> None:
        """Drop every expectation older than the window at `now`."""
        now = _in_utc(now)
        window = self.window
        expired = [
            entity_id
            for entity_id, expectation in self._pending.items()
            if now - expectation.at > window
        ]
        for entity_id in expired:
            del self._pending[entity_id]
        self._drop_expired_front(now)

    def _expiry(self, at: datetime) -> datetime:
        """Return when an expectation set at `at` (UTC) passes the window."""
        try:
            return at + self.window
        except OverflowError:
            return _NEVER

    def _drop_expired_front(self, now: datetime) -> None:
        """Drop the oldest expectations while they are past the window.

        Amortised O(1): each expectation is dropped once. Expectations told out
        of order may hide behind a younger one until `prune` scans them all.
        """
        pending = self._pending
        window = self.window
        while pending:
            entity_id = next(iter(pending))
            front = pending[entity_id].at
            if now - front <= window:
                self._front_expiry = self._expiry(front)
                return
            del pending[entity_id]
        self._front_expiry = _NEVER

    def _remember_report(self, run_id: str, entity_id: str) -> None:
        """Remember that this run's change of this entity was overridden."""
        reported = self._reported
        while len(reported) >= self.max_pending:
            del reported[next(iter(reported))]
        reported[run_id, entity_id] = None


def override_share(runs: int, overrides: int) -> float:
    """Return the share of runs that were overridden, between 0 and 1.

    No runs is no evidence: 0. Counts out of range (more overrides than runs,
    negative numbers, as a restored store may hold) are clamped, not trusted.
    """
    if runs <= 0:
        return 0.0
    return min(max(overrides, 0), runs) / runs


def is_unwanted(runs_recent: Sequence[bool]) -> bool:
    """Return whether an automation's recent runs say the household does not want it.

    `runs_recent` holds one flag per run, oldest first, True when that run was
    overridden; only the last RECENT_RUNS count. Unwanted means at least
    UNWANTED_MIN_OVERRIDES overridden runs making at least UNWANTED_SHARE of
    those runs (see the constants for why).
    """
    recent = runs_recent[-RECENT_RUNS:]
    overridden = sum(1 for flag in recent if flag)
    return (
        overridden >= UNWANTED_MIN_OVERRIDES
        and override_share(len(recent), overridden) >= UNWANTED_SHARE
    )
