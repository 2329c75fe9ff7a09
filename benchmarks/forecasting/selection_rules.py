"""Compare selection rules offline on a stored M3 run (validation window for design work).

    .venv/bin/python benchmarks/forecasting/m3_benchmark.py --validation --no-write
    .venv/bin/python benchmarks/forecasting/selection_rules.py out/m3_validation_300.pkl

Every rule uses only what the competition had: each algorithm's backtest windows and
its refit forecast, stored per series by ``m3_benchmark.py``. Printed: validation sMAPE
and MASE of fixed combinations, of the lowest-backtest-error rule (the old default) and
of the anchor rule for several margins (the engine's default: median of the anchor — ETS,
both Thetas and ARIMA — unless a single algorithm's backtest MAE is below ``1 − margin`` of it),
and of two variants for short series: no switching on series shorter than four seasons
(48 points), and switching judged only on the backtest windows trained on at least two
seasons (24 points; none → no switch).
"""

from __future__ import annotations

import argparse
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import score

from forecasting.engine.combination import ANCHOR

SEASON = 12


def window_errors(backtest: dict, origins: list[int], forecasts: list[np.ndarray] | None = None) -> float:
    """MAE over ``origins`` (of the stored windows, or of ``forecasts`` against them)."""
    idx = [backtest["origins"].index(o) for o in origins]
    actual = np.concatenate([backtest["actuals"][i] for i in idx])
    pred = np.concatenate(forecasts if forecasts is not None else [backtest["means"][i] for i in idx])
    return float(np.mean(np.abs(actual - pred)))


def anchor_rule(run: dict, margin: float, combine_best: bool = False) -> tuple[str, np.ndarray]:
    """The winner's name and forecast under the anchor rule (``margin`` ≥ 1: never switch).
    ``combine_best`` emulates the old default instead: lowest backtest MAE among the
    algorithms and the mean/median of the best three."""
    bts = {n: b for n, b in run["backtests"].items() if n != "combination" and b["mae"] is not None}
    singles = sorted(bts, key=lambda n: (bts[n]["mae"], bts[n]["rmse"], n))
    members = singles[:3] if combine_best else [n for n in ANCHOR if n in bts]
    shared = sorted(set.intersection(*(set(bts[n]["origins"]) for n in members))) if len(members) > 1 else []
    options = {n: (bts[n]["mae"], run["forecasts"][n]) for n in singles}
    for method in (np.mean, np.median) if combine_best else (np.median,):
        if not shared:
            break
        parts = [[bts[n]["means"][bts[n]["origins"].index(o)] for o in shared] for n in members]
        combined = [method(np.vstack([p[i] for p in parts]), axis=0) for i in range(len(shared))]
        options[f"combination-{method.__name__}"] = (
            window_errors(bts[members[0]], shared, combined),
            method(np.vstack([run["forecasts"][n] for n in members]), axis=0),
        )
    if combine_best or not shared:
        best = min(options, key=lambda n: options[n][0])
        return best, options[best][1]
    anchor = options["combination-median"]
    best = singles[0]
    if options[best][0] < (1 - margin) * anchor[0]:
        return best, options[best][1]
    return "combination", anchor[1]


def evidence_rule(run: dict, margin: float, min_origin: int) -> tuple[str, np.ndarray]:
    """The anchor rule with both backtest errors taken only over the windows trained on at
    least ``min_origin`` points (the anchor's shared windows); none → the anchor."""
    bts = {n: b for n, b in run["backtests"].items() if n != "combination" and b["mae"] is not None}
    members = [n for n in ANCHOR if n in bts]
    anchor = np.median(np.vstack([run["forecasts"][n] for n in members]), axis=0)
    shared = set.intersection(*(set(bts[n]["origins"]) for n in members)) if len(members) > 1 else set()
    best = min(bts, key=lambda n: (bts[n]["mae"], bts[n]["rmse"], n))
    evidence = sorted(o for o in bts[best]["origins"] if o >= min_origin and o in shared)
    if not evidence:
        return "combination", anchor
    combined = [np.median(np.vstack([bts[n]["means"][bts[n]["origins"].index(o)] for n in members]), axis=0)
                for o in evidence]
    if window_errors(bts[best], evidence) < (1 - margin) * window_errors(bts[members[0]], evidence, combined):
        return best, run["forecasts"][best]
    return "combination", anchor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pickle", type=Path)
    args = parser.parse_args()
    data = pickle.loads(args.pickle.read_bytes())
    ours, train, actual = data["ours"], data["train"], data["actual"]

    def show(label: str, forecasts: dict[str, np.ndarray]) -> None:
        s, m, k = score(actual, train, forecasts, SEASON)
        print(f"{label:55s} sMAPE {s:6.2f}  MASE {m:.3f}  ({k} series)")

    for name, fc in data["peer"].items():
        show(f"statsforecast {name}", fc)
    for name in ANCHOR:
        show(f"ours: {name}", {r["id"]: r["forecasts"][name] for r in ours})

    def fixed(members: tuple[str, ...], method: Callable) -> dict[str, np.ndarray]:
        return {r["id"]: method(np.vstack([r["forecasts"][n] for n in members]), axis=0) for r in ours}

    show(f"fixed median of {', '.join(ANCHOR)}", fixed(ANCHOR, np.median))
    show(f"fixed mean of {', '.join(ANCHOR)}", fixed(ANCHOR, np.mean))
    show("fixed mean of ets, theta", fixed(("ets", "theta"), np.mean))
    show("lowest backtest MAE incl. top-3 mean/median (old rule)",
         {r["id"]: anchor_rule(r, 0.0, combine_best=True)[1] for r in ours})
    for margin in (0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0):
        picks = {r["id"]: anchor_rule(r, margin) for r in ours}
        switched = sum(name != "combination" for name, _ in picks.values())
        show(f"anchor rule, margin {margin} ({switched} switched)", {u: f for u, (_, f) in picks.items()})
    short = {r["id"] for r in ours if len(train[r["id"]]) < 4 * SEASON}
    picks = {r["id"]: anchor_rule(r, 1.0 if r["id"] in short else 0.5) for r in ours}
    switched = sum(name != "combination" for name, _ in picks.values())
    show(f"margin 0.5, never below 48 points ({len(short)} such series; {switched} switched)",
         {u: f for u, (_, f) in picks.items()})
    picks = {r["id"]: evidence_rule(r, 0.5, 2 * SEASON) for r in ours}
    switched = sum(name != "combination" for name, _ in picks.values())
    show(f"margin 0.5 on windows trained on >= 24 points ({switched} switched)", {u: f for u, (_, f) in picks.items()})


if __name__ == "__main__":
    main()
