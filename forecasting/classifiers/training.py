"""Fitting the three classifiers on a workspace's books, measured on held-out rows. The
training *job* around a fit (versions, artifacts, champion/challenger) is
:mod:`forecasting.training.classifiers`."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from finance.models import Category, Workspace
from forecasting.classifiers.anomaly import AnomalyDetector
from forecasting.classifiers.categorizer import TransactionCategorizer, payee_text, training_weights
from forecasting.classifiers.evaluation import (
    classification_metrics,
    lookup_baseline_predict,
    reliability_table,
    time_ordered_split,
)
from forecasting.classifiers.fraud import FraudDetector
from forecasting.classifiers.loading import (
    ALGORITHM,
    CLASSIFIER_LABELS,
    KIND_OF_TARGET,
    ColdStart,
)
from forecasting.classifiers.selectors import (
    ANOMALY,
    CATEGORIZER,
    FRAUD,
    READINESS_RULES,
    Readiness,
    all_transaction_records,
    categorizer_training_data,
    classifier_readiness,
    fraud_labels,
)

logger = logging.getLogger(__name__)



CORRECTION_WEIGHT = 3.0


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


TRAINERS: dict[str, Callable[..., ClassifierFit]] = {
    CATEGORIZER: categorizer_train, FRAUD: fraud_train, ANOMALY: anomaly_train,
}


@dataclass(frozen=True)
class RegisteredClassifier:
    """A classifier of a feature above this package (the stockout model of inventory),
    trained, versioned and deployed through the same job lifecycle; ``decide(fit,
    champion)`` → ``(deploy, why)`` is its champion/challenger rule."""

    target: str
    decide: Callable[[ClassifierFit, Any], tuple[bool, str]]


REGISTERED: dict[str, RegisteredClassifier] = {}


def classifier_register(*, target: str, kind: str, algorithm: str, label: str,
                        trainer: Callable[..., ClassifierFit], readiness: Callable[..., Readiness],
                        decide: Callable[[ClassifierFit, Any], tuple[bool, str]]) -> None:
    """Train ``target`` with ``trainer`` once ``readiness`` says so (called at start-up)."""
    TRAINERS[target] = trainer
    ALGORITHM[target] = algorithm
    KIND_OF_TARGET[target] = kind
    CLASSIFIER_LABELS[algorithm] = label
    READINESS_RULES[target] = readiness
    REGISTERED[target] = RegisteredClassifier(target=target, decide=decide)


