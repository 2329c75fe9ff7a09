"""One contract suite over every registered algorithm (à la scikit-learn's check_estimator)."""

import pickle

import numpy as np
import pytest

from forecasting.engine.base import BaseForecaster, Forecast, NotFittedError, SeriesTooShortError
from forecasting.engine.registry import ALGORITHMS, build_forecaster
from tests.forecasting.engine.conftest import monthly_series, weekly_series

HEAVY = {"prophet", "lstm"}
#: Algorithms with a route of their own for a long season (weekly data's 52 periods):
#: the contract runs on that route too.
LONG_SEASON = ["sarima"]
NAMES = [pytest.param(name, 12, marks=pytest.mark.slow) if name in HEAVY else pytest.param(name, 12, id=name)
         for name in ALGORITHMS] + [pytest.param(name, 52, id=f"{name}-weekly") for name in LONG_SEASON]
HORIZON = 7
SERIES = monthly_series(48)
SERIES_OF_SEASON = {12: SERIES, 52: weekly_series(260)}
_FITTED: dict[tuple[str, int], BaseForecaster] = {}


def fitted(name: str, season: int) -> BaseForecaster:
    """One fit per algorithm and season for the whole module (fitting dominates the run time)."""
    if (name, season) not in _FITTED:
        _FITTED[name, season] = build_forecaster(name, season_length=season, random_state=0).fit(
            SERIES_OF_SEASON[season])
    return _FITTED[name, season]


def test_registry_holds_exactly_the_documented_algorithms():
    assert sorted(ALGORITHMS) == sorted([
        "naive", "seasonal_naive", "linear_regression", "arima", "sarima", "ets", "theta",
        "dynamic_theta", "prophet", "xgboost", "lightgbm", "lstm",
    ])


def test_monthly_minimum_points_follow_the_architecture_table():
    assert {name: cls.min_points(12) for name, cls in ALGORITHMS.items()} == {
        "naive": 2, "seasonal_naive": 24, "linear_regression": 5, "arima": 10, "sarima": 36,
        "ets": 10, "theta": 10, "dynamic_theta": 10, "prophet": 36, "xgboost": 12, "lightgbm": 12, "lstm": 12,
    }


@pytest.mark.parametrize(("name", "season"), NAMES)
def test_init_stores_hyper_parameters_only(name, season):
    # Given a new forecaster
    model = build_forecaster(name, season_length=season)
    # Then its parameters are exactly its constructor arguments, and it is not fitted
    params = model.get_params()
    assert params["season_length"] == season
    assert params["clip_outliers"] is False
    assert not [k for k in vars(model) if k.endswith("_")]
    assert type(model)(**params).get_params() == params
    assert model.name == name


@pytest.mark.parametrize(("name", "season"), NAMES)
def test_predict_before_fit_raises_not_fitted(name, season):
    with pytest.raises(NotFittedError, match="not fitted"):
        build_forecaster(name, season_length=season).predict(3)


@pytest.mark.parametrize(("name", "season"), NAMES)
def test_fit_returns_self_and_sets_trailing_underscore_attributes(name, season):
    # Given a forecaster
    model = build_forecaster(name, season_length=season)
    # When it is fitted
    series = SERIES_OF_SEASON[season]
    returned = model.fit(series)
    # Then fit returns the forecaster itself, now fitted on every point
    assert returned is model
    assert model.is_fitted_ is True
    assert model.n_obs_ == len(series)
    assert model.aic_ is None or np.isfinite(model.aic_)
    assert model.bic_ is None or np.isfinite(model.bic_)
    _FITTED.setdefault((name, season), model)


@pytest.mark.parametrize(("name", "season"), NAMES)
def test_forecast_has_the_horizon_and_ordered_intervals(name, season):
    forecast = fitted(name, season).predict(HORIZON)
    assert isinstance(forecast, Forecast)
    for key in ("mean", "lo80", "hi80", "lo95", "hi95"):
        values = getattr(forecast, key)
        assert values.shape == (HORIZON,)
        assert np.all(np.isfinite(values))
    assert np.all(forecast.lo95 <= forecast.lo80)
    assert np.all(forecast.lo80 <= forecast.mean)
    assert np.all(forecast.mean <= forecast.hi80)
    assert np.all(forecast.hi80 <= forecast.hi95)
    assert np.all(forecast.hi95 - forecast.lo95 > 0)


@pytest.mark.parametrize(("name", "season"), NAMES)
def test_forecast_is_plausible_for_a_trending_seasonal_series(name, season):
    # The series end near 138 (monthly: rising ~0.8 a month; weekly: ~0.15 a week):
    # every algorithm stays in range.
    mean = fitted(name, season).predict(HORIZON).mean
    assert np.all((mean > 80) & (mean < 200))


@pytest.mark.parametrize(("name", "season"), NAMES)
def test_same_random_state_gives_the_same_forecast(name, season):
    first = fitted(name, season).predict(HORIZON)
    again = build_forecaster(name, season_length=season, random_state=0).fit(
        SERIES_OF_SEASON[season]).predict(HORIZON)
    np.testing.assert_allclose(again.mean, first.mean, rtol=1e-6)
    np.testing.assert_allclose(again.lo95, first.lo95, rtol=1e-6)
    np.testing.assert_allclose(again.hi95, first.hi95, rtol=1e-6)


@pytest.mark.parametrize(("name", "season"), NAMES)
def test_too_short_series_is_refused_with_a_clear_error(name, season):
    # Given a series one point shorter than the algorithm needs
    needed = ALGORITHMS[name].min_points(season)
    short = SERIES_OF_SEASON[season][: needed - 1]
    model = build_forecaster(name, season_length=season)
    # When it is fitted, then it refuses, naming the algorithm, the need and the count
    with pytest.raises(SeriesTooShortError) as excinfo:
        model.fit(short)
    assert str(excinfo.value) == (
        f"{name} needs at least {needed} data points; the series has {needed - 1}."
    )
    assert isinstance(excinfo.value, ValueError)
    # And nothing was fitted
    assert not model.is_fitted


@pytest.mark.parametrize(("name", "season"), NAMES)
def test_pickle_round_trip_gives_the_same_forecast(name, season):
    model = fitted(name, season)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict(HORIZON).mean, model.predict(HORIZON).mean, rtol=1e-9)
    np.testing.assert_allclose(restored.predict(HORIZON).hi80, model.predict(HORIZON).hi80, rtol=1e-9)


@pytest.mark.parametrize("name", ["naive", "theta", "xgboost"])
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.array([1.0, np.nan] * 30), "missing or infinite"),
        (np.ones((30, 2)), "one-dimensional"),
        (["a"] * 30, "numeric"),
    ],
)
def test_invalid_series_are_rejected(name, bad, message):
    with pytest.raises(ValueError, match=message):
        build_forecaster(name).fit(bad)


@pytest.mark.parametrize("name", ["naive", "ets", "xgboost"])
def test_clip_outliers_removes_a_spike_before_training(name):
    # Given a series with one absurd spike
    spiky = SERIES.copy()
    spiky[30] = 10_000.0
    # When fitted with clip_outliers, then the spike was clipped and the forecast is sane
    model = build_forecaster(name, season_length=12, clip_outliers=True).fit(spiky)
    assert model.n_clipped_ == 1
    assert np.all(model.predict(3).mean < 200)


def test_exogenous_regressors_are_refused():
    with pytest.raises(ValueError, match="exogenous"):
        build_forecaster("naive").fit(SERIES, X=np.ones((48, 1)))


def test_set_params_rejects_unknown_names_and_changes_known_ones():
    model = build_forecaster("theta")
    assert model.set_params(theta=3.0).theta == 3.0
    with pytest.raises(ValueError, match="no parameter 'alpha'"):
        model.set_params(alpha=1)
