"""Celery tasks of training: thin, idempotent and safe to retry; each fetches by id and
calls a service. Their names stay ``forecasting.tasks.*`` (what beat's tables and queued
messages refer to), whichever module defines them."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.signals import task_failure, task_retry
from django.conf import settings
from django.utils import timezone

from config.celery import TRANSIENT_ERRORS
from finance.models import Workspace
from forecasting.registry.orphans import artifact_orphans_collect
from forecasting.training.autolearn import autolearn_check
from forecasting.training.classifiers import classifiers_sweep
from forecasting.training.heartbeat import job_heartbeat_beat
from forecasting.training.jobs import training_error_message, training_job_fail, training_job_run
from forecasting.training.reaper import training_jobs_reap
from forecasting.training.sweeps import (
    continuous_learning_sweep,
    deployed_models_evaluate,
    full_retrain,
    predictions_cleanup,
)

TRAINING_LIMITS = {
    "soft_time_limit": settings.ML_TRAINING_TIMEOUT_MINUTES * 60,
    "time_limit": settings.ML_TRAINING_TIMEOUT_MINUTES * 60 + 60,
}


@shared_task(
    name="forecasting.tasks.training_job_run_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    retry_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=3,
    # the delay before a training whose pool process died runs again (Celery's default: 180 s)
    default_retry_delay=settings.ML_TRAINING_WORKER_LOST_RETRY_SECONDS,
    **TRAINING_LIMITS,
)
def training_job_run_task(self, job_id: int) -> str:  # noqa: ANN001
    """Run one training job (see :func:`forecasting.training.jobs.training_job_run`)."""
    job = training_job_run(job_id=job_id, task_id=self.request.id)
    return job.status


@shared_task(name="forecasting.tasks.training_jobs_reap_task", acks_late=True, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=True, max_retries=3, expires=120)
def training_jobs_reap_task() -> dict:
    """Every minute: fail the jobs whose worker is gone, send lost ones again, free locks."""
    return training_jobs_reap().as_dict()


@shared_task(name="forecasting.tasks.artifact_orphans_collect_task", acks_late=True,
             autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def artifact_orphans_collect_task() -> dict:
    return artifact_orphans_collect().as_dict()


@shared_task(name="forecasting.tasks.autolearn_check_task", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def autolearn_check_task(workspace_id: int, target: str, force: bool = False) -> str:
    """Decide whether ``target`` should retrain now, and queue it if so."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return "workspace gone"
    return autolearn_check(workspace=workspace, target=target, force=force).decision.reason


@shared_task(name="forecasting.tasks.continuous_learning_sweep_task", acks_late=True,
             autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3)
def continuous_learning_sweep_task() -> dict:
    report = continuous_learning_sweep()
    classifiers = classifiers_sweep()
    return {"queued": report.queued + classifiers.queued, "skipped": len(report.skipped) + len(classifiers.skipped)}


@shared_task(name="forecasting.tasks.full_retrain_task", acks_late=True, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=True, max_retries=3)
def full_retrain_task() -> dict:
    return {"queued": full_retrain().queued + classifiers_sweep(full=True).queued}


@shared_task(name="forecasting.tasks.models_evaluate_task", acks_late=True, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=True, max_retries=3, **TRAINING_LIMITS)
def models_evaluate_task() -> dict:
    return deployed_models_evaluate()


@shared_task(name="forecasting.tasks.predictions_cleanup_task", acks_late=True, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=True, max_retries=3)
def predictions_cleanup_task() -> int:
    return predictions_cleanup()


@task_failure.connect(sender=training_job_run_task, dispatch_uid="forecasting.training_task_failed")
def _training_task_failed(sender=None, task_id=None, exception=None, args=None, kwargs=None, **extra) -> None:  # noqa: ANN001
    """The task gave up (retries spent, worker lost too often, hard time limit): the job is
    marked failed with the reason and its lock released."""
    job_id = (args or [None])[0] if args else (kwargs or {}).get("job_id")
    if job_id is not None:
        training_job_fail(
            job_id=job_id, error=training_error_message(exception), detail=str(extra.get("einfo") or "")
        )


@task_retry.connect(sender=training_job_run_task, dispatch_uid="forecasting.training_task_retrying")
def _training_task_retrying(sender=None, request=None, reason=None, **extra) -> None:  # noqa: ANN001
    """A retry is due later (a lost pool process, a database hiccup): the job is alive until
    then, so the reaper does not fail it while it waits."""
    job_id = (getattr(request, "args", None) or [None])[0]
    when = getattr(reason, "when", None)
    if job_id is None:
        return
    if isinstance(when, dt.datetime):
        due = when if timezone.is_aware(when) else timezone.make_aware(when, dt.UTC)
    else:
        due = timezone.now() + dt.timedelta(seconds=float(when or 0))
    job_heartbeat_beat(job_id=job_id, until=max(due, timezone.now()))
