"""Telling people about an alert when it is raised: by e-mail (Django's mail backend) and
by webhooks signed with the channel's secret, per workspace (:class:`NotificationChannel`).

An alert is sent once, when it is opened: ``alert_raise`` returning an open alert of the
same kind (deduplication) sends nothing. Each channel gets its own Celery task, queued when
the alert's transaction commits, retried with exponential backoff while the mail server or
the receiver fails — so a failing webhook never sends the e-mail twice.

Webhook requests are ``POST`` with a JSON body and three headers::

    X-Ledgerwise-Timestamp: <unix seconds>
    X-Ledgerwise-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>
    X-Ledgerwise-Delivery: <alert id>.<channel id>   (the same on every retry)

The timestamp is inside what is signed, so a receiver that rejects old timestamps also
rejects replayed requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from prometheus_client import Counter

from finance.models import Membership
from forecasting.monitoring.models import Alert, NotificationChannel

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Ledgerwise-Signature"
TIMESTAMP_HEADER = "X-Ledgerwise-Timestamp"
DELIVERY_HEADER = "X-Ledgerwise-Delivery"
EVENT = "alert.raised"

NOTIFICATIONS = Counter(
    "ledgerwise_alert_notifications_total", "Alert notification attempts, by channel kind and outcome.",
    ["kind", "outcome"],
)


class NotificationFailed(RuntimeError):
    """The mail server or the webhook did not take the notification; worth retrying."""


def alert_notifications_queue(*, alert: Alert) -> None:
    """Once the alert is committed, queue one delivery per enabled channel of its workspace
    that takes its severity."""
    transaction.on_commit(partial(_deliveries_queue, alert.pk, alert.workspace_id, alert.severity))


def _deliveries_queue(alert_id: int, workspace_id: int, severity: str) -> None:
    from forecasting.monitoring.tasks import alert_notification_deliver_task

    for channel in NotificationChannel.objects.filter(workspace_id=workspace_id, enabled=True):
        if not channel.accepts(severity):
            continue
        try:
            alert_notification_deliver_task.delay(alert_id, channel.pk)
        except Exception:  # the alert row stands; a broker outage must not fail its writer
            logger.warning("Could not queue the notification of alert %s to channel %s", alert_id, channel.pk,
                           exc_info=True)


def alert_notification_deliver(*, alert_id: int, channel_id: int) -> str:
    """Send alert ``alert_id`` to channel ``channel_id``: ``sent``, or ``skipped`` (alert or
    channel gone or disabled, no recipient). Raises :class:`NotificationFailed` when the
    mail server or the receiver failed (the task retries)."""
    alert = Alert.objects.select_related("workspace", "model_version").filter(pk=alert_id).first()
    channel = NotificationChannel.objects.filter(pk=channel_id, enabled=True).first()
    if alert is None or channel is None:
        return "skipped"
    send = _email_send if channel.kind == NotificationChannel.Kind.EMAIL else _webhook_post
    try:
        outcome = send(alert, channel)
    except NotificationFailed as exc:
        NOTIFICATIONS.labels(channel.kind, "failed").inc()
        logger.warning("Notification of alert %s to %s channel %s failed: %s", alert.pk, channel.kind, channel.pk, exc)
        raise
    NOTIFICATIONS.labels(channel.kind, outcome).inc()
    logger.info("Notification of alert %s to %s channel %s: %s", alert.pk, channel.kind, channel.pk, outcome)
    return outcome


# --- e-mail ------------------------------------------------------------------------------


def alert_email_recipients(*, channel: NotificationChannel) -> list[str]:
    """The channel's addresses, or else the workspace's active owners and managers."""
    if channel.addresses:
        return channel.addresses
    return list(
        Membership.objects.filter(
            workspace_id=channel.workspace_id, role__in=Membership.MANAGE_ROLES, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )


def _email_send(alert: Alert, channel: NotificationChannel) -> str:
    recipients = alert_email_recipients(channel=channel)
    if not recipients:
        logger.warning("Alert %s: e-mail channel %s has no recipient (no address, no owner with one)",
                       alert.pk, channel.pk)
        return "skipped"
    subject = (f"[Ledgerwise] {alert.get_severity_display()} alert in {alert.workspace.name}: "
               f"{alert.get_kind_display()}")
    try:
        EmailMessage(subject=" ".join(subject.split()), body=_email_body(alert), to=recipients).send()
    except (smtplib.SMTPException, OSError) as exc:
        raise NotificationFailed(f"{type(exc).__name__}: {exc}") from exc
    return "sent"


def _email_body(alert: Alert) -> str:
    version = alert.model_version
    lines = [
        f"{alert.get_kind_display()} ({alert.get_severity_display().lower()}) in workspace {alert.workspace.name}",
        f"Target: {alert.target or '-'}",
    ]
    if version is not None:
        lines.append(f"Model version: {version.target} v{version.version} ({version.algorithm})")
    lines += [
        f"Raised at: {alert.created_at:%Y-%m-%d %H:%M %Z}",
        "",
        alert.message,
        "",
        "Acknowledge it in Ledgerwise's admin (Alerts) once it has been looked at.",
    ]
    return "\n".join(lines) + "\n"


# --- webhooks ----------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` keyed with ``secret``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON body of a webhook call."""
    version = alert.model_version
    return {
        "event": EVENT,
        "workspace": {"id": alert.workspace_id, "name": alert.workspace.name},
        "alert": {
            "id": alert.pk,
            "kind": alert.kind,
            "severity": alert.severity,
            "target": alert.target,
            "message": alert.message,
            "data": alert.data,
            "created_at": alert.created_at.isoformat(),
            "model_version": None if version is None else {
                "id": version.pk, "target": version.target, "version": version.version, "algorithm": version.algorithm,
            },
        },
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A signed body is for the URL that was configured, not wherever it redirects."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _webhook_post(alert: Alert, channel: NotificationChannel) -> str:
    body = json.dumps(alert_payload(alert), separators=(",", ":"), sort_keys=True, default=str).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(channel.target, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "Ledgerwise-Webhook/1",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret=channel.secret, timestamp=timestamp, body=body),
        DELIVERY_HEADER: f"{alert.pk}.{channel.pk}",
    })
    try:
        with _opener.open(request, timeout=settings.ALERT_WEBHOOK_TIMEOUT) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        raise NotificationFailed(f"the webhook answered {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timed out
        raise NotificationFailed(f"the webhook could not be reached: {getattr(exc, 'reason', exc)}") from exc
    return "sent"
