"""Scheduled work over every workspace: the daily continuous-learning sweep, the weekly
full retrain, the daily evaluation of deployed models and the clean-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from finance.models import Sale, Transaction, Workspace
from forecasting.monitoring.services import model_version_evaluate
from forecasting.registry.artifacts import model_cache
from forecasting.registry.models import ModelVersion, TargetState
from forecasting.serving.models import Prediction
from forecasting.training.autolearn import autolearn_check, target_retrain
from forecasting.training.models import TrainingJob

BASE_TARGETS = ("revenue", "expense", "inventory")


@dataclass
class SweepReport:
    queued: list[int] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _row_counts(workspace: Workspace) -> dict[str, int]:
    counts = dict(
        Transaction.objects.filter(workspace=workspace, status=Transaction.Status.APPROVED)
        .values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    counts["inventory"] = Sale.objects.filter(workspace=workspace).count()
    return counts


def _queue(workspace: Workspace, target: str, trigger: str, report: SweepReport) -> None:
    retrain = target_retrain(workspace=workspace, target=target, trigger=trigger)
    if retrain.created:
        report.queued.append(retrain.job.pk)
    else:
        report.skipped[f"{workspace.pk}:{target}"] = "a training is already queued or running"


def continuous_learning_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Daily: train what was never trained once it has ``MIN_TRANSACTIONS_FOR_TRAINING``
    rows; retrain what was trained ``RETRAIN_INTERVAL_DAYS`` ago or more and has
    ``MIN_NEW_TRANSACTIONS_FOR_RETRAIN`` new rows; honour retrain requests from alerts."""
    now = now or timezone.now()
    report = SweepReport()
    interval = dt.timedelta(days=settings.RETRAIN_INTERVAL_DAYS)
    for workspace in Workspace.objects.all():
        counts = _row_counts(workspace)
        states = {s.target: s for s in TargetState.objects.filter(workspace=workspace)}
        for target in BASE_TARGETS:
            state = states.get(target)
            key = f"{workspace.pk}:{target}"
            if state is not None and state.retrain_requested:
                _queue(workspace, target, TrainingJob.Trigger.DEGRADATION, report)
            elif state is None or state.last_trained_at is None:
                if counts.get(target, 0) >= settings.MIN_TRANSACTIONS_FOR_TRAINING:
                    _queue(workspace, target, TrainingJob.Trigger.SCHEDULE, report)
                else:
                    report.skipped[key] = f"insufficient data ({counts.get(target, 0)} rows)"
            elif now - state.last_trained_at >= interval and state.new_rows >= settings.MIN_NEW_TRANSACTIONS_FOR_RETRAIN:
                _queue(workspace, target, TrainingJob.Trigger.SCHEDULE, report)
            else:
                report.skipped[key] = "up to date"
    return report


def full_retrain(*, workspace_ids: list[int] | None = None) -> SweepReport:
    """Weekly: retrain every target that has a deployed model, and every base target with
    enough data, of every (or the given) workspace."""
    report = SweepReport()
    workspaces = Workspace.objects.all()
    if workspace_ids is not None:
        workspaces = workspaces.filter(pk__in=workspace_ids)
    for workspace in workspaces:
        counts = _row_counts(workspace)
        targets = set(
            ModelVersion.objects.filter(workspace=workspace, status=ModelVersion.Status.DEPLOYED, kind="forecaster")
            .values_list("target", flat=True)
        )
        targets |= {t for t in BASE_TARGETS if counts.get(t, 0) >= settings.MIN_TRANSACTIONS_FOR_TRAINING}
        for target in sorted(targets):
            _queue(workspace, target, TrainingJob.Trigger.SCHEDULE, report)
    return report


def deployed_models_evaluate(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily: evaluate every deployed model; act on retrain requests at once."""
    counts: dict[str, int] = {}
    for version in ModelVersion.objects.filter(status=ModelVersion.Status.DEPLOYED).select_related("workspace"):
        snapshot = model_version_evaluate(version=version, today=today)
        counts[snapshot.status] = counts.get(snapshot.status, 0) + 1
        if snapshot.status in ("degraded", "drift"):
            autolearn_check(workspace=version.workspace, target=version.target)
    return counts


def predictions_cleanup(*, now: dt.datetime | None = None) -> int:
    """Delete prediction logs older than ``ML_PREDICTION_RETENTION_DAYS`` (feedback keeps
    its own copy of what was predicted) and drop retired models from memory."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.ML_PREDICTION_RETENTION_DAYS)
    deleted, _ = Prediction.objects.filter(created_at__lt=cutoff, feedback__isnull=True).delete()
    for version_id in ModelVersion.objects.filter(status=ModelVersion.Status.RETIRED).values_list("pk", flat=True):
        model_cache.discard(version_id)
    return deleted
