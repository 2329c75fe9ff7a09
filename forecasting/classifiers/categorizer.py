"""The transaction categoriser: which category does a transaction belong to, and how
sure is it?

Three parts, fitted together by :meth:`TransactionCategorizer.fit`:

* **a linear text model**: TF-IDF over the normalised description and merchant (word
  1-2-grams and character 2-5-grams, so unseen store numbers or spellings still match),
  one-hot kind, account, amount band and calendar position, into a multinomial
  logistic regression;
* **a payee memory**: for every normalised description seen in training, how often each
  category was chosen. Real books repeat the same payees, and what the user decided for
  ``"costco whse"`` last month is the best guess this month, so the memory outweighs the
  text model wherever it has seen the description (``memory_prior`` sets by how much);
* **corrections as overrides**: the latest category a user chose when correcting a
  suggestion for a description wins for that description.

The combined score is then **calibrated**: expanding windows over the later half of the
(time-ordered) training rows give out-of-sample scores and whether they were right; a sigmoid
(few rows) or isotonic (many rows) map from score to observed accuracy turns the top
score into a confidence that means what it says (checked by the expected calibration
error on a later hold-out, see :mod:`forecasting.classifiers.evaluation`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import Pipeline, make_union
from sklearn.preprocessing import OneHotEncoder

from forecasting.classifiers.text import normalize_text

#: The fields a categoriser reads; any may be missing (a CSV may only have text).
INPUT_COLUMNS = ("description", "merchant", "account", "kind", "amount", "date")
ISOTONIC_MIN_ROWS = 400
CONFIDENCE_FLOOR, CONFIDENCE_CEILING = 0.01, 0.999


def prepare_frame(records: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The model's view of transactions: normalised text and categorical tokens."""
    frame = pd.DataFrame(records) if not isinstance(records, pd.DataFrame) else records
    n = len(frame)

    def column(name: str) -> pd.Series:
        if name in frame.columns:
            return frame[name].reset_index(drop=True)
        return pd.Series([None] * n, dtype=object)

    text = pd.Series(
        [payee_text(d, m) for d, m in zip(column("description"), column("merchant"), strict=True)], dtype=object
    )
    amount = pd.to_numeric(column("amount"), errors="coerce").abs()
    dates = pd.to_datetime(column("date"), errors="coerce")
    band = amount.map(lambda a: "amt_na" if pd.isna(a) or a <= 0 else f"amt_{math.floor(math.log10(a) * 3)}")
    weekday = dates.dt.weekday.map(lambda d: "wd_na" if pd.isna(d) else f"wd_{int(d)}")
    dom = dates.dt.day.map(lambda d: "dom_na" if pd.isna(d) else f"dom_{_month_part(int(d))}")
    return pd.DataFrame({
        "text": text,
        "key": text,
        "kind": column("kind").fillna("").astype(str).str.lower(),
        "account": column("account").fillna("").astype(str).str.strip().str.lower(),
        "amount_band": band,
        "weekday": weekday,
        "month_part": dom,
    })


def payee_text(description: object, merchant: object = "") -> str:
    """Normalised description and merchant (once when they read the same): what the
    text model reads and the key the memory and corrections are kept under."""
    description, merchant = normalize_text(description), normalize_text(merchant)
    if not merchant or merchant == description:
        return description
    return f"{description} {merchant}".strip()


def _month_part(day: int) -> str:
    return "start" if day <= 3 else "end" if day >= 27 else "mid"


def _vectoriser() -> ColumnTransformer:
    text = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[^ ]+"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=60000),
    )
    return ColumnTransformer(
        [
            ("text", text, "text"),
            ("categorical", OneHotEncoder(handle_unknown="ignore"),
             ["kind", "account", "amount_band", "weekday", "month_part"]),
        ],
        sparse_threshold=1.0,
    )


class _RawModel:
    """Text model + payee memory over a fixed class list; uncalibrated scores."""

    def __init__(self, classes: np.ndarray, *, c: float, memory_prior: float, use_memory: bool) -> None:
        self.classes = classes
        self.index = {label: i for i, label in enumerate(classes)}
        self.c = c
        self.memory_prior = memory_prior
        self.use_memory = use_memory

    def fit(self, frame: pd.DataFrame, y: np.ndarray, weight: np.ndarray) -> _RawModel:
        present = np.array(sorted(set(y), key=lambda v: self.index[v]), dtype=object)
        self.present = np.array([self.index[v] for v in present])
        self.single = present[0] if len(present) == 1 else None
        if self.single is None:
            self.pipeline = Pipeline([
                ("features", _vectoriser()),
                ("model", LogisticRegression(C=self.c, max_iter=3000, tol=1e-4)),
            ])
            self.pipeline.fit(frame, np.array([self.index[v] for v in y]), model__sample_weight=weight)
        memory: dict[str, Counter] = defaultdict(Counter)
        if self.use_memory:
            for key, label, w in zip(frame["key"], y, weight, strict=True):
                if key:
                    memory[key][self.index[label]] += float(w)
        self.memory = dict(memory)
        return self

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.zeros((len(frame), len(self.classes)))
        if self.single is not None:
            out[:, self.index[self.single]] = 1.0
        else:
            proba = self.pipeline.predict_proba(frame)
            out[:, self.pipeline.classes_] = proba
        if self.use_memory:
            for row, key in enumerate(frame["key"]):
                seen = self.memory.get(key)
                if seen:
                    total = sum(seen.values())
                    counts = np.zeros(len(self.classes))
                    for label_index, w in seen.items():
                        counts[label_index] = w
                    out[row] = (self.memory_prior * out[row] + counts) / (self.memory_prior + total)
        return out


@dataclass(frozen=True)
class Suggestion:
    """A category with its calibrated confidence, and how it was arrived at."""

    label: Any
    confidence: float
    source: str  # "model", "memory" (a description seen before) or "correction"
    alternatives: tuple[tuple[Any, float], ...] = ()


class TransactionCategorizer(ClassifierMixin, BaseEstimator):
    """Suggest a category for transactions, with a calibrated confidence.

    ``fit(X, y, sample_weight=None, corrections=None)``: ``X`` is a frame (or records) with
    any of :data:`INPUT_COLUMNS`; ``y`` the categories (ids or names); ``corrections``
    maps rows' normalised keys to the category a user chose when correcting a suggestion
    (see :meth:`keys`). Then ``predict``, ``predict_proba`` and :meth:`suggest`.
    """

    def __init__(
        self,
        *,
        c: float = 20.0,
        memory_prior: float = 1.0,
        use_memory: bool = True,
        calibration_splits: int = 4,
    ) -> None:
        self.c = c
        self.memory_prior = memory_prior
        self.use_memory = use_memory
        self.calibration_splits = calibration_splits

    # --- fitting ---------------------------------------------------------------------

    def fit(
        self,
        X: pd.DataFrame | Sequence[Mapping[str, Any]],
        y: Sequence[Any],
        sample_weight: Sequence[float] | None = None,
        corrections: Mapping[str, Any] | None = None,
    ) -> TransactionCategorizer:
        frame = prepare_frame(X)
        y = np.asarray(list(y), dtype=object)
        if len(frame) != len(y):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y)}.")
        if len(y) < 2 or len(set(y)) < 2:
            raise ValueError("A categoriser needs at least two rows in at least two categories.")
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.classes_ = np.array(sorted(set(y), key=lambda v: (str(type(v)), v)), dtype=object)
        self._fit_calibration(frame, y, weight)
        self.raw_ = self._raw().fit(frame, y, weight)
        self.corrections_ = dict(corrections or {})
        self.n_train_ = len(y)
        return self

    def _raw(self) -> _RawModel:
        return _RawModel(self.classes_, c=self.c, memory_prior=self.memory_prior, use_memory=self.use_memory)

    def _fit_calibration(self, frame: pd.DataFrame, y: np.ndarray, weight: np.ndarray) -> None:
        """Out-of-sample top scores on expanding windows (rows are in time order), and a
        map from score to the chance of being right."""
        n = len(y)
        splits = min(self.calibration_splits, n - 1)
        confidences: list[np.ndarray] = []
        outcomes: list[np.ndarray] = []
        if splits >= 2:
            # Folds over the later half only: each calibration model has learned from at
            # least half of the rows, so it errs about as often as the final model will.
            folds = TimeSeriesSplit(n_splits=splits, test_size=max(1, n // (2 * splits)))
            for train, test in folds.split(np.arange(n)):
                scores = self._raw().fit(frame.iloc[train], y[train], weight[train]).scores(frame.iloc[test])
                top = scores.argmax(axis=1)
                confidences.append(scores[np.arange(len(test)), top])
                outcomes.append(self.classes_[top] == y[test])
        conf = np.concatenate(confidences) if confidences else np.array([])
        right = np.concatenate(outcomes).astype(float) if outcomes else np.array([])
        self.calibration_ = _fit_calibrator(conf, right)
        self.calibration_accuracy_ = float(right.mean()) if len(right) else None

    # --- predicting ------------------------------------------------------------------

    @staticmethod
    def keys(X: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[str]:
        """The normalised payee text each row is remembered (and corrected) under."""
        return list(prepare_frame(X)["key"])

    def _calibrated(self, frame: pd.DataFrame, corrections: Mapping[str, Any]) -> tuple[np.ndarray, list[str]]:
        scores = self.raw_.scores(frame)
        sources = []
        for row, key in enumerate(frame["key"]):
            corrected = corrections.get(key) if key else None
            if corrected is not None and corrected in self.raw_.index:
                scores[row] = 0.0
                scores[row, self.raw_.index[corrected]] = 1.0
                sources.append("correction")
            else:
                sources.append("memory" if self.use_memory and key in self.raw_.memory else "model")
        top = scores.argmax(axis=1)
        raw_top = scores[np.arange(len(frame)), top]
        calibrated = self.calibration_(raw_top)
        out = scores.copy()
        for row in range(len(frame)):
            rest = out[row].sum() - raw_top[row]
            if rest > 0:
                out[row] *= (1 - calibrated[row]) / rest
            elif len(self.classes_) > 1:
                out[row] = (1 - calibrated[row]) / (len(self.classes_) - 1)
            out[row, top[row]] = calibrated[row]
        return out, sources

    def predict_proba(self, X: pd.DataFrame | Sequence[Mapping[str, Any]]) -> np.ndarray:
        return self._calibrated(prepare_frame(X), self.corrections_)[0]

    def predict(self, X: pd.DataFrame | Sequence[Mapping[str, Any]]) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def suggest(
        self,
        X: pd.DataFrame | Sequence[Mapping[str, Any]],
        *,
        allowed: Sequence[Sequence[Any] | None] | None = None,
        corrections: Mapping[str, Any] | None = None,
        alternatives: int = 2,
    ) -> list[Suggestion | None]:
        """The best category of each row with its confidence. ``allowed[i]`` limits row
        ``i`` to some categories (e.g. those of its kind that still exist); ``None``
        there is no suggestion. ``corrections`` made after fitting override like the
        fitted ones."""
        frame = prepare_frame(X)
        merged = {**self.corrections_, **(corrections or {})}
        proba, sources = self._calibrated(frame, merged)
        corrected_confidence = round(float(self.calibration_(np.array([1.0]))[0]), 4)
        result: list[Suggestion | None] = []
        for row, key in enumerate(frame["key"]):
            corrected = merged.get(key) if key else None
            permitted = allowed is None or allowed[row] is None or corrected in list(allowed[row])
            if corrected is not None and corrected not in self.raw_.index and permitted:
                # Corrected to a category the model has not learned yet: the user's word.
                result.append(Suggestion(corrected, corrected_confidence, "correction"))
                continue
            p = proba[row].copy()
            if allowed is not None and allowed[row] is not None:
                keep = np.isin(self.classes_, np.asarray(list(allowed[row]), dtype=object))
                p[~keep] = -1.0
            order = np.argsort(-p, kind="stable")
            if sources[row] == "correction" and p[self.raw_.index[corrected]] >= 0:
                # The user's word wins even when calibration rates it below the uniform
                # spread of the other categories (a new version calibrated on few rows).
                chosen = self.raw_.index[corrected]
                order = np.array([chosen, *(i for i in order if i != chosen)])
            if p[order[0]] < 0:
                result.append(None)
                continue
            best = order[0]
            others = tuple(
                (self.classes_[i], round(float(p[i]), 4)) for i in order[1 : 1 + alternatives] if p[i] > 0
            )
            result.append(Suggestion(self.classes_[best], round(float(p[best]), 4), sources[row], others))
        return result


def _fit_calibrator(confidence: np.ndarray, correct: np.ndarray) -> _Calibrator:
    if len(confidence) == 0:
        return _Calibrator("identity")
    if correct.min() == correct.max():
        # Always right (or always wrong) out of sample: the rule of succession for scores
        # like those seen, the raw score below them.
        n = len(correct)
        return _Calibrator("constant", value=(correct.sum() + 1) / (n + 2), lowest=float(confidence.min()))
    if len(confidence) >= ISOTONIC_MIN_ROWS:
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(confidence, correct)
        return _Calibrator("isotonic", model=iso)
    logit = LogisticRegression(C=1e4).fit(_logit(confidence)[:, None], correct.astype(int))
    return _Calibrator("sigmoid", model=logit)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


class _Calibrator:
    """Maps a raw top score to a confidence."""

    def __init__(self, kind: str, *, model: Any = None, value: float | None = None, lowest: float = 0.0) -> None:
        self.kind = kind
        self.model = model
        self.value = value
        self.lowest = lowest

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        if self.kind == "isotonic":
            out = self.model.predict(raw)
        elif self.kind == "sigmoid":
            out = self.model.predict_proba(_logit(raw)[:, None])[:, 1]
        elif self.kind == "constant":
            out = np.where(raw >= self.lowest, self.value, np.minimum(raw, self.value))
        else:
            out = raw
        return np.clip(out, CONFIDENCE_FLOOR, CONFIDENCE_CEILING)


def training_weights(is_correction: Sequence[bool], *, correction_weight: float = 3.0) -> np.ndarray:
    """Sample weights: rows a user corrected count ``correction_weight`` times."""
    return np.where(np.asarray(is_correction, dtype=bool), correction_weight, 1.0)
