"""Training: a job runs the competition for one target, saves every fitted candidate as
a version, and deploys the winner when it beats the champion on the same backtest.

Only one training per (workspace, target) runs at a time: the job takes the target's
lock with a conditional UPDATE (works the same on PostgreSQL and SQLite); a second job
finds it taken and is recorded as *skipped*. A lock older than the training time limit
is considered abandoned and taken over.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from finance.models import Workspace
from forecasting.artifacts import artifact_save
from forecasting.engine import competition as engine
from forecasting.models import Deployment, ModelKind, ModelVersion, TargetState, TrainingJob
from forecasting.selectors.series import DEFAULT_HORIZON, Series, series_build, series_group_build
from forecasting.services.alerts import alert_raise
from forecasting.services.cache import forecast_cache_invalidate
from forecasting.services.registry import model_version_deploy
from forecasting.targets import Target

logger = logging.getLogger(__name__)
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class TrainingRefused(ValueError):
    """A training request that cannot be accepted (bad target, nothing to learn from)."""


def training_job_create(
    *,
    workspace: Workspace,
    target: str,
    algorithms: list[str] | None = None,
    frequency: str = "M",
    horizon: int | None = None,
    trigger: str = TrainingJob.Trigger.MANUAL,
    user: AbstractBaseUser | None = None,
    enqueue: bool = True,
) -> TrainingJob:
    """Queue a training job; the Celery task is sent when the transaction commits."""
    parsed = Target.parse(target)
    job = TrainingJob.objects.create(
        workspace=workspace,
        target=parsed.key,
        kind=parsed.kind,
        trigger=trigger,
        algorithms=list(algorithms or (settings.ML_ALGORITHMS if parsed.is_forecast else [])),
        params={"frequency": frequency, "horizon": horizon or DEFAULT_HORIZON[frequency]},
        requested_by=user,
    )
    if enqueue:
        from forecasting.tasks import training_job_run_task

        transaction.on_commit(lambda: _send(job.pk, training_job_run_task))
    return job


def _send(job_id: int, task: Any) -> None:
    result = task.delay(job_id)
    TrainingJob.objects.filter(pk=job_id, celery_task_id="").update(celery_task_id=result.id or "")


# --- the lock -------------------------------------------------------------------------


def _lock_acquire(*, job: TrainingJob) -> bool:
    state, _ = TargetState.objects.get_or_create(
        workspace_id=job.workspace_id, target=job.target, defaults={"kind": job.kind}
    )
    stale = timezone.now() - dt.timedelta(minutes=settings.ML_TRAINING_TIMEOUT_MINUTES)
    taken = TargetState.objects.filter(
        Q(running_job__isnull=True) | Q(running_job=job) | Q(locked_at__lt=stale), pk=state.pk
    ).update(running_job=job, locked_at=timezone.now())
    return taken == 1


def _lock_release(*, job: TrainingJob, trained: bool, rows_consumed: int = 0) -> None:
    """Free the target. ``rows_consumed`` rows (those counted when the job started) are
    taken off the counter: learned from, or found too few to learn from; rows that
    arrived during the training still count toward the next one."""
    updates: dict[str, Any] = {"running_job": None, "locked_at": None, "new_rows": F("new_rows") - rows_consumed}
    if trained:
        updates |= {"last_trained_at": timezone.now(), "new_feedback": 0, "retrain_requested": False}
    TargetState.objects.filter(workspace_id=job.workspace_id, target=job.target, running_job=job).update(**updates)


def _progress(job: TrainingJob, value: int) -> None:
    TrainingJob.objects.filter(pk=job.pk).update(progress=value)


# --- running a job --------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    deploy: bool
    text: str


def _champion_decision(
    *, job: TrainingJob, winner: Any, series: Series, horizon: int, champion: ModelVersion | None
) -> Decision:
    """Champion/challenger: the winner replaces the deployed version only if its backtest
    MAE is no worse than the champion's algorithm re-run on the same windows."""
    challenger_mae = winner.metrics["mae"]
    if champion is None:
        return Decision(True, f"No model was deployed; {winner.name} (MAE {challenger_mae:.4g}) deployed.")
    champion_mae = engine.backtest_score(
        series.values,
        algorithm=champion.algorithm,
        params=champion.params,
        horizon=horizon,
        season_length=series.season_length,
    )
    if champion_mae is None:
        return Decision(
            True,
            f"Champion v{champion.version} ({champion.algorithm}) cannot be backtested on the new data; "
            f"{winner.name} (MAE {challenger_mae:.4g}) deployed.",
        )
    if challenger_mae <= champion_mae:
        return Decision(
            True,
            f"Challenger {winner.name} (MAE {challenger_mae:.4g}) beat or matched champion "
            f"v{champion.version} {champion.algorithm} (MAE {champion_mae:.4g}) on the same backtest windows.",
        )
    return Decision(
        False,
        f"Challenger {winner.name} (MAE {challenger_mae:.4g}) did not beat champion v{champion.version} "
        f"{champion.algorithm} (MAE {champion_mae:.4g}) on the same backtest windows; it stays a candidate.",
    )


def _next_version_number(*, workspace_id: int, target: str) -> int:
    last = (
        ModelVersion.objects.filter(workspace_id=workspace_id, target=target)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return (last or 0) + 1


def training_job_run(*, job_id: int) -> TrainingJob:
    """Run a queued job to the end. Idempotent: a finished job is returned untouched."""
    job = TrainingJob.objects.select_related("workspace").get(pk=job_id)
    if job.status in (TrainingJob.Status.SUCCEEDED, TrainingJob.Status.FAILED, TrainingJob.Status.SKIPPED):
        return job
    if not _lock_acquire(job=job):
        holder = TargetState.objects.filter(workspace_id=job.workspace_id, target=job.target).values_list(
            "running_job_id", flat=True
        ).first()
        return _finish(job, TrainingJob.Status.SKIPPED, decision=f"Another training of {job.target} is running (job {holder}).")

    TrainingJob.objects.filter(pk=job.pk).update(
        status=TrainingJob.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1, progress=5
    )
    rows_seen = TargetState.objects.filter(workspace_id=job.workspace_id, target=job.target).values_list(
        "new_rows", flat=True
    ).first() or 0
    try:
        job.refresh_from_db()
        if job.kind == ModelKind.FORECASTER:
            job = _train_forecaster(job)
        else:
            from forecasting.services.classification import classifier_job_train

            job = classifier_job_train(job=job)
    except TRANSIENT_ERRORS:
        # Database or storage hiccup: keep the lock (it is ours) and let Celery retry.
        raise
    except Exception as exc:
        logger.exception("Training job %s failed", job.pk)
        _lock_release(job=job, trained=False)
        return training_job_fail(job_id=job.pk, error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
    _lock_release(job=job, trained=job.status == TrainingJob.Status.SUCCEEDED, rows_consumed=rows_seen)
    return job


def training_job_fail(*, job_id: int, error: str) -> TrainingJob:
    """Mark a job failed with the reason, free its lock and raise a training alert."""
    job = TrainingJob.objects.select_related("workspace").get(pk=job_id)
    _lock_release(job=job, trained=False)
    if job.status in (TrainingJob.Status.SUCCEEDED, TrainingJob.Status.FAILED, TrainingJob.Status.SKIPPED):
        return job
    _finish(job, TrainingJob.Status.FAILED, error=error)
    alert_raise(
        workspace=job.workspace, kind="training", target=job.target,
        message=f"Training of {job.target} failed: {error.splitlines()[0] if error else 'unknown error'}",
    )
    return job


def _finish(job: TrainingJob, status: str, *, decision: str = "", error: str = "") -> TrainingJob:
    job.status = status
    job.decision = decision or job.decision
    job.error = error
    job.progress = 100
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "decision", "error", "progress", "finished_at"])
    return job


def _train_forecaster(job: TrainingJob) -> TrainingJob:
    target = Target.parse(job.target)
    frequency = job.params.get("frequency", "M")
    horizon = int(job.params.get("horizon") or DEFAULT_HORIZON[frequency])
    series = series_build(workspace=job.workspace, target=target, frequency=frequency)
    group = series_group_build(workspace=job.workspace, target=target, series=series)
    _progress(job, 10)

    started = time.perf_counter()
    result = engine.run_competition(
        series.values,
        horizon=horizon,
        season_length=series.season_length,
        algorithms=job.algorithms or None,
        random_state=0,
        group_series=group,
    )
    job.results = result.to_dict()["candidates"]
    _progress(job, 80)
    ok = [c for c in result.candidates if c.status == "ok"]
    if not ok:
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in result.candidates)
        job.save(update_fields=["results"])
        return _finish(
            job, TrainingJob.Status.SKIPPED,
            decision=f"Not enough data to train any algorithm ({len(series)} {frequency} points). {reasons}",
        )

    stored = {}
    for candidate in ok:
        stored[candidate.name] = artifact_save(
            obj=candidate.forecaster,
            name=f"{job.workspace_id}/{target.key.replace(':', '_')}/job{job.pk}-{candidate.name}.pkl",
        )
    _progress(job, 90)

    with transaction.atomic():
        champion = ModelVersion.objects.filter(
            workspace_id=job.workspace_id, target=job.target, status=ModelVersion.Status.DEPLOYED
        ).first()
        number = _next_version_number(workspace_id=job.workspace_id, target=job.target)
        versions = {}
        for candidate in ok:
            artifact = stored[candidate.name]
            versions[candidate.name] = ModelVersion.objects.create(
                workspace_id=job.workspace_id, target=job.target, kind=ModelKind.FORECASTER,
                algorithm=candidate.name, version=number, params=candidate.params,
                metrics=candidate.metrics, backtest=candidate.backtest_dict(series.dates),
                frequency=frequency, horizon=horizon,
                training_start=series.dates[0], training_end=series.dates[-1],
                n_observations=len(series), data_hash=series.data_hash, training_data=series.as_dict(),
                artifact_path=artifact.path, artifact_sha256=artifact.sha256, artifact_size=artifact.size,
                fit_seconds=candidate.fit_seconds,
                created_by=ModelVersion.CreatedBy.SCHEDULE if job.trigger == TrainingJob.Trigger.SCHEDULE
                else ModelVersion.CreatedBy.JOB,
                created_by_user=job.requested_by, training_job=job,
            )
            number += 1
        winner = result.winner
        decision = _champion_decision(job=job, winner=winner, series=series, horizon=horizon, champion=champion)
        job.winner = versions[winner.name]
        job.deployed = decision.deploy
        if decision.deploy:
            job.winner = model_version_deploy(
                version=job.winner, user=job.requested_by, reason=decision.text,
                action=Deployment.Action.AUTO_DEPLOY,
            ).to_version
        job.save(update_fields=["results", "winner", "deployed"])
        _finish(job, TrainingJob.Status.SUCCEEDED, decision=decision.text)
        # New versions change what a forecast by algorithm (``model_type``) answers.
        transaction.on_commit(lambda: forecast_cache_invalidate(workspace_id=job.workspace_id))
    logger.info("Job %s trained %s in %.1fs: %s", job.pk, job.target, time.perf_counter() - started, decision.text)
    return job
