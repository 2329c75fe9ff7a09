"""The Monte Carlo simulation behind goal predictions: what a goal will have saved month
by month, drawn from the contributions it was observed to get.

A goal still needs ``R``; its observed monthly contributions (oldest first, ending with
the last complete month; see :mod:`coaching.services.predictions` for where they come
from) are the history. Each of :data:`SIMULATIONS` futures draws every month's
contribution from that history with replacement — a bootstrap: the months' own spread,
zeros and one-off large months included, no distribution assumed — and adds them up. A
month's draw is, with chance :data:`SAME_MONTH_SHARE`, one of the same calendar month in
past years (when the history reaches back a year: a December is drawn like Decembers,
which matters for a seasonal business), else any of the last :data:`POOL_MONTHS` months;
each is scaled by the year-on-year growth of the history (the last twelve months against
the twelve before, clipped to :data:`GROWTH_LIMITS`; 1 with less than two years or when
either year saved nothing), to the month it stands for. From those futures:

- **probability**: the share that has saved ``R`` by the deadline, ``n`` months away
  (days / 30.4375; the last, partial month counts its share of a draw);
- **trajectory**: the median and the 10th–90th percentiles (an 80 % band) of the amount
  saved at each month from now to the deadline;
- **expected date**: the median of the month in which a future reaches ``R`` (linear
  within the month), or none when fewer than half reach it within :data:`MAX_MONTHS`;
- **adjustments**, for a goal below :data:`TARGET_PROBABILITY`: the monthly amount that
  brings the chance up to it (the average of the last :data:`POOL_MONTHS` months plus what
  the 20th percentile of the futures misses, spread over the months left), and the nearest
  deadline the current pace meets with that chance.

The same-month share, the pool and the growth were chosen on the demo books' calibration
benchmark (``benchmarks/coaching/bench_predictions.py``; a plain bootstrap of the last
twelve months scored a Brier score of 0.187 there). The draws come from a generator
seeded by the goal and the day, so a page and the API agree and a test repeats.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from finance.months import add_months

SIMULATIONS = 2000
#: months simulated at most (an expected date beyond is "not at this pace")
MAX_MONTHS = 600
#: the chance a suggested adjustment aims for
TARGET_PROBABILITY = 0.8
DAYS_PER_MONTH = 30.4375  # 365.25 / 12
#: the months any draw may come from (the last ones of the history)
POOL_MONTHS = 12
#: the chance that a month is drawn from the same calendar month of past years (when there are any)
SAME_MONTH_SHARE = 0.5
#: past years a same-month draw may come from
SAME_MONTH_YEARS = 3
#: the year-on-year growth applied, at most and at least
GROWTH_LIMITS = (0.8, 1.25)
#: trajectory points shown at most (a college fund twelve years out is drawn by quarter)
MAX_TRAJECTORY_POINTS = 61


@dataclass(frozen=True)
class TrajectoryPoint:
    date: dt.date
    median: float
    lo80: float
    hi80: float

    def as_dict(self) -> dict:
        return {"date": self.date.isoformat(), "median": self.median, "lo80": self.lo80, "hi80": self.hi80}


@dataclass(frozen=True)
class Simulation:
    """What the futures of one goal say (see the module docstring)."""

    probability: float
    expected_months: float | None
    trajectory: list[TrajectoryPoint]
    suggested_monthly: float | None
    suggested_months: int | None


def goal_rng(*, goal_id: int, today: dt.date) -> np.random.Generator:
    return np.random.default_rng([int(goal_id), today.toordinal()])


def yearly_growth(history: np.ndarray) -> float:
    """The last twelve months' total against the twelve before (see the module docstring)."""
    if len(history) < 24:
        return 1.0
    last, before = float(history[-12:].sum()), float(history[-24:-12].sum())
    if last <= 0 or before <= 0:
        return 1.0
    return float(np.clip(last / before, *GROWTH_LIMITS))


def _horizon(*, pool: np.ndarray, remaining: float, months_left: float) -> int:
    """Months to simulate: past the deadline, and far enough for the expected date."""
    mean = float(pool.mean()) if len(pool) else 0.0
    reach = 2 * remaining / mean if mean > 0 else 0.0
    return int(min(max(math.ceil(months_left), math.ceil(reach), 1), MAX_MONTHS))


def _level(growth: float, months: float) -> float:
    """The level ``months`` after the last complete month relative to it: the yearly
    growth compounds for at most a year ahead (none beyond: no trend is extrapolated for
    years)."""
    return growth ** (min(months, 12) / 12)


def _draws(history: np.ndarray, *, horizon: int, simulations: int, rng: np.random.Generator) -> np.ndarray:
    """``(simulations, horizon)`` monthly contributions (see the module docstring); month
    ``j`` is the ``j``-th after the last of ``history`` (0: the month in progress), each
    draw scaled from the level of the month it was drawn from to the level of month ``j``."""
    n, pool = len(history), history[-POOL_MONTHS:]
    growth = yearly_growth(history)
    # a pool draw stands, on average, for the middle of the pool
    scale = np.array([_level(growth, j + 1) / _level(growth, -(len(pool) - 1) / 2) for j in range(horizon)])
    draws = rng.choice(pool, size=(simulations, horizon), replace=True) * scale
    same_month = rng.random((simulations, horizon)) < SAME_MONTH_SHARE
    for j in range(horizon):
        first = j // 12 + 1  # a year back from month j that lies in the history
        back = [y for y in range(first, first + SAME_MONTH_YEARS) if n + j - 12 * y >= 0]
        if not back:
            continue
        values = np.array([history[n + j - 12 * y] * _level(growth, j + 1) / _level(growth, j + 1 - 12 * y)
                           for y in back])
        picked = same_month[:, j]
        draws[picked, j] = rng.choice(values, size=int(picked.sum()), replace=True)
    return draws


def _at(cumulative: np.ndarray, draws: np.ndarray, months: float) -> np.ndarray:
    """Each future's amount saved after ``months`` (fractional: the share of the next draw)."""
    whole = int(math.floor(months))
    base = cumulative[:, whole - 1] if whole > 0 else np.zeros(len(cumulative))
    part = months - whole
    if part > 0 and whole < draws.shape[1]:
        base = base + part * draws[:, whole]
    return base


def _hitting_months(cumulative: np.ndarray, draws: np.ndarray, remaining: float) -> np.ndarray:
    """Each future's month (fractional) of reaching ``remaining``; ``inf`` if never."""
    reached = cumulative >= remaining
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
    out = np.full(len(first), np.inf)
    hit = first >= 0
    k = first[hit]
    before = np.where(k > 0, cumulative[hit, np.maximum(k - 1, 0)], 0.0)
    step = draws[hit, k]
    out[hit] = k + np.where(step > 0, (remaining - before) / np.where(step > 0, step, 1), 1.0)
    return out


def _trajectory(*, cumulative: np.ndarray, saved: float, today: dt.date, months: int) -> list[TrajectoryPoint]:
    stride = max(1, math.ceil(months / (MAX_TRAJECTORY_POINTS - 1)))
    points = [TrajectoryPoint(today, round(saved, 2), round(saved, 2), round(saved, 2))]
    if months <= 0:
        return points
    chosen = [*range(stride, months, stride), months]
    lo, mid, hi = np.percentile(cumulative[:, [m - 1 for m in chosen]], [10, 50, 90], axis=0)
    points += [TrajectoryPoint(add_months(today, m), round(saved + float(mid[i]), 2), round(saved + float(lo[i]), 2),
                               round(saved + float(hi[i]), 2)) for i, m in enumerate(chosen)]
    return points


def goal_simulate(
    *, history: np.ndarray, saved: float, remaining: float, months_left: float, today: dt.date,
    rng: np.random.Generator, simulations: int = SIMULATIONS,
) -> Simulation:
    """The futures of a goal that needs ``remaining`` more in ``months_left`` months, its
    monthly contributions drawn from ``history`` (see the module docstring)."""
    if remaining <= 0:
        return Simulation(1.0, 0.0, [TrajectoryPoint(today, round(saved, 2), round(saved, 2), round(saved, 2))],
                          None, None)
    months_left = max(months_left, 0.0)
    if not len(history) or not np.all(np.isfinite(history)):
        history = np.zeros(1)
    pool = history[-POOL_MONTHS:]
    horizon = _horizon(pool=pool, remaining=remaining, months_left=months_left)
    draws = _draws(history, horizon=horizon, simulations=simulations, rng=rng)
    cumulative = np.cumsum(draws, axis=1)
    at_deadline = _at(cumulative, draws, months_left)
    probability = float(np.mean(at_deadline >= remaining)) if months_left > 0 else 0.0
    hits = _hitting_months(cumulative, draws, remaining)
    median_hit = float(np.median(hits))
    suggested_monthly = suggested_months = None
    if probability < TARGET_PROBABILITY:
        if months_left > 0:
            short = remaining - float(np.quantile(at_deadline, 1 - TARGET_PROBABILITY))
            suggested_monthly = round(float(pool.mean()) + max(short, 0.0) / months_left, 2)
        reach = np.mean(cumulative >= remaining, axis=0)
        enough = np.flatnonzero(reach >= TARGET_PROBABILITY)
        suggested_months = int(enough[0]) + 1 if len(enough) else None
    trajectory = _trajectory(cumulative=cumulative, saved=saved, today=today,
                             months=min(math.ceil(months_left), horizon))
    return Simulation(probability, median_hit if math.isfinite(median_hit) else None, trajectory,
                      suggested_monthly, suggested_months)


def months_later(today: dt.date, months: float) -> dt.date | None:
    """``today`` plus ``months`` average months (a day count), or ``None`` past the last date."""
    days = months * DAYS_PER_MONTH
    if not math.isfinite(days) or days > (dt.date.max - today).days:
        return None
    return today + dt.timedelta(days=round(days))
