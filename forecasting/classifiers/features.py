"""Engineered features of a transaction for fraud and anomaly detection.

Per row, in the context of the workspace's history:

=====================  ==============================================================
``log_amount``         log10 of the amount
``amount_z_payee``     how unusual the amount is for this payee (z-score of the log
                       amount against the payee's history; the category's, then the
                       workspace's, when the payee has fewer than three rows)
``amount_z_category``  the same against the category's history (the workspace's when
                       uncategorised)
``payee_count_30d``    transactions with the same payee in the 30 days before
``days_since_last``    days since the payee's previous transaction (365 when none)
``new_payee``          1 when the payee was never seen before
``hour``               hour of the day the row was recorded (given as ``hour``, else
                       from ``created_at`` in UTC)
``weekday``            day of the week of the transaction
``is_expense``         1 for money out
=====================  ==============================================================

:class:`TransactionFeatures` learns the amount statistics from training rows; the
sequential features (count, days since last, new payee) are computed over the rows
*and* the history given, in date order, so training and scoring read them alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting.classifiers.text import payee_key

FEATURES = (
    "log_amount", "amount_z_payee", "amount_z_category", "payee_count_30d", "days_since_last", "new_payee",
    "hour", "weekday", "is_expense",
)
MIN_ROWS_FOR_STATS = 3
STD_FLOOR = 0.05  # log10 units: amounts within ~12 % of each other are "the same"
NEVER_SEEN_DAYS = 365.0
Z_CLIP = 50.0


def transactions_frame(records: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Normalise records (``date``, ``amount``, ``kind``, ``merchant``, ``description``,
    ``category``, ``created_at``) into the columns the features need."""
    frame = pd.DataFrame(records) if not isinstance(records, pd.DataFrame) else records.copy()
    n = len(frame)

    def column(name: str, default: Any = None) -> pd.Series:
        if name in frame.columns:
            return frame[name].reset_index(drop=True)
        return pd.Series([default] * n, dtype=object)

    amount = pd.to_numeric(column("amount"), errors="coerce").abs().fillna(0.0).astype(float)
    if "hour" in frame.columns:
        hour = pd.to_numeric(column("hour"), errors="coerce").fillna(12).astype(int)
    else:
        hour = pd.to_datetime(column("created_at"), errors="coerce", utc=True).dt.hour.fillna(12).astype(int)
    out = pd.DataFrame({
        "date": pd.to_datetime(column("date"), errors="coerce"),
        "amount": amount,
        "log_amount": np.log10(amount.clip(lower=0.01)),
        "payee": [payee_key(d, m) for d, m in zip(column("description", ""), column("merchant", ""), strict=True)],
        "category": column("category").map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)),
        "hour": hour,
        "is_expense": (column("kind", "expense").fillna("expense").astype(str).str.lower() != "revenue").astype(int),
    })
    if out["date"].isna().any():
        raise ValueError("Every transaction needs a date.")
    out["weekday"] = out["date"].dt.weekday
    return out


class TransactionFeatures:
    """Amount statistics per payee and category, and the feature matrix of rows."""

    def fit(self, frame: pd.DataFrame) -> TransactionFeatures:
        self.global_ = (float(frame["log_amount"].mean()), _std(frame["log_amount"]))
        self.payee_ = _stats(frame, "payee")
        self.category_ = _stats(frame, "category")
        self.payees_ = frozenset(frame["payee"])
        return self

    def transform(self, frame: pd.DataFrame, history: pd.DataFrame | None = None) -> np.ndarray:
        """The feature matrix of ``frame`` (rows in their order); ``history`` holds earlier
        rows of the workspace that are not being scored (for counts and recency)."""
        n = len(frame)
        z_payee = np.empty(n)
        z_category = np.empty(n)
        for i, (log_amount, payee, category) in enumerate(
            zip(frame["log_amount"], frame["payee"], frame["category"], strict=True)
        ):
            category_stats = self.category_.get(category, self.global_) if category else self.global_
            payee_stats = self.payee_.get(payee, category_stats)
            z_payee[i] = (log_amount - payee_stats[0]) / payee_stats[1]
            z_category[i] = (log_amount - category_stats[0]) / category_stats[1]
        count, since, new = _sequential(frame, history, known=self.payees_ if history is not None else frozenset())
        matrix = np.column_stack([
            frame["log_amount"].to_numpy(float),
            np.clip(z_payee, -Z_CLIP, Z_CLIP),
            np.clip(z_category, -Z_CLIP, Z_CLIP),
            count, since, new,
            frame["hour"].to_numpy(float),
            frame["weekday"].to_numpy(float),
            frame["is_expense"].to_numpy(float),
        ])
        return matrix


def _std(values: pd.Series) -> float:
    std = float(values.std(ddof=0)) if len(values) > 1 else 0.0
    return max(std, STD_FLOOR)


def _stats(frame: pd.DataFrame, by: str) -> dict[str, tuple[float, float]]:
    out = {}
    for key, group in frame.groupby(by)["log_amount"]:
        if key and len(group) >= MIN_ROWS_FOR_STATS:
            out[key] = (float(group.mean()), _std(group))
    return out


def _sequential(
    frame: pd.DataFrame, history: pd.DataFrame | None, *, known: frozenset[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``frame``: same-payee rows in the 30 days before, days since the
    payee's previous row, and whether the payee is new — over frame ∪ history in date
    order (a scored row sees the history and the scored rows before it)."""
    parts = [frame[["date", "payee"]].assign(_row=np.arange(len(frame)))]
    if history is not None and len(history):
        parts.insert(0, history[["date", "payee"]].assign(_row=-1))
    combined = pd.concat(parts, ignore_index=True)
    combined = combined.sort_values(["date", "_row"], kind="stable")
    n = len(frame)
    count = np.zeros(n)
    since = np.full(n, NEVER_SEEN_DAYS)
    new = np.ones(n)
    for payee, group in combined.groupby("payee", sort=False):
        days = group["date"].to_numpy("datetime64[D]").astype(np.int64)
        rows = group["_row"].to_numpy()
        window_start = np.searchsorted(days, days - 30, side="left")
        for j in np.flatnonzero(rows >= 0):
            if j > 0:
                since[rows[j]] = min(float(days[j] - days[j - 1]), NEVER_SEEN_DAYS)
                count[rows[j]] = float(j - window_start[j])
                new[rows[j]] = 0.0
            elif payee and payee in known:
                new[rows[j]] = 0.0
    return count, since, new
