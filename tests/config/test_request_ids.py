"""Request ids: assigned or accepted by the middleware, returned in ``X-Request-ID``, on
every log record of the request (JSON lines), and carried into the Celery tasks the
request starts."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery import signals
from django.test import Client

from config.celery import app
from config.logs import JsonFormatter, request_id_bind, request_id_get, request_id_reset

ROOT = Path(__file__).resolve().parents[2]


class FakeTask:
    """What the task signals are given: a task with its request (message headers)."""

    def __init__(self, **request: object) -> None:
        self.request = SimpleNamespace(headers=None, **request)


@pytest.fixture
def json_log(monkeypatch):
    """The configured console handler (with its request-id filter), writing JSON lines to a
    buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    buffer = io.StringIO()
    monkeypatch.setattr(handler, "stream", buffer)
    monkeypatch.setattr(handler, "formatter", JsonFormatter())

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    return lines


@pytest.mark.django_db
class TestMiddleware:
    def test_a_request_without_an_id_gets_a_new_one(self):
        first = Client().get("/health/live/")["X-Request-ID"]
        second = Client().get("/health/live/")["X-Request-ID"]
        assert len(first) == 32 and int(first, 16) >= 0
        assert first != second

    def test_a_sane_incoming_id_is_kept(self):
        response = Client().get("/health/live/", HTTP_X_REQUEST_ID="lb-7f3a.2b:91")
        assert response["X-Request-ID"] == "lb-7f3a.2b:91"

    @pytest.mark.parametrize("incoming", ["two words", "line\nbreak", "x" * 129, '"quoted"', ""])
    def test_an_insane_incoming_id_is_replaced(self, incoming):
        response = Client().get("/health/live/", HTTP_X_REQUEST_ID=incoming)
        assert response["X-Request-ID"] != incoming
        assert len(response["X-Request-ID"]) == 32

    def test_every_log_record_of_the_request_carries_its_id_as_json(self, json_log):
        # When a request for a missing page is logged by Django
        response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="req-abc-123")
        # Then the response and the JSON log line have the same id
        assert response.status_code == 404
        assert response["X-Request-ID"] == "req-abc-123"
        [line] = [entry for entry in json_log() if entry["logger"] == "django.request"]
        assert line["request_id"] == "req-abc-123"
        assert line["level"] == "WARNING"
        assert line["message"] == "Not Found: /no-such-page/"
        assert set(line) >= {"time", "level", "logger", "message", "request_id", "process"}
        # And nothing is left bound after the request
        assert request_id_get() is None

    def test_a_record_outside_a_request_has_no_id(self, json_log):
        logging.getLogger("ledgerwise.test").warning("hello %s", "there", extra={"job": 7})
        [line] = json_log()
        assert (line["message"], line["request_id"], line["job"]) == ("hello there", None, 7)

    def test_an_exception_is_one_json_line_with_its_traceback(self, json_log):
        try:
            raise ValueError("bad")
        except ValueError:
            logging.getLogger("ledgerwise.test").exception("failed")
        [line] = json_log()
        assert line["message"] == "failed"
        assert line["exception"].startswith("Traceback") and line["exception"].endswith("ValueError: bad")


class TestCeleryTasks:
    def test_a_task_published_during_a_request_carries_its_id(self):
        # Given a request id bound (as the middleware does)
        token = request_id_bind("req-publish-1")
        try:
            # When a task is published, Celery's before_task_publish sends its headers
            headers: dict = {"id": "t-1", "task": "forecasting.tasks.autolearn_check_task"}
            signals.before_task_publish.send(sender="forecasting.tasks.autolearn_check_task", body=(), exchange="",
                                             routing_key="celery", headers=headers, properties={},
                                             declare=[], retry_policy=None)
        finally:
            request_id_reset(token)
        # Then the message carries the request's id
        assert headers["request_id"] == "req-publish-1"

    def test_outside_a_request_nothing_is_added(self):
        headers: dict = {}
        signals.before_task_publish.send(sender="x", body=(), headers=headers, properties={})
        assert headers == {}

    def test_the_worker_binds_the_carried_id_around_the_task(self, json_log):
        # Given a task whose message carries a request id, as a worker receives it
        task = FakeTask(request_id="req-worker-9")
        # When the worker runs it, the task's log records carry that id
        signals.task_prerun.send(sender=task, task_id="task-9", task=task, args=(), kwargs={})
        logging.getLogger("forecasting.training").info("training")
        assert request_id_get() == "req-worker-9"
        signals.task_postrun.send(sender=task, task_id="task-9", task=task, args=(), kwargs={}, retval=None,
                                  state="SUCCESS")
        # And none is left for the next task
        assert request_id_get() is None
        assert [(line["message"], line["request_id"]) for line in json_log()] == [("training", "req-worker-9")]

    def test_a_task_nobody_started_gets_an_id_of_its_own(self):
        task = FakeTask()
        signals.task_prerun.send(sender=task, task_id="task-beat", task=task, args=(), kwargs={})
        try:
            assert len(request_id_get()) == 32
        finally:
            signals.task_postrun.send(sender=task, task_id="task-beat", task=task, args=(), kwargs={})
        assert request_id_get() is None

    def test_a_real_message_carries_the_id_through_the_broker(self):
        # Given a queue of this test's own
        queue = f"lw-test-{uuid.uuid4().hex[:12]}"
        token = request_id_bind("req-broker-5")
        try:
            app.send_task("forecasting.tasks.autolearn_check_task", args=[0, "revenue"], queue=queue)
        finally:
            request_id_reset(token)
        # When the message is read back from the broker (Redis in CI, files when embedded)
        with app.connection_for_write() as conn:
            message = conn.default_channel.basic_get(queue, no_ack=True)
            conn.default_channel.queue_purge(queue)
        # Then its headers hold the request's id
        assert message is not None
        assert message.headers["request_id"] == "req-broker-5"

    def test_an_eager_task_inside_a_request_keeps_the_request_id(self, monkeypatch):
        seen = []

        @app.task(name=f"tests.request_id_probe_{uuid.uuid4().hex[:8]}")
        def probe():
            seen.append(request_id_get())

        token = request_id_bind("req-eager-3")
        try:
            probe.apply()
        finally:
            request_id_reset(token)
        assert seen == ["req-eager-3"]


@pytest.mark.slow
def test_production_logs_are_json_lines_with_the_request_id_field():
    # Given production settings (DEBUG off) and no LOG_FORMAT
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "LOG_FORMAT"}}
    env |= {"DEBUG": "false", "SECRET_KEY": "k3y-" + "x7Qp9#vL2m" * 6, "ALLOWED_HOSTS": "books.example.com",
            "DATABASE_URL": "sqlite:////tmp/ledgerwise-log-format.sqlite3"}
    # When a module logs from a shell
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c",
         "import logging; logging.getLogger('forecasting.x').warning('from %s', 'production')"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    # Then stderr holds one JSON object for it
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert (line["logger"], line["level"], line["message"], line["request_id"]) == (
        "forecasting.x", "WARNING", "from production", None)
