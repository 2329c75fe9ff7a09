"""Classical statistical models: ARIMA, SARIMA, ETS and Theta on statsmodels, and the
Dynamic Optimised Theta model on our own recursion (:mod:`forecasting.engine.dynamic_theta`).

All five have likelihood-based, analytic or simulated prediction intervals; ARIMA, SARIMA
and ETS also report ``aic_`` / ``bic_``. ARIMA, ETS and both Thetas accept ``group_series``,
the aggregate the series is part of over the same periods: when it is seasonal its indices
replace the series' own seasonal test and adjustment
(:func:`~forecasting.engine.seasonality.group_seasonal_indices`).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from forecasting.engine.base import BaseForecaster, Forecast
from forecasting.engine.seasonality import (
    Deseasonaliser,
    dummies_seasonal,
    fourier_terms,
    seasonal_strength,
)

#: Seasonal differencing is used when the strength of seasonality exceeds this (as in
#: the forecast package's ``nsdiffs``).
SEASONAL_STRENGTH_THRESHOLD = 0.64
#: Simulated sample paths behind the dynamic Theta model's prediction intervals.
SIMULATED_PATHS = 1000
#: Seasons longer than this (52 weeks) are modelled by Fourier terms, not a seasonal ARIMA.
LONG_SEASON = 24
#: The most pairs of Fourier terms a long season is given.
MAX_FOURIER_TERMS = 10


def _reseasonalised(forecast: Forecast, deseasonaliser: Deseasonaliser | None, start: int) -> Forecast:
    """``forecast`` (mean and every bound) with the seasonal indices put back from position
    ``start`` on; unchanged without a deseasonaliser (a model pickled before it existed, or
    a classic Theta whose adjustment statsmodels made and undid)."""
    if deseasonaliser is None:
        return forecast
    return forecast.map(lambda v: deseasonaliser.restore(v, start))


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the convergence/estimation warnings statsmodels emits on small series."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def ndiffs(y: np.ndarray, *, max_d: int = 2, alpha: float = 0.05) -> int:
    """Number of first differences that make ``y`` level-stationary by the KPSS test."""
    from statsmodels.tsa.stattools import kpss

    d, x = 0, np.asarray(y, dtype=float)
    while d < max_d and len(x) >= 8 and np.ptp(x) > 0:
        with quiet():
            _, p_value, *_ = kpss(x, regression="c", nlags="auto")
        if p_value >= alpha:
            break
        x, d = np.diff(x), d + 1
    return d


def _finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _arima_fit(
    y: np.ndarray,
    order: tuple[int, int, int],
    seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0),
    trend: str = "n",
    exog: np.ndarray | None = None,
) -> Any | None:
    from statsmodels.tsa.arima.model import ARIMA

    try:
        with quiet():
            result = ARIMA(
                y, exog=exog, order=order, seasonal_order=seasonal_order, trend=trend,
                enforce_stationarity=True, enforce_invertibility=True,
            ).fit()
    except (ValueError, np.linalg.LinAlgError, IndexError):
        return None
    return result if _finite(result.aic) is not None else None


def _trend_for(total_diffs: int, drift: bool = True) -> str:
    if total_diffs == 0:
        return "c"
    if total_diffs == 1 and drift:
        return "t"
    return "n"


def _best(results: list[tuple[Any, dict]]) -> tuple[Any, dict]:
    fitted = [(r, spec) for r, spec in results if r is not None]
    if not fitted:
        raise RuntimeError("no candidate model could be estimated on this series")
    return min(fitted, key=lambda item: item[0].aic)


def _forecast_from_statespace(result: Any, horizon: int, exog: np.ndarray | None = None) -> Forecast:
    with quiet():
        pred = result.get_forecast(horizon, exog=exog)
        mean = np.asarray(pred.predicted_mean, dtype=float)
        ci80 = np.asarray(pred.conf_int(alpha=0.20), dtype=float)
        ci95 = np.asarray(pred.conf_int(alpha=0.05), dtype=float)
    return Forecast.from_bounds(mean, ci80[:, 0], ci80[:, 1], ci95[:, 0], ci95[:, 1])


class ARIMAForecaster(BaseForecaster):
    """Non-seasonal ARIMA(p, d, q); ``d`` by KPSS, ``(p, q)`` and drift by AIC.

    With ``deseasonalize="auto"`` a series found seasonal (90 % ACF test or seasonal-dummies
    F-test) is seasonally adjusted first (classical decomposition, multiplicative when positive)
    and the forecasts re-seasonalised — the seasonal ARIMA lives in :class:`SARIMAForecaster`.
    """

    name: ClassVar[str] = "arima"
    monthly_min_points: ClassVar[int] = 10

    def __init__(
        self,
        *,
        season_length: int = 12,
        max_p: int = 2,
        max_q: int = 2,
        max_d: int = 2,
        deseasonalize: str = "auto",
        group_series: Sequence[float] | None = None,
        clip_outliers: bool = False,
    ) -> None:
        self.season_length = season_length
        self.max_p = max_p
        self.max_q = max_q
        self.max_d = max_d
        self.deseasonalize = deseasonalize
        self.group_series = group_series
        self.clip_outliers = clip_outliers

    def _fit(self, y: np.ndarray) -> None:
        self.deseasonaliser_ = Deseasonaliser.fit(
            y, max(self.season_length, 1), self.deseasonalize, group=self.group_series)
        z = self.deseasonaliser_.adjust(y)
        d = ndiffs(z, max_d=self.max_d)
        trend = _trend_for(d)
        grid = [(p, q) for p in range(self.max_p + 1) for q in range(self.max_q + 1)]
        results = [(_arima_fit(z, (p, d, q), trend=trend), {"order": (p, d, q), "trend": trend})
                   for p, q in grid]
        best, spec = _best(results)
        if trend == "t":
            no_drift = _arima_fit(z, spec["order"], trend="n")
            best, spec = _best([(best, spec), (no_drift, spec | {"trend": "n"})])
        self.result_ = best
        self.order_ = tuple(spec["order"])
        self.trend_ = spec["trend"]
        self.aic_ = _finite(best.aic)
        self.bic_ = _finite(best.bic)

    def _predict(self, horizon: int) -> Forecast:
        return _reseasonalised(_forecast_from_statespace(self.result_, horizon), self.deseasonaliser_, self.n_obs_)


class SARIMAForecaster(BaseForecaster):
    """Seasonal ARIMA(p, d, q)(P, D, Q)m, or for a long season (more than
    :data:`LONG_SEASON` periods: weekly data's 52) regression on Fourier terms with ARIMA
    errors.

    Seasons up to :data:`LONG_SEASON`: ``D`` is 1 when the strength of seasonality exceeds
    0.64, ``d`` by KPSS on the seasonally differenced series; then ``(p, q)`` with a
    seasonal MA(1), the seasonal order and the drift are chosen in turn by AIC.

    Long seasons: a seasonal ARIMA with 52 lags is a state space of over 50 states, slow
    to fit (``benchmarks/forecasting/README.md``), and estimates a season from a handful
    of years poorly; forecasters use a smooth season instead — ``K`` pairs of Fourier terms as
    regressors and the rest an ARIMA (dynamic harmonic regression, Hyndman &
    Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., §12.1). ``d`` by KPSS
    on the residuals of the least-squares regression on the terms (as ``auto.arima`` does
    with regressors), ``K`` = 1, 2, … with ARIMA(1, d, 1) errors while the AIC falls (at
    most :data:`MAX_FOURIER_TERMS`), then ``(p, q)`` and the drift by AIC;
    ``fourier_terms_`` holds ``K`` and ``seasonal_order_`` has no seasonal part.
    """

    name: ClassVar[str] = "sarima"
    monthly_min_points: ClassVar[int] = 36
    #: Pairs of Fourier terms (0: a seasonal ARIMA); a class default for stored models.
    fourier_terms_: int = 0

    def __init__(self, *, season_length: int = 12, clip_outliers: bool = False) -> None:
        self.season_length = season_length
        self.clip_outliers = clip_outliers

    @classmethod
    def min_points(cls, season_length: int = 12) -> int:
        return max(10, 3 * int(season_length))

    def _fit(self, y: np.ndarray) -> None:
        m = int(self.season_length)
        if m <= 1:
            raise ValueError("sarima needs a season length of at least 2")
        if m > LONG_SEASON:
            self._fit_fourier(y, m)
            return
        big_d = 1 if seasonal_strength(y, m) > SEASONAL_STRENGTH_THRESHOLD else 0
        x = y[m:] - y[:-m] if big_d else y
        d = ndiffs(x, max_d=1 if big_d else 2)
        trend = _trend_for(d + big_d)

        def fit(pq: tuple[int, int], seasonal_pq: tuple[int, int], trend_: str) -> tuple[Any, dict]:
            spec = {"order": (pq[0], d, pq[1]),
                    "seasonal_order": (seasonal_pq[0], big_d, seasonal_pq[1], m), "trend": trend_}
            return _arima_fit(y, spec["order"], spec["seasonal_order"], trend_), spec

        best, spec = _best([fit(pq, (0, 1), trend) for pq in ((1, 1), (0, 1), (1, 0))])
        pq = (spec["order"][0], spec["order"][2])
        seasonal_options = [(1, 0)] + ([(0, 0)] if big_d == 0 else [])
        best, spec = _best([(best, spec)] + [fit(pq, spq, trend) for spq in seasonal_options])
        if trend == "t":
            spq = (spec["seasonal_order"][0], spec["seasonal_order"][2])
            best, spec = _best([(best, spec), fit(pq, spq, "n")])
        self._keep(best, spec)

    def _fit_fourier(self, y: np.ndarray, m: int) -> None:
        t = np.arange(len(y))
        most = min(MAX_FOURIER_TERMS, (m - 1) // 2)
        regressors = np.column_stack([np.ones(len(y)), fourier_terms(t, m, most)])
        residuals = y - regressors @ np.linalg.lstsq(regressors, y, rcond=None)[0]
        d = ndiffs(residuals)
        trend = _trend_for(d)

        def fit(k: int, pq: tuple[int, int], trend_: str) -> tuple[Any, dict]:
            spec = {"order": (pq[0], d, pq[1]), "seasonal_order": (0, 0, 0, 0), "trend": trend_, "k": k}
            return _arima_fit(y, spec["order"], trend=trend_, exog=fourier_terms(t, m, k)), spec

        best, spec = _best([fit(1, (1, 1), trend)])
        for k in range(2, most + 1):
            result, candidate = fit(k, (1, 1), trend)
            if result is None or result.aic >= best.aic:
                break
            best, spec = result, candidate
        k = spec["k"]
        best, spec = _best([(best, spec)] + [fit(k, pq, trend) for pq in ((0, 1), (1, 0))])
        if trend == "t":
            best, spec = _best([(best, spec), fit(k, (spec["order"][0], spec["order"][2]), "n")])
        self._keep(best, spec)

    def _keep(self, best: Any, spec: dict) -> None:
        self.result_ = best
        self.order_ = tuple(spec["order"])
        self.seasonal_order_ = tuple(spec["seasonal_order"])
        self.trend_ = spec["trend"]
        self.fourier_terms_ = int(spec.get("k", 0))
        self.aic_ = _finite(best.aic)
        self.bic_ = _finite(best.bic)

    def _predict(self, horizon: int) -> Forecast:
        exog = None
        if self.fourier_terms_:
            future = np.arange(self.n_obs_, self.n_obs_ + horizon)
            exog = fourier_terms(future, int(self.season_length), self.fourier_terms_)
        return _forecast_from_statespace(self.result_, horizon, exog)


class ETSForecaster(BaseForecaster):
    """Exponential smoothing state-space model (statsmodels ``ETSModel``).

    Additive errors; trend none or additive damped (``damped=True``, the default),
    chosen by AICc — ``damped="auto"`` also tries the undamped additive trend, which
    over-extrapolates on short business series. With
    ``deseasonalize="auto"`` (the default) a series found seasonal (90 % ACF test or
    seasonal-dummies F-test) is seasonally adjusted first by classical decomposition (multiplicative when
    positive, as the Theta method does) and the forecasts and intervals re-seasonalised;
    with ``deseasonalize="none"`` the seasonality is a state of the model instead
    (none / additive / multiplicative per ``seasonal``, chosen by AICc); the
    decomposition is the default because it is as accurate inside the default combination
    and much faster (``benchmarks/forecasting/README.md``).
    """

    name: ClassVar[str] = "ets"
    monthly_min_points: ClassVar[int] = 10
    #: The default of a stored model saved without the attribute (seasonal states).
    deseasonalize: str = "none"

    def __init__(
        self,
        *,
        season_length: int = 12,
        damped: str | bool = True,
        seasonal: str = "auto",
        deseasonalize: str = "auto",
        group_series: Sequence[float] | None = None,
        random_state: int = 0,
        clip_outliers: bool = False,
    ) -> None:
        self.season_length = season_length
        self.damped = damped
        self.seasonal = seasonal
        self.deseasonalize = deseasonalize
        self.group_series = group_series
        self.random_state = random_state
        self.clip_outliers = clip_outliers

    def _configs(self, y: np.ndarray, seasonal_states: bool) -> list[dict]:
        m = int(self.season_length)
        trends: list[tuple[str | None, bool]] = [(None, False)]
        if self.damped in ("auto", False):
            trends.append(("add", False))
        if self.damped in ("auto", True):
            trends.append(("add", True))
        seasonals: list[str | None] = [None]
        if seasonal_states and m > 1 and len(y) >= 2 * m + 2 and self.seasonal != "none":
            if self.seasonal in ("auto", "add"):
                seasonals.append("add")
            if self.seasonal in ("auto", "mul") and np.all(y > 0):
                seasonals.append("mul")
        return [{"trend": t, "damped_trend": dmp, "seasonal": s}
                for t, dmp in trends for s in seasonals]

    def _fit(self, y: np.ndarray) -> None:
        import pandas as pd
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        m = max(int(self.season_length), 1)
        mode = "none" if self.deseasonalize in ("none", None) else self.deseasonalize
        self.deseasonaliser_ = Deseasonaliser.fit(y, m, mode, group=self.group_series)
        z = self.deseasonaliser_.adjust(y)
        # A pandas series (RangeIndex): statsmodels' simulated intervals need an index.
        series = pd.Series(z)
        best, best_spec, best_score = None, None, np.inf
        for spec in self._configs(z, seasonal_states=mode == "none"):
            try:
                with quiet():
                    result = ETSModel(
                        series, error="add", trend=spec["trend"], damped_trend=spec["damped_trend"],
                        seasonal=spec["seasonal"],
                        seasonal_periods=self.season_length if spec["seasonal"] else None,
                    ).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
            score = _finite(result.aicc)
            if score is None:
                score = _finite(result.aic)
            if score is not None and score < best_score:
                best, best_spec, best_score = result, spec, score
        if best is None:
            raise RuntimeError("no exponential smoothing model could be estimated on this series")
        self.result_ = best
        self.config_ = best_spec | {"deseasonalized": self.deseasonaliser_.mode}
        self.aic_ = _finite(best.aic)
        self.bic_ = _finite(best.bic)

    def _predict(self, horizon: int) -> Forecast:
        n = self.n_obs_
        with quiet():
            pred = self.result_.get_prediction(
                start=n, end=n + horizon - 1, simulate_repetitions=500,
                rng=np.random.default_rng(int(self.random_state)),
            )
            f80 = pred.summary_frame(alpha=0.20)
            f95 = pred.summary_frame(alpha=0.05)
        forecast = Forecast.from_bounds(
            f80["mean"].to_numpy(), f80["pi_lower"].to_numpy(), f80["pi_upper"].to_numpy(),
            f95["pi_lower"].to_numpy(), f95["pi_upper"].to_numpy(),
        )
        # No deseasonaliser (seasonality modelled as states): nothing to restore.
        return _reseasonalised(forecast, getattr(self, "deseasonaliser_", None), n)


class ThetaForecaster(BaseForecaster):
    """The Theta method (statsmodels ``ThetaModel``): SES with drift on the seasonally
    adjusted series, seasonal adjustment when statsmodels' 90 % ACF test or the
    seasonal-dummies F-test (series under four seasons,
    :func:`~forecasting.engine.seasonality.is_seasonal`) finds seasonality."""

    name: ClassVar[str] = "theta"
    monthly_min_points: ClassVar[int] = 10

    def __init__(
        self,
        *,
        season_length: int = 12,
        theta: float = 2.0,
        deseasonalize: str = "auto",
        group_series: Sequence[float] | None = None,
        clip_outliers: bool = False,
    ) -> None:
        self.season_length = season_length
        self.theta = theta
        self.deseasonalize = deseasonalize
        self.group_series = group_series
        self.clip_outliers = clip_outliers

    def _fit(self, y: np.ndarray) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        m = int(self.season_length)
        # The group's seasonal indices, when given and seasonal, replace statsmodels' own.
        self.deseasonaliser_ = (Deseasonaliser.from_group(y, max(m, 1), self.group_series)
                                if self.deseasonalize == "auto" else None)
        z = y if self.deseasonaliser_ is None else self.deseasonaliser_.adjust(y)
        deseason = self.deseasonaliser_ is None and self.deseasonalize != "none" and m > 1 and len(y) >= 2 * m
        # auto: statsmodels' own ACF test, or our seasonal-dummies test (short series)
        use_test = self.deseasonalize == "auto" and not (deseason and dummies_seasonal(y, m))
        with quiet():
            self.result_ = ThetaModel(
                z, period=m if m > 1 else 1, deseasonalize=deseason, use_test=use_test,
            ).fit()
        self.alpha_ = float(self.result_.params.iloc[1])
        self.sigma2_ = self._ses_sigma2(np.asarray(self.result_.model._y, dtype=float))

    def _ses_sigma2(self, x: np.ndarray) -> float:
        """One-step residual variance of the Theta model's IMA(1,1)-with-drift form
        (SES with drift at the fitted alpha) on the (adjusted) series."""
        drift = float(self.result_.params.iloc[0])
        level, errors = x[0], []
        for value in x[1:]:
            errors.append(value - (level + drift))
            level = self.alpha_ * value + (1 - self.alpha_) * (level + drift)
        return float(np.mean(np.square(errors))) if errors else 0.0

    def _predict(self, horizon: int) -> Forecast:
        with quiet():
            mean = np.asarray(self.result_.forecast(horizon, theta=self.theta), dtype=float)
        # The variance statsmodels' ``prediction_intervals`` uses, sigma² (1 + (h−1)(1 + (α−1)²)),
        # with sigma² estimated once at fit time instead of by an extra ARIMA fit per call.
        steps = np.arange(horizon)
        sigma = np.sqrt(self.sigma2_ * (1 + steps * (1 + (self.alpha_ - 1) ** 2)))
        # No deseasonaliser: statsmodels restored the seasonality itself.
        return _reseasonalised(Forecast.from_normal(mean, sigma), getattr(self, "deseasonaliser_", None), self.n_obs_)


class DynamicThetaForecaster(BaseForecaster):
    """The Dynamic Optimised Theta Model (Fiorucci et al. 2016,
    :mod:`forecasting.engine.dynamic_theta`): the trend line is updated with every
    observation and ``alpha``, ``theta`` and the initial level are estimated, where the
    classic :class:`ThetaForecaster` fits the line once and fixes theta at 2. The series is
    seasonally adjusted first when :func:`~forecasting.engine.seasonality.is_seasonal`
    finds seasonality (classical decomposition, multiplicative when positive); intervals
    come from :data:`SIMULATED_PATHS` seeded simulations of the state-space form.
    """

    name: ClassVar[str] = "dynamic_theta"
    monthly_min_points: ClassVar[int] = 10

    def __init__(
        self,
        *,
        season_length: int = 12,
        deseasonalize: str = "auto",
        group_series: Sequence[float] | None = None,
        random_state: int = 0,
        clip_outliers: bool = False,
    ) -> None:
        self.season_length = season_length
        self.deseasonalize = deseasonalize
        self.group_series = group_series
        self.random_state = random_state
        self.clip_outliers = clip_outliers

    def _fit(self, y: np.ndarray) -> None:
        from forecasting.engine.dynamic_theta import dotm_fit

        self.deseasonaliser_ = Deseasonaliser.fit(
            y, max(int(self.season_length), 1), self.deseasonalize, group=self.group_series)
        self.dotm_ = dotm_fit(self.deseasonaliser_.adjust(y))
        self.alpha_ = self.dotm_.alpha
        self.theta_ = self.dotm_.theta

    def _predict(self, horizon: int) -> Forecast:
        from forecasting.engine.dynamic_theta import dotm_paths

        mean = dotm_paths(self.dotm_, horizon)[0]
        rng = np.random.default_rng(int(self.random_state))
        shocks = rng.normal(0.0, np.sqrt(self.dotm_.sigma2), size=(SIMULATED_PATHS, horizon))
        paths = dotm_paths(self.dotm_, horizon, shocks)
        return _reseasonalised(Forecast.from_samples(mean, paths, axis=0), self.deseasonaliser_, self.n_obs_)
