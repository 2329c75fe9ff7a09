"""Outlier clipping and seasonal adjustment."""

import numpy as np

from forecasting.engine.preprocessing import clip_outliers
from forecasting.engine.seasonality import Deseasonaliser, is_seasonal


def test_a_spike_is_clipped_and_the_other_points_are_untouched():
    y = np.array([10.0, 11, 10, 12, 11, 10, 100, 11, 10, 12, 11, 10])
    out = clip_outliers(y, 1)
    changed = np.flatnonzero(out != y)
    assert changed.tolist() == [6]
    assert 10 < out[6] < 20


def test_a_series_without_outliers_is_returned_unchanged():
    y = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    np.testing.assert_array_equal(clip_outliers(y, 1), y)


def test_seasonality_test_and_multiplicative_adjustment_round_trip():
    t = np.arange(48)
    y = (100 + t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    assert is_seasonal(y, 12)
    adjuster = Deseasonaliser.fit(y, 12)
    assert adjuster.mode == "multiplicative"
    np.testing.assert_allclose(adjuster.restore(adjuster.adjust(y), 0), y)
    assert not is_seasonal(100 + t.astype(float), 12)
