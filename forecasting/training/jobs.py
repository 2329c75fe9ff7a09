"""Training jobs: queue one (reusing an active job of the same target), run it to the
end with the target's lock held, or fail it with the reason."""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.celery import TRANSIENT_ERRORS
from finance.models import Workspace
from forecasting.monitoring.alerts import alert_raise
from forecasting.registry.models import ModelKind, TargetState
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.training import forecasters
from forecasting.training.heartbeat import JobHeartbeat
from forecasting.training.lifecycle import (
    ACTIVE_STATUSES,
    JobAbandoned,
    job_finish,
    target_lock_acquire,
    target_lock_release,
)
from forecasting.training.models import TrainingJob

logger = logging.getLogger(__name__)


ERROR_MESSAGE_MAX = 300
ERROR_DETAIL_MAX = 20_000
# An absolute file path (/srv/app/x.py, C:\app\x.py): a server's insides, not for members.
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-]+){2,}[\\/]?")


def training_error_message(exc: BaseException) -> str:
    """What a workspace's members read about a failed training: the exception's kind and
    the first line of its message without file paths, at most ``ERROR_MESSAGE_MAX``
    characters. The traceback goes to the logs and the job's staff-only ``error_detail``."""
    lines = str(exc).strip().splitlines()
    text = _PATH.sub("…", lines[0].strip()) if lines else ""
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return message if len(message) <= ERROR_MESSAGE_MAX else message[: ERROR_MESSAGE_MAX - 1] + "…"


class TrainingRefused(ValueError):
    """A training request that cannot be accepted (bad target, nothing to learn from)."""


def training_job_create(
    *,
    workspace: Workspace,
    target: str,
    algorithms: list[str] | None = None,
    frequency: str = Frequency.MONTHLY,
    horizon: int | None = None,
    trigger: str = TrainingJob.Trigger.MANUAL,
    user: AbstractBaseUser | None = None,
    enqueue: bool = True,
) -> TrainingJob:

    """Queue a training job; the Celery task is sent when the transaction commits. A
    blank ``frequency`` (a classifier version's) reads as monthly."""
    parsed = Target.parse(target)
    frequency = Frequency.of(frequency)
    job = TrainingJob.objects.create(
        workspace=workspace,
        target=parsed.key,
        kind=parsed.kind,
        trigger=trigger,
        algorithms=list(algorithms or (settings.ML_ALGORITHMS if parsed.is_forecast else [])),
        params={"frequency": frequency.value, "horizon": horizon or frequency.default_horizon},
        requested_by=user,
    )
    if enqueue:
        from forecasting.training.tasks import training_job_run_task

        transaction.on_commit(lambda: _send(job.pk, training_job_run_task))
    return job


def _send(job_id: int, task: Any) -> None:
    training_job_send(job_id=job_id, task=task)


def training_job_send(*, job_id: int, task: Any = None) -> bool:
    """Hand a queued, never-started job to the broker under a new task id; only the
    message with the job's current id may run it (:func:`training_job_run`), so sending
    again is safe: an older message that turns up later is ignored. False when the job
    is no longer waiting. A broker error propagates, the job left marked as never sent."""
    if task is None:
        from forecasting.training.tasks import training_job_run_task as task
    task_id = str(uuid.uuid4())
    waiting = TrainingJob.objects.filter(pk=job_id, status=TrainingJob.Status.QUEUED, started_at__isnull=True)
    if not waiting.update(celery_task_id=task_id, sent_at=timezone.now()):
        return False
    try:
        task.apply_async(args=[job_id], task_id=task_id)
    except Exception:
        TrainingJob.objects.filter(pk=job_id, celery_task_id=task_id, started_at__isnull=True).update(sent_at=None)
        raise
    return True



def training_job_run(*, job_id: int, task_id: str | None = None) -> TrainingJob:
    """Run a queued job to the end. Idempotent: a finished job is returned untouched, and
    so is a job delivered by a message other than the one it was last sent with
    (``task_id``; a retry keeps its message's id)."""
    job = TrainingJob.objects.select_related("workspace").get(pk=job_id)
    if job.status in (TrainingJob.Status.SUCCEEDED, TrainingJob.Status.FAILED, TrainingJob.Status.SKIPPED):
        return job
    if task_id and job.celery_task_id not in ("", task_id):
        logger.info("Job %s: message %s was superseded by %s; ignored.", job.pk, task_id, job.celery_task_id)
        return job
    if not target_lock_acquire(job=job):
        holder = TargetState.objects.filter(workspace_id=job.workspace_id, target=job.target).values_list(
            "running_job_id", flat=True
        ).first()
        return job_finish(job, TrainingJob.Status.SKIPPED, decision=f"Another training of {job.target} is running (job {holder}).")

    now = timezone.now()
    claimed = TrainingJob.objects.filter(
        pk=job.pk, status__in=ACTIVE_STATUSES, celery_task_id__in=["", task_id] if task_id else [job.celery_task_id]
    ).update(status=TrainingJob.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1,
             progress=5, celery_task_id=task_id or job.celery_task_id)
    if not claimed:  # sent again (or ended) between the look above and now: the other message runs it
        return job
    rows_seen = TargetState.objects.filter(workspace_id=job.workspace_id, target=job.target).values_list(
        "new_rows", flat=True
    ).first() or 0
    try:
        job.refresh_from_db()
        with JobHeartbeat(job_id=job.pk):
            if job.kind == ModelKind.FORECASTER:
                job = forecasters.forecaster_job_train(job)
            else:
                from forecasting.training.classifiers import classifier_job_train

                job = classifier_job_train(job=job)
    except TRANSIENT_ERRORS:
        # Database or storage hiccup: keep the lock (it is ours) and let Celery retry.
        raise
    except JobAbandoned:
        # The reaper failed the job and freed its target while it ran; nothing of it was recorded.
        logger.warning("Job %s was failed by the reaper while it ran; its result is discarded.", job.pk)
        job.refresh_from_db()
        return job
    except Exception as exc:
        logger.exception("Training job %s failed", job.pk)
        target_lock_release(job=job, trained=False)
        return training_job_fail(job_id=job.pk, error=training_error_message(exc), detail=traceback.format_exc())
    target_lock_release(job=job, trained=job.status == TrainingJob.Status.SUCCEEDED, rows_consumed=rows_seen)
    return job


def training_job_fail(*, job_id: int, error: str, detail: str = "") -> TrainingJob:
    """Mark a job failed with the reason (``error``: one line the workspace's members may
    read; ``detail``: the traceback, for staff only), free its lock and raise a training alert."""
    job = TrainingJob.objects.select_related("workspace").get(pk=job_id)
    target_lock_release(job=job, trained=False)
    if job.status in (TrainingJob.Status.SUCCEEDED, TrainingJob.Status.FAILED, TrainingJob.Status.SKIPPED):
        return job
    if detail:
        job.error_detail = detail[-ERROR_DETAIL_MAX:]  # a traceback's end says the most
        TrainingJob.objects.filter(pk=job.pk, status__in=ACTIVE_STATUSES).update(error_detail=job.error_detail)
    try:
        job_finish(job, TrainingJob.Status.FAILED, error=error)
    except JobAbandoned:  # it ended meanwhile (finished by its worker, or failed by the reaper)
        return job
    alert_raise(
        workspace=job.workspace, kind="training", target=job.target,
        message=f"Training of {job.target} failed: {error.splitlines()[0] if error else 'unknown error'}",
    )
    return job

