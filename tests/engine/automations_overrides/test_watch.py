"""The override watch's rules, one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from custom_components.ha_ai.engine.automations.overrides import (
    DEFAULT_WINDOW,
    Override,
    OverrideWatch,
)

START = datetime(2026, 3, 2, 6, 59, tzinfo=UTC)
LIGHT = "light.bedroom"


def watch_with_run(
    watch: OverrideWatch | None = None,
    *,
    at: datetime = START,
    automation_id: str = "wake_up",
    run_id: str = "run-1",
    entity_id: str = LIGHT,
    state: str = "on",
) -> OverrideWatch:
    """Return a watch told that a run just set an entity."""
    watch = watch or OverrideWatch()
    watch.expect(
        automation_id=automation_id,
        run_id=run_id,
        at=at,
        entity_id=entity_id,
        state=state,
    )
    return watch


def test_default_window_is_ten_minutes() -> None:
    """The issue's default: a person has ten minutes to undo a run."""
    assert timedelta(minutes=10) == DEFAULT_WINDOW
    assert OverrideWatch().window == timedelta(minutes=10)


def test_manual_change_back_within_window_is_an_override() -> None:
    """Switched off by hand three minutes after the run switched it on."""
    watch = watch_with_run()
    override = watch.observe(
        at=START + timedelta(minutes=3), entity_id=LIGHT, state="off", manual=True
    )
    assert override == Override(
        automation_id="wake_up",
        run_id="run-1",
        entity_id=LIGHT,
        set_state="on",
        reverted_to="off",
        after_seconds=180.0,
    )
    assert watch.pending_count == 0


def test_change_at_the_edge_of_the_window_still_counts() -> None:
    """Exactly the window after the run is inside it."""
    watch = watch_with_run()
    override = watch.observe(
        at=START + DEFAULT_WINDOW, entity_id=LIGHT, state="off", manual=True
    )
    assert override is not None
    assert override.after_seconds == 600.0


def test_manual_change_after_window_is_not_an_override() -> None:
    """Eleven minutes later the person answers something else, not the run."""
    watch = watch_with_run()
    assert (
        watch.observe(
            at=START + timedelta(minutes=11), entity_id=LIGHT, state="off", manual=True
        )
        is None
    )
    assert watch.pending_count == 0


def test_window_is_configurable() -> None:
    """A two-minute window ignores a change after three minutes."""
    watch = watch_with_run(OverrideWatch(timedelta(minutes=2)))
    assert (
        watch.observe(
            at=START + timedelta(minutes=3), entity_id=LIGHT, state="off", manual=True
        )
        is None
    )
    watch = watch_with_run(OverrideWatch(timedelta(minutes=30)))
    assert (
        watch.observe(
            at=START + timedelta(minutes=20), entity_id=LIGHT, state="off", manual=True
        )
        is not None
    )


@pytest.mark.parametrize("window", [timedelta(0), timedelta(seconds=-1)])
def test_window_must_be_positive(window: timedelta) -> None:
    """A window of nothing would never see an override."""
    with pytest.raises(ValueError, match="window"):
        OverrideWatch(window)


def test_max_pending_must_be_positive() -> None:
    """A watch that can hold nothing is a mistake, not a setting."""
    with pytest.raises(ValueError, match="max_pending"):
        OverrideWatch(max_pending=0)


def test_override_is_reported_once_per_run_and_entity() -> None:
    """A person flipping the light several times is one opinion about the run."""
    watch = watch_with_run()
    first = watch.observe(
        at=START + timedelta(minutes=1), entity_id=LIGHT, state="off", manual=True
    )
    assert first is not None
    for minute, state in ((2, "on"), (3, "off"), (4, "on")):
        assert (
            watch.observe(
                at=START + timedelta(minutes=minute),
                entity_id=LIGHT,
                state=state,
                manual=True,
            )
            is None
        )


def test_same_run_setting_the_entity_again_after_an_override_is_not_counted_again() -> (
    None
):
    """A run that sets the entity a second time is still the same run."""
    watch = watch_with_run()
    assert (
        watch.observe(
            at=START + timedelta(minutes=1), entity_id=LIGHT, state="off", manual=True
        )
        is not None
    )
    watch_with_run(watch, at=START + timedelta(minutes=2))
    assert watch.pending_count == 0
    assert (
        watch.observe(
            at=START + timedelta(minutes=3), entity_id=LIGHT, state="off", manual=True
        )
        is None
    )


def test_change_by_an_automation_ends_the_expectation() -> None:
    """Another automation switching it off owns the state now."""
    watch = watch_with_run()
    assert (
        watch.observe(
            at=START + timedelta(minutes=1), entity_id=LIGHT, state="off", manual=False
        )
        is None
    )
    assert watch.pending_for(LIGHT) is None
    assert (
        watch.observe(
            at=START + timedelta(minutes=2), entity_id=LIGHT, state="on", manual=True
        )
        is None
    )


def test_manual_change_to_the_same_state_is_not_an_override() -> None:
    """The person agreed, or only dimmed it; turning it off later still undoes it."""
    watch = watch_with_run()
    assert (
        watch.observe(
            at=START + timedelta(minutes=1), entity_id=LIGHT, state="on", manual=True
        )
        is None
    )
    assert watch.pending_for(LIGHT) == ("wake_up", "run-1", "on")
    assert (
        watch.observe(
            at=START + timedelta(minutes=2), entity_id=LIGHT, state="off", manual=True
        )
        is not None
    )


def test_system_change_to_the_same_state_keeps_the_expectation() -> None:
    """An attribute update by the device leaves the run's state where it was."""
    watch = watch_with_run()
    watch.observe(
        at=START + timedelta(seconds=5), entity_id=LIGHT, state="on", manual=False
    )
    assert watch.pending_count == 1


def test_later_run_of_the_same_automation_replaces_the_earlier() -> None:
    """The override belongs to the run the person actually undid."""
    watch = watch_with_run()
    watch_with_run(watch, run_id="run-2", at=START + timedelta(minutes=5))
    assert watch.pending_count == 1
    override = watch.observe(
        at=START + timedelta(minutes=6), entity_id=LIGHT, state="off", manual=True
    )
    assert override is not None
    assert override.run_id == "run-2"
    assert override.after_seconds == 60.0


def test_later_run_of_another_automation_takes_the_entity_over() -> None:
    """The person undoes what was just done, whoever did it."""
    watch = watch_with_run()
    watch_with_run(
        watch,
        automation_id="evening",
        run_id="run-9",
        state="off",
        at=START + timedelta(minutes=1),
    )
    override = watch.observe(
        at=START + timedelta(minutes=2), entity_id=LIGHT, state="on", manual=True
    )
    assert override is not None
    assert (override.automation_id, override.set_state) == ("evening", "off")


def test_entities_are_watched_apart() -> None:
    """A run setting two entities can be overridden on each."""
    watch = watch_with_run()
    watch_with_run(watch, entity_id="cover.bedroom", state="open")
    other = watch.observe(
        at=START + timedelta(minutes=1),
        entity_id="cover.bedroom",
        state="closed",
        manual=True,
    )
    light = watch.observe(
        at=START + timedelta(minutes=1), entity_id=LIGHT, state="off", manual=True
    )
    assert other is not None
    assert light is not None
    assert {other.entity_id, light.entity_id} == {"cover.bedroom", LIGHT}


def test_unwatched_entity_changes_nothing() -> None:
    """The rest of the house goes by without a trace."""
    watch = watch_with_run()
    assert (
        watch.observe(
            at=START + timedelta(minutes=1),
            entity_id="sensor.power",
            state="12",
            manual=False,
        )
        is None
    )
    assert watch.pending_count == 1


def test_observe_with_nothing_pending() -> None:
    """An empty watch answers at once."""
    watch = OverrideWatch()
    assert watch.observe(at=START, entity_id=LIGHT, state="off", manual=True) is None


def test_change_older_than_the_run_is_ignored() -> None:
    """An event that arrives late says nothing about the run after it."""
    watch = watch_with_run()
    assert (
        watch.observe(
            at=START - timedelta(seconds=1), entity_id=LIGHT, state="off", manual=True
        )
        is None
    )
    assert watch.pending_count == 1


def test_prune_drops_expectations_older_than_the_window() -> None:
    """A periodic prune keeps only what can still be overridden."""
    watch = watch_with_run()
    watch_with_run(
        watch, entity_id="switch.fan", run_id="run-2", at=START + timedelta(minutes=8)
    )
    watch.prune(START + timedelta(minutes=10))
    assert watch.pending_count == 2
    watch.prune(START + timedelta(minutes=11))
    assert watch.pending_for(LIGHT) is None
    assert watch.pending_for("switch.fan") == ("wake_up", "run-2", "on")


def test_prune_finds_expectations_told_out_of_order() -> None:
    """A run told late, older than one told before it, is still pruned."""
    watch = watch_with_run(at=START + timedelta(minutes=8))
    watch_with_run(watch, entity_id="switch.fan", at=START)
    watch.prune(START + timedelta(minutes=11))
    assert watch.pending_for("switch.fan") is None
    assert watch.pending_count == 1


def test_observe_drops_expired_expectations_lazily() -> None:
    """Without a prune, the events of the house clear what has expired."""
    watch = watch_with_run()
    watch_with_run(
        watch, entity_id="switch.fan", run_id="run-2", at=START + timedelta(minutes=5)
    )
    watch.observe(
        at=START + timedelta(minutes=12),
        entity_id="sensor.power",
        state="3",
        manual=False,
    )
    assert watch.pending_for(LIGHT) is None
    assert watch.pending_count == 1
    watch.observe(
        at=START + timedelta(minutes=16),
        entity_id="switch.fan",
        state="off",
        manual=True,
    )
    assert watch.pending_count == 0


NAIVE = datetime(2026, 3, 2, 7, 0)  # noqa: DTZ001 - the naive time refused


def test_naive_datetime_raises() -> None:
    """A naive time is ambiguous around a clock change: refuse it."""
    watch = watch_with_run()
    with pytest.raises(ValueError, match="timezone-aware"):
        watch_with_run(watch, at=NAIVE)
    with pytest.raises(ValueError, match="timezone-aware"):
        watch.observe(at=NAIVE, entity_id=LIGHT, state="off", manual=True)
    with pytest.raises(ValueError, match="timezone-aware"):
        watch.prune(NAIVE)
    assert watch.pending_for(LIGHT) == ("wake_up", "run-1", "on")


class NoOffset(tzinfo):
    """A zone that knows no offset: its times are naive for Python."""

    def utcoffset(self, dt: datetime | None) -> None:
        """Give no offset."""

    def dst(self, dt: datetime | None) -> None:
        """Give no daylight-saving offset."""

    def tzname(self, dt: datetime | None) -> str:
        """Name it."""
        return "nowhere"


def test_time_in_a_zone_without_offset_raises() -> None:
    """A tzinfo that gives no offset is as naive as none, for every path."""
    watch = watch_with_run()
    vague = datetime(2026, 3, 2, 7, 0, tzinfo=NoOffset())
    with pytest.raises(ValueError, match="timezone-aware"):
        watch.observe(at=vague, entity_id="sensor.other", state="1", manual=False)
    with pytest.raises(ValueError, match="timezone-aware"):
        watch.observe(at=vague, entity_id=LIGHT, state="off", manual=True)
    with pytest.raises(ValueError, match="timezone-aware"):
        watch_with_run(watch, at=vague, entity_id="sensor.other")


def test_window_is_real_time_across_a_dst_change() -> None:
    """At 02:55 CET on the last Sunday of March, 03:04 CEST is 9 minutes later."""
    paris = ZoneInfo("Europe/Paris")
    run_at = datetime(2026, 3, 29, 1, 55, tzinfo=paris)
    within = datetime(2026, 3, 29, 3, 4, tzinfo=paris)  # 9 real minutes
    watch = watch_with_run(at=run_at)
    override = watch.observe(at=within, entity_id=LIGHT, state="off", manual=True)
    assert override is not None
    assert override.after_seconds == 540.0


def test_window_is_real_time_when_clocks_go_back() -> None:
    """In October, 02:50 of the second pass is 70 real minutes after the first 02:40."""
    paris = ZoneInfo("Europe/Paris")
    run_at = datetime(2026, 10, 25, 2, 40, tzinfo=paris)  # fold 0: CEST
    later = datetime(2026, 10, 25, 2, 50, fold=1, tzinfo=paris)  # CET
    watch = watch_with_run(at=run_at)
    assert watch.observe(at=later, entity_id=LIGHT, state="off", manual=True) is None
    watch = watch_with_run(at=run_at)
    override = watch.observe(
        at=datetime(2026, 10, 25, 2, 45, tzinfo=paris),
        entity_id=LIGHT,
        state="off",
        manual=True,
    )
    assert override is not None
    assert override.after_seconds == 300.0


def test_times_in_different_zones_compare_as_instants() -> None:
    """A run told in UTC and an event told in Paris time are compared as instants."""
    watch = watch_with_run(at=datetime(2026, 7, 1, 5, 0, tzinfo=UTC))
    override = watch.observe(
        at=datetime(2026, 7, 1, 7, 2, tzinfo=ZoneInfo("Europe/Paris")),
        entity_id=LIGHT,
        state="off",
        manual=True,
    )
    assert override is not None
    assert override.after_seconds == 120.0
