"""Financial personality (``GET /api/v1/financial/financial-personality/``): a profile of
how the workspace handles money, from rules over features of its books and of the
member's behaviour, every rule shown with its value, threshold and whether it holds.

Features, over the last :data:`MONTHS` complete months (the segmentation's window):
the segmentation's ``savings_rate``, ``spending_volatility``, ``discretionary_share`` and
``goal_progress`` (:func:`coaching.services.segments.workspace_features`) and the member's
``engagement`` (events a week over 90 days); ``spending_trend`` (the total expenses'
relative slope a month, :func:`coaching.services.patterns.trend_of`); ``recurring_share``
(the share paid to recurring bills, :func:`coaching.services.patterns.recurring_spending`);
``budget_adherence`` (the share of budget-months of the last :data:`BUDGET_MONTHS` complete
months kept within the limit; none without budgets) and ``goals`` (how many).

A profile's score is the share of its rules that hold among those that apply (a rule on
a feature that is none — no budgets, no goals — does not count). The personality is the
profile with the highest score (ties in the order of :data:`PROFILES`), or ``balanced``
when none reaches :data:`MIN_SCORE`. The member's segment (k-means on the same features)
is shown beside it.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from coaching.selectors import (
    books_monthly,
    complete_months,
    goals_by_workspace,
    member_event_count,
    segment_assignment_get,
)
from coaching.services.patterns import recurring_spending, trend_of
from coaching.services.segments import ENGAGEMENT_DAYS, FEATURE_MONTHS, workspace_features
from finance.models import Workspace
from finance.months import add_months
from finance.selectors import budget_usage_for_month

MONTHS = FEATURE_MONTHS
BUDGET_MONTHS = 3
MIN_SCORE = 0.5


@dataclass(frozen=True)
class Profile:
    key: str
    label: str
    description: str


PROFILES = (
    Profile("saver", "Saver", "Keeps a good part of what comes in, spends little on extras and funds goals."),
    Profile("planner", "Planner", "Spends to a plan: budgets kept, regular bills, steady months, goals watched."),
    Profile("spender", "Spender", "Spends most of what comes in, much of it on extras, and more each month."),
)
BALANCED = Profile("balanced", "Balanced", "No single habit stands out: none of the profiles' rules mostly hold.")


@dataclass(frozen=True)
class Rule:
    profile: str
    feature: str
    comparison: str  # ">=", "<=", "<"
    threshold: float
    text: str


RULES = (
    Rule("saver", "savings_rate", ">=", 0.20, "keeps at least 20 % of revenue"),
    Rule("saver", "discretionary_share", "<=", 0.25, "spends at most 25 % on discretionary categories"),
    Rule("saver", "goal_progress", ">=", 0.50, "has funded at least half of its goals on average"),
    Rule("planner", "budget_adherence", ">=", 0.80, "keeps at least 80 % of its budget-months within the limit"),
    Rule("planner", "recurring_share", ">=", 0.40, "pays at least 40 % of its spending as regular bills"),
    Rule("planner", "spending_volatility", "<=", 0.15, "varies its monthly spending by at most 15 %"),
    Rule("planner", "engagement", ">=", 1.0, "checks its finances at least once a week"),
    Rule("spender", "savings_rate", "<", 0.05, "keeps less than 5 % of revenue"),
    Rule("spender", "discretionary_share", ">=", 0.35, "spends at least 35 % on discretionary categories"),
    Rule("spender", "spending_trend", ">=", 0.02, "spends at least 2 % more each month"),
)
COMPARE = {">=": operator.ge, "<=": operator.le, "<": operator.lt}


def personality_features(*, workspace: Workspace, user: AbstractBaseUser, today: dt.date) -> dict[str, Any]:
    """The features the rules read (see the module docstring); ``None`` where one does not
    apply. Eight queries."""
    months = complete_months(today=today, count=MONTHS)
    books = books_monthly(workspace_ids=[workspace.pk], months=months)[workspace.pk]
    goals = goals_by_workspace(workspace_ids=[workspace.pk]).get(workspace.pk, [])
    features: dict[str, Any] = workspace_features(books=books, goals=goals)
    events = member_event_count(workspace=workspace, user=user,
                                since=timezone.now() - dt.timedelta(days=ENGAGEMENT_DAYS))
    spent = float(books.expense.sum())
    recurring, _ = recurring_spending(workspace=workspace, start=months[0], end=add_months(months[-1], 1),
                                      today=today).total
    kept = [use.spent <= use.limit for month in complete_months(today=today, count=BUDGET_MONTHS)
            for use in budget_usage_for_month(workspace=workspace, month=month)]
    features |= {
        "goal_progress": features["goal_progress"] if goals else None,
        "engagement": events / (ENGAGEMENT_DAYS / 7),
        "spending_trend": trend_of(books.expense)["percent_per_month"],
        "recurring_share": recurring / spent if spent > 0 else None,
        "budget_adherence": sum(kept) / len(kept) if kept else None,
        "goals": len(goals),
    }
    features.pop("top_category_share")
    return {name: round(value, 4) if isinstance(value, float) else value for name, value in features.items()} | {
        "has_books": books.has_data}


def financial_personality(*, workspace: Workspace, user: AbstractBaseUser, today: dt.date) -> dict[str, Any]:
    """The profile with its scores, every rule's verdict, the features and the segment."""
    features = personality_features(workspace=workspace, user=user, today=today)
    has_books = features.pop("has_books")
    assignment = segment_assignment_get(workspace=workspace, user=user)
    base = {
        "workspace": workspace.pk, "currency": workspace.currency, "months": MONTHS, "features": features,
        "segment": None if assignment is None else {"key": assignment.segment.key, "name": assignment.segment.name},
    }
    if not has_books:
        return base | {"available": False, "personality": None, "label": None, "description": None, "scores": [],
                       "reasons": [], "reason": f"No approved transactions in the last {MONTHS} complete months: add "
                                                "or import your books, and the profile follows."}
    reasons = []
    for rule in RULES:
        value = features[rule.feature]
        met = None if value is None else bool(COMPARE[rule.comparison](value, rule.threshold))
        reasons.append({"personality": rule.profile, "feature": rule.feature, "value": value,
                        "comparison": rule.comparison, "threshold": rule.threshold, "met": met, "text": rule.text})
    scores = []
    for profile in PROFILES:
        verdicts = [r["met"] for r in reasons if r["personality"] == profile.key and r["met"] is not None]
        scores.append({"personality": profile.key, "label": profile.label, "rules_met": sum(verdicts),
                       "rules_applicable": len(verdicts),
                       "score": round(sum(verdicts) / len(verdicts), 4) if verdicts else 0.0})
    best = max(scores, key=lambda s: (s["score"], -[p.key for p in PROFILES].index(s["personality"])))
    profile = next(p for p in PROFILES if p.key == best["personality"]) if best["score"] >= MIN_SCORE else BALANCED
    return base | {"available": True, "reason": "", "personality": profile.key, "label": profile.label,
                   "description": profile.description, "scores": scores, "reasons": reasons}
