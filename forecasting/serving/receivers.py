"""Serving listens to the registry: a changed deployment makes every cached answer of the
workspace stale."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from forecasting.registry.signals import deployment_changed
from forecasting.serving.cache import classifiers_cache_invalidate, forecast_cache_invalidate


@receiver(deployment_changed, dispatch_uid="forecasting.serving.deployment_changed")
def caches_invalidate(sender: type, *, workspace_id: int, **kwargs: Any) -> None:
    forecast_cache_invalidate(workspace_id=workspace_id)
    classifiers_cache_invalidate(workspace_id=workspace_id)
