"""Training listens for feedback: once a classifier's feedback reaches
``ML_RETRAINING_FEEDBACK_THRESHOLD`` the auto-learning rule is asked (it honours the
cooldown and queues one job)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from finance.models import Workspace
from forecasting.classifiers.selectors import CLASSIFIER_TARGETS
from forecasting.registry.models import TargetState
from forecasting.serving.feedback import feedback_recorded
from forecasting.training.autolearn import autolearn_check

logger = logging.getLogger(__name__)


@receiver(feedback_recorded, dispatch_uid="forecasting.training.feedback_recorded")
def retrain_if_feedback_enough(sender: type, *, workspace: Workspace, target: str, **kwargs: Any) -> None:
    if target not in CLASSIFIER_TARGETS:
        return
    state = TargetState.objects.filter(workspace=workspace, target=target).only("new_feedback").first()
    if state is None or state.new_feedback < settings.ML_RETRAINING_FEEDBACK_THRESHOLD:
        return

    def check() -> None:
        try:
            autolearn_check(workspace=workspace, target=target)
        except Exception:
            logger.exception("Auto-learning check of %s/%s after feedback failed", workspace.pk, target)

    transaction.on_commit(check)
