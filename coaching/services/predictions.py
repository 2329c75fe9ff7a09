"""Spending and goal predictions.

**Spending** — next calendar month's expenses, in total and per category, read off the
monthly forecast of :mod:`coaching.services.spending` (the deployed forecaster where there
is one, else the forecasting engine's race).

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
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from scipy.stats import norm

from coaching.selectors import (
    CoachingContext,
    complete_months,
    goal_contributions_monthly,
)
from coaching.services.spending import spending_forecast
from finance.models import Goal
from forecasting.series.frequency import Frequency

GOAL_MONTHS = 6
DAYS_PER_MONTH = 30.4375  # 365.25 / 12


# --- spending ------------------------------------------------------------------------------


def _next_month(row: dict[str, Any]) -> dict[str, Any] | None:
    """Next month's figures of one series of :func:`spending_forecast`'s answer."""
    if not row["forecast"]:
        return None
    nxt = row["forecast"][1]
    return {"amount": nxt["amount"], "lo80": nxt["lo80"], "hi80": nxt["hi80"], "method": row["method"],
            "algorithm": row["algorithm"], "history_months": row["history_periods"]}


def spending_predict(
    *, ctx: CoachingContext, user: AbstractBaseUser | AnonymousUser | None = None, log: bool = True,
) -> dict[str, Any]:
    """Next calendar month's expenses, total and per category: the second month of
    :func:`coaching.services.spending.spending_forecast` (monthly, from this month on).
    ``log=False`` (a page, which writes nothing) leaves out the prediction log."""
    answer = spending_forecast(workspace=ctx.workspace, frequency=Frequency.MONTHLY, horizon=2, today=ctx.today,
                               user=user, log=log)
    return {
        "month": answer["periods"][1]["start"].isoformat(),
        "currency": answer["currency"],
        "total": _next_month(answer["total"]),
        "categories": [{"category": c["category"], "name": c["name"], "last_month": c["last_period"],
                        "average_3_months": c["recent_average"], "forecast": _next_month(c)}
                       for c in answer["categories"]],
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
