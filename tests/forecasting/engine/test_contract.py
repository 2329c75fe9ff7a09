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


# --- known-future covariates (drivers) ------------------------------------------------

COVARIATE_ALGORITHMS = {"xgboost", "lightgbm", "prophet"}
#: A random promotion flag over the 48 points and the 7 of the horizon: each promotion
#: adds 40 to the series (about 30 % of the points are on promotion).
PROMO = (np.random.default_rng(11).random(48 + HORIZON) < 0.3).astype(float).reshape(-1, 1)
PROMOTED = SERIES + 40 * PROMO[:48, 0]


def test_the_tree_models_and_prophet_declare_that_they_use_covariates():
    assert {name for name, cls in ALGORITHMS.items() if cls.supports_covariates} == COVARIATE_ALGORITHMS


@pytest.mark.parametrize(("name", "season"), [p for p in NAMES if p.values[0] not in COVARIATE_ALGORITHMS])
def test_a_forecaster_without_covariate_support_ignores_them_explicitly(name, season):
    # Given drivers for every point and for the horizon
    series = SERIES_OF_SEASON[season]
    X = np.arange(len(series) + HORIZON, dtype=float).reshape(-1, 1)
    # When it is fitted and predicts with them
    model = build_forecaster(name, season_length=season, random_state=0).fit(series, X[: len(series)])
    forecast = model.predict(HORIZON, X[len(series):])
    # Then it says it used none, and its forecast is the one made without them
    assert model.n_covariates_ == 0
    np.testing.assert_allclose(forecast.mean, fitted(name, season).predict(HORIZON).mean, rtol=1e-9)
    # And covariates of the wrong length are still refused
    with pytest.raises(ValueError, match="the covariates have 3 row\\(s\\); the horizon needs 7"):
        model.predict(HORIZON, X[:3])


COVARIATE_NAMES = [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n
                   for n in sorted(COVARIATE_ALGORITHMS)]


@pytest.mark.parametrize("name", COVARIATE_NAMES)
def test_a_covariate_forecaster_learns_a_promotion_effect(name):
    # Given a series lifted by 40 on promotion days, with the promotions of the horizon known
    with_drivers = build_forecaster(name, season_length=12, random_state=0).fit(PROMOTED, PROMO[:48])
    without = build_forecaster(name, season_length=12, random_state=0).fit(PROMOTED)
    # When both forecast the horizon (whose true values follow the same rule)
    truth = monthly_series(48 + HORIZON)[48:] + 40 * PROMO[48:, 0]
    error_with = np.mean(np.abs(with_drivers.predict(HORIZON, PROMO[48:]).mean - truth))
    error_without = np.mean(np.abs(without.predict(HORIZON).mean - truth))
    # Then the model that saw the promotions is clearly closer (the trees' level target
    # cannot follow the trend, hence not closer still), and it says it used one driver
    assert with_drivers.n_covariates_ == 1
    assert error_with < 0.6 * error_without
    # And a pickled copy forecasts the same
    restored = pickle.loads(pickle.dumps(with_drivers))
    np.testing.assert_allclose(restored.predict(HORIZON, PROMO[48:]).mean,
                               with_drivers.predict(HORIZON, PROMO[48:]).mean, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(COVARIATE_ALGORITHMS - HEAVY))
def test_a_covariate_forecaster_refuses_a_horizon_without_its_drivers(name):
    model = build_forecaster(name, season_length=12).fit(PROMOTED, PROMO[:48])
    with pytest.raises(ValueError, match=f"{name} forecaster was fitted with 1 covariate\\(s\\); predict needs "
                                         "them for the horizon \\(X with 7 rows\\)"):
        model.predict(HORIZON)
    with pytest.raises(ValueError, match="fitted with 1 covariate\\(s\\); X for the horizon has 2"):
        model.predict(HORIZON, np.ones((HORIZON, 2)))


@pytest.mark.parametrize("name", sorted(COVARIATE_ALGORITHMS - HEAVY))
def test_a_covariate_forecaster_fitted_without_drivers_ignores_them_in_predict(name):
    model = build_forecaster(name, season_length=12).fit(PROMOTED)
    assert model.n_covariates_ == 0
    np.testing.assert_allclose(model.predict(HORIZON, PROMO[48:]).mean, model.predict(HORIZON).mean, rtol=1e-12)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.ones((47, 1)), "the covariates have 47 row\\(s\\); the series needs 48"),
        (np.ones((48, 1, 1)), "must be a 2-D array"),
        (np.where(np.arange(48) == 5, np.nan, 1.0), "missing or infinite values in rows \\[5\\]"),
        ([["a"]] * 48, "must be numeric"),
    ],
)
@pytest.mark.parametrize("name", ["naive", "lightgbm"])
def test_bad_covariates_are_refused_by_every_forecaster(name, X, message):
    model = build_forecaster(name)
    with pytest.raises(ValueError, match=message):
        model.fit(SERIES, X)
    assert not model.is_fitted


def test_set_params_rejects_unknown_names_and_changes_known_ones():
    model = build_forecaster("theta")
    assert model.set_params(theta=3.0).theta == 3.0
    with pytest.raises(ValueError, match="no parameter 'alpha'"):
        model.set_params(alpha=1)
