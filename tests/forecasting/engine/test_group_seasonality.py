"""Group seasonal indices: a noisy part of an aggregate (one expense category, one
product) borrows the aggregate's seasonal pattern.

Decided on Superstore's validation window (``benchmarks/forecasting/README.md``,
decision 8): the 20 categories and sub-categories hide their season in noise, the total
shows it clearly.
"""

import numpy as np
import pytest

from forecasting.engine.competition import run_competition
from forecasting.engine.registry import build_forecaster
from forecasting.engine.seasonality import Deseasonaliser, group_seasonal_indices, is_seasonal
from tests.forecasting.engine.conftest import retail_aggregate, retail_part

T = np.arange(36)
STATISTICAL = ["ets", "theta", "dynamic_theta", "arima"]
aggregate, noisy_part = retail_aggregate, retail_part


class TestGroupSeasonalIndices:
    def test_a_seasonal_aggregate_gives_its_multiplicative_indices(self):
        # Given a clearly seasonal aggregate
        # When its group indices are estimated
        idx = group_seasonal_indices(aggregate(), 12)
        # Then they average 1 and peak in December, lowest in February
        assert idx.shape == (12,)
        assert idx.mean() == pytest.approx(1.0)
        assert (int(np.argmax(idx)), int(np.argmin(idx))) == (11, 1)

    @pytest.mark.parametrize(
        ("group", "why"),
        [
            (np.full(36, 100.0) + np.random.default_rng(1).normal(0, 1, 36), "not seasonal"),
            (aggregate()[:23], "shorter than two seasons"),
            (np.where(T == 5, 0.0, aggregate()), "not positive"),
        ],
    )
    def test_no_indices_when_the_aggregate_cannot_lend_a_season(self, group, why):
        assert group_seasonal_indices(group, 12) is None, why

    def test_a_group_with_missing_values_is_refused(self):
        group = aggregate()
        group[3] = np.nan
        with pytest.raises(ValueError, match="the group series must hold finite numbers only"):
            group_seasonal_indices(group, 12)

    def test_the_deseasonaliser_reads_only_the_groups_periods_up_to_the_series_end(self):
        # Given a part whose own test finds no season, and its aggregate
        part, group = noisy_part(), aggregate()
        assert is_seasonal(part, 12) is False
        # When the first 30 months are adjusted with the group's indices
        adjuster = Deseasonaliser.fit(part[:30], 12, group=group)
        # Then the group's indices are those of its first 30 months: later months are not read
        assert adjuster.mode == "group"
        np.testing.assert_allclose(adjuster.indices, group_seasonal_indices(group[:30], 12))
        changed = group.copy()
        changed[30:] *= 3
        np.testing.assert_array_equal(Deseasonaliser.fit(part[:30], 12, group=changed).indices, adjuster.indices)
        # And adjusting then restoring gives the series back
        np.testing.assert_allclose(adjuster.restore(adjuster.adjust(part[:30]), 0), part[:30])

    def test_without_a_seasonal_group_the_series_own_test_decides(self):
        flat_group = np.full(36, 100.0) + np.random.default_rng(1).normal(0, 1, 36)
        assert Deseasonaliser.fit(noisy_part(), 12, group=flat_group).mode == "none"
        assert Deseasonaliser.fit(noisy_part(), 12, mode="none", group=aggregate()).mode == "none"


@pytest.mark.parametrize("algorithm", STATISTICAL)
def test_a_statistical_model_forecasts_the_groups_season_for_a_noisy_part(algorithm):
    # Given a part too noisy to show its season on its own
    part, group = noisy_part(), aggregate()
    alone = build_forecaster(algorithm).fit(part).predict(12)
    # When the same model is given the aggregate as group series
    grouped = build_forecaster(algorithm, {"group_series": tuple(group)}).fit(part).predict(12)
    # Then alone it forecasts flat, with the group it forecasts the retail year
    assert alone.mean[11] / alone.mean[1] == pytest.approx(1.0, abs=0.05)
    assert (int(np.argmax(grouped.mean)), int(np.argmin(grouped.mean))) == (11, 1)
    assert grouped.mean[11] / grouped.mean[1] == pytest.approx(1.94, abs=0.03)
    # And the intervals still hold the point forecast
    assert np.all(grouped.lo95 <= grouped.lo80) and np.all(grouped.lo80 <= grouped.mean)
    assert np.all(grouped.mean <= grouped.hi80) and np.all(grouped.hi80 <= grouped.hi95)


class TestCompetition:
    def test_the_group_series_reaches_the_models_that_accept_it(self):
        # Given a noisy part and its aggregate
        part, group = noisy_part(), aggregate()
        # When the competition runs with the group series
        result = run_competition(part, horizon=12, season_length=12, n_jobs=1, group_series=group,
                                 algorithms=[*STATISTICAL, "seasonal_naive"])
        # Then each statistical candidate was built with it and seasonal naive without
        for name in STATISTICAL:
            assert result.get(name).params["group_series"] == tuple(float(v) for v in group)
        assert "group_series" not in result.get("seasonal_naive").params
        # And the default winner, the median of the four, forecasts the retail year
        assert result.winner.name == "combination"
        forecast = result.winner.forecaster.predict(12).mean
        assert (int(np.argmax(forecast)), int(np.argmin(forecast))) == (11, 1)

    @pytest.mark.parametrize(
        ("group", "message"),
        [
            (aggregate()[:30], "the group series must cover the same 36 periods as the series; it has 30"),
            (np.where(T == 4, np.inf, aggregate()), r"the group series is not usable: the series contains missing or infinite values at positions \[4\]"),
        ],
    )
    def test_a_bad_group_series_is_refused_with_the_reason(self, group, message):
        with pytest.raises(ValueError, match=message):
            run_competition(noisy_part(), horizon=12, season_length=12, n_jobs=1, group_series=group,
                            algorithms=["ets"])
