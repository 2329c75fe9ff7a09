"""Operations across processes, with the real Celery worker: a request's id reaches the
logs of the training it started in the worker, and the worker's training counters are in
this process's ``/metrics`` (prometheus-client's multiprocess folder, shared)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from forecasting.training.models import TrainingJob
from tests.integration.test_autolearn_worker import load_history, owner_client, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def trainings_succeeded() -> float:
    body = Client().get("/metrics").content.decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == "ledgerwise_training_jobs_total"
        and sample.labels == {"kind": "forecaster", "status": "succeeded"}
    )


def test_a_training_started_by_a_request_logs_its_id_in_the_worker_and_counts_in_metrics(worker, workspace):
    # Given a year and more of revenue and the trainings counted so far
    load_history(workspace, months=15)
    before = trainings_succeeded()
    request_id = f"it-{uuid.uuid4().hex[:16]}"
    mark = worker.log_mark()
    # When a training is asked with a request id
    response = owner_client(workspace).post(
        "/api/v1/ml/train/", {"workspace": workspace.pk, "target": "revenue", "algorithms": ["naive"]},
        format="json", HTTP_X_REQUEST_ID=request_id,
    )
    assert response.status_code == 202, response.content
    assert response["X-Request-ID"] == request_id
    job = wait_for_job(response.json()["id"], TrainingJob.Status.SUCCEEDED, worker)
    # Then the worker's log line of that training carries the request's id
    line = worker.wait_for_log(f"Job {job.pk} trained revenue", since=mark)
    [trained] = [text for text in line.splitlines() if f"Job {job.pk} trained revenue" in text]
    assert f"[{request_id}]" in trained
    # And the training the worker ran is in this process's scrape
    assert trainings_succeeded() - before == 1
