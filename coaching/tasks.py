"""Celery tasks of the coaching app: thin, idempotent and safe to retry."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from coaching.services.events import behavioral_events_write
from coaching.services.segments import segments_refresh
from config.celery import TRANSIENT_ERRORS


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=3)
def segments_refresh_task() -> dict:
    """Recompute every segment (the daily beat schedule ``coaching: daily segment refresh``)."""
    report = segments_refresh()
    return {"members": report.members, "segments": report.segments, "k": report.by_kind}


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=3)
def budget_alerts_task() -> dict:
    """Open the month's budget overrun alerts (the daily beat schedule ``coaching: daily
    budget overrun alerts``); idempotent within a month."""
    from coaching.services.budget_risk import budget_alerts_sweep  # it loads the forecasting stack

    return budget_alerts_sweep(today=timezone.localdate())


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=5)
def behavioral_events_write_task(events: list[dict]) -> int:
    """Write one flushed buffer of behavioural events (:mod:`coaching.behaviour.buffer`); a
    retry stores nothing twice."""
    return behavioral_events_write(events=events)


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True,
             max_retries=3)
def prediction_cache_warm_task() -> dict:
    """Fill the coaching prediction cache for the active members (the hourly beat schedule
    ``coaching: hourly prediction cache warm-up``)."""
    from coaching.services.answers import prediction_cache_warm  # it loads the forecasting stack

    report = prediction_cache_warm()
    return {"members": report.members, "computed": report.computed, "cached": report.cached,
            "failed": report.failed, "skipped": report.skipped}
