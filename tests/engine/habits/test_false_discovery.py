"""Benjamini-Hochberg: the share of false discoveries is kept, whatever the count."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.ha_ai.engine.habits.false_discovery import (
    benjamini_hochberg,
    benjamini_hochberg_log10,
)


def test_adjusted_values_of_a_textbook_example() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # Sorted 0.005, 0.01, 0.03, 0.04 -> x4/1, x4/2, x4/3, x4/4, then monotone.
    expected = [0.02, 0.04, 0.04, 0.02]
    assert benjamini_hochberg(p) == pytest.approx(expected)


def test_untested_hypotheses_still_count() -> None:
    assert benjamini_hochberg([0.001], hypotheses=1000) == pytest.approx([1.0])
    assert benjamini_hochberg([1e-6], hypotheses=1000) == pytest.approx([1e-3])
    # Fewer hypotheses than p-values given cannot be: the p-values count.
    assert benjamini_hochberg([0.01, 0.02], hypotheses=1) == pytest.approx([0.02, 0.02])


def test_adjusted_values_never_exceed_one_and_keep_the_order() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(500)
    adjusted = benjamini_hochberg(p)
    assert np.all(adjusted <= 1.0)
    assert np.all(adjusted >= p * (1 - 1e-12))
    order = np.argsort(p)
    assert np.all(np.diff(adjusted[order]) >= 0)


def test_uniform_p_values_give_no_discovery() -> None:
    rng = np.random.default_rng(4)
    for _ in range(20):
        assert not np.any(benjamini_hochberg(rng.random(10_000)) <= 0.01)


def test_logarithms_hold_what_a_float_cannot() -> None:
    adjusted = benjamini_hochberg_log10([-400.0, -2.0], hypotheses=100)
    assert adjusted == pytest.approx([-398.0, np.log10(0.5)])
    assert benjamini_hochberg_log10([]).shape == (0,)
    assert benjamini_hochberg([]).shape == (0,)
