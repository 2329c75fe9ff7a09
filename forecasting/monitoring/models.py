"""How deployed models perform over time (snapshots) and the alerts raised when
they degrade, drift or fail an integrity check."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
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
        BUDGET = "budget", "Budget overrun risk"

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


def notification_secret_new() -> str:
    """A new webhook signing key (256 bits)."""
    return secrets.token_hex(32)


SEVERITY_RANK = {Alert.Severity.INFO: 0, Alert.Severity.WARNING: 1, Alert.Severity.CRITICAL: 2}


class NotificationChannel(models.Model):
    """Where a workspace's alerts are sent when they are raised: by e-mail, or to a webhook
    whose requests are signed (HMAC-SHA256) with the channel's secret."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notification_channels")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    target = models.CharField(
        max_length=500, blank=True, default="",
        help_text="E-mail: addresses separated by commas (blank: the workspace's owners and managers). "
        "Webhook: the http(s) URL the alert is POSTed to.",
    )
    secret = models.CharField(
        max_length=128, blank=True, default=notification_secret_new,
        help_text="Webhook: the key of the X-Ledgerwise-Signature HMAC-SHA256; give it to the receiver.",
    )
    min_severity = models.CharField(
        max_length=8, choices=Alert.Severity.choices, default=Alert.Severity.WARNING,
        help_text="Alerts below this severity are not sent.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.target or 'owners and managers'}"

    def clean(self) -> None:
        if self.kind == self.Kind.WEBHOOK:
            try:
                URLValidator(schemes=["http", "https"])(self.target)
            except ValidationError:
                raise ValidationError({"target": "A webhook needs an http(s) URL."}) from None
            if not self.secret:
                raise ValidationError({"secret": "A webhook needs a secret to sign its requests with."})
        else:
            for address in self.addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    raise ValidationError({"target": f"{address!r} is not an e-mail address."}) from None

    @property
    def addresses(self) -> list[str]:
        """The e-mail addresses of an e-mail channel's target (none: owners and managers)."""
        return [part.strip() for part in self.target.replace(";", ",").split(",") if part.strip()]

    def accepts(self, severity: str) -> bool:
        return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(self.min_severity, 0)
