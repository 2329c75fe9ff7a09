"""Alert notifications: a new alert reaches a real local SMTP server and a webhook receiver
that checks its signature; a deduplicated alert sends nothing."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ValidationError

from finance.models import Membership
from forecasting.monitoring.alerts import alert_acknowledge, alert_raise
from forecasting.monitoring.models import NotificationChannel
from forecasting.monitoring.notifications import alert_email_recipients, webhook_signature
from tests import factories as f
from tests.factories import fitted_version


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Sink:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Ledgerwise <alerts@ledgerwise.test>"
    yield sink
    controller.stop()


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.calls: list[tuple[dict, bytes]] = []
        self.fail_first = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/ledgerwise"


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's hook name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
        failing = len(self.server.calls) <= self.server.fail_first
        self.send_response(503 if failing else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 in a thread."""
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def verify(secret: str, headers: dict, body: bytes, *, max_age: int = 300) -> bool:
    """What a receiver does: recompute the signature over ``<timestamp>.<body>`` and check
    the timestamp is recent."""
    timestamp = headers["x-ledgerwise-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= max_age
    return fresh and hmac.compare_digest(expected, headers["x-ledgerwise-signature"])


@pytest.mark.django_db
class TestNotifications:
    def test_an_alert_reaches_the_owners_by_email_and_a_signed_webhook(
        self, workspace, smtp_sink, receiver, eager, django_capture_on_commit_callbacks
    ):
        # Given an owner and a manager with addresses, a member (not told), and two channels
        f.MembershipFactory(workspace=workspace, role=Membership.Role.OWNER, user__email="owner@bakery.test")
        f.MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER, user__email="manager@bakery.test")
        f.MembershipFactory(workspace=workspace, role=Membership.Role.MEMBER, user__email="member@bakery.test")
        NotificationChannel.objects.create(workspace=workspace, kind="email")
        hook = NotificationChannel.objects.create(workspace=workspace, kind="webhook", target=receiver.url)
        version = fitted_version(workspace=workspace, status="deployed")
        # When an integrity alert is raised and committed
        with django_capture_on_commit_callbacks(execute=True):
            alert = alert_raise(workspace=workspace, kind="integrity", severity="critical", target="revenue",
                                model_version=version, message="Artifact sha256 mismatch")
        # Then the SMTP server received one message for the owner and the manager
        [envelope] = smtp_sink.envelopes
        assert sorted(envelope.rcpt_tos) == ["manager@bakery.test", "owner@bakery.test"]
        assert envelope.mail_from == "alerts@ledgerwise.test"
        message = email.message_from_bytes(envelope.content)
        assert message["Subject"] == "[Ledgerwise] Critical alert in Bakery A: Artifact integrity"
        text = message.get_payload(decode=True).decode()
        assert "Artifact sha256 mismatch" in text
        assert f"Model version: revenue v{version.version} (naive)" in text
        # And the receiver got one request whose signature checks out with the channel's secret
        [(headers, body)] = receiver.calls
        assert verify(hook.secret, headers, body)
        assert not verify("another secret", headers, body)
        assert headers["content-type"] == "application/json"
        assert headers["x-ledgerwise-delivery"] == f"{alert.pk}.{hook.pk}"
        payload = json.loads(body)
        assert payload["event"] == "alert.raised"
        assert payload["workspace"] == {"id": workspace.pk, "name": "Bakery A"}
        assert {k: payload["alert"][k] for k in ("id", "kind", "severity", "target", "message")} == {
            "id": alert.pk, "kind": "integrity", "severity": "critical", "target": "revenue",
            "message": "Artifact sha256 mismatch"}
        assert payload["alert"]["model_version"]["id"] == version.pk

    def test_a_deduplicated_alert_is_not_sent_again(
        self, workspace, smtp_sink, receiver, eager, django_capture_on_commit_callbacks
    ):
        NotificationChannel.objects.create(workspace=workspace, kind="email", target="ops@bakery.test")
        NotificationChannel.objects.create(workspace=workspace, kind="webhook", target=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            first = alert_raise(workspace=workspace, kind="drift", message="Revenue drifted")
        # When the same alert is raised again while it is open
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = alert_raise(workspace=workspace, kind="drift", message="Revenue drifted")
        # Then it is the same alert and nothing more was sent
        assert again.pk == first.pk
        assert callbacks == []
        assert (len(smtp_sink.envelopes), len(receiver.calls)) == (1, 1)
        # And once acknowledged, a new one is sent
        alert_acknowledge(alert=first, user=None)
        with django_capture_on_commit_callbacks(execute=True):
            alert_raise(workspace=workspace, kind="drift", message="Revenue drifted")
        assert (len(smtp_sink.envelopes), len(receiver.calls)) == (2, 2)

    def test_channels_below_the_severity_disabled_or_of_another_workspace_send_nothing(
        self, workspace, other_workspace, smtp_sink, receiver, eager, django_capture_on_commit_callbacks
    ):
        NotificationChannel.objects.create(workspace=workspace, kind="email", target="ops@bakery.test",
                                           min_severity="critical")
        NotificationChannel.objects.create(workspace=workspace, kind="webhook", target=receiver.url, enabled=False)
        NotificationChannel.objects.create(workspace=other_workspace, kind="email", target="b@other.test")
        with django_capture_on_commit_callbacks(execute=True):
            alert_raise(workspace=workspace, kind="drift", message="Revenue drifted")  # a warning
        assert (smtp_sink.envelopes, receiver.calls) == ([], [])

    def test_a_failing_receiver_is_retried_with_the_same_delivery_id(
        self, workspace, receiver, eager, django_capture_on_commit_callbacks
    ):
        # Given a receiver that answers 503 twice, then 204
        receiver.fail_first = 2
        hook = NotificationChannel.objects.create(workspace=workspace, kind="webhook", target=receiver.url)
        # When an alert is raised
        with django_capture_on_commit_callbacks(execute=True):
            alert = alert_raise(workspace=workspace, kind="drift", message="Revenue drifted")
        # Then the third attempt got through, each one signed, all with one delivery id
        assert len(receiver.calls) == 3
        assert all(verify(hook.secret, headers, body) for headers, body in receiver.calls)
        assert {headers["x-ledgerwise-delivery"] for headers, _ in receiver.calls} == {f"{alert.pk}.{hook.pk}"}

    def test_the_alert_row_stands_when_the_broker_is_down(
        self, workspace, monkeypatch, django_capture_on_commit_callbacks
    ):
        from forecasting.monitoring import tasks

        def down(*args):
            raise ConnectionRefusedError("broker down")

        monkeypatch.setattr(tasks.alert_notification_deliver_task, "delay", down)
        NotificationChannel.objects.create(workspace=workspace, kind="email", target="ops@bakery.test")
        with django_capture_on_commit_callbacks(execute=True):
            alert = alert_raise(workspace=workspace, kind="drift", message="Revenue drifted")
        assert alert.pk is not None


@pytest.mark.django_db
class TestChannels:
    def test_a_webhook_needs_a_url_and_gets_a_secret(self, workspace):
        channel = NotificationChannel(workspace=workspace, kind="webhook", target="not a url")
        with pytest.raises(ValidationError, match="A webhook needs an http"):
            channel.full_clean()
        channel.target = "https://hooks.example.com/ledgerwise"
        channel.full_clean()
        assert len(channel.secret) == 64
        assert channel.secret != NotificationChannel(workspace=workspace, kind="webhook").secret

    def test_email_addresses_are_checked(self, workspace):
        channel = NotificationChannel(workspace=workspace, kind="email", target="ops@bakery.test, nope")
        with pytest.raises(ValidationError, match="'nope' is not an e-mail address"):
            channel.full_clean()

    def test_blank_email_target_means_active_owners_and_managers_with_an_address(self, workspace):
        f.MembershipFactory(workspace=workspace, role="owner", user__email="b@x.test")
        f.MembershipFactory(workspace=workspace, role="manager", user__email="a@x.test")
        f.MembershipFactory(workspace=workspace, role="owner", user__email="")
        f.MembershipFactory(workspace=workspace, role="owner", user__email="gone@x.test", user__is_active=False)
        f.MembershipFactory(workspace=workspace, role="viewer", user__email="v@x.test")
        channel = NotificationChannel(workspace=workspace, kind="email")
        assert alert_email_recipients(channel=channel) == ["a@x.test", "b@x.test"]
        channel.target = "ops@x.test; cfo@x.test"
        assert alert_email_recipients(channel=channel) == ["ops@x.test", "cfo@x.test"]

    def test_the_signature_is_hmac_sha256_of_timestamp_dot_body(self):
        expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert webhook_signature(secret="k", timestamp="1700000000", body=b"{}") == f"sha256={expected}"


@pytest.mark.django_db
def test_the_admin_lists_and_adds_channels(admin_client, workspace):
    response = admin_client.post("/admin/forecasting/notificationchannel/add/", {
        "workspace": workspace.pk, "kind": "webhook", "target": "https://hooks.example.com/x",
        "min_severity": "warning", "enabled": "on", "secret": "s" * 40,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = NotificationChannel.objects.get()
    assert (channel.kind, channel.secret) == ("webhook", "s" * 40)
    assert admin_client.get("/admin/forecasting/notificationchannel/").status_code == 200
