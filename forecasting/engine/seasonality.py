"""Seasonality tests and classical decomposition shared by the statistical models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: One-sided 90 % critical value of the ACF seasonality test (Assimakopoulos & Nikolopoulos).
SEASONALITY_TCRIT = 1.645
#: Level of the seasonal-dummies F-test (chosen on the validation windows, see the README).
SEASONAL_DUMMIES_ALPHA = 0.05
#: The F-test is used only below this many seasons (with all M3 validation series it hurt).
SEASONAL_DUMMIES_MAX_SEASONS = 4


def acf(y: np.ndarray, nlags: int) -> np.ndarray:
    """Sample autocorrelations ``r_0..r_nlags``."""
    y = np.asarray(y, dtype=float)
    x = y - y.mean()
    denom = float(np.dot(x, x))
    if denom == 0:
        return np.zeros(nlags + 1)
    return np.array([1.0] + [float(np.dot(x[k:], x[:-k])) / denom for k in range(1, nlags + 1)])


def acf_seasonal(y: np.ndarray, season_length: int) -> bool:
    """The Theta method's 90 % ACF test at lag ``season_length`` (needs 3 seasons)."""
    n = len(y)
    if season_length <= 1 or n < 3 * season_length:
        return False
    r = acf(y, season_length)
    limit = SEASONALITY_TCRIT * np.sqrt((1 + 2 * np.sum(r[1:season_length] ** 2)) / n)
    return bool(abs(r[season_length]) > limit)


def seasonal_dummies_pvalue(y: np.ndarray, season_length: int) -> float:
    """p-value of the F-test of ``season_length − 1`` seasonal dummies added to a linear
    trend (on the logarithms when every value is positive); needs 2 seasons.

    Unlike the ACF at one lag, it uses every point of each season, so it still has power
    with two or three seasons of data (measured in ``benchmarks/forecasting/README.md``).
    """
    y = np.asarray(y, dtype=float)
    n, m = len(y), int(season_length)
    if m <= 1 or n < 2 * m:
        return 1.0
    x = np.log(y) if np.all(y > 0) else y
    t = np.arange(n, dtype=float)
    trend = np.column_stack([np.ones(n), t])
    full = np.column_stack([trend] + [(t % m == k).astype(float) for k in range(1, m)])
    rss_trend = float(np.sum((x - trend @ np.linalg.lstsq(trend, x, rcond=None)[0]) ** 2))
    rss_full = float(np.sum((x - full @ np.linalg.lstsq(full, x, rcond=None)[0]) ** 2))
    df_resid = n - full.shape[1]
    if rss_trend <= 0 or df_resid < 1:
        return 1.0
    if rss_full <= 1e-12 * rss_trend:
        return 0.0
    from scipy.special import fdtrc  # the F survival function, without importing scipy.stats

    statistic = ((rss_trend - rss_full) / (m - 1)) / (rss_full / df_resid)
    return float(fdtrc(m - 1, df_resid, statistic))


def dummies_seasonal(y: np.ndarray, season_length: int) -> bool:
    """The seasonal-dummies F-test at ``SEASONAL_DUMMIES_ALPHA``, on short series only
    (2 to ``SEASONAL_DUMMIES_MAX_SEASONS`` seasons)."""
    if len(y) >= SEASONAL_DUMMIES_MAX_SEASONS * max(int(season_length), 1):
        return False
    return seasonal_dummies_pvalue(y, season_length) < SEASONAL_DUMMIES_ALPHA


def is_seasonal(y: np.ndarray, season_length: int) -> bool:
    """Seasonal when the 90 % ACF test (3 seasons) says so or, on a series shorter than
    four seasons, the seasonal-dummies F-test: the ACF test alone rarely fires on three
    years of data, while on the longer M3 series adding the F-test hurt
    (``benchmarks/forecasting/README.md``)."""
    return acf_seasonal(y, season_length) or dummies_seasonal(y, season_length)


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


def group_seasonal_indices(group: np.ndarray, season_length: int) -> np.ndarray | None:
    """Multiplicative seasonal indices of ``group`` — the aggregate a series belongs to
    (all expenses for one category, all sales for one product) — or None when the
    aggregate is not seasonal (:func:`is_seasonal`), not positive or shorter than two
    seasons.

    Group seasonal indices (Dalhart 1974; Withycombe 1989; Chen & Boylan 2007): a
    sub-series is often too short and noisy to show its seasonality, while the sum of many
    shows it clearly; dividing the sub-series by the aggregate's indices transfers that
    pattern (``benchmarks/forecasting/README.md``, decision 8).
    """
    group = np.asarray(group, dtype=float)
    m = int(season_length)
    if m <= 1 or len(group) < 2 * m:
        return None
    if not np.all(np.isfinite(group)):
        raise ValueError("the group series must hold finite numbers only")
    if not np.all(group > 0) or not is_seasonal(group, m):
        return None
    idx = seasonal_indices(group, m, multiplicative=True)
    if not np.all(np.isfinite(idx)) or np.any(idx <= 0):
        return None
    return idx


@dataclass(frozen=True)
class Deseasonaliser:
    """Removes (and restores) seasonal indices; ``mode`` none, additive, multiplicative or
    group (multiplicative indices of the aggregate the series belongs to)."""

    mode: str
    indices: np.ndarray
    season_length: int

    @classmethod
    def fit(
        cls, y: np.ndarray, season_length: int, mode: str = "auto", group: np.ndarray | None = None,
    ) -> Deseasonaliser:
        """``auto``: the ``group``'s indices when given and seasonal
        (:func:`group_seasonal_indices`, aligned with ``y``: both start at the same period;
        only the group's first ``len(y)`` points are read, so a backtest on a prefix of
        ``y`` never sees the group's later values); otherwise seasonal only if
        :func:`is_seasonal` says so, multiplicative if y > 0."""
        y = np.asarray(y, dtype=float)
        grouped = cls.from_group(y, season_length, group) if mode == "auto" else None
        if grouped is not None:
            return grouped
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

    @classmethod
    def from_group(cls, y: np.ndarray, season_length: int, group: np.ndarray | None) -> Deseasonaliser | None:
        """Mode ``group`` with the indices of the group's first ``len(y)`` points, or None
        when there is no group or it is not seasonal (:func:`group_seasonal_indices`)."""
        if group is None:
            return None
        idx = group_seasonal_indices(np.asarray(group, dtype=float)[: len(y)], season_length)
        return None if idx is None else cls("group", idx, season_length)

    @property
    def multiplicative(self) -> bool:
        return self.mode in ("multiplicative", "group")

    def _at(self, start: int, length: int) -> np.ndarray:
        return self.indices[(np.arange(start, start + length)) % self.season_length]

    def adjust(self, y: np.ndarray) -> np.ndarray:
        """The seasonally adjusted series (positions start at 0)."""
        y = np.asarray(y, dtype=float)
        if self.mode == "none":
            return y.copy()
        s = self._at(0, len(y))
        return y / s if self.multiplicative else y - s

    def restore(self, values: np.ndarray, start: int) -> np.ndarray:
        """Re-seasonalise values at positions ``start, start+1, ...``."""
        values = np.asarray(values, dtype=float)
        if self.mode == "none":
            return values.copy()
        s = self._at(start, len(values))
        return values * s if self.multiplicative else values + s


def fourier_terms(t: np.ndarray, period: float, k: int) -> np.ndarray:
    """``k`` pairs of Fourier terms ``sin(2πjt/period), cos(2πjt/period)``, j = 1..k, at the
    positions ``t`` (shape ``(len(t), 2k)``): a smooth season of any length in ``2k``
    regressors, where seasonal dummies or a seasonal ARIMA need one per period."""
    t = np.asarray(t, dtype=float)
    angles = 2 * np.pi * np.outer(t, np.arange(1, k + 1)) / float(period)
    return np.column_stack([np.sin(angles), np.cos(angles)])
