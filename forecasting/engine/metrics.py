"""Forecast accuracy metrics. Every function takes arrays and returns a float (NaN when
the metric is undefined: no non-zero actuals for MAPE, zero scale for MASE, constant
actuals for R²)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y_true, dtype=float).reshape(-1)
    f = np.asarray(y_pred, dtype=float).reshape(-1)
    if a.shape != f.shape:
        raise ValueError(f"actuals and forecasts differ in length: {a.shape[0]} != {f.shape[0]}")
    if a.size == 0:
        raise ValueError("metrics need at least one point")
    return a, f


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error."""
    a, f = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - f)))


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error."""
    a, f = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((a - f) ** 2)))


def mape(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error (in %), skipping zero actuals."""
    a, f = _pair(y_true, y_pred)
    keep = a != 0
    if not np.any(keep):
        return math.nan
    return float(100.0 * np.mean(np.abs((a[keep] - f[keep]) / a[keep])))


def smape(y_true: Any, y_pred: Any) -> float:
    """Symmetric MAPE in %: mean of ``200·|y−ŷ|/(|y|+|ŷ|)``, a term is 0 when both are 0."""
    a, f = _pair(y_true, y_pred)
    denom = np.abs(a) + np.abs(f)
    terms = np.divide(200.0 * np.abs(a - f), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(np.mean(terms))


def mase_scale(y_train: Any, season_length: int = 1) -> float:
    """In-sample MAE of the seasonal naive forecast (naive when the series is shorter
    than one season plus one point)."""
    y = np.asarray(y_train, dtype=float).reshape(-1)
    m = season_length if season_length > 1 and len(y) > season_length else 1
    if len(y) <= m:
        return math.nan
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def mase(y_true: Any, y_pred: Any, y_train: Any, season_length: int = 1) -> float:
    """Mean absolute scaled error: MAE divided by :func:`mase_scale` of the training data."""
    scale = mase_scale(y_train, season_length)
    if not scale or not np.isfinite(scale):
        return math.nan
    return mae(y_true, y_pred) / scale


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination ``1 − SS_res/SS_tot`` (NaN for constant actuals)."""
    a, f = _pair(y_true, y_pred)
    ss_tot = float(np.sum((a - a.mean()) ** 2))
    if ss_tot == 0:
        return math.nan
    return 1.0 - float(np.sum((a - f) ** 2)) / ss_tot


def json_number(value: Any) -> float | None:
    """A float for JSON, ``None`` for missing, NaN or infinite values."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
