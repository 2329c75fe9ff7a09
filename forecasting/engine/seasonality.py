"""Seasonality tests and classical decomposition shared by the statistical models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: One-sided 90 % critical value of the ACF seasonality test (Assimakopoulos & Nikolopoulos).
SEASONALITY_TCRIT = 1.645


def acf(y: np.ndarray, nlags: int) -> np.ndarray:
    """Sample autocorrelations ``r_0..r_nlags``."""
    y = np.asarray(y, dtype=float)
    x = y - y.mean()
    denom = float(np.dot(x, x))
    if denom == 0:
        return np.zeros(nlags + 1)
    return np.array([1.0] + [float(np.dot(x[k:], x[:-k])) / denom for k in range(1, nlags + 1)])


def is_seasonal(y: np.ndarray, season_length: int) -> bool:
    """The Theta method's 90 % ACF test at lag ``season_length`` (needs 3 seasons)."""
    n = len(y)
    if season_length <= 1 or n < 3 * season_length:
        return False
    r = acf(y, season_length)
    limit = SEASONALITY_TCRIT * np.sqrt((1 + 2 * np.sum(r[1:season_length] ** 2)) / n)
    return bool(abs(r[season_length]) > limit)


def centred_moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average (2×m for even m), NaN at the ends."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    out = np.full(n, np.nan)
    if window % 2:
        half = window // 2
        kernel = np.ones(window) / window
    else:
        half = window // 2
        kernel = np.r_[0.5, np.ones(window - 1), 0.5] / window
    if n < len(kernel):
        return out
    out[half : n - half] = np.convolve(y, kernel, mode="valid")
    return out


def seasonal_indices(y: np.ndarray, season_length: int, multiplicative: bool) -> np.ndarray:
    """Classical decomposition indices per position ``t mod season_length`` (t=0 first)."""
    y = np.asarray(y, dtype=float)
    trend = centred_moving_average(y, season_length)
    detrended = y / trend if multiplicative else y - trend
    positions = np.arange(len(y)) % season_length
    idx = np.array(
        [np.nanmean(detrended[positions == p]) if np.any(np.isfinite(detrended[positions == p]))
         else (1.0 if multiplicative else 0.0) for p in range(season_length)]
    )
    idx = idx / idx.mean() if multiplicative else idx - idx.mean()
    return idx


def seasonal_strength(y: np.ndarray, season_length: int) -> float:
    """Hyndman's strength of seasonality ``max(0, 1 - var(R)/var(S+R))`` (additive)."""
    y = np.asarray(y, dtype=float)
    if season_length <= 1 or len(y) < 2 * season_length:
        return 0.0
    trend = centred_moving_average(y, season_length)
    idx = seasonal_indices(y, season_length, multiplicative=False)
    seasonal = idx[np.arange(len(y)) % season_length]
    ok = np.isfinite(trend)
    remainder = (y - trend - seasonal)[ok]
    both = (y - trend)[ok]
    if np.var(both) == 0:
        return 0.0
    return float(max(0.0, 1.0 - np.var(remainder) / np.var(both)))


@dataclass(frozen=True)
class Deseasonaliser:
    """Removes (and restores) classical seasonal indices; ``mode`` none/additive/multiplicative."""

    mode: str
    indices: np.ndarray
    season_length: int

    @classmethod
    def fit(cls, y: np.ndarray, season_length: int, mode: str = "auto") -> Deseasonaliser:
        """``auto``: seasonal only if the 90 % ACF test says so; multiplicative if y > 0."""
        y = np.asarray(y, dtype=float)
        if mode == "none" or (mode == "auto" and not is_seasonal(y, season_length)):
            return cls("none", np.zeros(max(season_length, 1)), season_length)
        if mode == "auto":
            mode = "multiplicative" if np.all(y > 0) else "additive"
        if len(y) < 2 * season_length:
            return cls("none", np.zeros(max(season_length, 1)), season_length)
        multiplicative = mode == "multiplicative"
        idx = seasonal_indices(y, season_length, multiplicative)
        if multiplicative and (not np.all(np.isfinite(idx)) or np.any(idx <= 0)):
            return cls("none", np.zeros(season_length), season_length)
        return cls(mode, idx, season_length)

    def _at(self, start: int, length: int) -> np.ndarray:
        return self.indices[(np.arange(start, start + length)) % self.season_length]

    def adjust(self, y: np.ndarray) -> np.ndarray:
        """The seasonally adjusted series (positions start at 0)."""
        y = np.asarray(y, dtype=float)
        if self.mode == "none":
            return y.copy()
        s = self._at(0, len(y))
        return y / s if self.mode == "multiplicative" else y - s

    def restore(self, values: np.ndarray, start: int) -> np.ndarray:
        """Re-seasonalise values at positions ``start, start+1, ...``."""
        values = np.asarray(values, dtype=float)
        if self.mode == "none":
            return values.copy()
        s = self._at(start, len(values))
        return values * s if self.mode == "multiplicative" else values + s
