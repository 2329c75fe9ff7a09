"""Classifier training jobs (the same job lifecycle as the forecasters'): fit, save the
version, deploy it when it beats the champion; and the daily continuous-learning sweep of
the classifiers."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import transaction as db_transaction
from django.utils import timezone

from finance.models import Transaction, Workspace
from forecasting.classifiers.loading import (
    ALGORITHM,
    KIND_OF_TARGET,
    ColdStart,
    _summary,
)
from forecasting.classifiers.selectors import (
    CATEGORIZER,
    CLASSIFIER_TARGETS,
    classifier_readiness,
)
from forecasting.classifiers.training import REGISTERED, TRAINERS, ClassifierFit
from forecasting.registry.artifacts import ArtifactIntegrityError, artifact_load, artifact_save
from forecasting.registry.models import Deployment, ModelVersion, TargetState
from forecasting.registry.services import model_version_deploy
from forecasting.training.autolearn import target_retrain
from forecasting.training.lifecycle import job_finish, job_progress, version_number_next
from forecasting.training.models import TrainingJob

logger = logging.getLogger(__name__)



MIN_COMPARE_ROWS = 20  # hold-out rows unseen by the champion needed to compare it fairly


@dataclass(frozen=True)
class _Decision:
    deploy: bool
    text: str


def _champion_decision(fit: ClassifierFit, champion: ModelVersion | None) -> _Decision:
    """The categoriser replaces the champion only if it is at least as accurate on the
    hold-out rows the champion never saw; the detectors are replaced by every training
    (they learn from new labels and history, and have no hold-out to compare on)."""
    if fit.target in REGISTERED:
        return _Decision(*REGISTERED[fit.target].decide(fit, champion))
    if champion is None:
        return _Decision(True, f"No {fit.target} was deployed; the new version is deployed.")
    if fit.target != CATEGORIZER or fit.holdout is None:
        return _Decision(True, f"Retrained {fit.target} on {fit.n_observations} transactions replaces "
                               f"v{champion.version}.")
    records, labels, evaluation = fit.holdout
    unseen = [i for i, r in enumerate(records) if champion.training_end is None or r["date"] > champion.training_end]
    if len(unseen) < MIN_COMPARE_ROWS:
        return _Decision(True, f"Only {len(unseen)} hold-out rows are newer than champion v{champion.version}'s "
                               f"training data (fewer than {MIN_COMPARE_ROWS}); the new version is deployed.")
    try:
        old = artifact_load(version_id=champion.pk, path=champion.artifact_path, sha256=champion.artifact_sha256,
                            announce=False)
    except ArtifactIntegrityError:
        return _Decision(True, f"Champion v{champion.version} failed its integrity check; the new version is deployed.")
    subset = [records[i] for i in unseen]
    truth = np.asarray([labels[i] for i in unseen], dtype=object)
    challenger = float(np.mean(evaluation.predict(subset) == truth))
    incumbent = float(np.mean(old.predict(subset) == truth))
    if challenger >= incumbent:
        return _Decision(True, f"Challenger accuracy {challenger:.1%} beat or matched champion v{champion.version} "
                               f"({incumbent:.1%}) on {len(unseen)} hold-out rows neither had seen.")
    return _Decision(False, f"Challenger accuracy {challenger:.1%} did not beat champion v{champion.version} "
                            f"({incumbent:.1%}) on {len(unseen)} hold-out rows neither had seen; it stays a candidate.")


def classifier_job_train(*, job: TrainingJob) -> TrainingJob:
    """Run a classifier training job (called by
    :func:`forecasting.training.services.training_job_run` with the target's lock held)."""
    trainer = TRAINERS.get(job.target)
    if trainer is None:
        return job_finish(job, TrainingJob.Status.FAILED, error=f"No trainer for target {job.target}.")
    job_progress(job, 10)
    try:
        fit = trainer(workspace=job.workspace)
    except ColdStart as exc:
        job.results = [{"name": ALGORITHM[job.target], "status": "skipped", "reason": str(exc)}]
        job.save(update_fields=["results"])
        return job_finish(job, TrainingJob.Status.SKIPPED, decision=str(exc))
    job_progress(job, 80)
    artifact = artifact_save(obj=fit.model, name=f"{job.workspace_id}/{job.target}/job{job.pk}-{ALGORITHM[job.target]}.pkl")
    job_progress(job, 90)
    with db_transaction.atomic():
        champion = ModelVersion.objects.filter(
            workspace_id=job.workspace_id, target=job.target, status=ModelVersion.Status.DEPLOYED
        ).first()
        version = ModelVersion.objects.create(
            workspace_id=job.workspace_id, target=job.target, kind=KIND_OF_TARGET[job.target],
            algorithm=ALGORITHM[job.target], version=version_number_next(workspace_id=job.workspace_id,
                                                                         target=job.target),
            params=fit.params, metrics=fit.metrics, backtest={"reliability": fit.reliability} if fit.reliability else {},
            training_start=fit.training_start, training_end=fit.training_end, n_observations=fit.n_observations,
            data_hash=fit.data_hash, training_data=fit.summary,
            artifact_path=artifact.path, artifact_sha256=artifact.sha256, artifact_size=artifact.size,
            fit_seconds=fit.fit_seconds,
            created_by=ModelVersion.CreatedBy.SCHEDULE if job.trigger == TrainingJob.Trigger.SCHEDULE
            else ModelVersion.CreatedBy.JOB,
            created_by_user=job.requested_by, training_job=job,
        )
        decision = _champion_decision(fit, champion)
        job.results = [{"name": ALGORITHM[job.target], "status": "ok", "metrics": _summary(fit.metrics),
                        "fit_seconds": fit.fit_seconds}]
        job.winner = version
        job.deployed = decision.deploy
        if decision.deploy:
            model_version_deploy(version=version, user=job.requested_by, reason=decision.text,
                                 action=Deployment.Action.AUTO_DEPLOY)
        job.save(update_fields=["results", "winner", "deployed"])
        job_finish(job, TrainingJob.Status.SUCCEEDED, decision=decision.text)
    logger.info("Job %s trained %s: %s", job.pk, job.target, decision.text)
    return job


# --- auto-learning ----------------------------------------------------------------------


@dataclass
class ClassifierSweepReport:
    queued: list[int] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def classifiers_sweep(*, now: dt.datetime | None = None, full: bool = False) -> ClassifierSweepReport:
    """The daily continuous-learning rule of the seeds for the classifiers: train what
    was never trained once it has enough data; retrain what was trained
    ``RETRAIN_INTERVAL_DAYS`` ago with ``MIN_NEW_TRANSACTIONS_FOR_RETRAIN`` new rows,
    or has ``ML_RETRAINING_FEEDBACK_THRESHOLD`` feedback, or was degraded (a registered
    classifier, such as the stockout model, every ``RETRAIN_INTERVAL_DAYS``). ``full``
    (the weekly retrain) retrains every deployed classifier."""
    now = now or timezone.now()
    report = ClassifierSweepReport()
    interval = dt.timedelta(days=settings.RETRAIN_INTERVAL_DAYS)
    targets = (*CLASSIFIER_TARGETS, *REGISTERED)
    deployed = set(ModelVersion.objects.filter(target__in=targets, status=ModelVersion.Status.DEPLOYED)
                   .values_list("workspace_id", "target"))
    for workspace in Workspace.objects.order_by("pk"):
        states = {s.target: s for s in TargetState.objects.filter(workspace=workspace, target__in=targets)}
        for target in targets:
            key = f"{workspace.pk}:{target}"
            state = states.get(target)
            trigger, reason = _classifier_rule(workspace, target, state, now, interval,
                                               full and (workspace.pk, target) in deployed)
            if trigger is None:
                report.skipped[key] = reason
                continue
            retrain = target_retrain(workspace=workspace, target=target, trigger=trigger)
            if retrain.created:
                report.queued.append(retrain.job.pk)
            else:
                report.skipped[key] = "a training is already queued or running"
    return report


def _classifier_rule(workspace: Workspace, target: str, state: TargetState | None, now: dt.datetime,
                     interval: dt.timedelta, full: bool) -> tuple[str | None, str]:
    if state is not None and state.retrain_requested:
        return TrainingJob.Trigger.DEGRADATION, "retrain requested by monitoring"
    if state is None or state.last_trained_at is None:
        readiness = classifier_readiness(workspace_id=workspace.pk, target=target)
        return (TrainingJob.Trigger.SCHEDULE if readiness.ready else None), readiness.reason
    if full:
        return TrainingJob.Trigger.SCHEDULE, "weekly full retrain"
    if state.new_feedback >= settings.ML_RETRAINING_FEEDBACK_THRESHOLD:
        return TrainingJob.Trigger.FEEDBACK, f"{state.new_feedback} feedback items"
    if now - state.last_trained_at < interval:
        return None, "up to date"
    if target in REGISTERED:  # learns from the whole history again: retrained every interval
        return TrainingJob.Trigger.SCHEDULE, f"last trained {interval.days} or more days ago"
    new_rows = Transaction.objects.filter(workspace=workspace, created_at__gt=state.last_trained_at).count()
    if new_rows >= settings.MIN_NEW_TRANSACTIONS_FOR_RETRAIN:
        return TrainingJob.Trigger.SCHEDULE, f"{new_rows} new transactions"
    return None, f"up to date ({new_rows} new transactions)"
