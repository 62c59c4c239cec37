"""Hostile input and the bound on memory: no crash, nothing unbounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ha_ai.engine.automations.overrides import (
    DEFAULT_MAX_PENDING,
    MAX_TEXT_LENGTH,
    OverrideWatch,
)

START = datetime(2026, 3, 2, 6, 59, tzinfo=UTC)
HUGE = "x" * 1_000_000


def expect(watch: OverrideWatch, entity_id: str, **fields: str) -> None:
    """Tell the watch a run set `entity_id`, with hostile fields where given."""
    values = {"automation_id": "a", "run_id": "r", "state": "on"} | fields
    watch.expect(
        automation_id=values["automation_id"],
        run_id=values["run_id"],
        at=START,
        entity_id=entity_id,
        state=values["state"],
    )


def test_default_cap_is_ten_thousand() -> None:
    """The documented bound."""
    assert DEFAULT_MAX_PENDING == 10_000
    assert OverrideWatch().max_pending == 10_000


def test_cap_drops_the_oldest_expectation() -> None:
    """A flood of expectations keeps the newest, and counts what it dropped."""
    watch = OverrideWatch(max_pending=3)
    for number in range(5):
        expect(watch, f"light.l{number}", run_id=f"r{number}")
    assert watch.pending_count == 3
    assert watch.dropped_for_room == 2
    assert watch.pending_for("light.l0") is None
    assert watch.pending_for("light.l1") is None
    assert watch.pending_for("light.l4") == ("a", "r4", "on")


def test_replacing_an_expectation_makes_no_room_drop() -> None:
    """A later run on the same entity takes its place, not a new one."""
    watch = OverrideWatch(max_pending=2)
    expect(watch, "light.a", run_id="r1")
    expect(watch, "light.b", run_id="r2")
    expect(watch, "light.a", run_id="r3")
    assert watch.pending_count == 2
    assert watch.dropped_for_room == 0
    # light.a moved to the end: the next newcomer drops light.b.
    expect(watch, "light.c", run_id="r4")
    assert watch.pending_for("light.b") is None
    assert watch.pending_for("light.a") == ("a", "r3", "on")


def test_remembered_reports_are_bounded_too() -> None:
    """The (run, entity) pairs already reported are capped like expectations."""
    watch = OverrideWatch(max_pending=2)
    for number in range(4):
        expect(watch, "light.a", run_id=f"r{number}")
        override = watch.observe(
            at=START + timedelta(seconds=1),
            entity_id="light.a",
            state="off",
            manual=True,
        )
        assert override is not None
        assert override.run_id == f"r{number}"
    # r0's report was forgotten to make room, so its expectation is taken again.
    expect(watch, "light.a", run_id="r0")
    assert watch.pending_count == 1
    expect(watch, "light.a", run_id="r3")
    assert watch.pending_count == 0


@pytest.mark.parametrize("field", ["automation_id", "run_id", "entity_id", "state"])
def test_overlong_text_is_not_kept(field: str) -> None:
    """No Home Assistant entity or state is longer than 255 characters."""
    watch = OverrideWatch()
    expect(watch, "light.a")
    too_long = "y" * (MAX_TEXT_LENGTH + 1)
    if field == "entity_id":
        expect(watch, too_long)
        assert watch.pending_count == 1
        return
    expect(watch, "light.a", **{field: too_long})
    # The entity was still changed by an automation: the earlier run's ends.
    assert watch.pending_count == 0


def test_text_at_the_limit_is_kept() -> None:
    """255 characters is allowed."""
    watch = OverrideWatch()
    limit = "z" * MAX_TEXT_LENGTH
    expect(watch, limit, automation_id=limit, run_id=limit, state=limit)
    assert watch.pending_for(limit) == (limit, limit, limit)


@pytest.mark.parametrize(
    "text",
    [HUGE, "", "\x00", "light.\u202e\u0000x", "\ud800", "💡" * 300, " ", "on\n"],
)
def test_hostile_strings_never_crash(text: str) -> None:
    """Any string is an entity id or a state that simply matches nothing, or does."""
    watch = OverrideWatch()
    expect(watch, text, state=text, run_id=text, automation_id=text)
    expect(watch, "light.a", state=text)
    for manual in (False, True):
        watch.observe(at=START, entity_id=text, state=text, manual=manual)
        watch.observe(
            at=START + timedelta(seconds=1), entity_id=text, state="off", manual=manual
        )
        watch.observe(at=START, entity_id="light.a", state=HUGE, manual=manual)
    watch.prune(START + timedelta(days=1))
    assert watch.pending_count == 0


def test_extreme_times_never_crash() -> None:
    """The first and last instants a datetime holds are ordinary times here."""
    watch = OverrideWatch()
    earliest = datetime.min.replace(tzinfo=UTC)
    latest = datetime.max.replace(tzinfo=UTC)
    watch.expect(
        automation_id="a", run_id="r", at=latest, entity_id="light.a", state="on"
    )
    assert (
        watch.observe(at=earliest, entity_id="light.a", state="off", manual=True)
        is None
    )
    watch.expect(
        automation_id="a", run_id="r2", at=earliest, entity_id="light.b", state="on"
    )
    assert (
        watch.observe(at=latest, entity_id="light.b", state="off", manual=True) is None
    )
    watch.prune(latest)
    assert watch.pending_for("light.a") == ("a", "r", "on")
    assert watch.pending_count == 1
