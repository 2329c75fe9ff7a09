"""The global gradient-boosted demand model across a panel of series (no database)."""

import pickle

import numpy as np
import pandas as pd
import pytest

from forecasting.engine.base import NotFittedError
from forecasting.engine.competition import run_competition
from forecasting.engine.panel import (
    GlobalGBMForecaster,
    PanelInputError,
    PanelSlice,
    panel_candidates,
)

HORIZON = 14
FAST = {"n_estimators": 150, "learning_rate": 0.1, "num_leaves": 15}


def demand_panel(n_series: int = 6, days: int = 210, seed: int = 3) -> pd.DataFrame:
    """Daily demand of a few shops: each its own level, a weekly pattern, closed on
    Sundays (0 sold), +60 % on random promotion days; the last ``HORIZON`` days are the
    future (their ``y`` is kept for scoring)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = []
    for i in range(n_series):
        level = 50 + 30 * i
        weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.4, 0.0])[dates.dayofweek]
        promo = (rng.random(days) < 0.25).astype(float)
        open_ = (dates.dayofweek != 6).astype(float)
        y = level * weekly * (1 + 0.6 * promo) * rng.lognormal(0, 0.05, days) * open_
        rows.append(pd.DataFrame({"unique_id": f"shop{i}", "ds": dates, "y": np.round(y),
                                  "promo": promo, "open": open_}))
    return pd.concat(rows, ignore_index=True)


def split(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    last = panel["ds"].max() - pd.Timedelta(days=HORIZON - 1)
    return panel[panel["ds"] < last], panel[panel["ds"] >= last]


def mean_abs_error(forecasts: dict, future: pd.DataFrame) -> float:
    errors = [np.abs(forecasts[uid].mean - rows["y"].to_numpy()) for uid, rows in future.groupby("unique_id")]
    return float(np.mean(np.concatenate(errors)))


def test_the_global_model_learns_the_promotion_effect_across_the_shops():
    # Given six shops whose sales rise by 60 % on promotion days, the promotions of the
    # next two weeks known
    train, future = split(demand_panel())
    # When the global model learns with and without the promotion flag
    with_promo = GlobalGBMForecaster(horizon=HORIZON, **FAST).fit(train, ["promo", "open"])
    without = GlobalGBMForecaster(horizon=HORIZON, **FAST).fit(train, ["open"])
    error_with = mean_abs_error(with_promo.predict(future.drop(columns="y")), future)
    error_without = mean_abs_error(without.predict(future.drop(columns="y")), future)
    # Then knowing the promotions more than halves its error
    assert error_with < 0.5 * error_without


def test_forecasts_are_demand_closed_days_near_zero_and_intervals_ordered():
    train, future = split(demand_panel())
    model = GlobalGBMForecaster(horizon=HORIZON, **FAST).fit(train, ["promo", "open"])
    forecasts = model.predict(future.drop(columns="y"))
    assert sorted(forecasts) == [f"shop{i}" for i in range(6)]
    shop = forecasts["shop3"]
    sundays = (future[future.unique_id == "shop3"]["ds"].dt.dayofweek == 6).to_numpy()
    assert len(shop) == HORIZON
    # (a closed Sunday: the chance of any sale, about 1 %, times the size of a sale)
    assert np.all(shop.mean[sundays] < 2.0) and np.all(shop.mean[~sundays] > 100)
    assert np.all((shop.lo95 <= shop.lo80) & (shop.lo80 <= shop.mean) & (shop.mean <= shop.hi80)
                  & (shop.hi80 <= shop.hi95))
    assert np.all(shop.lo95 >= 0)
    assert np.all(shop.hi95[~sundays] > shop.lo95[~sundays])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="promo"), "the panel is missing the column\\(s\\) promo"),
        (lambda f: f[f.unique_id == "shop0"].assign(unique_id="elsewhere"),
         "series elsewhere were not in the training panel"),
        (lambda f: f.assign(promo=np.where(np.arange(len(f)) == 3, np.nan, f["promo"])),
         "promo is missing or not a number for series shop0 at 2024-07-18"),
        (lambda f: pd.concat([f, f.iloc[[0]]]), "series shop0 has the date 2024-07-15 twice"),
    ],
)
def test_bad_future_rows_are_refused_naming_the_problem(change, message):
    train, future = split(demand_panel(n_series=2))
    model = GlobalGBMForecaster(horizon=HORIZON, **FAST).fit(train, ["promo", "open"], intervals=False)
    with pytest.raises(PanelInputError, match=message):
        model.predict(change(future.drop(columns="y")))


def test_more_future_rows_than_the_horizon_and_an_unfitted_model_are_refused():
    train, future = split(demand_panel(n_series=2))
    with pytest.raises(NotFittedError, match="not fitted"):
        GlobalGBMForecaster(horizon=HORIZON).predict(future)
    model = GlobalGBMForecaster(horizon=7, **FAST).fit(train, ["promo", "open"], intervals=False)
    with pytest.raises(PanelInputError, match="series shop0 has 14 future rows; the model forecasts 7"):
        model.predict(future.drop(columns="y"))


def test_each_series_gets_a_candidate_backtested_on_the_competitions_windows():
    # Given the panel and one shop too short for any backtest window
    panel = demand_panel(n_series=3)
    train, future = split(panel)
    tiny = train[train.unique_id == "shop2"].tail(HORIZON + 1)
    train = pd.concat([train[train.unique_id != "shop2"], tiny])
    # When the global model becomes one candidate per series
    found = panel_candidates(train, future.drop(columns="y"), ["promo", "open"], horizon=HORIZON,
                             season_length=7, params=FAST)
    # Then the long series have three windows at the competition's origins and a forecast
    shop0 = found["shop0"]
    n = int((train.unique_id == "shop0").sum())
    assert shop0.status == "ok"
    assert shop0.backtest.origins == [n - 3 * HORIZON, n - 2 * HORIZON, n - HORIZON]
    assert shop0.metrics["n_windows"] == 3
    assert len(shop0.forecaster.predict(HORIZON, np.zeros((HORIZON, 2)))) == HORIZON
    # And the short one is skipped with the reason
    assert (found["shop2"].status, found["shop2"].reason) == (
        "skipped", "global_lightgbm needs 16 points for a backtest window; the series has 15.")
    # And a competition ranks the candidate with the others, on the same windows
    y = train[train.unique_id == "shop0"]["y"].to_numpy()
    X = train[train.unique_id == "shop0"][["promo", "open"]].to_numpy()
    result = run_competition(y, horizon=HORIZON, season_length=7, algorithms=["naive", "seasonal_naive"],
                             X=X, extra=[shop0], n_jobs=1)
    assert result.get("global_lightgbm").backtest.origins == result.get("naive").backtest.origins
    assert result.winner.name == "global_lightgbm"


def test_an_extra_candidate_may_not_take_a_registered_name():
    shop = panel_candidates(*[p.drop(columns="y") if i else p for i, p in enumerate(split(demand_panel(2)))],
                            ["promo", "open"], horizon=HORIZON, season_length=7, params=FAST)["shop0"]
    shop.name = "naive"
    with pytest.raises(ValueError, match="extra candidates named like registered algorithms: \\['naive'\\]"):
        run_competition(np.ones(200), horizon=HORIZON, season_length=7, algorithms=["naive"], extra=[shop])


def test_a_series_slice_pickles_and_cannot_be_refit_alone():
    train, future = split(demand_panel(n_series=2))
    found = panel_candidates(train, future.drop(columns="y"), ["promo", "open"], horizon=HORIZON,
                             season_length=7, params=FAST)
    piece = found["shop1"].forecaster
    restored = pickle.loads(pickle.dumps(piece))
    np.testing.assert_array_equal(restored.predict(HORIZON, np.zeros((HORIZON, 2))).mean,
                                  piece.predict(HORIZON, np.zeros((HORIZON, 2))).mean)
    with pytest.raises(ValueError, match="learns from every series of a panel at once"):
        PanelSlice().fit(np.ones(30))
