"""A forecast combination: the mean or median of several member forecasters.

Each bound of the intervals is combined the same way as the point forecast (quantile
averaging), which keeps them ordered. The combination is an ordinary forecaster: it
fits its members from the registry, or wraps members that are already fitted
(:meth:`Combination.from_fitted`, used by the competition so the deployed combination
is exactly the one that was backtested).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np

from forecasting.engine.base import BaseForecaster, Forecast

METHODS = ("mean", "median")


def combine_forecasts(forecasts: list[Forecast], method: str) -> Forecast:
    """Combine forecasts element-wise with ``mean`` or ``median``."""
    if method not in METHODS:
        raise ValueError(f"combination method must be one of {METHODS}; got {method!r}")
    reduce = np.mean if method == "mean" else np.median
    parts = {
        key: reduce(np.vstack([getattr(f, key) for f in forecasts]), axis=0)
        for key in ("mean", "lo80", "hi80", "lo95", "hi95")
    }
    return Forecast.from_bounds(**parts)


#: The robust default combination: the competition's default winner (see
#: :mod:`forecasting.engine.competition`), chosen on the validation windows of
#: ``benchmarks/forecasting/anchor_members.py``.
ANCHOR: tuple[str, ...] = ("ets", "theta", "dynamic_theta", "arima")


class Combination(BaseForecaster):
    """Mean or median of ``members`` (registry names), each with optional parameters."""

    name: ClassVar[str] = "combination"
    #: Drivers are handed to every member (those that cannot use them ignore them).
    supports_covariates: ClassVar[bool] = True

    def __init__(
        self,
        *,
        members: list[str] | tuple[str, ...] = ANCHOR,
        method: str = "median",
        member_params: dict[str, dict[str, Any]] | None = None,
        season_length: int = 12,
        random_state: int = 0,
        clip_outliers: bool = False,
    ) -> None:
        self.members = members
        self.method = method
        self.member_params = member_params
        self.season_length = season_length
        self.random_state = random_state
        self.clip_outliers = clip_outliers

    def min_points(self, season_length: int | None = None) -> int:  # type: ignore[override]
        """The most any member needs (an instance method: it depends on the members)."""
        from forecasting.engine.registry import get_algorithm

        s = self.season_length if season_length is None else season_length
        return max(get_algorithm(name).min_points(s) for name in self.members)

    def _build_members(self) -> list[BaseForecaster]:
        from forecasting.engine.registry import build_forecaster

        params = self.member_params or {}
        return [
            build_forecaster(
                name, params.get(name), season_length=self.season_length,
                random_state=self.random_state, clip_outliers=False,
            )
            for name in self.members
        ]

    def _fit(self, y: np.ndarray, X: np.ndarray | None = None) -> None:
        if len(self.members) < 1:
            raise ValueError("a combination needs at least one member")
        if self.method not in METHODS:
            raise ValueError(f"combination method must be one of {METHODS}; got {self.method!r}")
        self.forecasters_ = [member.fit(y, X) for member in self._build_members()]

    def _predict(self, horizon: int, X: np.ndarray | None = None) -> Forecast:
        return combine_forecasts([f.predict(horizon, X) for f in self.forecasters_], self.method)

    @classmethod
    def from_fitted(
        cls, forecasters: list[BaseForecaster], *, method: str = "median", season_length: int = 12,
        random_state: int = 0,
    ) -> Self:
        """Wrap members fitted on the same series, without refitting them."""
        if not forecasters or not all(f.is_fitted for f in forecasters):
            raise ValueError("from_fitted needs at least one fitted forecaster")
        n_obs = {f.n_obs_ for f in forecasters}
        if len(n_obs) != 1:
            raise ValueError("the members were fitted on series of different lengths")
        combo = cls(
            members=[f.name for f in forecasters], method=method,
            member_params={f.name: _plain_params(f) for f in forecasters},
            season_length=season_length, random_state=random_state,
        )
        combo.forecasters_ = list(forecasters)
        combo.n_obs_ = n_obs.pop()
        combo.aic_ = None
        combo.bic_ = None
        combo.n_clipped_ = 0
        combo.n_covariates_ = max(getattr(f, "n_covariates_", 0) for f in forecasters)
        combo.is_fitted_ = True
        return combo


def _plain_params(forecaster: BaseForecaster) -> dict[str, Any]:
    skip = {"season_length", "random_state"}
    return {k: v for k, v in forecaster.get_params().items() if k not in skip}
