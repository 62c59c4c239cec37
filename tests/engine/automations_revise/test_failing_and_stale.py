"""A failing automation is turned off or removed; a stale one is removed."""

from __future__ import annotations

from datetime import timedelta

from custom_components.ha_ai.engine.automations.revise import Change, Reason, revise
from custom_components.ha_ai.engine.automations.runs import AutomationHealth

from .helpers import DEPLOYED_AT, NOW, candidates, morning, run

FAILED = [run(day, success=False, error="The lamp is gone") for day in (5, 6, 7)]


def test_three_failures_in_a_row_turn_it_off_with_the_last_error() -> None:
    (only,) = candidates([run(3), run(4), *FAILED])

    assert only.reason is Reason.FAILING
    assert only.change is Change.DISABLE
    assert only.automation is None
    assert only.evidence == (
        "The 06:59 Bedroom light automation failed 3 times in a row: The lamp is gone."
    )
    assert only.change_words == "Turn it off"
    assert only.error == "The lamp is gone"
    assert (only.share, only.runs, only.affected) == (3 / 5, 5, 3)


def test_a_missing_entity_makes_it_a_removal() -> None:
    (only,) = candidates(FAILED, exists=set())

    assert only.reason is Reason.FAILING
    assert only.change is Change.REMOVE
    assert only.missing_entity == "light.bedroom"
    assert only.evidence == (
        "The 06:59 Bedroom light automation failed 3 times in a row: the entity "
        "light.bedroom no longer exists."
    )
    assert only.change_words == "Remove it"


def test_an_entity_named_in_a_condition_counts_too() -> None:
    guarded = morning(
        conditions=[
            {"condition": "state", "entity_id": "input_boolean.away", "state": "off"}
        ]
    )

    (only,) = candidates(FAILED, guarded, exists={"light.bedroom"})

    assert only.missing_entity == "input_boolean.away"


def test_two_failures_or_a_success_after_them_is_no_verdict() -> None:
    assert candidates(FAILED[1:]) == []
    assert candidates([*FAILED, run(8)]) == []


def test_the_error_comes_from_the_health_table_or_is_said_to_be_unknown() -> None:
    silent = [run(day, success=False) for day in (5, 6, 7)]

    told = candidates(silent, health=AutomationHealth(last_error="Timeout"))[0]
    untold = candidates(silent)[0]

    assert told.error == "Timeout"
    assert untold.error == "no error was given"


def test_a_long_error_is_cut() -> None:
    long = [run(day, success=False, error="x\n" * 500) for day in (5, 6, 7)]

    (only,) = candidates(long)

    assert only.error is not None
    assert len(only.error) <= 200
    assert "\n" not in only.evidence


def test_failing_comes_before_unwanted() -> None:
    runs = [run(day, overridden=True) for day in range(5)] + FAILED

    assert [c.reason for c in candidates(runs)] == [Reason.FAILING]


def test_an_idle_automation_whose_habit_is_gone_is_removed() -> None:
    last = NOW - timedelta(days=15)
    health = AutomationHealth(runs=1, last_run=last)

    (only,) = candidates([], pattern_gone=True, health=health)

    assert only.reason is Reason.STALE
    assert only.change is Change.REMOVE
    assert only.idle_days == 15
    assert only.evidence == (
        "The 06:59 Bedroom light automation has not run for 15 days and the habit "
        "it came from is gone."
    )
    assert only.change_words == "Remove it"
    assert only.share == 1.0


def test_one_that_never_ran_counts_from_its_deployment() -> None:
    (only,) = candidates([], pattern_gone=True)

    assert only.idle_days == (NOW - DEPLOYED_AT).days


def test_idle_but_with_its_habit_or_recently_run_is_kept() -> None:
    recent = AutomationHealth(runs=1, last_run=NOW - timedelta(days=13))

    assert candidates([], pattern_gone=False) == []
    assert candidates([], pattern_gone=True, health=recent) == []
    assert candidates([], pattern_gone=True, deployed_at=NOW - timedelta(days=1)) == []


def test_one_day_reads_as_one_day() -> None:
    (only,) = candidates(
        [],
        pattern_gone=True,
        stale_after=timedelta(hours=12),
        deployed_at=NOW - timedelta(days=1, hours=1),
    )

    assert "has not run for 1 day and" in only.evidence


def test_stale_comes_first() -> None:
    old = [
        run(day - 40, success=False) for day in range(3)
    ]  # before the deployment: not this version's runs
    failing_then_idle = [run(-20 + day, success=False) for day in range(3)]

    assert candidates(old, pattern_gone=True)[0].reason is Reason.STALE
    first = candidates(failing_then_idle, pattern_gone=True)[0]
    assert (first.reason, first.change) == (Reason.STALE, Change.REMOVE)


def test_runs_before_the_deployment_do_not_count() -> None:
    before = [run(day, success=False) for day in range(3)]

    assert candidates(before, deployed_at=NOW - timedelta(days=1)) == []


def test_a_last_run_before_the_deployment_does_not_count() -> None:
    health = AutomationHealth(runs=1, last_run=NOW - timedelta(days=40))

    assert (
        candidates(
            [], pattern_gone=True, health=health, deployed_at=NOW - timedelta(days=2)
        )
        == []
    )


def test_a_turned_off_automation_is_only_judged_stale() -> None:
    runs = [run(day, overridden=True) for day in range(5)] + FAILED

    assert candidates(runs, enabled=False) == []
    assert candidates([], enabled=False, pattern_gone=True)[0].reason is Reason.STALE


def test_no_stale_detection_without_a_positive_period() -> None:
    assert candidates([], pattern_gone=True, stale_after=timedelta(0)) == []


def test_revise_returns_the_first_candidate_or_none() -> None:
    facts = {
        "exists": lambda _entity: True,
        "now": NOW,
        "stale_after": timedelta(days=14),
        "deployed_at": DEPLOYED_AT,
        "pattern_gone": False,
    }
    assert revise(morning(), [], AutomationHealth(), **facts) is None
    found = revise(morning(), FAILED, AutomationHealth(), **facts)
    assert found is not None
    assert found.change is Change.DISABLE
    assert found.evidence.startswith("The 06:59 light.bedroom automation")
