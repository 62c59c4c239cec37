"""The last runs kept per automation: overrides and acted times marked, restored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from custom_components.ha_ai.engine.automations.runs import (
    RECENT_KEPT,
    HealthTable,
    RunResult,
    restore_health,
)

# A Wednesday morning.
MORNING = datetime(2026, 12, 2, 6, 59, tzinfo=UTC)


def run(
    index: int, *, error: str | None = None, sun_up: bool | None = None
) -> RunResult:
    return RunResult(
        automation_id="ha_ai_morning",
        at=MORNING + timedelta(days=index),
        success=error is None,
        error=error,
        duration_ms=3.0,
        trigger="time",
        run_id=f"run{index}",
        sun_up=sun_up,
        home=True,
    )


def test_each_run_is_kept_with_what_the_house_was_like() -> None:
    table = HealthTable()
    table.record_run(run(0, sun_up=False))
    table.record_run(run(1, error="Entity light.gone not found"))

    first, second = table.recent_runs("ha_ai_morning")
    assert (first.run_id, first.success, first.sun_up, first.home) == (
        "run0",
        True,
        False,
        True,
    )
    assert not first.weekend
    assert (second.success, second.error) == (False, "Entity light.gone not found")
    assert table.recent_runs("ha_ai_other") == ()


def test_only_the_last_runs_are_kept() -> None:
    table = HealthTable()
    for index in range(RECENT_KEPT + 5):
        table.record_run(run(index))

    kept = table.recent_runs("ha_ai_morning")
    assert len(kept) == RECENT_KEPT
    assert kept[0].run_id == "run5"
    assert kept[-1].run_id == f"run{RECENT_KEPT + 4}"


def test_an_override_marks_its_run_and_the_first_acted_time_counts() -> None:
    table = HealthTable()
    table.record_run(run(0))
    table.record_run(run(1))
    table.record_override("ha_ai_morning", MORNING, run_id="run1")
    table.record_override("ha_ai_morning", MORNING, run_id="gone")  # counted only

    acted = MORNING + timedelta(days=1, minutes=35)
    assert table.record_acted("ha_ai_morning", "run1", acted)
    assert not table.record_acted("ha_ai_morning", "run1", acted + timedelta(hours=1))
    assert not table.record_acted("ha_ai_morning", "gone", acted)
    assert not table.record_acted("ha_ai_other", "run1", acted)

    first, second = table.recent_runs("ha_ai_morning")
    assert not first.overridden
    assert (second.overridden, second.acted_at) == (True, acted)
    assert table.get("ha_ai_morning").overrides == 2


def test_recent_runs_survive_the_store_and_bad_ones_are_dropped_alone() -> None:
    table = HealthTable()
    table.record_run(run(0, sun_up=True))
    table.record_override("ha_ai_morning", MORNING, run_id="run0")
    table.record_acted("ha_ai_morning", "run0", MORNING + timedelta(minutes=40))
    stored = json.loads(json.dumps(table.as_dict()))
    recent = stored["automations"]["ha_ai_morning"]["recent"]
    recent += [
        {"run_id": 5, "at": MORNING.isoformat(), "success": True},
        {"run_id": "x", "at": "never", "success": True},
        {"run_id": "y", "at": MORNING.isoformat(), "success": "yes"},
        {"run_id": "z", "at": MORNING.isoformat(), "success": False, "sun_up": 3},
        "not a record",
    ]

    restored = restore_health(stored)

    runs = restored.value.recent_runs("ha_ai_morning")
    assert [r.run_id for r in runs] == ["run0", "z"]
    assert runs[0] == table.recent_runs("ha_ai_morning")[0]
    assert runs[1].sun_up is None
    assert restored.drops.dropped_count == 4
    assert restored.drops.reset_count == 1


def test_a_store_from_before_recent_runs_restores_with_none() -> None:
    stored = {"automations": {"ha_ai_morning": {"runs": 3, "successes": 3}}}
    assert restore_health(stored).value.recent_runs("ha_ai_morning") == ()
    stored["automations"]["ha_ai_morning"]["recent"] = "many"
    restored = restore_health(stored)
    assert restored.value.recent_runs("ha_ai_morning") == ()
    assert restored.drops.reset_count == 1


def test_an_overridden_run_counts_once_however_many_entities_were_undone() -> None:
    table = HealthTable()
    table.record_run(run(0))
    table.record_run(run(1))
    # Three lights of run1 switched back, then run0's one light.
    for _ in range(3):
        table.record_override("ha_ai_morning", MORNING, run_id="run1")
    table.record_override("ha_ai_morning", MORNING, run_id="run0")
    # Without a run, or for a run no longer kept: an override, not a run.
    table.record_override("ha_ai_morning", MORNING)
    table.record_override("ha_ai_morning", MORNING, run_id="gone")

    health = table.get("ha_ai_morning")
    assert (health.overrides, health.overridden_runs) == (6, 2)
    assert table.get("ha_ai_other").overridden_runs == 0


def test_the_overridden_runs_survive_the_store_and_default_to_zero() -> None:
    table = HealthTable()
    table.record_run(run(0))
    table.record_override("ha_ai_morning", MORNING, run_id="run0")
    stored = json.loads(json.dumps(table.as_dict()))
    assert stored["automations"]["ha_ai_morning"]["overridden_runs"] == 1

    assert restore_health(stored).value.get("ha_ai_morning").overridden_runs == 1
    # A store written before the counter: zero, the rest kept.
    del stored["automations"]["ha_ai_morning"]["overridden_runs"]
    restored = restore_health(stored).value.get("ha_ai_morning")
    assert (restored.overridden_runs, restored.overrides) == (0, 1)
    # A bad count drops the entry, as for every other count.
    stored["automations"]["ha_ai_morning"]["overridden_runs"] = -2
    restored_bad = restore_health(stored)
    assert restored_bad.value.automations == {}
    assert restored_bad.drops.dropped_count == 1
