"""The Celery app of the integration tests' worker: the project's app with two test hooks.

The worker is started with ``celery -A tests.integration.worker_app worker``. It runs the
project's tasks unchanged, except:

- **a training gate**: when ``LEDGERWISE_TEST_TRAINING_GATE`` names a file, every
  forecaster training appends ``"<job id> <pid>"`` to ``<gate>.entered`` and then waits
  while the gate file exists. A test can hold a training in the middle (the job is
  *running* and holds its target's lock, nothing is saved yet), see which pool process
  runs it, kill that process or start a second training beside it — and then let it go
  by deleting the file. Without the file, trainings run straight through.
- **a short worker-lost retry delay**: a training whose pool process dies is sent again
  after the task's ``default_retry_delay`` (Celery's 180 s); here it is
  ``LEDGERWISE_TEST_RETRY_DELAY`` seconds, so a test can watch the retry happen.

Both hooks are installed in the main process before the pool forks. Nothing here is
imported by the project; production workers use ``-A config``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from config.celery import app  # noqa: E402
from forecasting import tasks  # noqa: E402
from forecasting.training import forecasters as training  # noqa: E402

__all__ = ["app"]

_GATE = os.environ.get("LEDGERWISE_TEST_TRAINING_GATE")
if _GATE:
    _gate, _entered = Path(_GATE), Path(_GATE + ".entered")
    _train_forecaster = training.forecaster_job_train

    def _gated_train_forecaster(job: Any) -> Any:
        with _entered.open("a") as log:
            log.write(f"{job.pk} {os.getpid()}\n")
        while _gate.exists():
            time.sleep(0.05)
        return _train_forecaster(job)

    training.forecaster_job_train = _gated_train_forecaster

if os.environ.get("LEDGERWISE_TEST_RETRY_DELAY"):
    tasks.training_job_run_task.default_retry_delay = int(os.environ["LEDGERWISE_TEST_RETRY_DELAY"])
