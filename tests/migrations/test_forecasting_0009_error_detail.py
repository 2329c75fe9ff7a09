"""Migration: a failed job's old traceback moves from ``error`` (which members read) to the
staff-only ``error_detail``; ``error`` keeps the first line without file paths."""

import pytest

from tests.migrations.harness import migration_before

AFTER = ("forecasting", "0009_training_job_error_detail")
BEFORE = migration_before(*AFTER)
TRACEBACK = (
    "FileNotFoundError: [Errno 2] No such file or directory: '/srv/app/var/media/a.pkl'\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/app/forecasting/training/jobs.py", line 95, in training_job_run\n'
)


@pytest.mark.django_db(transaction=True)
def test_old_tracebacks_move_to_the_staff_only_field(migrate_to):
    # Given, before the migration, a job failed with a traceback in its error, and one with a one-line error
    before = migrate_to(BEFORE)
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
