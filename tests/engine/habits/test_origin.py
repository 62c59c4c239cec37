"""Who made a change: automation runs and their commands, remembered by context."""

from __future__ import annotations

import pytest

from custom_components.ha_ai.engine.habits.model import Origin
from custom_components.ha_ai.engine.habits.origin import (
    ChangeContext,
    OriginTracker,
    command_targets,
    entity_ids_of,
    targets_of_call,
)

LIGHT = "light.kitchen"
ON = frozenset({"on"})
OFF = frozenset({"off"})
TIMER = ChangeContext("run-time-trigger")  # a time trigger: no parent, no user
PERSON = ChangeContext("ui-press", user_id="user-1")


def fresh(name: str = "device-report") -> ChangeContext:
    return ChangeContext(name)


def timed_command(tracker: OriginTracker, targets: frozenset[str] | None) -> None:
    """A time-triggered automation starts at 0 and asks the light for `targets`."""
    tracker.run_started(TIMER, 0.0)
    tracker.command(TIMER, 0.0, {LIGHT: targets})


def test_a_time_triggered_automation_is_known_by_its_context_id() -> None:
    tracker = OriginTracker()
    tracker.run_started(TIMER, 100.0)
    assert tracker.classify("input_boolean.x", "off", "on", TIMER, 100.1) is (
        Origin.AUTOMATED
    )
    # The same change under a context never seen is a person's.
    assert tracker.classify("input_boolean.x", "on", "off", fresh(), 200.0) is (
        Origin.MANUAL
    )


def test_a_parent_still_makes_a_change_automated() -> None:
    tracker = OriginTracker()
    context = ChangeContext("run", parent_id="motion-change")
    assert tracker.classify(LIGHT, "off", "on", context, 0.0) is Origin.AUTOMATED


def test_a_context_whose_parent_is_a_remembered_run_is_automated() -> None:
    tracker = OriginTracker()
    tracker.run_started(TIMER, 0.0)
    assert tracker.by_automation(ChangeContext("child", parent_id=TIMER.id), 1.0)


def test_system_changes_stay_system() -> None:
    tracker = OriginTracker()
    tracker.run_started(TIMER, 0.0)
    assert tracker.classify(LIGHT, None, "on", TIMER, 0.1) is Origin.SYSTEM
    assert tracker.classify(LIGHT, "on", "unavailable", TIMER, 0.1) is Origin.SYSTEM


@pytest.mark.parametrize(
    ("delay", "context", "origin"),
    [
        (0.2, TIMER, Origin.AUTOMATED),  # the entity still holds the command's context
        (4.5, TIMER, Origin.AUTOMATED),
        (5.5, fresh(), Origin.AUTOMATED),  # after 5 s: a fresh context, a late echo
        (12.0, fresh(), Origin.AUTOMATED),
        (29.0, fresh(), Origin.AUTOMATED),
        (31.0, fresh(), Origin.MANUAL),  # too late to be the command's
        (12.0, PERSON, Origin.MANUAL),  # someone in the app got there first
    ],
)
def test_a_device_reporting_back_is_credited_to_the_command(
    delay: float, context: ChangeContext, origin: Origin
) -> None:
    tracker = OriginTracker()
    timed_command(tracker, ON)
    assert tracker.classify(LIGHT, "off", "on", context, delay) is origin


def test_a_late_echo_is_credited_once() -> None:
    tracker = OriginTracker()
    timed_command(tracker, ON)
    assert tracker.classify(LIGHT, "off", "on", fresh("a"), 6.0) is Origin.AUTOMATED
    assert tracker.classify(LIGHT, "on", "off", fresh("b"), 8.0) is Origin.MANUAL
    assert tracker.classify(LIGHT, "off", "on", fresh("c"), 9.0) is Origin.MANUAL


def test_a_person_reaching_the_state_first_settles_the_command() -> None:
    tracker = OriginTracker()
    timed_command(tracker, ON)
    assert tracker.classify(LIGHT, "off", "on", PERSON, 2.0) is Origin.MANUAL
    assert tracker.classify(LIGHT, "on", "off", PERSON, 3.0) is Origin.MANUAL
    assert tracker.classify(LIGHT, "off", "on", fresh(), 7.0) is Origin.MANUAL


def test_an_echo_of_another_state_is_not_credited() -> None:
    tracker = OriginTracker()
    timed_command(tracker, ON)
    assert tracker.classify(LIGHT, "on", "off", fresh(), 7.0) is Origin.MANUAL
    assert tracker.classify("light.other", "off", "on", fresh(), 7.0) is Origin.MANUAL


def test_a_change_the_command_did_not_ask_for_is_a_persons() -> None:
    """The light is on; an automation dims it; someone switches it off at once.

    The device reports within five seconds, so Home Assistant writes the off
    with the automation's context: it is still the person's change.
    """
    tracker = OriginTracker()
    timed_command(tracker, ON)
    assert tracker.classify(LIGHT, "on", "off", TIMER, 2.0) is Origin.MANUAL


def test_a_press_right_after_a_carried_out_command_is_a_persons() -> None:
    tracker = OriginTracker()
    timed_command(tracker, ON)
    assert tracker.classify(LIGHT, "off", "on", TIMER, 0.2) is Origin.AUTOMATED
    assert tracker.classify(LIGHT, "on", "off", TIMER, 3.0) is Origin.MANUAL


def test_a_run_commanding_both_states_made_both_changes() -> None:
    tracker = OriginTracker()
    timed_command(tracker, ON)
    tracker.command(TIMER, 2.0, {LIGHT: OFF})
    assert tracker.classify(LIGHT, "off", "on", TIMER, 0.2) is Origin.AUTOMATED
    assert tracker.classify(LIGHT, "on", "off", TIMER, 2.2) is Origin.AUTOMATED


def test_an_unsure_command_neither_vetoes_nor_credits() -> None:
    tracker = OriginTracker()
    timed_command(tracker, None)
    assert tracker.classify(LIGHT, "on", "off", TIMER, 1.0) is Origin.AUTOMATED
    assert tracker.classify(LIGHT, "off", "on", fresh(), 7.0) is Origin.MANUAL


def test_an_entity_the_run_changed_without_a_command_is_automated() -> None:
    """A group's member or a scene's light changes under the run's context."""
    tracker = OriginTracker()
    timed_command(tracker, ON)
    assert tracker.classify("light.member", "off", "on", TIMER, 0.3) is (
        Origin.AUTOMATED
    )


def test_a_script_a_person_starts_stays_manual() -> None:
    tracker = OriginTracker()
    tracker.script_started(PERSON, 0.0)
    tracker.command(PERSON, 0.0, {LIGHT: ON})  # a person's command: not pending
    assert tracker.classify(LIGHT, "off", "on", PERSON, 0.2) is Origin.MANUAL
    assert tracker.classify(LIGHT, "on", "off", PERSON, 1.0) is Origin.MANUAL
    assert tracker.classify(LIGHT, "off", "on", fresh(), 7.0) is Origin.MANUAL


def test_a_script_an_automation_starts_is_automated() -> None:
    tracker = OriginTracker()
    tracker.run_started(TIMER, 0.0)
    tracker.script_started(TIMER, 0.0)
    assert tracker.classify(LIGHT, "off", "on", TIMER, 0.1) is Origin.AUTOMATED
    machine = ChangeContext("script-without-user")
    tracker.script_started(machine, 1.0)
    assert tracker.classify(LIGHT, "on", "off", machine, 1.1) is Origin.AUTOMATED
    # A run an automation asked for stays automated when a user shows up on it.
    tracker.script_started(ChangeContext(TIMER.id, user_id="user-1"), 2.0)
    assert tracker.by_automation(TIMER, 2.0)


def test_commands_of_unknown_contexts_are_ignored() -> None:
    tracker = OriginTracker()
    tracker.command(fresh("unknown"), 0.0, {LIGHT: ON})
    tracker.command(ChangeContext(None, parent_id="x"), 0.0, {LIGHT: ON})
    tracker.command(TIMER, 0.0, {})
    assert len(tracker) == 0
    assert tracker.classify(LIGHT, "off", "on", fresh(), 6.0) is Origin.MANUAL


def test_runs_are_forgotten_after_a_while_and_commands_keep_them() -> None:
    tracker = OriginTracker(run_seconds=100.0)
    tracker.run_started(TIMER, 0.0)
    tracker.command(TIMER, 90.0, {LIGHT: ON})  # a delay in the automation
    assert tracker.classify(LIGHT, "off", "on", TIMER, 150.0) is Origin.AUTOMATED
    assert tracker.classify(LIGHT, "on", "off", TIMER, 191.0) is Origin.MANUAL


def test_memory_is_bounded() -> None:
    tracker = OriginTracker(max_runs=3, max_commands=2)
    for n in range(10):
        context = ChangeContext(f"run-{n}")
        tracker.run_started(context, float(n))
        tracker.command(context, float(n), {f"light.l{n}": ON})
    assert len(tracker) == 5
    assert not tracker.by_automation(ChangeContext("run-0"), 10.0)
    assert tracker.by_automation(ChangeContext("run-9"), 10.0)
    assert tracker.classify("light.l0", "off", "on", fresh(), 10.0) is Origin.MANUAL
    assert tracker.classify("light.l9", "off", "on", fresh(), 10.0) is (
        Origin.AUTOMATED
    )
    # Commands expire with time too.
    tracker.classify("light.x", "off", "on", fresh(), 1000.0)
    assert len(tracker) == 3


@pytest.mark.parametrize(
    ("service", "data", "entity_id", "current", "targets"),
    [
        ("turn_on", {}, LIGHT, "off", {"on"}),
        ("turn_on", {"brightness": 0}, LIGHT, "on", {"off"}),
        ("turn_on", {"brightness_pct": 0}, LIGHT, "on", {"off"}),
        ("turn_on", {}, "cover.blind", "closed", {"opening", "open"}),
        ("turn_off", {}, "cover.blind", "open", {"closing", "closed"}),
        ("turn_off", {}, "media_player.tv", "playing", {"off"}),
        ("turn_on", {}, "media_player.tv", "off", None),
        ("toggle", {}, LIGHT, "on", {"off"}),
        ("toggle", {}, LIGHT, "off", {"on"}),
        ("toggle", {}, LIGHT, "unavailable", None),
        ("toggle", {}, "cover.blind", "open", {"closing", "closed"}),
        ("toggle", {}, "cover.blind", "closing", {"opening", "open"}),
        ("toggle", {}, "cover.blind", None, None),
        ("open_cover", {}, "cover.blind", "closed", {"opening", "open"}),
        ("close_cover", {}, "cover.blind", "open", {"closing", "closed"}),
        (
            "set_cover_position",
            {"position": 0},
            "cover.b",
            "open",
            {"closing", "closed"},
        ),
        (
            "set_cover_position",
            {"position": 40},
            "cover.b",
            "open",
            {"opening", "open", "closing"},
        ),
        ("stop_cover", {}, "cover.b", "open", None),
        ("lock", {}, "lock.door", "unlocked", {"locking", "locked"}),
        ("unlock", {}, "lock.door", "locked", {"unlocking", "unlocked"}),
        ("set_hvac_mode", {"hvac_mode": "heat"}, "climate.lr", "off", {"heat"}),
        ("set_hvac_mode", {}, "climate.lr", "off", None),
        ("set_temperature", {"temperature": 20}, "climate.lr", "heat", None),
        ("media_pause", {}, "media_player.tv", "playing", {"paused"}),
        ("set_percentage", {}, "fan.x", "on", None),
    ],
)
def test_command_targets(
    service: str,
    data: dict[str, object],
    entity_id: str,
    current: str | None,
    targets: set[str] | None,
) -> None:
    found = command_targets(service, data, entity_id, current)
    assert (None if found is None else set(found)) == targets


def test_targets_of_call_keep_to_entities_the_call_sets() -> None:
    states = {"light.a": "on", "switch.b": "off"}
    assert targets_of_call(
        "homeassistant", "toggle", {}, ["light.a", "switch.b"], states.get
    ) == {"light.a": OFF, "switch.b": ON}
    assert targets_of_call(
        "light", "turn_on", {}, ["light.a", "switch.b"], states.get
    ) == {"light.a": ON}
    assert targets_of_call("scene", "turn_on", {}, ["light.a"], states.get) == {}


@pytest.mark.parametrize(
    ("data", "entities"),
    [
        ({"entity_id": "light.a"}, ["light.a"]),
        ({"entity_id": "light.a, light.b"}, ["light.a", "light.b"]),
        ({"entity_id": ["light.a", 3, "all"]}, ["light.a"]),
        ({"entity_id": "all"}, []),
        ({"device_id": "abc"}, []),
    ],
)
def test_entity_ids_of(data: dict[str, object], entities: list[str]) -> None:
    assert entity_ids_of(data) == entities


def test_contexts_without_an_id_are_not_remembered() -> None:
    tracker = OriginTracker()
    tracker.run_started(ChangeContext(None), 0.0)
    assert len(tracker) == 0


def test_an_entity_keeps_its_newer_commands_when_older_ones_expire() -> None:
    tracker = OriginTracker(echo_seconds=30.0)
    tracker.run_started(TIMER, 0.0)
    tracker.command(TIMER, 0.0, {LIGHT: ON})
    tracker.command(TIMER, 0.0, {LIGHT: ON})  # the same call twice
    tracker.command(TIMER, 20.0, {LIGHT: OFF})
    assert tracker.classify(LIGHT, "on", "off", fresh(), 40.0) is Origin.AUTOMATED
    assert tracker.classify(LIGHT, "off", "on", fresh(), 41.0) is Origin.MANUAL


def test_a_cover_that_opens_slowly_is_the_commands_all_the_way() -> None:
    tracker = OriginTracker()
    blind = "cover.blind"
    tracker.run_started(TIMER, 0.0)
    tracker.command(
        TIMER, 0.0, {blind: command_targets("open_cover", {}, blind, "closed")}
    )
    assert tracker.classify(blind, "closed", "opening", TIMER, 0.5) is Origin.AUTOMATED
    assert tracker.classify(blind, "opening", "open", fresh(), 20.0) is Origin.AUTOMATED
    # Closed by hand and opened again: not the command's any more.
    assert tracker.classify(blind, "open", "closed", PERSON, 22.0) is Origin.MANUAL
    assert tracker.classify(blind, "closed", "open", fresh(), 25.0) is Origin.MANUAL
