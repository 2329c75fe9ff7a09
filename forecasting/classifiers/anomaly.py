"""Unsupervised anomaly detection: an IsolationForest over the engineered features.

The score of a row is the isolation score of Liu et al. (2008), in (0, 1): about 0.5 or
less for ordinary rows, approaching 1 for rows isolated in a few splits. A row is
flagged when its score exceeds the ``1 − contamination`` quantile of the training
scores (the forest's own ``offset_``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from forecasting.classifiers.features import FEATURES, TransactionFeatures, transactions_frame

MIN_ROWS = 20


class AnomalyDetector:
    """``fit(records)``, then ``score(records, history=None)`` → anomaly scores in (0, 1)
    and ``flag(scores)`` → booleans."""

    def __init__(self, *, contamination: float = 0.01, n_estimators: int = 200, random_state: int = 0) -> None:
        self.contamination = contamination
        self.n_estimators = n_estimators
        self.random_state = random_state

    def fit(self, records: pd.DataFrame | Sequence[Mapping[str, Any]]) -> AnomalyDetector:
        frame = transactions_frame(records)
        if len(frame) < MIN_ROWS:
            raise ValueError(f"An anomaly detector needs at least {MIN_ROWS} transactions, got {len(frame)}.")
        self.features_ = TransactionFeatures().fit(frame)
        matrix = self.features_.transform(frame)
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators, contamination=self.contamination, random_state=self.random_state,
        ).fit(matrix)
        self.threshold_ = float(-self.forest_.offset_)
        self.training_scores_ = -self.forest_.score_samples(matrix)
        self.feature_names_ = FEATURES
        return self

    def score(self, records: pd.DataFrame | Sequence[Mapping[str, Any]],
              history: pd.DataFrame | Sequence[Mapping[str, Any]] | None = None) -> np.ndarray:
        frame = transactions_frame(records)
        past = transactions_frame(history) if history is not None and len(history) else None
        matrix = self.features_.transform(frame, past if past is not None else frame.iloc[:0])
        return -self.forest_.score_samples(matrix)

    def flag(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) > self.threshold_
