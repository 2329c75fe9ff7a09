"""Conformal prediction intervals for models without native ones.

Absolute out-of-sample errors observed at forecast step ``k`` are normalised by
``sqrt(k)``; the finite-sample-corrected quantile of the normalised errors, multiplied
by ``sqrt(h)``, is the interval radius at step ``h`` (so intervals widen with the
horizon like a random walk's).
"""

from __future__ import annotations

import math

import numpy as np

from forecasting.engine.base import Forecast


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """Split-conformal quantile ``ceil((n+1)·level)/n`` of non-negative ``scores``."""
    scores = np.sort(np.asarray(scores, dtype=float))
    n = len(scores)
    if n == 0:
        return 0.0
    rank = min(n, math.ceil((n + 1) * level))
    return float(scores[rank - 1])


def normalised_scores(errors: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """``|error| / sqrt(step)`` for errors observed ``step`` periods after their origin."""
    errors = np.abs(np.asarray(errors, dtype=float))
    steps = np.asarray(steps, dtype=float)
    return errors / np.sqrt(np.maximum(steps, 1.0))


def conformal_forecast(mean: np.ndarray, scores: np.ndarray) -> Forecast:
    """Intervals ``mean ± q_level(scores)·sqrt(step)`` for steps ``1..len(mean)``."""
    mean = np.asarray(mean, dtype=float)
    widen = np.sqrt(np.arange(1, len(mean) + 1, dtype=float))
    r80 = conformal_quantile(scores, 0.80) * widen
    r95 = conformal_quantile(scores, 0.95) * widen
    return Forecast.from_bounds(mean, mean - r80, mean + r80, mean - r95, mean + r95)
