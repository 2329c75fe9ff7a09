"""Gradient-boosted trees (XGBoost, LightGBM) on lag and seasonal-position features.

Multi-step forecasts are recursive (each prediction becomes the next step's lag).
The target is either the level or the first difference of the series; that choice
and the tree size come from a small grid scored on an internal hold-out (the last
season), whose multi-step errors also give the conformal intervals. The chosen
configuration is then refit on the whole series.

Known-future covariates (``X``: promotions, prices, opening days, holidays) are features
of the period they belong to, next to its lags; the horizon's rows come with ``predict``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from forecasting.engine.base import BaseForecaster, Forecast
from forecasting.engine.intervals import conformal_forecast, normalised_scores
from forecasting.engine.windows import holdout_size, lag_matrix, n_lags_for, position_features


class TreeForecaster(BaseForecaster):
    """Shared recursive lag-feature forecaster; subclasses provide the regressor."""

    monthly_min_points: ClassVar[int] = 12
    native_intervals: ClassVar[bool] = False
    supports_covariates: ClassVar[bool] = True
    default_grid: ClassVar[list[dict[str, Any]]] = []

    def __init__(
        self,
        *,
        season_length: int = 12,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        grid: list[dict[str, Any]] | None = None,
        random_state: int = 0,
        clip_outliers: bool = False,
    ) -> None:
        self.season_length = season_length
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.grid = grid
        self.random_state = random_state
        self.clip_outliers = clip_outliers

    def _regressor(self, config: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- features ----------------------------------------------------------------------

    @staticmethod
    def _transform(y: np.ndarray, target: str) -> tuple[np.ndarray, int]:
        """The modelled sequence and the offset of its first element in ``y``."""
        return (np.diff(y), 1) if target == "diff" else (y.astype(float), 0)

    def _design(
        self, z: np.ndarray, offset: int, n_lags: int, X: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        rows, targets = lag_matrix(z, n_lags)
        index = np.arange(n_lags, len(z)) + offset
        parts = [rows, position_features(index, self.season_length)]
        if X is not None:
            parts.append(X[index])
        return np.hstack(parts), targets

    def _train(self, y: np.ndarray, X: np.ndarray | None, config: dict[str, Any], n_lags: int) -> Any:
        z, offset = self._transform(y, config["target"])
        features, targets = self._design(z, offset, n_lags, X)
        return self._regressor(config).fit(features, targets)

    def _recursive(
        self, model: Any, y: np.ndarray, config: dict[str, Any], n_lags: int, horizon: int,
        X_future: np.ndarray | None = None,
    ) -> np.ndarray:
        z, offset = self._transform(y, config["target"])
        history = list(z[-n_lags:])
        start = len(z) + offset
        out = []
        for step in range(horizon):
            lags = np.array(history[::-1][:n_lags])
            parts = [lags, position_features(np.array([start + step]), self.season_length)[0]]
            if X_future is not None:
                parts.append(X_future[step])
            value = float(model.predict(np.hstack(parts).reshape(1, -1))[0])
            out.append(value)
            history.append(value)
        path = np.array(out)
        return y[-1] + np.cumsum(path) if config["target"] == "diff" else path

    # --- protocol ----------------------------------------------------------------------

    def _fit(self, y: np.ndarray, X: np.ndarray | None = None) -> None:
        grid = self.grid or self.default_grid
        m = holdout_size(len(y), self.season_length)
        train, test = y[:-m], y[-m:]
        x_train, x_test = (None, None) if X is None else (X[:-m], X[-m:])
        n_lags = n_lags_for(len(train) - 1, self.season_length)
        scored = []
        for config in grid:
            model = self._train(train, x_train, config, n_lags)
            pred = self._recursive(model, train, config, n_lags, m, x_test)
            scored.append((float(np.mean(np.abs(test - pred))), config, test - pred))
        _, best_config, errors = min(scored, key=lambda item: item[0])
        self.config_ = dict(best_config)
        self.n_lags_ = n_lags
        self.holdout_mae_ = float(np.mean(np.abs(errors)))
        self.scores_ = normalised_scores(errors, np.arange(1, m + 1))
        self.model_ = self._train(y, X, best_config, n_lags)
        self.y_ = y.copy()

    def _predict(self, horizon: int, X: np.ndarray | None = None) -> Forecast:
        mean = self._recursive(self.model_, self.y_, self.config_, self.n_lags_, horizon, X)
        return conformal_forecast(mean, self.scores_)


class XGBoostForecaster(TreeForecaster):
    """XGBoost regressor on lags + seasonal position, recursive multi-step."""

    name: ClassVar[str] = "xgboost"
    default_grid: ClassVar[list[dict[str, Any]]] = [
        {"target": target, "max_depth": depth} for target in ("level", "diff") for depth in (2, 4)
    ]

    def _regressor(self, config: dict[str, Any]) -> Any:
        from xgboost import XGBRegressor

        return XGBRegressor(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            max_depth=config.get("max_depth", 3), random_state=self.random_state,
            n_jobs=1, verbosity=0, tree_method="exact",
        )


class LightGBMForecaster(TreeForecaster):
    """LightGBM regressor on lags + seasonal position, recursive multi-step."""

    name: ClassVar[str] = "lightgbm"
    default_grid: ClassVar[list[dict[str, Any]]] = [
        {"target": target, "num_leaves": leaves} for target in ("level", "diff") for leaves in (4, 15)
    ]

    def _regressor(self, config: dict[str, Any]) -> Any:
        from lightgbm import LGBMRegressor

        return LGBMRegressor(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            num_leaves=config.get("num_leaves", 8), min_child_samples=3, min_data_in_bin=1,
            random_state=self.random_state, n_jobs=1, verbose=-1, deterministic=True,
            force_row_wise=True,
        )
