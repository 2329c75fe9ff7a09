"""Celery tasks of monitoring: delivering an alert to one notification channel. Names stay
``forecasting.tasks.*``."""

from __future__ import annotations

from celery import shared_task

from config.celery import TRANSIENT_ERRORS
from forecasting.monitoring.notifications import NotificationFailed, alert_notification_deliver


# Backoff: 30 s, 1 min, 2 min … capped at an hour, with jitter; about three hours in all
# before a receiver that stays down is given up on.
@shared_task(name="forecasting.tasks.alert_notification_deliver_task", acks_late=True,
             autoretry_for=(NotificationFailed, *TRANSIENT_ERRORS), retry_backoff=30, retry_backoff_max=3600,
             retry_jitter=True, max_retries=8)
def alert_notification_deliver_task(alert_id: int, channel_id: int) -> str:
    """Send one alert to one channel (e-mail or signed webhook)."""
    return alert_notification_deliver(alert_id=alert_id, channel_id=channel_id)
