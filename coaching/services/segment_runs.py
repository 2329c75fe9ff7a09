"""Segmentation runs, versioned like model versions (forecasting/registry): every
:func:`~coaching.services.segments.segments_refresh` is stored as a
:class:`~coaching.models.SegmentationRun` with its silhouette, k, features, time and what
it found (segments and assignments), and becomes the current run; the one it replaces is
superseded.

A rollback makes the run before the current one current again and restores its segments
and assignments (a member who joined since is placed in the nearest restored segment, as
between two daily runs). The rolled-back run is marked so; rolling back again walks
further back instead of toggling between two runs, and the next daily run supersedes the
restored one. The bandit's learning is keyed by segment keys, so it survives both ways.
Runs beyond ``COACHING_SEGMENT_RUNS_KEPT`` (the oldest, never the current) are deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from coaching.models import Segment, SegmentAssignment, SegmentationRun
from coaching.services.prediction_cache import prediction_cache_segments_changed
from finance.models import Membership

SEGMENT_FIELDS = ("kind", "key", "name", "description", "centroid", "size", "workspace_count", "n_clusters",
                  "silhouette")


class SegmentationRunError(Exception):
    """A rollback that cannot be done (nothing current, nothing earlier kept)."""


def _weighted_silhouette(kinds: dict[str, dict[str, Any]]) -> float | None:
    scored = [(info["members"], info["silhouette"]) for info in kinds.values() if info["silhouette"] is not None]
    members = sum(n for n, _ in scored)
    return round(sum(n * s for n, s in scored) / members, 4) if members else None


def segmentation_run_record(
    *, now: dt.datetime, kinds: dict[str, dict[str, Any]], features: Sequence[str], segments: list[Segment],
    assignments: Iterable[SegmentAssignment], trigger: str, user: AbstractBaseUser | None = None,
) -> SegmentationRun:
    """Store a segmentation just written (``segments`` saved, with their ids) as the current
    run; the current one is superseded and runs beyond the kept number deleted. Inside the
    caller's transaction."""
    index = {segment.pk: i for i, segment in enumerate(segments)}
    snapshot = {
        "segments": [{name: getattr(s, name) for name in SEGMENT_FIELDS} for s in segments],
        "assignments": [[index[a.segment_id], a.workspace_id, a.user_id, a.features, a.distance] for a in assignments],
    }
    SegmentationRun.objects.select_for_update().filter(status=SegmentationRun.Status.CURRENT).update(
        status=SegmentationRun.Status.SUPERSEDED)
    number = (SegmentationRun.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    run = SegmentationRun.objects.create(
        number=number, status=SegmentationRun.Status.CURRENT, computed_at=now,
        members=len(snapshot["assignments"]), segment_count=len(segments), silhouette=_weighted_silhouette(kinds),
        k={kind: info["k"] for kind, info in kinds.items()}, kinds=kinds, features=list(features),
        snapshot=snapshot, trigger=trigger, created_by=user,
    )
    kept = SegmentationRun.objects.order_by("-number").values_list("pk", flat=True)[:settings.COACHING_SEGMENT_RUNS_KEPT]
    SegmentationRun.objects.exclude(pk__in=list(kept)).exclude(status=SegmentationRun.Status.CURRENT).delete()
    prediction_cache_segments_changed()
    return run


def _restore(run: SegmentationRun, now: dt.datetime) -> list[tuple[int, int]]:
    """Replace the segments and assignments by ``run``'s; returns the members it did not
    hold (joined since), to be placed."""
    Segment.objects.all().delete()  # cascades to the assignments
    segments = Segment.objects.bulk_create(
        Segment(**{name: row[name] for name in SEGMENT_FIELDS}, computed_at=run.computed_at)
        for row in run.snapshot["segments"]
    )
    members = set(Membership.objects.values_list("workspace_id", "user_id"))
    restored = [row for row in run.snapshot["assignments"] if (row[1], row[2]) in members]
    SegmentAssignment.objects.bulk_create(
        SegmentAssignment(segment=segments[i], workspace_id=ws, user_id=user, features=features, distance=distance,
                          computed_at=now)
        for i, ws, user, features, distance in restored
    )
    for i, segment in enumerate(segments):
        mine = [row for row in restored if row[0] == i]
        segment.size, segment.workspace_count = len(mine), len({row[1] for row in mine})
    Segment.objects.bulk_update(segments, ["size", "workspace_count"])
    return sorted(members - {(row[1], row[2]) for row in restored})


def segmentation_run_rollback(
    *, user: AbstractBaseUser | None = None, reason: str = "", now: dt.datetime | None = None,
) -> SegmentationRun:
    """Make the run before the current one current again, with its segments and
    assignments; returns it. Raises :class:`SegmentationRunError`, changing nothing, when
    no run is current or none earlier is kept."""
    # imported here: segments records its runs through this module
    from coaching.services.segments import segment_assign

    now = now or timezone.now()
    with transaction.atomic():
        current = SegmentationRun.objects.select_for_update().filter(status=SegmentationRun.Status.CURRENT).first()
        if current is None:
            raise SegmentationRunError("No segmentation run is current: there is nothing to roll back.")
        previous = (SegmentationRun.objects.select_for_update()
                    .filter(status=SegmentationRun.Status.SUPERSEDED, number__lt=current.number)
                    .order_by("-number").first())
        if previous is None:
            raise SegmentationRunError(f"No run before run {current.number} is kept: there is nothing to roll back to.")
        current.status, current.rolled_back_at, current.rolled_back_by = SegmentationRun.Status.ROLLED_BACK, now, user
        current.rollback_reason = reason or f"Rolled back from run {current.number} to run {previous.number}."
        current.save(update_fields=["status", "rolled_back_at", "rolled_back_by", "rollback_reason"])
        previous.status, previous.restored_at = SegmentationRun.Status.CURRENT, now
        previous.save(update_fields=["status", "restored_at"])
        for workspace_id, user_id in _restore(previous, now):
            segment_assign(workspace_id=workspace_id, user_id=user_id, now=now)
        prediction_cache_segments_changed()
    return previous
