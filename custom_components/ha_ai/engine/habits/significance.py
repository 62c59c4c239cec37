"""How sure a finding is: confidence bounds, chance tails, false-discovery control.

A house is searched for habits with many hypotheses at once (every window of the
clock, every entity, state and day class), so a probability that would be small
for one test is large across a run. `false_discovery.benjamini_hochberg` turns
the chance probabilities of the findings into probabilities adjusted for how many
hypotheses the run tested, so the bar rises with the size of the house and of
its history, and pure noise yields nothing.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

Z95 = 1.959963984540054

type FloatArray = npt.NDArray[np.float64]


def wilson_lower(successes: int, trials: int, z: float = Z95) -> float:
    """Return the Wilson score interval's lower bound of successes / trials."""
    if trials <= 0:
        return 0.0
    share = successes / trials
    z2 = z * z
    centre = share + z2 / (2 * trials)
    margin = z * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - margin) / (1 + z2 / trials))


def wilson_upper(successes: int, trials: int, z: float = Z95) -> float:
    """Return the Wilson score interval's upper bound of successes / trials."""
    return 1.0 - wilson_lower(trials - successes, trials, z)


@functools.cache
def needed_successes(trials: int, min_confidence: float) -> int:
    """Return the fewest successes whose Wilson lower bound reaches the threshold."""
    for successes in range(trials + 1):
        if wilson_lower(successes, trials) >= min_confidence:
            return successes
    return trials + 1


def binomial_tail(successes: int, trials: int, share: float) -> float:
    """Return P(X >= successes) for X ~ Binomial(trials, share).

    It also bounds the tail of a sum of independent trials of different
    chances whose mean is `share` (Hoeffding, 1956) whenever successes is at
    least trials * share + 1, which is how it serves days of different chances.
    """
    if successes <= 0 or share >= 1.0:
        return 1.0
    if successes > trials or share <= 0.0:
        return 0.0
    x = np.arange(successes, trials + 1, dtype=np.float64)
    log_terms = (
        math.lgamma(trials + 1)
        - np.array([math.lgamma(v + 1) + math.lgamma(trials - v + 1) for v in x])
        + x * math.log(share)
        + (trials - x) * math.log1p(-share)
    )
    top = float(log_terms.max())
    return min(1.0, math.exp(top) * float(np.exp(log_terms - top).sum()))


def poisson_binomial_tail(successes: int, chances: FloatArray) -> float:
    """Return P(X >= successes) for X the sum of independent trials of `chances`."""
    if successes <= 0:
        return 1.0
    if successes > chances.shape[0]:
        return 0.0
    # distribution[k]: P(k successes so far), kept up to `successes` (the last
    # entry gathers `successes` or more).
    distribution = np.zeros(successes + 1, dtype=np.float64)
    distribution[0] = 1.0
    for index in range(chances.shape[0]):
        chance = float(chances[index])
        moved = distribution[:-1] * chance
        distribution[:-1] *= 1.0 - chance
        distribution[1:] += moved
    return min(1.0, float(distribution[-1]))


def evidence(adjusted_probability: float) -> float:
    """Return -log10 of an adjusted probability, the strength shown to a user."""
    return round(-math.log10(max(adjusted_probability, 1e-300)), 2)
