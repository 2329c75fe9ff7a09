"""The Celery app of the worker benchmark: the project's app (``config.celery``, with its
signal handlers) plus one benchmark task. Started by ``bench_arima_in_worker.py`` as
``celery -A benchmarks.worker.worker_app worker``; nothing in the project imports it.

``LEDGERWISE_BENCH_UNPINNED=1`` disconnects the handlers that pin the math libraries to
one thread, so the same worker can be measured as it was before them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from celery import signals  # noqa: E402

from benchmarks.worker.fit import fit_seconds  # noqa: E402
from config import threads  # noqa: E402
from config.celery import app  # noqa: E402

__all__ = ["app"]

if os.environ.get("LEDGERWISE_BENCH_UNPINNED") == "1":
    signals.worker_init.disconnect(dispatch_uid=threads.WORKER_INIT_UID)
    signals.worker_process_init.disconnect(dispatch_uid=threads.WORKER_PROCESS_INIT_UID)


@app.task(name="bench.arima_fit")
def arima_fit_task(out: str, tag: str, values: list[float], season_length: int, repeats: int) -> None:
    result = fit_seconds(values, season_length, repeats) | {"tag": tag}
    with Path(out).open("a") as handle:
        handle.write(json.dumps(result) + "\n")


@app.task(name="bench.competition_mode")
def competition_mode_task(out: str, tag: str) -> None:
    """How a competition asking for two processes runs in this pool process."""
    import multiprocessing

    from forecasting.engine.competition import run_competition
    from forecasting.engine.parallel import in_daemon_process

    result = run_competition([float(i % 12) for i in range(48)], horizon=6, season_length=12,
                             algorithms=["naive", "seasonal_naive"], n_jobs=2)
    with Path(out).open("a") as handle:
        handle.write(json.dumps({"tag": tag, "daemon": in_daemon_process(),
                                 "stdlib_daemon": multiprocessing.current_process().daemon,
                                 "n_jobs": result.n_jobs}) + "\n")
