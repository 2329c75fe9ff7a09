"""Celery tasks of inventory: thin, idempotent; named ``forecasting.tasks.*`` as the others."""

from __future__ import annotations

from celery import shared_task

from config.celery import TRANSIENT_ERRORS
from forecasting.inventory.stockout import stockout_alerts_sweep


@shared_task(name="forecasting.tasks.stockout_alerts_task", acks_late=True, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=True, max_retries=3)
def stockout_alerts_task() -> dict[str, int]:
    """The stockout early warning over every workspace with products."""
    return stockout_alerts_sweep()
