"""Monitoring listens for artifacts that fail their integrity check, wherever they were
loaded (a forecast, a classifier, an evaluation): one critical alert path."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from forecasting.monitoring.alerts import alert_raise
from forecasting.monitoring.models import Alert
from forecasting.registry.artifacts import artifact_integrity_failed
from forecasting.registry.models import ModelVersion


@receiver(artifact_integrity_failed, dispatch_uid="forecasting.monitoring.integrity_alert")
def integrity_alert_raise(sender: type, *, version_id: int, error: str, **kwargs: Any) -> None:
    version = ModelVersion.objects.select_related("workspace").filter(pk=version_id).first()
    if version is not None:
        alert_raise(
            workspace=version.workspace, kind=Alert.Kind.INTEGRITY, severity=Alert.Severity.CRITICAL,
            target=version.target, model_version=version, message=error,
        )
