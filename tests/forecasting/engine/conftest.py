"""Series shared by the engine tests (pure Python: no database)."""

import numpy as np
import pytest


def monthly_series(n: int = 48, seed: int = 7) -> np.ndarray:
    """Trend + yearly season + noise, strictly positive."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.8 * t + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2.0, n)


@pytest.fixture
def series48() -> np.ndarray:
    return monthly_series(48)
