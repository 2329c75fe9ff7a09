"""Series shared by the engine tests (pure Python: no database)."""

import numpy as np
import pytest


def monthly_series(n: int = 48, seed: int = 7) -> np.ndarray:
    """Trend + yearly season + noise, strictly positive."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.8 * t + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2.0, n)


def weekly_series(n: int = 260, seed: int = 7) -> np.ndarray:
    """Trend + a yearly season of 52 weeks + noise, strictly positive."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.15 * t + 12 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 2.0, n)


#: A retail year: low in winter, a September bump, the peak in December.
RETAIL_YEAR = np.array([0.8, 0.7, 0.9, 0.95, 0.95, 1.0, 0.95, 0.9, 1.2, 1.0, 1.3, 1.45])


def retail_aggregate(n: int = 36) -> np.ndarray:
    """A growing total with the retail year and 5 % noise, starting in January."""
    t = np.arange(n)
    return (400 + 3 * t) * RETAIL_YEAR[t % 12] * np.exp(np.random.default_rng(100).normal(0, 0.05, n))


def retail_part(n: int = 36) -> np.ndarray:
    """One part of it: the same season under 35 % noise, which hides it from its own tests."""
    t = np.arange(n)
    return 50 * RETAIL_YEAR[t % 12] * np.exp(np.random.default_rng(0).normal(0, 0.35, n))


@pytest.fixture
def series48() -> np.ndarray:
    return monthly_series(48)
