"""The classifier estimators without Django: text normalisation, the categoriser, the
metrics, the fraud and anomaly detectors."""

import datetime as dt
import pickle

import numpy as np
import pandas as pd
import pytest

from forecasting.classifiers.anomaly import AnomalyDetector
from forecasting.classifiers.categorizer import TransactionCategorizer, payee_text
from forecasting.classifiers.evaluation import (
    classification_metrics,
    expected_calibration_error,
    lookup_baseline_predict,
    time_ordered_split,
)
from forecasting.classifiers.features import TransactionFeatures, transactions_frame
from forecasting.classifiers.fraud import FraudDetector
from forecasting.classifiers.text import normalize_text

STORES = {
    "Groceries": ["TRADER JOE S #{n}", "SAFEWAY #{n}", "WHOLEFDS MKT {n}"],
    "Coffee": ["STARBUCKS STORE {n}", "PEETS COFFEE {n}"],
    "Fuel": ["SHELL OIL {n}", "CHEVRON {n}"],
    "Dining": ["TST* LUIGIS TRATTORIA", "CHIPOTLE {n}", "DOORDASH*THAI ORCHID"],
}


def statement(rows=240, seed=0):
    """Bank-statement rows with store numbers that change, in date order."""
    rng = np.random.default_rng(seed)
    records, labels = [], []
    day = dt.date(2024, 1, 1)
    names = sorted(STORES)
    for i in range(rows):
        category = names[i % len(names)]
        template = STORES[category][int(rng.integers(len(STORES[category])))]
        records.append({"description": template.format(n=int(rng.integers(100, 99999))),
                        "amount": float(rng.uniform(4, 90)), "kind": "expense",
                        "date": day + dt.timedelta(days=i // 3)})
        labels.append(category)
    return records, labels


class TestText:
    @pytest.mark.parametrize(
        ("raw", "normalised"),
        [
            ("AMZN Mktp US*K3J9XQ2", "amzn mktp us"),
            ("POS PURCHASE STARBUCKS #1234 SEATTLE WA 03/14 CARD 4821", "starbucks seattle wa"),
            ("GUSTO PAYROLL 03/15", "gusto payroll"),
            ("TRADER JOE'S #127", "trader joes"),
            ("Café Olé", "cafe ole"),
            ("PG&E WEB ONLINE", "pg&e web online"),
            ("", ""),
            (None, ""),
        ],
    )
    def test_normalize_text(self, raw, normalised):
        assert normalize_text(raw) == normalised

    def test_payee_text_joins_description_and_a_different_merchant_once(self):
        assert payee_text("SHELL OIL 57442", "Shell") == "shell oil shell"
        assert payee_text("Netflix.com", "NETFLIX.COM") == "netflix com"
        assert payee_text("", "Chevron") == "chevron"


class TestMetrics:
    def test_time_ordered_split_trains_on_the_past(self):
        dates = ["2025-01-05", "2025-01-01", "2025-01-04", "2025-01-02", "2025-01-03"]
        train, test = time_ordered_split(dates)
        assert (train.tolist(), test.tolist()) == ([1, 2, 3, 4], [0])

    def test_expected_calibration_error(self):
        # Given two bins: 0.95 confident and right 2 of 2, 0.55 confident and right 1 of 2
        ece = expected_calibration_error([0.95, 0.95, 0.55, 0.55], [True, True, True, False])
        # Then ECE = ½·|1 − 0.95| + ½·|0.5 − 0.55|
        assert ece == pytest.approx(0.05)

    def test_classification_metrics(self):
        metrics = classification_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"], [0.9, 0.6, 0.8, 0.7])
        assert (metrics["n"], metrics["accuracy"]) == (4, 0.75)
        assert metrics["per_category"] == {
            "a": {"precision": 1.0, "recall": 0.5, "f1": 0.666667, "support": 2},
            "b": {"precision": 0.666667, "recall": 1.0, "f1": 0.8, "support": 2},
        }
        assert metrics["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-6)
        assert metrics["ece"] == pytest.approx(abs(0.9 - 1) / 4 + abs(0.6 - 0) / 4 + abs(0.8 - 1) / 4 + abs(0.7 - 1) / 4)

    def test_lookup_baseline(self):
        predicted = lookup_baseline_predict(["x", "x", "x", "y"], ["A", "A", "B", "C"], ["x", "y", "z"])
        assert predicted == ["A", "C", "A"]  # unseen "z": the most frequent label


class TestCategorizer:
    def test_learns_payees_through_changing_store_numbers(self):
        # Given a year of statements with store numbers that never repeat exactly
        records, labels = statement()
        train, test = time_ordered_split([r["date"] for r in records])
        # When the categoriser learns from the first 80 %
        model = TransactionCategorizer().fit([records[i] for i in train], [labels[i] for i in train])
        predicted = model.predict([records[i] for i in test])
        # Then it categorises the later 20 % right
        assert list(predicted) == [labels[i] for i in test]

    def test_confidence_is_a_probability_and_unknown_text_is_less_sure(self):
        records, labels = statement()
        model = TransactionCategorizer().fit(records, labels)
        proba = model.predict_proba([{"description": "STARBUCKS STORE 77777"}, {"description": "qwerty zxcv"}])
        assert proba.sum(axis=1) == pytest.approx([1.0, 1.0])
        assert model.classes_[proba[0].argmax()] == "Coffee"
        assert proba[1].max() < proba[0].max()

    def test_a_correction_overrides_the_memory_for_its_payee(self):
        records, labels = statement()
        model = TransactionCategorizer().fit(records, labels)
        [before] = model.suggest([{"description": "CHIPOTLE 1289"}])
        [after] = model.suggest([{"description": "CHIPOTLE 4444"}], corrections={"chipotle": "Groceries"})
        assert (before.label, before.source) == ("Dining", "memory")
        assert (after.label, after.source) == ("Groceries", "correction")

    def test_a_correction_to_a_category_the_model_never_saw_is_followed(self):
        records, labels = statement()
        model = TransactionCategorizer().fit(records, labels)
        [suggestion] = model.suggest([{"description": "CHIPOTLE 4444"}], corrections={"chipotle": "Travel"})
        assert (suggestion.label, suggestion.source) == ("Travel", "correction")
        [refused] = model.suggest([{"description": "CHIPOTLE 4444"}], corrections={"chipotle": "Travel"},
                                  allowed=[["Dining", "Coffee"]])
        assert refused.label == "Dining"

    def test_allowed_limits_the_categories_and_none_means_no_suggestion(self):
        records, labels = statement()
        model = TransactionCategorizer().fit(records, labels)
        first, second = model.suggest(
            [{"description": "SHELL OIL 1"}, {"description": "SHELL OIL 2"}], allowed=[["Coffee", "Dining"], []]
        )
        assert first.label in ("Coffee", "Dining")
        assert second is None

    def test_survives_a_pickle_round_trip(self):
        records, labels = statement(rows=60)
        model = TransactionCategorizer().fit(records, labels)
        again = pickle.loads(pickle.dumps(model))
        assert (again.predict_proba(records[:5]) == model.predict_proba(records[:5])).all()

    def test_needs_two_categories(self):
        with pytest.raises(ValueError, match="at least two rows in at least two categories"):
            TransactionCategorizer().fit([{"description": "a"}, {"description": "b"}], ["x", "x"])


def normal_books(rows=200, seed=1):
    rng = np.random.default_rng(seed)
    payees = [("STARBUCKS STORE 1", 6.0, "Coffee"), ("SAFEWAY 2", 60.0, "Groceries"), ("SHELL OIL 3", 50.0, "Fuel"),
              ("OAKWOOD RENT", 2100.0, "Rent")]
    out = []
    for i in range(rows):
        description, amount, category = payees[i % len(payees)]
        out.append({"date": dt.date(2024, 1, 1) + dt.timedelta(days=i // 2), "description": description,
                    "amount": round(amount * float(rng.lognormal(0, 0.1)), 2), "kind": "expense",
                    "category": category, "hour": 12})
    return out


class TestDetectors:
    def test_features_read_history_in_date_order(self):
        rows = [{"date": "2025-01-01", "description": "SHELL OIL 1", "amount": 50},
                {"date": "2025-01-11", "description": "SHELL OIL 2", "amount": 55},
                {"date": "2025-01-12", "description": "NEW PLACE", "amount": 9}]
        frame = transactions_frame(rows)
        matrix = TransactionFeatures().fit(frame).transform(frame)
        # payee_count_30d, days_since_last, new_payee
        assert matrix[:, 3:6].tolist() == [[0, 365, 1], [1, 10, 0], [0, 365, 1]]

    def test_anomaly_detector_flags_an_extreme_payment_and_not_a_usual_one(self):
        books = normal_books()
        detector = AnomalyDetector().fit(books)
        scores = detector.score(
            [{"date": "2024-05-01", "description": "WIRE TRANSFER INTL 99812", "amount": 25000, "kind": "expense",
              "hour": 3},
             {"date": "2024-05-01", "description": "STARBUCKS STORE 1", "amount": 6.1, "kind": "expense",
              "category": "Coffee", "hour": 12}],
            history=books[-40:],
        )
        assert detector.flag(scores).tolist() == [True, False]
        assert 0 < scores[1] < scores[0] < 1

    def test_fraud_detector_learns_labelled_fraud(self):
        books = normal_books()
        fraud = [{"date": dt.date(2024, 2, d), "description": f"GIFT CARDS ONLINE {d}", "amount": 950.0 + d,
                  "kind": "expense", "hour": 3} for d in range(1, 9)]
        rows = books + fraud
        y = [False] * len(books) + [True] * len(fraud)
        detector = FraudDetector(n_estimators=100)
        metrics = detector.cross_validate(rows, y)
        detector.fit(rows, y)
        scores = detector.score(
            [{"date": "2024-05-02", "description": "GIFT CARDS ONLINE 77", "amount": 990, "kind": "expense", "hour": 3},
             {"date": "2024-05-02", "description": "SAFEWAY 2", "amount": 61, "kind": "expense",
              "category": "Groceries", "hour": 12}],
            history=books[-40:],
        )
        assert detector.flag(scores).tolist() == [True, False]
        assert (metrics["positives"], metrics["recall"]) == (8, 1.0)

    def test_fraud_detector_needs_labels(self):
        with pytest.raises(ValueError, match="at least 5 transactions labelled as fraud, got 0"):
            FraudDetector().fit(normal_books(), [False] * 200)

    def test_anomaly_detector_needs_rows(self):
        with pytest.raises(ValueError, match="at least 20 transactions, got 3"):
            AnomalyDetector().fit(pd.DataFrame(normal_books(rows=3)))
