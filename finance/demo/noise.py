"""The randomness of the demo: one independent generator per component, and noise shapes."""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

Rng = np.random.Generator


def component_rng(seed: int, *keys: str) -> Rng:
    """An independent generator per component, stable when other components change."""
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in keys)])


def lognormal_noise(rng: Rng, sigma: float, size: int | None = None) -> Any:
    """Multiplicative noise with mean 1."""
    if sigma <= 0:
        return np.ones(size) if size is not None else 1.0
    return rng.lognormal(-(sigma**2) / 2, sigma, size)


def ar1_noise(rng: Rng, n: int, sigma: float, phi: float = 0.5) -> np.ndarray:
    """Multiplicative day-to-day noise with some persistence (a rainy week)."""
    shocks = rng.normal(0, sigma * math.sqrt(1 - phi**2), n)
    level = np.empty(n)
    level[0] = rng.normal(0, sigma)
    for i in range(1, n):
        level[i] = phi * level[i - 1] + shocks[i]
    return np.exp(level - sigma**2 / 2)
