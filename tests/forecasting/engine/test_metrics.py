"""Metrics against values computed by hand."""

import math

import numpy as np
import pytest

from forecasting.engine import metrics

ACTUAL = [2.0, 4.0, 0.0, 8.0]
PRED = [1.0, 5.0, 1.0, 6.0]


def test_mae_and_rmse():
    # errors 1, 1, 1, 2
    assert metrics.mae(ACTUAL, PRED) == 1.25
    assert metrics.rmse(ACTUAL, PRED) == math.sqrt(7 / 4)


def test_mape_skips_zero_actuals():
    # |1/2| + |1/4| + |2/8| over the three non-zero actuals = 1.0 / 3
    assert metrics.mape(ACTUAL, PRED) == pytest.approx(100 / 3)


def test_mape_of_all_zero_actuals_is_undefined():
    assert math.isnan(metrics.mape([0.0, 0.0], [1.0, 2.0]))


def test_smape_terms_and_both_zero_rule():
    # 200·1/3, 200·1/9, 200·1/1, 200·2/14
    expected = (200 / 3 + 200 / 9 + 200 + 400 / 14) / 4
    assert metrics.smape(ACTUAL, PRED) == pytest.approx(expected)
    assert metrics.smape([0.0, 2.0], [0.0, 2.0]) == 0.0


def test_mase_scales_by_in_sample_seasonal_naive():
    train = [1.0, 2.0, 3.0, 5.0, 7.0, 9.0]
    # seasonal naive (m=2) errors: 2, 3, 4, 4 → scale 13/4; MAE 1.25
    assert metrics.mase(ACTUAL, PRED, train, season_length=2) == pytest.approx(1.25 / (13 / 4))


def test_mase_falls_back_to_naive_when_shorter_than_a_season():
    train = [1.0, 2.0, 4.0]
    # naive errors 1, 2 → scale 1.5
    assert metrics.mase(ACTUAL, PRED, train, season_length=12) == pytest.approx(1.25 / 1.5)


def test_r2():
    # mean 3.5; SS_tot = 2.25+0.25+12.25+20.25 = 35; SS_res = 7
    assert metrics.r2(ACTUAL, PRED) == pytest.approx(1 - 7 / 35)
    assert math.isnan(metrics.r2([1.0, 1.0], [1.0, 2.0]))


def test_lengths_must_match():
    with pytest.raises(ValueError, match="differ in length"):
        metrics.mae([1.0, 2.0], [1.0])


def test_json_number_maps_non_finite_to_none():
    assert metrics.json_number(np.float64(2.5)) == 2.5
    assert metrics.json_number(float("nan")) is None
    assert metrics.json_number(float("inf")) is None
