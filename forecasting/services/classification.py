"""The classifiers in the product: suggesting categories, scoring transactions for fraud
and anomalies, learning from corrections, and training the three models.

* **Suggestions** go into the transaction's own ``category`` with
  ``category_source="model"`` and the calibrated ``category_confidence``; a category a
  user (or a rule) set is never touched, and a workspace below
  ``MIN_TRANSACTIONS_FOR_TRAINING`` categorised rows gets no suggestion at all.
* **Corrections** (:func:`transaction_category_correct`) set the category as the user's
  and record a correction :class:`~forecasting.models.Feedback`; the next suggestion for
  the same payee follows the correction at once (no retraining needed), and the next
  training weights the corrected rows more. Accepting a suggestion
  (:func:`transaction_suggestion_accept`) records positive feedback. Both feed the
  deployed version's realised accuracy (monitoring) and the retrain counters.
* **Scores**: every new transaction is scored after its transaction commits, inline
  (one row, models from the in-process LRU) or, for large imports, in Celery batches.
  Fraud and anomaly scores land on the row; flagged rows raise an alert.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction as db_transaction
from django.db.models import Case, FloatField, IntegerField, Q, Value, When
from django.utils import timezone

from finance.models import Category, Transaction, Workspace
from forecasting.artifacts import ArtifactIntegrityError, artifact_load, artifact_save
from forecasting.classifiers.anomaly import AnomalyDetector
from forecasting.classifiers.categorizer import TransactionCategorizer, payee_text, training_weights
from forecasting.classifiers.evaluation import (
    classification_metrics,
    lookup_baseline_predict,
    reliability_table,
    time_ordered_split,
)
from forecasting.classifiers.fraud import FraudDetector
from forecasting.models import (
    Alert,
    Deployment,
    Feedback,
    ModelKind,
    ModelVersion,
    Prediction,
    TargetState,
    TrainingJob,
)
from forecasting.selectors.classification import (
    ANOMALY,
    CATEGORIZER,
    CLASSIFIER_TARGETS,
    FRAUD,
    all_transaction_records,
    categorizer_training_data,
    category_decisions,
    classifier_readiness,
    fraud_labels,
    history_records,
    transaction_records,
)
from forecasting.services.alerts import alert_raise
from forecasting.services.cache import (
    CLASSIFIERS_LOCAL_SECONDS,
    classifiers_cache_key,
    classifiers_local,
)
from forecasting.services.feedback import feedback_create
from forecasting.services.registry import model_version_deploy

logger = logging.getLogger(__name__)

CORRECTION_WEIGHT = 3.0
HISTORY_DAYS = 400  # context read around scored rows (counts, recency, new payee)
INLINE_SCORING_LIMIT = 500  # rows scored in the writer's process after commit; more go to Celery
SCORING_BATCH = 1000
MIN_COMPARE_ROWS = 20  # hold-out rows unseen by the champion needed to compare it fairly
FRAUD_CRITICAL_SCORE = 0.8
ALERT_IDS_SHOWN = 20
REFS_TTL = 300  # seconds; deploys invalidate at once, the TTL bounds a racing reader
KIND_OF_TARGET = {CATEGORIZER: ModelKind.CATEGORIZER, FRAUD: ModelKind.FRAUD, ANOMALY: ModelKind.ANOMALY}
ALGORITHM = {CATEGORIZER: "tfidf_logreg_memory", FRAUD: "random_forest", ANOMALY: "isolation_forest"}


class ClassificationError(ValueError):
    """A classification request that cannot be honoured; the message says why."""


class ColdStart(ClassificationError):
    """Not enough data to train the model (or to suggest anything)."""


# --- deployed models --------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedModel:
    version_id: int
    version: int
    target: str
    model: Any
    metrics: dict[str, Any]
    trained_until: dt.date | None
    created_at: dt.datetime | None


def _deployed_refs(workspace_id: int) -> dict[str, dict[str, Any]]:
    """The deployed classifier versions of a workspace (cached until the next deploy)."""
    key = classifiers_cache_key(workspace_id=workspace_id)
    refs = cache.get(key)
    if refs is None:
        refs = {
            v.target: {"id": v.pk, "path": v.artifact_path, "sha256": v.artifact_sha256, "version": v.version,
                       "metrics": _summary(v.metrics), "trained_until": v.training_end, "created_at": v.created_at}
            for v in ModelVersion.objects.filter(
                workspace_id=workspace_id, target__in=CLASSIFIER_TARGETS, status=ModelVersion.Status.DEPLOYED
            ).only("pk", "target", "artifact_path", "artifact_sha256", "version", "metrics", "training_end",
                   "created_at")
        }
        cache.set(key, refs, timeout=REFS_TTL)
    return refs


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: metrics[k] for k in ("accuracy", "precision", "recall", "f1", "macro_f1", "ece") if k in metrics}


def deployed_classifiers(*, workspace_id: int, targets: Iterable[str] = CLASSIFIER_TARGETS) -> dict[str, LoadedModel]:
    """The deployed, integrity-checked classifier models of a workspace. A tampered
    artifact raises a critical alert and is left out (scoring goes on without it)."""
    loaded = {}
    for target, ref in _deployed_refs(workspace_id).items():
        if target not in targets:
            continue
        try:
            model = artifact_load(version_id=ref["id"], path=ref["path"], sha256=ref["sha256"])
        except ArtifactIntegrityError as exc:
            version = ModelVersion.objects.select_related("workspace").filter(pk=ref["id"]).first()
            if version is not None:
                alert_raise(workspace=version.workspace, kind=Alert.Kind.INTEGRITY, severity=Alert.Severity.CRITICAL,
                            target=target, model_version=version, message=str(exc))
            logger.error("Classifier %s of workspace %s not loaded: %s", target, workspace_id, exc)
            continue
        loaded[target] = LoadedModel(ref["id"], ref["version"], target, model, ref["metrics"], ref["trained_until"],
                                     ref["created_at"])
    return loaded


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
    model = deployed_classifiers(workspace_id=workspace.pk, targets=(CATEGORIZER,)).get(CATEGORIZER)
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
        readiness = classifier_readiness(workspace_id=workspace.pk, target=CATEGORIZER)
        output["model"] = None
        output["detail"] = (readiness.reason if not readiness.ready
                            else "The categoriser has not been trained yet; no suggestions until it is.")
        return output
    output["model"] = {"id": model.version_id, "version": model.version, "algorithm": ALGORITHM[CATEGORIZER],
                       "trained_until": model.trained_until, "metrics": model.metrics}
    prediction = Prediction.objects.create(
        workspace=workspace, model_version_id=model.version_id, target=CATEGORIZER,
        request={"count": len(records), "descriptions": [r.get("description", "") for r in records[:50]]},
        output={"categories": [r["category"] for r in results[:50]],
                "confidences": [r["confidence"] for r in results[:50]]},
        user=user if user is not None and user.is_authenticated else None,
    )
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
    alert: bool = True,
) -> ScoreReport:
    """Suggest categories for the uncategorised rows and score every row for fraud and
    anomalies with the deployed models (of ``targets``); flagged rows raise alerts
    (``alert=False`` for a backlog of old rows: they are flagged, not announced)."""
    rows = [t for t in transactions if t.workspace_id == workspace.pk]
    report = ScoreReport()
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
    """Score rows that are committed (see :func:`transactions_score_on_commit`); with no
    classifier deployed it costs one cache read."""
    try:
        refs = classifiers_local.get(workspace_id)
        if refs is None:
            refs = _deployed_refs(workspace_id)
            classifiers_local.set(workspace_id, refs, seconds=CLASSIFIERS_LOCAL_SECONDS)
        if not refs:
            return  # nothing deployed: nothing to do (at most one cache read a second)
        if len(ids) > INLINE_SCORING_LIMIT:
            from forecasting.tasks import transactions_score_task

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


#: The rows a newly deployed model has not looked at yet.
BACKLOG = {
    CATEGORIZER: Q(category__isnull=True, category_source=Transaction.CategorySource.NONE),
    FRAUD: Q(fraud_score__isnull=True),
    ANOMALY: Q(anomaly_score__isnull=True),
}


def workspace_transactions_score(*, workspace: Workspace, target: str) -> ScoreReport:
    """Let a newly deployed ``target`` model look at the workspace's existing rows it has
    not seen (suggestions for uncategorised rows, scores for unscored ones), in batches,
    without alerts: old rows are flagged for review, not announced."""
    ids = list(Transaction.objects.filter(BACKLOG[target], workspace=workspace).order_by("date", "id")
               .values_list("pk", flat=True))
    total = ScoreReport()
    for chunk in _chunks(ids, SCORING_BATCH):
        report = transactions_score_ids(workspace_id=workspace.pk, ids=chunk, targets=(target,), alert=False)
        total.suggested += report.suggested
        total.scored += report.scored
        total.flagged += report.flagged
    return total


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


def _retrain_if_feedback_enough(*, workspace: Workspace, target: str) -> None:
    """After commit: once feedback reaches ``ML_RETRAINING_FEEDBACK_THRESHOLD`` the
    auto-learning rule is asked (it honours the cooldown and queues one job)."""
    state = TargetState.objects.filter(workspace=workspace, target=target).only("new_feedback").first()
    if state is None or state.new_feedback < settings.ML_RETRAINING_FEEDBACK_THRESHOLD:
        return

    def check() -> None:
        from forecasting.services.autolearn import autolearn_check

        try:
            autolearn_check(workspace=workspace, target=target)
        except Exception:
            logger.exception("Auto-learning check of %s/%s after feedback failed", workspace.pk, target)

    db_transaction.on_commit(check)


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
    _retrain_if_feedback_enough(workspace=row.workspace, target=CATEGORIZER)
    return feedback


@db_transaction.atomic
def transaction_category_correct(
    *, transaction: Transaction, category: Category, user: AbstractBaseUser | None
) -> Feedback:
    """Set ``category`` as the user's choice and record the correction the categoriser
    learns from (the next suggestion for this payee follows it immediately)."""
    row = _locked(transaction)
    if category.workspace_id != row.workspace_id:
        raise ClassificationError(f"Category {category.pk} belongs to another workspace.")
    if category.kind != row.kind:
        raise ClassificationError(
            f"'{category.name}' is {_article(category.kind)} category but the transaction is {_article(row.kind)}.")
    feedback = feedback_create(
        workspace=row.workspace, kind=Feedback.Kind.CORRECTION, user=user, target=CATEGORIZER,
        model_version=_suggesting_version(row), transaction_row=row, actual=category.pk,
    )
    row.category = category
    row.category_source = Transaction.CategorySource.USER
    row.category_confidence = None
    row.save(update_fields=["category", "category_source", "category_confidence", "updated_at"])
    _sync(transaction, row)
    _retrain_if_feedback_enough(workspace=row.workspace, target=CATEGORIZER)
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
    _retrain_if_feedback_enough(workspace=row.workspace, target=FRAUD)
    return feedback


def _article(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _sync(target: Transaction, source: Transaction) -> None:
    for name in ("category_id", "category_source", "category_confidence", "is_flagged", "updated_at"):
        setattr(target, name, getattr(source, name))
    if target.category_id is not None:
        target.category = source.category


# --- training ---------------------------------------------------------------------------


@dataclass
class ClassifierFit:
    """A trained classifier with what the registry records about it."""

    target: str
    model: Any
    metrics: dict[str, Any]
    params: dict[str, Any]
    n_observations: int
    training_start: dt.date | None
    training_end: dt.date | None
    data_hash: str
    fit_seconds: float
    summary: dict[str, Any] = field(default_factory=dict)  # small, for the registry's training_data
    reliability: list[dict] = field(default_factory=list)
    holdout: tuple[list[dict], list[Any], Any] | None = None  # records, labels, evaluation model


def _dates(records: list[dict[str, Any]]) -> tuple[dt.date | None, dt.date | None]:
    return (records[0]["date"], records[-1]["date"]) if records else (None, None)


def categorizer_train(*, workspace: Workspace) -> ClassifierFit:
    """Fit the categoriser on the workspace's categorised rows, measured on the last 20 %
    by date (accuracy, macro precision/recall/F1, ECE, per category) and refitted on all."""
    readiness = classifier_readiness(workspace_id=workspace.pk, target=CATEGORIZER)
    if not readiness.ready:
        raise ColdStart(readiness.reason)
    started = time.perf_counter()
    data = categorizer_training_data(workspace=workspace)
    records, labels = data.records, np.asarray(data.labels, dtype=object)
    weights = training_weights(data.corrected, correction_weight=CORRECTION_WEIGHT)
    train, test = time_ordered_split([r["date"] for r in records])
    names = dict(Category.objects.filter(workspace=workspace).values_list("pk", "name"))
    evaluation = None
    metrics: dict[str, Any] = {}
    reliability: list[dict] = []
    if len(set(labels[train])) >= 2:
        evaluation = TransactionCategorizer().fit(
            [records[i] for i in train], labels[train], sample_weight=weights[train],
        )
        test_records = [records[i] for i in test]
        proba = evaluation.predict_proba(test_records)
        predicted = evaluation.classes_[proba.argmax(axis=1)]
        confidence = proba.max(axis=1)
        metrics = classification_metrics(labels[test], predicted, confidence)
        metrics["per_category"] = {names.get(int(k), k): v for k, v in metrics["per_category"].items()}
        baseline = lookup_baseline_predict([_key(records[i]) for i in train], labels[train],
                                           [_key(r) for r in test_records])
        metrics["baseline_accuracy"] = round(float(np.mean(np.asarray(baseline, dtype=object) == labels[test])), 6)
        reliability = reliability_table(confidence, predicted == labels[test])
        metrics["holdout_rows"] = len(test)
    model = TransactionCategorizer().fit(records, labels, sample_weight=weights, corrections=data.corrections)
    start, end = _dates(records)
    return ClassifierFit(
        target=CATEGORIZER, model=model, metrics=metrics,
        params={"c": model.c, "memory_prior": model.memory_prior, "correction_weight": CORRECTION_WEIGHT,
                "calibration": model.calibration_.kind, "categories": len(model.classes_)},
        n_observations=len(records), training_start=start, training_end=end, data_hash=data.data_hash,
        fit_seconds=round(time.perf_counter() - started, 3),
        summary={"categories": {names.get(int(c), str(c)): int((labels == c).sum()) for c in model.classes_},
                 "corrections": int(np.sum(data.corrected))},
        reliability=reliability,
        holdout=([records[i] for i in test], list(labels[test]), evaluation) if evaluation is not None else None,
    )


def _key(record: Mapping[str, Any]) -> str:
    return payee_text(record.get("description"), record.get("merchant"))


def fraud_train(*, workspace: Workspace) -> ClassifierFit:
    """Fit the fraud detector on every row, labelled by the fraud feedback (unlabelled =
    legitimate); metrics from stratified cross-validation."""
    readiness = classifier_readiness(workspace_id=workspace.pk, target=FRAUD)
    if not readiness.ready:
        raise ColdStart(readiness.reason)
    started = time.perf_counter()
    records = all_transaction_records(workspace=workspace)
    labels = fraud_labels(workspace=workspace)
    y = np.array([labels.get(r["id"], False) for r in records], dtype=bool)
    detector = FraudDetector()
    metrics = detector.cross_validate(records, y)
    detector.fit(records, y)
    start, end = _dates(records)
    return ClassifierFit(
        target=FRAUD, model=detector, metrics=metrics,
        params={"n_estimators": detector.n_estimators, "threshold": detector.threshold},
        n_observations=len(records), training_start=start, training_end=end,
        data_hash=_hash_ids(records, y), fit_seconds=round(time.perf_counter() - started, 3),
        summary={"fraud_labels": int(y.sum()), "feature_importances": detector.feature_importances_},
    )


def anomaly_train(*, workspace: Workspace) -> ClassifierFit:
    """Fit the anomaly detector on every row (unsupervised). With fraud labels, how well
    its flags find them is recorded too."""
    readiness = classifier_readiness(workspace_id=workspace.pk, target=ANOMALY)
    if not readiness.ready:
        raise ColdStart(readiness.reason)
    started = time.perf_counter()
    records = all_transaction_records(workspace=workspace)
    detector = AnomalyDetector().fit(records)
    flagged = detector.flag(detector.training_scores_)
    metrics: dict[str, Any] = {
        "flagged_share": round(float(flagged.mean()), 6), "threshold": round(detector.threshold_, 6),
        "score_p50": round(float(np.median(detector.training_scores_)), 6),
        "score_p99": round(float(np.quantile(detector.training_scores_, 0.99)), 6),
    }
    labels = fraud_labels(workspace=workspace)
    if any(labels.values()):
        from forecasting.classifiers.evaluation import binary_metrics

        y = np.array([labels.get(r["id"], False) for r in records], dtype=bool)
        metrics.update(binary_metrics(y, detector.training_scores_, threshold=detector.threshold_))
    start, end = _dates(records)
    return ClassifierFit(
        target=ANOMALY, model=detector, metrics=metrics,
        params={"contamination": detector.contamination, "n_estimators": detector.n_estimators},
        n_observations=len(records), training_start=start, training_end=end,
        data_hash=_hash_ids(records, flagged), fit_seconds=round(time.perf_counter() - started, 3),
    )


def _hash_ids(records: list[dict], y: np.ndarray) -> str:
    import hashlib

    digest = hashlib.sha256()
    for record, label in zip(records, y, strict=True):
        digest.update(f"{record['id']}:{record['amount']}:{int(label)};".encode())
    return digest.hexdigest()


TRAINERS = {CATEGORIZER: categorizer_train, FRAUD: fraud_train, ANOMALY: anomaly_train}


@dataclass(frozen=True)
class _Decision:
    deploy: bool
    text: str


def _champion_decision(fit: ClassifierFit, champion: ModelVersion | None) -> _Decision:
    """The categoriser replaces the champion only if it is at least as accurate on the
    hold-out rows the champion never saw; the detectors are replaced by every training
    (they learn from new labels and history, and have no hold-out to compare on)."""
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
        old = artifact_load(version_id=champion.pk, path=champion.artifact_path, sha256=champion.artifact_sha256)
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
    :func:`forecasting.services.training.training_job_run` with the target's lock held)."""
    from forecasting.services.training import _finish, _next_version_number, _progress

    trainer = TRAINERS.get(job.target)
    if trainer is None:
        return _finish(job, TrainingJob.Status.FAILED, error=f"No trainer for target {job.target}.")
    _progress(job, 10)
    try:
        fit = trainer(workspace=job.workspace)
    except ColdStart as exc:
        job.results = [{"name": ALGORITHM[job.target], "status": "skipped", "reason": str(exc)}]
        job.save(update_fields=["results"])
        return _finish(job, TrainingJob.Status.SKIPPED, decision=str(exc))
    _progress(job, 80)
    artifact = artifact_save(obj=fit.model, name=f"{job.workspace_id}/{job.target}/job{job.pk}-{ALGORITHM[job.target]}.pkl")
    _progress(job, 90)
    with db_transaction.atomic():
        champion = ModelVersion.objects.filter(
            workspace_id=job.workspace_id, target=job.target, status=ModelVersion.Status.DEPLOYED
        ).first()
        version = ModelVersion.objects.create(
            workspace_id=job.workspace_id, target=job.target, kind=KIND_OF_TARGET[job.target],
            algorithm=ALGORITHM[job.target], version=_next_version_number(workspace_id=job.workspace_id,
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
        _finish(job, TrainingJob.Status.SUCCEEDED, decision=decision.text)
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
    or has ``ML_RETRAINING_FEEDBACK_THRESHOLD`` feedback, or was degraded. ``full``
    (the weekly retrain) retrains every deployed classifier."""
    from forecasting.services.autolearn import ACTIVE_JOB_STATUSES
    from forecasting.services.training import training_job_create

    now = now or timezone.now()
    report = ClassifierSweepReport()
    interval = dt.timedelta(days=settings.RETRAIN_INTERVAL_DAYS)
    deployed = set(ModelVersion.objects.filter(target__in=CLASSIFIER_TARGETS, status=ModelVersion.Status.DEPLOYED)
                   .values_list("workspace_id", "target"))
    for workspace in Workspace.objects.order_by("pk"):
        states = {s.target: s for s in TargetState.objects.filter(workspace=workspace, target__in=CLASSIFIER_TARGETS)}
        for target in CLASSIFIER_TARGETS:
            key = f"{workspace.pk}:{target}"
            state = states.get(target)
            trigger, reason = _classifier_rule(workspace, target, state, now, interval,
                                               full and (workspace.pk, target) in deployed)
            if trigger is None:
                report.skipped[key] = reason
                continue
            if TrainingJob.objects.filter(workspace=workspace, target=target, status__in=ACTIVE_JOB_STATUSES).exists():
                report.skipped[key] = "a training is already queued or running"
                continue
            report.queued.append(training_job_create(workspace=workspace, target=target, trigger=trigger).pk)
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
    new_rows = Transaction.objects.filter(workspace=workspace, created_at__gt=state.last_trained_at).count()
    if new_rows >= settings.MIN_NEW_TRANSACTIONS_FOR_RETRAIN:
        return TrainingJob.Trigger.SCHEDULE, f"{new_rows} new transactions"
    return None, f"up to date ({new_rows} new transactions)"
