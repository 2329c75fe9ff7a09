"""Spending and goal predictions.

**Spending** — next calendar month's expenses, in total and per category, read off the
monthly forecast of :mod:`coaching.services.spending` (the deployed forecaster where there
is one, else the forecasting engine's race).

**Goals** — the chance of reaching each goal by its deadline, its trajectory, expected
date, risk factors and suggested adjustments, by the Monte Carlo simulation of
:mod:`coaching.services.goals` over the goal's observed monthly contributions, taken from
the last :data:`GOAL_MONTHS` complete months (from the first month they begin on), in
this order:

1. ``history``: the month-to-month growth of the goal's saved amount as recorded in its
   history (:class:`~finance.models.GoalProgress`, written by every change of the saved
   amount), from the month after its first record on — when that gives at least
   :data:`MIN_HISTORY_MONTHS` months;
2. ``contributions``: the contributions its members recorded (``goal_modification``
   events with ``action = "contribute"``), when there are any;
3. ``net_savings_share``: the workspace's net savings (revenue − expenses) per month,
   shared equally among its unfinished goals.

The average and spread shown are those of the last twelve of those months (the pool of
the simulation's draws). Risk factors: **contributions falling** (the last three months'
average under :data:`FALLING_RATIO` of the nine before), **spending rising** (the workspace's expenses
of the last three months :data:`RISING_RATIO` above the nine before), **deadline near**
(under :data:`NEAR_MONTHS` months left with money still to save) or passed, and **pace
short** (the average contribution under what is needed a month).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from coaching.selectors import (
    CoachingContext,
    complete_months,
    goal_contributions_monthly,
    goal_saved_month_ends,
)
from coaching.services.goals import (
    DAYS_PER_MONTH,
    POOL_MONTHS,
    SIMULATIONS,
    TARGET_PROBABILITY,
    Simulation,
    goal_rng,
    goal_simulate,
    months_later,
)
from coaching.services.recommendations import money
from coaching.services.spending import spending_forecast
from finance.models import Goal
from finance.months import add_months
from forecasting.series.frequency import Frequency

GOAL_MONTHS = 36
MIN_HISTORY_MONTHS = 3
FALLING_RATIO = 0.75
RISING_RATIO = 1.10
NEAR_MONTHS = 3


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
                        "average_3_months": c["recent_average"], "trend": c["trend"], "forecast": _next_month(c)}
                       for c in answer["categories"]],
    }


# --- goals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskFactor:
    kind: str  # contributions_falling, spending_rising, deadline_near, deadline_passed, pace_short
    text: str
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "data": self.data}


@dataclass(frozen=True)
class GoalPrediction:
    goal: Goal
    basis: str  # "history", "contributions" or "net_savings_share"
    monthly: np.ndarray  # the observed monthly contributions, oldest first (the simulation's history)
    remaining: float
    months_left: float
    today: dt.date
    simulation: Simulation
    risk_factors: list[RiskFactor] = field(default_factory=list)

    @property
    def monthly_mean(self) -> float:
        return float(self.monthly[-POOL_MONTHS:].mean()) if len(self.monthly) else 0.0

    @property
    def monthly_std(self) -> float:
        return float(self.monthly[-POOL_MONTHS:].std(ddof=1)) if len(self.monthly) > 1 else 0.0

    @property
    def probability(self) -> float:
        return self.simulation.probability

    @property
    def required_monthly(self) -> float | None:
        if self.remaining <= 0:
            return 0.0
        return self.remaining / self.months_left if self.months_left > 0 else None

    @property
    def expected_date(self) -> dt.date | None:
        months = self.simulation.expected_months
        return None if months is None else months_later(self.today, months)

    @property
    def reached(self) -> bool:
        return self.remaining <= 0

    @property
    def on_track(self) -> bool:
        return self.reached or self.probability >= 0.5

    @property
    def suggested_deadline(self) -> dt.date | None:
        months = self.simulation.suggested_months
        return None if months is None else add_months(self.today, months)

    def as_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal.pk, "name": self.goal.name, "target_amount": float(self.goal.target_amount),
            "saved_amount": float(self.goal.saved_amount), "deadline": self.goal.deadline.isoformat(),
            "remaining": round(max(self.remaining, 0.0), 2), "basis": self.basis,
            "monthly_mean": round(self.monthly_mean, 2), "monthly_std": round(self.monthly_std, 2),
            "months_left": round(max(self.months_left, 0.0), 2),
            "required_monthly": None if self.required_monthly is None else round(self.required_monthly, 2),
            "probability": round(self.probability, 4),
            "expected_date": self.expected_date.isoformat() if self.expected_date else None,
            "reached": self.reached, "on_track": self.on_track,
        }

    def chart(self, *, currency: str) -> dict[str, Any]:
        """What the Coaching page's trajectory chart draws (JSON-ready)."""
        return {
            "currency": currency, "target": float(self.goal.target_amount), "deadline": self.goal.deadline.isoformat(),
            "today": self.today.isoformat(),
            "points": [[p.date.isoformat(), p.median, p.lo80, p.hi80] for p in self.simulation.trajectory],
        }

    def details(self) -> dict[str, Any]:
        """:meth:`as_dict` with the observed contributions, trajectory, risk factors and adjustments."""
        sim = self.simulation
        return self.as_dict() | {
            "history_months": len(self.monthly), "contributions": [round(float(v), 2) for v in self.monthly],
            "simulations": SIMULATIONS,
            "trajectory": [p.as_dict() for p in sim.trajectory],
            "risk_factors": [r.as_dict() for r in self.risk_factors],
            "adjustments": {
                "target_probability": TARGET_PROBABILITY,
                "monthly_amount": sim.suggested_monthly,
                "deadline": self.suggested_deadline.isoformat() if self.suggested_deadline else None,
            },
        }


def _falling(monthly: np.ndarray) -> tuple[float, float] | None:
    """(last three months' average, the months' before) when contributions fell."""
    if len(monthly) < 6:
        return None
    recent, before = float(monthly[-3:].mean()), float(monthly[-POOL_MONTHS:-3].mean())
    return (recent, before) if before > 0 and recent < before * FALLING_RATIO else None


def goal_risk_factors(*, prediction: GoalPrediction, expense: np.ndarray, currency: str) -> list[RiskFactor]:
    """The reasons a goal may miss its deadline (see the module docstring); none once reached."""
    p = prediction
    if p.reached:
        return []
    found: list[RiskFactor] = []
    falling = _falling(p.monthly)
    if falling:
        found.append(RiskFactor("contributions_falling", (
            f"Contributions fell to {money(falling[0], currency)} a month over the last 3 months, from "
            f"{money(falling[1], currency)} before."), {"recent": round(falling[0], 2), "before": round(falling[1], 2)}))
    recent, before = float(expense[-3:].mean()) if len(expense) >= 3 else 0.0, (
        float(expense[-12:-3].mean()) if len(expense) >= 12 else 0.0)
    if before > 0 and recent >= before * RISING_RATIO:
        found.append(RiskFactor("spending_rising", (
            f"Spending rose to {money(recent, currency)} a month over the last 3 months, {recent / before - 1:.0%} "
            f"above the 9 months before."), {"recent": round(recent, 2), "before": round(before, 2)}))
    if p.months_left <= 0:
        found.append(RiskFactor("deadline_passed", f"The deadline has passed with {money(p.remaining, currency)} "
                                "still to save.", {"remaining": round(p.remaining, 2)}))
    elif p.months_left < NEAR_MONTHS:
        days = (p.goal.deadline - p.today).days
        found.append(RiskFactor("deadline_near", f"The deadline is {days} days away with "
                                f"{money(p.remaining, currency)} still to save.", {"days_left": days}))
    need = p.required_monthly
    if need is not None and p.monthly_mean < need:
        found.append(RiskFactor("pace_short", (
            f"It needs {money(need, currency)} a month; it has been getting {money(p.monthly_mean, currency)}."),
            {"required_monthly": round(need, 2), "monthly_mean": round(p.monthly_mean, 2)}))
    return found


def goal_predict_one(*, goal: Goal, monthly: np.ndarray, basis: str, today: dt.date) -> GoalPrediction:
    """The prediction of one goal from its observed monthly contributions (no risk factors)."""
    remaining = float(goal.target_amount - goal.saved_amount)
    months_left = (goal.deadline - today).days / DAYS_PER_MONTH
    simulation = goal_simulate(history=monthly, saved=float(goal.saved_amount), remaining=remaining,
                               months_left=months_left, today=today, rng=goal_rng(goal_id=goal.pk, today=today))
    return GoalPrediction(goal=goal, basis=basis, monthly=monthly, remaining=remaining, months_left=months_left,
                          today=today, simulation=simulation)


def goal_contributions_observed(*, ctx: CoachingContext, goals: list[Goal]) -> dict[int, tuple[str, np.ndarray]]:
    """``{goal id: (basis, monthly contributions)}`` over the last :data:`GOAL_MONTHS`
    complete months, from the first on which each begins (see the module docstring). Two
    queries."""
    months = complete_months(today=ctx.today, count=GOAL_MONTHS)
    saved = goal_saved_month_ends(goal_ids=[g.pk for g in goals], months=months)
    events = goal_contributions_monthly(workspace=ctx.workspace, months=months)
    books = ctx.books
    active = np.flatnonzero(books.revenue[-GOAL_MONTHS:] + books.expense[-GOAL_MONTHS:])
    net = (books.revenue - books.expense)[-GOAL_MONTHS:][active[0] if len(active) else GOAL_MONTHS:]
    share = net / max(sum(1 for g in goals if g.saved_amount < g.target_amount), 1)
    out = {}
    for goal in goals:
        history = np.diff(saved[goal.pk]) if goal.pk in saved else np.zeros(0)
        history = history[np.isfinite(history)]
        own = events.get(goal.pk)
        if len(history) >= MIN_HISTORY_MONTHS:
            out[goal.pk] = ("history", history)
        elif own is not None and own.any():
            out[goal.pk] = ("contributions", own[np.flatnonzero(own)[0]:])
        else:
            out[goal.pk] = ("net_savings_share", share)
    return out


def goals_predict(*, ctx: CoachingContext, goals: list[Goal] | None = None) -> list[GoalPrediction]:
    """Every goal of the workspace (or ``goals`` of it), by deadline, with its risk factors.
    Two queries besides the context's."""
    goals = ctx.goals if goals is None else goals
    observed = goal_contributions_observed(ctx=ctx, goals=ctx.goals)
    out = []
    for goal in goals:
        basis, monthly = observed[goal.pk]
        prediction = goal_predict_one(goal=goal, monthly=monthly, basis=basis, today=ctx.today)
        factors = goal_risk_factors(prediction=prediction, expense=ctx.books.expense, currency=ctx.workspace.currency)
        out.append(dataclasses.replace(prediction, risk_factors=factors))
    return out
