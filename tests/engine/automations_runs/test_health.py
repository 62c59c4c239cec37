"""The health table of HA AI's automations: counts, day and week counters, restore."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ha_ai.engine.automations.runs import (
    MAX_ERROR_TEXT,
    AutomationHealth,
    HealthTable,
    RunResult,
    outcome_of_trace,
    restore_health,
    week_key,
)
from custom_components.ha_ai.engine.stored import UnreadableStoreError

# A Wednesday evening; the ISO week 2026-W49.
EVENING = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)


def run(
    at: datetime = EVENING,
    *,
    automation_id: str = "ha_ai_morning",
    error: str | None = None,
) -> RunResult:
    return RunResult(
        automation_id=automation_id,
        at=at,
        success=error is None,
        error=error,
        duration_ms=12.5,
        trigger="time",
    )


def test_runs_successes_and_failures_are_counted_with_the_last_error() -> None:
    table = HealthTable()
    table.record_run(run())
    table.record_run(run(error="Entity light.gone not found"))
    health = table.record_run(run(EVENING + timedelta(minutes=1)))

    assert (health.runs, health.successes, health.failures) == (3, 2, 1)
    assert health.last_error == "Entity light.gone not found"
    assert health.last_run == EVENING + timedelta(minutes=1)
    assert health.last_duration_ms == 12.5
    assert health.summary() == {
        "runs": 3,
        "failures": 1,
        "overrides": 0,
        "last_run": "2026-12-02T21:31:00+00:00",
        "last_error": "Entity light.gone not found",
    }


def test_runs_today_start_again_on_the_next_day() -> None:
    table = HealthTable()
    table.record_run(run())
    table.record_run(run(automation_id="ha_ai_other"))
    assert table.runs_on(EVENING.date()) == 2
    assert table.runs_on(EVENING.date(), iter(["ha_ai_morning"])) == 1

    tomorrow = EVENING + timedelta(hours=3)
    assert table.runs_on(tomorrow.date()) == 0
    health = table.record_run(run(tomorrow))
    assert health.runs_today == 1
    assert health.runs == 2


def test_overrides_this_week_start_again_on_monday() -> None:
    table = HealthTable()
    table.record_override("ha_ai_morning", EVENING)
    table.record_override("ha_ai_morning", EVENING + timedelta(days=1))
    assert table.overrides_in(week_key(EVENING.date())) == 2

    monday = datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert week_key(monday.date()) == "2026-W50"
    assert table.overrides_in("2026-W50") == 0
    health = table.record_override("ha_ai_morning", monday)
    assert (health.overrides, health.overrides_this_week) == (3, 1)


def test_an_automation_that_never_ran_reads_as_zero() -> None:
    table = HealthTable()
    assert table.get("ha_ai_new") == AutomationHealth()
    assert table.runs_on(EVENING.date(), iter(["ha_ai_new"])) == 0
    assert "ha_ai_new" not in table.automations


def test_a_long_error_is_cut() -> None:
    health = HealthTable().record_run(run(error="x" * 2000))
    assert health.last_error is not None
    assert len(health.last_error) == MAX_ERROR_TEXT
    assert health.last_error.endswith("…")


def test_the_table_comes_back_from_its_json() -> None:
    table = HealthTable()
    table.record_run(run(error="boom"))
    table.record_override("ha_ai_morning", EVENING)
    stored = json.loads(json.dumps(table.as_dict()))

    restored = restore_health(stored)

    assert restored.value == table
    assert restored.drops.dropped_count == 0
    assert restored.drops.reset_count == 0


def test_bad_entries_are_dropped_and_bad_fields_reset() -> None:
    good = HealthTable()
    good.record_run(run())
    entry = good.as_dict()["automations"]["ha_ai_morning"]
    stored = {
        "automations": {
            "ha_ai_morning": {
                **entry,
                "last_run": "yesterday",
                "runs_day": 5,
                "last_error": 3,
                "last_duration_ms": "slow",
            },
            "ha_ai_negative": {**entry, "runs": -1},
            "ha_ai_flag": {**entry, "failures": True},
            "bad id with spaces/": entry,
            "ha_ai_not_a_record": [1, 2],
            "ha_ai_old": {"runs": 4},
        }
    }

    restored = restore_health(stored)

    assert set(restored.value.automations) == {"ha_ai_morning", "ha_ai_old"}
    kept = restored.value.automations["ha_ai_morning"]
    assert kept.runs == 1
    assert kept.last_run is None
    assert kept.runs_day is None
    assert kept.last_error is None
    assert kept.last_duration_ms is None
    assert restored.value.automations["ha_ai_old"] == AutomationHealth(runs=4)
    assert restored.drops.dropped_count == 4
    assert restored.drops.reset_count == 4


@pytest.mark.parametrize("data", [[], {"automations": []}, "text"])
def test_a_table_of_another_shape_is_unreadable(data: object) -> None:
    with pytest.raises(UnreadableStoreError):
        restore_health(data)


def test_the_outcome_of_a_finished_trace() -> None:
    start = EVENING
    outcome = outcome_of_trace(
        {
            "script_execution": "finished",
            "timestamp": {"start": start, "finish": start + timedelta(seconds=0.25)},
        }
    )
    assert (outcome.success, outcome.error, outcome.duration_ms) == (
        True,
        None,
        250.0,
    )


def test_the_outcome_of_a_failed_trace() -> None:
    outcome = outcome_of_trace(
        {
            "script_execution": "error",
            "error": "Boom",
            "timestamp": {"start": EVENING, "finish": None},
        }
    )
    assert (outcome.success, outcome.error, outcome.duration_ms) == (
        False,
        "Boom",
        None,
    )
    bare = outcome_of_trace({"script_execution": "error"})
    assert not bare.success
    assert bare.error == "the run ended with an error"
    assert bare.duration_ms is None


def test_an_error_without_an_error_execution_is_a_failure() -> None:
    outcome = outcome_of_trace({"script_execution": "finished", "error": "x"})
    assert not outcome.success
