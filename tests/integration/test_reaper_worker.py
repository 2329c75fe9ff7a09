"""A whole Celery worker SIGKILLed in the middle of a training (issue 21's acceptance):
the job is failed within minutes by the reaper, its target freed, and the next training
request is accepted and trained.

The killed worker is one of the test's own (its queue, its gate, a heartbeat every
second); the next training runs on the session's worker (``conftest.py``).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from config.celery import app
from forecasting.registry.models import TargetState
from forecasting.training.models import TrainingJob
from forecasting.training.reaper import training_jobs_reap
from tests.integration.conftest import (
    TRAINING_TIMEOUT,
    Worker,
    wait_until,
    worker_queue_delete,
    worker_start,
)
from tests.integration.test_autolearn_worker import (
    THRESHOLD,
    load_history,
    owner_client,
    wait_for_job,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HEARTBEAT = 1  # seconds: ML_TRAINING_HEARTBEAT_SECONDS of the worker to be killed
STALE = 3  # seconds: ML_TRAINING_STALE_SECONDS of the reaper in this process
REAPED_WITHIN = 300  # seconds: the acceptance's "within 5 minutes" (the reaper runs every minute)


@pytest.fixture
def doomed_worker(worker, tmp_path) -> Iterator[Worker]:
    """A second worker, beating every second, whose whole process group the test kills;
    tasks go to its queue until the test sends them back to the session's worker."""
    doomed = worker_start(tmp_path, media_root=worker.media_root,
                          env_extra={"ML_TRAINING_HEARTBEAT_SECONDS": str(HEARTBEAT)})
    app.conf.task_default_queue = doomed.queue
    try:
        yield doomed
    finally:
        app.conf.task_default_queue = worker.queue
        doomed.stop()
        worker_queue_delete(doomed)


def train(client, workspace):
    return client.post("/api/v1/ml/train/", {"workspace": workspace.pk, "target": "revenue",
                                             "algorithms": ["naive", "linear_regression"]}, format="json")


def test_a_sigkilled_worker_s_job_is_failed_by_the_reaper_and_the_next_training_is_accepted(
    worker, doomed_worker, workspace, settings,
):
    # Given a year of history and a training requested by a member, held mid-way in the
    # doomed worker (running, lock taken, heartbeat beating every second)
    load_history(workspace, THRESHOLD)
    client = owner_client(workspace)
    doomed_worker.close_gate()
    response = train(client, workspace)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    [(entered, pid)] = wait_until(doomed_worker.entered, timeout=TRAINING_TIMEOUT,
                                  what="the training at the gate", worker=doomed_worker)
    assert (entered, pid in doomed_worker.pool_processes()) == (job_id, True)
    first_beat = TrainingJob.objects.get(pk=job_id).heartbeat_at
    assert first_beat is not None
    wait_until(lambda: TrainingJob.objects.get(pk=job_id).heartbeat_at > first_beat, timeout=30,
               what="a heartbeat while the training runs", worker=doomed_worker)

    # When the whole worker — main process and pool — is SIGKILLed
    os.killpg(doomed_worker.pid, signal.SIGKILL)
    doomed_worker.process.wait(timeout=30)
    assert doomed_worker.pool_processes() == set()

    # Then, before the reaper, the dead job still holds the target and a request gets it back
    job = TrainingJob.objects.get(pk=job_id)
    assert (job.status, TargetState.objects.get(workspace=workspace, target="revenue").running_job_id) == (
        "running", job_id)
    again = train(client, workspace)
    assert (again.status_code, again.json()["id"]) == (200, job_id)

    # When the reaper runs (as beat runs it every minute), with the staleness shortened
    settings.ML_TRAINING_HEARTBEAT_SECONDS, settings.ML_TRAINING_STALE_SECONDS = HEARTBEAT, STALE
    reaped = wait_until(lambda: training_jobs_reap().failed, timeout=REAPED_WITHIN,
                        what="the reaper to fail the dead job", interval=1)

    # Then the job is failed with a sentence for members and its target is free
    assert reaped == [job_id]
    job = TrainingJob.objects.get(pk=job_id)
    assert job.status == "failed"
    assert job.error.startswith("The worker running this training stopped (no sign of life for ")
    assert job.error.endswith("nothing was saved. Train again.")
    state = TargetState.objects.get(workspace=workspace, target="revenue")
    assert (state.running_job_id, state.locked_at) == (None, None)
    body = client.get(f"/api/v1/ml/jobs/{job_id}/").json()
    assert (body["status"], body["error"], "Traceback" in str(body)) == ("failed", job.error, False)

    # And the next training request is accepted, and trained by a live worker
    app.conf.task_default_queue = worker.queue
    response = train(client, workspace)
    assert response.status_code == 202, response.content
    assert response.json()["id"] != job_id
    done = wait_for_job(response.json()["id"], TrainingJob.Status.SUCCEEDED, worker)
    assert (done.attempts, done.error, done.deployed) == (1, "", True)
