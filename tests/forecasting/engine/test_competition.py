"""The competition: skipped/failed candidates, the ranking rule, combination, JSON."""

import json
import multiprocessing
import pickle
import sys
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest

from forecasting.engine import parallel
from forecasting.engine.base import BaseForecaster, Forecast
from forecasting.engine.combination import Combination
from forecasting.engine.competition import backtest_score, run_competition
from forecasting.engine.parallel import default_jobs
from forecasting.engine.registry import build_forecaster
from tests.forecasting.engine.conftest import monthly_series


class AlwaysOne(BaseForecaster):
    """Forecasts 1 everywhere (errors 1, 1 against zeros)."""

    name: ClassVar[str] = "always_one"

    def _fit(self, y):
        pass

    def _predict(self, horizon):
        return Forecast.from_normal(np.ones(horizon), 1.0)


class ZeroTwo(BaseForecaster):
    """Forecasts 0, 2, 0, 2 (same MAE as AlwaysOne against zeros, larger RMSE)."""

    name: ClassVar[str] = "zero_two"

    def _fit(self, y):
        pass

    def _predict(self, horizon):
        return Forecast.from_normal(np.arange(horizon) % 2 * 2.0, 1.0)


class Broken(BaseForecaster):
    name: ClassVar[str] = "broken"

    def _fit(self, y):
        raise RuntimeError("boom")


def test_too_short_algorithms_are_skipped_with_the_reason():
    # Given 20 monthly points
    y = monthly_series(20)
    # When naive and sarima compete
    result = run_competition(y, horizon=3, season_length=12, algorithms=["naive", "sarima"], n_jobs=1)
    # Then sarima is recorded as skipped with why, and naive wins
    sarima = result.get("sarima")
    assert sarima.status == "skipped"
    assert sarima.reason == "sarima needs at least 36 points; the series has 20."
    assert sarima.forecaster is None
    assert result.winner.name == "naive"


def test_algorithm_without_room_for_a_backtest_window_is_skipped():
    # 37 points: sarima (36) could fit, but not with a 6-point test window after it
    result = run_competition(monthly_series(37), horizon=6, season_length=12,
                             algorithms=["naive", "sarima"], n_jobs=1)
    assert result.get("sarima").status == "skipped"
    assert result.get("sarima").reason == (
        "sarima needs 36 training points plus a 6-point backtest window (42 points); the series has 37."
    )


def test_failing_algorithm_is_recorded_as_failed_with_the_message():
    result = run_competition(np.zeros(20), horizon=2, season_length=1,
                             algorithms=[AlwaysOne, Broken], n_jobs=1, combine=False)
    broken = result.get("broken")
    assert broken.status == "failed"
    assert broken.reason == "fitting on the backtest window at 14: RuntimeError: boom"
    assert broken.forecaster is None
    assert result.winner.name == "always_one"
    assert [c.name for c in result.candidates] == ["always_one", "broken"]


def test_lowest_mae_wins_and_rmse_breaks_ties():
    # Given zeros: both forecasters have MAE 1; always_one has RMSE 1, zero_two sqrt(2)
    result = run_competition(np.zeros(20), horizon=2, season_length=1,
                             algorithms=[ZeroTwo, AlwaysOne], n_windows=2, n_jobs=1, combine=False)
    assert result.get("always_one").metrics["mae"] == 1.0
    assert result.get("zero_two").metrics["mae"] == 1.0
    assert result.get("zero_two").metrics["rmse"] == pytest.approx(np.sqrt(2))
    assert [c.name for c in result.ranking()] == ["always_one", "zero_two"]
    assert result.winner.name == "always_one"


def test_lower_mae_beats_lower_rmse():
    # On a season-4 pattern seasonal naive is exact (MAE 0) and beats naive
    y = np.tile([1.0, 5.0, 2.0, 8.0], 6)
    result = run_competition(y, horizon=4, season_length=4, algorithms=["naive", "seasonal_naive"],
                             n_jobs=1, combine=False)
    assert result.get("seasonal_naive").metrics["mae"] == 0.0
    assert result.winner.name == "seasonal_naive"


def test_combination_wins_when_it_backtests_better():
    # Given zeros, forecasts of +1 and -1 average to an exact 0
    class MinusOne(AlwaysOne):
        name: ClassVar[str] = "minus_one"

        def _predict(self, horizon):
            return Forecast.from_normal(-np.ones(horizon), 1.0)

    result = run_competition(np.zeros(20), horizon=2, season_length=1,
                             algorithms=[AlwaysOne, MinusOne], n_jobs=1, combine_methods=("mean",))
    combo = result.get("combination")
    assert combo.status == "ok"
    assert combo.metrics["mae"] == 0.0
    assert combo.reason == "mean of always_one, minus_one"
    assert result.winner is combo
    assert isinstance(combo.forecaster, Combination)
    np.testing.assert_array_equal(combo.forecaster.predict(3).mean, np.zeros(3))


def test_result_is_json_serialisable_with_statuses_reasons_and_timings():
    result = run_competition(monthly_series(30), horizon=3, season_length=12,
                             algorithms=["naive", "theta", "sarima"], n_jobs=1)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["winner"] == result.winner.name
    by_name = {c["name"]: c for c in data["candidates"]}
    assert by_name["sarima"]["status"] == "skipped"
    assert by_name["naive"]["status"] == "ok"
    assert set(by_name["theta"]["metrics"]) == {"mae", "rmse", "mape", "smape", "mase", "r2",
                                                "n_windows", "aic", "bic"}
    assert by_name["theta"]["metrics"]["n_windows"] == 3
    assert by_name["theta"]["fit_seconds"] >= 0


def test_backtest_dict_carries_the_dates_of_each_window():
    y = monthly_series(24)
    dates = [f"2020-{m:02d}" for m in range(1, 13)] + [f"2021-{m:02d}" for m in range(1, 13)]
    result = run_competition(y, horizon=2, season_length=12, algorithms=["naive"], n_windows=1,
                             n_jobs=1)
    window = result.get("naive").backtest_dict(dates)["windows"][0]
    assert window["origin"] == 22
    assert window["dates"] == ["2021-11", "2021-12"]
    assert window["actual"] == [float(y[22]), float(y[23])]


def test_backtest_score_matches_the_competition_and_handles_combinations():
    y = monthly_series(40)
    result = run_competition(y, horizon=4, season_length=12, algorithms=["naive", "theta", "ets"],
                             n_jobs=1, combine_methods=("median",))
    naive = result.get("naive")
    assert backtest_score(y, algorithm="naive", params=naive.params, horizon=4, season_length=12) \
        == naive.metrics["mae"]
    combo = result.get("combination")
    combo_params = json.loads(json.dumps(combo.to_dict()["params"]))
    assert backtest_score(y, algorithm="combination", params=combo_params, horizon=4,
                          season_length=12) == pytest.approx(combo.metrics["mae"])
    assert backtest_score(y[:20], algorithm="sarima", params={}, horizon=4, season_length=12) is None


def test_combination_forecaster_is_picklable_and_refits_from_its_params():
    y = monthly_series(40)
    combo = Combination(members=["naive", "theta"], method="mean", season_length=12).fit(y)
    restored = pickle.loads(pickle.dumps(combo))
    np.testing.assert_allclose(restored.predict(4).mean, combo.predict(4).mean)
    expected = (combo.forecasters_[0].predict(4).mean + combo.forecasters_[1].predict(4).mean) / 2
    np.testing.assert_allclose(combo.predict(4).mean, expected)


def test_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match="unknown algorithm 'magic'"):
        run_competition(monthly_series(30), horizon=3, season_length=12, algorithms=["magic"])


@pytest.mark.slow
def test_full_competition_in_parallel_processes_matches_sequential():
    # Given every registered algorithm on 48 monthly points
    y = monthly_series(48)
    # When run in worker processes and in this process
    parallel = run_competition(y, horizon=6, season_length=12, n_jobs=2)
    sequential = run_competition(y, horizon=6, season_length=12, n_jobs=1)
    # Then nothing failed, the ranking, the winner and every metric are identical and the
    # winner is deployable
    assert (parallel.n_jobs, sequential.n_jobs) == (2, 1)
    assert {c.name: c.status for c in parallel.candidates if c.status != "ok"} == {}
    assert [c.name for c in parallel.ranking()] == [c.name for c in sequential.ranking()]
    assert parallel.winner.name == sequential.winner.name
    assert_same_metrics(parallel, sequential)
    restored = pickle.loads(pickle.dumps(parallel.winner.forecaster))
    np.testing.assert_allclose(restored.predict(6).mean, sequential.winner.forecaster.predict(6).mean,
                               rtol=1e-6)


class Constant(BaseForecaster):
    """Forecasts ``level`` everywhere (subclasses set the level and the name)."""

    level: ClassVar[float] = 0.0

    def _fit(self, y):
        pass

    def _predict(self, horizon):
        return Forecast.from_normal(np.full(horizon, self.level), 1.0)


def constant(name, level):
    return type(name.title().replace("_", ""), (Constant,), {"name": name, "level": level})


def test_anchor_combination_is_the_default_winner():
    # Given zeros and anchor members forecasting +1 and +3 (median of two: 2, MAE 2)
    low, high = constant("low", 1.0), constant("high", 3.0)
    # And a challenger with MAE 1.5: better than the anchor, but not below half its MAE
    close = constant("close", 1.5)
    result = run_competition(np.zeros(20), horizon=2, season_length=1, n_jobs=1,
                             algorithms=[low, high, close], anchor=("low", "high"))
    # Then the anchor combination wins although low (MAE 1, exactly half) and close rank
    # better by MAE
    combo = result.get("combination")
    assert combo.metrics["mae"] == 2.0
    assert combo.reason.startswith("median of low, high (the default")
    assert result.winner is combo
    assert [c.name for c in result.ranking()][:2] == ["combination", "low"]
    np.testing.assert_array_equal(combo.forecaster.predict(2).mean, [2.0, 2.0])


def test_single_algorithm_wins_when_it_halves_the_anchor_error():
    low, high = constant("low", 1.0), constant("high", 3.0)
    exact = constant("exact", 0.9)  # MAE 0.9 < 0.5 * 2
    result = run_competition(np.zeros(20), horizon=2, season_length=1, n_jobs=1,
                             algorithms=[low, high, exact], anchor=("low", "high"))
    assert result.get("combination").status == "ok"
    assert result.winner.name == "exact"
    assert result.ranking()[0].name == "exact"


def test_without_anchor_the_lowest_backtest_error_wins():
    low, high, close = constant("low", 1.0), constant("high", 3.0), constant("close", 1.5)
    result = run_competition(np.zeros(20), horizon=2, season_length=1, n_jobs=1,
                             algorithms=[low, high, close], anchor=None, combine_methods=("median",))
    assert result.winner.name == "low"
    assert result.get("combination").reason == "median of low, close, high"


def test_default_anchor_is_the_median_of_ets_both_thetas_and_arima():
    result = run_competition(monthly_series(40), horizon=4, season_length=12, n_jobs=1,
                             algorithms=["naive", "ets", "theta", "dynamic_theta", "arima"])
    combo = result.get("combination")
    assert combo.params["members"] == ["ets", "theta", "dynamic_theta", "arima"]
    assert combo.params["method"] == "median"
    assert result.winner.name in {"combination", "naive", "ets", "theta", "dynamic_theta", "arima"}
    if result.winner is not combo:
        assert result.winner.metrics["mae"] < 0.5 * combo.metrics["mae"]


def test_models_from_worker_processes_are_unpickled_on_first_access():
    # Given a competition run in worker processes
    y = monthly_series(40)
    result = run_competition(y, horizon=4, season_length=12, algorithms=["naive", "theta"],
                             n_jobs=2, anchor=None)
    theta = result.get("theta")
    # Then the fitted model stays pickled until it is used, and then forecasts as if fitted here
    assert type(theta.fitted).__name__ == "_Pickled"
    here = build_forecaster("theta", season_length=12).fit(y)
    np.testing.assert_allclose(theta.forecaster.predict(4).mean, here.predict(4).mean)
    assert theta.forecaster is theta.forecaster
    assert theta.metrics["aic"] is None and theta.metrics["n_windows"] == 3


# --- parallel candidates -----------------------------------------------------------------


def assert_same_metrics(first, second, tolerance=1e-9):
    """The same candidates with the same statuses and every metric equal to ``tolerance``."""
    assert [(c.name, c.status) for c in first.candidates] == [(c.name, c.status) for c in second.candidates]
    for a, b in zip(first.candidates, second.candidates, strict=True):
        assert a.metrics.keys() == b.metrics.keys(), a.name
        for key, value in b.metrics.items():
            if value is None:
                assert a.metrics[key] is None, (a.name, key)
            else:
                assert a.metrics[key] == pytest.approx(value, rel=tolerance, abs=tolerance), (a.name, key)


STATISTICAL = ["naive", "seasonal_naive", "linear_regression", "arima", "ets", "theta", "dynamic_theta"]


def test_candidates_in_two_processes_give_the_sequential_results():
    # Given a fixed series
    y = monthly_series(48)
    # When the competition runs in two processes and in this one
    parallel = run_competition(y, horizon=6, season_length=12, algorithms=STATISTICAL, n_jobs=2)
    sequential = run_competition(y, horizon=6, season_length=12, algorithms=STATISTICAL, n_jobs=1)
    # Then two processes ran it, and the winner, every metric and the forecast are the same
    assert (parallel.n_jobs, sequential.n_jobs) == (2, 1)
    assert parallel.winner.name == sequential.winner.name
    assert_same_metrics(parallel, sequential)
    np.testing.assert_allclose(parallel.winner.forecaster.predict(6).mean,
                               sequential.winner.forecaster.predict(6).mean, rtol=1e-9)


def test_default_jobs_are_the_setting_or_every_core_but_one(monkeypatch):
    monkeypatch.delenv("ML_COMPETITION_JOBS", raising=False)
    monkeypatch.setattr(parallel, "available_cores", lambda: 8)
    assert default_jobs() == 7
    monkeypatch.setattr(parallel, "available_cores", lambda: 1)
    assert default_jobs() == 1
    monkeypatch.setenv("ML_COMPETITION_JOBS", "3")
    assert default_jobs() == 3


@pytest.mark.parametrize(("value", "message"), [("two", "whole number"), ("0", "at least 1")])
def test_a_wrong_jobs_setting_is_refused(monkeypatch, value, message):
    monkeypatch.setenv("ML_COMPETITION_JOBS", value)
    with pytest.raises(ValueError, match=f"ML_COMPETITION_JOBS must be .*{message}"):
        run_competition(monthly_series(30), horizon=3, season_length=12, algorithms=["naive"])


def test_on_two_cores_a_competition_runs_in_this_process_by_default(monkeypatch):
    monkeypatch.delenv("ML_COMPETITION_JOBS", raising=False)
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    result = run_competition(monthly_series(30), horizon=3, season_length=12, algorithms=["naive", "theta"])
    assert result.n_jobs == 1


def test_in_a_celery_pool_process_the_candidates_run_one_after_the_other(monkeypatch):
    # Given a Celery prefork pool process: billiard records it as daemonic
    pool = SimpleNamespace(current_process=lambda: SimpleNamespace(daemon=True))
    monkeypatch.setitem(sys.modules, "billiard.process", pool)
    # When a competition asks for two processes
    y = monthly_series(30)
    result = run_competition(y, horizon=3, season_length=12, algorithms=["naive", "theta"], n_jobs=2)
    # Then it ran here, one candidate after the other, with the results of a sequential run
    assert result.n_jobs == 1
    assert_same_metrics(result, run_competition(y, horizon=3, season_length=12, algorithms=["naive", "theta"],
                                                n_jobs=1))


def _competition_in_child(queue):
    result = run_competition(monthly_series(30), horizon=3, season_length=12, algorithms=["naive", "seasonal_naive"],
                             n_jobs=2)
    queue.put((result.n_jobs, [(c.name, c.status) for c in result.candidates]))


def test_in_a_daemonic_process_the_candidates_run_one_after_the_other():
    # Given a daemonic process (which may not start processes of its own)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_competition_in_child, args=(queue,), daemon=True)
    # When it runs a competition asking for two processes
    child.start()
    n_jobs, statuses = queue.get(timeout=120)
    child.join(timeout=60)
    # Then it ran the candidates itself, and every one of them
    assert child.exitcode == 0
    assert n_jobs == 1
    assert statuses == [("naive", "ok"), ("seasonal_naive", "ok"), ("combination", "ok")]


class LastCovariate(BaseForecaster):
    """Forecasts the horizon's first covariate: it records which rows each window got."""

    name: ClassVar[str] = "last_covariate"
    supports_covariates: ClassVar[bool] = True

    def _fit(self, y, X=None):
        self.rows_ = None if X is None else X[:, 0].copy()

    def _predict(self, horizon, X=None):
        return Forecast.from_normal(X[:, 0], 1.0)


def test_each_backtest_window_trains_on_its_rows_and_forecasts_with_the_windows_drivers():
    # Given 30 points whose single driver is the point's own index
    y = np.zeros(30)
    X = np.arange(30, dtype=float).reshape(-1, 1)
    # When a model that forecasts its driver competes over 3 windows of 4
    result = run_competition(y, horizon=4, season_length=1, algorithms=[LastCovariate], X=X,
                             n_jobs=1, combine=False)
    # Then each window forecast the indices of the periods it covered
    candidate = result.get("last_covariate")
    assert candidate.backtest.origins == [18, 22, 26]
    assert [w.forecast.mean.tolist() for w in candidate.backtest.windows] == [
        [18, 19, 20, 21], [22, 23, 24, 25], [26, 27, 28, 29]]
    # And the model refit on the whole series saw every row
    assert candidate.forecaster.rows_.tolist() == list(range(30))


def test_a_tree_model_with_the_promotions_beats_itself_without_them():
    # Given a monthly series lifted by 40 on random promotion months
    promo = (np.random.default_rng(11).random(48) < 0.3).astype(float).reshape(-1, 1)
    y = monthly_series(48) + 40 * promo[:, 0]
    # When LightGBM competes with and without the promotions as a driver
    with_drivers = run_competition(y, horizon=6, season_length=12, algorithms=["lightgbm"], X=promo,
                                   n_jobs=1, combine=False).get("lightgbm")
    without = run_competition(y, horizon=6, season_length=12, algorithms=["lightgbm"],
                              n_jobs=1, combine=False).get("lightgbm")
    # Then its backtest error is lower with them
    assert with_drivers.forecaster.n_covariates_ == 1
    assert with_drivers.metrics["mae"] < 0.7 * without.metrics["mae"]


def test_covariates_of_another_length_are_refused():
    with pytest.raises(ValueError, match="the covariates have 29 row\\(s\\); the series needs 30"):
        run_competition(np.zeros(30), horizon=4, season_length=1, algorithms=["naive"],
                        X=np.zeros((29, 1)), n_jobs=1)


class OffByThree(BaseForecaster):
    """Forecasts the actual values + 3 (a driver-aware model: they are its first covariate)."""

    name: ClassVar[str] = "off_by_three"
    supports_covariates: ClassVar[bool] = True

    def _fit(self, y, X=None):
        pass

    def _predict(self, horizon, X=None):
        return Forecast.from_normal(X[:, 0] + 3.0, 1.0)


def test_with_drivers_a_driver_aware_model_beats_the_anchor_by_the_driver_margin_only():
    # Given a noisy series whose actual values are given as the driver, on which the
    # anchor median errs by more than 3 / 0.9 but less than 6 (the half margin) on average
    y = monthly_series(48) + np.random.default_rng(1).normal(0, 4, 48)
    X = y.reshape(-1, 1)
    algorithms = ["ets", "theta", "dynamic_theta", OffByThree]
    # When the competition runs with the drivers (10 % margin) and with a margin as large as the anchor's
    with_drivers = run_competition(y, horizon=6, season_length=12, algorithms=algorithms, X=X, n_jobs=1)
    strict = run_competition(y, horizon=6, season_length=12, algorithms=algorithms, X=X, n_jobs=1,
                             driver_margin=0.5)
    anchor_mae = with_drivers.get("combination").metrics["mae"]
    # Then the driver-aware model wins only under the driver margin
    assert 3.0 / 0.9 < anchor_mae < 6.0
    assert with_drivers.winner.name == "off_by_three"
    assert strict.winner.name == "combination"
