"""What serves changes everywhere at once (issue 17's acceptance): two gunicorn workers and
the two pool processes of the session's Celery worker, on the test database and the
shared cache (PostgreSQL and Redis in CI).

Each test changes what serves through the API of the web server (a deploy, a rollback,
a canary) or through a training the Celery worker deploys, then sends 50 forecast
requests from four threads and reads in gunicorn's access log which worker process
answered each: every answer comes from the new version, from both web workers, with no
wait — they remembered the old version and see the deployment generation move.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from finance.models import Membership, Transaction
from forecasting.registry.models import ModelVersion, Rollout
from forecasting.serving.deployed import rollout_bucket
from forecasting.serving.models import Prediction
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.factories import fitted_version
from tests.integration.conftest import (
    INTEGRATION_SETTINGS,
    REPO,
    TRAINING_TIMEOUT,
    _env_value,
    database_url,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

GUNICORN = Path(sys.executable).with_name("gunicorn")
WEB_WORKERS = 2
REQUESTS = 50
START_TIMEOUT = 90


@dataclass
class WebServer:
    """gunicorn serving the project with two workers; its access log names the worker
    process (pid) that answered each request."""

    process: subprocess.Popen
    port: int
    access_log: Path
    error_log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def access_mark(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def answering_pids(self, since: int) -> list[int]:
        with self.access_log.open("rb") as handle:
            handle.seek(since)
            lines = handle.read().decode().splitlines()
        return [int(line.split()[0].strip("<>")) for line in lines if " /api/v1/forecasts/" in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web(celery_worker, django_db_setup, tmp_path_factory) -> Iterator[WebServer]:
    """gunicorn on a free local port, sharing the test database, the cache, the broker (the
    Celery worker's queue) and the artifact folder with this process and the worker."""
    from django.conf import settings

    base = tmp_path_factory.mktemp("gunicorn")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CONN_MAX_AGE": "0",  # the test database is dropped at the end: no connection may linger
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": celery_worker.queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(celery_worker.media_root),
        "API_THROTTLE_USER": "off",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **{name: _env_value(value) for name, value in INTEGRATION_SETTINGS.items()},
    }
    server = WebServer(process=None, port=port, access_log=base / "access.log", error_log=base / "error.log")
    command = [str(GUNICORN), "config.wsgi", "--workers", str(WEB_WORKERS), "--bind", f"127.0.0.1:{port}",
               "--access-logfile", str(server.access_log), "--access-logformat", "%(p)s %(r)s %(s)s",
               "--error-logfile", str(server.error_log), "--timeout", "120"]
    with server.error_log.open("ab") as out:
        server.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    def up() -> bool:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{server.error_log.read_text()[-4000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(server.url("/api/v1/"), timeout=5):
                return True
        except urllib.error.HTTPError:
            return True  # it answers (401 without a token)
        except OSError:
            return False

    try:
        wait_until(up, timeout=START_TIMEOUT, what="gunicorn to answer")
        yield server
    finally:
        server.stop()


@pytest.fixture
def shared_cache(settings):
    """This process uses the cache the servers use (no per-test prefix), and the
    workspaces of this test start with no cached generation or forecast (ids come back
    when the test database is created again)."""
    settings.CACHES = {alias: {k: v for k, v in config.items() if k != "KEY_PREFIX"}
                       for alias, config in settings.CACHES.items()}


class Client:
    """The API of the web server, as one user with a token."""

    def __init__(self, web: WebServer, token: str) -> None:
        self.web, self.token = web, token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.web.url(path), data=data, method=method, headers={
            "Authorization": f"Token {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def forecasts(self, workspace_id: int, *, count: int = REQUESTS, keys: list[str] | None = None) -> list[dict]:
        """``count`` forecast requests (one per key when keys are given) from four threads."""
        keys = keys or [None] * count

        def one(key: str | None) -> dict:
            query = f"workspace={workspace_id}&periods=3" + (f"&key={key}" if key else "")
            status, body = self.call("GET", f"/api/v1/forecasts/revenue/?{query}")
            assert status == 200, body
            return body

        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(one, keys))


@pytest.fixture
def owner_api(web, workspace, shared_cache) -> Client:
    from django.core.cache import cache

    cache.delete(f"deploy-gen:{workspace.pk}")
    cache.set(f"forecast-gen:{workspace.pk}", random.randrange(10**9, 10**12), timeout=None)
    owner = f.MembershipFactory(workspace=workspace, role=Membership.Role.OWNER).user
    return Client(web, Token.objects.create(user=owner).key)


def month_start(months_ago: int) -> dt.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return dt.date(index // 12, index % 12 + 1, 1)


def served_by(answers: list[dict]) -> set[int]:
    return {answer["model"]["id"] for answer in answers}


def warm(api: Client, web: WebServer, workspace, version: ModelVersion) -> None:
    """Both web workers have served ``version`` (and remember it)."""
    mark = web.access_mark()
    assert served_by(api.forecasts(workspace.pk, count=40)) == {version.pk}
    wait_until(lambda: len(set(web.answering_pids(mark))) == WEB_WORKERS, timeout=10,
               what="both web workers to have answered")


def test_a_deploy_and_a_rollback_are_served_by_both_web_workers_at_once(worker, web, workspace, owner_api):
    # Given v1 deployed through the API and served by both web workers
    v1 = fitted_version(workspace=workspace)
    v2 = fitted_version(workspace=workspace, algorithm="seasonal_naive")
    assert owner_api.call("POST", f"/api/v1/ml/models/{v1.pk}/deploy/", {})[0] == 200
    warm(owner_api, web, workspace, v1)

    # When v2 is deployed through the API (one of the two workers takes it)
    assert owner_api.call("POST", f"/api/v1/ml/models/{v2.pk}/deploy/", {"reason": "newer"})[0] == 200
    # Then the 50 requests that follow all get v2, from both workers, and are logged as v2
    mark, since = web.access_mark(), timezone.now()
    answers = owner_api.forecasts(workspace.pk)
    assert served_by(answers) == {v2.pk}
    assert len(set(web.answering_pids(mark))) == WEB_WORKERS
    logged = Prediction.objects.filter(workspace=workspace, created_at__gte=since)
    assert sorted(set(logged.values_list("model_version_id", flat=True))) == [v2.pk]
    assert logged.count() == REQUESTS

    # When the target is rolled back through the API
    status, body = owner_api.call("POST", "/api/v1/ml/rollback/", {"workspace": workspace.pk, "target": "revenue"})
    assert (status, body["to_version"]) == (200, v1.pk)
    # Then the 50 requests that follow all get v1 again, from both workers
    mark = web.access_mark()
    assert served_by(owner_api.forecasts(workspace.pk)) == {v1.pk}
    assert len(set(web.answering_pids(mark))) == WEB_WORKERS


def test_a_deploy_by_a_training_in_the_celery_worker_is_served_at_once(worker, web, workspace, owner_api):
    # Given two years of revenue and a naive model deployed and served by both web workers
    Transaction.objects.bulk_create(
        Transaction(workspace=workspace, kind="revenue", status="approved", currency="USD",
                    amount=Decimal(3000 - 40 * ago + (ago % 3) * 55), description=f"Takings {ago}",
                    date=month_start(ago) + dt.timedelta(days=14))
        for ago in range(24, 0, -1)
    )
    v1 = fitted_version(workspace=workspace, values=[3000.0 + (i % 3) * 400 for i in range(24)])
    assert owner_api.call("POST", f"/api/v1/ml/models/{v1.pk}/deploy/", {})[0] == 200
    warm(owner_api, web, workspace, v1)

    # When a training is asked for through the API and the Celery worker runs and deploys it
    status, body = owner_api.call("POST", "/api/v1/ml/train/", {
        "workspace": workspace.pk, "target": "revenue", "algorithms": ["naive", "linear_regression"]})
    assert status == 202, body
    job = wait_until(lambda: TrainingJob.objects.filter(pk=body["id"], status__in=["succeeded", "failed"]).first(),
                     timeout=TRAINING_TIMEOUT, what="the training job", worker=worker)
    assert (job.status, job.deployed) == ("succeeded", True), job.decision or job.error

    # Then the 50 requests that follow all get the worker's winner, from both web workers
    mark = web.access_mark()
    assert served_by(owner_api.forecasts(workspace.pk)) == {job.winner_id}
    assert len(set(web.answering_pids(mark))) == WEB_WORKERS


def test_a_canary_routes_each_key_the_same_way_in_every_web_worker(worker, web, workspace, owner_api):
    # Given v1 deployed and served, and a 20 % canary of v2 started through the API
    v1 = fitted_version(workspace=workspace)
    v2 = fitted_version(workspace=workspace, algorithm="seasonal_naive")
    assert owner_api.call("POST", f"/api/v1/ml/models/{v1.pk}/deploy/", {})[0] == 200
    warm(owner_api, web, workspace, v1)
    status, rollout = owner_api.call("POST", f"/api/v1/ml/models/{v2.pk}/rollout/", {"mode": "canary", "share": 0.2})
    assert status == 201, rollout

    # When 200 keys are asked twice, spread over both workers
    keys = [f"customer-{i}" for i in range(200)]
    mark = web.access_mark()
    first, second = owner_api.forecasts(workspace.pk, keys=keys), owner_api.forecasts(workspace.pk, keys=keys)

    # Then each key got the version its hash says, both times, from whichever worker answered
    expected = [v2.pk if rollout_bucket(rollout_id=rollout["id"], key=key) < 0.2 else v1.pk for key in keys]
    assert [a["model"]["id"] for a in first] == expected
    assert [a["model"]["id"] for a in second] == expected
    assert len(set(web.answering_pids(mark))) == WEB_WORKERS
    assert Rollout.objects.get(pk=rollout["id"]).status == "open"

    # When it is aborted, every key gets v1 again at once
    assert owner_api.call("POST", f"/api/v1/ml/rollouts/{rollout['id']}/abort/", {})[0] == 200
    assert served_by(owner_api.forecasts(workspace.pk, keys=keys[:REQUESTS])) == {v1.pk}

