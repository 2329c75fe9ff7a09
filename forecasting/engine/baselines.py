"""Baselines: naive, seasonal naive and a linear trend (numpy)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from forecasting.engine.base import BaseForecaster, Forecast
from forecasting.engine.intervals import conformal_forecast, normalised_scores


class NaiveForecaster(BaseForecaster):
    """The last value, repeated; intervals from the random walk ``sigma·sqrt(h)``."""

    name: ClassVar[str] = "naive"
    monthly_min_points: ClassVar[int] = 2

    def _fit(self, y: np.ndarray) -> None:
        self.last_ = float(y[-1])
        diffs = np.diff(y)
        self.sigma_ = float(np.sqrt(np.mean(diffs**2))) if len(diffs) else 0.0

    def _predict(self, horizon: int) -> Forecast:
        steps = np.arange(1, horizon + 1)
        return Forecast.from_normal(np.full(horizon, self.last_), self.sigma_ * np.sqrt(steps))


class SeasonalNaiveForecaster(BaseForecaster):
    """The last season, repeated; intervals ``sigma·sqrt(floor((h-1)/m)+1)``."""

    name: ClassVar[str] = "seasonal_naive"
    monthly_min_points: ClassVar[int] = 24

    @classmethod
    def min_points(cls, season_length: int = 12) -> int:
        return 2 * max(int(season_length), 1)

    def _fit(self, y: np.ndarray) -> None:
        m = max(int(self.season_length), 1)
        self.last_season_ = y[-m:].astype(float).copy()
        diffs = y[m:] - y[:-m]
        self.sigma_ = float(np.sqrt(np.mean(diffs**2))) if len(diffs) else 0.0

    def _predict(self, horizon: int) -> Forecast:
        m = len(self.last_season_)
        steps = np.arange(horizon)
        mean = self.last_season_[steps % m]
        return Forecast.from_normal(mean, self.sigma_ * np.sqrt(steps // m + 1))


def _one_step_errors(y: np.ndarray) -> np.ndarray:
    """``y[end] − (the least-squares line of y[:end]) at end`` for every end from 3 on: each
    fit only on the points before the one it predicts. The lines come from running sums
    (the normal equations), in one pass rather than one ``polyfit`` per end."""
    n = np.arange(3, len(y), dtype=float)  # points in each fit
    if not len(n):
        return np.zeros(0)
    t = np.arange(len(y), dtype=float)
    sum_y, sum_ty = np.cumsum(y)[2:-1], np.cumsum(t * y)[2:-1]
    sum_t, sum_tt = n * (n - 1) / 2, (n - 1) * n * (2 * n - 1) / 6
    slope = (n * sum_ty - sum_t * sum_y) / (n * sum_tt - sum_t**2)
    intercept = (sum_y - slope * sum_t) / n
    return y[3:] - (intercept + slope * n)


class LinearRegressionForecaster(BaseForecaster):
    """A least-squares linear trend on the time index (numpy; the same line as
    scikit-learn's ``LinearRegression`` without importing it in every worker).

    Intervals are conformal: the residuals of rolling one-step-ahead refits (each fit
    only on the points before the one it predicts), widened by ``sqrt(step)``.
    """

    name: ClassVar[str] = "linear_regression"
    monthly_min_points: ClassVar[int] = 5
    native_intervals: ClassVar[bool] = False

    def _fit(self, y: np.ndarray) -> None:
        t = np.arange(len(y), dtype=float)
        slope, intercept = np.polyfit(t, y, 1)
        self.scores_ = normalised_scores(_one_step_errors(y), np.ones(max(len(y) - 3, 0)))
        self.coef_ = float(slope)
        self.intercept_ = float(intercept)

    def _predict(self, horizon: int) -> Forecast:
        t = np.arange(self.n_obs_, self.n_obs_ + horizon, dtype=float)
        return conformal_forecast(self.intercept_ + self.coef_ * t, self.scores_)
