"""Demand with drivers: Rossmann stores 1-40, daily sales, the last 42 days held out.

    .venv/bin/python benchmarks/inventory/rossmann_benchmark.py               # the test window
    .venv/bin/python benchmarks/inventory/rossmann_benchmark.py --validation  # design work

Data: ``../shared/data/rossmann_sample.csv`` (see its README). Five stores have no rows
from 2014-07-01 to 2014-12-31 (closed for refurbishment): those days are filled in as
closed days (sales 0, open 0, no promotion, no holiday), as the app fills a period
without sales with zero. The test window is 2015-06-20..2015-07-31 (42 days); every
method trains on the days before it. ``--validation`` drops the test window and scores
the 42 days before it instead (2015-05-09..2015-06-19): the only window on which the
engine's choices for drivers were made.

Score: RMSPE over the open days with sales > 0, ``sqrt(mean(((y − ŷ)/y)²))``, the
competition's metric. Methods, in one run:

* seasonal naive: the last training week, closed days 0 (the reference 0.352);
* plain global GBM: LightGBM on calendar, promotion, holiday and open flags, the store,
  the sales 42 and 49 days before (log target, trained on open days with sales; the
  reference 0.121);
* the engine without drivers: ``forecast_frame`` (what ``manage.py forecast_csv`` runs)
  on the sales alone, every series its own competition;
* the engine with drivers: ``forecast_frame`` with ``--covariates open,promo,
  state_holiday,school_holiday --holidays-country DE``: the horizon's rows carry the
  drivers, every driver-aware algorithm uses them and the global model across the 40
  stores enters each store's competition;
* the global model alone (the same run's candidate), and the selection with other
  driver margins (offline, from the same competitions: ``--validation`` decides it).

Algorithms: all registered but SARIMA and LSTM (SARIMA alone takes half of a daily
competition here and LSTM never came close; ``--algorithms`` to change). Each store's
competition runs in this process (``n_jobs=1``), one thread per library.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import benchmarks.forecasting.common as common  # noqa: E402
from forecasting.engine.batch import GLOBAL, forecast_frame  # noqa: E402
from forecasting.engine.competition import ANCHOR_MARGIN, DEFAULT_ALGORITHMS  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "rossmann_sample.csv"
HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
HORIZON = 42
TEST_START = pd.Timestamp("2015-06-20")
COVARIATES = ["open", "promo", "state_holiday", "school_holiday"]
ALGORITHMS = [a for a in DEFAULT_ALGORITHMS if a not in ("sarima", "lstm")]
MARGINS = (0.0, 0.1, 0.2, 0.3, ANCHOR_MARGIN)


def load(path: Path = DATA) -> pd.DataFrame:
    """Every store on every day of the data (missing days filled in as closed)."""
    frame = pd.read_csv(path, parse_dates=["date"], dtype={"state_holiday": str})
    days = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D")
    full = pd.MultiIndex.from_product([sorted(frame["store"].unique()), days], names=["store", "date"])
    frame = frame.set_index(["store", "date"]).reindex(full).reset_index()
    filled = {"sales": 0, "customers": 0, "open": 0, "promo": 0, "state_holiday": "0", "school_holiday": 0}
    return frame.fillna(filled).astype({c: int for c in ("sales", "open", "promo", "school_holiday")})


def rmspe(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Over the days with sales (the caller keeps only the open days)."""
    sold = actual > 0
    return float(np.sqrt(np.mean(((actual[sold] - forecast[sold]) / actual[sold]) ** 2)))


def seasonal_naive(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    last = train[train["date"] >= train["date"].max() - pd.Timedelta(days=6)]
    week = last.set_index(["store", last["date"].dt.dayofweek])["sales"]
    keys = zip(test["store"], test["date"].dt.dayofweek, strict=True)
    forecast = np.array([week.get(key, 0.0) for key in keys], dtype=float)
    return np.where(test["open"].to_numpy() == 1, forecast, 0.0)


def plain_gbm(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The reference global model: calendar, promo, holiday and open flags, store, lags ≥ 42."""
    from lightgbm import LGBMRegressor

    whole = pd.concat([train, test]).sort_values(["store", "date"]).reset_index(drop=True)
    d = whole["date"].dt
    features = pd.DataFrame({
        "store": whole["store"].astype("category"), "dow": d.dayofweek, "dom": d.day, "month": d.month,
        "woy": d.isocalendar().week.astype(int), "doy": d.dayofyear, "year": d.year,
        "promo": whole["promo"], "open": whole["open"], "school_holiday": whole["school_holiday"],
        "state_holiday": whole["state_holiday"].map({"0": 0, "a": 1, "b": 2, "c": 3}),
    })
    sales = np.log1p(whole["sales"].astype(float).where(whole["date"] < test["date"].min()))
    for lag in (42, 49):
        features[f"lag{lag}"] = sales.groupby(whole["store"]).shift(lag)
    fit = (whole["date"] < test["date"].min()) & (whole["open"] == 1) & (whole["sales"] > 0)
    model = LGBMRegressor(n_estimators=1000, learning_rate=0.05, num_leaves=63, n_jobs=1, verbose=-1,
                          random_state=0).fit(features[fit], np.log1p(whole.loc[fit, "sales"]))
    future = whole["date"] >= test["date"].min()
    predicted = pd.Series(np.expm1(model.predict(features[future])), index=whole.loc[future].set_index(
        ["store", "date"]).index)
    return predicted.reindex(pd.MultiIndex.from_frame(test[["store", "date"]])).to_numpy()


def long_input(train: pd.DataFrame, test: pd.DataFrame, *, drivers: bool) -> pd.DataFrame:
    """forecast_csv's input: ``unique_id, ds, y`` (+ drivers and the horizon's rows)."""
    rows = pd.concat([train, test]) if drivers else train
    frame = rows.rename(columns={"store": "unique_id", "date": "ds", "sales": "y"})
    frame["ds"] = frame["ds"].dt.strftime("%Y-%m-%d")
    frame["y"] = frame["y"].astype(str).where(frame["ds"] < test["date"].min().strftime("%Y-%m-%d"), "")
    return frame[["unique_id", "ds", "y", *(COVARIATES if drivers else [])]]


def run_engine(train: pd.DataFrame, test: pd.DataFrame, *, drivers: bool, algorithms: list[str]) -> dict:
    """The winners' forecasts, every candidate's forecast and backtest MAE, per store."""
    kept: dict[str, dict] = {}

    def keep(uid: str, result, X_future) -> None:
        anchor = next((c for c in result.candidates if c.name == "combination"), None)
        kept[uid] = {
            "winner": result.winner.name,
            "anchor_mae": anchor.metrics.get("mae") if anchor else None,
            "candidates": {c.name: (c.metrics.get("mae"), c.forecaster.predict(HORIZON, X_future).mean)
                           for c in result.candidates if c.status == "ok"},
        }

    started = time.perf_counter()
    report = forecast_frame(
        long_input(train, test, drivers=drivers), horizon=HORIZON, season_length=7, n_jobs=1,
        algorithms=[*algorithms, *([GLOBAL] if drivers else [])], progress=True, on_result=keep,
        covariates=COVARIATES if drivers else (), holidays_country="DE" if drivers else None,
    )
    if report.errors:
        raise SystemExit(f"series failed: {report.errors}")
    forecasts = report.forecasts.assign(store=lambda f: f["unique_id"].astype(int),
                                        date=lambda f: pd.to_datetime(f["ds"]))
    yhat = forecasts.set_index(["store", "date"])["yhat"]
    return {"forecast": yhat.reindex(pd.MultiIndex.from_frame(test[["store", "date"]])).to_numpy(),
            "stores": kept, "seconds": time.perf_counter() - started}


def by_rule(run: dict, test: pd.DataFrame, margin: float) -> np.ndarray:
    """The selection had driver-aware candidates needed ``margin`` to beat the anchor."""
    driven = {"xgboost", "lightgbm", "prophet", GLOBAL}
    out = pd.Series(np.nan, index=pd.MultiIndex.from_frame(test[["store", "date"]]))
    for uid, store in run["stores"].items():
        ranked = sorted(((mae, name) for name, (mae, _) in store["candidates"].items() if mae is not None))
        chosen = "combination"
        for mae, name in ranked:
            needed = margin if name in driven else ANCHOR_MARGIN
            if name != "combination" and store["anchor_mae"] is not None and mae < (1 - needed) * store["anchor_mae"]:
                chosen = name
                break
        if store["anchor_mae"] is None:
            chosen = ranked[0][1]
        days = test.loc[test["store"] == int(uid), "date"]
        out.loc[[(int(uid), d) for d in days]] = store["candidates"][chosen][1]
    return out.to_numpy()


def candidate_forecast(run: dict, test: pd.DataFrame, name: str) -> np.ndarray:
    out = pd.Series(np.nan, index=pd.MultiIndex.from_frame(test[["store", "date"]]))
    for uid, store in run["stores"].items():
        days = test.loc[test["store"] == int(uid), "date"]
        out.loc[[(int(uid), d) for d in days]] = store["candidates"][name][1]
    return out.to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validation", action="store_true", help="score the 42 days before the test window")
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--stores", type=int, default=0, help="only the first N stores (a quick look; prints only)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    data = load()
    if args.stores:
        data, args.no_write = data[data["store"] <= args.stores], True
    data = data[data["date"] < TEST_START] if args.validation else data
    start = data["date"].max() - pd.Timedelta(days=HORIZON - 1)
    train, test = data[data["date"] < start], data[data["date"] >= start]
    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    scored = test["open"].to_numpy() == 1
    actual = test["sales"].to_numpy(dtype=float)[scored]

    results: list[tuple[str, float, str]] = []

    def score(label: str, forecast: np.ndarray, note: str = "") -> None:
        results.append((label, rmspe(actual, forecast[scored]), note))
        print(f"{label}: {results[-1][1]:.4f} {note}", flush=True)

    score("seasonal naive (last week, closed days 0)", seasonal_naive(train, test))
    started = time.perf_counter()
    score("plain global GBM (calendar, promo, holiday, open, store, lags 42/49)", plain_gbm(train, test),
          f"{time.perf_counter() - started:.0f} s")
    runs = {}
    for drivers in (False, True):
        run = runs[drivers] = run_engine(train, test, drivers=drivers, algorithms=algorithms)
        winners = pd.Series([s["winner"] for s in run["stores"].values()]).value_counts()
        label = "**engine with drivers**" if drivers else "engine without drivers"
        score(f"{label} (forecast_csv, competition winner)", run["forecast"],
              f"{run['seconds'] / 60:.1f} min; winners: " + ", ".join(f"{n} {c}" for n, c in winners.items()))
    score("engine with drivers: global_lightgbm alone", candidate_forecast(runs[True], test, GLOBAL))
    for margin in MARGINS:
        score(f"engine with drivers, driver margin {margin:.0%} (offline)", by_rule(runs[True], test, margin))
    OUT.mkdir(exist_ok=True)
    name = "validation" if args.validation else "test"
    with (OUT / f"rossmann_{name}.pkl").open("wb") as fh:
        pickle.dump({"results": results, "runs": runs, "algorithms": algorithms}, fh)
    if not args.no_write:
        write(name, results, train, test, algorithms)


def write(name: str, results: list[tuple[str, float, str]], train: pd.DataFrame, test: pd.DataFrame,
          algorithms: list[str]) -> None:
    window = f"{test['date'].min().date()}..{test['date'].max().date()}"
    lines = [
        f"### {'Validation' if name == 'validation' else 'Test'} window {window} "
        f"(trained on {train['date'].min().date()}..{train['date'].max().date()})",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d}, load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores; 40 stores, {int((test['open'] == 1).sum())} open days scored; "
        f"algorithms: {', '.join(algorithms)}.",
        "",
        "| method | RMSPE | notes |",
        "|---|---:|---|",
        *(f"| {label} | {value:.4f} | {note} |" for label, value, note in results),
    ]
    common.RESULTS = HERE / "README.md"  # this folder's README, same markers
    common.write_section(f"rossmann_{name}", "\n".join(lines))


if __name__ == "__main__":
    main()
