"""M3 monthly benchmark: our competition's selection vs each of our algorithms vs
statsforecast (AutoETS, DynamicOptimizedTheta, SeasonalNaive), horizon 18, the last 18
points of every series as the test window (never seen by the competition).

    .venv/bin/python benchmarks/forecasting/m3_benchmark.py               # seeded sample
    .venv/bin/python benchmarks/forecasting/m3_benchmark.py --sample 0    # all 1,428

``--validation`` drops the test window altogether and scores the 18 points before it
(used to make design decisions without looking at the test window).

``--short`` is the short-series validation (design work for series of three years, like
a small business's or Superstore's): the test window is dropped, the 12 points before it
are the actuals (horizon 12) and only the 36 points before those are the training series.
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
    table,
    winner_counts,
    write_section,
)

HORIZON = 18
SEASON = 12
PUBLISHED_THETA = 13.85
SHORT_TRAIN, SHORT_HORIZON = 36, 12


def load(path: str, sample: int, seed: int) -> dict[str, np.ndarray]:
    frame = pd.read_csv(path)
    frame = frame.sort_values(["unique_id", "ds"])
    series = {uid: g["y"].to_numpy(dtype=float) for uid, g in frame.groupby("unique_id", sort=True)}
    if sample and sample < len(series):
        rng = np.random.default_rng(seed)
        keep = sorted(rng.choice(sorted(series), size=sample, replace=False))
        series = {uid: series[uid] for uid in keep}
    return series


def short_split(full: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The short-series validation cut (``--short``): the test window dropped, the
    ``SHORT_HORIZON`` points before it as actuals, the ``SHORT_TRAIN`` before those to train."""
    end = HORIZON + SHORT_HORIZON
    return ({uid: y[-end - SHORT_TRAIN : -end] for uid, y in full.items()},
            {uid: y[-end:-HORIZON] for uid, y in full.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "m3_monthly.csv"))
    parser.add_argument("--sample", type=int, default=300, help="series to sample (0 = all 1,428)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="series run in parallel")
    parser.add_argument("--validation", action="store_true",
                        help="score the 18 points before the test window instead (design work)")
    parser.add_argument("--short", action="store_true",
                        help="short-series validation: 36 training points, horizon 12, before the test window")
    parser.add_argument("--acf-only", action="store_true",
                        help="the engine before the seasonal-dummies test (for before/after; implies --no-write)")
    parser.add_argument("--no-write", action="store_true", help="do not update README.md")
    args = parser.parse_args()

    full = load(args.data, args.sample, args.seed)
    horizon = SHORT_HORIZON if args.short else HORIZON
    if args.short:  # before the test window: 36 training points, then 12 actuals
        train, actual = short_split(full)
    else:
        cut = 2 * HORIZON if args.validation else HORIZON
        train = {uid: y[:-cut] for uid, y in full.items()}
        actual = {uid: y[len(y) - cut : len(y) - cut + HORIZON] for uid, y in full.items()}

    started = time.perf_counter()
    ours = run_ours(train, horizon, SEASON, args.jobs, args.acf_only)
    wall = time.perf_counter() - started
    peer_forecasts, peer_seconds = run_peer(train, horizon, SEASON)

    OUT.mkdir(exist_ok=True)
    tag = "short-validation" if args.short else "validation" if args.validation else "test"
    with open(OUT / f"m3_{tag}_{len(full)}{'_acf_only' if args.acf_only else ''}.pkl", "wb") as fh:
        pickle.dump({"ours": ours, "peer": peer_forecasts, "train": train, "actual": actual}, fh)

    rows, s = result_rows(ours, peer_forecasts, peer_seconds, actual, train, SEASON)
    dotm = score(actual, train, peer_forecasts["DynamicOptimizedTheta"], SEASON)[0]
    snaive = score(actual, train, peer_forecasts["SeasonalNaive"], SEASON)[0]
    text = "\n".join([
        (f"### M3 monthly, short series (validation side: {SHORT_TRAIN} training points, the"
         f" {SHORT_HORIZON} before the test window as actuals), horizon {SHORT_HORIZON},"
         if args.short else
         f"### M3 monthly ({'validation window' if args.validation else 'test window'}), horizon {HORIZON},")
        + (" all 1,428 series" if len(full) >= 1428 else f" seeded sample of {len(full)} series"),
        "",
        f"Series: {len(full)} of 1,428"
        + (f" (seeded sample, seed {args.seed})" if len(full) < 1428 else "")
        + f"; measured {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC on {machine()};"
        f" wall time of our competitions {wall / 60:.1f} min with {args.jobs} series in parallel.",
        "Seconds per series: the whole competition (3 backtest windows + refit of every algorithm)"
        " for the selection, one fit for each algorithm, one fit+forecast for statsforecast.",
        "",
        table(rows, len(full)),
        "",
        (f"Our selection {s:.2f} vs DynamicOptimizedTheta {dotm:.2f} and SeasonalNaive {snaive:.2f}"
         " in the same run (design work: no target)." if args.short else
         f"Our selection {s:.2f} vs DynamicOptimizedTheta {dotm:.2f} in the same run"
         f" and the published Theta {PUBLISHED_THETA}: "
         + ("**target met**" if s < dotm and s < PUBLISHED_THETA else "**target not met**") + "."),
        "",
        f"Winners chosen by the competition: {winner_counts(ours)}.",
    ])
    print(text)
    if not args.no_write and not args.acf_only:
        write_section(f"m3-{tag}-{len(full)}", text)


if __name__ == "__main__":
    main()
