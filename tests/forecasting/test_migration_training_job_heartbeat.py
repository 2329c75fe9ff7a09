"""Migration: jobs handed to the broker before heartbeats existed are marked sent, so the
reaper does not take a queued one for a job whose message was never sent."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

NAME = "0011_training_job_heartbeat"
AFTER = ("forecasting", NAME)
BEFORE = next(
    dep for dep in importlib.import_module(f"forecasting.migrations.{NAME}").Migration.dependencies
    if dep[0] == "forecasting"
)


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def before(django_db_blocker):
    """The database before the migration; put back to the latest migrations afterwards."""
    apps = migrate_to(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_jobs_with_a_task_id_are_marked_sent_when_they_were_created(before):
    # Given a job sent to the broker and one the broker never took
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
