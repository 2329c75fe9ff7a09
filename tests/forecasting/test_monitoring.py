"""Monitoring: realised error, drift (PSI bands + KS), classifier accuracy, alerts."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from forecasting.monitoring.models import Alert
from forecasting.monitoring.services import (
    drift_measure,
    model_version_evaluate,
    population_stability_index,
)
from forecasting.registry.models import ModelKind, TargetState
from forecasting.serving.feedback import feedback_create
from tests import factories as f
from tests.factories import fitted_version


class TestDriftMeasures:
    def test_identical_distributions_have_no_drift(self):
        data = np.arange(100, dtype=float)
        result = drift_measure(reference=data, recent=data)
        assert result.band == "none"
        assert result.psi == pytest.approx(0.0, abs=1e-9)
        assert result.ks_pvalue == pytest.approx(1.0)
        assert result.is_drift is False

    def test_a_shifted_distribution_is_significant_drift(self):
        rng = np.random.default_rng(0)
        result = drift_measure(reference=rng.normal(0, 1, 500), recent=rng.normal(3, 1, 200))
        assert result.band == "significant"
        assert result.psi > 0.25
        assert result.ks_pvalue < 0.05
        assert result.is_drift is True

    def test_psi_of_a_known_split(self):
        expected = np.array([1.0] * 50 + [2.0] * 50)
        actual = np.array([1.0] * 25 + [2.0] * 75)
        # two bins: (0.5−0.25)·ln(0.5/0.25)... computed with the 1e-4 floor
        e = np.array([0.5, 0.5]) + 1e-4
        a = np.array([0.25, 0.75]) + 1e-4
        assert population_stability_index(expected, actual) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))


def add_monthly_revenue(workspace, month: dt.date, amount: int):
    f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal(amount), date=month)


@pytest.mark.django_db
class TestEvaluate:
    def test_degradation_raises_an_alert_and_requests_a_retrain(self, workspace, settings):
        settings.ML_DEGRADATION_RATIO = 1.5
        version = fitted_version(workspace=workspace, status="deployed", mae=10.0)  # trained to 2024-12
        for month in (1, 2, 3):
            add_monthly_revenue(workspace, dt.date(2025, month, 1), 500)  # naive predicts 285
        snapshot = model_version_evaluate(version=version, today=dt.date(2025, 4, 10))
        assert snapshot.status == "degraded"
        assert snapshot.n_points == 3
        assert snapshot.metrics["mae"] == 215.0
        assert snapshot.metrics["ratio"] == 21.5
        alert = Alert.objects.get()
        assert (alert.kind, alert.model_version_id) == ("degradation", version.pk)
        assert "realised MAE 215 is 21.50× the backtest MAE" in alert.message
        assert TargetState.objects.get(workspace=workspace, target="revenue").retrain_requested is True

    def test_accurate_model_is_ok_and_quiet(self, workspace):
        version = fitted_version(workspace=workspace, status="deployed", mae=10.0)
        for month in (1, 2):
            add_monthly_revenue(workspace, dt.date(2025, month, 1), 290)
        snapshot = model_version_evaluate(version=version, today=dt.date(2025, 3, 10))
        assert (snapshot.status, snapshot.metrics["mae"]) == ("ok", 5.0)
        assert Alert.objects.count() == 0

    def test_no_actuals_yet_is_insufficient(self, workspace):
        version = fitted_version(workspace=workspace, status="deployed")
        snapshot = model_version_evaluate(version=version, today=dt.date(2025, 1, 10))
        assert (snapshot.status, snapshot.n_points) == ("insufficient", 0)

    def test_classifier_accuracy_below_threshold_alerts(self, workspace, settings):
        settings.ML_PERFORMANCE_THRESHOLD = 0.7
        version = fitted_version(workspace=workspace, target="categorizer")
        version.kind = ModelKind.CATEGORIZER
        version.save()
        groceries = f.CategoryFactory(workspace=workspace)
        rent = f.CategoryFactory(workspace=workspace)
        for i in range(10):
            txn = f.TransactionFactory(workspace=workspace, category=groceries, category_source="model")
            feedback_create(workspace=workspace, kind="correction", model_version=version, transaction_row=txn,
                            actual=groceries.pk if i < 6 else rent.pk)
        snapshot = model_version_evaluate(version=version)
        assert (snapshot.status, snapshot.metrics, snapshot.n_points) == ("degraded", {"accuracy": 0.6}, 10)
        assert Alert.objects.get().message.endswith("degraded: accuracy 60.0% is under 70%; retrain queued.")
