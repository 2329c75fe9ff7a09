"""One rule for "retrain a target" (``forecasting.training.autolearn.target_retrain``):
the Models page, the API (train and a version's retrain), the admin action, auto-learning
and the sweeps all hand back the job already queued or running instead of a second one."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from finance.models import Membership
from forecasting.registry.models import ModelVersion
from forecasting.training.autolearn import autolearn_check, target_retrain
from forecasting.training.models import TrainingJob
from forecasting.training.sweeps import full_retrain
from tests import factories as f
from tests.factories import fitted_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: queued.append(job_id))
    return queued


@pytest.fixture
def manager(workspace):
    return f.MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user


def test_page_api_and_admin_reuse_the_queued_job(workspace, manager, sent, django_capture_on_commit_callbacks):
    # Given a deployed revenue model and a job already queued for revenue
    version = fitted_version(workspace=workspace, status="deployed")
    with django_capture_on_commit_callbacks(execute=True):
        first = target_retrain(workspace=workspace, target="revenue", user=manager)
    assert first.created
    page, api, admin = Client(), APIClient(), Client()
    page.force_login(manager)
    api.force_authenticate(manager)
    admin.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    # When the same retrain is asked for through the page, both API endpoints and admin
    with django_capture_on_commit_callbacks(execute=True):
        from_page = page.post(reverse("forecasting:retrain"), {"workspace": workspace.pk, "target": "revenue"},
                              headers={"accept": "application/json"})
        from_train = api.post("/api/v1/ml/train/", {"workspace": workspace.pk, "target": "revenue"}, format="json")
        from_version = api.post(f"/api/v1/ml/models/{version.pk}/retrain/", {}, format="json")
        from_admin = admin.post("/admin/forecasting/modelversion/", {
            "action": "retrain_selected", "_selected_action": [version.pk], "confirmed": "yes"}, follow=True)
    # Then each answers with the queued job, and there is still one job, sent once
    assert (from_page.status_code, from_page.json()["created"], from_page.json()["job"]["id"]) == (
        200, False, first.job.pk)
    assert (from_train.status_code, from_train.json()["id"]) == (200, first.job.pk)
    assert (from_version.status_code, from_version.json()["id"]) == (200, first.job.pk)
    assert f"revenue is already being retrained (job {first.job.pk})." in [
        str(m) for m in from_admin.context["messages"]]
    assert list(TrainingJob.objects.values_list("pk", "status")) == [(first.job.pk, "queued")]
    assert sent == [first.job.pk]


def test_auto_learning_and_the_weekly_retrain_reuse_a_running_job(workspace, sent):
    # Given a deployed revenue model whose target is being trained now
    fitted_version(workspace=workspace, status="deployed")
    running = TrainingJob.objects.create(workspace=workspace, target="revenue", status=TrainingJob.Status.RUNNING)
    # When auto-learning is forced and the weekly full retrain runs
    check = autolearn_check(workspace=workspace, target="revenue", force=True)
    report = full_retrain(workspace_ids=[workspace.pk])
    # Then neither queued a job: the running one stands
    assert (check.job, check.decision.reason) == (None, f"Training job {running.pk} is already running.")
    assert report.queued == []
    assert report.skipped == {f"{workspace.pk}:revenue": "a training is already queued or running"}
    assert list(TrainingJob.objects.values_list("pk", flat=True)) == [running.pk]


def test_a_new_retrain_takes_the_deployed_models_shape(workspace, manager, sent):
    # Given a deployed weekly revenue model with a 9-week horizon
    fitted_version(workspace=workspace, status="deployed")
    ModelVersion.objects.update(frequency="W", horizon=9)
    # When a retrain is asked for without a shape
    retrain = target_retrain(workspace=workspace, target="revenue", user=manager)
    # Then the job trains that shape, queued by that user
    job = retrain.job
    assert (retrain.created, job.params, job.trigger, job.requested_by) == (
        True, {"frequency": "W", "horizon": 9}, "manual", manager)
