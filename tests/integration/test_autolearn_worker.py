"""Auto-learning end to end with a real Celery worker (issue 5's acceptance).

Every test writes through this process (the API, or a service) and then only *watches*
the database and the worker's log: what happens in between — the post_save counters, the
debounced ``autolearn_check_task``, the rule, the training task, champion/challenger, the
lock — runs in the worker process, as in production. See ``conftest.py`` for the worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from finance.models import Membership, Transaction
from forecasting.monitoring.models import Alert
from forecasting.registry.models import Deployment, ModelVersion, TargetState
from forecasting.training.autolearn import next_eligible_at
from forecasting.training.jobs import training_job_create
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.integration.conftest import TRAINING_TIMEOUT, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THRESHOLD = 12  # ML_AUTO_LEARN_MIN_DATA of the worker and of this process (conftest)
ALGORITHMS = ["naive", "seasonal_naive", "linear_regression"]


# --- helpers ----------------------------------------------------------------------------


def month_start(months_ago: int) -> dt.date:
    """The first day of the month ``months_ago`` months before this one."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return dt.date(index // 12, index % 12 + 1, 1)


def revenue_amount(months_ago: int) -> Decimal:
    """A gentle upward trend with a wobble: linear regression can learn it."""
    return Decimal(3000 - 40 * months_ago + (months_ago % 3) * 55)


def owner_client(workspace) -> APIClient:
    user = f.MembershipFactory(workspace=workspace, role=Membership.Role.OWNER).user
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def post_revenue(client: APIClient, workspace, months_ago: range | list[int]) -> None:
    """``POST /api/v1/transactions/`` one approved revenue per month, one request each."""
    for ago in months_ago:
        response = client.post("/api/v1/transactions/", {
            "workspace": workspace.pk, "kind": "revenue", "amount": str(revenue_amount(ago)),
            "date": (month_start(ago) + dt.timedelta(days=14)).isoformat(), "status": "approved",
            "description": f"Takings {ago} months ago",
        }, format="json")
        assert response.status_code == 201, response.content


def load_history(workspace, months: int) -> None:
    """``months`` past months of approved revenue, bulk-loaded: ``bulk_create`` sends no
    ``post_save``, so no counter moves and no check is scheduled (like a restored backup)."""
    Transaction.objects.bulk_create(
        Transaction(workspace=workspace, kind="revenue", amount=revenue_amount(ago), currency="USD",
                    date=month_start(ago) + dt.timedelta(days=14), status="approved",
                    description=f"Takings {ago} months ago")
        for ago in range(months, 0, -1)
    )


def state_of(workspace, target: str = "revenue") -> TargetState:
    return TargetState.objects.get(workspace=workspace, target=target)


def wait_for_job(job_id: int, status: str, worker) -> TrainingJob:
    """The job once it has ``status`` and does not hold its target's lock (a training
    releases the lock just after recording its outcome)."""
    def done() -> TrainingJob | None:
        job = TrainingJob.objects.filter(pk=job_id, status=status).first()
        if job is None or TargetState.objects.filter(workspace_id=job.workspace_id, running_job_id=job_id).exists():
            return None
        return job

    return wait_until(done, timeout=TRAINING_TIMEOUT, what=f"training job {job_id} to be {status}", worker=worker)


def assert_registry_consistent(workspace, job: TrainingJob, *, media_root) -> list[ModelVersion]:
    """Every version of the target came from ``job``, has its artifact on disk with the
    recorded sha256, and exactly one is deployed — the job's winner."""
    versions = list(ModelVersion.objects.filter(workspace=workspace, target="revenue").order_by("version"))
    ok = sorted(c["name"] for c in job.results if c["status"] == "ok")
    assert sorted(v.algorithm for v in versions) == ok
    assert [v.version for v in versions] == list(range(1, len(ok) + 1))
    assert {v.training_job_id for v in versions} == {job.pk}
    for version in versions:
        payload = (media_root / version.artifact_path).read_bytes()
        assert (hashlib.sha256(payload).hexdigest(), len(payload)) == (version.artifact_sha256, version.artifact_size)
    assert [v.pk for v in versions if v.status == "deployed"] == [job.winner_id]
    assert {v.status for v in versions if v.pk != job.winner_id} <= {"candidate"}
    return versions


# --- the tests --------------------------------------------------------------------------


def test_the_threshold_of_posted_transactions_trains_and_deploys_and_one_fewer_does_not(worker, workspace):
    client = owner_client(workspace)

    # Given a workspace that never trained, when one transaction fewer than the threshold
    # is posted (approved revenue, one per past month)
    mark = worker.log_mark()
    post_revenue(client, workspace, range(THRESHOLD, 1, -1))

    # Then the worker's debounced check has decided not to train — and nothing is queued
    worker.wait_for_log(f"'Never trained; {THRESHOLD - 1} of {THRESHOLD} rows needed.'", since=mark)
    assert TrainingJob.objects.filter(workspace=workspace).count() == 0
    assert ModelVersion.objects.filter(workspace=workspace).count() == 0
    assert (state_of(workspace).new_rows, state_of(workspace).last_trained_at) == (THRESHOLD - 1, None)

    # When the last one is posted, and nothing else is called
    mark = worker.log_mark()
    post_revenue(client, workspace, [1])

    # Then the worker decides to train, trains and deploys the winner
    deployed = wait_until(
        lambda: ModelVersion.objects.filter(workspace=workspace, target="revenue", status="deployed").first(),
        timeout=TRAINING_TIMEOUT, what="a deployed revenue model", worker=worker)
    assert f"'Never trained and {THRESHOLD} rows available.'" in worker.log(mark)
    job = wait_for_job(TrainingJob.objects.get(workspace=workspace).pk, "succeeded", worker)
    assert (job.target, job.trigger, job.status, job.deployed, job.winner_id, job.attempts, job.error) == (
        "revenue", "auto", "succeeded", True, deployed.pk, 1, "")
    assert job.algorithms == ALGORITHMS
    by_name = {c["name"]: c for c in job.results}
    assert (by_name["naive"]["status"], by_name["linear_regression"]["status"]) == ("ok", "ok")
    assert (by_name["seasonal_naive"]["status"], by_name["seasonal_naive"]["reason"]) == (
        "skipped", f"seasonal_naive needs at least 24 points; the series has {THRESHOLD}.")
    assert_registry_consistent(workspace, job, media_root=worker.media_root)
    assert (deployed.n_observations, deployed.training_start, deployed.training_end) == (
        THRESHOLD, month_start(THRESHOLD), month_start(1))
    [deployment] = Deployment.objects.filter(workspace=workspace)
    assert (deployment.action, deployment.from_version_id, deployment.to_version_id) == (
        "auto_deploy", None, deployed.pk)
    # and the counter is spent, the cooldown started and the lock released
    state = state_of(workspace)
    assert (state.new_rows, state.running_job_id, state.locked_at) == (0, None, None)
    assert job.started_at <= state.last_trained_at <= timezone.now()


def test_the_cooldown_holds_after_a_training(worker, workspace):
    client = owner_client(workspace)

    # Given a first model trained by the threshold of posted transactions
    post_revenue(client, workspace, range(THRESHOLD, 0, -1))
    revenue_jobs = TrainingJob.objects.filter(workspace=workspace, target="revenue")
    job = wait_until(lambda: revenue_jobs.first(), timeout=TRAINING_TIMEOUT, what="the first training job",
                     worker=worker)
    first = wait_for_job(job.pk, "succeeded", worker)
    trained_at = state_of(workspace).last_trained_at
    revenue_versions = ModelVersion.objects.filter(workspace=workspace, target="revenue")
    versions = list(revenue_versions.values_list("pk", "status"))

    # When as many new transactions again are posted within the cooldown
    mark = worker.log_mark()
    post_revenue(client, workspace, range(THRESHOLD, 0, -1))

    # Then the worker's checks (every one queued since) say it is cooling down, and no
    # second training of revenue starts (the anomaly detector, which learns from every
    # transaction, may have its first one now: 24 rows)
    eligible = next_eligible_at(state_of(workspace))
    assert eligible == trained_at + dt.timedelta(hours=24)
    worker.wait_for_log(f"'Cooling down until {eligible:%Y-%m-%d %H:%M} UTC.'", since=mark)
    log = worker.wait_for_checks(since=mark)
    assert "rows available" not in log and "rows since the last training" not in log
    assert list(revenue_jobs.values_list("pk", flat=True)) == [first.pk]
    assert list(revenue_versions.values_list("pk", "status")) == versions
    state = state_of(workspace)
    assert (state.new_rows, state.last_trained_at, state.running_job_id) == (THRESHOLD, trained_at, None)
    # and the status API tells the same
    body = client.get("/api/v1/ml/auto-learn/status/", {"workspace": workspace.pk}).json()
    revenue = next(t for t in body["targets"] if t["target"] == "revenue")
    assert (revenue["new_rows"], revenue["would_train"], revenue["reason"]) == (
        THRESHOLD, False, f"Cooling down until {eligible:%Y-%m-%d %H:%M} UTC.")


def test_two_simultaneous_forced_triggers_queue_one_training(worker, workspace):
    # Given a year of history and the gate closed, so that the training the first trigger
    # starts cannot finish while the two race
    load_history(workspace, THRESHOLD)
    owner = f.MembershipFactory(workspace=workspace, role=Membership.Role.OWNER).user
    worker.close_gate()
    barrier = threading.Barrier(2)

    def trigger(_: int):
        client = APIClient()
        client.force_authenticate(user=owner)
        try:
            barrier.wait(timeout=10)
            return client.post(f"/api/v1/ml/auto-learn/revenue/?workspace={workspace.pk}&force=true")
        finally:
            connection.close()  # this thread's connection (the test database is dropped at the end)

    # When two managers force a retrain at the same moment
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(trigger, range(2)))

    # Then exactly one job is queued and the other request is told which one runs
    assert sorted(r.status_code for r in responses) == [200, 202]
    job = TrainingJob.objects.get(workspace=workspace)
    accepted = next(r for r in responses if r.status_code == 202).json()
    refused = next(r for r in responses if r.status_code == 200).json()
    assert (accepted["id"], accepted["queued"], accepted["trigger"]) == (job.pk, True, "manual")
    assert refused["queued"] is False
    # (the race decides only the wording: still queued, already taken, or running)
    assert refused["reason"] in {f"Training job {job.pk} is already queued.",
                                 f"Training job {job.pk} is already running.",
                                 f"Training job {job.pk} is running."}

    # When the training is let through
    wait_until(lambda: worker.entered(), timeout=TRAINING_TIMEOUT, what="the training at the gate", worker=worker)
    worker.open_gate()

    # Then it is the only training, and its winner is the only deployed model
    job = wait_for_job(job.pk, "succeeded", worker)
    assert [j for j, _ in worker.entered()] == [job.pk]
    assert TrainingJob.objects.filter(workspace=workspace).count() == 1
    assert_registry_consistent(workspace, job, media_root=worker.media_root)


def test_two_jobs_sent_at_once_run_one_training_and_skip_the_other(worker, workspace):
    # Given a year of history and the gate closed (the first training to take the lock holds it)
    load_history(workspace, THRESHOLD)
    worker.close_gate()

    # When two jobs of one target reach two pool processes together (the admin's retrain
    # and the weekly sweep queue jobs without the auto-learn check)
    first = training_job_create(workspace=workspace, target="revenue", trigger=TrainingJob.Trigger.MANUAL)
    second = training_job_create(workspace=workspace, target="revenue", trigger=TrainingJob.Trigger.SCHEDULE)

    # Then one takes the target's lock and trains; the other is recorded as skipped, untouched
    [(holder, _)] = wait_until(lambda: worker.entered(), timeout=TRAINING_TIMEOUT,
                               what="a training at the gate", worker=worker)
    other = second.pk if holder == first.pk else first.pk
    skipped = wait_for_job(other, "skipped", worker)
    assert holder in {first.pk, second.pk}
    assert (skipped.decision, skipped.attempts, skipped.started_at, skipped.winner_id, skipped.results) == (
        f"Another training of revenue is running (job {holder}).", 0, None, None, [])
    assert state_of(workspace).running_job_id == holder

    # When the training is let through
    worker.open_gate()

    # Then the holder succeeds alone: its versions are the only ones, one of them deployed
    job = wait_for_job(holder, "succeeded", worker)
    assert [j for j, _ in worker.entered()] == [holder]
    assert_registry_consistent(workspace, job, media_root=worker.media_root)
    assert TrainingJob.objects.get(pk=other).status == "skipped"
    assert state_of(workspace).running_job_id is None


def test_a_pool_process_killed_mid_training_is_retried_to_success_with_a_consistent_registry(worker, workspace):
    # Given a year of history and a training held mid-way (running, lock taken, nothing saved)
    load_history(workspace, THRESHOLD)
    worker.close_gate()
    job = training_job_create(workspace=workspace, target="revenue")
    [(job_id, pid)] = wait_until(lambda: worker.entered(), timeout=TRAINING_TIMEOUT,
                                 what="the training at the gate", worker=worker)
    assert job_id == job.pk
    assert pid in worker.pool_processes()
    job.refresh_from_db()
    assert (job.status, job.attempts, state_of(workspace).running_job_id) == ("running", 1, job.pk)

    # When the pool process running it is killed (SIGKILL: no cleanup, no goodbye)
    mark = worker.log_mark()
    os.kill(pid, signal.SIGKILL)

    # Then the worker reports the loss and sends the task again (retry_on_worker_lost: a
    # retry that counts against max_retries; the lost message is acknowledged): the same
    # job reaches the gate again, in another pool process
    log = worker.wait_for_log("retry: Retry in 1s: WorkerLostError", since=mark)
    assert f"pid:{pid} exited with 'signal 9 (SIGKILL)'" in log
    entries = wait_until(lambda: len(worker.entered()) == 2 and worker.entered(), timeout=TRAINING_TIMEOUT,
                         what="the job to be delivered again", worker=worker)
    assert entries[0] == (job.pk, pid)
    assert (entries[1][0], entries[1][1] != pid, entries[1][1] in worker.pool_processes()) == (job.pk, True, True)
    # and in the meantime the registry holds nothing of the killed attempt
    assert ModelVersion.objects.filter(workspace=workspace).count() == 0
    job.refresh_from_db()
    assert (job.status, job.attempts, state_of(workspace).running_job_id) == ("running", 2, job.pk)

    # When the second attempt is let through
    worker.open_gate()

    # Then the job succeeds on its second attempt, with one deployed version and every
    # version's artifact on disk; no failure was recorded and the lock is free
    job = wait_for_job(job.pk, "succeeded", worker)
    assert (job.attempts, job.error, job.deployed) == (2, "", True)
    assert_registry_consistent(workspace, job, media_root=worker.media_root)
    assert Alert.objects.filter(workspace=workspace, kind="training").count() == 0
    state = state_of(workspace)
    assert (state.running_job_id, state.locked_at) == (None, None)
    assert state.last_trained_at is not None
    assert TrainingJob.objects.filter(workspace=workspace).count() == 1


def test_a_job_whose_pool_process_dies_on_every_attempt_fails_with_the_reason(worker, workspace):
    # Given a year of history and a training held at the gate on every attempt
    load_history(workspace, THRESHOLD)
    worker.close_gate()
    job = training_job_create(workspace=workspace, target="revenue")
    mark = worker.log_mark()

    # When its pool process is killed on the first attempt and on each of the three retries
    killed = []
    for attempt in range(1, 5):
        entries = wait_until(lambda n=attempt: len(worker.entered()) == n and worker.entered(),
                             timeout=TRAINING_TIMEOUT, what=f"attempt {attempt} at the gate", worker=worker)
        job_id, pid = entries[-1]
        assert (job_id, pid in worker.pool_processes()) == (job.pk, True)
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    # Then, its retries spent (max_retries=3), the job is failed with the reason, an alert
    # is raised, the lock is freed, and nothing was saved
    job = wait_for_job(job.pk, "failed", worker)
    log = worker.log(mark)
    assert log.count("retry: Retry in 1s: WorkerLostError") == 3
    assert [pid for _, pid in worker.entered()] == killed
    assert (job.attempts, job.deployed, job.winner_id) == (4, False, None)
    assert job.error.startswith("WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL)")
    alert = wait_until(lambda: Alert.objects.filter(workspace=workspace, kind="training").first(),
                       timeout=10, what="the training alert", worker=worker)  # raised just after the status
    assert Alert.objects.filter(workspace=workspace, kind="training").count() == 1
    assert alert.message == f"Training of revenue failed: {job.error}"
    assert ModelVersion.objects.filter(workspace=workspace).count() == 0
    state = state_of(workspace)
    assert (state.running_job_id, state.locked_at, state.last_trained_at) == (None, None, None)
