"""While the broker cannot be reached (issue 21): every path that queues a training — the
API's train, auto-learn and retrain, the Models page, the admin action — answers 503 with
``Retry-After`` and writes nothing; a user's own writes still succeed."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from config.broker import BROKER_UNAVAILABLE_MESSAGE, BrokerUnavailable, broker_ensure
from config.celery import app as celery_app
from finance.models import Membership, Transaction
from forecasting.registry.models import TargetState
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.factories import fitted_version

pytestmark = pytest.mark.django_db

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the connection is refused


def _forget_connections() -> None:
    celery_app._pool = None  # the connection pool of the previous URL
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Celery's app pointed at a broker that refuses connections, as in an outage."""
    settings.BROKER_RETRY_AFTER_SECONDS = 45
    saved = celery_app.conf.broker_url, celery_app.conf.broker_write_url, celery_app.conf.task_always_eager
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE)  # Celery reads it before its configuration (CI sets it)
    celery_app.conf.broker_url, celery_app.conf.broker_write_url = UNREACHABLE, None
    celery_app.conf.task_always_eager = False
    _forget_connections()
    yield
    celery_app.conf.broker_url, celery_app.conf.broker_write_url, celery_app.conf.task_always_eager = saved
    _forget_connections()


@pytest.fixture
def manager(workspace):
    return f.MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _nothing_written(workspace) -> tuple[int, int]:
    return TrainingJob.objects.count(), TargetState.objects.filter(workspace=workspace).count()


def test_broker_ensure_raises_while_the_broker_refuses_connections(broker_down):
    with pytest.raises(BrokerUnavailable) as refused:
        broker_ensure()
    assert refused.value.message == BROKER_UNAVAILABLE_MESSAGE


def test_broker_ensure_passes_when_the_broker_answers():
    broker_ensure()  # the test settings' broker (the filesystem one, Redis in CI)


@pytest.mark.parametrize("path", ["/api/v1/ml/train/", "/api/v1/ml/auto-learn/revenue/"])
def test_train_and_auto_learn_are_503_and_write_nothing(path, workspace, manager, broker_down):
    # Given the broker is down and nothing was ever trained
    before = _nothing_written(workspace)
    # When a manager asks for a training
    if "auto-learn" in path:
        response = _api(manager).post(f"{path}?workspace={workspace.pk}&force=true")
    else:
        response = _api(manager).post(path, {"workspace": workspace.pk, "target": "revenue"}, format="json")
    # Then the answer is 503 with Retry-After and a message, and no job (nor target state) is written
    assert response.status_code == 503
    assert response["Retry-After"] == "45"
    assert response.json() == {"detail": BROKER_UNAVAILABLE_MESSAGE}
    assert before == (0, 0)
    assert _nothing_written(workspace) == (0, 0)


def test_a_versions_retrain_is_503_and_writes_nothing(workspace, manager, broker_down):
    version = fitted_version(workspace=workspace, status="deployed")
    response = _api(manager).post(f"/api/v1/ml/models/{version.pk}/retrain/", {}, format="json")
    assert (response.status_code, response["Retry-After"]) == (503, "45")
    assert TrainingJob.objects.count() == 0


def test_an_active_job_is_still_answered_while_the_broker_is_down(workspace, manager, broker_down):
    # Given a job already queued for revenue (sent before the outage)
    queued = TrainingJob.objects.create(workspace=workspace, target="revenue", kind="forecaster")
    # When the same training is asked for
    response = _api(manager).post("/api/v1/ml/train/", {"workspace": workspace.pk, "target": "revenue"},
                                  format="json")
    # Then that job is answered (200), as when the broker is up: nothing new needs the broker
    assert (response.status_code, response.json()["id"]) == (200, queued.pk)
    assert TrainingJob.objects.count() == 1


def test_models_page_retrain_is_503_page_or_json(workspace, manager, broker_down):
    page = Client()
    page.force_login(manager)
    body = {"workspace": workspace.pk, "target": "revenue"}
    as_json = page.post(reverse("forecasting:retrain"), body, headers={"accept": "application/json"})
    as_page = page.post(reverse("forecasting:retrain"), body)
    assert (as_json.status_code, as_json["Retry-After"], as_json.json()) == (
        503, "45", {"detail": BROKER_UNAVAILABLE_MESSAGE})
    assert (as_page.status_code, as_page["Retry-After"]) == (503, "45")
    assert BROKER_UNAVAILABLE_MESSAGE in as_page.content.decode()
    assert TrainingJob.objects.count() == 0


def test_admin_retrain_action_is_503(workspace, broker_down):
    version = fitted_version(workspace=workspace, status="deployed")
    admin = Client()
    admin.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    response = admin.post("/admin/forecasting/modelversion/", {
        "action": "retrain_selected", "_selected_action": [version.pk], "confirmed": "yes"})
    assert (response.status_code, response["Retry-After"]) == (503, "45")
    assert BROKER_UNAVAILABLE_MESSAGE in response.content.decode()
    assert TrainingJob.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_transaction_is_saved_while_the_broker_is_down(workspace, owner, broker_down, caplog):
    # Given the broker is down (after-commit work of the new row — the auto-learn checks — cannot be queued)
    caplog.set_level(logging.WARNING, logger="forecasting.training.autolearn")
    # When a member posts a transaction (its transaction commits for real, so the after-commit sends run)
    response = _api(owner).post("/api/v1/transactions/", {
        "workspace": workspace.pk, "kind": "revenue", "amount": "12.50", "date": "2025-03-01",
        "description": "Sold while the queue was down"}, format="json")
    # Then the row is saved (201) and the failed sends are only logged
    assert response.status_code == 201
    assert list(Transaction.objects.values_list("description", flat=True)) == ["Sold while the queue was down"]
    assert any(r.getMessage().startswith(f"Could not queue the auto-learn check of {workspace.pk}/")
               for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_a_send_failing_after_the_check_is_503_and_the_job_stays_queued(workspace, manager, monkeypatch):
    # Given a broker that answers the check but fails the send (it went down in between)
    from forecasting.training.tasks import training_job_run_task

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(training_job_run_task, "apply_async", refuse)
    monkeypatch.setattr(training_job_run_task, "delay", refuse)
    # When a manager asks for a training
    response = _api(manager).post("/api/v1/ml/train/", {"workspace": workspace.pk, "target": "revenue"},
                                  format="json")
    # Then the answer is 503 (not 500), and the committed job is left queued for the reaper to send
    assert (response.status_code, response.json()) == (503, {"detail": BROKER_UNAVAILABLE_MESSAGE})
    assert list(TrainingJob.objects.values_list("status", flat=True)) == ["queued"]
