"""User segmentation: k-means over features of each member's books and behaviour.

**The unit is a member of a workspace** (a user × workspace pair, i.e. a
:class:`~finance.models.Membership`). Recommendations, impressions, feedback and
behavioural events are a person's, so the bandit learns per person's segment; the books
(transactions, budgets, goals) are the workspace's and are shared by its members, so the
members of one household differ only in their engagement. Businesses and households are
clustered separately (a bakery's spending says nothing about a family's), and peer
comparison counts distinct *workspaces*, never members (see :mod:`coaching.services.insights`).

Features, over the last :data:`FEATURE_MONTHS` complete months of approved transactions:

``savings_rate``         (revenue − expenses) / revenue, clipped to [−1, 1]
``spending_volatility``  coefficient of variation of monthly expenses (std / mean)
``discretionary_share``  share of expenses in discretionary categories (dining, shopping…)
``top_category_share``   share of expenses in the largest category (category mix)
``goal_progress``        mean of saved / target over the workspace's goals (capped at 1)
``engagement``           the member's behavioural events per week over the last 90 days

They are standardised (``StandardScaler``) and clustered with scikit-learn's ``KMeans``
(fixed ``random_state``); k is the one with the best silhouette in 2..:data:`MAX_K`, or 1
when a kind has fewer than :data:`MIN_MEMBERS_FOR_SEARCH` members or fewer than three
distinct feature rows. Each segment is named after the feature its centre deviates from
the average most (``Savers``, ``Irregular spenders``…); a single segment is named from
its savings rate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from coaching.categories import is_discretionary
from coaching.models import Segment, SegmentAssignment, SegmentationRun
from coaching.selectors import (
    MonthlyBooks,
    books_monthly,
    complete_months,
    event_counts,
    goals_by_workspace,
    memberships_for_segmentation,
)
from coaching.services.prediction_cache import prediction_cache_segments_changed
from coaching.services.segment_runs import segmentation_run_record
from finance.models import Goal, Membership

FEATURE_MONTHS = 6
ENGAGEMENT_DAYS = 90
MIN_MEMBERS_FOR_SEARCH = 6
MAX_K = 5
RANDOM_STATE = 0

FEATURES = (
    "savings_rate", "spending_volatility", "discretionary_share", "top_category_share", "goal_progress", "engagement",
)
#: feature -> (name when the centre is above average, name when below)
TRAITS = {
    "savings_rate": ("Savers", "Stretched budgets"),
    "spending_volatility": ("Irregular spenders", "Steady spenders"),
    "discretionary_share": ("Lifestyle spenders", "Essentials first"),
    "top_category_share": ("Concentrated costs", "Spread-out costs"),
    "goal_progress": ("Goal achievers", "Goal starters"),
    "engagement": ("Engaged planners", "Occasional visitors"),
}


def workspace_features(*, books: MonthlyBooks, goals: list[Goal]) -> dict[str, float]:
    """The book features of one workspace (every feature but ``engagement``)."""
    income, spent = float(books.revenue.sum()), float(books.expense.sum())
    if income > 0:
        savings_rate = float(np.clip((income - spent) / income, -1.0, 1.0))
    else:
        savings_rate = -1.0 if spent > 0 else 0.0
    mean = float(books.expense.mean()) if len(books.expense) else 0.0
    volatility = float(books.expense.std() / mean) if mean > 0 else 0.0
    totals = {key: float(series.values.sum()) for key, series in books.categories.items()}
    discretionary = sum(t for key, t in totals.items() if is_discretionary(books.categories[key].name))
    progress = [float(min(g.saved_amount / g.target_amount, 1)) for g in goals]
    return {
        "savings_rate": savings_rate,
        "spending_volatility": volatility,
        "discretionary_share": discretionary / spent if spent > 0 else 0.0,
        "top_category_share": max(totals.values()) / spent if spent > 0 and totals else 0.0,
        "goal_progress": float(np.mean(progress)) if progress else 0.0,
    }


@dataclass
class Member:
    workspace_id: int
    user_id: int
    kind: str
    features: dict[str, float]

    @property
    def vector(self) -> list[float]:
        return [self.features[name] for name in FEATURES]


def member_features(*, today: dt.date, now: dt.datetime) -> list[Member]:
    """The features of every membership. Four queries whatever the number of members."""
    memberships: list[Membership] = list(memberships_for_segmentation())
    workspace_ids = sorted({m.workspace_id for m in memberships})
    months = complete_months(today=today, count=FEATURE_MONTHS)
    books = books_monthly(workspace_ids=workspace_ids, months=months)
    goals = goals_by_workspace(workspace_ids=workspace_ids)
    events = event_counts(since=now - dt.timedelta(days=ENGAGEMENT_DAYS))
    per_workspace = {pk: workspace_features(books=books[pk], goals=goals.get(pk, [])) for pk in workspace_ids}
    weeks = ENGAGEMENT_DAYS / 7
    return [
        Member(
            workspace_id=m.workspace_id, user_id=m.user_id, kind=m.workspace.kind,
            features={**per_workspace[m.workspace_id],
                      "engagement": events.get((m.workspace_id, m.user_id), 0) / weeks},
        )
        for m in memberships
    ]


@dataclass
class Clustering:
    """The result of clustering one kind's members."""

    labels: np.ndarray
    centres: np.ndarray  # in the features' units
    centres_z: np.ndarray  # standardised: how far each centre is from the average
    distances: np.ndarray
    k: int
    silhouette: float | None
    scores: dict[int, float] = field(default_factory=dict)  # k -> silhouette


def cluster(matrix: np.ndarray) -> Clustering:
    """Standardise, pick k by silhouette (or 1 when there are too few members), cluster."""
    scaler = StandardScaler()
    z = scaler.fit_transform(matrix)
    distinct = len(np.unique(np.round(z, 9), axis=0))
    scores: dict[int, float] = {}
    best: tuple[float, int, KMeans] | None = None
    if len(matrix) >= MIN_MEMBERS_FOR_SEARCH and distinct >= 3:
        for k in range(2, min(MAX_K, distinct - 1) + 1):
            model = KMeans(n_clusters=k, random_state=RANDOM_STATE, n_init=10).fit(z)
            scores[k] = float(silhouette_score(z, model.labels_))
            if best is None or scores[k] > best[0]:
                best = (scores[k], k, model)
    if best is None:
        labels = np.zeros(len(matrix), dtype=int)
        centres_z = z.mean(axis=0, keepdims=True)
        return Clustering(
            labels=labels, centres=matrix.mean(axis=0, keepdims=True), centres_z=centres_z,
            distances=np.linalg.norm(z - centres_z[0], axis=1), k=1, silhouette=None,
        )
    score, k, model = best
    centres_z = model.cluster_centers_
    return Clustering(
        labels=model.labels_.astype(int), centres=scaler.inverse_transform(centres_z), centres_z=centres_z,
        distances=np.linalg.norm(z - centres_z[model.labels_], axis=1), k=k, silhouette=score, scores=scores,
    )


def segment_name(*, centre: dict[str, float], centre_z: dict[str, float], k: int, taken: set[str]) -> str:
    """A readable name from a centre: its most distinctive trait (k > 1), or its savings
    rate (k = 1); a second trait or a number keeps names of one run apart."""
    if k == 1:
        rate = centre["savings_rate"]
        return "Savers" if rate >= 0.2 else "Stretched budgets" if rate < 0 else "Balanced budgets"
    ordered = sorted(FEATURES, key=lambda name: (-abs(centre_z[name]), FEATURES.index(name)))
    traits = [TRAITS[name][0 if centre_z[name] >= 0 else 1] for name in ordered]
    name = traits[0]
    if name in taken:
        name = f"{traits[0]}, {traits[1].lower()}"
    number = 2
    while name in taken:
        name, number = f"{traits[0]} {number}", number + 1
    return name


def segment_description(centre: dict[str, float]) -> str:
    return (
        f"Savings rate {centre['savings_rate']:.0%}; spending varies {centre['spending_volatility']:.0%} month to "
        f"month; {centre['discretionary_share']:.0%} discretionary, {centre['top_category_share']:.0%} in the top "
        f"category; goals {centre['goal_progress']:.0%} funded; {centre['engagement']:.1f} events a week."
    )


@dataclass(frozen=True)
class RefreshReport:
    members: int
    segments: int
    by_kind: dict[str, int]  # kind -> k
    run: int = 0  # the number of the run recorded


@transaction.atomic
def segments_refresh(
    *, today: dt.date | None = None, now: dt.datetime | None = None,
    trigger: str = SegmentationRun.Trigger.SCHEDULE, user: AbstractBaseUser | None = None,
) -> RefreshReport:
    """Recompute every segment and assignment (the previous ones are replaced) and record
    the run (:mod:`coaching.services.segment_runs`: it becomes the current one)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    members = member_features(today=today, now=now)
    by_kind: dict[str, list[Member]] = defaultdict(list)
    for member in members:
        by_kind[member.kind].append(member)

    Segment.objects.all().delete()  # cascades to the assignments
    segments: list[Segment] = []
    pending: list[tuple[Member, int, float]] = []  # member, index into segments, distance
    kinds: dict[str, dict] = {}
    for kind in sorted(by_kind):
        group = by_kind[kind]
        result = cluster(np.array([m.vector for m in group], dtype=float))
        kinds[kind] = {"k": result.k, "members": len(group), "scores": {str(k): round(v, 4) for k, v in
                                                                        result.scores.items()},
                       "silhouette": None if result.silhouette is None else round(result.silhouette, 4)}
        taken: set[str] = set()
        first = len(segments)
        for label in range(result.k):
            centre = {name: float(v) for name, v in zip(FEATURES, result.centres[label], strict=True)}
            centre_z = {name: float(v) for name, v in zip(FEATURES, result.centres_z[label], strict=True)}
            name = segment_name(centre=centre, centre_z=centre_z, k=result.k, taken=taken)
            taken.add(name)
            in_segment = [m for m, lab in zip(group, result.labels, strict=True) if lab == label]
            segments.append(Segment(
                kind=kind, key=slugify(f"{kind} {name}")[:80], name=name, description=segment_description(centre),
                centroid={n: round(v, 4) for n, v in centre.items()}, size=len(in_segment),
                workspace_count=len({m.workspace_id for m in in_segment}), n_clusters=result.k,
                silhouette=None if result.silhouette is None else round(result.silhouette, 4), computed_at=now,
            ))
        pending += [(m, first + int(lab), float(d)) for m, lab, d in
                    zip(group, result.labels, result.distances, strict=True)]
    Segment.objects.bulk_create(segments)
    assignments = SegmentAssignment.objects.bulk_create(
        SegmentAssignment(
            segment=segments[index], workspace_id=m.workspace_id, user_id=m.user_id,
            features={n: round(v, 4) for n, v in m.features.items()}, distance=round(d, 4), computed_at=now,
        )
        for m, index, d in pending
    )
    run = segmentation_run_record(now=now, kinds=kinds, features=FEATURES, segments=segments,
                                  assignments=assignments, trigger=trigger, user=user)
    return RefreshReport(members=len(members), segments=len(segments),
                         by_kind={kind: info["k"] for kind, info in kinds.items()}, run=run.number)


# --- one member, between two daily runs ------------------------------------------------------

#: How a member got its segment: the nearest of the daily run's centres, or a starter
#: segment (the kind has none yet) named by the savings rate as a one-segment run names it.
NEAREST, STARTER = "nearest", "starter"


@dataclass(frozen=True)
class Placement:
    assignment: SegmentAssignment
    method: str


def segment_assign(*, workspace_id: int, user_id: int, now: dt.datetime | None = None) -> Placement:
    """Put one member in a segment now, without re-clustering: the nearest centre of its
    kind's current segments, in the units the daily run standardises by (the scaler is fit
    on every member of the kind, this one included); when the kind has no segment yet, a
    starter segment named from the member's savings rate (the next daily run replaces it).
    Replaces the member's assignment; the segments' sizes follow. Five queries and the
    writes."""
    now = now or timezone.now()
    members = member_features(today=timezone.localdate(now), now=now)
    member = next((m for m in members if (m.workspace_id, m.user_id) == (workspace_id, user_id)), None)
    if member is None:
        raise Membership.DoesNotExist(f"User {user_id} is not a member of workspace {workspace_id}.")
    with transaction.atomic():
        segments = list(Segment.objects.select_for_update().filter(kind=member.kind).order_by("pk"))
        if segments:
            segment, distance, method = _nearest(member, segments, [m for m in members if m.kind == member.kind])
        else:
            segment, distance, method = _starter(member, now), 0.0, STARTER
        previous = SegmentAssignment.objects.filter(workspace_id=workspace_id, user_id=user_id).first()
        assignment, _ = SegmentAssignment.objects.update_or_create(
            workspace_id=workspace_id, user_id=user_id, defaults={
                "segment": segment, "distance": round(distance, 4), "computed_at": now,
                "features": {n: round(v, 4) for n, v in member.features.items()}})
        if previous is None or previous.segment_id != segment.pk:
            _resize({segment.pk, *([previous.segment_id] if previous is not None else [])})
            assignment.segment.refresh_from_db()
        prediction_cache_segments_changed()
    return Placement(assignment=assignment, method=method)


def _nearest(member: Member, segments: list[Segment], kind_members: list[Member]) -> tuple[Segment, float, str]:
    scaler = StandardScaler().fit(np.array([m.vector for m in kind_members], dtype=float))
    z = scaler.transform(np.array([member.vector], dtype=float))[0]
    centres = scaler.transform(np.array([[s.centroid.get(n, 0.0) for n in FEATURES] for s in segments], dtype=float))
    distances = np.linalg.norm(centres - z, axis=1)
    best = int(np.argmin(distances))
    return segments[best], float(distances[best]), NEAREST


def _starter(member: Member, now: dt.datetime) -> Segment:
    centre = dict(member.features)
    name = segment_name(centre=centre, centre_z=dict.fromkeys(FEATURES, 0.0), k=1, taken=set())
    segment, _ = Segment.objects.get_or_create(
        key=slugify(f"{member.kind} starter {name}")[:80],
        defaults={"kind": member.kind, "name": name, "computed_at": now, "n_clusters": 1,
                  "description": f"Starter segment until the daily run clusters this kind. {segment_description(centre)}",
                  "centroid": {n: round(v, 4) for n, v in centre.items()}},
    )
    return segment


def _resize(segment_ids: set[int]) -> None:
    for segment in Segment.objects.filter(pk__in=segment_ids):
        assigned = SegmentAssignment.objects.filter(segment=segment)
        segment.size = assigned.count()
        segment.workspace_count = assigned.values("workspace_id").distinct().count()
        segment.save(update_fields=["size", "workspace_count"])
