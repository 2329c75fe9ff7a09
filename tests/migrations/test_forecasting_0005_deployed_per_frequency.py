"""Migration 0005: one deployed model per (workspace, target, frequency); no row is lost."""

import pytest
from django.db import IntegrityError, transaction

BEFORE = ("forecasting", "0004_stockplan_stockplanline")
AFTER = ("forecasting", "0005_one_deployed_version_per_frequency")


def rows(apps):
    ModelVersion = apps.get_model("forecasting", "ModelVersion")
    return sorted(ModelVersion.objects.values_list("target", "version", "kind", "frequency", "status"))


@pytest.fixture
def at_0004(migrate_to):
    """The database at 0004 (put back to the latest migrations after the test)."""
    return migrate_to(BEFORE)


def version(apps, workspace, target, number, **fields):
    ModelVersion = apps.get_model("forecasting", "ModelVersion")
    return ModelVersion.objects.create(workspace_id=workspace.pk, target=target, algorithm="naive", version=number,
                                       **fields)


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_row_and_names_the_monthly_frequency(at_0004, migrate_to):
    # Given, before the migration: forecasters saved with and without a frequency, one
    # deployed per target, and a deployed classifier (which has no frequency)
    Workspace = at_0004.get_model("finance", "Workspace")
    Deployment = at_0004.get_model("forecasting", "Deployment")
    workspace = Workspace.objects.create(name="Bakery", slug="bakery")
    legacy = version(at_0004, workspace, "revenue", 1, frequency="", status="retired")
    deployed = version(at_0004, workspace, "revenue", 2, frequency="", status="deployed")
    version(at_0004, workspace, "expense", 1, frequency="W", status="deployed")
    version(at_0004, workspace, "categorizer", 1, kind="categorizer", frequency="", status="deployed")
    Deployment.objects.create(workspace=workspace, target="revenue", action="deploy",
                              from_version=legacy, to_version=deployed)
    # When it is applied
    after = migrate_to(AFTER)
    # Then every row is there, the blank forecasters are monthly, the classifier keeps none
    assert rows(after) == [
        ("categorizer", 1, "categorizer", "", "deployed"),
        ("expense", 1, "forecaster", "W", "deployed"),
        ("revenue", 1, "forecaster", "M", "retired"),
        ("revenue", 2, "forecaster", "M", "deployed"),
    ]
    assert list(after.get_model("forecasting", "Deployment").objects.values_list("from_version", "to_version")) == [
        (legacy.pk, deployed.pk)
    ]
    # And a weekly model of revenue may now be deployed beside the monthly one, a second monthly may not
    version(after, workspace, "revenue", 3, frequency="W", status="deployed")
    with pytest.raises(IntegrityError), transaction.atomic():
        version(after, workspace, "revenue", 4, frequency="M", status="deployed")


@pytest.mark.django_db(transaction=True)
def test_reversing_keeps_the_monthly_model_deployed_and_every_row(at_0004, migrate_to):
    # Given, after the migration, revenue deployed monthly and weekly, expense only daily
    after = migrate_to(AFTER)
    workspace = after.get_model("finance", "Workspace").objects.create(name="Bakery", slug="bakery")
    version(after, workspace, "revenue", 1, frequency="W", status="deployed")
    version(after, workspace, "revenue", 2, frequency="M", status="deployed")
    version(after, workspace, "expense", 1, frequency="D", status="deployed")
    # When it is reversed
    before = migrate_to(BEFORE)
    # Then one model per target stays deployed (the monthly one first); no row is deleted
    assert rows(before) == [
        ("expense", 1, "forecaster", "D", "deployed"),
        ("revenue", 1, "forecaster", "W", "retired"),
        ("revenue", 2, "forecaster", "M", "deployed"),
    ]
