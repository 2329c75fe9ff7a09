"""The learned stockout classifier: gradient-boosted trees (XGBoost) on the features of
:mod:`forecasting.inventory.stockout_history`, calibrated on a later stretch of the
history, and its time-split backtest against the forecast-distribution probability.

Split by the day a sample is observed: the first 60 % of the days train, the next 20 %
calibrate, the last 20 % test; a sample whose window reaches past its part's end is
dropped (an *embargo*: nothing is learned from a future the next part is judged on).
The evaluation model is the booster of the first part calibrated on the second, measured
on the third (Brier score, log loss, ROC AUC, a reliability table by tenths of the
probability), beside the constant base rate of the training part and the probability the
demand forecast's distribution gives — ``P(D > on hand)`` with ``D`` normal over the
window from the last 90 days' mean and spread, the rule of
:mod:`forecasting.inventory.stockout` when no demand model answers. The served model is
then fitted on the first 80 % and calibrated on the last 20 %.

The booster is kept small and regularised (150 trees of depth 3, at least 50 rows' weight
per leaf, L2 10, monotone in the stock and cover features): a small business's history is
a few pairs whose days are far from independent samples. Chosen on eight simulated
histories of 4–6 pairs (benchmarks/stockout/README.md), where deeper trees lost to the base
rate on the smallest.

Calibration (:class:`sklearn.calibration.CalibratedClassifierCV` on the frozen booster)
is isotonic from ``ISOTONIC_MIN_ROWS`` calibration rows with ``ISOTONIC_MIN_CLASS`` of
each class, Platt's sigmoid below that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.inventory.stockout_history import FEATURES, MONOTONE, Samples

SPLITS = (0.6, 0.8)
ISOTONIC_MIN_ROWS = 1000
ISOTONIC_MIN_CLASS = 50
EPS = 1e-6
ALGORITHM = "xgboost_calibrated"


class NotEnoughHistory(ValueError):
    """The history cannot train or judge a classifier; the message says why."""


class StockoutClassifier:
    """``fit(train, calibration)`` → ``predict_proba(X)``: the calibrated chance that the
    stock hits 0 within each row's window."""

    def __init__(self, *, n_estimators: int = 150, max_depth: int = 3, learning_rate: float = 0.05,
                 min_child_weight: float = 50, reg_lambda: float = 10.0, random_state: int = 0) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        return {"n_estimators": self.n_estimators, "max_depth": self.max_depth, "learning_rate": self.learning_rate,
                "min_child_weight": self.min_child_weight, "reg_lambda": self.reg_lambda,
                "random_state": self.random_state}

    def fit(self, train: Samples, calibration: Samples) -> StockoutClassifier:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.frozen import FrozenEstimator
        from xgboost import XGBClassifier

        for name, part in (("training", train), ("calibration", calibration)):
            positives = int(part.y.sum())
            if positives == 0 or positives == len(part):
                raise NotEnoughHistory(f"The {name} part of the history has {positives} stockout samples of "
                                       f"{len(part)}; both outcomes are needed.")
        booster = XGBClassifier(
            n_estimators=self.n_estimators, max_depth=self.max_depth, learning_rate=self.learning_rate,
            subsample=0.8, colsample_bytree=0.8, min_child_weight=self.min_child_weight, reg_lambda=self.reg_lambda,
            tree_method="hist", n_jobs=1,
            random_state=self.random_state, eval_metric="logloss",
            monotone_constraints=tuple(MONOTONE.get(name, 0) for name in FEATURES),
        )
        booster.fit(_matrix(train.X), train.y.astype(int))
        counts = np.bincount(calibration.y.astype(int), minlength=2)
        isotonic = len(calibration) >= ISOTONIC_MIN_ROWS and counts.min() >= ISOTONIC_MIN_CLASS
        self.calibration_ = "isotonic" if isotonic else "sigmoid"
        self.model_ = CalibratedClassifierCV(FrozenEstimator(booster), method=self.calibration_)
        self.model_.fit(_matrix(calibration.X), calibration.y.astype(int))
        self.booster_ = booster
        self.feature_names_ = FEATURES
        self.feature_importances_ = {name: round(float(v), 6)
                                     for name, v in zip(FEATURES, booster.feature_importances_, strict=True)}
        self.n_train_, self.n_calibration_ = len(train), len(calibration)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if not len(X):
            return np.zeros(0)
        return np.clip(self.model_.predict_proba(_matrix(X))[:, 1], 0.0, 1.0)


def _matrix(X: pd.DataFrame) -> np.ndarray:
    return X.loc[:, list(FEATURES)].to_numpy(dtype=float)


def distribution_probability(X: pd.DataFrame) -> np.ndarray:
    """The forecast-distribution probability of each row (from the last 90 days' sales)."""
    return X["distribution_probability"].to_numpy(dtype=float)


# --- judging -------------------------------------------------------------------------------------


def brier_score(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2)) if len(y) else math.nan


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, float), EPS, 1 - EPS)
    y = np.asarray(y, float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))) if len(y) else math.nan


def probability_reliability(y: np.ndarray, p: np.ndarray, *, n_bins: int = 10) -> list[dict[str, Any]]:
    """Per tenth of the predicted probability: its range, rows, mean prediction and the share
    that did run out."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            rows.append({"from": round(b / n_bins, 2), "to": round((b + 1) / n_bins, 2), "n": int(mask.sum()),
                         "predicted": round(float(p[mask].mean()), 4), "observed": round(float(y[mask].mean()), 4)})
    return rows


def calibration_error(y: np.ndarray, p: np.ndarray, *, n_bins: int = 10) -> float:
    """Rows-weighted mean |observed − predicted| over the tenths of the probability."""
    table = probability_reliability(y, p, n_bins=n_bins)
    total = sum(row["n"] for row in table)
    return float(sum(row["n"] * abs(row["observed"] - row["predicted"]) for row in table) / total) if total else 0.0


def probability_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    metrics = {"brier": round(brier_score(y, p), 6), "log_loss": round(log_loss(y, p), 6),
               "ece": round(calibration_error(y, p), 6)}
    if 0 < np.sum(y) < len(y):
        metrics["roc_auc"] = round(float(roc_auc_score(y, p)), 6)
    return metrics


# --- the time split ------------------------------------------------------------------------------


def time_split(samples: Samples, splits: tuple[float, float] = SPLITS) -> tuple[Samples, Samples, Samples]:
    """Train, calibration and test parts by the day observed (see the module's docstring)."""
    if not len(samples):
        raise NotEnoughHistory("No samples: no product has sold for long enough.")
    first, last = int(samples.day.min()), int(samples.day.max())
    cut1, cut2 = (first + int(round((last - first) * share)) for share in splits)
    train = samples.subset(samples.end < cut1)
    calibration = samples.subset((samples.day >= cut1) & (samples.end < cut2))
    test = samples.subset(samples.day >= cut2)
    return train, calibration, test


@dataclass
class Backtest:
    """The time-split judgement of a classifier against the forecast distribution."""

    metrics: dict[str, Any]
    reliability: list[dict[str, Any]]
    reliability_distribution: list[dict[str, Any]]
    test: Samples | None = None
    probabilities: np.ndarray | None = field(default=None, repr=False)


def stockout_backtest(samples: Samples, *, params: dict[str, Any] | None = None) -> Backtest:
    """Train on the first part, calibrate on the second, judge on the third."""
    train, calibration, test = time_split(samples)
    positives = int(test.y.sum())
    if positives == 0 or positives == len(test):
        raise NotEnoughHistory(f"The test part of the history has {positives} stockout samples of {len(test)}; "
                               "both outcomes are needed to judge a classifier.")
    model = StockoutClassifier(**(params or {})).fit(train, calibration)
    p = model.predict_proba(test.X)
    base = float(train.y.mean())
    q = distribution_probability(test.X)
    metrics: dict[str, Any] = {
        **probability_metrics(test.y, p),
        "base_rate": round(base, 6), "test_stockout_rate": round(float(test.y.mean()), 6),
        "brier_base_rate": round(brier_score(test.y, np.full(len(test), base)), 6),
        **{f"{name}_forecast_distribution": value for name, value in probability_metrics(test.y, q).items()},
        "n_train": len(train), "n_calibration": len(calibration), "n_test": len(test), "positives_test": positives,
    }
    metrics["brier_skill"] = round(1 - metrics["brier"] / metrics["brier_base_rate"], 6) \
        if metrics["brier_base_rate"] > 0 else None
    return Backtest(metrics=metrics, reliability=probability_reliability(test.y, p),
                    reliability_distribution=probability_reliability(test.y, q), test=test, probabilities=p)


def stockout_model_fit(samples: Samples, *, params: dict[str, Any] | None = None,
                       splits: tuple[float, float] = SPLITS) -> StockoutClassifier:
    """The served model: trained on the first ``splits[1]`` of the days, calibrated on the rest."""
    train, _, calibration = time_split(samples, (splits[1], splits[1]))
    return StockoutClassifier(**(params or {})).fit(train, calibration)
