"""Lag windows and internal hold-outs shared by the machine-learning forecasters."""

from __future__ import annotations

import numpy as np


def holdout_size(n: int, season_length: int) -> int:
    """Points kept aside inside ``fit`` for grid choice, early stopping and conformal
    residuals: one season (6 for non-seasonal data), at most a quarter of the series."""
    base = season_length if season_length > 1 else 6
    return max(2, min(base, n // 4))


def n_lags_for(n_train: int, season_length: int) -> int:
    """Lags used as features: one season, at most a third of the training points."""
    base = season_length if season_length > 1 else 6
    return max(1, min(base, n_train // 3))


def position_features(index: np.ndarray, season_length: int) -> np.ndarray:
    """Sine/cosine of the position in the season (zeros for non-seasonal data)."""
    index = np.asarray(index, dtype=float)
    if season_length <= 1:
        return np.zeros((len(index), 2))
    angle = 2 * np.pi * (index % season_length) / season_length
    return np.column_stack([np.sin(angle), np.cos(angle)])


def lag_matrix(z: np.ndarray, n_lags: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``[z[t-1], ..., z[t-n_lags]]`` and targets ``z[t]`` for ``t >= n_lags``."""
    z = np.asarray(z, dtype=float)
    rows = np.column_stack([z[n_lags - k : len(z) - k] for k in range(1, n_lags + 1)])
    return rows, z[n_lags:]
