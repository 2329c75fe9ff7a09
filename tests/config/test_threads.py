"""Math libraries run one thread per process in Celery workers (config/threads.py)."""

import os

from celery import signals
from threadpoolctl import threadpool_info, threadpool_limits

from config import threads


def test_both_worker_signals_pin_the_threads():
    # Given the project's Celery app (imported with config)
    # Then the main worker process and every pool process pin the math libraries
    assert threads.worker_threads_pin in signals.worker_init._live_receivers(None)
    assert threads.worker_threads_pin in signals.worker_process_init._live_receivers("any-hostname")


def test_pinning_limits_loaded_libraries_and_those_loaded_later(monkeypatch):
    import numpy  # noqa: F401 - its BLAS is loaded
    import scipy.linalg  # noqa: F401 - and scipy's

    for name in threads.THREAD_VARIABLES:
        monkeypatch.setenv(name, "4")
    # Given loaded pools with more threads
    with threadpool_limits(limits=2):
        # When a worker process starts
        threads.worker_threads_pin(sender=None)
        # Then every loaded pool has one thread, and a library loaded later reads 1
        assert {p["num_threads"] for p in threadpool_info()} == {1}
        assert {name: os.environ[name] for name in threads.THREAD_VARIABLES} == dict.fromkeys(
            threads.THREAD_VARIABLES, "1")
