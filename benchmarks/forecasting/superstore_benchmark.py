"""Superstore benchmark: monthly Sales totals of a small retailer, 48 months each.

    .venv/bin/python benchmarks/forecasting/superstore_benchmark.py

Series (21): the monthly total of ``Sales`` over all orders, per ``Category`` (3) and per
``Sub-Category`` (17), 2014-01..2017-12 (a month without orders is 0). The test window is
the last 12 months (2017), horizon 12; every method trains on the 36 months before it
(2014-2016) and never sees 2017. Our competition's selection and each of our algorithms
are compared with statsforecast's AutoETS, DynamicOptimizedTheta and SeasonalNaive, in the
same process. Target: our selection is no worse than seasonal naive.

The categories and sub-categories are parts of the total, and the competition is told so
(``group_series``: the total over the same training months), as the app does for one
expense category or one product: the statistical models then borrow the total's
seasonal pattern. ``--no-group`` runs every series on its own (the engine before that).

``--validation`` drops the test window altogether: every method trains on the first 24
months (2014-2015) and is scored on the next 12 (2016), the Superstore side of the design
work. Two seasons leave little room for backtests (seasonal naive, SARIMA and Prophet have
no backtest window then, so the competition skips them), which is why the M3 short-series
validation (``m3_benchmark.py --short``: M3 cut to 36 training months, horizon 12) carries most of
the weight of the decisions about short seasonal series.
"""

from __future__ import annotations

import argparse
import pickle
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from common import (
    OUT,
    REPO,
    machine,
    result_rows,
    run_ours,
    run_peer,
    score,
    superstore_frame,
    table,
    winner_counts,
    write_section,
)

HORIZON = 12
SEASON = 12


def load(path: str) -> dict[str, np.ndarray]:
    """``total``, ``category:<name>`` and ``sub-category:<name>`` monthly Sales totals."""
    frame = superstore_frame(path)
    months = pd.period_range(frame["month"].min(), frame["month"].max(), freq="M")

    def monthly(rows: pd.DataFrame) -> np.ndarray:
        return rows.groupby("month")["Sales"].sum().reindex(months, fill_value=0.0).to_numpy(dtype=float)

    series = {"total": monthly(frame)}
    for column, prefix in (("Category", "category"), ("Sub-Category", "sub-category")):
        for name, rows in frame.groupby(column, sort=True):
            series[f"{prefix}:{name}"] = monthly(rows)
    return series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "superstore_orders.csv"))
    parser.add_argument("--jobs", type=int, default=2, help="series run in parallel")
    parser.add_argument("--validation", action="store_true",
                        help="train on the first 24 months, score the 12 after (design work)")
    parser.add_argument("--acf-only", action="store_true",
                        help="the engine before the seasonal-dummies test (for before/after; implies --no-write)")
    parser.add_argument("--no-group", action="store_true",
                        help="every series on its own, no group seasonality (implies --no-write)")
    parser.add_argument("--no-write", action="store_true", help="do not update README.md")
    args = parser.parse_args()

    full = load(args.data)
    if args.validation:  # the test window (the last 12 months) is dropped altogether
        full = {uid: y[:-HORIZON] for uid, y in full.items()}
    train = {uid: y[:-HORIZON] for uid, y in full.items()}
    actual = {uid: y[-HORIZON:] for uid, y in full.items()}
    n_train = len(next(iter(train.values())))
    tag = "validation" if args.validation else "test"

    started = time.perf_counter()
    groups = {} if args.no_group else {uid: train["total"] for uid in train if uid != "total"}
    ours = run_ours(train, HORIZON, SEASON, args.jobs, args.acf_only, groups)
    wall = time.perf_counter() - started
    peer_forecasts, peer_seconds = run_peer(train, HORIZON, SEASON)

    OUT.mkdir(exist_ok=True)
    variant = "_acf_only" if args.acf_only else "_no_group" if args.no_group else ""
    with open(OUT / f"superstore_{tag}{variant}.pkl", "wb") as fh:
        pickle.dump({"ours": ours, "peer": peer_forecasts, "train": train, "actual": actual}, fh)

    rows, s = result_rows(ours, peer_forecasts, peer_seconds, actual, train, SEASON)
    selection = {r["id"]: r["forecasts"][r["winner"]] for r in ours if r["winner"]}
    snaive = score(actual, train, peer_forecasts["SeasonalNaive"], SEASON)
    s_sel, m_sel, _ = score(actual, train, selection, SEASON)

    # The total alone: the series a small business forecasts first.
    total_rows = []
    for label, fc in [("our selection", selection["total"])] + [
        (f"statsforecast {name}", peer_forecasts[name]["total"]) for name in peer_forecasts
    ]:
        s_, m_, _ = score({"total": actual["total"]}, {"total": train["total"]}, {"total": fc}, SEASON)
        total_rows.append(f"| {label} | {s_:.2f} | {m_:.3f} |")
    winner_total = next(r["winner"] for r in ours if r["id"] == "total")

    met = s_sel <= snaive[0] and m_sel <= snaive[1]
    text = "\n".join([
        (f"### Superstore monthly Sales (validation window: months 25-36, trained on the first {n_train}),"
         f" horizon {HORIZON}" if args.validation else
         f"### Superstore monthly Sales (test window: the last {HORIZON} months), horizon {HORIZON}"),
        "",
        f"Series: {len(full)} (the total, 3 categories, 17 sub-categories; {n_train} training months each);"
        f" measured {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC on {machine()};"
        f" wall time of our competitions {wall:.0f} s with {args.jobs} series in parallel.",
        "",
        table(rows, len(full)),
        "",
        f"Our selection sMAPE {s_sel:.2f} / MASE {m_sel:.3f} vs seasonal naive {snaive[0]:.2f} /"
        f" {snaive[1]:.3f}: " + ("**target met** (no worse on both)." if met else "**target not met**."),
        "",
        f"Winners chosen by the competition: {winner_counts(ours)}.",
        "",
        f"The total alone (winner: {winner_total}):",
        "",
        "| method | sMAPE | MASE |",
        "|---|---:|---:|",
        *total_rows,
    ])
    print(text)
    if not args.no_write and not args.acf_only and not args.no_group:
        write_section("superstore-validation" if args.validation else "superstore", text)


if __name__ == "__main__":
    main()
