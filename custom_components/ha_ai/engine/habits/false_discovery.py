"""False discoveries controlled over a whole run (Benjamini-Hochberg).

A miner tests many hypotheses at once: every (entity, state) couple of a house, or
every window of every entity. A fixed gate per hypothesis lets a big house or a
long history find noise that a small one would not, and makes a small one pay
for hypotheses it never tested. Benjamini-Hochberg keeps the expected share of
false discoveries among those reported at the level asked, whatever the number of
hypotheses: a p-value is adjusted to p x m / rank, made monotone.

`hypotheses` counts every hypothesis tested, also those left out of `p_values`
because their p-value is 1 (a couple that never happened): they still count.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

type FloatArray = npt.NDArray[np.float64]


def benjamini_hochberg(
    p_values: npt.ArrayLike, hypotheses: int | None = None
) -> FloatArray:
    """Return the Benjamini-Hochberg adjusted p-values, in the order given.

    A hypothesis is a discovery at false-discovery rate q when its adjusted
    p-value is at most q.
    """
    p = np.asarray(p_values, dtype=np.float64)
    with np.errstate(divide="ignore"):
        adjusted = benjamini_hochberg_log10(np.log10(p), hypotheses)
    return np.asarray(10.0**adjusted, dtype=np.float64)


def benjamini_hochberg_log10(
    log10_p_values: npt.ArrayLike, hypotheses: int | None = None
) -> FloatArray:
    """Return log10 of the adjusted p-values from log10 of the p-values.

    The same adjustment in logarithms, for p-values far below what a float holds
    (a pair seen every day for months has p around 1e-400).
    """
    log_p = np.minimum(np.asarray(log10_p_values, dtype=np.float64), 0.0)
    count = log_p.shape[0]
    total = count if hypotheses is None else max(int(hypotheses), count)
    if count == 0:
        return np.zeros(0, dtype=np.float64)
    order = np.argsort(log_p, kind="stable")
    ranks = np.arange(1, count + 1, dtype=np.float64)
    scaled = log_p[order] + np.log10(total) - np.log10(ranks)
    # Monotone: a p-value's adjusted value is the least of those ranked after it.
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(count, dtype=np.float64)
    adjusted[order] = np.minimum(monotone, 0.0)
    return adjusted
