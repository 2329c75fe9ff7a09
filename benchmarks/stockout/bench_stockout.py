"""Benchmark: the learned stockout model against the forecast-distribution probability, on
the demo books with their stock simulated, time-split with no peeking.

    .venv/bin/python benchmarks/stockout/bench_stockout.py                  # demo, seed 42
    .venv/bin/python benchmarks/stockout/bench_stockout.py --seeds 42 7 2024 --reuse
    .venv/bin/python benchmarks/stockout/bench_stockout.py --part small     # the hyper-parameters

**Demo** (``--part demo``). The demo books (:func:`finance.demo.seed.demo_data_seed`, three
years ending ``--end``) record sales as the customers' demand (no stockouts) and three years of
purchase orders and receipts that do not add up to the stock. The training pipeline of a
workspace (:func:`forecasting.inventory.stockout_learning.stockout_history_read`) reads the
last 730 days of every product × warehouse: its stock replayed from the sales and receipts
where they reconcile, otherwise simulated from the sales with the reorder policy of
:mod:`forecasting.inventory.stockout_history` (continuous review against μ₂₈·L + z·σ₂₈·√L
with a service level drawn in [0.5, 0.98] per pair, an order cycle of 7/14/28 days, order
sizes × log-normal noise σ 0.25, lead times N(L, σ_L), short deliveries at the supplier's
fill rate; demand the shelf cannot serve is lost). Samples: every third day × windows of 7,
14, 30, 60 days and the pair's lead time; label: the stock hit 0 within the window. Time
split 60/20/20 by day with an embargo (:func:`forecasting.inventory.stockout_model.stockout_backtest`):
the model learns on the first part, is calibrated on the second and judged on the last,
beside the constant base rate of the first part and the forecast-distribution probability
``P(D > on hand)``, ``D`` normal over the window from the last 90 days (what answers
without a model). Brier score, log loss, calibration error (ECE, tenths) and ROC AUC per
workspace, per window, and a reliability table by tenths of the probability, pooled.

**Small histories** (``--part small``): eight simulated histories of 4–6 products over
360–400 days, the size of a young small business; the booster's hyper-parameters were
chosen here (Brier ÷ base-rate Brier per history), not on the demo.

The script uses its own SQLite file (``var/bench/stockout.sqlite3``) and replaces the demo
data in it for each seed (``--reuse`` keeps what is there for the first seed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.django_setup import database_ready, use_database  # noqa: E402

OWN_DATABASE = use_database("stockout")

import numpy as np  # noqa: E402

from finance.demo.seed import demo_data_seed  # noqa: E402
from finance.models import Workspace  # noqa: E402
from forecasting.inventory.stockout_history import (  # noqa: E402
    REPLAYED,
    SIMULATED,
    PairHistory,
    SupplierTerms,
    samples_build,
    stock_simulate,
)
from forecasting.inventory.stockout_learning import stockout_history_read  # noqa: E402
from forecasting.inventory.stockout_model import (  # noqa: E402
    NotEnoughHistory,
    StockoutClassifier,
    brier_score,
    distribution_probability,
    probability_metrics,
    probability_reliability,
    stockout_backtest,
    stockout_model_fit,
)

DEEPER = {"n_estimators": 300, "max_depth": 4, "min_child_weight": 5, "reg_lambda": 1.0}


def _row(cells: list) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def demo_part(seeds: list[int], end: dt.date, reuse: bool) -> None:
    tests, p_model, p_dist = [], [], []
    print("\n## Demo books: learned model vs forecast distribution (test: last 20 % of the days)\n")
    print(_row(["seed", "workspace", "pairs (replayed / simulated)", "stockouts", "test rows", "stockout rate",
                "Brier model", "Brier base rate", "Brier distribution", "log loss model", "log loss distribution",
                "ECE model", "ECE distribution", "AUC model", "AUC distribution", "train s"]))
    print("|" + "---|" * 16)
    for n, seed in enumerate(seeds):
        if not (reuse and n == 0 and Workspace.objects.filter(is_demo=True).exists()):
            demo_data_seed(seed=seed, years=3, end_date=end)
        for workspace in Workspace.objects.filter(is_demo=True, products__isnull=False).distinct().order_by("slug"):
            started = time.perf_counter()
            history = stockout_history_read(workspace=workspace, today=end + dt.timedelta(days=1))
            samples = samples_build(history.histories)
            backtest = stockout_backtest(samples)
            stockout_model_fit(samples)  # what training also does: the served model
            seconds = time.perf_counter() - started
            m = backtest.metrics
            tests.append(backtest.test)
            p_model.append(backtest.probabilities)
            p_dist.append(distribution_probability(backtest.test.X))
            print(_row([seed, workspace.slug, f"{len(history.histories)} ({history.count(REPLAYED)} / "
                        f"{history.count(SIMULATED)})", history.events, m["n_test"],
                        f"{m['test_stockout_rate']:.3f}", f"**{m['brier']:.4f}**", f"{m['brier_base_rate']:.4f}",
                        f"{m['brier_forecast_distribution']:.4f}", f"{m['log_loss']:.3f}",
                        f"{m['log_loss_forecast_distribution']:.3f}", f"{m['ece']:.3f}",
                        f"{m['ece_forecast_distribution']:.3f}", f"{m['roc_auc']:.3f}",
                        f"{m['roc_auc_forecast_distribution']:.3f}", f"{seconds:.1f}"]))
    y = np.concatenate([t.y for t in tests])
    model, dist = np.concatenate(p_model), np.concatenate(p_dist)
    windows = np.concatenate([t.X["window_days"].to_numpy() for t in tests])
    _pooled(y, model, dist, windows)


def _pooled(y: np.ndarray, model: np.ndarray, dist: np.ndarray, windows: np.ndarray) -> None:
    a, b = probability_metrics(y, model), probability_metrics(y, dist)
    print(f"\nPooled: {len(y):,} test rows, stockout rate {y.mean():.3f}; Brier {a['brier']:.4f} (model) vs "
          f"{b['brier']:.4f} (forecast distribution); log loss {a['log_loss']:.3f} vs {b['log_loss']:.3f}; "
          f"ECE {a['ece']:.3f} vs {b['ece']:.3f}; AUC {a['roc_auc']:.3f} vs {b['roc_auc']:.3f}.\n")
    print("### By window (days)\n")
    print(_row(["window", "rows", "stockout rate", "Brier model", "Brier distribution"]))
    print("|---:|---:|---:|---:|---:|")
    for window in (7, 14, 30, 60):
        mask = windows == window
        print(_row([window, int(mask.sum()), f"{y[mask].mean():.3f}", f"{brier_score(y[mask], model[mask]):.4f}",
                    f"{brier_score(y[mask], dist[mask]):.4f}"]))
    mask = ~np.isin(windows, (7, 14, 30, 60))
    print(_row(["the pair's lead time (when not one of those)", int(mask.sum()), f"{y[mask].mean():.3f}",
                f"{brier_score(y[mask], model[mask]):.4f}", f"{brier_score(y[mask], dist[mask]):.4f}"]))
    print("\n### Reliability (tenths of the predicted probability, pooled)\n")
    print(_row(["predicted", "model: rows", "model: mean predicted", "model: ran out",
                "distribution: rows", "distribution: mean predicted", "distribution: ran out"]))
    print("|---|---:|---:|---:|---:|---:|---:|")
    ours = {r["from"]: r for r in probability_reliability(y, model)}
    theirs = {r["from"]: r for r in probability_reliability(y, dist)}
    for tenth in range(10):
        low = round(tenth / 10, 2)
        cells = [f"{low:.1f}–{low + 0.1:.1f}"]
        for table in (ours, theirs):
            r = table.get(low)
            cells += [r["n"], f"{r['predicted']:.3f}", f"{r['observed']:.3f}"] if r else [0, "—", "—"]
        print(_row(cells))


def _small_histories() -> dict[str, list[PairHistory]]:
    sets = {}
    for pairs, days in ((4, 360), (6, 400)):
        for seed in range(4):
            rng = np.random.default_rng(seed)
            histories = []
            for i in range(pairs):
                demand = rng.poisson((3 + 4 * i) * rng.lognormal(0, 0.4, days)).astype(float)
                terms = SupplierTerms(lead_time_mean=5.0, lead_time_std=2.0)
                stock, orders = stock_simulate(demand, terms, fill_rate=1.0, rng=np.random.default_rng([seed, i]))
                histories.append(PairHistory(key=(i, 0), demand=demand, stock=stock, orders=orders,
                                             supplier_orders=orders, terms=terms, source=SIMULATED))
            sets[f"{pairs}×{days} #{seed}"] = histories
    return sets


def small_part() -> None:
    print("\n## Small simulated histories: Brier ÷ base-rate Brier (below 1: better than the base rate)\n")
    sets = {name: samples_build(h) for name, h in _small_histories().items()}
    print(_row(["booster", *sets, "mean", "worse than base rate"]))
    print("|---|" + "---:|" * (len(sets) + 2))
    for label, params in (("chosen " + str(StockoutClassifier().get_params()), None), ("deeper " + str(DEEPER),
                                                                                        DEEPER)):
        ratios = []
        for samples in sets.values():
            try:
                m = stockout_backtest(samples, params=params).metrics
                ratios.append(m["brier"] / m["brier_base_rate"])
            except NotEnoughHistory:
                ratios.append(float("nan"))
        print(_row([label, *(f"{r:.2f}" for r in ratios), f"{np.nanmean(ratios):.3f}",
                    sum(r >= 1 for r in ratios)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("demo", "small", "both"), default="both")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2025, 6, 30))
    parser.add_argument("--reuse", action="store_true", help="keep the demo data already in the database")
    args = parser.parse_args()
    database_ready(own=OWN_DATABASE)
    if args.part in ("demo", "both"):
        demo_part(args.seeds, args.end, args.reuse)
    if args.part in ("small", "both"):
        small_part()


if __name__ == "__main__":
    main()
