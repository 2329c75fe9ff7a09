"""Demo data, the coaching part: the books (:mod:`finance.demo`) and then the
behavioural events of five user types (saver, spender, planner, browser, occasional) —
sessions per day, hours, devices, pages, searches, budget checks, goal contributions,
recommendation interactions and purchases — each passed through
:func:`coaching.privacy.privacy_filter` before it is stored.

Deterministic: the same ``seed`` and ``end_date`` give the same rows.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from django.db import transaction

from coaching.models import BehavioralEvent
from coaching.privacy import privacy_filter
from finance.demo.calendar import DemoCalendar
from finance.demo.noise import Rng, component_rng
from finance.demo.seed import DemoSummary, demo_data_seed
from finance.demo.specs import SLUGS, USERS, DemoUser
from finance.models import Budget, Category, Goal, Workspace

EVENT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class Persona:
    """How a type of user uses the app."""

    sessions_per_day: float
    hour: tuple[float, float]  # mean and spread of the session start (UTC hours)
    events_per_session: float
    weekend: float  # sessions on Saturday/Sunday relative to a weekday
    mix: dict[str, float]  # event type -> weight
    recommendation: dict[str, float]  # shown / clicked / dismissed / implemented
    contribution: float  # typical goal contribution
    devices: dict[str, float]
    pages: dict[str, float]


PERSONAS: dict[str, Persona] = {
    "saver": Persona(
        1.3, (7.5, 1.5), 4.5, 0.9,
        {"budget_check": 0.3, "goal_modification": 0.2, "page_view": 0.3, "search": 0.08, "filter": 0.07,
         "recommendation_interaction": 0.05},
        {"shown": 0.35, "clicked": 0.25, "dismissed": 0.1, "implemented": 0.3}, 150,
        {"ios": 0.7, "web": 0.3},
        {"/budgets/": 0.35, "/goals/": 0.3, "/dashboard/": 0.2, "/transactions/": 0.1, "/insights/": 0.05},
    ),
    "spender": Persona(
        1.0, (20.5, 2.0), 5.0, 1.5,
        {"page_view": 0.3, "recommendation_interaction": 0.3, "purchase": 0.3, "search": 0.05, "budget_check": 0.03,
         "goal_modification": 0.02},
        {"shown": 0.4, "clicked": 0.4, "dismissed": 0.17, "implemented": 0.03}, 40,
        {"ios": 0.5, "android": 0.3, "web": 0.2},
        {"/dashboard/": 0.3, "/recommendations/": 0.35, "/transactions/": 0.2, "/insights/": 0.15},
    ),
    "planner": Persona(
        0.8, (9.0, 2.5), 5.0, 0.5,
        {"page_view": 0.3, "goal_modification": 0.12, "budget_check": 0.2, "filter": 0.15, "search": 0.1,
         "recommendation_interaction": 0.13},
        {"shown": 0.3, "clicked": 0.3, "dismissed": 0.15, "implemented": 0.25}, 500,
        {"web": 0.8, "ios": 0.2},
        {"/dashboard/": 0.25, "/forecasts/": 0.25, "/inventory/": 0.15, "/transactions/": 0.15, "/budgets/": 0.1,
         "/goals/": 0.1},
    ),
    "browser": Persona(
        0.35, (13.0, 3.0), 3.0, 0.4,
        {"page_view": 0.7, "search": 0.15, "filter": 0.1, "recommendation_interaction": 0.05},
        {"shown": 0.7, "clicked": 0.2, "dismissed": 0.1, "implemented": 0.0}, 0,
        {"web": 1.0},
        {"/dashboard/": 0.4, "/transactions/": 0.3, "/forecasts/": 0.2, "/inventory/": 0.1},
    ),
    "occasional": Persona(
        0.2, (10.0, 3.0), 3.0, 0.2,
        {"page_view": 0.6, "search": 0.2, "budget_check": 0.1, "recommendation_interaction": 0.1},
        {"shown": 0.6, "clicked": 0.2, "dismissed": 0.2, "implemented": 0.0}, 0,
        {"web": 1.0},
        {"/dashboard/": 0.4, "/forecasts/": 0.3, "/transactions/": 0.2, "/inventory/": 0.1},
    ),
}

RECOMMENDATIONS = {
    Workspace.Kind.BUSINESS: (
        "reorder_low_stock", "negotiate_supplier_terms", "review_software_subscriptions",
        "build_cash_reserve", "shift_staff_to_weekends", "raise_prices_on_bestsellers",
    ),
    Workspace.Kind.HOUSEHOLD: (
        "cut_dining_out", "cancel_unused_subscription", "raise_emergency_fund", "automate_savings",
        "set_grocery_budget", "compare_insurance_quotes",
    ),
}
SEARCHES = {
    Workspace.Kind.BUSINESS: ("sysco", "payroll", "rent", "square deposit", "amazon", "shell", "insurance",
                              "catering", "shopify payout", "pg&e"),
    Workspace.Kind.HOUSEHOLD: ("costco", "netflix", "starbucks", "amazon", "mortgage", "doordash", "pg&e",
                               "target", "trader joe", "uber"),
}
FILTERS = (("category", None), ("kind", ("revenue", "expense")), ("status", ("pending", "approved")),
           ("date_range", ("this_month", "last_month", "last_90_days", "this_year")))
PURCHASES = (("Amazon", "Shopping", 38), ("Target", "Shopping", 55), ("DoorDash", "Dining", 41),
             ("Starbucks", "Dining", 8), ("Apple", "Subscriptions", 10), ("Sephora", "Shopping", 62),
             ("Best Buy", "Shopping", 140), ("Uber", "Transport", 24))


class _Weighted:
    """Draws keys with the given weights (cheaper than ``rng.choice(p=…)`` per draw)."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.keys = list(weights)
        self.cumulative = list(itertools.accumulate(weights[k] for k in self.keys))

    def draw(self, rng: Rng) -> str:
        return self.keys[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


_WEIGHTED: dict[tuple[tuple[str, float], ...], _Weighted] = {}


def _pick(rng: Rng, weights: dict[str, float]) -> str:
    key = tuple(weights.items())
    table = _WEIGHTED.get(key)
    if table is None:
        table = _WEIGHTED[key] = _Weighted(weights)
    return table.draw(rng)


@dataclass
class _EventContext:
    workspace: Workspace
    categories: list[str]
    budgets: list[Budget]
    goals: list[Goal]


def _event_data(
    rng: Rng, event_type: str, persona: Persona, ctx: _EventContext, day: dt.date, device: str
) -> dict[str, Any]:
    kind = ctx.workspace.kind
    if event_type == "login":
        return {"client": device}
    if event_type == "page_view":
        return {"page": _pick(rng, persona.pages), "duration_seconds": int(rng.exponential(45)) + 3, "device": device}
    if event_type == "search":
        query = SEARCHES[kind][int(rng.integers(len(SEARCHES[kind])))]
        return {"page": "/transactions/", "query": query, "results": int(rng.integers(0, 60))}
    if event_type == "filter":
        name, values = FILTERS[int(rng.integers(len(FILTERS)))]
        options = values or tuple(ctx.categories)
        return {"page": "/transactions/", "filter": name, "value": options[int(rng.integers(len(options)))]}
    if event_type == "budget_check" and ctx.budgets:
        budget = ctx.budgets[int(rng.integers(len(ctx.budgets)))]
        month_days = calendar.monthrange(day.year, day.month)[1]
        used = 100 * day.day / month_days * rng.uniform(0.7, 1.3)
        return {"budget_id": budget.pk, "category": budget.category.name, "period": budget.period,
                "used_percent": round(float(used), 1)}
    if event_type == "goal_modification" and ctx.goals:
        goal = ctx.goals[int(rng.integers(len(ctx.goals)))]
        action = _pick(rng, {"contribute": 0.7, "edit_target": 0.15, "edit_deadline": 0.15})
        if action == "contribute":
            amount = round(float(max(persona.contribution, 20) * rng.lognormal(-0.125, 0.5)), 2)
            return {"goal_id": goal.pk, "goal": goal.name, "action": action, "field": "saved_amount",
                    "amount": amount}
        if action == "edit_target":
            old = float(goal.target_amount)
            new = round(old * float(rng.choice([0.9, 1.1, 1.2])), 2)
            return {"goal_id": goal.pk, "goal": goal.name, "action": action, "field": "target_amount",
                    "old_value": old, "new_value": new}
        new_deadline = goal.deadline + dt.timedelta(days=int(rng.choice([-30, 30, 60, 90])))
        return {"goal_id": goal.pk, "goal": goal.name, "action": action, "field": "deadline",
                "old_value": goal.deadline.isoformat(), "new_value": new_deadline.isoformat()}
    if event_type == "recommendation_interaction":
        keys = RECOMMENDATIONS[kind]
        return {"recommendation": keys[int(rng.integers(len(keys)))], "action": _pick(rng, persona.recommendation),
                "position": int(rng.integers(1, 4)), "surface": _pick(rng, {"dashboard": 0.6, "insights": 0.4})}
    if event_type == "purchase":
        merchant, category, mean = PURCHASES[int(rng.integers(len(PURCHASES)))]
        return {"merchant": merchant, "category": category, "amount": round(float(mean * rng.lognormal(-0.18, 0.6)), 2),
                "channel": _pick(rng, {"online": 0.6, "in_store": 0.4}), "planned": bool(rng.random() < 0.25)}
    return {"page": "/dashboard/", "duration_seconds": int(rng.exponential(30)) + 3, "device": device}


def _user_events(
    user: Any, spec: DemoUser, cal: DemoCalendar, seed: int, contexts: dict[str, _EventContext]
) -> list[Any]:
    persona = PERSONAS[spec.persona]
    rng = component_rng(seed, "events", spec.username)
    slugs = list(spec.activity)
    shares = np.array([spec.activity[s] for s in slugs], dtype=float)
    shares /= shares.sum()
    rate = np.where(cal.weekday >= 5, persona.sessions_per_day * persona.weekend, persona.sessions_per_day)
    sessions = rng.poisson(rate)
    events = []
    for i in np.flatnonzero(sessions):
        day = cal.days[i]
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        for _ in range(int(sessions[i])):
            ctx = contexts[slugs[int(rng.choice(len(slugs), p=shares))]]
            device = _pick(rng, persona.devices)
            hour = float(rng.normal(*persona.hour)) % 24
            at = midnight + dt.timedelta(seconds=int(hour * 3600))
            session_id = f"s{rng.integers(16**12):012x}"
            types = ["login"] if rng.random() < 0.6 else []
            types += [_pick(rng, persona.mix) for _ in range(1 + int(rng.poisson(persona.events_per_session - 1)))]
            for event_type in types:
                at += dt.timedelta(seconds=int(rng.exponential(50)) + 2)
                data = _event_data(rng, event_type, persona, ctx, day, device)
                clean, removed = privacy_filter(data)
                events.append(
                    BehavioralEvent(
                        workspace=ctx.workspace, user=user, event_type=event_type, data=clean,
                        redacted_fields=removed, session_id=session_id, timestamp=at,
                    )
                )
    return events


@transaction.atomic
def demo_events_seed(*, seed: int, start: dt.date, end: dt.date) -> int:
    """Behavioural events of every demo user over ``start``..``end`` in the demo
    workspaces (which must exist); returns how many were written."""
    from django.contrib.auth import get_user_model

    cal = DemoCalendar.build(start, end)
    users = get_user_model().objects.in_bulk([u.username for u in USERS], field_name="username")
    contexts: dict[str, _EventContext] = {}
    for workspace in Workspace.objects.filter(slug__in=SLUGS, is_demo=True).order_by("pk"):
        categories = list(Category.objects.filter(workspace=workspace).order_by("pk").values_list("name", flat=True))
        budgets = list(Budget.objects.filter(workspace=workspace).select_related("category").order_by("pk"))
        goals = list(Goal.objects.filter(workspace=workspace).order_by("pk"))
        contexts[workspace.slug] = _EventContext(workspace, categories, budgets, goals)
    written = 0
    for spec in USERS:
        batch = _user_events(users[spec.username], spec, cal, seed, contexts)
        BehavioralEvent.objects.bulk_create(batch, batch_size=EVENT_BATCH_SIZE)
        written += len(batch)
    return written


@transaction.atomic
def demo_seed(
    *,
    seed: int = 42,
    years: int = 3,
    end_date: dt.date | None = None,
    passwords: Mapping[str, str] | None = None,
    known_passwords_allowed: bool = True,
) -> DemoSummary:
    """The whole demo: the books, then the behavioural events, in one transaction. The
    demo users' passwords follow :func:`finance.demo.seed.demo_passwords_check`."""
    summary = demo_data_seed(
        seed=seed, years=years, end_date=end_date, passwords=passwords,
        known_passwords_allowed=known_passwords_allowed,
    )
    events = demo_events_seed(seed=seed, start=summary.start_date, end=summary.end_date)
    return replace(summary, events=events)
