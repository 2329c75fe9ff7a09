"""The Dynamic Optimised Theta Model (DOTM) of Fiorucci, Pellegrini, Louzada, Petropoulos
and Koehler (2016), "Models for optimising the theta method and their relationship to state
space models", International Journal of Forecasting 32(4).

The classical Theta method fits the long-run trend line once, on the whole series, and
fixes theta at 2. DOTM updates the trend line's intercept ``A`` and slope ``B`` with every
observation (least squares over the data so far, computed recursively) and estimates the
smoothing weight ``alpha``, the weight ``theta`` of the theta line and the initial level by
minimising the squared one-step errors. In the state-space form, for t = 1, 2, …:

    mu_t   = l_{t-1} + (1 - 1/theta) [ (1-alpha)^{t-1} A_{t-1} + (1 - (1-alpha)^t)/alpha · B_{t-1} ]
    y_t    = mu_t + e_t
    l_t    = alpha y_t + (1 - alpha) l_{t-1}
    mean_t = ((t-1) mean_{t-1} + y_t) / t
    B_t    = ((t-2) B_{t-1} + 6 (y_t - mean_{t-1}) / t) / (t+1)
    A_t    = mean_t - (t+1)/2 · B_t

The mean, ``A`` and ``B`` depend on the data only, and the level is an exponential filter,
so one evaluation of the objective is a handful of vector operations (no Python loop over
time) — a fit of a 126-point series takes milliseconds. Forecasts run the same recursion
with each forecast standing in for the unknown observation; prediction intervals simulate
it with Gaussian errors of the one-step residual variance (seeded: deterministic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ALPHA_BOUNDS = (0.1, 0.99)
THETA_BOUNDS = (1.0, 1e4)
#: One-step errors of the first points, before the trend line means anything, are left out
#: of the objective (and of the residual variance).
BURN_IN = 3


def _next_slope(i: int, slope: Any, value: Any, previous_mean: Any) -> Any:
    """B after the observation of 0-based index ``i`` (t = i + 1) from B and the mean before it."""
    return ((i - 1) * slope + 6 * (value - previous_mean) / (i + 1)) / (i + 2)


def _intercept(i: Any, mean: Any, slope: Any) -> Any:
    """A after the observation of 0-based index ``i``: the line through the running mean."""
    return mean - slope * (i + 2) / 2


def _expected(i: Any, level: Any, intercept: Any, slope: Any, alpha: float, theta: float) -> Any:
    """mu of the observation of 0-based index ``i`` from the states after the one before it."""
    decay = (1.0 - alpha) ** i
    return level + (1.0 - 1.0 / theta) * (intercept * decay + slope * (1.0 - decay * (1.0 - alpha)) / alpha)


def trend_states(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running mean, intercept ``A`` and slope ``B`` after each observation (index 0 = t 1)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    mean = np.cumsum(y) / np.arange(1, n + 1)
    slope = np.zeros(n)
    for i in range(1, n):  # the one recursion that does not vectorise
        slope[i] = _next_slope(i, slope[i - 1], y[i], mean[i - 1])
    intercept = _intercept(np.arange(n), mean, slope)
    intercept[0] = y[0]
    return mean, intercept, slope


def _levels(y: np.ndarray, alpha: float, level0: float) -> np.ndarray:
    """l_t for t = 1..n: the exponential filter started at ``level0`` (= l_0)."""
    from scipy.signal import lfilter

    levels, _ = lfilter([alpha], [1.0, alpha - 1.0], y, zi=[(1.0 - alpha) * level0])
    return levels


def one_step_errors(y: np.ndarray, states: tuple[np.ndarray, np.ndarray, np.ndarray],
                    level0: float, alpha: float, theta: float) -> np.ndarray:
    """e_t = y_t − mu_t for t = 2..n (the first observation only starts the states)."""
    _, intercept, slope = states
    levels = _levels(y, alpha, level0)
    return y[1:] - _expected(np.arange(1, len(y)), levels[:-1], intercept[:-1], slope[:-1], alpha, theta)


@dataclass(frozen=True)
class DOTMFit:
    """Fitted parameters and the last states (level, mean, A, B) after ``n`` observations."""

    alpha: float
    theta: float
    level0: float
    level: float
    mean: float
    intercept: float
    slope: float
    n: int
    sigma2: float


def dotm_fit(y: np.ndarray) -> DOTMFit:
    """Estimate ``alpha``, ``theta`` and the initial level by least squares of the one-step
    errors (bounded L-BFGS-B from two starting points, on the series scaled by its mean
    absolute value)."""
    from scipy.optimize import minimize

    y = np.asarray(y, dtype=float)
    if len(y) <= BURN_IN + 1:
        raise ValueError(f"the dynamic optimised theta model needs more than {BURN_IN + 1} points")
    scale = float(np.mean(np.abs(y))) or 1.0
    x = y / scale
    states = trend_states(x)

    def objective(params: np.ndarray) -> float:
        level0, alpha, theta = params
        errors = one_step_errors(x, states, level0, alpha, theta)[BURN_IN - 1:]
        value = float(np.mean(np.square(errors)))
        return value if np.isfinite(value) else 1e10

    bounds = [(None, None), ALPHA_BOUNDS, THETA_BOUNDS]
    best = None
    for start in ((x[0], 0.5, 2.0), (x[0], 0.2, 1.5)):
        result = minimize(objective, np.array(start), method="L-BFGS-B", bounds=bounds)
        if best is None or result.fun < best.fun:
            best = result
    level0, alpha, theta = (float(v) for v in best.x)
    errors = one_step_errors(x, states, level0, alpha, theta)[BURN_IN - 1:]
    mean, intercept, slope = states
    level = _levels(x, alpha, level0)[-1]
    return DOTMFit(
        alpha=alpha, theta=theta, level0=level0 * scale, level=float(level) * scale,
        mean=float(mean[-1]) * scale, intercept=float(intercept[-1]) * scale,
        slope=float(slope[-1]) * scale, n=len(y),
        sigma2=float(np.mean(np.square(errors))) * scale**2,
    )


def dotm_paths(fit: DOTMFit, horizon: int, errors: np.ndarray | None = None) -> np.ndarray:
    """Run the recursion ``horizon`` steps ahead; ``errors`` (paths × horizon) are added to
    each step's mean, which then updates the states as an observation would. Without
    errors: the point forecast (one path)."""
    shocks = np.zeros((1, horizon)) if errors is None else np.asarray(errors, dtype=float)
    paths = shocks.shape[0]
    alpha = fit.alpha
    level = np.full(paths, fit.level)
    mean = np.full(paths, fit.mean)
    intercept = np.full(paths, fit.intercept)
    slope = np.full(paths, fit.slope)
    out = np.empty((paths, horizon))
    for j in range(horizon):
        i = fit.n + j  # 0-based index of the step forecast
        value = _expected(i, level, intercept, slope, alpha, fit.theta) + shocks[:, j]
        out[:, j] = value
        level = alpha * value + (1.0 - alpha) * level
        slope = _next_slope(i, slope, value, mean)
        mean = (i * mean + value) / (i + 1)
        intercept = _intercept(i, mean, slope)
    return out
