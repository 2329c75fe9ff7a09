"""ETS defaults decided on the M3 validation window: damped trend, seasonality by decomposition."""

import pickle

import numpy as np

from forecasting.engine.registry import build_forecaster


def seasonal_series(n=60):
    t = np.arange(n)
    return (100 + 2.0 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))


def test_trend_is_none_or_damped_by_default():
    model = build_forecaster("ets", season_length=12).fit(100 + 3.0 * np.arange(40.0))
    assert model.damped is True
    assert model.config_["trend"] is None or model.config_["damped_trend"] is True


def test_seasonal_series_is_deseasonalised_multiplicatively_and_restored():
    y = seasonal_series()
    model = build_forecaster("ets", season_length=12).fit(y)
    assert model.config_["deseasonalized"] == "multiplicative"
    assert model.config_["seasonal"] is None
    mean = model.predict(12).mean
    # The forecast keeps the yearly shape: its peak and trough months match the data's
    assert np.argmax(mean) == np.argmax(y[-12:])
    assert np.argmin(mean) == np.argmin(y[-12:])


def test_seasonal_states_remain_available():
    model = build_forecaster("ets", {"deseasonalize": "none"}, season_length=12).fit(seasonal_series())
    assert model.config_["deseasonalized"] == "none"
    assert model.config_["seasonal"] in {"add", "mul"}


def test_model_pickled_before_deseasonalising_still_predicts():
    # Given a fitted model as older versions pickled it (no deseasonaliser, no option)
    model = build_forecaster("ets", {"deseasonalize": "none"}, season_length=12).fit(seasonal_series())
    expected = model.predict(6).mean
    state = pickle.loads(pickle.dumps(model)).__dict__
    del state["deseasonaliser_"], state["deseasonalize"]
    old = type(model).__new__(type(model))
    old.__dict__.update(state)
    # Then it forecasts as before and reports the behaviour it had
    np.testing.assert_allclose(old.predict(6).mean, expected)
    assert old.get_params()["deseasonalize"] == "none"
