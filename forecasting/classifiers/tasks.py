"""Celery tasks of the classifiers: scoring new rows in batches, the backlog a newly
deployed classifier has not seen, and the periodic sweep of rows left unscored. Names
stay ``forecasting.tasks.*``."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from config.celery import TRANSIENT_ERRORS
from finance.models import Workspace
from forecasting.classifiers.scoring import transactions_score_ids
from forecasting.classifiers.sweep import unscored_transactions_sweep, workspace_transactions_score


@shared_task(name="forecasting.tasks.transactions_score_task", acks_late=True, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=True, max_retries=3)
def transactions_score_task(workspace_id: int, ids: list[int]) -> dict:
    """Suggest categories and score fraud/anomaly for a batch of new rows (large imports)."""
    report = transactions_score_ids(workspace_id=workspace_id, ids=ids)
    return {"suggested": report.suggested, "scored": report.scored, "flagged": len(report.flagged)}


@shared_task(name="forecasting.tasks.workspace_score_task", acks_late=True, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=True, max_retries=3, soft_time_limit=settings.ML_TRAINING_TIMEOUT_MINUTES * 60,
             time_limit=settings.ML_TRAINING_TIMEOUT_MINUTES * 60 + 60)
def workspace_score_task(workspace_id: int, target: str) -> dict:
    """After a classifier is deployed: let it look at the rows it has not seen."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return {"skipped": "workspace gone"}
    report = workspace_transactions_score(workspace=workspace, target=target)
    return {"suggested": report.suggested, "scored": report.scored, "flagged": len(report.flagged)}


@shared_task(name="forecasting.tasks.unscored_transactions_sweep_task", acks_late=True,
             autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=3,
             soft_time_limit=settings.ML_TRAINING_TIMEOUT_MINUTES * 60,
             time_limit=settings.ML_TRAINING_TIMEOUT_MINUTES * 60 + 60)
def unscored_transactions_sweep_task() -> dict:
    """Periodic (beat): every deployed classifier scores the rows left without its scores."""
    sweep = unscored_transactions_sweep()
    return {"suggested": sweep.suggested, "scored": sweep.scored, "flagged": len(sweep.flagged),
            "classifiers": sorted(sweep.classifiers), "skipped": sweep.skipped}
