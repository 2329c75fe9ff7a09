"""Peer comparison: a workspace's monthly spending per category against the other
workspaces of the user's segment — as aggregates only.

Privacy rules:

* Peers are **distinct workspaces** (the books are a workspace's, shared by its members),
  never the user's own workspace, and a comparison needs at least
  :data:`MIN_PEERS` of them — for the whole comparison and again for each category
  (only peers whose books have a category of the same name count for it).
* Only aggregates leave this module: the median and the 25th and 75th percentiles,
  rounded to :data:`ROUND_TO`, how many peers, and the user's own percentile among them.
  No peer's name, id or row is returned, and with five or more workspaces behind every
  figure none can be attributed to one of them.
* **No published figure is one workspace's own value.** A plain percentile of five
  values is an order statistic (with five peers ``np.percentile``'s p25, median and p75
  are exactly the 2nd, 3rd and 4th peer's figures). So each quantile ``q`` is published as
  the mean of the order statistics within one rank of its position ``h = q·(n − 1)``
  (sorted values ``x₀ ≤ … ≤ xₙ₋₁``; ranks ``j`` with ``|j − h| ≤ 1``): two values when
  ``h`` falls between ranks, three when it falls on one (five peers: p25 = mean(x₀, x₁, x₂),
  median = mean(x₁, x₂, x₃), p75 = mean(x₂, x₃, x₄)). Every figure is then a mean of at
  least two workspaces' values (see :func:`smoothed_quantile`).
* A segment's ``description`` and ``centroid`` (the mean of its members' features) are
  shown only when the segment holds at least :data:`MIN_PEERS` workspaces besides the
  viewer's own (:func:`segment_details_shown`): with two, the centre and your own
  features give the other workspace's away (``2·centre − yours``).

Amounts are monthly averages over the last :data:`PEER_MONTHS` complete months.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from scipy.stats import percentileofscore

from coaching.models import Segment, SegmentAssignment
from coaching.selectors import (
    books_monthly,
    complete_months,
    segment_assignment_get,
    segment_peer_workspaces,
)
from finance.models import Workspace

MIN_PEERS = 5
PEER_MONTHS = 3
ROUND_TO = 10


def segment_details_shown(*, segment: Segment) -> bool:
    """Whether a member may see the segment's description and centroid: it must hold at
    least :data:`MIN_PEERS` workspaces other than the member's own (which is in it)."""
    return segment.workspace_count - 1 >= MIN_PEERS


def smoothed_quantile(values: np.ndarray, q: float) -> float:
    """The mean of the order statistics within one rank of the ``q`` quantile's position
    ``q·(n − 1)`` — two or three values, never one (needs at least two values)."""
    ordered = np.sort(np.asarray(values, dtype=float))
    if len(ordered) < 2:
        raise ValueError("A smoothed quantile needs at least two values.")
    position = q * (len(ordered) - 1)
    ranks = np.arange(len(ordered))
    return float(ordered[np.abs(ranks - position) <= 1 + 1e-9].mean())


def _aggregate(yours: float, peers: list[float]) -> dict[str, Any]:
    values = np.array(peers, dtype=float)
    p25, median, p75 = (smoothed_quantile(values, q) for q in (0.25, 0.5, 0.75))

    def rounded(value: float) -> float:
        return float(round(value / ROUND_TO) * ROUND_TO)

    return {
        "yours": round(yours, 2),
        "peer_median": rounded(median),
        "peer_p25": rounded(p25),
        "peer_p75": rounded(p75),
        "your_percentile": round(float(percentileofscore(values, yours, kind="mean"))),
        "peers": len(peers),
    }


def peer_comparison(*, workspace: Workspace, user: AbstractBaseUser, today: Any) -> dict[str, Any]:
    """The comparison, or ``available: false`` with the reason. Three queries."""
    assignment = segment_assignment_get(workspace=workspace, user=user)
    return peer_comparison_for_assignment(workspace=workspace, assignment=assignment, today=today)


NOT_SEGMENTED = "You are not in a segment yet; segments are refreshed daily."


@dataclass(frozen=True)
class PeerGroup:
    """The other workspaces of a member's segment, and whether they are enough to publish
    aggregates of (:data:`MIN_PEERS`; ``reason`` says why not)."""

    segment: Segment | None
    workspace_ids: list[int]
    reason: str

    @property
    def available(self) -> bool:
        return not self.reason


def peer_group(*, workspace: Workspace, assignment: SegmentAssignment | None) -> PeerGroup:
    """The peers of the member whose ``assignment`` (with its segment) is read already:
    the one rule of the peer comparison, the category preferences and the segment
    insights. One query (none without an assignment)."""
    if assignment is None:
        return PeerGroup(None, [], NOT_SEGMENTED)
    peer_ids = segment_peer_workspaces(segment=assignment.segment, exclude_workspace_id=workspace.pk)
    reason = "" if len(peer_ids) >= MIN_PEERS else (
        f"Your segment has {len(peer_ids)} other workspace(s); a comparison needs at least {MIN_PEERS}, so that "
        "no one's figures can be told apart.")
    return PeerGroup(assignment.segment, peer_ids, reason)


def peer_comparison_for_assignment(
    *, workspace: Workspace, assignment: SegmentAssignment | None, today: Any
) -> dict[str, Any]:
    """:func:`peer_comparison` of the member whose ``assignment`` in ``workspace`` (with
    its segment; ``None``: not segmented) is read already. Two queries."""
    group = peer_group(workspace=workspace, assignment=assignment)
    if group.segment is None:
        return {"available": False, "reason": group.reason, "segment": None, "peers": 0, "total": None,
                "categories": []}
    segment, peer_ids = group.segment, group.workspace_ids
    base = {"segment": {"key": segment.key, "name": segment.name}, "peers": len(peer_ids),
            "months": PEER_MONTHS, "currency": workspace.currency}
    if not group.available:
        return base | {"available": False, "total": None, "categories": [], "reason": group.reason}
    months = complete_months(today=today, count=PEER_MONTHS)
    books = books_monthly(workspace_ids=[workspace.pk, *peer_ids], months=months)
    own = books[workspace.pk]

    def by_name(pk: int) -> dict[str, float]:
        out: dict[str, float] = {}
        for series in books[pk].categories.values():
            name = series.name.strip().lower()
            out[name] = out.get(name, 0.0) + float(series.values.sum()) / PEER_MONTHS
        return out

    peer_categories = [by_name(pk) for pk in peer_ids]
    categories = []
    for series in sorted(own.categories.values(), key=lambda s: s.name):
        name = series.name.strip().lower()
        values = [p[name] for p in peer_categories if p.get(name, 0) > 0]
        if len(values) >= MIN_PEERS:
            categories.append({"name": series.name} | _aggregate(float(series.values.sum()) / PEER_MONTHS, values))
    totals = [float(books[pk].expense.sum()) / PEER_MONTHS for pk in peer_ids]
    return base | {"available": True, "reason": "",
                   "total": _aggregate(float(own.expense.sum()) / PEER_MONTHS, totals),
                   "categories": categories}
