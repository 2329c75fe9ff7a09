"""Coaching recommendations chosen by a multi-armed bandit, and their feedback.

The **arms** are a catalogue of concrete recommendations (:data:`ARMS`). Each is written
from the workspace's own books — the amounts in its text are the user's — and is offered
only when the data supports it (no "cut dining out" without dining spending).

A **bandit strategy** chooses among the offered arms (:mod:`coaching.bandits`: Thompson
sampling by default, ε-greedy or UCB1 as the workspace's
:class:`~coaching.models.CoachingSettings` say): every (segment, arm) pair has a
Beta(alpha, beta) posterior of the chance that a member of the segment acts on the
recommendation (:class:`~coaching.models.BanditArm`, Beta(1, 1) before any feedback), the
counts every strategy reads. An arm the user has "In progress" or accepted or completed
within ``COACHING_RECOMMENDATION_COOLDOWN_DAYS`` is not offered. Each impression logs the
strategy, its propensity (the chance the strategy had of showing that arm) and the
decision it was drawn from, for offline evaluation (:mod:`coaching.services.evaluation`).
Each shown recommendation is stored as a
:class:`~coaching.models.RecommendationImpression` (a page stores its *slate* once the
browser shows it, never while rendering); the first answer to it is the reward
that updates the posterior — accepted or completed 1, dismissed 0 — and a later
"completed" after "accepted" only records the progress (one trial per impression).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from coaching.bandits import ArmStats, Strategy, Thompson, strategy_build
from coaching.categories import is_dining, is_reserve_goal, is_subscription
from coaching.models import (
    BanditArm,
    BehavioralEvent,
    CoachingSettings,
    RecommendationImpression,
    SegmentAssignment,
)
from coaching.selectors import (
    CoachingContext,
    bandit_arms_for,
    coaching_context,
    coaching_settings_get,
    recommendation_arms_resting,
    segment_assignment_get,
)
from coaching.services.events import behavioral_event_create
from finance.models import Workspace
from finance.months import add_months, month_start
from finance.selectors import GoalStatus

RECENT_MONTHS = 3
DEFAULT_COUNT = 3
MAX_COUNT = 6
REWARDS = {
    RecommendationImpression.Status.ACCEPTED: 1.0,
    RecommendationImpression.Status.COMPLETED: 1.0,
    RecommendationImpression.Status.DISMISSED: 0.0,
}
#: status now -> the answers it still takes
TRANSITIONS = {
    RecommendationImpression.Status.SHOWN: set(REWARDS),
    RecommendationImpression.Status.ACCEPTED: {RecommendationImpression.Status.COMPLETED},
}


class FeedbackRefused(ValueError):
    """The impression cannot take this answer (it was answered already)."""


class SlateRefused(FeedbackRefused):
    """A slate token that is not this user's, or too old."""


@dataclass(frozen=True)
class Offer:
    """One recommendation written for a workspace: which arm, and its text and figures."""

    arm: str
    title: str
    text: str
    data: dict[str, Any]


def money(amount: float, currency: str) -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    text = f"{abs(amount):,.0f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def round_to(amount: float, step: float) -> float:
    return float(round(amount / step) * step)


# --- the catalogue -------------------------------------------------------------------------


def _cut_dining_out(ctx: CoachingContext) -> Offer | None:
    average, names = ctx.category_average(is_dining, RECENT_MONTHS)
    if average <= 0:
        return None
    cur = ctx.workspace.currency
    saving = average * 0.2
    return Offer(
        "cut_dining_out", "Cut dining out by a fifth",
        f"You spent {money(average, cur)} a month on {', '.join(names)} over the last {RECENT_MONTHS} months. "
        f"Cutting it by 20% saves {money(saving, cur)} a month — {money(saving * 12, cur)} a year.",
        {"monthly_average": round(average, 2), "monthly_saving": round(saving, 2),
         "yearly_saving": round(saving * 12, 2), "categories": names},
    )


def _review_subscriptions(ctx: CoachingContext) -> Offer | None:
    average, names = ctx.category_average(is_subscription, RECENT_MONTHS)
    if average <= 0:
        return None
    cur = ctx.workspace.currency
    return Offer(
        "review_subscriptions", "Review your subscriptions",
        f"{', '.join(names)} cost {money(average, cur)} a month ({money(average * 12, cur)} a year) over the "
        f"last {RECENT_MONTHS} months. Cancelling the quarter you use least saves {money(average * 3, cur)} a year.",
        {"monthly_average": round(average, 2), "yearly_cost": round(average * 12, 2),
         "yearly_saving": round(average * 3, 2), "categories": names},
    )


def _automate_savings(ctx: CoachingContext) -> Offer | None:
    income = float(ctx.recent(ctx.books.revenue, RECENT_MONTHS).sum()) / RECENT_MONTHS
    if income <= 0:
        return None
    spent = float(ctx.recent(ctx.books.expense, RECENT_MONTHS).sum()) / RECENT_MONTHS
    kept, cur = income - spent, ctx.workspace.currency
    transfer = max(round_to(income * 0.1, 10), 10.0)
    return Offer(
        "automate_savings", "Automate your savings",
        f"You kept {money(kept, cur)} a month ({kept / income:.0%} of income) over the last {RECENT_MONTHS} months. "
        f"An automatic transfer of {money(transfer, cur)} (10% of income) on payday makes saving the default.",
        {"monthly_income": round(income, 2), "monthly_kept": round(kept, 2),
         "savings_rate": round(kept / income, 4), "transfer": transfer},
    )


def _build_emergency_fund(ctx: CoachingContext) -> Offer | None:
    """Three months of expenses as a cash reserve. A reserve goal is quoted with its own
    figures (its saved amount, target and what it still needs by its deadline); once it has
    reached a target below three months of expenses, the rest of the way is offered."""
    spent = float(ctx.recent(ctx.books.expense, RECENT_MONTHS).sum()) / RECENT_MONTHS
    if spent <= 0:
        return None
    reserve, cur = spent * 3, ctx.workspace.currency
    title = "Build a cash reserve" if ctx.workspace.kind == Workspace.Kind.BUSINESS else "Build an emergency fund"
    goal = next((g for g in ctx.goals if is_reserve_goal(g.name)), None)
    if goal is None:
        return Offer("build_emergency_fund", title,
                     f"Three months of expenses is {money(reserve, cur)}. You have no emergency-fund goal yet. "
                     f"Setting aside {money(reserve / 12, cur)} a month gets there in a year.",
                     {"target": round(reserve, 2), "saved": 0.0, "remaining": round(reserve, 2),
                      "monthly": round(reserve / 12, 2), "goal": None, "goal_target": None})
    status = GoalStatus(goal=goal, today=ctx.today)
    saved, goal_target = float(goal.saved_amount), float(goal.target_amount)
    if status.is_reached:
        if saved >= reserve:
            return None
        remaining, monthly = reserve - saved, (reserve - saved) / 12
        text = (f"Your “{goal.name}” goal has reached its {money(goal_target, cur)} target; three months of expenses "
                f"is {money(reserve, cur)}, {money(remaining, cur)} more. Raising the target and setting aside "
                f"{money(monthly, cur)} a month gets there in a year.")
    else:
        remaining = float(status.remaining)
        needed = status.needed_per_month
        monthly = float(needed) if needed is not None else remaining / 12
        by = f"reaches it by {goal.deadline:%B %Y}" if needed is not None else "gets there in a year"
        text = (f"Three months of expenses is {money(reserve, cur)}. Your “{goal.name}” goal holds "
                f"{money(saved, cur)} of its {money(goal_target, cur)} target, {money(remaining, cur)} to go. "
                f"Setting aside {money(monthly, cur)} a month {by}.")
    return Offer("build_emergency_fund", title, text,
                 {"target": round(reserve, 2), "saved": round(saved, 2), "remaining": round(remaining, 2),
                  "monthly": round(monthly, 2), "goal": goal.pk, "goal_target": round(goal_target, 2)})


def _stick_to_budget(ctx: CoachingContext) -> Offer | None:
    used = [b for b in ctx.budgets if b.limit > 0 and b.spent * 100 >= b.limit * 80]
    if not used:
        return None
    worst = max(used, key=lambda b: (b.spent / b.limit, -b.budget.pk))
    cur, name = ctx.workspace.currency, worst.budget.category.name
    next_month = add_months(month_start(ctx.today), 1)
    return Offer(
        "stick_to_budget", f"Hold {name} to its budget",
        f"{name} has used {worst.percent}% of its {money(float(worst.limit), cur)} budget this month "
        f"({money(float(worst.spent), cur)} spent). Pause spending there until {next_month:%B} 1.",
        {"category": worst.budget.category_id, "limit": float(worst.limit), "spent": float(worst.spent),
         "percent": worst.percent},
    )


def _curb_fastest_growing(ctx: CoachingContext) -> Offer | None:
    grown = ctx.growing_categories()
    if not grown:
        return None
    fastest = max(grown, key=lambda g: g.growth)  # the first of equals
    series, last, before, growth = fastest.series, fastest.last, fastest.before, fastest.growth
    cur = ctx.workspace.currency
    return Offer(
        "curb_category_growth", f"Rein in {series.name}",
        f"{series.name} rose to {money(last, cur)} last month, {growth:.0%} above its {money(before, cur)} average "
        f"of the three months before. Bringing it back saves {money(last - before, cur)} a month.",
        {"category": series.category_id, "last_month": round(last, 2), "previous_average": round(before, 2),
         "growth": round(growth, 4)},
    )


ARMS: dict[str, Callable[[CoachingContext], Offer | None]] = {
    "cut_dining_out": _cut_dining_out,
    "review_subscriptions": _review_subscriptions,
    "automate_savings": _automate_savings,
    "build_emergency_fund": _build_emergency_fund,
    "stick_to_budget": _stick_to_budget,
    "curb_category_growth": _curb_fastest_growing,
}


def offers_for(ctx: CoachingContext) -> list[Offer]:
    """Every recommendation the workspace's data supports, in catalogue order."""
    return [offer for build in ARMS.values() if (offer := build(ctx)) is not None]


# --- the bandit ----------------------------------------------------------------------------


def thompson_choose(
    *, posteriors: dict[str, tuple[float, float]], arms: list[str], count: int, rng: np.random.Generator
) -> list[tuple[str, float]]:
    """One Beta draw per arm (in the given order, so a seeded ``rng`` repeats), the
    ``count`` highest first. A missing posterior is Beta(1, 1)."""
    stats = {arm: ArmStats(*posteriors.get(arm, (1.0, 1.0))) for arm in arms}
    return Thompson().choose(stats, count, rng)


def strategy_for(coaching_settings: CoachingSettings) -> Strategy:
    """The bandit strategy a workspace's settings name."""
    return strategy_build(coaching_settings.strategy, epsilon=coaching_settings.epsilon,
                          samples=settings.COACHING_THOMPSON_PROPENSITY_SAMPLES)


def segment_key_of(*, workspace: Workspace, assignment: SegmentAssignment | None) -> str:
    """The bandit's key of a member's segment (``assignment`` read with its segment);
    members not segmented yet share their workspace kind's ``<kind>-unsegmented`` posteriors."""
    return assignment.segment.key if assignment else f"{workspace.kind}-unsegmented"


def segment_key_for(*, workspace: Workspace, user: AbstractBaseUser) -> str:
    """The bandit's key of the user's segment in the workspace (one query)."""
    return segment_key_of(workspace=workspace, assignment=segment_assignment_get(workspace=workspace, user=user))


def recommendations_draw(
    *,
    workspace: Workspace,
    user: AbstractBaseUser,
    count: int = DEFAULT_COUNT,
    rng: np.random.Generator | None = None,
    now: dt.datetime | None = None,
    ctx: CoachingContext | None = None,
    segment_key: str | None = None,
    strategy: Strategy | None = None,
) -> list[RecommendationImpression]:
    """Choose up to ``count`` recommendations for the user with the workspace's strategy
    (or ``strategy``): one *slate* of impressions, not stored (:func:`recommendations_record`
    stores it once it is shown), each with its propensity and the decision it came from.
    Queries: the user's segment (1, unless ``segment_key`` is given: see
    :func:`segment_key_of`), the workspace's books (3, unless ``ctx`` is given: its books
    as of ``now``'s date), and when the books support an offer: the arms resting (1), the
    posteriors (1) and the settings (1, unless ``strategy`` is given)."""
    now = now or timezone.now()
    rng = rng if rng is not None else np.random.default_rng()
    key = segment_key if segment_key is not None else segment_key_for(workspace=workspace, user=user)
    if ctx is None:
        ctx = coaching_context(workspace=workspace, today=timezone.localdate(now))
    offers = {offer.arm: offer for offer in offers_for(ctx)}
    if offers:
        resting = recommendation_arms_resting(workspace=workspace, user=user, now=now)
        offers = {arm: offer for arm, offer in offers.items() if arm not in resting}
    if not offers:
        return []
    rows = bandit_arms_for(segment_key=key)
    stats = {arm: ArmStats(rows[arm].alpha, rows[arm].beta) if arm in rows else ArmStats() for arm in offers}
    strategy = strategy or strategy_for(coaching_settings_get(workspace=workspace))
    chosen = strategy.choose(stats, count, rng)
    propensities = strategy.inclusion(stats, count)
    decision = {"arms": {arm: [s.alpha, s.beta] for arm, s in stats.items()}, "k": count, "params": strategy.params()}
    slate = uuid.uuid4()
    return [
        RecommendationImpression(
            workspace=workspace, user=user, segment_key=key, arm=arm, title=offers[arm].title,
            text=offers[arm].text, data=offers[arm].data,
            sampled_value=round(score, 6) if np.isfinite(score) else None, position=position,
            shown_at=now, slate=slate, strategy=strategy.name, propensity=propensities[arm],
            decision=decision,
        )
        for position, (arm, score) in enumerate(chosen, start=1)
    ]


@transaction.atomic
def recommendations_record(*, impressions: list[RecommendationImpression]) -> list[RecommendationImpression]:
    """Store a drawn slate as impressions, once: a slate already stored (the page's beacon
    and an answer may both bring it) is returned as it was stored."""
    if not impressions:
        return []
    stored = list(RecommendationImpression.objects.select_for_update().filter(
        slate=impressions[0].slate).order_by("position"))
    if stored:
        return stored
    RecommendationImpression.objects.bulk_create(impressions)
    return impressions


def recommendations_choose(**kwargs: Any) -> list[RecommendationImpression]:
    """:func:`recommendations_draw`, stored at once (an API answering a client shows what it
    returns; a fresh slate cannot be stored yet). Queries: those of the draw, and the
    impressions (1)."""
    impressions = recommendations_draw(**kwargs)
    if impressions:
        RecommendationImpression.objects.bulk_create(impressions)
    return impressions


# --- a slate carried by a page ----------------------------------------------------------------

SLATE_SALT = "coaching.recommendations.slate"
SLATE_MAX_AGE = 24 * 3600  # seconds a page's recommendations can still be answered


def slate_sign(impressions: list[RecommendationImpression]) -> str:
    """The page's drawn slate as a signed token (what the browser posts back when the page
    is shown, or with an answer): nothing is stored while the page renders."""
    first = impressions[0]
    return signing.dumps({
        "w": first.workspace_id, "u": first.user_id, "s": str(first.slate), "k": first.segment_key,
        "t": first.shown_at.isoformat(), "g": first.strategy, "d": first.decision,
        "o": [[i.arm, i.title, i.text, i.data, i.sampled_value, i.position, i.propensity] for i in impressions],
    }, salt=SLATE_SALT, compress=True)


def slate_unsign(token: str, *, workspace: Workspace, user: AbstractBaseUser) -> list[RecommendationImpression]:
    """The slate of a token signed for this user and workspace; ``SlateRefused`` otherwise."""
    try:
        data = signing.loads(token, salt=SLATE_SALT, max_age=SLATE_MAX_AGE)
    except signing.SignatureExpired:
        raise SlateRefused("These recommendations are out of date; reload the page.") from None
    except signing.BadSignature:
        raise SlateRefused("These recommendations were not shown to you.") from None
    if data["w"] != workspace.pk or data["u"] != user.pk:
        raise SlateRefused("These recommendations were not shown to you.")
    shown_at = dt.datetime.fromisoformat(data["t"])
    return [
        RecommendationImpression(
            workspace=workspace, user=user, segment_key=data["k"], arm=arm, title=title, text=text, data=figures,
            sampled_value=sampled, position=position, shown_at=shown_at, slate=uuid.UUID(data["s"]),
            strategy=data.get("g", ""), propensity=propensity, decision=data.get("d", {}),
        )
        for arm, title, text, figures, sampled, position, *propensity_ in data["o"]
        for propensity in [propensity_[0] if propensity_ else None]
    ]


@transaction.atomic
def recommendation_feedback(
    *, impression: RecommendationImpression, action: str, user: AbstractBaseUser, now: dt.datetime | None = None
) -> tuple[RecommendationImpression, BanditArm | None]:
    """Record the user's answer to an impression; the first answer updates the posterior
    of its (segment, arm). Returns the impression and the posterior (``None`` when the
    answer only recorded progress). Refuses answers the impression no longer takes."""
    if action not in REWARDS:
        raise FeedbackRefused(f"Unknown answer '{action}'; use one of: {', '.join(REWARDS)}.")
    locked = RecommendationImpression.objects.select_for_update().get(pk=impression.pk)
    if action not in TRANSITIONS.get(locked.status, set()):
        raise FeedbackRefused(f"This recommendation was already {locked.get_status_display().lower()}.")
    first_answer = locked.reward is None
    locked.status, locked.responded_at = action, now or timezone.now()
    arm = None
    if first_answer:
        locked.reward = REWARDS[action]
        BanditArm.objects.get_or_create(segment_key=locked.segment_key, arm=locked.arm)
        BanditArm.objects.filter(segment_key=locked.segment_key, arm=locked.arm).update(
            alpha=F("alpha") + locked.reward, beta=F("beta") + (1.0 - locked.reward), updated_at=locked.responded_at,
        )
        arm = BanditArm.objects.get(segment_key=locked.segment_key, arm=locked.arm)
    locked.save(update_fields=["status", "reward", "responded_at"])
    behavioral_event_create(
        workspace=locked.workspace, user=user, event_type=BehavioralEvent.Type.RECOMMENDATION_INTERACTION,
        data={"recommendation": locked.arm, "action": action, "impression": locked.pk, "position": locked.position},
        timestamp=locked.responded_at,
    )
    return locked, arm
