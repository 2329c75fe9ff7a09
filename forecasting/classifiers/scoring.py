"""Suggesting categories and scoring transactions for fraud and anomalies.

* **Suggestions** go into the transaction's own ``category`` with
  ``category_source="model"`` and the calibrated ``category_confidence``; a category a
  user (or a rule) set is never touched, and a workspace below
  ``MIN_TRANSACTIONS_FOR_TRAINING`` categorised rows gets no suggestion at all.
* **Scores**: every new transaction is scored after its transaction commits, inline
  (one row, models from the in-process LRU) or, for large imports, in Celery batches.
  Fraud and anomaly scores land on the row; flagged rows raise an alert.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction as db_transaction
from django.db.models import Case, FloatField, IntegerField, Q, Value, When
from django.utils import timezone

from finance.models import Category, Transaction, Workspace
from forecasting.classifiers.loading import (
    ALGORITHM,
    LoadedModel,
    classifiers_deployed,
    classifiers_serving,
    deployed_classifiers,
)
from forecasting.classifiers.selectors import (
    ANOMALY,
    CATEGORIZER,
    CLASSIFIER_TARGETS,
    FRAUD,
    category_decisions,
    classifier_readiness,
    history_records,
    transaction_records,
)
from forecasting.monitoring.alerts import alert_raise
from forecasting.monitoring.models import Alert
from forecasting.registry.models import ModelVersion
from forecasting.serving.predictions import PredictionEntry, prediction_log

logger = logging.getLogger(__name__)


HISTORY_DAYS = 400  # context read around scored rows (counts, recency, new payee)
INLINE_SCORING_LIMIT = 500  # rows scored in the writer's process after commit; more go to Celery
SCORING_BATCH = 1000
FRAUD_CRITICAL_SCORE = 0.8
ALERT_IDS_SHOWN = 20


# --- suggestions ------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySuggestion:
    category: Category
    confidence: float
    source: str  # model, memory or correction
    model_version_id: int
    alternatives: tuple[tuple[Category, float], ...] = ()


def _recent_decisions(workspace_id: int, model: LoadedModel) -> dict[str, int]:
    """Corrections and acceptances made since the model's training began: they apply at
    once. (Reading back as far as a training may last overlaps with what the model
    learned, which is harmless: the newest decision for a payee wins either way.)"""
    since = None
    if model.created_at is not None:
        since = model.created_at - dt.timedelta(minutes=settings.ML_TRAINING_TIMEOUT_MINUTES)
    return category_decisions(workspace=Workspace(pk=workspace_id), since=since).latest


def categories_suggest(
    *, workspace_id: int, records: Sequence[Mapping[str, Any]], model: LoadedModel | None = None,
) -> list[CategorySuggestion | None]:
    """A suggestion per record (``None``: nothing to suggest: cold start, or no category
    of the record's kind). Records with a ``kind`` only get categories of that kind."""
    if model is None:
        model = deployed_classifiers(workspace_id=workspace_id, targets=(CATEGORIZER,)).get(CATEGORIZER)
    if model is None or not records:
        return [None] * len(records)
    categories = {c.pk: c for c in Category.objects.filter(workspace_id=workspace_id)}
    by_kind = {kind: [pk for pk, c in categories.items() if c.kind == kind] for kind in Category.Kind.values}
    allowed = [by_kind.get(r.get("kind") or "", list(categories)) for r in records]
    raw = model.model.suggest(list(records), allowed=allowed, corrections=_recent_decisions(workspace_id, model))
    out: list[CategorySuggestion | None] = []
    for suggestion in raw:
        if suggestion is None or suggestion.label not in categories:
            out.append(None)
            continue
        out.append(CategorySuggestion(
            category=categories[suggestion.label], confidence=suggestion.confidence, source=suggestion.source,
            model_version_id=model.version_id,
            alternatives=tuple((categories[label], conf) for label, conf in suggestion.alternatives if label in categories),
        ))
    return out


def transaction_category_suggest(*, transaction: Transaction) -> CategorySuggestion | None:
    """What the deployed categoriser would suggest for ``transaction`` (nothing is saved)."""
    return categories_suggest(workspace_id=transaction.workspace_id,
                              records=transaction_records([transaction]))[0]


def transactions_categorize(
    *, workspace: Workspace, records: Sequence[Mapping[str, Any]], user: AbstractBaseUser | None = None,
) -> dict[str, Any]:
    """Suggestions for descriptions that are not (yet) transactions — the categorise API.
    Logged as one :class:`~forecasting.models.Prediction`."""
    serving = classifiers_serving(workspace_id=workspace.pk, targets=(CATEGORIZER,))
    model = serving.loaded.get(CATEGORIZER)
    suggestions = categories_suggest(workspace_id=workspace.pk, records=records, model=model)
    results = []
    for record, suggestion in zip(records, suggestions, strict=True):
        item: dict[str, Any] = {"description": record.get("description", ""), "category": None,
                                "category_name": None, "confidence": None, "source": None, "alternatives": []}
        if suggestion is not None:
            item.update(
                category=suggestion.category.pk, category_name=suggestion.category.name,
                confidence=suggestion.confidence, source=suggestion.source,
                alternatives=[{"category": c.pk, "category_name": c.name, "confidence": conf}
                              for c, conf in suggestion.alternatives],
            )
        results.append(item)
    output: dict[str, Any] = {"workspace": workspace.pk, "results": results}
    if model is None:
        output["model"] = None
        if CATEGORIZER in serving.unavailable:  # deployed, but no intact version is left
            output["detail"] = (f"The categoriser is unavailable: {serving.unavailable[CATEGORIZER]} "
                                "No suggestions until it is retrained or restored.")
            return output
        readiness = classifier_readiness(workspace_id=workspace.pk, target=CATEGORIZER)
        output["detail"] = (readiness.reason if not readiness.ready
                            else "The categoriser has not been trained yet; no suggestions until it is.")
        return output
    output["model"] = {"id": model.version_id, "version": model.version, "algorithm": ALGORITHM[CATEGORIZER],
                       "trained_until": model.trained_until, "metrics": model.metrics}
    [prediction] = prediction_log(workspace=workspace, user=user, entries=[PredictionEntry(
        model_version_id=model.version_id, target=CATEGORIZER,
        request={"count": len(records), "descriptions": [r.get("description", "") for r in records[:50]]},
        output={"categories": [r["category"] for r in results[:50]],
                "confidences": [r["confidence"] for r in results[:50]]},
    )])
    output["prediction_id"] = str(prediction.pk)
    return output


# --- scoring new transactions -----------------------------------------------------------


@dataclass
class ScoreReport:
    suggested: int = 0
    scored: int = 0
    flagged: list[int] = field(default_factory=list)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def transactions_score(
    *, workspace: Workspace, transactions: Iterable[Transaction], targets: Iterable[str] = CLASSIFIER_TARGETS,
    alert: bool = True, models: Mapping[str, LoadedModel] | None = None,
) -> ScoreReport:
    """Suggest categories for the uncategorised rows and score every row for fraud and
    anomalies with the deployed models (of ``targets``; or with ``models``, loaded by the
    caller); flagged rows raise alerts (``alert=False`` for a backlog of old rows: they
    are flagged, not announced)."""
    rows = [t for t in transactions if t.workspace_id == workspace.pk]
    report = ScoreReport()
    if models is None:
        models = deployed_classifiers(workspace_id=workspace.pk, targets=tuple(targets))
    if not rows or not models:
        return report
    with db_transaction.atomic():
        if CATEGORIZER in models:
            report.suggested = _suggest_into(workspace.pk, rows, models[CATEGORIZER])
        detectors = {t: models[t] for t in (FRAUD, ANOMALY) if t in models}
        if detectors:
            _score_into(workspace, rows, detectors, report, alert=alert)
    return report


def _suggest_into(workspace_id: int, rows: list[Transaction], model: LoadedModel) -> int:
    todo = [t for t in rows if t.category_id is None and t.category_source == Transaction.CategorySource.NONE]
    if not todo:
        return 0
    suggestions = categories_suggest(workspace_id=workspace_id, records=transaction_records(todo), model=model)
    pairs = [(t.pk, s) for t, s in zip(todo, suggestions, strict=True) if s is not None]
    changed = 0
    now = timezone.now()
    for chunk in _chunks(pairs, SCORING_BATCH):
        # One conditional UPDATE: a row a user categorised meanwhile is left alone.
        changed += Transaction.objects.filter(
            pk__in=[pk for pk, _ in chunk], category__isnull=True, category_source=Transaction.CategorySource.NONE,
        ).update(
            category_id=Case(*[When(pk=pk, then=Value(s.category.pk)) for pk, s in chunk], output_field=IntegerField()),
            category_confidence=Case(*[When(pk=pk, then=Value(s.confidence)) for pk, s in chunk],
                                     output_field=FloatField()),
            category_source=Transaction.CategorySource.MODEL,
            updated_at=now,
        )
    return changed


def _score_into(workspace: Workspace, rows: list[Transaction], detectors: dict[str, LoadedModel],
                report: ScoreReport, *, alert: bool) -> None:
    records = transaction_records(rows)
    start = min(t.date for t in rows) - dt.timedelta(days=HISTORY_DAYS)
    history = history_records(workspace_id=workspace.pk, start=start, end=max(t.date for t in rows),
                              exclude=[t.pk for t in rows])
    scores: dict[str, np.ndarray] = {}
    flags = np.zeros(len(rows), dtype=bool)
    for target, loaded in detectors.items():
        scores[target] = np.asarray(loaded.model.score(records, history=history), dtype=float)
        flagged = loaded.model.flag(scores[target])
        flags |= flagged
        if alert and flagged.any():
            _alert(workspace, target, loaded, [(rows[i], float(scores[target][i])) for i in np.flatnonzero(flagged)])
    for i, row in enumerate(rows):
        if FRAUD in scores:
            row.fraud_score = round(float(scores[FRAUD][i]), 6)
        if ANOMALY in scores:
            row.anomaly_score = round(float(scores[ANOMALY][i]), 6)
        row.is_flagged = bool(flags[i]) or row.is_flagged
    Transaction.objects.bulk_update(rows, ["fraud_score", "anomaly_score", "is_flagged"], batch_size=SCORING_BATCH)
    report.scored = len(rows)
    report.flagged = [rows[i].pk for i in np.flatnonzero(flags)]


def _alert(workspace: Workspace, target: str, loaded: LoadedModel, hits: list[tuple[Transaction, float]]) -> None:
    hits.sort(key=lambda pair: -pair[1])
    top, score = hits[0]
    what = "possible fraud" if target == FRAUD else "unusual (anomaly)"
    label = top.description or top.merchant or top.get_kind_display()
    message = (f"{len(hits)} new transaction{'s' if len(hits) != 1 else ''} flagged as {what}; highest score "
               f"{score:.2f}: {top.date} {top.amount} {top.currency} {label} (id {top.pk}).")
    critical = target == FRAUD and score >= FRAUD_CRITICAL_SCORE
    alert_raise(
        workspace=workspace, kind=Alert.Kind.FRAUD if target == FRAUD else Alert.Kind.ANOMALY,
        severity=Alert.Severity.CRITICAL if critical else Alert.Severity.WARNING, target=target,
        model_version=ModelVersion(pk=loaded.version_id), message=message, dedupe=False,
        data={"transactions": [t.pk for t, _ in hits[:ALERT_IDS_SHOWN]],
              "scores": [round(s, 4) for _, s in hits[:ALERT_IDS_SHOWN]], "count": len(hits)},
    )


def transactions_score_on_commit(*, workspace_id: int, ids: Sequence[int]) -> None:
    """Called from the ``post_save`` / import signals: score the new rows once their
    transaction commits — inline for a few rows, in Celery batches for an import.
    A scoring failure is logged; it never fails the write."""
    ids = [pk for pk in ids if pk is not None]
    if ids:
        db_transaction.on_commit(lambda: transactions_score_committed(workspace_id=workspace_id, ids=ids))


def transactions_score_committed(*, workspace_id: int, ids: list[int]) -> None:
    """Score rows that are committed (see :func:`transactions_score_on_commit`) with the
    classifiers deployed now; with none deployed it costs one cache read (the deployment
    generation: a deploy committed by any process is seen by the next row)."""
    try:
        if not classifiers_deployed(workspace_id=workspace_id):
            return  # nothing deployed: nothing to do
        if len(ids) > INLINE_SCORING_LIMIT:
            from forecasting.classifiers.tasks import transactions_score_task

            for chunk in _chunks(ids, SCORING_BATCH):
                transactions_score_task.delay(workspace_id, list(chunk))
            return
        transactions_score_ids(workspace_id=workspace_id, ids=ids)
    except Exception:
        logger.exception("Scoring %d new transaction(s) of workspace %s failed", len(ids), workspace_id)


def transactions_score_ids(
    *, workspace_id: int, ids: Sequence[int], targets: Iterable[str] = CLASSIFIER_TARGETS, alert: bool = True,
) -> ScoreReport:

    """Score the rows with these ids (see :func:`transactions_score`)."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return ScoreReport()
    rows = list(Transaction.objects.filter(workspace=workspace, pk__in=list(ids)).order_by("date", "id"))
    return transactions_score(workspace=workspace, transactions=rows, targets=targets, alert=alert)


#: The rows a deployed model has not looked at yet (scored by
#: :mod:`forecasting.classifiers.sweep` after a deploy and periodically).
BACKLOG = {
    CATEGORIZER: Q(category__isnull=True, category_source=Transaction.CategorySource.NONE),
    FRAUD: Q(fraud_score__isnull=True),
    ANOMALY: Q(anomaly_score__isnull=True),
}
