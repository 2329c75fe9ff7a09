"""Migration: a failed job's old traceback moves from ``error`` (which members read) to the
staff-only ``error_detail``; ``error`` keeps the first line without file paths."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

NAME = "0009_training_job_error_detail"
AFTER = ("forecasting", NAME)
BEFORE = next(
    dep for dep in importlib.import_module(f"forecasting.migrations.{NAME}").Migration.dependencies
    if dep[0] == "forecasting"
)
TRACEBACK = (
    "FileNotFoundError: [Errno 2] No such file or directory: '/srv/app/var/media/a.pkl'\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/app/forecasting/training/jobs.py", line 95, in training_job_run\n'
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
def test_old_tracebacks_move_to_the_staff_only_field(before):
    # Given a job failed with a traceback in its error, and one with a one-line error
    Workspace = before.get_model("finance", "Workspace")
    TrainingJob = before.get_model("forecasting", "TrainingJob")
    workspace = Workspace.objects.create(name="Bakery", slug="bakery-migration")
    failed = TrainingJob.objects.create(workspace=workspace, target="revenue", status="failed", error=TRACEBACK)
    short = TrainingJob.objects.create(workspace=workspace, target="expense", status="failed",
                                       error="No trainer for target expense.")
    # When the migration runs
    after = migrate_to(AFTER).get_model("forecasting", "TrainingJob")
    # Then members' line is short and pathless, and staff keep the whole text
    assert after.objects.filter(pk=failed.pk).values_list("error", "error_detail").get() == (
        "FileNotFoundError: [Errno 2] No such file or directory: '…'", TRACEBACK)
    assert after.objects.filter(pk=short.pk).values_list("error", "error_detail").get() == (
        "No trainer for target expense.", "")
