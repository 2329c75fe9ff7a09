"""Integration tests: a real Celery worker process against the test database.

One worker (``celery -A tests.integration.worker_app worker``, prefork, two pool
processes) is started for the session, after pytest-django has created the test database,
and is stopped (and its process group killed) at the end. It shares with this process:

- the **test database** — ``DATABASE_URL`` is rebuilt from the connection's settings
  *after* pytest-django renamed it (``test_<name>`` on PostgreSQL, the
  ``var/test-db.sqlite3`` file on SQLite), and tests run with ``transaction=True`` so the
  worker sees committed rows;
- the **broker** — ``CELERY_BROKER_URL`` (Redis in CI; the embedded filesystem broker
  under ``LEDGERWISE_VAR_DIR`` otherwise) with a **queue of its own** per run, so no other
  worker on the machine can take these tasks and this worker takes no one else's;
- the **artifact folder** — one ``MEDIA_ROOT`` for the session instead of the private
  folder per test of ``tests/conftest.py``;
- small **ML settings** (``INTEGRATION_SETTINGS``) applied to both processes, so a first
  model needs twelve monthly points and trains in a second or two.

The worker runs the project's tasks with two test hooks (see ``worker_app.py``): a
*training gate* that lets a test hold a training in the middle, then kill it or release
it, and a one-second delay before a training whose pool process died is sent again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
T = TypeVar("T")

INTEGRATION_SETTINGS: dict[str, Any] = {
    "ML_AUTO_LEARN_MIN_DATA": 12,
    "MIN_TRANSACTIONS_FOR_TRAINING": 12,
    "ML_AUTO_LEARN_COOLDOWN": 24.0,
    "ML_ALGORITHMS": ["naive", "seasonal_naive", "linear_regression"],
}
WORKER_START_TIMEOUT = 120  # seconds: importing Django and the ML stack on a busy 2-core machine
TRAINING_TIMEOUT = 90
WORKER_LOST_RETRY_DELAY = 1  # seconds (Celery's default_retry_delay is 180)


def _env_value(value: Any) -> str:
    return ",".join(value) if isinstance(value, list | tuple) else str(value)


def database_url(settings_dict: dict[str, Any]) -> str:
    """A ``DATABASE_URL`` naming the database ``settings_dict`` points at (the test DB)."""
    engine, name = settings_dict["ENGINE"], settings_dict["NAME"]
    if engine == "django.db.backends.sqlite3":
        if not name or str(name).startswith(":memory:") or "mode=memory" in str(name):
            raise pytest.UsageError("Integration tests need a file SQLite test database (see config/settings.py).")
        return f"sqlite:///{Path(name).resolve()}"
    if engine in ("django.db.backends.postgresql", "config.postgresql"):  # ours: Django's with an idle health check
        user, password = settings_dict.get("USER") or "", settings_dict.get("PASSWORD") or ""
        auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
        host = settings_dict.get("HOST") or "localhost"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{auth + '@' if auth else ''}{host}{port}/{quote(name, safe='')}"
    raise pytest.UsageError(f"Integration tests do not know how to share a {engine} database with a worker.")


def wait_until(predicate: Callable[[], T], *, timeout: float, what: str, interval: float = 0.2,
               worker: Worker | None = None) -> T:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` (and the
    worker's log tail) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = f"\n--- worker log (tail) ---\n{worker.log()[-4000:]}" if worker else ""
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.{tail}", pytrace=False)
        time.sleep(interval)


@dataclass
class Worker:
    """The running worker: its process, log, queue, artifact folder and training gate."""

    process: subprocess.Popen
    hostname: str
    queue: str
    log_path: Path
    media_root: Path
    gate: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    # --- the log ---
    def log(self, since: int = 0) -> str:
        with self.log_path.open("rb") as handle:
            handle.seek(since)
            return handle.read().decode(errors="replace")

    def log_mark(self) -> int:
        """A position in the log: ``log(since=mark)`` is what was written after it."""
        return self.log_path.stat().st_size

    def wait_for_log(self, text: str, *, since: int, timeout: float = 60) -> str:
        return wait_until(lambda: text in self.log(since), timeout=timeout, worker=self,
                          what=f"{text!r} in the worker's log") and self.log(since)

    def wait_for_checks(self, *, since: int, timeout: float = 60) -> str:
        """Wait until every auto-learn check the worker received after ``since`` has run
        (at least one); return the log since then."""
        def settled() -> bool:
            lines = [line for line in self.log(since).splitlines() if "autolearn_check_task[" in line]
            received = sum(line.endswith("] received") for line in lines)
            done = sum("] succeeded in " in line or "] raised " in line for line in lines)
            return received >= 1 and done >= received
        wait_until(settled, timeout=timeout, worker=self, what="the pending auto-learn checks to run")
        return self.log(since)

    # --- the training gate ---
    @property
    def entered_path(self) -> Path:
        return Path(f"{self.gate}.entered")

    def close_gate(self) -> None:
        """From now on trainings stop at the gate (after taking the lock, before fitting)."""
        self.entered_path.unlink(missing_ok=True)
        self.gate.touch()

    def open_gate(self) -> None:
        self.gate.unlink(missing_ok=True)

    def entered(self) -> list[tuple[int, int]]:
        """``(job id, pool process id)`` of every training that reached the gate."""
        if not self.entered_path.exists():
            return []
        return [tuple(map(int, line.split())) for line in self.entered_path.read_text().splitlines() if line]

    # --- processes ---
    def alive(self) -> bool:
        return self.process.poll() is None

    def pool_processes(self) -> set[int]:
        """Pids of the worker's pool (child) processes, from /proc."""
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:  # field 4 of stat: the parent pid
                children.add(int(stat.parent.name))
        return children

    def stop(self) -> None:
        self.open_gate()
        if self.alive():
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: finish the task at hand
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        # whatever is left of the worker's own process group (it has a session of its own)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def worker_start(base: Path, *, media_root: Path, env_extra: dict[str, str] | None = None) -> Worker:
    """Start a Celery worker on a queue of its own (its process group its own too), sharing
    this process's test database, broker and ``media_root``; return it once ready."""
    from django.conf import settings
    from django.db import connection

    queue = f"ledgerwise-it-{uuid.uuid4().hex[:12]}"
    hostname = f"{queue}@%h"
    gate = base / "training.gate"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CONN_MAX_AGE": "0",  # no idle connection may outlive a task: the test DB is dropped at the end
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(media_root),
        "LEDGERWISE_TEST_TRAINING_GATE": str(gate),
        "LEDGERWISE_TEST_RETRY_DELAY": str(WORKER_LOST_RETRY_DELAY),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **{name: _env_value(value) for name, value in INTEGRATION_SETTINGS.items()},
        **(env_extra or {}),
    }
    if "CACHE_URL" in os.environ:
        env["CACHE_URL"] = os.environ["CACHE_URL"]
    log_path = base / "worker.log"
    command = [
        str(CELERY), "-A", "tests.integration.worker_app", "worker", "--loglevel", "INFO",
        "--pool", "prefork", "--concurrency", "2", "--queues", queue, "--hostname", hostname,
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    worker = Worker(process=process, hostname=hostname, queue=queue, log_path=log_path,
                    media_root=media_root, gate=gate)
    try:
        wait_until(lambda: " ready." in worker.log() or not worker.alive(), timeout=WORKER_START_TIMEOUT,
                   what="the Celery worker to be ready", worker=worker)
    except BaseException:
        worker.stop()
        raise
    if not worker.alive():
        worker.stop()
        pytest.fail(f"The Celery worker exited with {process.returncode}:\n{worker.log()[-4000:]}", pytrace=False)
    return worker


def worker_queue_delete(worker: Worker) -> None:
    """Leave nothing of a stopped worker's queue behind on the broker (left-over delayed
    checks, bindings)."""
    from django.conf import settings

    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            bound = app.amqp.queues[worker.queue](conn.default_channel)
            bound.declare()  # the channel learns the bindings it is to delete
            bound.delete()
    except Exception as exc:  # noqa: BLE001 - best effort: the queue name is unique to this run
        print(f"integration: could not delete the queue {worker.queue}: {exc!r}", file=sys.stderr)
    control = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("control_folder")
    if settings.CELERY_BROKER_URL.startswith("filesystem://") and control:
        (Path(control) / f"{worker.queue}.exchange").unlink(missing_ok=True)  # its (now empty) routing table


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, tmp_path_factory) -> Iterator[Worker]:
    """A real Celery worker on a queue of its own, sharing this process's test database,
    broker and artifact folder. Stopped (process group killed) at the end of the session."""
    base = tmp_path_factory.mktemp("celery-worker")
    media_root = base / "media"
    media_root.mkdir()
    worker = worker_start(base, media_root=media_root)
    try:
        yield worker
    finally:
        worker.stop()
        worker_queue_delete(worker)


@pytest.fixture(autouse=True)
def _private_media_root(settings, celery_worker):
    """Overrides the root conftest's private folder: the worker writes the artifacts this
    process reads, so both use the session's folder."""
    settings.MEDIA_ROOT = str(celery_worker.media_root)


@pytest.fixture(autouse=True)
def _integration_settings(settings):
    """The worker's ML settings, in this process too (the API queues jobs here)."""
    for name, value in INTEGRATION_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture
def worker(celery_worker, transactional_db) -> Iterator[Worker]:
    """The session's worker, gate open, with this process sending its tasks (the checks of
    the signals, the jobs of the API) to the worker's queue; after the test the worker is
    left idle — no training queued or running — before pytest-django empties the tables
    under it, and tasks go to the default queue again."""
    from config.celery import app
    from forecasting.training.models import TrainingJob

    if not celery_worker.alive():
        pytest.fail(f"The Celery worker died:\n{celery_worker.log()[-4000:]}", pytrace=False)
    celery_worker.open_gate()
    celery_worker.entered_path.unlink(missing_ok=True)
    previous_queue = app.conf.task_default_queue  # (the app reads its settings once: set it on the app)
    app.conf.task_default_queue = celery_worker.queue
    try:
        yield celery_worker
        celery_worker.open_gate()
        wait_until(
            lambda: not TrainingJob.objects.filter(status__in=["queued", "running"]).exists(),
            timeout=TRAINING_TIMEOUT, what="the worker to finish every training job", worker=celery_worker,
        )
    finally:
        celery_worker.open_gate()
        app.conf.task_default_queue = previous_queue
