"""The reaper: no training job stays stuck and no target's lock outlives its job.

Run by beat every minute (``forecasting.tasks.training_jobs_reap_task``):

- a **running** job whose heartbeat (:mod:`.heartbeat`) is older than
  ``ML_TRAINING_STALE_SECONDS`` lost its worker (SIGKILL, out of memory, a lost machine):
  it is **failed** with a sentence for the workspace's members, its lock freed and an
  alert raised. Failed, not run again: a redelivery of its message (``acks_late``) would
  then run the same job twice, and what kills a whole worker — most often the kernel's
  out-of-memory killer — would kill the next one too. Its rows stay counted, so the next
  auto-learning check or sweep trains the target again, and a member may ask at once.
- a **queued** job that never started is sent again (:func:`training_job_send`, a new
  task id, so a late copy of the old message is ignored) when its message is evidently
  lost: the broker refused it (never sent) or, ``ML_TRAINING_QUEUED_RESEND_SECONDS``
  after it was sent, the training workers sat idle that long or started a job sent
  after it. One waiting behind other trainings is left alone; one still queued after
  ``ML_TRAINING_QUEUED_EXPIRE_HOURS`` is failed.
- a **lock** held by no job, a deleted one, or one that is no longer running is freed
  once it is older than the staleness (a finishing job frees its own lock just after
  recording its end, and counts its rows doing so).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from forecasting.registry.models import TargetState
from forecasting.training.jobs import training_job_fail, training_job_send
from forecasting.training.models import TrainingJob

logger = logging.getLogger(__name__)


@dataclass
class ReapReport:
    failed: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    locks_freed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list]:
        return {"failed": self.failed, "resent": self.resent, "expired": self.expired,
                "locks_freed": self.locks_freed}


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes >= 1 else f"{round(seconds)} seconds"


def training_jobs_reap(*, now: dt.datetime | None = None) -> ReapReport:
    """Fail the running jobs whose worker is gone, send again the queued jobs whose
    message was lost, fail those queued too long, and free every lock without a live job."""
    now = now or timezone.now()
    report = ReapReport()
    stale = now - dt.timedelta(seconds=settings.ML_TRAINING_STALE_SECONDS)
    for job_id in _stale_running_jobs(stale=stale):
        if _running_job_reap(job_id=job_id, stale=stale, now=now):
            report.failed.append(job_id)
    report.expired = _queued_jobs_expire(now=now)
    report.resent = _lost_queued_jobs_resend(now=now, stale=stale)
    report.locks_freed = target_locks_free(stale=stale)
    if report.failed or report.resent or report.expired or report.locks_freed:
        logger.warning("Reaper: %s", report.as_dict())
    return report


def _stale_q(stale: dt.datetime) -> Q:
    return Q(status=TrainingJob.Status.RUNNING, last_sign__lt=stale)


def _with_last_sign(queryset):  # noqa: ANN001, ANN202
    return queryset.annotate(last_sign=Coalesce("heartbeat_at", "started_at", "created_at"))


def _stale_running_jobs(*, stale: dt.datetime) -> list[int]:
    jobs = _with_last_sign(TrainingJob.objects.filter(status=TrainingJob.Status.RUNNING))
    return list(jobs.filter(_stale_q(stale)).order_by("pk").values_list("pk", flat=True))


def _running_job_reap(*, job_id: int, stale: dt.datetime, now: dt.datetime) -> bool:
    with transaction.atomic():
        # Looked at again under the row's lock: a job that beat or ended meanwhile is left alone.
        job = (_with_last_sign(TrainingJob.objects.select_for_update(of=("self",)))
               .filter(_stale_q(stale), pk=job_id).first())
        if job is None:
            return False
        silent = (now - job.last_sign).total_seconds()
        error = (f"The worker running this training stopped (no sign of life for {_minutes(silent)}); "
                 "nothing was saved. Train again.")
        detail = (f"Failed by the reaper at {now.isoformat()}: last heartbeat {job.heartbeat_at}, started "
                  f"{job.started_at}, attempt {job.attempts}, task id {job.celery_task_id or '-'}; "
                  f"staleness {settings.ML_TRAINING_STALE_SECONDS} s.")
        training_job_fail(job_id=job.pk, error=error, detail=detail)
    return True


def _queued_jobs_expire(*, now: dt.datetime) -> list[int]:
    hours = settings.ML_TRAINING_QUEUED_EXPIRE_HOURS
    expired = list(TrainingJob.objects.filter(
        status=TrainingJob.Status.QUEUED, started_at__isnull=True, created_at__lt=now - dt.timedelta(hours=hours),
    ).order_by("pk").values_list("pk", flat=True))
    for job_id in expired:
        training_job_fail(job_id=job_id, error=f"No training worker started this job within {hours:g} hours. "
                                               "Train again.")
    return expired


def _lost_queued_jobs_resend(*, now: dt.datetime, stale: dt.datetime) -> list[int]:
    """Send again every queued job whose message is evidently lost (see the module)."""
    cutoff = now - dt.timedelta(seconds=settings.ML_TRAINING_QUEUED_RESEND_SECONDS)
    waiting = TrainingJob.objects.filter(status=TrainingJob.Status.QUEUED, started_at__isnull=True)
    never_sent = Q(sent_at__isnull=True, created_at__lt=cutoff)
    overtaken = Q(sent_at__lt=cutoff) & Exists(
        TrainingJob.objects.filter(sent_at__gt=OuterRef("sent_at"), started_at__isnull=False)
    )
    idle = not (
        _with_last_sign(TrainingJob.objects.filter(status=TrainingJob.Status.RUNNING)).filter(last_sign__gte=stale)
        .exists()
        or TrainingJob.objects.filter(started_at__gte=cutoff).exists()
    )
    lost = never_sent | overtaken | (Q(sent_at__lt=cutoff) if idle else Q(pk__in=[]))
    resent = []
    for job_id in waiting.filter(lost).order_by("created_at", "pk").values_list("pk", flat=True):
        try:
            if training_job_send(job_id=job_id):
                resent.append(job_id)
        except Exception:  # the broker is still down: next minute
            logger.warning("Reaper: job %s could not be sent again", job_id, exc_info=True)
            break
    return resent


def target_locks_free(*, stale: dt.datetime) -> list[str]:
    """Free the locks taken before ``stale`` and held by no job (or a deleted one), by a
    queued one, or by one that ended before ``stale``; returns ``"<workspace id>:<target>"``
    of each. One conditional UPDATE: a lock taken meanwhile is not touched."""
    holder_ended = Q(running_job__finished_at__lt=stale) & ~Q(running_job__status=TrainingJob.Status.RUNNING)
    orphaned = TargetState.objects.filter(locked_at__lt=stale).filter(
        Q(running_job__isnull=True) | Q(running_job__status=TrainingJob.Status.QUEUED) | holder_ended
    )
    freed = [f"{workspace_id}:{target}" for workspace_id, target in orphaned.values_list("workspace_id", "target")]
    if freed:
        orphaned.update(running_job=None, locked_at=None)
    return freed
