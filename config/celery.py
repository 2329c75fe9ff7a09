"""The Celery application shared by the web process, the workers and beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ledgerwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Database hiccups a task retries instead of failing (shared by every app's tasks).
from django.db import InterfaceError, OperationalError  # noqa: E402

TRANSIENT_ERRORS = (OperationalError, InterfaceError)
