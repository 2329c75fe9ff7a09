"""Fixtures shared by every test: users in roles, API clients, a clean cache."""

import os
import shutil
import uuid
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from config.threads import math_threads_pin
from finance.models import Membership
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

# Test processes fit models side by side (pytest-xdist, the integration worker): one
# BLAS/OpenMP thread each, as in a Celery worker (config/threads.py).
math_threads_pin()


def pytest_configure(config):
    """Each test process keeps its Prometheus metrics in a folder of its own, emptied first,
    so that a scrape adds up this process's counters only (parallel runs share the var
    folder). prometheus-client reads the folder when a labelled series is first counted."""
    from django.conf import settings

    folder = Path(settings.PROMETHEUS_MULTIPROC_DIR) / f"tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    """Model artifacts of a test go to its own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Throttle counters and cached predictions must not leak between tests.

    Each test gets its own key prefix instead of a flush: with a shared Redis (CI) and
    parallel test processes, a flush by one process would wipe another's throttle history
    in the middle of a test.
    """
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"} for alias, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def _empty_event_buffer():
    """Each test starts with this process's behavioural-event buffer empty (events a page
    or a write of an earlier test buffered are not this test's)."""
    from coaching.behaviour.buffer import buffer

    buffer.forget()


@pytest.fixture
def eager():
    """Tasks run in this process when sent (as a worker would, retries included)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Bakery A")


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(name="Bakery B")


def _member(workspace, role):
    return MembershipFactory(workspace=workspace, role=role).user


@pytest.fixture
def owner(workspace):
    return _member(workspace, Membership.Role.OWNER)


@pytest.fixture
def member(workspace):
    return _member(workspace, Membership.Role.MEMBER)


@pytest.fixture
def viewer(workspace):
    return _member(workspace, Membership.Role.VIEWER)


@pytest.fixture
def outsider(other_workspace):
    """The owner of another workspace."""
    return _member(other_workspace, Membership.Role.OWNER)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """``client_for(user)`` → an APIClient authenticated as ``user``."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def logged_in():
    """``logged_in(user)`` → a Django test client signed in as ``user`` (the pages' tests)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def anonymous_user():
    return UserFactory.build()
