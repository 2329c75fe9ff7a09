"""The Celery application shared by the web process, the workers and beat."""

import logging.config
import os

from celery import Celery, signals

from config import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ledgerwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Database hiccups a task retries instead of failing (shared by every app's tasks).
from django.db import InterfaceError, OperationalError  # noqa: E402

TRANSIENT_ERRORS = (OperationalError, InterfaceError)

# A task started by a request carries the request's id into the worker's logs.
signals.before_task_publish.connect(logs.task_publish_carry, weak=False, dispatch_uid="ledgerwise.request_id.publish")
signals.task_prerun.connect(logs.task_context_enter, weak=False, dispatch_uid="ledgerwise.request_id.prerun")
signals.task_postrun.connect(logs.task_context_exit, weak=False, dispatch_uid="ledgerwise.request_id.postrun")


@signals.setup_logging.connect(weak=False, dispatch_uid="ledgerwise.logging")
def logging_setup(**kwargs: object) -> None:
    """Workers and beat log like the web: Django's ``LOGGING`` (JSON or text, with the
    request id) instead of Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


# Worker processes pin the math libraries to one thread each (config/threads.py): several
# pool processes × one BLAS/OpenMP thread per core made an ARIMA fit many times slower.
from celery.signals import worker_init, worker_process_init  # noqa: E402

from config import threads  # noqa: E402

worker_init.connect(threads.worker_threads_pin, weak=False, dispatch_uid=threads.WORKER_INIT_UID)
worker_process_init.connect(threads.worker_threads_pin, weak=False, dispatch_uid=threads.WORKER_PROCESS_INIT_UID)
