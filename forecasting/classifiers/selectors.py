"""Reads for the classifiers: training rows, labels, corrections and readiness."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from finance.models import Account, Category, Transaction, Workspace
from forecasting.classifiers.anomaly import MIN_ROWS as ANOMALY_MIN_ROWS
from forecasting.classifiers.categorizer import payee_text
from forecasting.classifiers.fraud import MIN_FRAUD_LABELS
from forecasting.serving.models import Feedback

CATEGORIZER, FRAUD, ANOMALY = "categorizer", "fraud", "anomaly"
CLASSIFIER_TARGETS = (CATEGORIZER, FRAUD, ANOMALY)

#: Rows a user (or a rule) categorised: the categoriser's teachers. Model suggestions
#: are not labels until a user accepts them (then their source becomes "user").
LABELLED_SOURCES = (Transaction.CategorySource.USER, Transaction.CategorySource.RULE)
#: The categoriser reads the account's name (an "account" of /ml/categorize/ is a name too).
RECORD_FIELDS = ("id", "date", "description", "merchant", "account__name", "kind", "amount", "category_id",
                 "created_at")


def _account_names(rows: list[Transaction]) -> dict[int, str]:
    """The names of the rows' accounts: those loaded with the rows, the others in one query."""
    names = {t.account_id: t.account.name for t in rows if Transaction.account.is_cached(t)}
    missing = {t.account_id for t in rows} - names.keys()
    if missing:
        names.update(Account.objects.filter(pk__in=missing).values_list("pk", "name"))
    return names


def transaction_records(rows: Iterable[Transaction]) -> list[dict[str, Any]]:
    """Plain dicts of the fields the classifiers read."""
    rows = list(rows)
    accounts = _account_names(rows)
    return [
        {"id": t.pk, "date": t.date, "description": t.description, "merchant": t.merchant,
         "account": accounts.get(t.account_id, ""), "kind": t.kind, "amount": float(t.amount),
         "category": t.category_id, "created_at": t.created_at}
        for t in rows
    ]


def _values_records(queryset: QuerySet) -> list[dict[str, Any]]:
    records = []
    for row in queryset.values(*RECORD_FIELDS):
        row["amount"] = float(row["amount"])
        row["category"] = row.pop("category_id")
        row["account"] = row.pop("account__name")
        records.append(row)
    return records


@dataclass(frozen=True)
class CategorizerData:
    records: list[dict[str, Any]]  # in date order
    labels: list[int]  # category ids
    corrected: list[bool]  # the row's category came from a correction
    corrections: dict[str, int]  # payee key → the category the latest correction chose
    data_hash: str


def categorizer_training_data(*, workspace: Workspace) -> CategorizerData:
    """Every labelled row of the workspace, oldest first, with the corrections."""
    rows = Transaction.objects.filter(
        workspace=workspace, category__isnull=False, category_source__in=LABELLED_SOURCES
    ).order_by("date", "id")
    records = _values_records(rows)
    decisions = category_decisions(workspace=workspace)
    corrected_ids = set(decisions.corrected_ids)
    digest = hashlib.sha256()
    for r in records:
        digest.update(f"{r['id']}:{r['category']}:{r['description']}:{r['merchant']};".encode())
    return CategorizerData(
        records=records,
        labels=[r["category"] for r in records],
        corrected=[r["id"] in corrected_ids for r in records],
        corrections=decisions.latest,
        data_hash=digest.hexdigest(),
    )


@dataclass(frozen=True)
class CategoryDecisions:
    latest: dict[str, int]  # payee key → category of the most recent decision
    corrected_ids: list[int]  # transactions a user corrected (not merely accepted)


def category_decisions(*, workspace: Workspace, since: dt.datetime | None = None, limit: int = 5000) -> CategoryDecisions:
    """Users' corrections and acceptances of suggestions (newest last wins), by payee key,
    for categories that still exist."""
    feedback = Feedback.objects.filter(
        workspace=workspace, kind__in=(Feedback.Kind.CORRECTION, Feedback.Kind.ACCEPTANCE),
        transaction__isnull=False,
    )
    if since is not None:
        feedback = feedback.filter(created_at__gt=since)
    rows = list(
        feedback.order_by("-created_at", "-id").values_list(
            "transaction_id", "kind", "transaction__description", "transaction__merchant", "actual"
        )[:limit]
    )
    existing = set(Category.objects.filter(workspace=workspace).values_list("pk", flat=True))
    latest: dict[str, int] = {}
    for _, _, description, merchant, actual in reversed(rows):
        key = payee_text(description, merchant)
        if isinstance(actual, int) and actual in existing and key:
            latest[key] = actual
    return CategoryDecisions(
        latest=latest, corrected_ids=[r[0] for r in rows if r[1] == Feedback.Kind.CORRECTION]
    )


def fraud_labels(*, workspace: Workspace) -> dict[int, bool]:
    """The latest fraud label of every labelled transaction of the workspace."""
    labels: dict[int, bool] = {}
    rows = Feedback.objects.filter(
        workspace=workspace, kind=Feedback.Kind.FRAUD_LABEL, transaction__isnull=False
    ).order_by("created_at", "id").values_list("transaction_id", "actual")
    for transaction_id, actual in rows:
        labels[transaction_id] = bool(actual)
    return labels


def all_transaction_records(*, workspace: Workspace) -> list[dict[str, Any]]:
    """Every transaction of the workspace, oldest first (for fraud and anomaly models)."""
    return _values_records(Transaction.objects.filter(workspace=workspace).order_by("date", "id"))


def history_records(*, workspace_id: int, start: dt.date, end: dt.date, exclude: Iterable[int]) -> list[dict[str, Any]]:
    """The workspace's rows dated ``start``..``end`` other than ``exclude`` (context for scoring)."""
    rows = Transaction.objects.filter(workspace_id=workspace_id, date__gte=start, date__lte=end).exclude(
        pk__in=list(exclude)
    ).order_by("date", "id")
    return _values_records(rows)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    rows: int


#: The readiness rule of each classifier another feature trains through this lifecycle
#: (:func:`forecasting.classifiers.training.classifier_register`).
READINESS_RULES: dict[str, Callable[..., Readiness]] = {}


def classifier_readiness(*, workspace_id: int, target: str) -> Readiness:
    """Whether a classifier target has enough data for its first training, and why not."""
    if target in READINESS_RULES:
        return READINESS_RULES[target](workspace_id=workspace_id)
    needed = settings.MIN_TRANSACTIONS_FOR_TRAINING
    transactions = Transaction.objects.filter(workspace_id=workspace_id)
    if target == CATEGORIZER:
        labelled = transactions.filter(category__isnull=False, category_source__in=LABELLED_SOURCES)
        rows = labelled.count()
        if rows < needed:
            return Readiness(False, f"Cold start: {rows} of {needed} categorised transactions needed.", rows)
        categories = labelled.values("category_id").distinct().count()
        if categories < 2:
            return Readiness(False, f"{rows} categorised transactions but only {categories} category; two or more "
                                    "are needed.", rows)
        return Readiness(True, f"Never trained and {rows} categorised transactions available.", rows)
    if target == ANOMALY:
        needed = max(needed, ANOMALY_MIN_ROWS)  # below it the forest cannot be fitted
    rows = transactions.count()
    if rows < needed:
        return Readiness(False, f"Cold start: {rows} of {needed} transactions needed.", rows)
    if target == FRAUD:
        frauds = sum(fraud_labels(workspace=Workspace(pk=workspace_id)).values())
        if frauds < MIN_FRAUD_LABELS:
            return Readiness(False, f"{frauds} of {MIN_FRAUD_LABELS} transactions labelled as fraud needed.", rows)
        return Readiness(True, f"Never trained; {rows} transactions and {frauds} fraud labels available.", rows)
    return Readiness(True, f"Never trained and {rows} transactions available.", rows)
