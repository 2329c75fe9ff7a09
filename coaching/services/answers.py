"""The cached coaching answers: each kind of :mod:`coaching.services.prediction_cache`
computed one way for the API and for the warm-up task (:func:`prediction_cache_warm`),
so that a warmed answer is the very one a request would get."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from coaching.models import BehavioralEvent
from coaching.selectors import coaching_context
from coaching.services.cash_forecast import financial_forecast
from coaching.services.insights import insights_for
from coaching.services.patterns import spending_patterns
from coaching.services.peers import peer_comparison
from coaching.services.personality import financial_personality
from coaching.services.prediction_cache import KINDS, prediction_cache_is_cached, prediction_cached
from coaching.services.preferences import category_preferences
from coaching.services.segment_insights import segment_insights
from finance.models import Membership, Workspace
from forecasting.registry.generation import cache_is_shared

logger = logging.getLogger(__name__)
Compute = Callable[..., dict[str, Any]]


def _insights(*, workspace: Workspace, user: AbstractBaseUser, today: dt.date) -> dict[str, Any]:
    ctx = coaching_context(workspace=workspace, today=today)
    return {"workspace": workspace.pk, "insights": [i.as_dict() for i in insights_for(ctx=ctx, user=user)]}


def _peers(*, workspace: Workspace, user: AbstractBaseUser, today: dt.date) -> dict[str, Any]:
    return {"workspace": workspace.pk} | peer_comparison(workspace=workspace, user=user, today=today)


#: kind → how it is computed (keyword arguments: workspace, user, today and the kind's parameters).
ANSWERS: dict[str, Compute] = {
    "spending_patterns": lambda *, workspace, user, today, months: spending_patterns(
        workspace=workspace, today=today, months=months),
    "category_preferences": category_preferences,
    "financial_personality": financial_personality,
    "segment_insights": segment_insights,
    "financial_forecast": lambda *, workspace, user, today, frequency, horizon: financial_forecast(
        workspace=workspace, today=today, frequency=frequency, horizon=horizon),
    "insights": _insights,
    "peer_comparison": _peers,
}
#: The parameters a request that sets none asks with (what the warm-up computes).
DEFAULTS: dict[str, dict[str, Any]] = {
    "spending_patterns": {"months": 12}, "category_preferences": {"months": 3},
    "financial_forecast": {"frequency": None, "horizon": None},
}


def coaching_answer(
    *, kind: str, workspace: Workspace, user: AbstractBaseUser, params: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The answer of ``kind`` for the member, from the cache or computed (and cached)."""
    today = today or timezone.localdate()
    params = DEFAULTS.get(kind, {}) | dict(params or {})
    return prediction_cached(
        kind=kind, workspace_id=workspace.pk, user_id=user.pk, params=params, today=today,
        compute=lambda: ANSWERS[kind](workspace=workspace, user=user, today=today, **params),
    )


@dataclass
class WarmReport:
    members: int = 0
    computed: int = 0
    cached: int = 0  # already in the cache
    failed: int = 0
    skipped: str = ""  # why nothing was warmed
    kinds: dict[str, int] = field(default_factory=dict)  # kind → answers computed


def active_memberships(*, since: dt.datetime) -> list[Membership]:
    """The memberships of users who signed in, or did anything in that workspace, since
    ``since``. Two queries."""
    acted = set(BehavioralEvent.objects.filter(timestamp__gte=since).values_list("workspace_id", "user_id")
                .distinct().order_by())
    rows = (Membership.objects.select_related("workspace", "user")
            .filter(Q(user__last_login__gte=since) | Q(workspace_id__in={w for w, _ in acted}))
            .order_by("workspace_id", "user_id"))
    return [m for m in rows if (m.user.last_login and m.user.last_login >= since) or (m.workspace_id, m.user_id)
            in acted]


def prediction_cache_warm(*, now: dt.datetime | None = None) -> WarmReport:
    """Compute every kind's default answer not cached yet for each member active within
    ``COACHING_CACHE_WARM_ACTIVE_DAYS`` (once per workspace for the kinds that do not
    depend on the member); an answer that fails is logged and counted, the others go on.
    Nothing is done when the cache is local to this process (no request would see it)."""
    if not cache_is_shared():
        return WarmReport(skipped="The cache is local to each process (CACHE_URL=locmemcache://): a warm-up in the "
                                  "worker would serve no request.")
    now = now or timezone.now()
    members = active_memberships(since=now - dt.timedelta(days=settings.COACHING_CACHE_WARM_ACTIVE_DAYS))
    report = WarmReport(members=len(members))
    done: set[tuple[str, int]] = set()
    for membership in members:
        for kind in ANSWERS:  # (the cache's other kinds are parts of these answers)
            spec = KINDS[kind]
            if not spec.per_user and (kind, membership.workspace_id) in done:
                continue
            done.add((kind, membership.workspace_id))
            params = DEFAULTS.get(kind, {})
            if prediction_cache_is_cached(kind=kind, workspace_id=membership.workspace_id,
                                          user_id=membership.user_id, params=params):
                report.cached += 1
                continue
            try:
                coaching_answer(kind=kind, workspace=membership.workspace, user=membership.user)
            except Exception:  # one workspace's failure must not stop the others' warm-up
                logger.exception("Warming %s of user %s in workspace %s failed", kind, membership.user_id,
                                 membership.workspace_id)
                report.failed += 1
                continue
            report.computed += 1
            report.kinds[kind] = report.kinds.get(kind, 0) + 1
    return report
