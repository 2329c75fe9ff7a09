"""The Dynamic Optimised Theta Model: our recursion against its definition and against
statsforecast's ``DynamicOptimizedTheta`` (the benchmark peer)."""

import numpy as np
import pytest

from forecasting.engine.dynamic_theta import BURN_IN, dotm_fit, dotm_paths, trend_states
from forecasting.engine.registry import build_forecaster


def noisy_trend(n=60, seed=1):
    rng = np.random.default_rng(seed)
    return 100 + 0.5 * np.arange(n) + rng.normal(0, 3, n)


def test_trend_line_of_two_points_passes_through_both():
    # Given two observations, 2 at t=1 and 5 at t=2
    mean, intercept, slope = trend_states(np.array([2.0, 5.0]))
    # Then the running mean is 3.5 and the line is -1 + 3 t
    assert mean.tolist() == [2.0, 3.5]
    assert slope.tolist() == [0.0, 3.0]
    assert intercept.tolist() == [2.0, -1.0]


def test_trend_line_of_a_straight_line_is_the_line_at_every_step():
    # Given y = 10 + 2 t for t = 1..30
    _, intercept, slope = trend_states(10 + 2.0 * np.arange(1, 31))
    # Then from the second observation on, the recursive least-squares line is exactly it
    np.testing.assert_allclose(slope[1:], 2.0, rtol=1e-12)
    np.testing.assert_allclose(intercept[1:], 10.0, rtol=1e-12)


def test_point_forecast_matches_statsforecast_dynamic_optimized_theta():
    from statsforecast.models import DynamicOptimizedTheta

    # Given a noisy trending series without seasonality
    y = noisy_trend()
    # When both implementations forecast six steps
    ours = build_forecaster("dynamic_theta", season_length=1).fit(y).predict(6).mean
    peer = DynamicOptimizedTheta(season_length=1).forecast(y, h=6)["mean"]
    # Then they agree to a tenth of a per cent. (Both minimise a flat likelihood; the same
    # L-BFGS-B run ends 0.03 % apart on an AMD EPYC and an Intel Xeon, so a hundredth of a
    # per cent held on one machine and not on the other.)
    np.testing.assert_allclose(ours, peer, rtol=1e-3)


def test_fitted_parameters_stay_in_their_bounds_and_states_are_in_data_units():
    y = noisy_trend()
    fit = dotm_fit(y)
    assert 0.1 <= fit.alpha <= 0.99
    assert fit.theta >= 1.0
    assert fit.n == 60
    assert fit.mean == pytest.approx(float(np.mean(y)))
    assert fit.sigma2 > 0


def test_paths_without_errors_are_the_point_forecast_and_errors_move_them():
    fit = dotm_fit(noisy_trend())
    point = dotm_paths(fit, 4)
    assert point.shape == (1, 4)
    # A shock of +1 at the first step raises that step by exactly 1 and later steps by less
    shocked = dotm_paths(fit, 4, np.array([[1.0, 0.0, 0.0, 0.0]]))
    assert shocked[0, 0] - point[0, 0] == pytest.approx(1.0)
    assert 0 < shocked[0, 1] - point[0, 1] < 1.0 + 1e-9


def test_too_few_points_for_the_burn_in_are_refused():
    with pytest.raises(ValueError, match=f"needs more than {BURN_IN + 1} points"):
        dotm_fit(np.arange(BURN_IN + 1, dtype=float))


def test_intervals_are_seeded_simulations_that_widen_with_the_horizon():
    y = noisy_trend()
    first = build_forecaster("dynamic_theta", season_length=1, random_state=3).fit(y).predict(12)
    again = build_forecaster("dynamic_theta", season_length=1, random_state=3).fit(y).predict(12)
    other = build_forecaster("dynamic_theta", season_length=1, random_state=4).fit(y).predict(12)
    # The same seed gives the same intervals, another seed other intervals around the same mean
    np.testing.assert_array_equal(first.lo95, again.lo95)
    np.testing.assert_array_equal(first.mean, other.mean)
    assert not np.array_equal(first.lo95, other.lo95)
    # and uncertainty grows with the horizon
    width = first.hi95 - first.lo95
    assert width[-1] > width[0] > 0
    assert np.all(first.hi95 - first.lo95 >= first.hi80 - first.lo80)


def test_seasonal_series_is_adjusted_and_the_season_restored():
    # Given five years of a multiplicative monthly season on a trend
    t = np.arange(60)
    y = (100 + 2.0 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    model = build_forecaster("dynamic_theta", season_length=12).fit(y)
    # Then the model ran on the adjusted series and the forecast has the data's peak month
    assert model.deseasonaliser_.mode == "multiplicative"
    mean = model.predict(12).mean
    assert np.argmax(mean) == np.argmax(y[-12:])
    assert np.argmin(mean) == np.argmin(y[-12:])


def test_intervals_from_samples_are_their_quantiles_along_the_paths_axis():
    from forecasting.engine.base import Forecast

    # Given 201 sample paths of two steps: 0..200 at the first step, twice that at the second
    paths = np.column_stack([np.arange(201.0), 2 * np.arange(201.0)])
    forecast = Forecast.from_samples([100.0, 200.0], paths, axis=0)
    # Then the bands are the 2.5/10/90/97.5 % quantiles of each step's samples
    np.testing.assert_allclose(forecast.lo95, [5.0, 10.0])
    np.testing.assert_allclose(forecast.lo80, [20.0, 40.0])
    np.testing.assert_allclose(forecast.hi80, [180.0, 360.0])
    np.testing.assert_allclose(forecast.hi95, [195.0, 390.0])
    # and the same samples laid out the other way give the same forecast
    np.testing.assert_array_equal(Forecast.from_samples([100.0, 200.0], paths.T, axis=1).hi95, forecast.hi95)
