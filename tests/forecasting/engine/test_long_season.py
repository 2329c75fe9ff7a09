"""A long season (weekly data's 52 periods): SARIMA is a regression on Fourier terms with
ARIMA errors instead of a 52-lag seasonal ARIMA."""

import pickle

import numpy as np

from forecasting.engine.competition import run_competition
from forecasting.engine.seasonality import fourier_terms
from forecasting.engine.statistical import LONG_SEASON, SARIMAForecaster
from tests.forecasting.engine.conftest import monthly_series, weekly_series


def test_fourier_terms_are_sine_and_cosine_pairs_of_the_period():
    terms = fourier_terms(np.arange(104), 52, 2)
    assert terms.shape == (104, 4)
    np.testing.assert_allclose(terms[13], [1.0, 0.0, 0.0, -1.0], atol=1e-12)  # a quarter of the year
    np.testing.assert_allclose(terms[:52], terms[52:], atol=1e-9)  # one value per week of the year


def test_a_long_season_is_fourier_terms_with_arima_errors():
    # Given five years of weekly data with a yearly season
    y = weekly_series(260)
    # When SARIMA is fitted with the season of 52 weeks
    model = SARIMAForecaster(season_length=52).fit(y)
    # Then the season is a few pairs of Fourier terms, and no seasonal lag is estimated
    assert LONG_SEASON < 52
    assert 1 <= model.fourier_terms_ <= 3
    assert model.seasonal_order_ == (0, 0, 0, 0)
    # And the next year follows the season (the series without its noise, ± 2 noise sds)
    t = np.arange(260, 312)
    truth = 100 + 0.15 * t + 12 * np.sin(2 * np.pi * t / 52)
    forecast = model.predict(52)
    assert np.mean(np.abs(forecast.mean - truth)) < 4.0
    assert np.corrcoef(forecast.mean - 0.15 * t, truth - 0.15 * t)[0, 1] > 0.95
    assert np.all(forecast.lo95 < forecast.mean) and np.all(forecast.hi95 > forecast.mean)


def test_a_short_season_keeps_the_seasonal_arima():
    model = SARIMAForecaster(season_length=12).fit(monthly_series(48))
    assert model.fourier_terms_ == 0
    assert model.seasonal_order_[3] == 12


def test_a_model_stored_before_the_fourier_terms_still_forecasts():
    # Given a seasonal ARIMA pickled before the attribute existed
    model = SARIMAForecaster(season_length=12).fit(monthly_series(48))
    expected = model.predict(6).mean
    state = pickle.dumps(model)
    restored = pickle.loads(state)
    del restored.__dict__["fourier_terms_"]
    # Then it forecasts as before
    np.testing.assert_allclose(restored.predict(6).mean, expected, rtol=1e-12)


def test_a_weekly_competition_trains_sarima_on_fourier_terms():
    # Four years of weekly data: 209 points, three backtest windows on 173 to 197 of them
    result = run_competition(weekly_series(209), horizon=12, season_length=52, n_jobs=1,
                             algorithms=["seasonal_naive", "sarima"], anchor=None)
    sarima = result.get("sarima")
    assert sarima.status == "ok"
    assert sarima.forecaster.fourier_terms_ >= 1
    assert sarima.metrics["n_windows"] == 3
