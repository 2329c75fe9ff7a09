"""The lifecycle every training job shares, forecasters and classifiers alike: the
target's training lock, progress, version numbers and the end of a job.

Only one training per (workspace, target) runs at a time: the job takes the target's
lock with a conditional UPDATE (works the same on PostgreSQL and SQLite); a second job
finds it taken and is recorded as *skipped*. A lock older than the training time limit
is considered abandoned and taken over; the reaper (:mod:`.reaper`) frees the lock of a
job whose worker died within minutes.

A job whose worker went silent may be failed by the reaper while it still runs (a
database out of reach for minutes); it then ends in :class:`JobAbandoned` at
:func:`job_finish`, which rolls back the transaction that would have recorded its
versions — a failed job leaves nothing in the registry.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from forecasting.registry.models import ModelVersion, TargetState
from forecasting.training.metrics import training_job_observe
from forecasting.training.models import TrainingJob

logger = logging.getLogger(__name__)
ACTIVE_STATUSES = (TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING)


class JobAbandoned(Exception):
    """The job was finished by someone else (the reaper failed it) while it ran."""


def target_lock_acquire(*, job: TrainingJob) -> bool:
    state, _ = TargetState.objects.get_or_create(
        workspace_id=job.workspace_id, target=job.target, defaults={"kind": job.kind}
    )
    stale = timezone.now() - dt.timedelta(minutes=settings.ML_TRAINING_TIMEOUT_MINUTES)
    taken = TargetState.objects.filter(
        Q(running_job__isnull=True) | Q(running_job=job) | Q(locked_at__lt=stale), pk=state.pk
    ).update(running_job=job, locked_at=timezone.now())
    return taken == 1


def target_lock_release(*, job: TrainingJob, trained: bool, rows_consumed: int = 0) -> None:
    """Free the target. ``rows_consumed`` rows (those counted when the job started) are
    taken off the counter: learned from, or found too few to learn from; rows that
    arrived during the training still count toward the next one."""
    updates: dict[str, Any] = {"running_job": None, "locked_at": None, "new_rows": F("new_rows") - rows_consumed}
    if trained:
        updates |= {"last_trained_at": timezone.now(), "new_feedback": 0, "retrain_requested": False}
    TargetState.objects.filter(workspace_id=job.workspace_id, target=job.target, running_job=job).update(**updates)


def job_progress(job: TrainingJob, value: int) -> None:
    """Record progress; progress is a sign of life too."""
    TrainingJob.objects.filter(pk=job.pk).update(progress=value, heartbeat_at=timezone.now())



def version_number_next(*, workspace_id: int, target: str) -> int:
    last = (
        ModelVersion.objects.filter(workspace_id=workspace_id, target=target)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return (last or 0) + 1



def job_finish(job: TrainingJob, status: str, *, decision: str = "", error: str = "") -> TrainingJob:
    """End a queued or running job with ``status``. Raises :class:`JobAbandoned` when it
    has ended already (the reaper failed it): inside the transaction that records a
    training's versions, that undoes them."""
    job.status = status
    job.decision = decision or job.decision
    job.error = error
    job.progress = 100
    job.finished_at = timezone.now()
    ended = TrainingJob.objects.filter(pk=job.pk, status__in=ACTIVE_STATUSES).update(
        status=job.status, decision=job.decision, error=job.error, progress=job.progress, finished_at=job.finished_at
    )
    if not ended:
        job.refresh_from_db()
        raise JobAbandoned(f"Job {job.pk} ended ({job.status}) while it ran.")
    training_job_observe(job)
    return job

