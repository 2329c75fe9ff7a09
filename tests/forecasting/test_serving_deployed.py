"""One source of truth for what serves: the deployment generation, automatic fallback,
and canary and shadow routing (serving/deployed.py, registry/generation.py).

"Another process" is this process with its memory of what serves (and its loaded
models) forgotten, the shared cache kept; tests that need the memory to be kept run
outside a transaction (what is read inside one is never remembered). The cross-process
test with real gunicorn and Celery workers is tests/integration/test_serving_workers.py.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasting.monitoring.models import Alert
from forecasting.registry import generation
from forecasting.registry.artifacts import artifact_load, model_cache
from forecasting.registry.models import Deployment, ModelVersion, Rollout, ServingGeneration
from forecasting.registry.rollouts import rollout_start
from forecasting.registry.services import model_version_deploy, model_version_rollback
from forecasting.series.targets import Target
from forecasting.serving import deployed
from forecasting.serving.deployed import rollout_bucket, serving_memory_clear, serving_route
from forecasting.serving.models import Prediction
from forecasting.serving.predictions import forecast_predict
from tests.factories import fitted_version

REVENUE = Target("revenue")


@pytest.fixture(params=["shared cache", "local cache"])
def cache_kind(request, settings, tmp_path):
    """A cache every process sees (files here; Redis in CI), or the embedded default that
    only this process sees (then the generation is read from the database)."""
    if request.param == "shared cache":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": str(tmp_path / "cache")}}
    return request.param


def another_process() -> None:
    """What a process that never served the workspace knows: nothing (the shared cache
    and the database are the same)."""
    serving_memory_clear()
    model_cache.clear()


def served(workspace, **kwargs) -> int:
    """The id of the version that answers a forecast request now."""
    return forecast_predict(workspace=workspace, target=REVENUE, periods=3, **kwargs)["model"]["id"]


def statuses(workspace) -> dict[int, str]:
    return dict(ModelVersion.objects.filter(workspace=workspace).values_list("version", "status"))


def tamper(settings, version) -> None:
    with open(f"{settings.MEDIA_ROOT}/{version.artifact_path}", "r+b") as handle:
        handle.seek(10)
        handle.write(b"\x00\x01\x02")


# --- the generation ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
class TestDeployIsServedEverywhereAtOnce:
    def test_a_deploy_is_served_by_the_next_request_of_a_process_that_remembered_the_old_one(
            self, workspace, cache_kind):
        # Given v1 deployed and served (this process remembers it) and v2 a candidate
        v1 = fitted_version(workspace=workspace)
        v2 = fitted_version(workspace=workspace, algorithm="seasonal_naive")
        model_version_deploy(version=v1)
        assert served(workspace) == v1.pk
        assert deployed._remembered[workspace.pk].deployed[("revenue", "M")].pk == v1.pk
        # When v2 is deployed (and committed)
        model_version_deploy(version=v2)
        # Then the very next request serves v2, in this process and in another one
        assert served(workspace) == v2.pk
        another_process()
        assert served(workspace) == v2.pk
        # And the prediction log names the version that answered each request
        assert list(Prediction.objects.order_by("created_at").values_list("model_version_id", flat=True)) == [
            v1.pk, v2.pk, v2.pk]

    def test_a_rollback_is_served_by_the_next_request_everywhere(self, workspace, cache_kind):
        # Given v1 then v2 deployed, and v2 served
        v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        model_version_deploy(version=v2)
        assert served(workspace) == v2.pk
        # When the target is rolled back
        model_version_rollback(workspace_id=workspace.pk, target="revenue")
        # Then v1 answers at once, here and in another process
        assert served(workspace) == v1.pk
        another_process()
        assert served(workspace) == v1.pk

    def test_each_change_bumps_the_generation_and_the_shared_cache_holds_it(self, workspace, settings, tmp_path):
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": str(tmp_path / "cache")}}
        v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
        key = generation.generation_cache_key(workspace.pk)
        model_version_deploy(version=v1)
        model_version_deploy(version=v2)
        rollout = rollout_start(challenger=v1, mode=Rollout.Mode.SHADOW, share=1.0)
        assert ServingGeneration.objects.get(workspace=workspace).generation == 3
        assert caches["default"].get(key) == 3
        from forecasting.registry.rollouts import rollout_abort

        rollout_abort(rollout=rollout)
        assert (ServingGeneration.objects.get(workspace=workspace).generation, caches["default"].get(key)) == (4, 4)

    def test_with_a_warm_memory_a_cached_forecast_costs_its_log_insert_and_three_cache_reads(
            self, workspace, settings, tmp_path, monkeypatch):
        # Given a shared cache, v1 deployed and its forecast served once (memory and cache warm)
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": str(tmp_path / "cache")}}
        model_version_deploy(version=fitted_version(workspace=workspace))
        served(workspace)
        backend, reads, depth = caches["default"], [], [0]

        def counted(name, method):
            def call(*args, **kwargs):  # only the calls serving makes (get_or_set calls get itself)
                if not depth[0]:
                    reads.append(name)
                depth[0] += 1
                try:
                    return method(*args, **kwargs)
                finally:
                    depth[0] -= 1
            return call

        for name in ("get", "get_many", "get_or_set"):
            monkeypatch.setattr(backend, name, counted(name, getattr(backend, name)))
        # When the same forecast is asked again
        with CaptureQueriesContext(connection) as queries:
            body = forecast_predict(workspace=workspace, target=REVENUE, periods=3)
        # Then it comes from the cache: the generation (1 read), the data generation and the
        # answer (2 reads, as before the generation existed), and one query: the log
        assert body["cached"] is True
        assert reads == ["get", "get_or_set", "get"]
        statements = [q["sql"] for q in queries.captured_queries
                      if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
        # (on PostgreSQL the log's own transaction first stops waiting for the WAL flush)
        flush = ["SET LOCAL synchronous_commit TO OFF"] if connection.vendor == "postgresql" else []
        assert [sql.split(" (")[0] for sql in statements] == [*flush, 'INSERT INTO "forecasting_prediction"']

    def test_a_rolled_back_transaction_leaves_nothing_remembered(self, workspace, cache_kind):
        # Given v1 deployed and served
        v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        assert served(workspace) == v1.pk
        # When a deploy of v2 is read inside its transaction and then rolled back
        from django.db import transaction

        with pytest.raises(RuntimeError), transaction.atomic():
            model_version_deploy(version=v2)
            assert served(workspace) == v2.pk  # its own transaction sees it
            raise RuntimeError("changed my mind")
        # Then v1 serves (nothing of the rolled-back deploy was remembered or published)
        assert served(workspace) == v1.pk
        assert statuses(workspace) == {1: "deployed", 2: "candidate"}


@pytest.mark.django_db
class TestGenerationPublish:
    def test_the_newest_committed_generation_wins_whatever_the_order_of_the_publishes(
            self, workspace, settings, tmp_path):
        # Given a shared cache and a workspace at generation 6 in the database
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": str(tmp_path / "cache")}}
        ServingGeneration.objects.create(workspace=workspace, generation=6)
        # When the publish of generation 5 runs after that of 6
        generation.generation_publish(workspace_id=workspace.pk, generation=6)
        generation.generation_publish(workspace_id=workspace.pk, generation=5)
        # Then the cache holds 6
        assert caches["default"].get(generation.generation_cache_key(workspace.pk)) == 6

    def test_a_cold_cache_is_filled_from_the_database_outside_transactions_only(
            self, workspace, settings, tmp_path):
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": str(tmp_path / "cache")}}
        ServingGeneration.objects.create(workspace=workspace, generation=4)
        assert generation.generation_current(workspace_id=workspace.pk) == 4
        # (this test runs inside a transaction: what it read may roll back, so it is not shared)
        assert caches["default"].get(generation.generation_cache_key(workspace.pk)) is None

    def test_a_cache_that_fails_falls_back_to_the_database(self, workspace, settings, tmp_path, monkeypatch):
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                       "LOCATION": str(tmp_path / "cache")}}
        ServingGeneration.objects.create(workspace=workspace, generation=9)

        def down(*args, **kwargs):
            raise ConnectionError("cache down")

        monkeypatch.setattr(caches["default"], "get", down)
        assert generation.generation_current(workspace_id=workspace.pk) == 9


# --- automatic fallback ----------------------------------------------------------------------


@pytest.mark.django_db
class TestAutomaticFallback:
    def test_a_tampered_deployed_artifact_falls_back_to_the_previous_version(
            self, workspace, member, client_for, settings, django_capture_on_commit_callbacks):
        # Given v1 then v2 deployed, and v2's artifact tampered with
        v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace, algorithm="seasonal_naive")
        model_version_deploy(version=v1)
        model_version_deploy(version=v2)
        another_process()
        tamper(settings, v2)
        # When a forecast is asked
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(member).get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk})
        # Then v1 answers, and the log says so
        assert response.status_code == 200
        assert response.json()["model"]["id"] == v1.pk
        assert list(Prediction.objects.values_list("model_version_id", flat=True)) == [v1.pk]
        # And the registry records the automatic fallback; v2 is failed
        fallback = Deployment.objects.order_by("-created_at", "-id").first()
        assert (fallback.action, fallback.from_version_id, fallback.to_version_id, fallback.user) == (
            "auto_fallback", v2.pk, v1.pk, None)
        assert fallback.reason.startswith("v2 failed its integrity check (Artifact ")
        assert fallback.reason.endswith("; v1, the last intact version deployed before it, serves instead.")
        assert statuses(workspace) == {1: "deployed", 2: "failed"}
        # And staff are alerted once
        assert list(Alert.objects.values_list("kind", "severity", "model_version_id")) == [
            ("integrity", "critical", v2.pk)]
        # And another process serves v1 too
        another_process()
        assert served(workspace) == v1.pk

    def test_a_rollback_after_a_fallback_walks_further_back(self, workspace, settings):
        # Given v1, v2, v3 deployed in turn and v3 replaced by v2 after a tampering
        v1, v2, v3 = (fitted_version(workspace=workspace) for _ in range(3))
        for version in (v1, v2, v3):
            model_version_deploy(version=version)
        another_process()
        tamper(settings, v3)
        assert served(workspace) == v2.pk
        # When the target is rolled back
        deployment = model_version_rollback(workspace_id=workspace.pk, target="revenue")
        # Then v1 serves (the deploy that brought v2 in came from v1)
        assert (deployment.from_version_id, deployment.to_version_id) == (v2.pk, v1.pk)
        assert statuses(workspace) == {1: "deployed", 2: "retired", 3: "failed"}

    def test_broken_earlier_versions_are_skipped(self, workspace, settings):
        # Given v1, v2, v3 deployed in turn, v3 and v2 tampered with
        v1, v2, v3 = (fitted_version(workspace=workspace) for _ in range(3))
        for version in (v1, v2, v3):
            model_version_deploy(version=version)
        another_process()
        tamper(settings, v3)
        tamper(settings, v2)
        # When a forecast is asked, v1 answers
        assert served(workspace) == v1.pk
        assert statuses(workspace) == {1: "deployed", 2: "failed", 3: "failed"}
        assert sorted(Alert.objects.values_list("model_version_id", flat=True)) == [v2.pk, v3.pk]
        assert Deployment.objects.filter(action="auto_fallback").get().to_version_id == v1.pk

    def test_nothing_intact_left_is_503_and_nothing_is_deployed_instead(self, workspace, member, client_for,
                                                                        settings):
        # Given v1 then v2 deployed, both tampered with
        v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        model_version_deploy(version=v2)
        another_process()
        tamper(settings, v1)
        tamper(settings, v2)
        # When a forecast is asked
        response = client_for(member).get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk})
        # Then the answer is 503, naming why
        assert response.status_code == 503
        assert response.json() == {"detail": "Model revenue v2 failed its integrity check and was not loaded, and "
                                             "no earlier deployed version is intact; staff have been alerted."}
        # And no fallback was recorded and nothing was logged; both versions are alerted
        assert list(Deployment.objects.values_list("action", flat=True)) == ["deploy", "deploy"]
        assert statuses(workspace) == {1: "failed", 2: "deployed"}
        assert Prediction.objects.count() == 0
        assert sorted(Alert.objects.values_list("model_version_id", flat=True)) == [v1.pk, v2.pk]

    def test_a_missing_artifact_falls_back_too(self, workspace):
        from django.core.files.storage import default_storage

        v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        model_version_deploy(version=v2)
        another_process()
        default_storage.delete(v2.artifact_path)
        assert served(workspace) == v1.pk
        assert Deployment.objects.filter(action="auto_fallback", from_version=v2, to_version=v1).count() == 1

    def test_a_page_shows_the_version_fallen_back_to(self, workspace, settings):
        from django.utils import timezone

        from forecasting.serving.forecasts import deployed_forecasters, forecasts_read

        v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        model_version_deploy(version=v2)
        another_process()
        tamper(settings, v2)
        versions = deployed_forecasters(workspace=workspace, targets=["revenue"])
        result = forecasts_read(workspace=workspace, versions=versions, today=timezone.localdate())["revenue"]
        assert (result.ok, result.version.pk, result.output["model"]["id"]) == (True, v1.pk, v1.pk)


# --- rollouts: canary and shadow -----------------------------------------------------------


@pytest.mark.django_db
class TestCanary:
    @pytest.fixture
    def canary(self, workspace):
        champion = fitted_version(workspace=workspace)
        challenger = fitted_version(workspace=workspace, algorithm="seasonal_naive")
        model_version_deploy(version=champion)
        rollout = rollout_start(challenger=challenger, mode=Rollout.Mode.CANARY, share=0.2)
        return champion, challenger, rollout

    def test_twenty_percent_of_a_thousand_keys_get_the_challenger(self, workspace, canary):
        champion, challenger, rollout = canary
        # When 1,000 requests with distinct keys are answered
        answers = [served(workspace, key=f"customer-{i}") for i in range(1000)]
        # Then the challenger answered 20 ± 5 % of them (exactly this many: the hash is fixed)
        share = answers.count(challenger.pk) / len(answers)
        assert 0.15 <= share <= 0.25
        assert answers.count(challenger.pk) == sum(
            rollout_bucket(rollout_id=rollout.pk, key=f"customer-{i}") < 0.2 for i in range(1000))
        assert set(answers) == {champion.pk, challenger.pk}
        # And every answer is logged with the version that gave it, under the rollout
        logged = Prediction.objects.filter(rollout=rollout, shadow=False)
        assert logged.count() == 1000
        assert logged.filter(model_version=challenger).count() == answers.count(challenger.pk)

    def test_the_same_key_always_gets_the_same_version(self, workspace, canary):
        first = [served(workspace, key=f"k{i}") for i in range(100)]
        another_process()
        again = [served(workspace, key=f"k{i}") for i in range(100)]
        assert first == again

    def test_without_a_key_the_user_is_the_key(self, workspace, canary, member):
        champion, challenger, rollout = canary
        expected = challenger.pk if rollout_bucket(rollout_id=rollout.pk, key=f"user:{member.pk}") < 0.2 \
            else champion.pk
        assert {served(workspace, user=member) for _ in range(5)} == {expected}

    def test_the_api_says_which_role_answered(self, workspace, canary, member, client_for):
        champion, challenger, rollout = canary
        key = next(f"key-{i}" for i in range(1000) if rollout_bucket(rollout_id=rollout.pk, key=f"key-{i}") < 0.2)
        body = client_for(member).get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "key": key}).json()
        assert (body["model"]["id"], body["model"]["status"]) == (challenger.pk, "candidate")
        assert body["rollout"] == {"id": rollout.pk, "mode": "canary", "role": "challenger"}

    def test_a_tampered_challenger_aborts_the_canary_and_the_champion_answers(self, workspace, canary, settings):
        champion, challenger, rollout = canary
        another_process()
        tamper(settings, challenger)
        key = next(f"key-{i}" for i in range(1000) if rollout_bucket(rollout_id=rollout.pk, key=f"key-{i}") < 0.2)
        assert served(workspace, key=key) == champion.pk
        rollout.refresh_from_db()
        assert (rollout.status, rollout.end_reason.startswith("The challenger v2 failed its integrity check")) == (
            "aborted", True)
        assert Deployment.objects.order_by("-id").values_list("action", "from_version", "to_version")[0] == (
            "rollout_abort", challenger.pk, champion.pk)
        assert statuses(workspace) == {1: "deployed", 2: "candidate"}

    def test_pages_show_the_champion(self, workspace, canary):
        from forecasting.serving.forecasts import deployed_forecasters

        champion, _, _ = canary
        assert deployed_forecasters(workspace=workspace, targets=["revenue"])["revenue"].pk == champion.pk


@pytest.mark.django_db
class TestShadow:
    def test_the_champion_answers_and_both_are_logged(self, workspace, member):
        # Given v1 deployed and v2 in shadow for every request
        champion = fitted_version(workspace=workspace)
        challenger = fitted_version(workspace=workspace, algorithm="seasonal_naive")
        model_version_deploy(version=champion)
        rollout = rollout_start(challenger=challenger, mode=Rollout.Mode.SHADOW, share=1.0)
        # When a forecast is asked
        body = forecast_predict(workspace=workspace, target=REVENUE, periods=3, user=member)
        # Then the champion's answer is returned
        assert body["model"]["id"] == champion.pk
        assert body["rollout"] == {"id": rollout.pk, "mode": "shadow", "role": "champion"}
        # And both are logged under the rollout, the challenger's marked as shadow
        logged = {(p.model_version_id, p.shadow, p.rollout_id) for p in Prediction.objects.all()}
        assert logged == {(champion.pk, False, rollout.pk), (challenger.pk, True, rollout.pk)}
        assert str(Prediction.objects.get(shadow=False).pk) == body["prediction_id"]
        model = artifact_load(version_id=challenger.pk, path=challenger.artifact_path,
                              sha256=challenger.artifact_sha256)
        assert Prediction.objects.get(shadow=True).output == {
            "dates": ["2025-01-01", "2025-02-01", "2025-03-01"],
            "forecast": [round(float(v), 4) for v in model.predict(3).mean],
        }

    def test_a_shadow_that_fails_to_predict_costs_the_answer_nothing(self, workspace, monkeypatch):
        champion = fitted_version(workspace=workspace)
        challenger = fitted_version(workspace=workspace, algorithm="seasonal_naive")
        model_version_deploy(version=champion)
        rollout_start(challenger=challenger, mode=Rollout.Mode.SHADOW, share=1.0)
        real = deployed.artifact_load

        class Broken:
            def predict(self, periods):
                raise ValueError("boom")

        monkeypatch.setattr(deployed, "artifact_load",
                            lambda **kw: Broken() if kw["version_id"] == challenger.pk else real(**kw))
        assert served(workspace, key="anyone") == champion.pk
        assert list(Prediction.objects.values_list("model_version_id", "shadow")) == [(champion.pk, False)]


@pytest.mark.django_db
def test_nothing_deployed_has_no_route(workspace):
    fitted_version(workspace=workspace)
    assert serving_route(workspace_id=workspace.pk, target="revenue", frequency="M", key="k") is None
