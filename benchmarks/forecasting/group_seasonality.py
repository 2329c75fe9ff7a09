"""Group seasonal indices on validation data only: should a part of an aggregate (a
category, a sub-category) borrow the seasonal pattern of its aggregate, and of which one?

    .venv/bin/python benchmarks/forecasting/group_seasonality.py

Data: Superstore's 21 monthly Sales series trained on the first 24 months and scored on
months 25–36 (2017, the test window, is never read). For each of the 20 parts the anchor
median (ETS, both Thetas, ARIMA; :data:`~forecasting.engine.combination.ANCHOR`) is
fitted with each seasonal rule, and the rules are compared by sMAPE / MASE over all 21
series (the total has no aggregate: every rule leaves it alone):

- **own**: each series' own seasonality test and indices (the engine before);
- **total**: the total's indices for every part (``group_series`` = the total);
- **parent**: the parent's indices (the total for a category, the category for a
  sub-category);
- **total when own test says no**: the total's indices only for the parts whose own test
  finds no seasonality.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from common import REPO, superstore_frame
from superstore_benchmark import HORIZON, SEASON, load

from forecasting.engine.combination import ANCHOR
from forecasting.engine.metrics import mase, smape
from forecasting.engine.registry import build_forecaster
from forecasting.engine.seasonality import is_seasonal


def anchor_median(train: np.ndarray, group: np.ndarray | None) -> np.ndarray:
    params = None if group is None else {"group_series": tuple(group)}
    return np.median([build_forecaster(name, params, season_length=SEASON).fit(train).predict(HORIZON).mean
                      for name in ANCHOR], axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "superstore_orders.csv"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    full = {uid: y[:-HORIZON] for uid, y in load(args.data).items()}  # 2017 dropped
    train = {uid: y[:-HORIZON] for uid, y in full.items()}
    actual = {uid: y[-HORIZON:] for uid, y in full.items()}
    frame = superstore_frame(args.data)
    category_of = dict(frame.groupby("Sub-Category")["Category"].first())

    def parent(uid: str) -> np.ndarray:
        kind, name = uid.split(":", 1)
        return train["total"] if kind == "category" else train[f"category:{category_of[name]}"]

    rules = {
        "own (the engine before)": lambda uid: None,
        "total": lambda uid: train["total"],
        "parent": parent,
        "total when own test says no": lambda uid: None if is_seasonal(train[uid], SEASON) else train["total"],
    }
    scores = {
        label: {uid: (smape(actual[uid], f := anchor_median(y, None if uid == "total" else group_of(uid))),
                      mase(actual[uid], f, y, SEASON))
                for uid, y in train.items()}
        for label, group_of in rules.items()
    }
    before = scores["own (the engine before)"]
    print("| rule | sMAPE | MASE | parts better than own (sMAPE) |")
    print("|---|---:|---:|---:|")
    for label, by_series in scores.items():
        v = np.array(list(by_series.values()))
        better = sum(by_series[uid][0] < before[uid][0] for uid in by_series if uid != "total")
        print(f"| {label} | {v[:, 0].mean():.2f} | {v[:, 1].mean():.3f} | {better} of {len(by_series) - 1} |")

if __name__ == "__main__":
    main()
