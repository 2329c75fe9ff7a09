"""Rule-based insights from the books: what deserves the user's attention now.

* ``over_budget`` — a budget's category has spent more than the budget this month
  (weekly and yearly budgets converted to a month, as on the overview page).
* ``category_growth`` — a category's spending last month is at least
  :data:`~coaching.selectors.GROWTH_RATIO` × its average of the three months before, and
  at least :data:`~coaching.selectors.GROWTH_MIN_AMOUNT` more (so small amounts do not
  raise alarms): :meth:`~coaching.selectors.CoachingContext.growing_categories`, the rule
  the ``curb_category_growth`` recommendation uses too.
* ``goal_off_track`` — a goal is unlikely (probability < 50 %) to be reached by its
  deadline at the current saving pace (:mod:`coaching.services.predictions`).
* ``behaviour_change`` — for the member asking: how often they use the product changed
  markedly in the last 30 days against their own baseline (:mod:`coaching.behaviour.changes`);
  one insight per direction, from the measure that changed most surely.

Warnings first, then by size of the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from coaching.behaviour.changes import DROP, RISE, BehaviourChange, behaviour_changes
from coaching.behaviour.features import member_events
from coaching.selectors import CoachingContext
from coaching.services.predictions import GoalPrediction, goals_predict
from coaching.services.recommendations import money


@dataclass(frozen=True)
class Insight:
    kind: str
    severity: str  # "warning" or "info"
    title: str
    text: str
    data: dict[str, Any]
    weight: float  # how large the problem is, in money (for ordering)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "title": self.title, "text": self.text,
                "data": self.data}


def _over_budget(ctx: CoachingContext) -> list[Insight]:
    cur = ctx.workspace.currency
    out = []
    for use in ctx.budgets:
        if not use.is_over:
            continue
        name, over = use.budget.category.name, float(use.spent - use.limit)
        out.append(Insight(
            "over_budget", "warning", f"{name} is over budget",
            f"{name} has spent {money(float(use.spent), cur)} of its {money(float(use.limit), cur)} budget this "
            f"month ({use.percent}%), {money(over, cur)} over.",
            {"category": use.budget.category_id, "budget": use.budget.pk, "limit": float(use.limit),
             "spent": float(use.spent), "percent": use.percent}, over,
        ))
    return out


def _category_growth(ctx: CoachingContext) -> list[Insight]:
    cur, month = ctx.workspace.currency, ctx.books.months[-1]
    out = []
    for grown in ctx.growing_categories():
        series, last, before, growth = grown.series, grown.last, grown.before, grown.growth
        out.append(Insight(
            "category_growth", "info", f"{series.name} is growing",
            f"{series.name}: {money(last, cur)} in {month:%B %Y}, up {growth:.0%} on its {money(before, cur)} "
            "average of the three months before.",
            {"category": series.category_id, "month": month.isoformat(), "last_month": round(last, 2),
             "previous_average": round(before, 2), "growth": round(growth, 4)}, last - before,
        ))
    return out


def _goals_off_track(ctx: CoachingContext, goals: list[GoalPrediction]) -> list[Insight]:
    cur = ctx.workspace.currency
    out = []
    for p in goals:
        if p.on_track or p.months_left <= 0:
            continue
        need = f"{money(p.required_monthly, cur)} a month" if p.required_monthly is not None else "more"
        out.append(Insight(
            "goal_off_track", "warning", f"“{p.goal.name}” is off track",
            f"At {money(p.monthly_mean, cur)} a month, “{p.goal.name}” has a {p.probability:.0%} chance of reaching "
            f"{money(float(p.goal.target_amount), cur)} by {p.goal.deadline:%Y-%m-%d}; it needs {need}.",
            {"goal": p.goal.pk, "probability": round(p.probability, 4), "monthly_mean": round(p.monthly_mean, 2),
             "required_monthly": None if p.required_monthly is None else round(p.required_monthly, 2)},
            p.remaining,
        ))
    return out


def behaviour_change_insights(changes: list[BehaviourChange]) -> list[Insight]:
    """The member's flagged behaviour changes as insights: per direction, the measure with
    the largest ``|z|`` (fewer visits mean fewer events too), naming the others."""
    window, baseline = settings.BEHAVIOUR_CHANGE_WINDOW_DAYS, settings.BEHAVIOUR_BASELINE_DAYS
    out = []
    for direction in (DROP, RISE):
        found = sorted((c for c in changes if c.flagged and c.direction == direction), key=lambda c: -abs(c.z or 0))
        if not found:
            continue
        top = found[0]
        drop = direction == DROP
        text = (f"In the last {window} days: {top.window_mean:.1f} {top.label}, against {top.baseline_mean:.1f} in "
                f"the {baseline} days before ({top.change:+.0%}).")
        text += (" Books kept up to date keep the forecasts and budget warnings right." if drop else "")
        out.append(Insight(
            "behaviour_change", "warning" if drop else "info",
            "You have been less active lately" if drop else "You have been more active lately", text,
            {"measure": top.measure, "direction": direction, "window_mean": top.window_mean,
             "baseline_mean": top.baseline_mean, "change": top.change, "z": top.z, "window_days": window,
             "baseline_days": baseline, "also": [c.measure for c in found[1:]]}, 0.0,
        ))
    return out


def insights_for(
    *, ctx: CoachingContext, goals: list[GoalPrediction] | None = None, user: AbstractBaseUser | None = None,
) -> list[Insight]:
    """Every insight of the workspace (pass ``goals`` when already predicted), and with
    ``user`` that member's behaviour changes (one more query)."""
    goals = goals if goals is not None else goals_predict(ctx=ctx)
    found = _over_budget(ctx) + _category_growth(ctx) + _goals_off_track(ctx, goals)
    if user is not None:
        events = member_events(user=user, workspace=ctx.workspace, today=ctx.today)
        found += behaviour_change_insights(behaviour_changes(events=events))
    return sorted(found, key=lambda i: (i.severity != "warning", -i.weight, i.kind, i.title))
