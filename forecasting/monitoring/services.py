"""Monitoring deployed models: realised error as actuals arrive, classifier accuracy from
feedback, and drift of recent data against the training window (PSI and a KS test).

Degradation (realised MAE above ``ML_DEGRADATION_RATIO`` × backtest MAE, or accuracy
under ``ML_PERFORMANCE_THRESHOLD``) and significant drift (PSI ≥ 0.25 with a KS p-value
under 0.05) raise an alert and ask for a retrain of the target.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from scipy import stats

from forecasting.monitoring.alerts import alert_raise
from forecasting.monitoring.models import Alert, PerformanceSnapshot
from forecasting.registry.models import ModelKind, ModelVersion, TargetState
from forecasting.series.drivers import DrivenForecaster, series_drivers_build
from forecasting.series.selectors import Series, series_build
from forecasting.series.targets import Target

PSI_MODERATE = 0.1
PSI_SIGNIFICANT = 0.25
KS_ALPHA = 0.05
MIN_DRIFT_POINTS = 3


@dataclass(frozen=True)
class DriftResult:
    psi: float
    band: str  # "none", "moderate", "significant"
    ks_statistic: float
    ks_pvalue: float

    @property
    def is_drift(self) -> bool:
        return self.band == "significant" and self.ks_pvalue < KS_ALPHA

    def as_dict(self) -> dict:
        return {"psi": round(self.psi, 6), "band": self.band, "ks_statistic": round(self.ks_statistic, 6),
                "ks_pvalue": round(self.ks_pvalue, 6)}


def population_stability_index(expected: np.ndarray, actual: np.ndarray, *, bins: int = 10) -> float:
    """PSI of ``actual`` against ``expected`` over quantile bins of ``expected``."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        edges = np.array([expected.min() - 0.5, expected.max() + 0.5])
    edges[0], edges[-1] = -np.inf, np.inf
    eps = 1e-4
    e = np.histogram(expected, edges)[0] / len(expected) + eps
    a = np.histogram(actual, edges)[0] / len(actual) + eps
    return float(np.sum((a - e) * np.log(a / e)))


def drift_measure(*, reference: np.ndarray, recent: np.ndarray) -> DriftResult:
    psi = population_stability_index(reference, recent)
    band = "significant" if psi >= PSI_SIGNIFICANT else "moderate" if psi >= PSI_MODERATE else "none"
    ks = stats.ks_2samp(reference, recent)
    return DriftResult(psi=psi, band=band, ks_statistic=float(ks.statistic), ks_pvalue=float(ks.pvalue))


def _request_retrain(version: ModelVersion) -> None:
    TargetState.objects.update_or_create(
        workspace_id=version.workspace_id, target=version.target, defaults={"retrain_requested": True}
    )


def _actual_drivers(model: object, version: ModelVersion, target: Target, series: Series, n: int) -> np.ndarray | None:
    """The drivers the last ``n`` periods really had (their promotions, prices, holidays),
    for a model that learned from them: judged on what happened, not on the default plan
    of no promotion. None (the default) when the workspace's drivers changed since."""
    if not isinstance(model, DrivenForecaster):
        return None
    drivers = series_drivers_build(workspace=version.workspace, target=target, series=series)
    if drivers is None or drivers.names != model.drivers.names:
        return None
    return drivers.values[-n:]


def _forecaster_snapshot(version: ModelVersion, today: dt.date | None) -> PerformanceSnapshot:
    from forecasting.serving.predictions import model_version_load

    target = Target.parse(version.target)
    series = series_build(workspace=version.workspace, target=target, frequency=version.frequency, end=today)
    actual_pairs = [(d, v) for d, v in zip(series.dates, series.values, strict=True) if d > version.training_end]
    metrics: dict = {}
    drift: dict = {}
    status = PerformanceSnapshot.Status.INSUFFICIENT
    if actual_pairs:
        model = model_version_load(version=version)
        actual = np.array([v for _, v in actual_pairs])
        X = _actual_drivers(model, version, target, series, len(actual))
        predicted = np.asarray(model.predict(len(actual), X).mean, dtype=float)
        mae = float(np.mean(np.abs(actual - predicted)))
        backtest_mae = version.metrics.get("mae")
        ratio = mae / backtest_mae if backtest_mae else None
        metrics = {"mae": round(mae, 6), "rmse": round(float(np.sqrt(np.mean((actual - predicted) ** 2))), 6),
                   "backtest_mae": backtest_mae, "ratio": round(ratio, 6) if ratio is not None else None}
        status = PerformanceSnapshot.Status.OK
        if ratio is not None and ratio > settings.ML_DEGRADATION_RATIO:
            status = PerformanceSnapshot.Status.DEGRADED
    reference = np.asarray(version.training_data.get("values", []), dtype=float)
    recent = np.array([v for _, v in actual_pairs]) if actual_pairs else np.array([])
    if len(reference) >= MIN_DRIFT_POINTS and len(recent) >= MIN_DRIFT_POINTS:
        result = drift_measure(reference=reference, recent=recent)
        drift = result.as_dict()
        if result.is_drift and status == PerformanceSnapshot.Status.OK:
            status = PerformanceSnapshot.Status.DRIFT
    return PerformanceSnapshot(
        workspace_id=version.workspace_id, model_version=version, metrics=metrics, drift=drift,
        n_points=len(actual_pairs), status=status,
    )


def _classifier_snapshot(version: ModelVersion) -> PerformanceSnapshot:
    judged = list(version.feedback.filter(is_correct__isnull=False).values_list("is_correct", flat=True)[:500])
    if not judged:
        return PerformanceSnapshot(workspace_id=version.workspace_id, model_version=version,
                                   status=PerformanceSnapshot.Status.INSUFFICIENT)
    accuracy = sum(judged) / len(judged)
    status = (
        PerformanceSnapshot.Status.DEGRADED if accuracy < settings.ML_PERFORMANCE_THRESHOLD
        else PerformanceSnapshot.Status.OK
    )
    return PerformanceSnapshot(
        workspace_id=version.workspace_id, model_version=version, metrics={"accuracy": round(accuracy, 6)},
        n_points=len(judged), status=status,
    )


def model_version_evaluate(*, version: ModelVersion, today: dt.date | None = None) -> PerformanceSnapshot:
    """Measure a version now, store the snapshot, alert and request a retrain when needed."""
    if version.kind == ModelKind.FORECASTER:
        snapshot = _forecaster_snapshot(version, today)
    else:
        snapshot = _classifier_snapshot(version)
    snapshot.save()
    if snapshot.status == PerformanceSnapshot.Status.DEGRADED:
        what = (f"realised MAE {snapshot.metrics['mae']:.4g} is {snapshot.metrics['ratio']:.2f}× the backtest MAE"
                if "ratio" in snapshot.metrics else f"accuracy {snapshot.metrics['accuracy']:.1%} is under "
                f"{settings.ML_PERFORMANCE_THRESHOLD:.0%}")
        alert_raise(
            workspace=version.workspace, kind=Alert.Kind.DEGRADATION, target=version.target, model_version=version,
            message=f"{version.target} v{version.version} ({version.algorithm}) degraded: {what}; retrain queued.",
            data=snapshot.metrics,
        )
        _request_retrain(version)
    elif snapshot.status == PerformanceSnapshot.Status.DRIFT:
        alert_raise(
            workspace=version.workspace, kind=Alert.Kind.DRIFT, target=version.target, model_version=version,
            message=f"{version.target}: recent data drifted from the training window "
                    f"(PSI {snapshot.drift['psi']:.2f}, KS p={snapshot.drift['ks_pvalue']:.3f}); retrain queued.",
            data=snapshot.drift,
        )
        _request_retrain(version)
    return snapshot
