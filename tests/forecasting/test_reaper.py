"""Jobs that cannot get stuck: the heartbeat of a running job, the reaper that fails the
jobs whose worker is gone and sends again the ones whose message was lost, the locks
freed with their jobs, and the orphan artifacts collected (issue 21)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from forecasting.monitoring.models import Alert
from forecasting.registry.models import ModelVersion, TargetState
from forecasting.registry.orphans import artifact_orphans_collect
from forecasting.training import forecasters
from forecasting.training.autolearn import autolearn_check, target_retrain
from forecasting.training.heartbeat import JobHeartbeat, job_heartbeat_beat
from forecasting.training.jobs import training_job_create, training_job_run, training_job_send
from forecasting.training.models import TrainingJob
from forecasting.training.reaper import training_jobs_reap
from forecasting.training.tasks import (
    _training_task_retrying,
    training_job_run_task,
    training_jobs_reap_task,
)
from tests.forecasting.test_registry import seasonal_revenue

STALE = 120  # ML_TRAINING_STALE_SECONDS
RESEND = 180  # ML_TRAINING_QUEUED_RESEND_SECONDS
DEAD_WORKER = ("The worker running this training stopped (no sign of life for {}); nothing was saved. "
               "Train again.")


@pytest.fixture(autouse=True)
def _liveness_settings(settings):
    settings.ML_TRAINING_HEARTBEAT_SECONDS = 30
    settings.ML_TRAINING_STALE_SECONDS = STALE
    settings.ML_TRAINING_QUEUED_RESEND_SECONDS = RESEND
    settings.ML_TRAINING_QUEUED_EXPIRE_HOURS = 24
    settings.ML_ARTIFACT_ORPHAN_GRACE_HOURS = 6


@pytest.fixture
def sent(monkeypatch):
    """The training messages handed to the broker: ``(job id, task id)``."""
    messages = []
    monkeypatch.setattr(training_job_run_task, "apply_async",
                        lambda args, task_id: messages.append((args[0], task_id)))
    return messages


def ago(seconds: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=seconds)


def running_job(workspace, *, heartbeat: float | None, started: float = 600, target: str = "revenue",
                lock: bool = True) -> TrainingJob:
    """A running job whose last heartbeat was ``heartbeat`` seconds ago, holding its lock."""
    job = training_job_create(workspace=workspace, target=target, enqueue=False)
    TrainingJob.objects.filter(pk=job.pk).update(
        status="running", started_at=ago(started), heartbeat_at=None if heartbeat is None else ago(heartbeat),
        sent_at=ago(started + 1), celery_task_id="task-1", attempts=1, progress=10,
    )
    if lock:
        TargetState.objects.update_or_create(workspace=workspace, target=target,
                                             defaults={"running_job": job, "locked_at": ago(started), "new_rows": 7})
    job.refresh_from_db()
    return job


def queued_job(workspace, *, created: float, sent: float | None, target: str = "revenue") -> TrainingJob:
    job = training_job_create(workspace=workspace, target=target, enqueue=False)
    TrainingJob.objects.filter(pk=job.pk).update(
        created_at=ago(created), sent_at=None if sent is None else ago(sent),
        celery_task_id="" if sent is None else "task-0",
    )
    job.refresh_from_db()
    return job


def lock_of(workspace, target: str = "revenue") -> tuple[int | None, dt.datetime | None]:
    state = TargetState.objects.get(workspace=workspace, target=target)
    return state.running_job_id, state.locked_at


@pytest.mark.django_db
class TestRunningJobs:
    def test_a_silent_running_job_is_failed_its_lock_freed_and_the_next_training_accepted(self, workspace):
        # Given a running job whose worker stopped beating 5 minutes ago, holding the lock
        job = running_job(workspace, heartbeat=300)
        # When the reaper runs
        report = training_jobs_reap()
        # Then the job is failed with one sentence for members, the detail for staff
        job.refresh_from_db()
        assert report.as_dict() == {"failed": [job.pk], "resent": [], "expired": [], "locks_freed": []}
        assert (job.status, job.progress, job.finished_at is not None) == ("failed", 100, True)
        assert job.error == DEAD_WORKER.format("5 minutes")
        assert "\n" not in job.error and "Traceback" not in job.error
        assert job.error_detail.startswith("Failed by the reaper at ")
        assert "task id task-1" in job.error_detail
        # and its lock is free, its rows still counted for the next training
        state = TargetState.objects.get(workspace=workspace, target="revenue")
        assert (state.running_job_id, state.locked_at, state.new_rows, state.last_trained_at) == (None, None, 7, None)
        assert list(Alert.objects.filter(workspace=workspace).values_list("message", flat=True)) == [
            f"Training of revenue failed: {job.error}"
        ]
        # And the next training request is accepted as a new job
        retrain = target_retrain(workspace=workspace, target="revenue")
        assert (retrain.created, retrain.job.pk != job.pk, retrain.job.status) == (True, True, "queued")

    def test_auto_learning_is_no_longer_blocked_once_the_dead_job_is_reaped(self, workspace, settings):
        # Given enough new rows and a dead running job holding the target
        settings.ML_AUTO_LEARN_MIN_DATA = 5
        dead = running_job(workspace, heartbeat=STALE + 1)
        assert autolearn_check(workspace=workspace, target="revenue").decision.reason == (
            f"Training job {dead.pk} is running.")
        # When the reaper has run
        training_jobs_reap()
        # Then auto-learning queues a new training
        result = autolearn_check(workspace=workspace, target="revenue")
        assert (result.decision.train, result.job is not None) == (True, True)
        assert result.job.pk != dead.pk

    def test_a_fresh_heartbeat_is_left_alone(self, workspace):
        job = running_job(workspace, heartbeat=STALE - 30, started=3600)
        report = training_jobs_reap()
        job.refresh_from_db()
        assert report.as_dict() == {"failed": [], "resent": [], "expired": [], "locks_freed": []}
        assert (job.status, job.error, job.finished_at) == ("running", "", None)
        assert lock_of(workspace)[0] == job.pk
        assert Alert.objects.count() == 0

    def test_a_job_without_heartbeat_counts_from_its_start(self, workspace):
        # Given jobs started before heartbeats existed: one long ago, one just now
        old = running_job(workspace, heartbeat=None, started=STALE + 60)
        young = running_job(workspace, heartbeat=None, started=10, target="expense", lock=False)
        # When the reaper runs, then only the old one is failed
        assert training_jobs_reap().failed == [old.pk]
        young.refresh_from_db()
        assert young.status == "running"

    def test_a_job_waiting_for_its_retry_is_alive_until_the_retry_is_due(self, workspace):
        # Given a running job whose pool process died; Celery retries it in 10 minutes
        job = running_job(workspace, heartbeat=STALE + 60)
        _training_task_retrying(request=SimpleNamespace(args=[job.pk]), reason=SimpleNamespace(when=600))
        # When the reaper runs now, then it is left alone
        assert training_jobs_reap().failed == []
        # but once the retry is overdue by the staleness it is failed
        later = timezone.now() + dt.timedelta(seconds=600 + STALE + 1)
        assert training_jobs_reap(now=later).failed == [job.pk]

    def test_a_job_reaped_while_it_still_trains_records_nothing(self, workspace, monkeypatch):
        # Given a training whose heartbeat is judged stale while it fits (a database out of reach)
        seasonal_revenue(workspace, months=24)
        job = training_job_create(workspace=workspace, target="revenue", algorithms=["naive"], enqueue=False)
        train = forecasters.forecaster_job_train

        def reaped_midway(job):
            later = timezone.now() + dt.timedelta(seconds=STALE + 1)
            assert training_jobs_reap(now=later).failed == [job.pk]
            return train(job)

        monkeypatch.setattr("forecasting.training.jobs.forecasters.forecaster_job_train", reaped_midway)
        # When it runs to the end
        result = training_job_run(job_id=job.pk)
        # Then it stays failed by the reaper, no version was recorded, and the lock is free
        assert result.status == "failed"
        assert result.error.startswith("The worker running this training stopped")
        assert ModelVersion.objects.filter(workspace=workspace).count() == 0
        assert lock_of(workspace) == (None, None)


@pytest.mark.django_db
class TestQueuedJobs:
    def test_a_job_the_broker_never_took_is_sent_again(self, workspace, sent):
        # Given a job whose message the broker refused 4 minutes ago
        job = queued_job(workspace, created=RESEND + 60, sent=None)
        # When the reaper runs
        report = training_jobs_reap()
        # Then the job is sent under a new task id, recorded on the job
        job.refresh_from_db()
        assert report.resent == [job.pk]
        assert sent == [(job.pk, job.celery_task_id)]
        assert (job.status, len(job.celery_task_id), job.sent_at is not None) == ("queued", 36, True)

    def test_a_job_just_created_is_not_sent_twice(self, workspace, sent):
        queued_job(workspace, created=RESEND - 60, sent=None)
        assert training_jobs_reap().resent == []
        assert sent == []

    def test_a_job_waiting_behind_a_running_training_is_left_alone(self, workspace, other_workspace, sent):
        # Given a job sent 10 minutes ago behind a training that is alive
        running_job(other_workspace, heartbeat=5, started=900)
        job = queued_job(workspace, created=600, sent=600)
        # When the reaper runs, then it is not sent again
        assert training_jobs_reap().resent == []
        job.refresh_from_db()
        assert (sent, job.celery_task_id) == ([], "task-0")

    def test_a_job_sent_while_the_workers_sat_idle_is_sent_again(self, workspace, sent):
        job = queued_job(workspace, created=600, sent=600)
        assert training_jobs_reap().resent == [job.pk]
        job.refresh_from_db()
        assert sent == [(job.pk, job.celery_task_id)] and job.celery_task_id != "task-0"

    def test_a_job_overtaken_by_one_sent_after_it_is_sent_again(self, workspace, other_workspace, sent):
        # Given a job sent 10 minutes ago, and one sent after it that has started (and is alive)
        job = queued_job(workspace, created=600, sent=600)
        later = running_job(other_workspace, heartbeat=5, started=300)
        TrainingJob.objects.filter(pk=later.pk).update(sent_at=ago(301))
        # When the reaper runs, then the overtaken job's message is taken for lost
        assert training_jobs_reap().resent == [job.pk]

    def test_an_old_message_of_a_job_sent_again_is_ignored(self, workspace, sent):
        # Given a job sent again by the reaper
        job = queued_job(workspace, created=RESEND + 60, sent=None)
        training_jobs_reap()
        # When the first message turns up after all
        result = training_job_run(job_id=job.pk, task_id="the-lost-message")
        # Then it does nothing: the job waits for its new message, the target is not locked
        job.refresh_from_db()
        assert (result.status, job.status, job.attempts, job.started_at) == ("queued", "queued", 0, None)
        assert not TargetState.objects.filter(workspace=workspace, running_job__isnull=False).exists()

    def test_a_job_queued_for_a_day_is_failed(self, workspace, sent):
        job = queued_job(workspace, created=25 * 3600, sent=25 * 3600)
        report = training_jobs_reap()
        job.refresh_from_db()
        assert (report.expired, report.resent, sent) == ([job.pk], [], [])
        assert (job.status, job.error) == ("failed", "No training worker started this job within 24 hours. Train again.")

    def test_a_refused_send_leaves_the_job_marked_never_sent(self, workspace, monkeypatch):
        def broker_down(args, task_id):
            raise ConnectionRefusedError(111, "Connection refused")

        monkeypatch.setattr(training_job_run_task, "apply_async", broker_down)
        job = training_job_create(workspace=workspace, target="revenue", enqueue=False)
        with pytest.raises(ConnectionRefusedError):
            training_job_send(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.sent_at) == ("queued", None)
        # and the reaper, finding the broker still down, tries again next time
        TrainingJob.objects.filter(pk=job.pk).update(created_at=ago(RESEND + 1))
        assert training_jobs_reap().resent == []
        job.refresh_from_db()
        assert (job.status, job.sent_at) == ("queued", None)


@pytest.mark.django_db
class TestLocks:
    def test_a_lock_held_by_a_job_that_ended_long_ago_is_freed(self, workspace):
        job = running_job(workspace, heartbeat=5)
        TrainingJob.objects.filter(pk=job.pk).update(status="succeeded", finished_at=ago(STALE + 1))
        assert training_jobs_reap().locks_freed == [f"{workspace.pk}:revenue"]
        assert lock_of(workspace) == (None, None)

    def test_a_job_that_just_ended_frees_its_own_lock(self, workspace):
        # (it counts its rows as it does: the reaper must not get there first)
        job = running_job(workspace, heartbeat=5)
        TrainingJob.objects.filter(pk=job.pk).update(status="succeeded", finished_at=ago(1))
        assert training_jobs_reap().locks_freed == []
        assert lock_of(workspace)[0] == job.pk

    def test_a_lock_whose_job_was_deleted_is_freed(self, workspace):
        job = running_job(workspace, heartbeat=5)
        job.delete()
        assert lock_of(workspace)[0] is None  # (the foreign key let go; the lock's time stayed)
        assert training_jobs_reap().locks_freed == [f"{workspace.pk}:revenue"]
        assert lock_of(workspace) == (None, None)

    def test_a_lock_held_by_a_queued_job_is_freed(self, workspace):
        job = queued_job(workspace, created=30, sent=30)
        TargetState.objects.create(workspace=workspace, target="revenue", running_job=job, locked_at=ago(STALE + 1))
        assert training_jobs_reap().locks_freed == [f"{workspace.pk}:revenue"]

    def test_the_lock_of_a_live_job_is_kept(self, workspace):
        job = running_job(workspace, heartbeat=5, started=3600)
        assert training_jobs_reap().locks_freed == []
        assert lock_of(workspace)[0] == job.pk


@pytest.mark.django_db
class TestHeartbeat:
    def test_a_beat_stamps_a_running_job_only(self, workspace):
        job = running_job(workspace, heartbeat=300)
        before = timezone.now()
        assert job_heartbeat_beat(job_id=job.pk) is True
        job.refresh_from_db()
        assert job.heartbeat_at >= before
        TrainingJob.objects.filter(pk=job.pk).update(status="failed")
        assert job_heartbeat_beat(job_id=job.pk) is False

    def test_a_training_stamps_its_start(self, workspace):
        seasonal_revenue(workspace, months=24)
        job = training_job_create(workspace=workspace, target="revenue", algorithms=["naive"], enqueue=False)
        before = timezone.now()
        job = training_job_run(job_id=job.pk)
        assert job.status == "succeeded"
        assert before <= job.heartbeat_at <= job.finished_at

    def test_progress_is_a_sign_of_life(self, workspace):
        from forecasting.training.lifecycle import job_progress

        job = running_job(workspace, heartbeat=300)
        job_progress(job, 80)
        job.refresh_from_db()
        assert (job.progress, training_jobs_reap().failed) == (80, [])


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_the_block_runs_and_stops_after(workspace):
    # Given a running job silent for 5 minutes
    job = running_job(workspace, heartbeat=300)
    silent_since = job.heartbeat_at
    # When a heartbeat beats every 10 ms around a piece of work
    with JobHeartbeat(job_id=job.pk, interval=0.01):
        deadline = time.monotonic() + 30
        while TrainingJob.objects.get(pk=job.pk).heartbeat_at == silent_since and time.monotonic() < deadline:
            time.sleep(0.01)
    # Then the job's heartbeat moved, and stopped moving when the block ended
    last = TrainingJob.objects.get(pk=job.pk).heartbeat_at
    assert last > silent_since
    time.sleep(0.05)
    assert TrainingJob.objects.get(pk=job.pk).heartbeat_at == last


@pytest.mark.django_db
def test_the_reaper_task_answers_its_report(workspace):
    job = running_job(workspace, heartbeat=STALE + 1)
    assert training_jobs_reap_task() == {"failed": [job.pk], "resent": [], "expired": [], "locks_freed": []}


# --- orphan artifacts ---------------------------------------------------------------------


def write(root: Path, name: str, *, hours_old: float) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"model bytes")
    stamp = time.time() - hours_old * 3600
    os.utime(path, (stamp, stamp))
    return name


@pytest.mark.django_db
def test_orphan_artifacts_past_the_grace_period_are_deleted_and_nothing_else(workspace, settings):
    # Given files in the model store: referenced by a version, orphaned (old and young), and outside it
    root = Path(settings.MEDIA_ROOT)
    referenced = write(root, f"models/{workspace.pk}/revenue/job1-naive.pkl", hours_old=48)
    ModelVersion.objects.create(workspace=workspace, target="revenue", algorithm="naive", version=1,
                                artifact_path=referenced, artifact_sha256="0" * 64)
    orphan = write(root, f"models/{workspace.pk}/revenue/job2-naive.pkl", hours_old=7)
    deeper = write(root, "models/99/expense_category_3/job5-ets.pkl", hours_old=100)
    young = write(root, f"models/{workspace.pk}/revenue/job3-naive.pkl", hours_old=5)
    elsewhere = write(root, "backups/ledgerwise-backup.tar", hours_old=100)
    # When the orphans are collected
    report = artifact_orphans_collect()
    # Then only the old orphans are gone
    assert sorted(report.deleted) == sorted([orphan, deeper])
    assert (report.referenced, report.kept_young) == (1, 1)
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted(
        [referenced, young, elsewhere])


@pytest.mark.django_db
def test_orphan_collection_without_a_model_store_does_nothing(settings):
    assert artifact_orphans_collect().as_dict() == {"deleted": [], "kept_young": 0, "referenced": 0}


@pytest.mark.django_db
def test_admin_lists_each_job_s_status_and_heartbeat(workspace, admin_client):
    job = running_job(workspace, heartbeat=300)
    html = admin_client.get("/admin/forecasting/trainingjob/").content.decode()
    assert "column-heartbeat_at" in html and "column-status" in html
    assert f'href="/admin/forecasting/trainingjob/{job.pk}/change/"' in html
    detail = admin_client.get(f"/admin/forecasting/trainingjob/{job.pk}/change/").content.decode()
    assert "Heartbeat at" in detail and "Sent at" in detail
