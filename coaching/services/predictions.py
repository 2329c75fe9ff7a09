"""Spending and goal predictions.

**Spending** — next calendar month's expenses, in total and per category. A target with
a deployed forecaster (``expense``, ``expense:category=<id>``) is answered by that model
through :func:`forecasting.serving.forecasts.forecast_predict_many` (the same
verified loader, cache and prediction log as the forecast API). Any other series is
forecast by the forecasting engine itself: :func:`forecasting.engine.competition.run_competition`
races the engine's fast baselines (naive, seasonal naive, linear trend) in a rolling-origin
backtest and the winner forecasts — no model of coaching's own. The engine's answers are
cached by the series' content (a new transaction changes the series, hence the key).

**Goals** — the chance of reaching each goal by its deadline, and when it is reached at
the current pace. The monthly amount saved towards a goal is, over the last
:data:`GOAL_MONTHS` complete months, either the contributions the members recorded for it
(``goal_modification`` events with ``action = "contribute"``) or — when there are none —
the workspace's net savings (revenue − expenses) shared equally among its unfinished
goals. With mean ``m`` and standard deviation ``s`` (``ddof=1``) of those monthly amounts,
``R`` still to save and ``n`` months to the deadline (days / 30.4375), the amount saved by
the deadline is taken as Normal(``n·m``, ``s²·n``) (independent months), so

    probability = P(saved ≥ R) = 1 − Φ((R − n·m) / (s·√n))      (s = 0: 1 if n·m ≥ R else 0)
    expected date = today + R / m months                        (none when m ≤ 0)
    required monthly = R / n

The expected date is also none ("not at this pace") when ``R / m`` months is not finite
or lands beyond the last representable date (a tiny saving rate against a large
remaining amount). Figures that are not finite give a probability of 0 rather than NaN
(which no JSON can carry).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from scipy.stats import norm

from coaching.selectors import (
    CoachingContext,
    complete_months,
    goal_contributions_monthly,
)
from finance.models import Goal
from finance.months import add_months, month_start
from forecasting.engine.competition import run_competition
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.forecasts import (
    deployed_forecasters,
    forecast_predict_many,
    forecasts_read,
)

GOAL_MONTHS = 6
DAYS_PER_MONTH = 30.4375  # 365.25 / 12
ENGINE_ALGORITHMS = ("naive", "seasonal_naive", "linear_regression")
ENGINE_CACHE_PREFIX = "coaching:spending:v1"


# --- spending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendingForecast:
    """Next month's forecast of one series (total or a category)."""

    amount: float
    lo80: float
    hi80: float
    method: str  # "model" (a deployed forecaster) or "engine" (the baselines' race)
    algorithm: str
    history_months: int

    def as_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "lo80": self.lo80, "hi80": self.hi80, "method": self.method,
                "algorithm": self.algorithm, "history_months": self.history_months}


def _trimmed(values: np.ndarray) -> np.ndarray:
    """The series from its first non-zero month on (before it the workspace had no books)."""
    nonzero = np.flatnonzero(values)
    return values[nonzero[0]:] if len(nonzero) else values[:0]


def _series_key(values: np.ndarray, last_month: dt.date, horizon: int) -> str:
    payload = json.dumps({"m": last_month.isoformat(), "h": horizon, "v": [round(float(v), 2) for v in values]})
    return f"{ENGINE_CACHE_PREFIX}:{hashlib.sha256(payload.encode()).hexdigest()}"


def engine_forecast(values: np.ndarray, *, horizon: int) -> tuple[float, float, float, str] | None:
    """``(mean, lo80, hi80, algorithm)`` of step ``horizon`` after ``values`` from the winner
    of the engine's baseline race, or ``None`` when no baseline can fit (fewer than 2 points)."""
    if len(values) < 2:
        return None
    result = run_competition(values, horizon=horizon, season_length=12, algorithms=ENGINE_ALGORITHMS,
                             n_windows=3, n_jobs=1, combine=False, anchor=None)
    winner = result.winner
    if winner is None:  # too short to backtest: the naive forecast, which needs no backtest
        from forecasting.engine.baselines import NaiveForecaster

        forecaster, name = NaiveForecaster().fit(values), "naive"
    else:
        forecaster, name = winner.forecaster, winner.name
    forecast = forecaster.predict(horizon)
    return float(forecast.mean[-1]), float(forecast.lo80[-1]), float(forecast.hi80[-1]), name


def _clip(value: float) -> float:
    return round(max(value, 0.0), 2)


def spending_predict(
    *, ctx: CoachingContext, user: AbstractBaseUser | AnonymousUser | None = None, log: bool = True,
) -> dict[str, Any]:
    """Next month's expenses, total and per category (see the module docstring). Two
    queries (deployed versions, prediction log) besides the context's; ``log=False`` (a
    page, which writes nothing) leaves out the log."""
    months = ctx.books.months
    target_month = add_months(month_start(ctx.today), 1)
    horizon = (target_month.year - months[-1].year) * 12 + target_month.month - months[-1].month
    series: dict[str, tuple[str, int | None, np.ndarray]] = {"expense": ("Total", None, ctx.books.expense)}
    for category_id, cat in sorted(ctx.books.categories.items(), key=lambda kv: kv[1].name):
        if category_id is not None:
            series[Target("expense", category_id=category_id).key] = (cat.name, category_id, cat.values)
    # Monthly models only: the answer is read off the forecast's month (a weekly model of
    # the same target may be deployed too).
    versions = deployed_forecasters(workspace=ctx.workspace, targets=list(series), frequencies=(Frequency.MONTHLY,))
    served = (forecast_predict_many(workspace=ctx.workspace, versions=versions, today=ctx.today, user=user) if log
              else forecasts_read(workspace=ctx.workspace, versions=versions, today=ctx.today))

    trimmed = {target: _trimmed(values) for target, (_, _, values) in series.items()}
    keys = {target: _series_key(values, months[-1], horizon) for target, values in trimmed.items()}
    cached = cache.get_many(list(keys.values()))
    fresh: dict[str, Any] = {}
    results: dict[str, SpendingForecast | None] = {}
    for target, values in trimmed.items():
        page = served.get(target)
        if page is not None and page.ok and target_month.isoformat() in page.output["dates"]:
            i = page.output["dates"].index(target_month.isoformat())
            out = page.output
            results[target] = SpendingForecast(_clip(out["forecast"][i]), _clip(out["lo80"][i]), _clip(out["hi80"][i]),
                                               "model", out["model"]["algorithm"], len(values))
            continue
        answer = cached.get(keys[target])
        if answer is None:
            answer = engine_forecast(values, horizon=horizon) or "none"
            fresh[keys[target]] = answer
        results[target] = None if answer == "none" else SpendingForecast(
            _clip(answer[0]), _clip(answer[1]), _clip(answer[2]), "engine", answer[3], len(values))
    if fresh:
        cache.set_many(fresh, timeout=settings.ML_FORECAST_CACHE_TTL)

    total = results.pop("expense")
    categories = []
    for target, forecast in results.items():
        name, category_id, values = series[target]
        categories.append({
            "category": category_id, "name": name,
            "last_month": round(float(values[-1]), 2),
            "average_3_months": round(float(values[-3:].mean()), 2),
            "forecast": forecast.as_dict() if forecast else None,
        })
    return {
        "month": target_month.isoformat(),
        "currency": ctx.workspace.currency,
        "total": total.as_dict() if total else None,
        "categories": categories,
    }


# --- goals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalPrediction:
    goal: Goal
    basis: str  # "contributions" or "net_savings_share"
    monthly_mean: float
    monthly_std: float
    remaining: float
    months_left: float
    required_monthly: float | None
    probability: float
    expected_date: dt.date | None

    @property
    def reached(self) -> bool:
        return self.remaining <= 0

    @property
    def on_track(self) -> bool:
        return self.reached or self.probability >= 0.5

    def as_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal.pk, "name": self.goal.name, "target_amount": float(self.goal.target_amount),
            "saved_amount": float(self.goal.saved_amount), "deadline": self.goal.deadline.isoformat(),
            "remaining": round(self.remaining, 2), "basis": self.basis,
            "monthly_mean": round(self.monthly_mean, 2), "monthly_std": round(self.monthly_std, 2),
            "months_left": round(self.months_left, 2),
            "required_monthly": None if self.required_monthly is None else round(self.required_monthly, 2),
            "probability": round(self.probability, 4),
            "expected_date": self.expected_date.isoformat() if self.expected_date else None,
            "reached": self.reached, "on_track": self.on_track,
        }


def goal_probability(*, remaining: float, months_left: float, mean: float, std: float) -> float:
    """P(Normal(n·m, s²·n) ≥ R) — see the module docstring (0 when a figure is not finite)."""
    if not all(math.isfinite(v) for v in (remaining, months_left, mean, std)):
        return 0.0
    if remaining <= 0:
        return 1.0
    if months_left <= 0:
        return 0.0
    expected = months_left * mean
    if std <= 0:
        return 1.0 if expected >= remaining else 0.0
    probability = float(norm.sf(remaining, loc=expected, scale=std * math.sqrt(months_left)))
    return probability if math.isfinite(probability) else 0.0


def goal_expected_date(*, today: dt.date, remaining: float, mean: float) -> dt.date | None:
    """When ``remaining`` is saved at ``mean`` a month: ``today`` when nothing remains,
    ``None`` when it never is at this pace (``mean ≤ 0``) or not before the last date a
    date can hold (the ratio overflows)."""
    if remaining <= 0:
        return today
    if not mean > 0:  # also NaN
        return None
    days = remaining / mean * DAYS_PER_MONTH
    if not math.isfinite(days) or days > (dt.date.max - today).days:
        return None
    return today + dt.timedelta(days=round(days))


def goal_predict_one(*, goal: Goal, monthly: np.ndarray, basis: str, today: dt.date) -> GoalPrediction:
    """The prediction of one goal from its monthly saving amounts."""
    remaining = float(goal.target_amount - goal.saved_amount)
    months_left = max((goal.deadline - today).days, 0) / DAYS_PER_MONTH
    mean = float(monthly.mean()) if len(monthly) else 0.0
    std = float(monthly.std(ddof=1)) if len(monthly) > 1 else 0.0
    return GoalPrediction(
        goal=goal, basis=basis, monthly_mean=mean, monthly_std=std, remaining=remaining, months_left=months_left,
        required_monthly=(remaining / months_left if months_left > 0 else None) if remaining > 0 else 0.0,
        probability=goal_probability(remaining=remaining, months_left=months_left, mean=mean, std=std),
        expected_date=goal_expected_date(today=today, remaining=remaining, mean=mean),
    )


def goals_predict(*, ctx: CoachingContext) -> list[GoalPrediction]:
    """Every goal of the workspace, by deadline. One query besides the context's."""
    months = complete_months(today=ctx.today, count=GOAL_MONTHS)
    contributions = goal_contributions_monthly(workspace=ctx.workspace, months=months)
    net = (ctx.books.revenue - ctx.books.expense)[-GOAL_MONTHS:]
    open_goals = [g for g in ctx.goals if g.saved_amount < g.target_amount] or [None]
    share = net / len(open_goals)
    predictions = []
    for goal in ctx.goals:
        own = contributions.get(goal.pk)
        if own is not None and own.any():
            predictions.append(goal_predict_one(goal=goal, monthly=own, basis="contributions", today=ctx.today))
        else:
            predictions.append(goal_predict_one(goal=goal, monthly=share, basis="net_savings_share", today=ctx.today))
    return predictions
