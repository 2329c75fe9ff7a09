"""Speed of one competition of every algorithm on one 48-point monthly series.

    .venv/bin/python benchmarks/forecasting/competition_speed.py            # 5 cold + 5 warm runs
    .venv/bin/python benchmarks/forecasting/competition_speed.py --jobs 1   # in one process

The series is the real monthly total of Sales in ``../shared/data/superstore_orders.csv``
(48 months, 2014-01..2017-12); the competition is ``run_competition`` with its defaults
(all twelve algorithms, Prophet and LSTM included, 3 rolling backtest windows, the
anchor combination) at horizon 12. The time runs until the winner's forecast
is in hand: ``run_competition(...)`` then ``result.winner.forecaster.predict(12)``.

*Cold*: every repetition is a fresh Python process, so the time includes starting the
worker processes and importing statsmodels, torch, Prophet and the boosting libraries in
them (and, in the calling process, the libraries of the winner) — what a one-off command
such as ``manage.py forecast_csv`` pays.
*Warm*: repeated calls in one process whose workers are already up (a long-running
server or worker process). The script reports the median and the maximum of each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import REPO, machine, superstore_monthly, write_section  # noqa: E402

HORIZON = 12
SEASON = 12
TARGET_SECONDS = 10.0


def one_run(y: np.ndarray, jobs: int | None) -> dict:
    """One timed competition: wall seconds, winner and per-algorithm seconds."""
    from forecasting.engine.competition import run_competition

    started = time.perf_counter()
    result = run_competition(y, horizon=HORIZON, season_length=SEASON, n_jobs=jobs)
    forecast = result.winner.forecaster.predict(HORIZON)
    seconds = time.perf_counter() - started
    assert len(forecast) == HORIZON
    return {
        "seconds": seconds,
        "winner": result.winner.name if result.winner else None,
        "winner_reason": result.winner.reason if result.winner else "",
        "statuses": {c.name: c.status for c in result.candidates},
        "algorithms": {c.name: round(c.fit_seconds + c.backtest_seconds, 3)
                       for c in result.candidates if c.name != "combination"},
    }


def child(args: argparse.Namespace) -> None:
    """One cold repetition (run in a fresh interpreter by the parent)."""
    import warnings

    warnings.filterwarnings("ignore")
    y = superstore_monthly(args.data)
    print("RESULT " + json.dumps(one_run(y, args.jobs)))


def cold_runs(args: argparse.Namespace) -> list[dict]:
    out = []
    for i in range(args.repeat):
        cmd = [sys.executable, __file__, "--child", "--data", args.data]
        if args.jobs is not None:
            cmd += ["--jobs", str(args.jobs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
        line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
        out.append(json.loads(line[len("RESULT "):]))
        print(f"cold {i + 1}: {out[-1]['seconds']:.2f} s (winner {out[-1]['winner']})", flush=True)
    return out


def warm_runs(args: argparse.Namespace) -> list[dict]:
    import warnings

    warnings.filterwarnings("ignore")
    y = superstore_monthly(args.data)
    one_run(y, args.jobs)  # start the workers and import the libraries
    out = []
    for i in range(args.repeat):
        out.append(one_run(y, args.jobs))
        print(f"warm {i + 1}: {out[-1]['seconds']:.2f} s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "superstore_orders.csv"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None,
                        help="n_jobs of run_competition (default: ML_COMPETITION_JOBS, else the cores but one)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="do not update README.md")
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    load = os.getloadavg()[0]
    cold = cold_runs(args)
    warm = warm_runs(args)
    jobs = f"n_jobs={args.jobs}" if args.jobs is not None else "n_jobs=None (ML_COMPETITION_JOBS, else the cores but one)"
    rows = ["| runs | repetitions | median (s) | max (s) | all runs (s) | under 10 s |",
            "|---|---:|---:|---:|---|---|"]
    for label, runs in (("cold (fresh process each)", cold), ("warm (workers up)", warm)):
        secs = [r["seconds"] for r in runs]
        rows.append(f"| {label} | {len(secs)} | {statistics.median(secs):.2f} | {max(secs):.2f} | "
                    + ", ".join(f"{s:.2f}" for s in secs)
                    + f" | {'yes' if max(secs) < TARGET_SECONDS else '**no**'} |")
    last = cold[-1]
    per_algo = ", ".join(f"{k} {v:.2f}" for k, v in sorted(last["algorithms"].items(), key=lambda kv: -kv[1]))
    text = "\n".join([
        f"### Competition speed: 48-point monthly series, horizon {HORIZON}, {jobs}",
        "",
        f"Measured {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load average"
        f" {load:.1f} when it started (the cores are shared with other work).",
        "",
        *rows,
        "",
        f"Winner: {last['winner']} ({last['winner_reason'] or 'single algorithm'}); every"
        f" candidate's status: {', '.join(f'{k} {v}' for k, v in last['statuses'].items())}.",
        f"Seconds per algorithm in the last cold run (backtest windows + final fit, summed over"
        f" the workers, first-use imports included): {per_algo}.",
    ])
    print(text)
    if not args.no_write:
        key = "speed" if args.jobs is None else f"speed-jobs{args.jobs}"
        write_section(key, text)


if __name__ == "__main__":
    main()
