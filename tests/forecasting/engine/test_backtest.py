"""Rolling-origin backtest windows."""

import numpy as np
import pytest

from forecasting.engine.backtest import backtest, window_origins
from forecasting.engine.baselines import NaiveForecaster, SeasonalNaiveForecaster


def test_origins_step_back_by_the_horizon_oldest_first():
    assert window_origins(48, 6, n_windows=3) == [30, 36, 42]


def test_origins_with_a_smaller_step():
    assert window_origins(48, 6, n_windows=4, step=2) == [36, 38, 40, 42]


def test_origins_without_enough_training_data_are_dropped():
    assert window_origins(30, 6, n_windows=3, min_train=15) == [18, 24]
    assert window_origins(10, 6, n_windows=3, min_train=15) == []


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError, match="positive"):
        window_origins(48, 0)
    with pytest.raises(ValueError, match="step"):
        window_origins(48, 6, step=0)


def test_backtest_returns_forecasts_actuals_residuals_and_metrics():
    # Given y = 0, 1, 2, ..., 19 and a naive forecaster, horizon 2, two windows
    y = np.arange(20, dtype=float)
    result = backtest(NaiveForecaster(season_length=1), y, horizon=2, n_windows=2)
    # Then windows start at 16 and 18; naive repeats the last value
    assert result.origins == [16, 18]
    np.testing.assert_array_equal(result.forecasts[0], [15.0, 15.0])
    np.testing.assert_array_equal(result.actuals[0], [16.0, 17.0])
    np.testing.assert_array_equal(result.residuals[1], [1.0, 2.0])
    # errors 1, 2, 1, 2 → MAE 1.5, RMSE sqrt(2.5); the naive scale is 1 → MASE 1.5
    assert result.metrics["mae"] == 1.5
    assert result.metrics["rmse"] == pytest.approx(np.sqrt(2.5))
    assert result.metrics["mase"] == 1.5
    assert result.metrics["n_windows"] == 2


def test_backtest_uses_only_windows_the_algorithm_can_fit():
    # seasonal naive (m=4) needs 8 points: of origins 4, 8, 12 the last two qualify
    y = np.tile([1.0, 2.0, 3.0, 4.0], 4)
    result = backtest(SeasonalNaiveForecaster(season_length=4), y, horizon=4, n_windows=3)
    assert result.origins == [8, 12]
    assert result.metrics["mae"] == 0.0
