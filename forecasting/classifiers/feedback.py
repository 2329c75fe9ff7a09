"""Learning from people: accepting a suggestion, correcting a category, labelling fraud.

A correction sets the category as the user's and records a correction
:class:`~forecasting.serving.models.Feedback`; the next suggestion for the same payee
follows it at once (no retraining needed), and the next training weights the corrected
rows more. Accepting records positive feedback. Both feed the deployed version's realised
accuracy (monitoring) and the retrain counters (the training package listens for them).
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction

from finance.models import Category, Transaction, Workspace
from finance.services.transactions import transaction_validate
from forecasting.classifiers.loading import (
    ClassificationError,
)
from forecasting.classifiers.selectors import (
    CATEGORIZER,
    FRAUD,
)
from forecasting.registry.models import Deployment, ModelVersion
from forecasting.serving.feedback import feedback_create
from forecasting.serving.models import Feedback

logger = logging.getLogger(__name__)



# --- feedback: accept, correct, label fraud ---------------------------------------------


def _suggesting_version(transaction: Transaction) -> ModelVersion | None:
    """The categoriser version that was deployed when the row got its suggestion."""
    if transaction.category_source != Transaction.CategorySource.MODEL:
        return None
    deployment = (
        Deployment.objects.filter(workspace_id=transaction.workspace_id, target=CATEGORIZER,
                                  created_at__lte=transaction.updated_at)
        .select_related("to_version").order_by("-created_at", "-id").first()
    )
    if deployment is not None and deployment.to_version is not None:
        return deployment.to_version
    return ModelVersion.objects.filter(workspace_id=transaction.workspace_id, target=CATEGORIZER,
                                       status=ModelVersion.Status.DEPLOYED).first()


def _locked(transaction: Transaction) -> Transaction:
    return Transaction.objects.select_for_update(of=("self",)).select_related("category").get(pk=transaction.pk)


@db_transaction.atomic
def transaction_suggestion_accept(*, transaction: Transaction, user: AbstractBaseUser | None) -> Feedback:
    """The user agrees with the model's suggestion: the category becomes theirs and a
    positive feedback is recorded against the version that suggested it."""
    row = _locked(transaction)
    if row.category_id is None or row.category_source != Transaction.CategorySource.MODEL:
        raise ClassificationError("This transaction has no suggested category to accept.")
    feedback = feedback_create(
        workspace=row.workspace, kind=Feedback.Kind.ACCEPTANCE, user=user, target=CATEGORIZER,
        model_version=_suggesting_version(row), transaction_row=row, actual=row.category_id,
        comment=f"confidence {row.category_confidence}" if row.category_confidence is not None else "",
    )
    row.category_source = Transaction.CategorySource.USER
    row.save(update_fields=["category_source", "updated_at"])
    _sync(transaction, row)
    return feedback


@db_transaction.atomic
def transaction_suggestions_accept_above(
    *, workspace: Workspace, min_confidence: float, user: AbstractBaseUser | None
) -> int:
    """Accept every category the categoriser suggested in ``workspace`` with a confidence
    of at least ``min_confidence`` (0 … 1), each as :func:`transaction_suggestion_accept`
    does (the category becomes the user's, positive feedback is recorded); returns how
    many. Raises :class:`ClassificationError` (nothing written) for a threshold outside
    0 … 1."""
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, int | float) or not 0 <= min_confidence <= 1:
        raise ClassificationError("The confidence to accept from is a number from 0 to 100 %.")
    rows = Transaction.objects.filter(
        workspace=workspace, category_source=Transaction.CategorySource.MODEL, category__isnull=False,
        category_confidence__gte=min_confidence,
    ).order_by("id")
    accepted = 0
    for row in rows:
        transaction_suggestion_accept(transaction=row, user=user)
        accepted += 1
    return accepted


@db_transaction.atomic
def transaction_category_correct(
    *, transaction: Transaction, category: Category, user: AbstractBaseUser | None
) -> Feedback:

    """Set ``category`` as the user's choice and record the correction the categoriser
    learns from (the next suggestion for this payee follows it immediately)."""
    row = _locked(transaction)
    try:  # the rules of any transaction write, with their messages (finance's one place)
        transaction_validate(workspace=row.workspace, kind=row.kind, amount=None, category=category)
    except ValidationError as exc:
        raise ClassificationError(" ".join(exc.messages)) from None
    feedback = feedback_create(
        workspace=row.workspace, kind=Feedback.Kind.CORRECTION, user=user, target=CATEGORIZER,
        model_version=_suggesting_version(row), transaction_row=row, actual=category.pk,
    )
    row.category = category
    row.category_source = Transaction.CategorySource.USER
    row.category_confidence = None
    row.save(update_fields=["category", "category_source", "category_confidence", "updated_at"])
    _sync(transaction, row)
    return feedback


@db_transaction.atomic
def transaction_fraud_label(*, transaction: Transaction, is_fraud: bool, user: AbstractBaseUser | None) -> Feedback:
    """A user says whether a transaction was fraud: the fraud detector's teacher. The
    row's flag follows the label (a reviewed legitimate row is no longer flagged)."""
    if not isinstance(is_fraud, bool):
        raise ClassificationError("A fraud label is true (fraud) or false (legitimate).")
    row = _locked(transaction)
    deployed = ModelVersion.objects.filter(workspace_id=row.workspace_id, target=FRAUD,
                                           status=ModelVersion.Status.DEPLOYED).first()
    feedback = feedback_create(
        workspace=row.workspace, kind=Feedback.Kind.FRAUD_LABEL, user=user, target=FRAUD,
        model_version=deployed, transaction_row=row, actual=is_fraud,
    )
    if row.fraud_score is not None and deployed is not None:
        feedback.predicted = row.fraud_score
        feedback.is_correct = (row.fraud_score >= deployed.params.get("threshold", 0.5)) == is_fraud
        feedback.save(update_fields=["predicted", "is_correct"])
    row.is_flagged = is_fraud
    row.save(update_fields=["is_flagged", "updated_at"])
    _sync(transaction, row)
    return feedback



def _sync(target: Transaction, source: Transaction) -> None:
    for name in ("category_id", "category_source", "category_confidence", "is_flagged", "updated_at"):
        setattr(target, name, getattr(source, name))
    if target.category_id is not None:
        target.category = source.category


