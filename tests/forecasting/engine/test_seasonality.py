"""Seasonality detection on short series: the seasonal-dummies F-test next to the ACF test.

Decided on the validation windows (M3 cut to 36 training months, Superstore's first 24
months; ``benchmarks/forecasting/README.md``): the 90 % ACF test alone rarely fires on
three years of data, so ETS, Theta and ARIMA forecast a clearly seasonal series flat.
"""

import numpy as np
import pytest

from forecasting.engine.competition import run_competition
from forecasting.engine.registry import build_forecaster
from forecasting.engine.seasonality import (
    Deseasonaliser,
    acf_seasonal,
    dummies_seasonal,
    is_seasonal,
    seasonal_dummies_pvalue,
)

#: A retail year: low in winter, a September bump, the peak in December.
PATTERN = np.array([0.8, 0.7, 0.9, 0.95, 0.95, 1.0, 0.95, 0.9, 1.2, 1.0, 1.3, 1.45])


def short_seasonal(n: int = 36, seed: int = 0) -> np.ndarray:
    """Growing sales with the retail year and 8 % multiplicative noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (100 + 3 * t) * PATTERN[t % 12] * np.exp(rng.normal(0, 0.08, n))


def test_three_seasons_that_the_acf_test_misses_are_seasonal():
    # Given 36 months of a clearly seasonal, growing series
    y = short_seasonal(36)
    # When the tests run
    # Then the ACF test alone misses it, the seasonal-dummies F-test finds it
    assert acf_seasonal(y, 12) is False
    assert seasonal_dummies_pvalue(y, 12) < 1e-6
    assert is_seasonal(y, 12) is True


def test_two_seasons_are_enough_for_the_f_test():
    # Given only 24 months (the ACF test needs 36)
    y = short_seasonal(24)
    # Then the series is still found seasonal
    assert acf_seasonal(y, 12) is False
    assert seasonal_dummies_pvalue(y, 12) == pytest.approx(1.5e-05, abs=1e-6)
    assert is_seasonal(y, 12) is True


def test_noise_and_a_pure_trend_are_not_seasonal():
    # Given white noise around 100 and a straight line, 36 points each
    noise = 100 + np.random.default_rng(0).normal(0, 10, 36)
    line = np.arange(1.0, 37.0)
    # Then neither is seasonal
    assert seasonal_dummies_pvalue(noise, 12) == pytest.approx(0.8366, abs=1e-4)
    assert seasonal_dummies_pvalue(line, 12) == pytest.approx(0.9886, abs=1e-4)
    assert is_seasonal(noise, 12) is False
    assert is_seasonal(line, 12) is False


def test_too_short_or_non_seasonal_periods_give_p_one():
    assert seasonal_dummies_pvalue(short_seasonal(36)[:23], 12) == 1.0
    assert seasonal_dummies_pvalue(short_seasonal(36), 1) == 1.0
    assert is_seasonal(short_seasonal(36)[:23], 12) is False


def test_the_f_test_is_left_to_series_under_four_seasons():
    # Given 48 months of the seasonal series (four seasons: the ACF test's domain)
    y = short_seasonal(48)
    # Then the F-test would reject, but only the ACF test decides
    assert seasonal_dummies_pvalue(y, 12) < 0.05
    assert dummies_seasonal(y, 12) is False
    assert dummies_seasonal(y[:47], 12) is True
    assert is_seasonal(y, 12) is acf_seasonal(y, 12)


def test_deseasonaliser_on_three_seasons_is_multiplicative():
    deseasonaliser = Deseasonaliser.fit(short_seasonal(36), 12)
    assert deseasonaliser.mode == "multiplicative"
    assert int(np.argmax(deseasonaliser.indices)) == 11  # December


@pytest.mark.parametrize("algorithm", ["ets", "theta", "dynamic_theta", "arima"])
def test_statistical_models_forecast_the_season_of_a_36_point_series(algorithm):
    # Given 36 months of the seasonal series
    y = short_seasonal(36)
    # When ETS, either Theta or ARIMA is fitted with its defaults and forecasts the next year
    forecast = build_forecaster(algorithm, season_length=12).fit(y).predict(12).mean
    # Then the forecast has the season: December highest, February lowest
    assert int(np.argmax(forecast)) == 11
    assert int(np.argmin(forecast)) == 1
    assert forecast[11] / forecast[1] > 1.8


def test_the_competition_winner_on_a_36_point_seasonal_series_is_seasonal():
    # Given 36 months of the seasonal series
    y = short_seasonal(36)
    # When the statistical algorithms compete
    result = run_competition(y, horizon=12, season_length=12, n_jobs=1,
                             algorithms=["naive", "seasonal_naive", "ets", "theta", "dynamic_theta", "arima"])
    # Then the winner (the median of ETS, both Thetas and ARIMA) forecasts the season
    assert result.winner.name == "combination"
    forecast = result.winner.forecaster.predict(12).mean
    assert int(np.argmax(forecast)) == 11
    assert int(np.argmin(forecast)) == 1
