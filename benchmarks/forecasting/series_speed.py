"""Speed of one full competition through ``manage.py forecast_csv`` on real weekly, daily
and monthly series (the speed acceptance of issue 17).

    .venv/bin/python benchmarks/forecasting/series_speed.py                 # 3 runs of each series
    .venv/bin/python benchmarks/forecasting/series_speed.py --jobs 2        # n_jobs of every competition
    .venv/bin/python benchmarks/forecasting/series_speed.py --series weekly-260 --repeat 5

Every run is a fresh ``manage.py forecast_csv`` process on a one-series CSV with all
twelve algorithms (the command's defaults: its ``--jobs`` unless given, the default
anchor combination), so the time includes starting Python and Django, the competition
(backtest windows + refit of every algorithm), the winner's forecast and writing the CSV
— what the issue timed at 143 s for a 260-point weekly series. The environment is the
caller's: nothing pins the math libraries' threads from outside.

The series (real data only):

- ``weekly-260``: the last 260 weeks (1997-01..2001-12) of the Mauna Loa CO2 series that
  ships with statsmodels (``statsmodels.datasets.co2``; weekly, a strong yearly season),
  season 52, horizon 12 — the acceptance's length;
- ``weekly-209``: weekly Sales totals of ``../shared/data/superstore_orders.csv``
  (2014-01..2017-12, every week of the file), season 52, horizon 12;
- ``daily-1095``: daily Sales totals of the same file, its last 1,095 days (days without an
  order are 0), season 7, horizon 30;
- ``monthly-48``: its monthly Sales totals, season 12, horizon 6.

The horizons and seasons are the app's defaults for each frequency
(``forecasting.series.frequency``). The script reports, per series, the median and every
run with the 1-minute load average when the run started (the machine is shared), and the
CPU seconds the command and its worker processes used — the work itself, which the load
of other processes does not inflate as much as the wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import REPO, machine, write_section  # noqa: E402

SUPERSTORE = REPO.parent / "shared" / "data" / "superstore_orders.csv"
TARGET_SECONDS = {"weekly-260": 20.0}


@dataclass(frozen=True)
class Case:
    name: str
    season: int
    horizon: int
    what: str


CASES = {
    "weekly-260": Case("weekly-260", 52, 12, "CO2 (statsmodels), last 260 weeks"),
    "weekly-209": Case("weekly-209", 52, 12, "Superstore weekly Sales, 209 weeks"),
    "daily-1095": Case("daily-1095", 7, 30, "Superstore daily Sales, last 1,095 days"),
    "monthly-48": Case("monthly-48", 12, 6, "Superstore monthly Sales, 48 months"),
}


def series(name: str) -> pd.Series:
    """The real series of ``name`` with its dates (a pandas Series indexed by date)."""
    if name == "weekly-260":
        import statsmodels.datasets.co2 as co2

        data = co2.load_pandas().data["co2"].interpolate()
        return data.iloc[-260:]
    orders = pd.read_csv(SUPERSTORE)
    day = pd.to_datetime(orders["Order Date"], format="%m/%d/%Y")
    if name == "daily-1095":
        days = pd.date_range(day.min(), day.max(), freq="D")
        return orders.groupby(day)["Sales"].sum().reindex(days, fill_value=0.0).iloc[-1095:]
    freq = {"weekly-209": "W-SUN", "monthly-48": "M"}[name]
    period = day.dt.to_period(freq)
    periods = pd.period_range(period.min(), period.max(), freq=freq)
    totals = orders.groupby(period)["Sales"].sum().reindex(periods, fill_value=0.0)
    return pd.Series(totals.to_numpy(), index=periods.start_time)


def write_csv(name: str, folder: Path) -> Path:
    values = series(name)
    path = folder / f"{name}.csv"
    pd.DataFrame({"unique_id": name, "ds": values.index.strftime("%Y-%m-%d"), "y": values.to_numpy()}).to_csv(
        path, index=False)
    return path


def one_run(case: Case, csv: Path, out: Path, jobs: int | None) -> dict:
    command = [sys.executable, "manage.py", "forecast_csv", "--input", str(csv), "--output", str(out),
               "--horizon", str(case.horizon), "--season", str(case.season), "--no-progress"]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the command and of the worker processes it waited for: the work, whatever the load
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"forecast_csv failed on {case.name}:\n{proc.stderr[-3000:]}")
    winner = pd.read_csv(out)["algorithm"].iloc[0]
    return {"seconds": seconds, "cpu": cpu, "load": load, "winner": winner}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="forecast_csv --jobs (default: the command's)")
    parser.add_argument("--label", default="", help="what is measured (goes into the README section)")
    parser.add_argument("--no-write", action="store_true", help="do not update README.md")
    args = parser.parse_args()

    rows = ["| series | points | season | horizon | median (s) | runs (s) | CPU median (s) | load at start | winner"
            " | target |",
            "|---|---:|---:|---:|---:|---|---:|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="series-speed-") as tmp:
        folder = Path(tmp)
        for name in args.series:
            case = CASES[name]
            csv = write_csv(name, folder)
            points = len(pd.read_csv(csv))
            runs = []
            for i in range(args.repeat):
                runs.append(one_run(case, csv, folder / f"{name}-out.csv", args.jobs))
                print(f"{name} run {i + 1}: {runs[-1]['seconds']:.1f} s, CPU {runs[-1]['cpu']:.1f} s "
                      f"(load {runs[-1]['load']:.1f}, winner {runs[-1]['winner']})", flush=True)
            secs = [r["seconds"] for r in runs]
            median = statistics.median(secs)
            target = TARGET_SECONDS.get(name)
            verdict = "" if target is None else (f"< {target:.0f} s: {'yes' if median < target else '**no**'}")
            rows.append(
                f"| {case.what} | {points} | {case.season} | {case.horizon} | **{median:.1f}** | "
                + ", ".join(f"{s:.1f}" for s in secs)
                + f" | {statistics.median(r['cpu'] for r in runs):.1f} | "
                + ", ".join(f"{r['load']:.1f}" for r in runs)
                + f" | {runs[-1]['winner']} | {verdict} |")
    jobs = f"--jobs {args.jobs}" if args.jobs is not None else "the command's default --jobs"
    key = "series-speed" + (f"-jobs{args.jobs}" if args.jobs is not None else "") + (
        f"-{args.label}" if args.label else "")
    text = "\n".join([
        f"### Competition speed through forecast_csv: weekly, daily and monthly series, {jobs}"
        + (f" ({args.label})" if args.label else ""),
        "",
        f"Measured {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC on {machine()}; {args.repeat} fresh"
        " `manage.py forecast_csv` processes per series, all twelve algorithms; the load is the"
        " 1-minute load average when each run started (the two cores are shared with other work);"
        " CPU is the user + system seconds of the command and its worker processes.",
        "",
        *rows,
    ])
    print(text)
    if not args.no_write:
        write_section(key, text)


if __name__ == "__main__":
    main()
