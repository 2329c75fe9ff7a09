"""Benchmark: accuracy of coaching's spending predictions and calibration of its goal
probabilities on the demo books (three years), time-split with no peeking.

    .venv/bin/python benchmarks/coaching/bench_predictions.py                 # both parts
    .venv/bin/python benchmarks/coaching/bench_predictions.py --part spending --weeks 26 --months 12

**Spending** (:func:`coaching.services.spending.spending_forecast`, the forecasting
engine's race: no model is deployed in this database). For each of the last ``--months``
months of the books, "today" is that month's first day: the forecast of the month in
progress learns from the complete months before it only, and the recurring bills it counts
by due date are those detected on the day before, from their payments up to then (nothing
of the month forecast is seen); the actual is the month's approved expenses. The same with the last ``--weeks`` weeks (today a Monday). MAPE per
series is the mean of |forecast − actual| / actual over the periods with spending (a
period with none has no percentage error); WAPE is Σ|error| / Σ actual. Per category the
table gives the median over the workspace's categories and the share of spending they
cover. ``--bills both`` (the default) prints each row twice: the engine alone (``without``,
the forecasts before the bills were counted) and with the bills (``with``, what the app
answers).

**Goals** (:func:`coaching.services.predictions.goals_predict`, the Monte Carlo
simulation). Goals with known outcomes are made from the history: at each cut (the first
of a month with at least twelve complete months before it and the deadline within the
books), a goal funded by the workspace's net savings (revenue − expenses; the ``net
savings share`` basis, one open goal) must save ``R = k × h × m`` in ``h`` months, ``m``
the average monthly net savings of the twelve months before the cut, ``k`` in
:data:`TARGET_FACTORS`, ``h`` in :data:`HORIZONS`. The predictor sees the books up to the
cut; the outcome is whether the net savings of the ``h`` months after it reached ``R``.
Brier score, accuracy at 0.5 and a reliability table by tenth of predicted probability;
beside it a plain bootstrap of the last twelve months and the first method (a normal
approximation of the sum from the last six months).

The script uses its own SQLite file (``var/bench/coaching_predictions.sqlite3``) and
replaces the demo data in it on each run (``--reuse`` keeps it).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.django_setup import database_ready, use_database  # noqa: E402

OWN_DATABASE = use_database("coaching_predictions")

import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402

from coaching.selectors import coaching_context, expense_by_period  # noqa: E402
from coaching.services.predictions import goals_predict  # noqa: E402
from coaching.services.spending import spending_forecast  # noqa: E402
from finance.demo.seed import PENDING_DAYS, demo_data_seed  # noqa: E402
from finance.demo.specs import SLUGS  # noqa: E402
from finance.models import Goal, Transaction, Workspace  # noqa: E402
from finance.months import add_months, month_start  # noqa: E402
from forecasting.series.frequency import Frequency  # noqa: E402

TARGET_FACTORS = (0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.4)
HORIZONS = (3, 6, 9, 12)
DAYS_PER_MONTH = 30.4375


# --- spending ----------------------------------------------------------------------------------


def spending_errors(workspace: Workspace, *, frequency: str, origins: list[dt.date], bills: bool) -> dict[object, list]:
    """``{series (None: total; else category id): [(forecast, actual), ...]}`` over ``origins``
    (period starts: "today" is the first day of the period forecast; the bills, with
    ``bills``, as known the day before)."""
    freq = Frequency(frequency)
    out: dict[object, list] = defaultdict(list)
    end = origins[-1]
    actuals = expense_by_period(workspace=workspace, frequency=frequency, periods=len(origins) + 1,
                                today=freq.add(end, 1))
    index = {d: i for i, d in enumerate(actuals.dates)}
    for origin in origins:
        answer = spending_forecast(workspace=workspace, frequency=frequency, horizon=1, today=origin, log=False,
                                   bills=bills, bills_as_of=origin - dt.timedelta(days=1))
        i = index[origin]
        rows = [answer["total"], *answer["categories"]]
        for row in rows:
            if not row["forecast"]:
                continue
            actual = (actuals.total[i] if row["category"] is None
                      else actuals.categories[row["category"]].values[i] if row["category"] in actuals.categories
                      else 0.0)
            out[row["category"]].append((row["forecast"][0]["amount"], float(actual)))
    return out


def mape(pairs: list) -> float | None:
    errors = [abs(f - a) / a for f, a in pairs if a > 0]
    return 100 * statistics.fmean(errors) if errors else None


def wape(pairs: list) -> float | None:
    total = sum(a for _, a in pairs)
    return 100 * sum(abs(f - a) for f, a in pairs) / total if total > 0 else None


def spending_part(end: dt.date, *, months: int, weeks: int, bills: str) -> None:
    print("\n## Spending predictions (engine, forecast of the period in progress from the periods before it)\n")
    print("| workspace | frequency | bills | periods | total MAPE | total WAPE | categories: median MAPE | "
          "median WAPE | spending-weighted WAPE |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    summary = defaultdict(list)
    ways = {"both": (False, True), "with": (True,), "without": (False,)}[bills]
    for workspace in Workspace.objects.filter(slug__in=SLUGS).order_by("name"):
        for (frequency, count), counted in ((fc, b) for fc in (("M", months), ("W", weeks)) for b in ways):
            freq = Frequency(frequency)
            cleared = end - dt.timedelta(days=PENDING_DAYS)  # the last days' rows are not approved yet
            last = freq.add(cleared + dt.timedelta(days=1), -1)  # the last period ending by then
            origins = [freq.add(last, -n) for n in range(count - 1, -1, -1)]
            started = time.perf_counter()
            errors = spending_errors(workspace, frequency=frequency, origins=origins, bills=counted)
            seconds = time.perf_counter() - started
            total = errors.pop(None, [])
            per = [(mape(p), wape(p), sum(a for _, a in p)) for p in errors.values()]
            mapes = [m for m, _, _ in per if m is not None]
            wapes = [w for _, w, _ in per if w is not None]
            weighted = 100 * sum(abs(f - a) for p in errors.values() for f, a in p) / max(
                sum(a for p in errors.values() for _, a in p), 1e-9)
            way = "with" if counted else "without"
            summary[frequency, way].append(mape(total))
            print(f"| {workspace.name} | {frequency} | {way} | {len(origins)} | {mape(total):.1f} % | "
                  f"{wape(total):.1f} % | "
                  f"{statistics.median(mapes):.1f} % | {statistics.median(wapes):.1f} % | {weighted:.1f} % |"
                  f"  <!-- {seconds:.0f} s, {len(per)} categories -->")
    for (frequency, way), values in summary.items():
        print(f"\nMean total MAPE, {frequency}, {way} bills: {statistics.fmean(values):.1f} %")


# --- goals -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    workspace: str
    horizon: int
    factor: float
    probability: float
    plain: float
    normal: float
    reached: bool


def normal_probability(history: np.ndarray, remaining: float, months: float) -> float:
    """The first method: saved by the deadline ~ Normal(n·m, s²·n), m and s of the last six months."""
    pool = history[-6:]
    mean, std = float(pool.mean()), float(pool.std(ddof=1))
    if std <= 0:
        return 1.0 if months * mean >= remaining else 0.0
    return float(norm.sf(remaining, loc=months * mean, scale=std * math.sqrt(months)))


def plain_bootstrap(history: np.ndarray, remaining: float, months: float, seed: int) -> float:
    """A bootstrap of the last twelve months, every month alike (no same-month draws, no growth)."""
    pool, whole = history[-12:], int(months)
    draws = np.random.default_rng(seed).choice(pool, size=(2000, whole + 1))
    saved = draws[:, :whole].sum(axis=1) + (months - whole) * draws[:, whole]
    return float(np.mean(saved >= remaining))


def goal_cases(workspace: Workspace, *, first: dt.date, last: dt.date) -> list[Case]:
    cases = []
    cut = add_months(first, 12)
    while cut <= last:
        ctx = coaching_context(workspace=workspace, today=cut)
        net_before = (ctx.books.revenue - ctx.books.expense)[-12:]
        mean = float(net_before.mean())
        for horizon in HORIZONS:
            deadline = add_months(cut, horizon)
            if deadline > last:
                continue
            after = coaching_context(workspace=workspace, today=deadline).books
            actual = float((after.revenue - after.expense)[-horizon:].sum())
            months_left = (deadline - cut).days / DAYS_PER_MONTH
            for factor in TARGET_FACTORS:
                target = round(factor * horizon * mean, 2)
                if target <= 0:
                    continue
                goal = Goal(pk=10**9 + len(cases), workspace=workspace, name="Benchmark goal", target_amount=target,
                            saved_amount=0, deadline=deadline)
                [p] = goals_predict(ctx=dataclasses.replace(ctx, goals=[goal]))
                assert p.basis == "net_savings_share"
                cases.append(Case(workspace.name, horizon, factor, p.probability,
                                  plain_bootstrap(p.monthly, target, months_left, seed=len(cases)),
                                  normal_probability(p.monthly, target, months_left), actual >= target))
        cut = add_months(cut, 1)
    return cases


def brier(cases: list[Case], attr: str) -> float:
    return statistics.fmean((getattr(c, attr) - c.reached) ** 2 for c in cases)


def accuracy(cases: list[Case], attr: str) -> float:
    return 100 * statistics.fmean((getattr(c, attr) >= 0.5) == c.reached for c in cases)


def goals_part(start: dt.date, end: dt.date) -> None:
    first, last = add_months(month_start(start), 1), month_start(end)  # complete months only
    cases: list[Case] = []
    started = time.perf_counter()
    for workspace in Workspace.objects.filter(slug__in=SLUGS).order_by("name"):
        cases += goal_cases(workspace, first=first, last=last)
    seconds = time.perf_counter() - started
    reached = sum(c.reached for c in cases)
    print(f"\n## Goal probabilities: {len(cases)} simulated goals, {reached} reached ({seconds:.0f} s)\n")
    print("| method | Brier score | accuracy at 0.5 |")
    print("|---|---:|---:|")
    print(f"| Monte Carlo bootstrap (this) | {brier(cases, 'probability'):.3f} | {accuracy(cases, 'probability'):.1f} % |")
    print(f"| plain bootstrap of the last 12 months | {brier(cases, 'plain'):.3f} | {accuracy(cases, 'plain'):.1f} % |")
    print(f"| normal approximation, last 6 months (the first method) | {brier(cases, 'normal'):.3f} | "
          f"{accuracy(cases, 'normal'):.1f} % |")
    base = reached / len(cases)
    print(f"| always the base rate ({base:.2f}) | {statistics.fmean((base - c.reached) ** 2 for c in cases):.3f} | "
          f"{100 * max(base, 1 - base):.1f} % |")
    print("\nReliability (Monte Carlo), by tenth of predicted probability:\n")
    print("| predicted | goals | mean predicted | share reached |")
    print("|---|---:|---:|---:|")
    for decile in range(10):
        lo, hi = decile / 10, (decile + 1) / 10
        chosen = [c for c in cases if lo <= c.probability < hi or (decile == 9 and c.probability == 1.0)]
        if chosen:
            print(f"| {lo:.1f}–{hi:.1f} | {len(chosen)} | {statistics.fmean(c.probability for c in chosen):.3f} | "
                  f"{statistics.fmean(c.reached for c in chosen):.3f} |")
    print("\nBy workspace and horizon (Brier, accuracy):\n")
    print("| workspace | " + " | ".join(f"{h} months" for h in HORIZONS) + " |")
    print("|---|" + "---:|" * len(HORIZONS))
    for name in sorted({c.workspace for c in cases}):
        cells = []
        for h in HORIZONS:
            chosen = [c for c in cases if c.workspace == name and c.horizon == h]
            cells.append(f"{brier(chosen, 'probability'):.3f}, {accuracy(chosen, 'probability'):.0f} % (n={len(chosen)})"
                         if chosen else "—")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["spending", "goals", "both"], default="both")
    parser.add_argument("--months", type=int, default=12, help="monthly origins (the last months of the books)")
    parser.add_argument("--weeks", type=int, default=26, help="weekly origins (the last weeks of the books)")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30),
                        help="the demo books' last day")
    parser.add_argument("--reuse", action="store_true", help="keep the demo data already in the database")
    parser.add_argument("--bills", choices=["both", "with", "without"], default="both",
                        help="spending: with the recurring bills counted by due date, without (the engine alone), "
                             "or both rows")
    args = parser.parse_args()
    database_ready(own=OWN_DATABASE)
    if not args.reuse or not Workspace.objects.filter(slug__in=SLUGS).exists():
        started = time.perf_counter()
        summary = demo_data_seed(seed=42, years=3, end_date=args.end)
        print(f"Seeded {summary.transactions} transactions ({summary.start_date} … {summary.end_date}) "
              f"in {time.perf_counter() - started:.0f} s")
    start = Transaction.objects.filter(workspace__slug__in=SLUGS).order_by("date").values_list("date", flat=True)[0]
    if args.part in ("spending", "both"):
        spending_part(args.end, months=args.months, weeks=args.weeks, bills=args.bills)
    if args.part in ("goals", "both"):
        goals_part(start, args.end)


if __name__ == "__main__":
    main()
