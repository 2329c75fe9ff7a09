"""Segment insights (``GET /api/v1/coaching/segment-insights/``): the member's segment,
how the workspace's features (as the last segmentation read them) stand against the
segment's centre, and the peers' spending aggregates — under the peer comparison's
privacy rules (:mod:`coaching.services.peers`): the centre only when
:func:`~coaching.services.peers.segment_details_shown`, aggregates only with enough peers.

An insight is written for each feature at least :data:`NOTABLE` away from the centre
(the rates in points, engagement in events a week), largest gaps first, and for the
total spending when it lies in the peers' top or bottom quarter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from coaching.models import SegmentationRun
from coaching.selectors import segment_assignment_get
from coaching.services.peers import (
    MIN_PEERS,
    NOT_SEGMENTED,
    peer_comparison_for_assignment,
    segment_details_shown,
)
from coaching.services.segments import FEATURES
from finance.models import Workspace

LABELS = {
    "savings_rate": "savings rate", "spending_volatility": "month-to-month variation of spending",
    "discretionary_share": "discretionary share of spending", "top_category_share": "share of the largest category",
    "goal_progress": "goal funding", "engagement": "weekly activity",
}
#: How far from the centre a feature must be to be worth an insight.
NOTABLE = {"engagement": 0.5} | {name: 0.05 for name in FEATURES if name != "engagement"}


def _shown(name: str, value: float) -> str:
    return f"{value:.1f} events a week" if name == "engagement" else f"{value:.0%}"


def _profile(features: dict[str, float], centre: dict[str, float] | None) -> list[dict[str, Any]]:
    rows = []
    for name in FEATURES:
        yours = features.get(name)
        theirs = None if centre is None else centre.get(name)
        difference = None if yours is None or theirs is None else round(yours - theirs, 4)
        direction = None if difference is None else (
            "above" if difference >= NOTABLE[name] else "below" if difference <= -NOTABLE[name] else "close")
        rows.append({"feature": name, "label": LABELS[name], "yours": yours, "segment": theirs,
                     "difference": difference, "direction": direction})
    return rows


def _insights(profile: list[dict[str, Any]], peers: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    notable = [row for row in profile if row["direction"] in ("above", "below")]
    for row in sorted(notable, key=lambda r: -abs(r["difference"]) / NOTABLE[r["feature"]]):
        out.append({"feature": row["feature"], "text": (
            f"Your {row['label']} ({_shown(row['feature'], row['yours'])}) is {row['direction']} your segment's "
            f"({_shown(row['feature'], row['segment'])}).")})
    total = peers.get("total")
    if total is not None and (total["your_percentile"] >= 75 or total["your_percentile"] <= 25):
        more = total["your_percentile"] >= 75
        out.append({"feature": "spending", "text": (
            f"You spend {'more' if more else 'less'} a month than three quarters "
            f"of your {total['peers']} peers ({total['yours']:,.2f} {peers['currency']} against a median of "
            f"{total['peer_median']:,.2f} {peers['currency']}).")})
    return out


def segment_insights(*, workspace: Workspace, user: AbstractBaseUser, today: dt.date) -> dict[str, Any]:
    """The insights, or ``available: false`` with the reason. Four queries."""
    assignment = segment_assignment_get(workspace=workspace, user=user)
    peers = peer_comparison_for_assignment(workspace=workspace, assignment=assignment, today=today)
    peers.setdefault("currency", workspace.currency)
    peers.setdefault("months", 0)
    run = SegmentationRun.objects.filter(status=SegmentationRun.Status.CURRENT).first()
    base = {"workspace": workspace.pk, "currency": workspace.currency, "peers": peers,
            "run": None if run is None else {"number": run.number, "computed_at": run.computed_at,
                                             "silhouette": run.silhouette, "k": run.k}}
    if assignment is None:
        return base | {"available": False, "reason": NOT_SEGMENTED, "segment": None, "profile": [], "insights": []}
    segment = assignment.segment
    shown = segment_details_shown(segment=segment)
    profile = _profile(assignment.features, segment.centroid if shown else None)
    reason = "" if shown else (
        f"Your segment's profile is shown once at least {MIN_PEERS} other workspaces share it "
        f"({segment.workspace_count - 1} do now).")
    return base | {
        "available": True, "reason": reason,
        "segment": {"key": segment.key, "name": segment.name, "kind": segment.kind,
                    "description": segment.description if shown else None, "size": segment.size,
                    "workspace_count": segment.workspace_count, "computed_at": segment.computed_at,
                    "assigned_at": assignment.computed_at, "distance": assignment.distance},
        "profile": profile, "insights": _insights(profile, peers),
    }
