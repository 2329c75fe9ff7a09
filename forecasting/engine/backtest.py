"""Rolling-origin backtests with an expanding window.

Window ``i`` trains on ``y[:origin_i]`` and forecasts the next ``horizon`` points; the
origins are ``n − horizon − k·step`` for ``k = 0..n_windows−1`` (latest last), keeping
only those that leave at least ``min_train`` training points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecasting.engine.base import BaseForecaster, Forecast, validate_covariates, validate_series
from forecasting.engine.metrics import json_number, mae, mape, mase, r2, rmse, smape


def window_origins(
    n: int, horizon: int, *, n_windows: int = 3, step: int | None = None, min_train: int = 1
) -> list[int]:
    """Training lengths of the backtest windows, oldest first."""
    if horizon < 1 or n_windows < 1:
        raise ValueError("horizon and n_windows must be positive")
    step = horizon if step is None else int(step)
    if step < 1:
        raise ValueError("step must be positive")
    origins = {n - horizon - k * step for k in range(n_windows)}
    return sorted(o for o in origins if o >= max(min_train, 1))


@dataclass(frozen=True)
class BacktestWindow:
    """One forecast from ``origin`` against the actual values that followed."""

    origin: int
    forecast: Forecast
    actual: np.ndarray

    @property
    def residuals(self) -> np.ndarray:
        return self.actual - self.forecast.mean

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "actual": [float(v) for v in self.actual],
                **self.forecast.to_dict()}


@dataclass(frozen=True)
class BacktestResult:
    """All windows of one backtest and the metrics over them."""

    horizon: int
    windows: list[BacktestWindow]
    metrics: dict[str, float | None] = field(default_factory=dict)

    @property
    def origins(self) -> list[int]:
        return [w.origin for w in self.windows]

    @property
    def forecasts(self) -> list[np.ndarray]:
        return [w.forecast.mean for w in self.windows]

    @property
    def actuals(self) -> list[np.ndarray]:
        return [w.actual for w in self.windows]

    @property
    def residuals(self) -> list[np.ndarray]:
        return [w.residuals for w in self.windows]

    def to_dict(self) -> dict[str, Any]:
        return {"horizon": self.horizon, "metrics": dict(self.metrics),
                "windows": [w.to_dict() for w in self.windows]}


def backtest_metrics(
    y: np.ndarray, windows: list[BacktestWindow], season_length: int
) -> dict[str, float | None]:
    """Metrics over all windows pooled (MAE, RMSE, MAPE, sMAPE, R²); MASE averaged over
    windows, each scaled by its own training data."""
    if not windows:
        return {}
    actual = np.concatenate([w.actual for w in windows])
    pred = np.concatenate([w.forecast.mean for w in windows])
    mases = [mase(w.actual, w.forecast.mean, y[: w.origin], season_length) for w in windows]
    finite = [v for v in mases if np.isfinite(v)]
    return {
        "mae": json_number(mae(actual, pred)),
        "rmse": json_number(rmse(actual, pred)),
        "mape": json_number(mape(actual, pred)),
        "smape": json_number(smape(actual, pred)),
        "mase": json_number(np.mean(finite)) if finite else None,
        "r2": json_number(r2(actual, pred)),
        "n_windows": len(windows),
    }


def forecast_window(forecaster: BaseForecaster, y: np.ndarray, origin: int, horizon: int,
                    X: np.ndarray | None = None) -> BacktestWindow:
    """Fit an unfitted copy of ``forecaster`` on ``y[:origin]`` (and its rows of the
    covariates ``X``) and forecast ``horizon`` (with the window's rows)."""
    if X is None:
        model = forecaster.clone().fit(y[:origin])
        return BacktestWindow(origin, model.predict(horizon), y[origin : origin + horizon].copy())
    model = forecaster.clone().fit(y[:origin], X[:origin])
    return BacktestWindow(origin, model.predict(horizon, X[origin : origin + horizon]), y[origin : origin + horizon].copy())


def backtest(
    forecaster: BaseForecaster,
    y: Any,
    *,
    horizon: int,
    n_windows: int = 3,
    step: int | None = None,
    season_length: int | None = None,
    X: Any = None,
) -> BacktestResult:
    """Rolling-origin backtest of ``forecaster`` on the windows it has enough data for
    (with known-future covariates ``X``: one row per point of ``y``)."""
    series = validate_series(y)
    covariates = None if X is None else validate_covariates(X, len(series))
    s = forecaster.season_length if season_length is None else season_length
    origins = window_origins(len(series), horizon, n_windows=n_windows, step=step,
                             min_train=forecaster.min_points(forecaster.season_length))
    windows = [forecast_window(forecaster, series, o, horizon, covariates) for o in origins]
    return BacktestResult(horizon, windows, backtest_metrics(series, windows, s))
