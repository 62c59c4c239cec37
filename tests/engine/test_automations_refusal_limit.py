"""Refusals answered one by one up to a rate per reason; the rest summarised."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.automations.refusal_limit import (
    RefusalLimiter,
    RefusalLimits,
)


def test_a_flood_of_one_reason_is_answered_up_to_the_burst() -> None:
    limiter = RefusalLimiter(RefusalLimits(burst=3, per_minute=6))
    answered = [limiter.allow("unsigned", 100.0) for _ in range(2_000)]
    assert answered.count(True) == 3
    assert limiter.pending == 1_997
    assert limiter.take_summary() == {"unsigned": 1_997}
    assert limiter.take_summary() == {}
    assert limiter.answered == 3
    assert limiter.held_back == {"unsigned": 1_997}


def test_each_reason_has_its_own_bucket_and_it_refills() -> None:
    limiter = RefusalLimiter(RefusalLimits(burst=1, per_minute=6))
    assert limiter.allow("unsigned", 0.0)
    assert not limiter.allow("unsigned", 0.0)
    assert limiter.allow("bad_signature", 0.0)
    assert not limiter.allow("unsigned", 9.0)
    assert limiter.allow("unsigned", 10.0)  # 6 a minute: one every 10 s
    # A clock that goes back never adds tokens.
    assert not limiter.allow("unsigned", 5.0)
    assert not limiter.allow("unsigned", 15.0)  # 10 to 15 counted only once
    assert limiter.take_summary() == {"unsigned": 4}


@pytest.mark.parametrize(
    "limits",
    [
        {"burst": 0},
        {"per_minute": 0},
        {"summary_seconds": -1},
    ],
)
def test_limits_must_be_positive(limits: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="positive"):
        RefusalLimits(**limits)  # type: ignore[arg-type]


@settings(deadline=None)  # a busy machine must not fail it
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["unsigned", "invalid_json", "replayed"]),
            st.floats(min_value=0, max_value=600),
        ),
        max_size=300,
    )
)
def test_answers_never_exceed_burst_plus_refill(
    refusals: list[tuple[str, float]],
) -> None:
    limits = RefusalLimits(burst=5, per_minute=10)
    limiter = RefusalLimiter(limits)
    answered: dict[str, int] = {}
    for reason, now in sorted(refusals, key=lambda item: item[1]):
        if limiter.allow(reason, now):
            answered[reason] = answered.get(reason, 0) + 1
    span = max((now for _, now in refusals), default=0.0)
    for count in answered.values():
        assert count <= limits.burst + span * limits.per_minute / 60 + 1
    assert sum(answered.values()) + limiter.pending == len(refusals)
