"""The algorithms the engine knows, by their stable snake_case name."""

from __future__ import annotations

import inspect
from typing import Any

from forecasting.engine.base import BaseForecaster
from forecasting.engine.baselines import (
    LinearRegressionForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
)
from forecasting.engine.neural import LSTMForecaster
from forecasting.engine.prophet_model import ProphetForecaster
from forecasting.engine.statistical import (
    ARIMAForecaster,
    DynamicThetaForecaster,
    ETSForecaster,
    SARIMAForecaster,
    ThetaForecaster,
)
from forecasting.engine.tabular import LightGBMForecaster, XGBoostForecaster

ALGORITHMS: dict[str, type[BaseForecaster]] = {
    cls.name: cls
    for cls in (
        NaiveForecaster,
        SeasonalNaiveForecaster,
        LinearRegressionForecaster,
        ARIMAForecaster,
        SARIMAForecaster,
        ETSForecaster,
        ThetaForecaster,
        DynamicThetaForecaster,
        ProphetForecaster,
        XGBoostForecaster,
        LightGBMForecaster,
        LSTMForecaster,
    )
}

#: Where the combination of several algorithms is registered (not a racing algorithm).
COMBINATION = "combination"

#: What people read for each algorithm (pages, admin, e-mails).
ALGORITHM_LABELS = {
    "naive": "Naive",
    "seasonal_naive": "Seasonal naive",
    "linear_regression": "Linear regression",
    "arima": "ARIMA",
    "sarima": "SARIMA",
    "ets": "ETS",
    "theta": "Theta",
    "dynamic_theta": "Dynamic Theta",
    "prophet": "Prophet",
    "xgboost": "XGBoost",
    "lightgbm": "LightGBM",
    "lstm": "LSTM",
    COMBINATION: "Combination",
}


def algorithm_label(name: str) -> str:
    """The display name of an algorithm ("dynamic_theta" → "Dynamic Theta")."""
    return ALGORITHM_LABELS.get(name, name.replace("_", " ").capitalize())


def get_algorithm(name: str) -> type[BaseForecaster]:
    """The class registered under ``name`` (``combination`` included)."""
    if name == COMBINATION:
        from forecasting.engine.combination import Combination

        return Combination
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise KeyError(
            f"unknown algorithm {name!r}; known: {', '.join(sorted(ALGORITHMS))}"
        ) from None


def build_forecaster(
    name: str,
    params: dict[str, Any] | None = None,
    *,
    season_length: int = 12,
    random_state: int = 0,
    clip_outliers: bool = False,
) -> BaseForecaster:
    """An unfitted forecaster; ``params`` override the common arguments, and only the
    arguments the class accepts are passed."""
    cls = get_algorithm(name)
    accepted = set(inspect.signature(cls.__init__).parameters)
    kwargs: dict[str, Any] = {"season_length": season_length, "random_state": random_state,
                              "clip_outliers": clip_outliers}
    kwargs.update(params or {})
    return cls(**{k: v for k, v in kwargs.items() if k in accepted})
