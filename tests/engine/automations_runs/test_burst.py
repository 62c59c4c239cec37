"""The burst limit of run reports: a few a minute per automation, the rest counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.ha_ai.engine.automations.runs import BurstLimiter, RunResult

START = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)


def run(
    seconds: float, automation_id: str = "ha_ai_loop", *, ok: bool = True
) -> RunResult:
    return RunResult(
        automation_id=automation_id,
        at=START + timedelta(seconds=seconds),
        success=ok,
        error=None if ok else "boom",
        duration_ms=1.0,
        trigger="state",
    )


def test_a_loop_is_reported_six_times_then_summarised_when_the_minute_ends() -> None:
    limiter = BurstLimiter()
    admissions = [limiter.admit(run(i, ok=i != 10)) for i in range(20)]

    assert admissions == [True] * 6 + [False] * 14
    assert limiter.next_due == START + timedelta(minutes=1)
    assert limiter.due(START + timedelta(seconds=59)) == []

    (summary,) = limiter.due(START + timedelta(minutes=1))
    assert (summary.automation_id, summary.suppressed, summary.failures) == (
        "ha_ai_loop",
        14,
        1,
    )
    assert summary.last.at == START + timedelta(seconds=19)
    assert limiter.next_due is None


def test_the_first_run_of_the_next_minute_brings_the_summary_and_is_reported() -> None:
    limiter = BurstLimiter(per_window=2)
    for i in range(3):
        limiter.admit(run(i))
    assert limiter.admit(run(61))
    (summary,) = limiter.due(START + timedelta(seconds=61))
    assert summary.suppressed == 1
    assert limiter.due(START + timedelta(minutes=5)) == []


def test_automations_are_limited_each_on_their_own() -> None:
    limiter = BurstLimiter(per_window=1)
    assert limiter.admit(run(0, "ha_ai_a"))
    assert limiter.admit(run(1, "ha_ai_b"))
    assert not limiter.admit(run(2, "ha_ai_a"))


def test_a_quiet_window_ends_without_a_summary() -> None:
    limiter = BurstLimiter()
    limiter.admit(run(0))
    assert limiter.next_due is None
    assert limiter.due(START + timedelta(minutes=5)) == []
    assert limiter.admit(run(400))
    assert limiter.due(START + timedelta(seconds=400)) == []
