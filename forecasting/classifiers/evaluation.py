"""Measuring classifiers: a time-ordered hold-out, accuracy, macro and per-class
precision / recall / F1, and the expected calibration error of the confidences.

ECE follows Guo et al. (2017): the predictions are put into ``n_bins`` equal-width bins
of their top-label confidence, and the gaps between each bin's accuracy and mean
confidence are averaged, weighted by the bin's share of the predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

ECE_BINS = 15


def time_ordered_split(dates: Sequence[Any], *, train_fraction: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the first ``train_fraction`` of the rows by date (ties keep their
    order) and of the rest: the model is judged on what came after what it learned from."""
    if not 0 < train_fraction < 1:
        raise ValueError("train_fraction must be between 0 and 1.")
    n = len(dates)
    order = np.argsort(pd.to_datetime(pd.Series(list(dates))).to_numpy(), kind="stable")
    cut = int(round(n * train_fraction))
    cut = min(max(cut, 1), n - 1) if n >= 2 else n
    return np.sort(order[:cut]), np.sort(order[cut:])


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], *, n_bins: int = ECE_BINS) -> float:
    """Weighted mean |accuracy − confidence| over equal-width confidence bins."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if len(confidence) == 0:
        return 0.0
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        mask = bins == b
        total += mask.sum() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total / len(confidence))


def reliability_table(confidence: Sequence[float], correct: Sequence[bool], *, n_bins: int = 10) -> list[dict]:
    """Per confidence bin: its range, count, mean confidence and accuracy (for reports)."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            rows.append({
                "from": round(b / n_bins, 2), "to": round((b + 1) / n_bins, 2), "n": int(mask.sum()),
                "confidence": round(float(confidence[mask].mean()), 4),
                "accuracy": round(float(correct[mask].mean()), 4),
            })
    return rows


def classification_metrics(
    y_true: Sequence[Any], y_pred: Sequence[Any], confidence: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Accuracy, macro and weighted precision / recall / F1, ECE (when confidences are
    given) and per-class figures, as plain JSON-able numbers keyed by ``str(label)``."""
    y_true = np.asarray(list(y_true), dtype=object)
    y_pred = np.asarray(list(y_pred), dtype=object)
    if len(y_true) == 0:
        raise ValueError("No rows to evaluate.")
    # Labels are compared as strings so that ids and names sort and serialise alike;
    # a missing prediction (None) counts as wrong and is not a class of its own.
    true_s = np.array([str(v) for v in y_true], dtype=object)
    pred_s = np.array(["\x00none" if v is None else str(v) for v in y_pred], dtype=object)
    labels = sorted(set(true_s) | (set(pred_s) - {"\x00none"}))
    p, r, f, support = precision_recall_fscore_support(true_s, pred_s, labels=labels, zero_division=0)
    macro = precision_recall_fscore_support(true_s, pred_s, labels=labels, average="macro", zero_division=0)
    weighted = precision_recall_fscore_support(true_s, pred_s, labels=labels, average="weighted", zero_division=0)
    correct = true_s == pred_s
    metrics: dict[str, Any] = {
        "n": int(len(true_s)),
        "accuracy": round(float(accuracy_score(true_s, pred_s)), 6),
        "precision": round(float(macro[0]), 6),
        "recall": round(float(macro[1]), 6),
        "f1": round(float(macro[2]), 6),
        "macro_f1": round(float(macro[2]), 6),
        "weighted_f1": round(float(weighted[2]), 6),
    }
    if confidence is not None:
        conf = np.asarray(list(confidence), dtype=float)
        metrics["ece"] = round(expected_calibration_error(conf, correct), 6)
        metrics["mean_confidence"] = round(float(conf.mean()), 6)
    metrics["per_category"] = {
        label: {"precision": round(float(p[i]), 6), "recall": round(float(r[i]), 6), "f1": round(float(f[i]), 6),
                "support": int(support[i])}
        for i, label in enumerate(labels)
    }
    return metrics


def binary_metrics(y_true: Sequence[bool], score: Sequence[float], *, threshold: float) -> dict[str, Any]:
    """Accuracy, precision, recall and F1 of ``score ≥ threshold`` for the positive class,
    with ROC AUC and average precision when both classes occur."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(score, dtype=float)
    pred = s >= threshold
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    metrics: dict[str, Any] = {
        "n": int(len(y)), "positives": int(y.sum()), "threshold": threshold,
        "accuracy": round(float((y == pred).mean()) if len(y) else 0.0, 6),
        "precision": round(float(p), 6), "recall": round(float(r), 6), "f1": round(float(f), 6),
    }
    if 0 < y.sum() < len(y):
        metrics["roc_auc"] = round(float(roc_auc_score(y, s)), 6)
        metrics["average_precision"] = round(float(average_precision_score(y, s)), 6)
    return metrics


def lookup_baseline_predict(train_keys: Sequence[str], y_train: Sequence[Any], test_keys: Sequence[str]) -> list[Any]:
    """The description-lookup baseline: the most frequent training label of each
    (normalised) description, and the most frequent label overall for one never seen."""
    from collections import Counter, defaultdict

    table: dict[str, Counter] = defaultdict(Counter)
    for key, label in zip(train_keys, y_train, strict=True):
        table[key][label] += 1
    fallback = Counter(list(y_train)).most_common(1)[0][0]
    return [table[key].most_common(1)[0][0] if key in table else fallback for key in test_keys]
