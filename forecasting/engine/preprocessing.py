"""Shared preprocessing: robust outlier clipping on a detrended, deseasonalised series."""

from __future__ import annotations

import numpy as np

MAD_TO_SIGMA = 1.4826


def _rolling_median(y: np.ndarray, window: int) -> np.ndarray:
    half = window // 2
    return np.array(
        [np.median(y[max(0, i - half) : i + half + 1]) for i in range(len(y))], dtype=float
    )


def clip_outliers(y: np.ndarray, season_length: int = 1, *, k: float = 3.5) -> np.ndarray:
    """Clip points whose residual from a robust trend (+ season) exceeds ``k`` MADs.

    The trend is a robust Theil–Sen line (median of the pairwise slopes) plus a
    centred rolling median of what the line leaves (one season, at least 5 points) — the
    line keeps the truncated windows at the ends unbiased on trending series. When two
    full seasons are available the median residual of each seasonal position is removed
    too. Points within the band are returned unchanged; outliers are moved to the band's
    edge. A series without spread (MAD 0) is returned as is.
    """
    from scipy.stats import theilslopes  # lazily: scipy.stats costs ~1 s to import

    y = np.asarray(y, dtype=float)
    n = len(y)
    if n < 5:
        return y.copy()
    t = np.arange(n, dtype=float)
    slope, intercept, _, _ = theilslopes(y, t)
    line = slope * t + intercept
    window = max(5, season_length + (1 - season_length % 2))
    trend = line + _rolling_median(y - line, min(window, n if n % 2 else n - 1))
    resid = y - trend
    seasonal = np.zeros(n)
    if season_length > 1 and n >= 2 * season_length:
        positions = np.arange(n) % season_length
        for p in range(season_length):
            seasonal[positions == p] = np.median(resid[positions == p])
    resid = resid - seasonal
    centre = float(np.median(resid))
    mad = MAD_TO_SIGMA * float(np.median(np.abs(resid - centre)))
    if mad <= 0:
        return y.copy()
    low, high = centre - k * mad, centre + k * mad
    out = y.copy()
    mask = (resid < low) | (resid > high)
    out[mask] = trend[mask] + seasonal[mask] + np.clip(resid[mask], low, high)
    return out
