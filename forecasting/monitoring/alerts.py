"""Raising and acknowledging alerts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from finance.models import Workspace
from forecasting.monitoring.models import Alert
from forecasting.monitoring.notifications import alert_notifications_queue
from forecasting.registry.models import ModelVersion


def alert_raise(
    *,
    workspace: Workspace,
    kind: str,
    message: str,
    severity: str = Alert.Severity.WARNING,
    target: str = "",
    model_version: ModelVersion | None = None,
    data: dict[str, Any] | None = None,
    dedupe: bool = True,
) -> Alert:
    """Open an alert, unless the same kind is already open for the same version and target
    (``dedupe=False``: always, for alerts about distinct events such as flagged payments).
    A new alert is sent to the workspace's notification channels once it commits."""
    existing = Alert.objects.filter(
        workspace=workspace, kind=kind, target=target, model_version=model_version, acknowledged_at__isnull=True
    ).first() if dedupe else None
    if existing is not None:
        return existing
    alert = Alert.objects.create(
        workspace=workspace, kind=kind, message=message, severity=severity, target=target,
        model_version=model_version, data=data or {},
    )
    alert_notifications_queue(alert=alert)  # only a new alert: a deduplicated one was sent already
    return alert


def alert_acknowledge(*, alert: Alert, user: AbstractBaseUser | None) -> Alert:
    """Mark an alert as seen (idempotent: the first acknowledgement is kept)."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert
