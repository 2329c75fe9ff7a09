"""Supervised fraud detection: a RandomForest over the engineered features, learned
from transactions users labelled as fraud (or not) through feedback. Unlabelled rows
count as legitimate, as in the card networks' own training sets: fraud is rare and what
nobody disputed is taken as genuine.

The forest's probability of the fraud class is the score; ``threshold`` (0.5 by
default) turns it into a flag. Quality is measured out of sample with stratified k-fold
cross-validation, because fraud labels are too few for a time-ordered hold-out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold

from forecasting.classifiers.evaluation import binary_metrics
from forecasting.classifiers.features import FEATURES, TransactionFeatures, transactions_frame

MIN_FRAUD_LABELS = 5
MAX_FOLDS = 5


class FraudDetector:
    """``fit(records, is_fraud)``, ``score(records, history=None)`` → fraud probabilities,
    ``flag(scores)`` → booleans; ``cross_validate(records, is_fraud)`` → metrics."""

    def __init__(self, *, n_estimators: int = 300, threshold: float = 0.5, random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.threshold = threshold
        self.random_state = random_state

    def _forest(self) -> RandomForestClassifier:
        return RandomForestClassifier(
            n_estimators=self.n_estimators, class_weight="balanced_subsample", min_samples_leaf=2,
            random_state=self.random_state, n_jobs=1,
        )

    @staticmethod
    def _check(frame: pd.DataFrame, y: np.ndarray) -> None:
        if len(frame) != len(y):
            raise ValueError(f"{len(frame)} transactions but {len(y)} labels.")
        positives = int(y.sum())
        if positives < MIN_FRAUD_LABELS:
            raise ValueError(f"A fraud detector needs at least {MIN_FRAUD_LABELS} transactions labelled as fraud, "
                             f"got {positives}.")
        if positives == len(y):
            raise ValueError("A fraud detector needs legitimate transactions too.")

    def fit(self, records: pd.DataFrame | Sequence[Mapping[str, Any]], is_fraud: Sequence[bool]) -> FraudDetector:
        frame = transactions_frame(records)
        y = np.asarray(is_fraud, dtype=bool)
        self._check(frame, y)
        self.features_ = TransactionFeatures().fit(frame)
        self.forest_ = self._forest().fit(self.features_.transform(frame), y)
        self.feature_names_ = FEATURES
        self.feature_importances_ = dict(zip(FEATURES, (round(float(v), 6) for v in self.forest_.feature_importances_),
                                             strict=True))
        return self

    def cross_validate(self, records: pd.DataFrame | Sequence[Mapping[str, Any]],
                       is_fraud: Sequence[bool]) -> dict[str, Any]:
        """Out-of-fold scores of every row (features re-fitted on each training fold)."""
        frame = transactions_frame(records)
        y = np.asarray(is_fraud, dtype=bool)
        self._check(frame, y)
        folds = min(MAX_FOLDS, int(y.sum()), int((~y).sum()))
        scores = np.zeros(len(y))
        splitter = StratifiedKFold(n_splits=max(folds, 2), shuffle=True, random_state=self.random_state)
        for train, test in splitter.split(np.zeros(len(y)), y):
            features = TransactionFeatures().fit(frame.iloc[train])
            forest = self._forest().fit(features.transform(frame.iloc[train].reset_index(drop=True)), y[train])
            proba = forest.predict_proba(features.transform(frame.iloc[test].reset_index(drop=True)))
            scores[test] = proba[:, list(forest.classes_).index(True)] if True in forest.classes_ else 0.0
        return binary_metrics(y, scores, threshold=self.threshold)

    def score(self, records: pd.DataFrame | Sequence[Mapping[str, Any]],
              history: pd.DataFrame | Sequence[Mapping[str, Any]] | None = None) -> np.ndarray:
        frame = transactions_frame(records)
        past = transactions_frame(history) if history is not None and len(history) else None
        matrix = self.features_.transform(frame, past if past is not None else frame.iloc[:0])
        return self.forest_.predict_proba(matrix)[:, list(self.forest_.classes_).index(True)]

    def flag(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) >= self.threshold
