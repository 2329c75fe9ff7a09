"""Category preferences (``GET /api/v1/financial/category-preferences/``): where the
workspace's spending goes over the last ``months`` complete months — each expense
category's amount, share of the spending, payments, average payment, rank and whether it
is discretionary (:mod:`coaching.categories`) — and how that share compares with the
other workspaces of the member's segment.

The peers are :func:`coaching.services.peers.peer_group`'s (the same privacy rules as the
peer comparison): at least :data:`~coaching.services.peers.MIN_PEERS` other workspaces,
and again at least that many spending on a category (matched by name, without case) for
its comparison. Published per category: the smoothed median and quartiles of those peers'
shares (:func:`~coaching.services.peers.smoothed_quantile`: each figure a mean of two or
three workspaces' values), rounded to whole percentage points; how many peers spend on it
(``with_category``); and the difference between your share and the median, in points.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser

from coaching.categories import is_discretionary
from coaching.selectors import (
    books_monthly,
    category_spending,
    complete_months,
    segment_assignment_get,
)
from coaching.services.peers import MIN_PEERS, peer_group, smoothed_quantile
from finance.models import Workspace
from finance.months import add_months

DEFAULT_MONTHS, MIN_MONTHS, MAX_MONTHS = 3, 1, 12


def _share(value: float) -> float:
    return round(value, 2)


def _peer_shares(peer_ids: list[int], months: list[dt.date]) -> list[dict[str, float]]:
    """Each peer's share of its spending per category name (lower case)."""
    books = books_monthly(workspace_ids=peer_ids, months=months)
    out = []
    for pk in peer_ids:
        spent = float(books[pk].expense.sum())
        shares: dict[str, float] = defaultdict(float)
        if spent > 0:
            for series in books[pk].categories.values():
                shares[series.name.strip().lower()] += float(series.values.sum()) / spent
        out.append(dict(shares))
    return out


def _peer_figures(share: float, values: list[float], peers: int) -> dict[str, Any] | None:
    if len(values) < MIN_PEERS:
        return None
    array = np.array(values, dtype=float)
    median = smoothed_quantile(array, 0.5)
    return {
        "median_share": _share(median), "p25_share": _share(smoothed_quantile(array, 0.25)),
        "p75_share": _share(smoothed_quantile(array, 0.75)), "with_category": len(values), "peers": peers,
        "difference_points": round((share - median) * 100, 1),
    }


def category_preferences(
    *, workspace: Workspace, user: AbstractBaseUser, today: dt.date, months: int = DEFAULT_MONTHS,
) -> dict[str, Any]:
    """The preferences and, when the segment allows, the peers' shares. Three queries
    without peers, four with them."""
    window = complete_months(today=today, count=months)
    start, end = window[0], add_months(window[-1], 1)
    rows = category_spending(workspace=workspace, start=start, end=end)
    spent = sum(row.total for row in rows)
    group = peer_group(workspace=workspace, assignment=segment_assignment_get(workspace=workspace, user=user))
    peers = _peer_shares(group.workspace_ids, window) if group.available else []
    categories = []
    for rank, row in enumerate(rows, start=1):
        share = row.total / spent if spent > 0 else 0.0
        name = row.name.strip().lower()
        values = [p[name] for p in peers if p.get(name, 0) > 0]
        categories.append({
            "category": row.category_id, "name": row.name, "rank": rank, "spent": round(row.total, 2),
            "share": round(share, 4), "transactions": row.count,
            "average_transaction": round(row.total / row.count, 2), "discretionary": is_discretionary(row.name),
            "peers": _peer_figures(share, values, len(peers)) if peers else None,
        })
    segment = group.segment
    return {
        "workspace": workspace.pk, "currency": workspace.currency, "months": months, "start": start,
        "end": end - dt.timedelta(days=1), "spent": round(spent, 2),
        "discretionary_share": round(sum(r.total for r in rows if is_discretionary(r.name)) / spent, 4)
        if spent > 0 else 0.0,
        "segment": None if segment is None else {"key": segment.key, "name": segment.name},
        "peers": len(group.workspace_ids), "comparison_available": group.available, "reason": group.reason,
        "categories": categories,
    }
