"""Migration: jobs handed to the broker before heartbeats existed are marked sent, so the
reaper does not take a queued one for a job whose message was never sent."""

import pytest

from tests.migrations.harness import migration_before

AFTER = ("forecasting", "0011_training_job_heartbeat")
BEFORE = migration_before(*AFTER)


@pytest.mark.django_db(transaction=True)
def test_jobs_with_a_task_id_are_marked_sent_when_they_were_created(migrate_to):
    # Given, before the migration, a job sent to the broker and one the broker never took
    before = migrate_to(BEFORE)
    Workspace = before.get_model("finance", "Workspace")
    TrainingJob = before.get_model("forecasting", "TrainingJob")
    workspace = Workspace.objects.create(name="Bakery", slug="bakery-heartbeat-migration")
    sent = TrainingJob.objects.create(workspace=workspace, target="revenue", celery_task_id="4f1c-task")
    unsent = TrainingJob.objects.create(workspace=workspace, target="expense")
    # When the migration runs
    after = migrate_to(AFTER).get_model("forecasting", "TrainingJob")
    # Then the first counts as sent when it was created, the other as never sent
    assert after.objects.filter(pk=sent.pk).values_list("sent_at", "heartbeat_at").get() == (sent.created_at, None)
    assert after.objects.filter(pk=unsent.pk).values_list("sent_at", flat=True).get() is None
