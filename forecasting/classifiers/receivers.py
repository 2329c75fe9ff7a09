"""Classifiers listen to the registry: a newly deployed classifier looks at the rows it
has not seen."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from forecasting.registry.models import ModelKind
from forecasting.registry.signals import deployment_changed
from forecasting.serving.cache import CLASSIFIERS_BACKLOG_DELAY

logger = logging.getLogger(__name__)


@receiver(deployment_changed, dispatch_uid="forecasting.classifiers.deployment_changed")
def classifier_backlog_queue(sender: type, *, workspace_id: int, target: str, kind: str, **kwargs: Any) -> None:
    """Queue the pass over the rows a deployed classifier has not scored; it starts after
    every process has let go of its memory of the previous deployment (see
    ``CLASSIFIERS_LOCAL_SECONDS``), so a row written meanwhile is not missed."""
    if kind in (ModelKind.FORECASTER, ModelKind.STOCKOUT):  # the stockout model scores no transactions
        return
    from forecasting.classifiers.tasks import workspace_score_task

    try:
        workspace_score_task.apply_async(args=[workspace_id, target], countdown=CLASSIFIERS_BACKLOG_DELAY)
    except Exception:
        logger.warning("Could not queue the scoring of workspace %s's existing rows", workspace_id, exc_info=True)
