"""A running training job's sign of life.

While a job trains, a daemon thread of the process running it stamps the job's
``heartbeat_at`` every ``ML_TRAINING_HEARTBEAT_SECONDS``. A thread, not the competition's
progress: one fit (a Prophet, an LSTM) can take minutes without a step to report, and
the engine knows nothing of Django. The thread dies with its process — a SIGKILLed
worker, an OOM kill, a lost machine — and the heartbeat stops: the reaper
(:mod:`forecasting.training.reaper`) then fails the job and frees its target.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from types import TracebackType

from django.conf import settings
from django.db import connections
from django.utils import timezone

from forecasting.training.models import TrainingJob

logger = logging.getLogger(__name__)


def job_heartbeat_beat(*, job_id: int, until: dt.datetime | None = None) -> bool:
    """Stamp the running job's heartbeat (``until``: alive until then, for a retry that
    is due later); False when the job is no longer running."""
    stamped = TrainingJob.objects.filter(pk=job_id, status=TrainingJob.Status.RUNNING).update(
        heartbeat_at=until or timezone.now()
    )
    return stamped == 1


class JobHeartbeat:
    """``with JobHeartbeat(job_id=...):`` beats every ``interval`` seconds in a daemon
    thread until the block ends or the job is no longer running."""

    def __init__(self, *, job_id: int, interval: float | None = None) -> None:
        self.job_id = job_id
        self.interval = interval if interval is not None else settings.ML_TRAINING_HEARTBEAT_SECONDS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat", daemon=True)

    def __enter__(self) -> JobHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=max(self.interval, 5))

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    if not job_heartbeat_beat(job_id=self.job_id):
                        logger.warning("Job %s is no longer running; its heartbeat stops.", self.job_id)
                        return
                except Exception:  # a missed beat is not fatal: the staleness allows several
                    logger.warning("Job %s could not record its heartbeat", self.job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections
