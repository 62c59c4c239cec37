"""Random sequences of runs and state changes: the watch's promises always hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.automations.overrides import (
    Override,
    OverrideWatch,
)

PARIS = ZoneInfo("Europe/Paris")
# Five minutes before Paris moves its clocks forward (01:00 UTC): runs and
# their overrides straddle the change.
BASE = datetime(2026, 3, 29, 0, 55, tzinfo=UTC)

# Mostly a few names, so runs, entities and states meet often; sometimes any text.
few_entities = st.sampled_from(["light.a", "light.b", "switch.c"])
entities = st.one_of(few_entities, few_entities, few_entities, st.text(max_size=6))
few_states = st.sampled_from(["on", "off", "unavailable"])
states = st.one_of(few_states, few_states, few_states, st.text(max_size=6))
few_runs = st.sampled_from(["r1", "r2", "r3"])
runs = st.one_of(few_runs, few_runs, few_runs, st.text(max_size=4))
# Seconds since the last step: mostly forward, sometimes an event told late.
steps_apart = st.integers(min_value=-120, max_value=300)


@dataclass(frozen=True)
class Expect:
    """A run sets an entity."""

    automation_id: str
    run_id: str
    entity_id: str
    state: str
    seconds: int


@dataclass(frozen=True)
class Observe:
    """A state change of the house."""

    entity_id: str
    state: str
    manual: bool
    seconds: int


@dataclass(frozen=True)
class Prune:
    """A periodic prune."""

    seconds: int


steps = st.lists(
    st.one_of(
        st.builds(
            Expect,
            automation_id=st.sampled_from(["wake", "night"]),
            run_id=runs,
            entity_id=entities,
            state=states,
            seconds=steps_apart,
        ),
        st.builds(
            Observe,
            entity_id=entities,
            state=states,
            manual=st.booleans(),
            seconds=steps_apart,
        ),
        st.builds(Prune, seconds=steps_apart),
    ),
    min_size=20,
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(
    steps=steps,
    window_minutes=st.integers(min_value=1, max_value=30),
    max_pending=st.sampled_from([1, 2, 3, 5, 10_000]),
)
def test_random_sequences_keep_the_promises(
    steps: list[Expect | Observe | Prune], window_minutes: int, max_pending: int
) -> None:
    """Never raises, one override per run and entity, always within the window."""
    window = timedelta(minutes=window_minutes)
    watch = OverrideWatch(window, max_pending=max_pending)
    # The last time each (run, entity) was told, and the state it set.
    told: dict[tuple[str, str], tuple[datetime, str, str]] = {}
    reported: list[Override] = []
    clock = BASE
    for step in steps:
        clock += timedelta(seconds=step.seconds)
        at = clock.astimezone(PARIS)
        if isinstance(step, Expect):
            watch.expect(
                automation_id=step.automation_id,
                run_id=step.run_id,
                at=at,
                entity_id=step.entity_id,
                state=step.state,
            )
            told[step.run_id, step.entity_id] = (
                at,
                step.state,
                step.automation_id,
            )
        elif isinstance(step, Observe):
            override = watch.observe(
                at=at,
                entity_id=step.entity_id,
                state=step.state,
                manual=step.manual,
            )
            if override is None:
                continue
            assert step.manual
            assert override.entity_id == step.entity_id
            assert override.reverted_to == step.state
            assert override.reverted_to != override.set_state
            run_at, set_state, automation_id = told[override.run_id, step.entity_id]
            assert (override.set_state, override.automation_id) == (
                set_state,
                automation_id,
            )
            # As instants: subtracting two Paris times would give wall-clock time.
            after = at.timestamp() - run_at.timestamp()
            assert 0 <= after <= window.total_seconds()
            assert override.after_seconds == after
            # Once per run and entity: the watch remembers as many reports as
            # it keeps expectations, so no pair recurs among the last ones.
            pair = (override.run_id, override.entity_id)
            assert pair not in [
                (earlier.run_id, earlier.entity_id)
                for earlier in reported[-max_pending:]
            ]
            reported.append(override)
        else:
            watch.prune(at)
        assert watch.pending_count <= max_pending


class Reference:
    """The rules as plainly as they can be written, without the bounds."""

    def __init__(self, window: timedelta) -> None:
        """Nothing expected yet."""
        self.window = window.total_seconds()
        self.pending: dict[str, tuple[str, str, str, float]] = {}
        self.reported: set[tuple[str, str]] = set()

    def expect(self, step: Expect, at: float) -> None:
        """The latest run owns the entity, unless it was overridden already."""
        self.pending.pop(step.entity_id, None)
        if (step.run_id, step.entity_id) not in self.reported:
            self.pending[step.entity_id] = (
                step.automation_id,
                step.run_id,
                step.state,
                at,
            )

    def observe(self, step: Observe, at: float) -> Override | None:
        """Apply the rules to one state change."""
        expected = self.pending.get(step.entity_id)
        if expected is None:
            return None
        automation_id, run_id, state, run_at = expected
        after = at - run_at
        if after < 0 or step.state == state:
            return None
        del self.pending[step.entity_id]
        if after > self.window or not step.manual:
            return None
        self.reported.add((run_id, step.entity_id))
        return Override(automation_id, run_id, step.entity_id, state, step.state, after)


@settings(max_examples=200, deadline=None)
@given(steps=steps, window_minutes=st.integers(min_value=1, max_value=30))
def test_random_sequences_report_what_the_rules_say(
    steps: list[Expect | Observe | Prune], window_minutes: int
) -> None:
    """Every override the rules find is reported, and nothing else.

    A change told late (older than one seen before) may find its expectation
    dropped already by the lazy clean-up, so there the watch may say less than
    the rules, never more or otherwise.
    """
    window = timedelta(minutes=window_minutes)
    watch = OverrideWatch(window)
    reference = Reference(window)
    latest = BASE
    clock = BASE
    for step in steps:
        clock += timedelta(seconds=step.seconds)
        at = clock.astimezone(PARIS)
        told_late = clock < latest
        latest = max(latest, clock)
        if isinstance(step, Expect):
            watch.expect(
                automation_id=step.automation_id,
                run_id=step.run_id,
                at=at,
                entity_id=step.entity_id,
                state=step.state,
            )
            reference.expect(step, at.timestamp())
        elif isinstance(step, Observe):
            override = watch.observe(
                at=at, entity_id=step.entity_id, state=step.state, manual=step.manual
            )
            expected = reference.observe(step, at.timestamp())
            if override is None and expected is not None and told_late:
                # Dropped by the clean-up: the watch remembers no report.
                reference.reported.discard((expected.run_id, expected.entity_id))
                continue
            assert override == expected
        else:
            watch.prune(at)
