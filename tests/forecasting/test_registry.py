"""The registry lifecycle: deploy, rollback, delete, champion/challenger, integrity."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from finance.models import Transaction
from forecasting.monitoring.models import Alert
from forecasting.registry.artifacts import ArtifactIntegrityError, artifact_load, model_cache
from forecasting.registry.models import Deployment, ModelVersion
from forecasting.registry.services import (
    RegistryError,
    model_version_delete,
    model_version_deploy,
    model_version_retire,
    model_version_rollback,
)
from forecasting.serving.predictions import ModelUnavailable, model_version_load
from forecasting.training.jobs import training_job_create, training_job_run
from forecasting.training.models import TrainingJob
from tests.factories import fitted_version


def deployed(workspace, target="revenue"):
    return list(
        ModelVersion.objects.filter(workspace=workspace, target=target, status="deployed").values_list("version", flat=True)
    )


@pytest.mark.django_db
class TestDeployAndRollback:
    def test_deploy_then_rollback_restores_previous_and_both_are_in_history(self, workspace, owner):
        # given v1 deployed and v2 a candidate
        v1 = fitted_version(workspace=workspace, status="candidate")
        v2 = fitted_version(workspace=workspace, status="candidate")
        model_version_deploy(version=v1, user=owner, reason="first")
        # when v2 is deployed and then rolled back
        model_version_deploy(version=v2, user=owner, reason="better")
        assert deployed(workspace) == [2]
        rollback = model_version_rollback(workspace_id=workspace.pk, target="revenue", user=owner)
        # then v1 is deployed again, v2 retired, and the history has all three steps
        assert deployed(workspace) == [1]
        v2.refresh_from_db()
        assert v2.status == "retired"
        history = list(Deployment.objects.order_by("created_at", "id").values_list("action", "from_version", "to_version"))
        assert history == [("deploy", None, v1.pk), ("deploy", v1.pk, v2.pk), ("rollback", v2.pk, v1.pk)]
        assert rollback.reason == "Rolled back from v2 to v1"

    def test_rolling_back_twice_walks_further_back(self, workspace):
        v1, v2, v3 = (fitted_version(workspace=workspace) for _ in range(3))
        for v in (v1, v2, v3):
            model_version_deploy(version=v)
        model_version_rollback(workspace_id=workspace.pk, target="revenue")
        assert deployed(workspace) == [2]
        model_version_rollback(workspace_id=workspace.pk, target="revenue")
        assert deployed(workspace) == [1]

    def test_rollback_with_nothing_before_is_refused(self, workspace):
        v1 = fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        with pytest.raises(RegistryError, match="No earlier deployed version of revenue"):
            model_version_rollback(workspace_id=workspace.pk, target="revenue")
        assert deployed(workspace) == [1]
        assert Deployment.objects.count() == 1

    def test_deploying_the_deployed_version_is_refused(self, workspace):
        v1 = fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        with pytest.raises(RegistryError, match="already deployed"):
            model_version_deploy(version=v1)
        assert Deployment.objects.count() == 1

    def test_deployed_version_cannot_be_deleted_or_retired(self, workspace):
        v1 = fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        with pytest.raises(RegistryError, match="cannot be deleted"):
            model_version_delete(version=v1)
        with pytest.raises(RegistryError, match="cannot be retired"):
            model_version_retire(version=v1)
        v1.refresh_from_db()
        assert v1.status == "deployed"

    def test_candidate_is_deleted_with_its_artifact(self, workspace, django_capture_on_commit_callbacks):
        from django.core.files.storage import default_storage

        v1 = fitted_version(workspace=workspace)
        path = v1.artifact_path
        with django_capture_on_commit_callbacks(execute=True):
            model_version_delete(version=v1)
        assert not ModelVersion.objects.filter(pk=v1.pk).exists()
        assert not default_storage.exists(path)

    def test_one_deployed_version_per_target_is_a_database_constraint(self, workspace):
        from django.db import IntegrityError, transaction

        fitted_version(workspace=workspace, status="deployed")
        with pytest.raises(IntegrityError), transaction.atomic():
            fitted_version(workspace=workspace, status="deployed")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections need PostgreSQL")
def test_two_concurrent_deploys_leave_exactly_one_deployed(workspace):
    versions = [fitted_version(workspace=workspace) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def deploy(version):
        try:
            barrier.wait()
            model_version_deploy(version=version, reason="race")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deploy, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ModelVersion.objects.filter(workspace=workspace, status="deployed").count() == 1
    assert Deployment.objects.count() == 2
    last = Deployment.objects.order_by("-created_at", "-id").first()
    assert last.to_version.status == "deployed"
    assert last.from_version is not None and last.from_version.status == "retired"


@pytest.mark.django_db
class TestIntegrity:
    def test_tampered_artifact_is_refused_and_alerts(self, workspace, settings):
        version = fitted_version(workspace=workspace, status="deployed")
        model_cache.clear()
        with open(f"{settings.MEDIA_ROOT}/{version.artifact_path}", "ab") as handle:
            handle.write(b"tampered")
        with pytest.raises(ModelUnavailable, match="failed its integrity check"):
            model_version_load(version=version)
        alert = Alert.objects.get()
        assert (alert.kind, alert.severity, alert.model_version_id) == ("integrity", "critical", version.pk)

    def test_verified_models_are_kept_in_the_lru(self, workspace, settings):
        settings.ML_MODEL_CACHE_SIZE = 2
        model_cache.clear()
        version = fitted_version(workspace=workspace)
        first = artifact_load(version_id=version.pk, path=version.artifact_path, sha256=version.artifact_sha256)
        second = artifact_load(version_id=version.pk, path=version.artifact_path, sha256=version.artifact_sha256)
        assert first is second

    def test_lru_evicts_the_least_recently_used(self):
        from forecasting.registry.artifacts import ModelLRU

        lru = ModelLRU(capacity=2)
        lru.put((1, "a"), "one")
        lru.put((2, "b"), "two")
        assert lru.get((1, "a")) == "one"
        lru.put((3, "c"), "three")
        assert (lru.get((1, "a")), lru.get((2, "b")), lru.get((3, "c"))) == ("one", None, "three")

    def test_missing_artifact_is_an_integrity_error(self, workspace):
        from django.core.files.storage import default_storage

        version = fitted_version(workspace=workspace)
        default_storage.delete(version.artifact_path)
        model_cache.clear()
        with pytest.raises(ArtifactIntegrityError, match="cannot be read"):
            artifact_load(version_id=version.pk, path=version.artifact_path, sha256=version.artifact_sha256)


def month_start(months_ago: int) -> dt.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return dt.date(index // 12, index % 12 + 1, 1)


def seasonal_revenue(workspace, months=40):
    """Daily revenue with a strong yearly pattern over the ``months`` complete months
    before the current one."""
    rows = []
    day, end = month_start(months), month_start(0)
    while day < end:
        amount = Decimal(100 + (80 if day.month in (11, 12) else 0) + (day.day % 7))
        rows.append(Transaction(workspace=workspace, kind="revenue", amount=amount, date=day))
        day += dt.timedelta(days=1)
    Transaction.objects.bulk_create(rows)


@pytest.mark.django_db
class TestTraining:
    def test_training_saves_every_candidate_and_deploys_the_winner(self, workspace, owner):
        seasonal_revenue(workspace)
        job = training_job_create(workspace=workspace, target="revenue", algorithms=["naive", "seasonal_naive"],
                                  user=owner, enqueue=False)
        job = training_job_run(job_id=job.pk)
        assert job.status == "succeeded"
        assert {r["name"]: r["status"] for r in job.results} == {
            "naive": "ok", "seasonal_naive": "ok", "combination": "ok",
        }
        versions = ModelVersion.objects.filter(workspace=workspace, target="revenue")
        assert sorted(versions.values_list("algorithm", flat=True)) == ["combination", "naive", "seasonal_naive"]
        assert job.winner.status == "deployed"
        assert job.deployed is True
        assert job.decision.startswith("No model was deployed;")
        assert Deployment.objects.get().action == "auto_deploy"

    def test_a_category_is_trained_with_the_season_of_all_expenses(self, workspace):
        # Given 36 months of expenses with a December peak, rent a flat part of them
        from tests import factories as f

        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        rows = []
        for months_ago in range(36, 0, -1):
            day = month_start(months_ago)
            rows.append(Transaction(workspace=workspace, kind="expense", amount=Decimal(500), date=day,
                                    category=rent, status="approved"))
            rows.append(Transaction(workspace=workspace, kind="expense", date=day, status="approved",
                                    amount=Decimal(2000 if day.month == 12 else 300)))
        Transaction.objects.bulk_create(rows)
        # When the rent target is trained
        job = training_job_run(job_id=training_job_create(
            workspace=workspace, target=f"expense:category={rent.pk}", algorithms=["ets"], enqueue=False).pk)
        # Then ETS was given every month's total expenses as its group series
        assert job.status == "succeeded"
        version = ModelVersion.objects.get(workspace=workspace, algorithm="ets")
        totals = [800.0 if month_start(m).month != 12 else 2500.0 for m in range(36, 0, -1)]
        assert version.params["group_series"] == totals

    def test_a_worse_retrain_does_not_replace_the_champion(self, workspace, owner):
        # given seasonal naive deployed on strongly seasonal data
        seasonal_revenue(workspace)
        first = training_job_run(job_id=training_job_create(
            workspace=workspace, target="revenue", algorithms=["seasonal_naive"], enqueue=False).pk)
        champion = first.winner
        assert champion.status == "deployed"
        # when a retrain only tries the naive forecaster
        second = training_job_run(job_id=training_job_create(
            workspace=workspace, target="revenue", algorithms=["naive"], enqueue=False).pk)
        # then the naive challenger stays a candidate and the job says why
        champion.refresh_from_db()
        assert champion.status == "deployed"
        assert second.status == "succeeded"
        assert second.deployed is False
        assert second.winner.status == "candidate"
        assert "did not beat champion v1 seasonal_naive" in second.decision
        assert Deployment.objects.count() == 1

    def test_not_enough_data_skips_with_reasons(self, workspace):
        seasonal_revenue(workspace, months=1)
        job = training_job_run(job_id=training_job_create(
            workspace=workspace, target="revenue", algorithms=["sarima"], enqueue=False).pk)
        assert job.status == "skipped"
        assert "sarima needs at least 36 points; the series has 1." in job.decision
        assert ModelVersion.objects.count() == 0

    def test_a_second_job_while_one_runs_is_skipped(self, workspace):
        from forecasting.registry.models import TargetState

        running = training_job_create(workspace=workspace, target="revenue", enqueue=False)
        TargetState.objects.create(workspace=workspace, target="revenue", running_job=running,
                                   locked_at=running.created_at)
        second = training_job_run(job_id=training_job_create(workspace=workspace, target="revenue", enqueue=False).pk)
        assert second.status == "skipped"
        assert second.decision == f"Another training of revenue is running (job {running.pk})."
        assert ModelVersion.objects.count() == 0

    def test_a_finished_job_is_not_run_again(self, workspace):
        seasonal_revenue(workspace)
        job = training_job_run(job_id=training_job_create(
            workspace=workspace, target="revenue", algorithms=["naive"], enqueue=False).pk)
        again = training_job_run(job_id=job.pk)
        assert again.status == "succeeded"
        assert ModelVersion.objects.count() == 1  # the naive version of the first run, nothing more
        assert TrainingJob.objects.count() == 1


def deployed_by_frequency(workspace, target="revenue"):
    return dict(
        ModelVersion.objects.filter(workspace=workspace, target=target, status="deployed")
        .values_list("frequency", "pk")
    )


@pytest.mark.django_db
class TestOneDeployedVersionPerFrequency:
    def test_deploying_a_weekly_model_leaves_the_monthly_one_deployed(self, workspace, owner):
        # Given a monthly model of revenue deployed
        monthly = fitted_version(workspace=workspace)
        model_version_deploy(version=monthly, user=owner)
        weekly = fitted_version(workspace=workspace, frequency="W")
        # When a weekly model of the same target is deployed
        deployment = model_version_deploy(version=weekly, user=owner)
        # Then both serve, and the weekly deploy replaced nothing
        assert deployed_by_frequency(workspace) == {"M": monthly.pk, "W": weekly.pk}
        assert (deployment.from_version, deployment.to_version) == (None, weekly)

    def test_a_deploy_retires_only_the_version_of_its_own_frequency(self, workspace):
        # Given a monthly and a weekly model deployed
        monthly, weekly = fitted_version(workspace=workspace), fitted_version(workspace=workspace, frequency="W")
        model_version_deploy(version=monthly)
        model_version_deploy(version=weekly)
        newer_weekly = fitted_version(workspace=workspace, frequency="W")
        # When a newer weekly model is deployed
        deployment = model_version_deploy(version=newer_weekly)
        # Then the older weekly one is retired and the monthly one is untouched
        assert deployed_by_frequency(workspace) == {"M": monthly.pk, "W": newer_weekly.pk}
        assert dict(ModelVersion.objects.values_list("pk", "status")) == {
            monthly.pk: "deployed", weekly.pk: "retired", newer_weekly.pk: "deployed",
        }
        assert deployment.from_version == weekly

    def test_a_rollback_acts_within_its_frequency(self, workspace):
        # Given two monthly and two weekly deploys of revenue
        m1, m2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
        w1, w2 = fitted_version(workspace=workspace, frequency="W"), fitted_version(workspace=workspace, frequency="W")
        for version in (m1, w1, m2, w2):
            model_version_deploy(version=version)
        # When the weekly model is rolled back
        rollback = model_version_rollback(workspace_id=workspace.pk, target="revenue", frequency="W")
        # Then the earlier weekly one serves again and the monthly one is untouched
        assert deployed_by_frequency(workspace) == {"M": m2.pk, "W": w1.pk}
        assert (rollback.from_version, rollback.to_version) == (w2, w1)
        # And a rollback that names no frequency rolls back the monthly model
        model_version_rollback(workspace_id=workspace.pk, target="revenue")
        assert deployed_by_frequency(workspace) == {"M": m1.pk, "W": w1.pk}

    def test_a_rollback_of_a_frequency_with_nothing_deployed_is_refused(self, workspace):
        model_version_deploy(version=fitted_version(workspace=workspace))
        with pytest.raises(RegistryError) as refused:
            model_version_rollback(workspace_id=workspace.pk, target="revenue", frequency="W")
        assert str(refused.value) == "Nothing is deployed for revenue (frequency W); there is nothing to roll back."
        assert Deployment.objects.count() == 1

    def test_a_rollback_does_not_cross_to_another_frequency(self, workspace):
        # Given a weekly deploy recorded as replacing the monthly model (as deploys did
        # when a target had one deployed version whatever its frequency)
        monthly = fitted_version(workspace=workspace, status="retired")
        weekly = fitted_version(workspace=workspace, frequency="W", status="deployed")
        Deployment.objects.create(workspace=workspace, target="revenue", action="deploy",
                                  from_version=monthly, to_version=weekly)
        # When the weekly model is rolled back
        with pytest.raises(RegistryError) as refused:
            model_version_rollback(workspace_id=workspace.pk, target="revenue", frequency="W")
        # Then it is refused and nothing changed
        assert str(refused.value) == "No earlier deployed version of revenue (frequency W) to roll back to."
        assert deployed_by_frequency(workspace) == {"W": weekly.pk}
        assert Deployment.objects.count() == 1

    def test_one_deployed_version_per_frequency_is_a_database_constraint(self, workspace):
        from django.db import IntegrityError, transaction

        fitted_version(workspace=workspace, status="deployed")
        fitted_version(workspace=workspace, status="deployed", frequency="W")
        with pytest.raises(IntegrityError), transaction.atomic():
            fitted_version(workspace=workspace, status="deployed", frequency="W")
        assert ModelVersion.objects.filter(status="deployed").count() == 2

    def test_a_weekly_training_competes_with_the_weekly_champion_only(self, workspace):
        # Given seasonal naive deployed as the monthly model
        seasonal_revenue(workspace)
        monthly = training_job_run(job_id=training_job_create(
            workspace=workspace, target="revenue", algorithms=["seasonal_naive"], enqueue=False).pk).winner
        # When a weekly training runs
        job = training_job_run(job_id=training_job_create(
            workspace=workspace, target="revenue", algorithms=["naive"], frequency="W", enqueue=False).pk)
        # Then with no weekly champion its winner is deployed beside the monthly model
        assert (job.status, job.deployed) == ("succeeded", True)
        assert job.decision.startswith("No model was deployed;")
        assert deployed_by_frequency(workspace) == {"M": monthly.pk, "W": job.winner.pk}
        assert (job.winner.horizon, job.winner.training_end.weekday()) == (12, 0)
