"""The verdicts drawn from overrides: the share, and when an automation is unwanted."""

from __future__ import annotations

import pytest

from custom_components.ha_ai.engine.automations.overrides import (
    RECENT_RUNS,
    UNWANTED_MIN_OVERRIDES,
    UNWANTED_SHARE,
    is_unwanted,
    override_share,
)


@pytest.mark.parametrize(
    ("runs", "overrides", "share"),
    [
        (8, 6, 0.75),
        (4, 0, 0.0),
        (0, 0, 0.0),
        (0, 3, 0.0),
        (-2, 1, 0.0),
        (5, 9, 1.0),
        (5, -1, 0.0),
        (3, 3, 1.0),
    ],
)
def test_override_share(runs: int, overrides: int, share: float) -> None:
    """The share of runs overridden, clamped to what makes sense."""
    assert override_share(runs, overrides) == share


def test_documented_thresholds() -> None:
    """At least 60 % of the last 8 runs, with at least 4 overrides."""
    assert (RECENT_RUNS, UNWANTED_SHARE, UNWANTED_MIN_OVERRIDES) == (8, 0.6, 4)


X, K = True, False  # overridden, kept


@pytest.mark.parametrize(
    ("runs", "unwanted"),
    [
        ((), False),
        ((X, X, X), False),  # three is not yet a verdict
        ((X, X, X, X), True),
        ((X, X, X, X, K, K), True),  # 4 of 6
        ((X, X, X, X, K, K, K), False),  # 4 of 7 is 57 %
        ((X, K, X, K, X, K, X, X), True),  # 5 of 8: the 6 of 8 and lower
        ((X, K, X, K, X, K, X, K), False),  # half the time it is wanted
        ((X, X, X, X, X, X, K, K, K, K, K, K), False),  # only the last 8 count
        ((K, K, K, K, X, X, X, X, X), True),  # 5 of the last 8
    ],
)
def test_is_unwanted(runs: tuple[bool, ...], unwanted: bool) -> None:
    """Enough overrides, a large enough share, of the recent runs only."""
    assert is_unwanted(runs) is unwanted
    assert is_unwanted(list(runs)) is unwanted
