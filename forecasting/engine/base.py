"""The forecaster protocol shared by every algorithm.

In the style of scikit-learn / sktime: ``__init__`` stores hyper-parameters only;
``fit(y, X=None)`` validates the series, learns, sets trailing-underscore attributes
and returns ``self``; ``predict(horizon, X=None)`` returns a :class:`Forecast` with the
point forecast and 80 % / 95 % prediction intervals.

``X`` holds known-future covariates (drivers: promotions, prices, opening days,
holidays), one row per period and one numeric column per driver: ``len(y)`` rows in
``fit``, ``horizon`` rows in ``predict``. A forecaster declares whether it uses them
(``supports_covariates``); one that does not — or one fitted without them — checks their
shape and ignores them explicitly (``n_covariates_`` is 0), so a competition can hand the
same drivers to every candidate.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

from forecasting.engine.preprocessing import clip_outliers as clip_series

Z80 = 1.2815515655446004
Z95 = 1.959963984540054


class NotFittedError(ValueError, AttributeError):
    """``predict`` was called before ``fit``."""


class SeriesTooShortError(ValueError):
    """The series has fewer points than the algorithm needs."""

    def __init__(self, algorithm: str, needed: int, given: int) -> None:
        self.algorithm = algorithm
        self.needed = needed
        self.given = given
        super().__init__(
            f"{algorithm} needs at least {needed} data points; the series has {given}."
        )


@dataclass(frozen=True)
class Forecast:
    """A point forecast with 80 % and 95 % prediction intervals (arrays of length horizon)."""

    mean: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray

    def __len__(self) -> int:
        return len(self.mean)

    @classmethod
    def from_bounds(
        cls,
        mean: Any,
        lo80: Any,
        hi80: Any,
        lo95: Any,
        hi95: Any,
    ) -> Forecast:
        """Build a forecast and enforce ``lo95 <= lo80 <= mean <= hi80 <= hi95``.

        A missing (NaN) bound collapses onto the point forecast; a non-finite point
        forecast is an error.
        """
        mean = np.asarray(mean, dtype=float).reshape(-1)
        if not np.all(np.isfinite(mean)):
            raise FloatingPointError("the point forecast contains non-finite values")

        def bound(values: Any) -> np.ndarray:
            arr = np.asarray(values, dtype=float).reshape(-1)
            return np.where(np.isfinite(arr), arr, mean)

        lo80_, hi80_ = np.minimum(bound(lo80), mean), np.maximum(bound(hi80), mean)
        lo95_, hi95_ = np.minimum(bound(lo95), lo80_), np.maximum(bound(hi95), hi80_)
        return cls(mean=mean, lo80=lo80_, hi80=hi80_, lo95=lo95_, hi95=hi95_)

    @classmethod
    def from_normal(cls, mean: Any, sigma: Any) -> Forecast:
        """Gaussian intervals ``mean ± z·sigma`` (``sigma`` per step or a scalar)."""
        mean = np.asarray(mean, dtype=float).reshape(-1)
        sigma = np.broadcast_to(np.nan_to_num(np.asarray(sigma, dtype=float), nan=0.0), mean.shape)
        sigma = np.maximum(sigma, 0.0)
        return cls.from_bounds(
            mean, mean - Z80 * sigma, mean + Z80 * sigma, mean - Z95 * sigma, mean + Z95 * sigma
        )

    @classmethod
    def from_samples(cls, mean: Any, samples: Any, *, axis: int) -> Forecast:
        """Intervals from simulated sample paths: their 2.5, 10, 90 and 97.5 % quantiles
        along ``axis`` (the axis of the paths), around the point forecast ``mean``."""
        lo95, lo80, hi80, hi95 = np.quantile(np.asarray(samples, dtype=float), [0.025, 0.10, 0.90, 0.975],
                                             axis=axis)
        return cls.from_bounds(mean, lo80, hi80, lo95, hi95)

    def map(self, func: Any) -> Forecast:
        """Apply a monotone increasing transform to every array (e.g. re-seasonalising)."""
        return Forecast.from_bounds(
            func(self.mean), func(self.lo80), func(self.hi80), func(self.lo95), func(self.hi95)
        )

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready lists of floats."""
        return {
            key: [float(v) for v in getattr(self, key)]
            for key in ("mean", "lo80", "hi80", "lo95", "hi95")
        }


def validate_series(y: Any) -> np.ndarray:
    """A 1-D float array of finite values, or ``ValueError`` saying what is wrong."""
    try:
        arr = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the series must be numeric: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"the series must be one-dimensional; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
        raise ValueError(f"the series contains missing or infinite values at positions {bad}")
    return arr.copy()


def validate_covariates(X: Any, n_rows: int, *, what: str = "the series") -> np.ndarray:
    """A 2-D float array of finite values with ``n_rows`` rows (a 1-D input is one
    column), or ``ValueError`` saying what is wrong."""
    try:
        arr = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the covariates must be numeric: {exc}") from exc
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"the covariates must be a 2-D array (rows × drivers); got shape {arr.shape}")
    if arr.shape[0] != n_rows:
        raise ValueError(f"the covariates have {arr.shape[0]} row(s); {what} needs {n_rows}")
    if not np.all(np.isfinite(arr)):
        bad = sorted({int(i) for i in np.flatnonzero(~np.all(np.isfinite(arr), axis=1))[:5]})
        raise ValueError(f"the covariates contain missing or infinite values in rows {bad}")
    return arr.copy()


class BaseForecaster:
    """Common behaviour: validation, outlier clipping, fitted checks, parameters.

    Subclasses set ``name`` and ``monthly_min_points``, accept their hyper-parameters as
    keyword arguments of ``__init__`` (stored unchanged under the same names) and
    implement ``_fit(y)`` and ``_predict(horizon) -> Forecast``.
    """

    name: ClassVar[str] = "base"
    #: Minimum number of points on a monthly series (the ARCHITECTURE table).
    monthly_min_points: ClassVar[int] = 2
    #: Whether the prediction intervals come from the model itself (else conformal).
    native_intervals: ClassVar[bool] = True
    #: Whether ``fit``/``predict`` learn from known-future covariates ``X`` (subclasses
    #: that do implement ``_fit(y, X)`` and ``_predict(horizon, X)``; ``X`` may be None).
    supports_covariates: ClassVar[bool] = False
    #: The aggregate whose seasonal pattern a model may borrow (``group_series`` of the
    #: statistical models, :func:`~forecasting.engine.seasonality.group_seasonal_indices`);
    #: a class default, so a stored model saved without the attribute still loads.
    group_series: Sequence[float] | None = None

    def __init__(self, *, season_length: int = 12, clip_outliers: bool = False) -> None:
        self.season_length = season_length
        self.clip_outliers = clip_outliers

    # --- parameters -------------------------------------------------------------------

    @classmethod
    def min_points(cls, season_length: int = 12) -> int:
        """The fewest points ``fit`` accepts for a series with this season length."""
        return cls.monthly_min_points

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Change hyper-parameters (takes effect at the next ``fit``)."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{self.name} has no parameter {key!r}; valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def clone(self) -> Self:
        """An unfitted copy with the same hyper-parameters."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # --- fit / predict -----------------------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        return bool(getattr(self, "is_fitted_", False))

    def fit(self, y: Any, X: Any = None) -> Self:
        """Validate ``y`` (and ``X``: one row per point), optionally clip outliers, learn;
        returns ``self``. A forecaster without ``supports_covariates`` ignores ``X``."""
        series = validate_series(y)
        covariates = None if X is None else validate_covariates(X, len(series))
        needed = self.min_points(self.season_length)
        if len(series) < needed:
            raise SeriesTooShortError(self.name, needed, len(series))
        self.is_fitted_ = False
        self.n_obs_ = len(series)
        self.aic_: float | None = None
        self.bic_: float | None = None
        train = clip_series(series, self.season_length) if self.clip_outliers else series
        self.n_clipped_ = int(np.sum(train != series))
        if self.supports_covariates:
            self.n_covariates_ = 0 if covariates is None else covariates.shape[1]
            self._fit(train, covariates)
        else:
            self.n_covariates_ = 0
            self._fit(train)
        self.is_fitted_ = True
        return self

    def predict(self, horizon: int, X: Any = None) -> Forecast:
        """Forecast ``horizon`` steps after the end of the training series."""
        if not self.is_fitted:
            raise NotFittedError(f"this {self.name} forecaster is not fitted yet; call fit(y) first")
        if isinstance(horizon, bool) or int(horizon) != horizon or horizon < 1:
            raise ValueError(f"horizon must be a positive integer; got {horizon!r}")
        horizon = int(horizon)
        covariates = None if X is None else validate_covariates(X, horizon, what="the horizon")
        used = getattr(self, "n_covariates_", 0)
        if used and covariates is None:
            raise ValueError(f"this {self.name} forecaster was fitted with {used} covariate(s); "
                             f"predict needs them for the horizon (X with {horizon} rows)")
        if used and covariates is not None and covariates.shape[1] != used:
            raise ValueError(f"this {self.name} forecaster was fitted with {used} covariate(s); "
                             f"X for the horizon has {covariates.shape[1]}")
        # fitted without drivers, it forecasts without them
        forecast = self._predict(horizon, covariates if used else None) if self.supports_covariates \
            else self._predict(horizon)
        return Forecast.from_bounds(
            forecast.mean, forecast.lo80, forecast.hi80, forecast.lo95, forecast.hi95
        )

    def _fit(self, y: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, horizon: int) -> Forecast:  # pragma: no cover - abstract
        raise NotImplementedError
