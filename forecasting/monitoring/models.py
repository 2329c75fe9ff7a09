"""How deployed models perform over time (snapshots) and the alerts raised when
they degrade, drift or fail an integrity check."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from finance.models import Workspace


class PerformanceSnapshot(models.Model):
    """Realised performance and drift of a version at a point in time."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        DEGRADED = "degraded", "Degraded"
        DRIFT = "drift", "Drift"
        INSUFFICIENT = "insufficient", "Not enough actuals"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="performance_snapshots")
    model_version = models.ForeignKey("forecasting.ModelVersion", on_delete=models.CASCADE, related_name="snapshots")
    metrics = models.JSONField(default=dict, blank=True)
    drift = models.JSONField(default=dict, blank=True)
    n_points = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OK)
    computed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_version} {self.get_status_display()} at {self.computed_at:%Y-%m-%d}"


class Alert(models.Model):
    """Something staff should look at: degradation, drift, a tampered artifact, stockout risk."""

    class Kind(models.TextChoices):
        DEGRADATION = "degradation", "Degradation"
        DRIFT = "drift", "Data drift"
        INTEGRITY = "integrity", "Artifact integrity"
        STOCKOUT = "stockout", "Stockout risk"
        FRAUD = "fraud", "Fraud"
        ANOMALY = "anomaly", "Anomaly"
        TRAINING = "training", "Training failure"

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    target = models.CharField(max_length=100, blank=True, default="")
    model_version = models.ForeignKey(
        "forecasting.ModelVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "acknowledged_at"], name="alert_open_idx")]

    def __str__(self) -> str:
        return f"[{self.get_severity_display()}] {self.get_kind_display()}: {self.message[:60]}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
