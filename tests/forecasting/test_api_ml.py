"""The ML API: model management, jobs, feedback, alerts, health and forecasts."""

import pytest

from finance.models import Membership
from forecasting.monitoring.alerts import alert_raise
from forecasting.monitoring.models import Alert
from forecasting.registry.artifacts import model_cache
from forecasting.registry.models import Deployment, ModelVersion
from forecasting.serving.models import Feedback, Prediction
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.factories import fitted_version


@pytest.fixture
def manager(workspace):
    return f.MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user


def statuses(workspace):
    return dict(ModelVersion.objects.filter(workspace=workspace).values_list("version", "status"))


@pytest.mark.django_db
class TestModelsApi:
    def test_list_is_scoped_and_filterable(self, workspace, other_workspace, member, client_for):
        mine = fitted_version(workspace=workspace, algorithm="naive")
        fitted_version(workspace=workspace, algorithm="seasonal_naive")
        fitted_version(workspace=other_workspace)
        client = client_for(member)
        response = client.get("/api/v1/ml/models/", {"algorithm": "naive"})
        assert response.status_code == 200
        assert [m["id"] for m in response.json()["results"]] == [mine.pk]
        assert client.get("/api/v1/ml/models/").json()["count"] == 2

    def test_detail_has_metrics_lineage_and_history(self, workspace, manager, client_for):
        v1 = fitted_version(workspace=workspace)
        client = client_for(manager)
        assert client.post(f"/api/v1/ml/models/{v1.pk}/deploy/", {"reason": "go"}).status_code == 200
        body = client.get(f"/api/v1/ml/models/{v1.pk}/").json()
        assert body["metrics"] == {"mae": 10.0, "rmse": 12.0}
        assert body["lineage"]["artifact_sha256"] == v1.artifact_sha256
        assert body["lineage"]["data_hash"] == "d" * 64
        assert [(d["action"], d["to_version_number"], d["reason"], d["user"]) for d in body["deployment_history"]] == [
            ("deploy", 1, "go", manager.username)
        ]

    def test_manager_deploys_and_rolls_back(self, workspace, manager, client_for):
        v1 = fitted_version(workspace=workspace)
        v2 = fitted_version(workspace=workspace)
        client = client_for(manager)
        client.post(f"/api/v1/ml/models/{v1.pk}/deploy/")
        response = client.post(f"/api/v1/ml/models/{v2.pk}/deploy/", {"reason": "newer"})
        assert response.status_code == 200
        assert (response.json()["from_version"], response.json()["to_version"]) == (v1.pk, v2.pk)
        response = client.post("/api/v1/ml/rollback/", {"workspace": workspace.pk, "target": "revenue"})
        assert response.status_code == 200
        assert statuses(workspace) == {1: "deployed", 2: "retired"}

    def test_manager_rolls_back_the_weekly_model_and_the_monthly_one_stays(self, workspace, manager, client_for):
        # Given a monthly model deployed and two weekly deploys after it
        monthly = fitted_version(workspace=workspace)
        w1, w2 = fitted_version(workspace=workspace, frequency="W"), fitted_version(workspace=workspace, frequency="W")
        client = client_for(manager)
        for version in (monthly, w1, w2):
            assert client.post(f"/api/v1/ml/models/{version.pk}/deploy/").status_code == 200
        # When the weekly model is rolled back
        response = client.post("/api/v1/ml/rollback/", {"workspace": workspace.pk, "target": "revenue",
                                                        "frequency": "W"})
        # Then the first weekly one serves again beside the monthly one
        assert response.status_code == 200
        assert (response.json()["from_version"], response.json()["to_version"]) == (w2.pk, w1.pk)
        assert statuses(workspace) == {1: "deployed", 2: "deployed", 3: "retired"}

    @pytest.mark.parametrize("role", [Membership.Role.MEMBER, Membership.Role.VIEWER])
    def test_without_manager_role_nothing_changes(self, role, workspace, client_for):
        user = f.MembershipFactory(workspace=workspace, role=role).user
        v1 = fitted_version(workspace=workspace, status="deployed")
        v2 = fitted_version(workspace=workspace)
        client = client_for(user)
        assert client.post(f"/api/v1/ml/models/{v2.pk}/deploy/").status_code == 403
        assert client.post("/api/v1/ml/rollback/", {"workspace": workspace.pk, "target": "revenue"}).status_code == 403
        assert client.post(f"/api/v1/ml/models/{v2.pk}/retrain/").status_code == 403
        assert client.delete(f"/api/v1/ml/models/{v2.pk}/").status_code == 403
        assert client.post("/api/v1/ml/train/", {"workspace": workspace.pk, "target": "revenue"}).status_code == 403
        assert statuses(workspace) == {1: "deployed", 2: "candidate"}
        assert (Deployment.objects.count(), TrainingJob.objects.count()) == (0, 0)
        assert v1.pk and client.get(f"/api/v1/ml/models/{v1.pk}/").status_code == 200

    def test_another_workspace_model_is_404(self, workspace, other_workspace, manager, client_for):
        theirs = fitted_version(workspace=other_workspace)
        client = client_for(manager)
        for method, url in [
            ("get", f"/api/v1/ml/models/{theirs.pk}/"),
            ("post", f"/api/v1/ml/models/{theirs.pk}/deploy/"),
            ("post", f"/api/v1/ml/models/{theirs.pk}/retrain/"),
            ("get", f"/api/v1/ml/models/{theirs.pk}/performance/"),
            ("delete", f"/api/v1/ml/models/{theirs.pk}/"),
        ]:
            assert getattr(client, method)(url).status_code == 404, url
        assert statuses(other_workspace) == {1: "candidate"}
        assert TrainingJob.objects.count() == 0
        response = client.post("/api/v1/ml/rollback/", {"workspace": other_workspace.pk, "target": "revenue"})
        assert response.status_code == 400
        assert "workspace" in response.json()

    def test_deleting_the_deployed_version_is_refused(self, workspace, manager, client_for):
        v1 = fitted_version(workspace=workspace, status="deployed")
        response = client_for(manager).delete(f"/api/v1/ml/models/{v1.pk}/")
        assert response.status_code == 409
        assert response.json() == {"detail": "The deployed version cannot be deleted; deploy another version first."}
        assert statuses(workspace) == {1: "deployed"}

    def test_deleting_a_candidate(self, workspace, manager, client_for):
        v1 = fitted_version(workspace=workspace)
        assert client_for(manager).delete(f"/api/v1/ml/models/{v1.pk}/").status_code == 204
        assert statuses(workspace) == {}

    def test_deploying_twice_is_409_and_writes_nothing(self, workspace, manager, client_for):
        v1 = fitted_version(workspace=workspace, status="deployed")
        response = client_for(manager).post(f"/api/v1/ml/models/{v1.pk}/deploy/")
        assert response.status_code == 409
        assert Deployment.objects.count() == 0

    def test_rollback_bad_input(self, workspace, manager, client_for):
        client = client_for(manager)
        assert client.post("/api/v1/ml/rollback/", {"workspace": workspace.pk, "target": "weather"}).status_code == 400
        response = client.post("/api/v1/ml/rollback/", {"workspace": workspace.pk, "target": "revenue"})
        assert response.status_code == 409
        assert response.json() == {"detail": "Nothing is deployed for revenue; there is nothing to roll back."}
        assert Deployment.objects.count() == 0

    def test_models_are_not_created_or_edited_through_the_api(self, workspace, manager, client_for):
        v1 = fitted_version(workspace=workspace)
        client = client_for(manager)
        assert client.post("/api/v1/ml/models/", {"workspace": workspace.pk}).status_code == 404
        assert client.patch(f"/api/v1/ml/models/{v1.pk}/", {"status": "deployed"}).status_code == 405
        assert statuses(workspace) == {1: "candidate"}

    def test_performance_lists_snapshots(self, workspace, member, client_for):
        v1 = fitted_version(workspace=workspace)
        body = client_for(member).get(f"/api/v1/ml/models/{v1.pk}/performance/").json()
        assert body == {"model_version": v1.pk, "backtest_metrics": {"mae": 10.0, "rmse": 12.0}, "snapshots": []}


@pytest.mark.django_db
class TestTrainApi:
    def test_train_queues_a_job(self, workspace, manager, client_for, django_capture_on_commit_callbacks, monkeypatch):
        sent = []
        monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: sent.append(job_id))
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(manager).post(
                "/api/v1/ml/train/",
                {"workspace": workspace.pk, "target": "expense", "algorithms": ["naive", "ets"], "frequency": "W"},
                format="json",
            )
        assert response.status_code == 202
        job = TrainingJob.objects.get()
        assert (job.target, job.algorithms, job.params, job.status, job.requested_by) == (
            "expense", ["naive", "ets"], {"frequency": "W", "horizon": 12}, "queued", manager,
        )
        assert sent == [job.pk]
        assert client_for(manager).get(f"/api/v1/ml/jobs/{job.pk}/").json()["status"] == "queued"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"target": "weather"}, "target"),
            ({"target": "revenue:category=3"}, "target"),
            ({"target": "revenue", "algorithms": ["magic"]}, "algorithms"),
            ({"target": "revenue", "frequency": "Y"}, "frequency"),
            ({"target": "revenue", "horizon": 0}, "horizon"),
            ({"target": "revenue", "horizon": "soon"}, "horizon"),
        ],
    )
    def test_bad_input_is_400_and_queues_nothing(self, body, field, workspace, manager, client_for):
        response = client_for(manager).post("/api/v1/ml/train/", {"workspace": workspace.pk} | body, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert TrainingJob.objects.count() == 0

    def test_another_workspace_is_400_and_their_jobs_404(self, workspace, other_workspace, manager, client_for):
        response = client_for(manager).post("/api/v1/ml/train/", {"workspace": other_workspace.pk, "target": "revenue"})
        assert response.status_code == 400
        theirs = TrainingJob.objects.create(workspace=other_workspace, target="revenue")
        assert client_for(manager).get(f"/api/v1/ml/jobs/{theirs.pk}/").status_code == 404
        assert TrainingJob.objects.count() == 1


@pytest.mark.django_db
class TestFeedbackAndAlertsApi:
    def test_actual_outcome_feedback(self, workspace, member, client_for):
        v1 = fitted_version(workspace=workspace)
        response = client_for(member).post(
            "/api/v1/ml/feedback/",
            {"workspace": workspace.pk, "kind": "actual", "model_version": v1.pk, "actual": {"2025-01-01": 1234.5}},
            format="json",
        )
        assert response.status_code == 201
        feedback = Feedback.objects.get()
        assert (feedback.target, feedback.actual, feedback.user) == ("revenue", {"2025-01-01": 1234.5}, member)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"kind": "actual"}, "actual"),
            ({"kind": "correction", "actual": 3}, "transaction"),
            ({"kind": "guess", "actual": 1}, "kind"),
            ({"kind": "actual", "actual": 1, "model_version": None}, "non_field_errors"),
        ],
    )
    def test_bad_feedback_is_400(self, body, field, workspace, member, client_for):
        v1 = fitted_version(workspace=workspace)
        payload = {"workspace": workspace.pk, "model_version": v1.pk} | body
        response = client_for(member).post("/api/v1/ml/feedback/", payload, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert Feedback.objects.count() == 0

    def test_feedback_on_another_workspace_model_is_400(self, workspace, other_workspace, member, client_for):
        theirs = fitted_version(workspace=other_workspace)
        response = client_for(member).post(
            "/api/v1/ml/feedback/",
            {"workspace": workspace.pk, "kind": "actual", "model_version": theirs.pk, "actual": 1}, format="json",
        )
        assert response.status_code == 400
        assert "model_version" in response.json()
        assert Feedback.objects.count() == 0

    def test_viewer_cannot_give_feedback(self, workspace, viewer, client_for):
        v1 = fitted_version(workspace=workspace)
        response = client_for(viewer).post(
            "/api/v1/ml/feedback/", {"workspace": workspace.pk, "kind": "actual", "model_version": v1.pk, "actual": 1},
            format="json",
        )
        assert response.status_code == 403
        assert Feedback.objects.count() == 0

    def test_alerts_are_scoped_and_acknowledged(self, workspace, other_workspace, member, client_for):
        mine = alert_raise(workspace=workspace, kind="drift", message="drifted")
        theirs = alert_raise(workspace=other_workspace, kind="drift", message="theirs")
        client = client_for(member)
        assert [a["id"] for a in client.get("/api/v1/ml/alerts/", {"open": "true"}).json()["results"]] == [mine.pk]
        assert client.post(f"/api/v1/ml/alerts/{theirs.pk}/acknowledge/").status_code == 404
        response = client.post(f"/api/v1/ml/alerts/{mine.pk}/acknowledge/")
        assert response.status_code == 200
        assert response.json()["acknowledged_by"] == member.username
        assert client.get("/api/v1/ml/alerts/", {"open": "true"}).json()["results"] == []
        theirs.refresh_from_db()
        assert theirs.acknowledged_at is None

    def test_health_reports_every_component(self, member, client_for):
        response = client_for(member).get("/api/v1/ml/health/")
        assert response.status_code == 200
        body = response.json()
        assert body["healthy"] is True
        assert set(body["components"]) == {"database", "broker", "cache", "model_store"}
        assert all(c["ok"] for c in body["components"].values())

    def test_health_is_503_when_a_component_fails(self, member, client_for, monkeypatch):
        from forecasting.monitoring import health

        def broken():
            raise ConnectionError("broker unreachable")

        monkeypatch.setitem(health.CHECKS, "broker", broken)
        response = client_for(member).get("/api/v1/ml/health/")
        assert response.status_code == 503
        assert response.json()["components"]["broker"]["error"] == "ConnectionError: broker unreachable"


@pytest.mark.django_db
class TestForecastApi:
    def test_forecast_from_the_deployed_model_then_from_cache(self, workspace, member, client_for):
        version = fitted_version(workspace=workspace, status="deployed")
        client = client_for(member)
        first = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "periods": 3})
        assert first.status_code == 200
        body = first.json()
        assert body["dates"] == ["2025-01-01", "2025-02-01", "2025-03-01"]
        assert body["forecast"] == [285.0, 285.0, 285.0]  # naive: the last value, 100 + 5·35 + 10 (December)
        assert all(lo <= m <= hi for lo, m, hi in zip(body["lo95"], body["forecast"], body["hi95"], strict=True))
        assert all(a <= b for a, b in zip(body["lo95"], body["lo80"], strict=True))
        assert body["model"]["id"] == version.pk
        assert body["model"]["backtest_metrics"] == {"mae": 10.0, "rmse": 12.0}
        assert body["cached"] is False
        second = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "periods": 3}).json()
        assert second["cached"] is True
        assert second["forecast"] == body["forecast"]
        assert Prediction.objects.count() == 2

    def test_deploy_invalidates_the_cache(self, workspace, member, client_for, django_capture_on_commit_callbacks):
        fitted_version(workspace=workspace, status="deployed")
        v2 = fitted_version(workspace=workspace, algorithm="seasonal_naive")
        client = client_for(member)
        client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk})
        from forecasting.registry.services import model_version_deploy

        with django_capture_on_commit_callbacks(execute=True):
            model_version_deploy(version=v2)
        body = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk}).json()
        assert (body["cached"], body["model"]["algorithm"]) == (False, "seasonal_naive")

    def test_model_type_picks_that_algorithm(self, workspace, member, client_for):
        fitted_version(workspace=workspace, status="deployed")
        v2 = fitted_version(workspace=workspace, algorithm="seasonal_naive")
        body = client_for(member).get(
            "/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "model_type": "seasonal_naive"}
        ).json()
        assert body["model"]["id"] == v2.pk

    def test_tampered_artifact_is_503_with_alert_and_no_prediction(self, workspace, member, client_for, settings):
        version = fitted_version(workspace=workspace, status="deployed")
        model_cache.clear()
        with open(f"{settings.MEDIA_ROOT}/{version.artifact_path}", "r+b") as handle:
            handle.seek(10)
            handle.write(b"\x00\x01\x02")
        response = client_for(member).get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk})
        assert response.status_code == 503
        assert response.json() == {"detail": "Model revenue v1 failed its integrity check and was not loaded, and "
                                             "no earlier deployed version is intact; staff have been alerted."}
        assert Alert.objects.get().kind == "integrity"
        assert Prediction.objects.count() == 0

    @pytest.mark.parametrize(
        ("metric", "params", "status"),
        [
            ("weather", {}, 400),
            ("revenue", {"periods": 0}, 400),
            ("revenue", {"periods": "many"}, 400),
            ("revenue", {"category": 3}, 400),
            ("inventory", {"warehouse": 2}, 400),
            ("revenue", {"model_type": "lstm"}, 404),
        ],
    )
    def test_bad_queries(self, metric, params, status, workspace, member, client_for):
        fitted_version(workspace=workspace, status="deployed")
        response = client_for(member).get(f"/api/v1/forecasts/{metric}/", {"workspace": workspace.pk} | params)
        assert response.status_code == status
        assert "detail" in response.json() or response.status_code == 400
        assert Prediction.objects.count() == 0

    def test_no_deployed_model_is_404_with_a_message(self, workspace, member, client_for):
        response = client_for(member).get("/api/v1/forecasts/expense/", {"workspace": workspace.pk})
        assert response.status_code == 404
        assert response.json() == {"detail": "No monthly model (frequency=M) is deployed for expense in this "
                                             "workspace yet; train one at that frequency first."}

    def test_frequency_is_answered_by_the_deployed_model_of_that_frequency(self, workspace, member, client_for):
        # Given revenue with a monthly and a weekly model deployed
        monthly = fitted_version(workspace=workspace, status="deployed")
        weekly = fitted_version(workspace=workspace, status="deployed", frequency="W", algorithm="seasonal_naive")
        client = client_for(member)
        # When a client asks for two weeks, then for the default (monthly) forecast of as many periods
        week = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "periods": 2, "frequency": "W"})
        month = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "periods": 2})
        again = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "periods": 2, "frequency": "W"})
        # Then each is answered by the model of its frequency, on that frequency's dates
        assert (week.status_code, month.status_code) == (200, 200)
        assert (week.json()["model"]["id"], week.json()["frequency"], week.json()["dates"]) == (
            weekly.pk, "W", ["2022-09-12", "2022-09-19"])
        assert (month.json()["model"]["id"], month.json()["frequency"], month.json()["dates"]) == (
            monthly.pk, "M", ["2025-01-01", "2025-02-01"])
        # And each answer is cached and logged under its own frequency
        assert (again.json()["model"]["id"], again.json()["cached"]) == (weekly.pk, True)
        assert list(Prediction.objects.order_by("created_at").values_list("model_version_id", "request")) == [
            (weekly.pk, {"periods": 2, "frequency": "W", "model_type": None}),
            (monthly.pk, {"periods": 2, "frequency": "M", "model_type": None}),
            (weekly.pk, {"periods": 2, "frequency": "W", "model_type": None}),
        ]

    def test_model_type_picks_that_algorithm_at_the_asked_frequency(self, workspace, member, client_for):
        fitted_version(workspace=workspace, status="deployed", algorithm="seasonal_naive")
        weekly = fitted_version(workspace=workspace, frequency="W", algorithm="seasonal_naive")
        body = client_for(member).get(
            "/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "model_type": "seasonal_naive", "frequency": "W"}
        ).json()
        assert body["model"]["id"] == weekly.pk

    def test_a_frequency_without_a_deployed_model_is_404_naming_it(self, workspace, member, client_for):
        # Given only a monthly model deployed (and a weekly candidate)
        fitted_version(workspace=workspace, status="deployed")
        fitted_version(workspace=workspace, frequency="W")
        client = client_for(member)
        # When a client asks for the weekly and the daily forecasts
        weekly = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "frequency": "W"})
        daily = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "frequency": "D"})
        # Then both are 404 with the frequency named, and nothing is logged
        assert (weekly.status_code, daily.status_code) == (404, 404)
        assert weekly.json() == {"detail": "No weekly model (frequency=W) is deployed for revenue in this "
                                           "workspace yet; train one at that frequency first."}
        assert daily.json() == {"detail": "No daily model (frequency=D) is deployed for revenue in this "
                                          "workspace yet; train one at that frequency first."}
        assert Prediction.objects.count() == 0

    def test_an_unknown_frequency_is_400(self, workspace, member, client_for):
        fitted_version(workspace=workspace, status="deployed")
        response = client_for(member).get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "frequency": "Y"})
        assert response.status_code == 400
        assert response.json() == {"frequency": ['"Y" is not a valid choice.']}
        assert Prediction.objects.count() == 0

    def test_another_workspace_is_404(self, other_workspace, member, client_for):
        fitted_version(workspace=other_workspace, status="deployed")
        response = client_for(member).get("/api/v1/forecasts/revenue/", {"workspace": other_workspace.pk})
        assert response.status_code == 404
        assert Prediction.objects.count() == 0
