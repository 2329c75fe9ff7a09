"""Recording feedback: actual outcomes and user corrections of predictions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal

from finance.models import Transaction, Workspace
from forecasting.registry.models import ModelVersion, TargetState
from forecasting.serving.models import Feedback, Prediction

#: Sent once a feedback row is stored and counted (``workspace``, ``target``, ``feedback``);
#: training decides whether enough has come in to retrain.
feedback_recorded = Signal()


class FeedbackRefused(ValueError):
    """Feedback that does not fit what it refers to."""


@transaction.atomic
def feedback_create(
    *,
    workspace: Workspace,
    kind: str,
    user: AbstractBaseUser | None = None,
    target: str = "",
    prediction: Prediction | None = None,
    model_version: ModelVersion | None = None,
    transaction_row: Transaction | None = None,
    actual: Any = None,
    comment: str = "",
) -> Feedback:
    """Store feedback, judge it against what was predicted, and count it toward a retrain."""
    if prediction is not None:
        model_version = model_version or prediction.model_version
        target = target or prediction.target
    if model_version is not None:
        if prediction is not None and prediction.model_version_id not in (None, model_version.pk):
            raise FeedbackRefused("The prediction was not made by that model version.")
        target = target or model_version.target
    predicted = None
    is_correct = None
    if kind in (Feedback.Kind.CORRECTION, Feedback.Kind.ACCEPTANCE) and transaction_row is not None:
        predicted = transaction_row.category_id
        is_correct = predicted == actual if transaction_row.category_source == Transaction.CategorySource.MODEL else None
    feedback = Feedback.objects.create(
        workspace=workspace, kind=kind, target=target, prediction=prediction, model_version=model_version,
        transaction=transaction_row, predicted=predicted, actual=actual, is_correct=is_correct,
        comment=comment, user=user,
    )
    if target:
        state, _ = TargetState.objects.get_or_create(workspace=workspace, target=target)
        TargetState.objects.filter(pk=state.pk).update(new_feedback=F("new_feedback") + 1)
        feedback_recorded.send(sender=Feedback, workspace=workspace, target=target, feedback=feedback)
    return feedback
