"""Batch prediction: POST /api/v1/ml/predict/batch/ — many forecasts in one call, each
item answered by its forecast or its own error, logged in one insert."""

import pytest

from forecasting.monitoring.models import Alert
from forecasting.registry.artifacts import model_cache
from forecasting.serving.models import Prediction
from tests import factories as f
from tests.factories import fitted_version

URL = "/api/v1/ml/predict/batch/"


def post(client, body):
    return client.post(URL, body, format="json")


def without_log_fields(answer):
    """A forecast answer without what differs between two calls (its log row, the cache)."""
    return {k: v for k, v in answer.items() if k not in ("prediction_id", "cached", "index", "status")}


@pytest.fixture
def deployed(workspace):
    """Revenue (monthly) and one category's expense (weekly) deployed, and a candidate."""
    category = f.CategoryFactory(workspace=workspace, name="Flour")
    return {
        "revenue": fitted_version(workspace=workspace, status="deployed"),
        "flour": fitted_version(workspace=workspace, target=f"expense:category={category.pk}", status="deployed",
                                frequency="W", algorithm="seasonal_naive"),
        "candidate": fitted_version(workspace=workspace, algorithm="seasonal_naive"),
        "category": category,
    }


@pytest.mark.django_db
class TestBatchPrediction:
    def test_two_targets_are_answered_like_the_single_forecast_and_logged_in_one_insert(
            self, workspace, member, client_for, deployed, django_assert_num_queries):
        client = client_for(member)
        flour = deployed["category"].pk
        items = [
            {"target": "revenue", "periods": 3},
            {"target": "expense", "category": flour, "frequency": "W", "horizon": 2},
        ]
        # When a member asks for both forecasts in one call
        with django_assert_num_queries(3):  # the workspace, what serves it, the prediction log
            response = post(client, {"workspace": workspace.pk, "items": items})
        # Then each is the answer of GET /forecasts/{metric}/ for the same question, in order
        assert response.status_code == 200
        body = response.json()
        assert (body["workspace"], [(r["index"], r["status"]) for r in body["results"]]) == (
            workspace.pk, [(0, 200), (1, 200)])
        revenue, expense = body["results"]
        assert (revenue["model"]["id"], revenue["dates"], revenue["forecast"], revenue["cached"]) == (
            deployed["revenue"].pk, ["2025-01-01", "2025-02-01", "2025-03-01"], [285.0, 285.0, 285.0], False)
        assert (expense["target"], expense["frequency"], expense["model"]["id"], expense["dates"]) == (
            f"expense:category={flour}", "W", deployed["flour"].pk, ["2022-09-12", "2022-09-19"])
        single = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "periods": 3}).json()
        assert without_log_fields(revenue) == without_log_fields(single)
        assert single["cached"] is True  # the batch's answer was cached for it
        # And both answers are logged with what was asked, tied to their prediction ids
        logged = {str(p.pk): (p.model_version_id, p.target, p.request, p.user_id)
                  for p in Prediction.objects.all()}
        assert logged[revenue["prediction_id"]] == (
            deployed["revenue"].pk, "revenue", {"periods": 3, "frequency": "M", "model_type": None}, member.pk)
        assert logged[expense["prediction_id"]] == (
            deployed["flour"].pk, f"expense:category={flour}", {"periods": 2, "frequency": "W", "model_type": None},
            member.pk)
        assert len(logged) == 3

    def test_the_query_count_does_not_grow_with_the_items(self, workspace, member, client_for, deployed,
                                                          django_assert_num_queries):
        client = client_for(member)
        items = [{"target": "revenue", "periods": n} for n in range(1, 9)] + [
            {"target": "revenue", "model_type": "seasonal_naive"}, {"target": "expense", "frequency": "W"}]
        # the workspace, what serves it, the versions of the algorithm named, the log
        with django_assert_num_queries(4):
            response = post(client, {"workspace": workspace.pk, "items": items})
        assert [r["status"] for r in response.json()["results"]] == [200] * 9 + [404]
        with django_assert_num_queries(4):  # cached now: the same queries, no model loaded
            again = post(client, {"workspace": workspace.pk, "items": items})
        assert [r.get("cached") for r in again.json()["results"]] == [True] * 9 + [None]

    def test_model_type_is_answered_by_the_version_the_single_forecast_would_use(
            self, workspace, member, client_for, deployed):
        client = client_for(member)
        fitted_version(workspace=workspace, algorithm="seasonal_naive", status="failed")
        body = post(client, {"workspace": workspace.pk, "items": [
            {"target": "revenue", "model_type": "seasonal_naive"}, {"target": "revenue", "model_type": "naive"}]})
        single = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk, "model_type": "seasonal_naive"})
        assert [r["model"]["id"] for r in body.json()["results"]] == [deployed["candidate"].pk,
                                                                       deployed["revenue"].pk]
        assert single.json()["model"]["id"] == deployed["candidate"].pk

    def test_each_bad_item_gets_its_own_error_and_the_others_their_forecast(
            self, workspace, member, client_for, deployed):
        items = [
            {"target": "weather"},
            {"target": "revenue", "periods": 0},
            {"target": "fraud"},
            {"target": "revenue", "category": 3},
            {"target": "revenue", "periods": 2, "horizon": 3},
            {"target": "revenue", "periodz": 2},
            "revenue",
            {"target": "expense"},
            {"target": "revenue", "model_type": "lstm"},
            {"target": "revenue", "periods": 2},
        ]
        # When one call mixes invalid items, items no model answers and a good one
        response = post(client_for(member), {"workspace": workspace.pk, "items": items})
        # Then the call succeeds and each item is answered in its place
        assert response.status_code == 200
        results = response.json()["results"]
        assert [(r["index"], r["status"]) for r in results] == [
            (0, 400), (1, 400), (2, 400), (3, 400), (4, 400), (5, 400), (6, 400), (7, 404), (8, 404), (9, 200)]
        # And a 400 names the field and says what is wrong with it
        assert [list(r["errors"]) for r in results[:7]] == [
            ["target"], ["periods"], ["target"], ["target"], ["horizon"], ["periodz"], ["non_field_errors"]]
        assert results[0]["detail"] == ("target: Unknown target 'weather'; use one of: revenue, expense, inventory, "
                                        "categorizer, fraud, anomaly, stockout.")
        assert results[1]["detail"] == "periods: Ensure this value is greater than or equal to 1."
        assert results[2]["detail"] == "target: 'fraud' is not a forecast target."
        assert results[3]["detail"] == "target: 'revenue' cannot be filtered by category."
        assert results[5]["detail"] == "periodz: Unknown field."
        # And a 404 says which model is missing, as the single forecast would
        assert results[7] == {"index": 7, "status": 404, "detail": (
            "No monthly model (frequency=M) is deployed for expense in this workspace yet; train one at that "
            "frequency first.")}
        assert results[8]["detail"] == "No monthly lstm model has been trained for revenue in this workspace."
        # And only the answered item is logged
        assert list(Prediction.objects.values_list("model_version_id", flat=True)) == [deployed["revenue"].pk]

    def test_a_tampered_model_fails_its_items_only_with_an_alert(self, workspace, member, client_for, deployed,
                                                                 settings):
        model_cache.clear()
        with open(f"{settings.MEDIA_ROOT}/{deployed['flour'].artifact_path}", "r+b") as handle:
            handle.seek(10)
            handle.write(b"\x00\x01\x02")
        response = post(client_for(member), {"workspace": workspace.pk, "items": [
            {"target": f"expense:category={deployed['category'].pk}", "frequency": "W"}, {"target": "revenue"}]})
        assert [r["status"] for r in response.json()["results"]] == [503, 200]
        assert response.json()["results"][0]["detail"] == (
            f"Model expense:category={deployed['category'].pk} v1 failed its integrity check and was not loaded, and "
            "no earlier deployed version is intact; staff have been alerted.")
        assert Alert.objects.get().kind == "integrity"
        assert Prediction.objects.count() == 1

    def test_a_model_that_fails_to_predict_fails_its_item_only(self, workspace, member, client_for, deployed,
                                                               monkeypatch):
        from forecasting.serving import batch

        load = batch.served_model_load

        class Broken:
            def predict(self, periods):
                raise FloatingPointError("diverged")

        monkeypatch.setattr(batch, "served_model_load", lambda *, version, rollout: (
            (version, Broken()) if version.frequency == "W" else load(version=version, rollout=rollout)))
        response = post(client_for(member), {"workspace": workspace.pk, "items": [
            {"target": "revenue"}, {"target": f"expense:category={deployed['category'].pk}", "frequency": "W"}]})
        assert [r["status"] for r in response.json()["results"]] == [200, 500]
        assert response.json()["results"][1]["detail"] == (
            f"The seasonal_naive model could not forecast expense:category={deployed['category'].pk}.")
        assert Prediction.objects.count() == 1

    def test_a_tampered_deployed_model_falls_back_to_the_previous_version_like_the_single_forecast(
            self, workspace, member, client_for, deployed, settings):
        from forecasting.registry.models import Deployment
        from forecasting.registry.services import model_version_deploy

        # Given revenue v1 was deployed before the naive version now deployed, whose artifact is tampered
        newer = fitted_version(workspace=workspace, algorithm="naive")
        model_version_deploy(version=newer)
        model_cache.clear()
        with open(f"{settings.MEDIA_ROOT}/{newer.artifact_path}", "r+b") as handle:
            handle.seek(10)
            handle.write(b"\x00\x01\x02")
        # When a batch asks for revenue
        response = post(client_for(member), {"workspace": workspace.pk, "items": [{"target": "revenue"}]})
        # Then v1 answers, the fallback is recorded and alerted, and the log names v1
        [answer] = response.json()["results"]
        assert (answer["status"], answer["model"]["id"], answer["cached"]) == (200, deployed["revenue"].pk, False)
        fallback = Deployment.objects.filter(workspace=workspace).latest("id")
        assert (fallback.action, fallback.to_version_id) == ("auto_fallback", deployed["revenue"].pk)
        assert Alert.objects.get().kind == "integrity"
        assert list(Prediction.objects.values_list("model_version_id", flat=True)) == [deployed["revenue"].pk]

    def test_a_canary_routes_each_item_as_the_single_forecast_routes_the_same_user(
            self, workspace, member, client_for, deployed):
        from forecasting.registry.rollouts import rollout_start
        from forecasting.serving.deployed import rollout_bucket

        # Given a canary whose share takes in the member's key
        rollout = rollout_start(challenger=deployed["candidate"], mode="canary", share=0.5)
        rollout.share = min(0.99, rollout_bucket(rollout_id=rollout.pk, key=f"user:{member.pk}") + 0.005)
        rollout.save(update_fields=["share"])
        client = client_for(member)
        # When the member asks in a batch and alone
        [answer] = post(client, {"workspace": workspace.pk, "items": [{"target": "revenue"}]}).json()["results"]
        single = client.get("/api/v1/forecasts/revenue/", {"workspace": workspace.pk}).json()
        # Then both come from the challenger, say so, and are logged under the rollout
        assert (answer["model"]["id"], answer["rollout"]) == (
            deployed["candidate"].pk, {"id": rollout.pk, "mode": "canary", "role": "challenger"})
        assert (single["model"]["id"], single["rollout"]) == (answer["model"]["id"], answer["rollout"])
        assert list(Prediction.objects.values_list("rollout_id", "shadow")) == [(rollout.pk, False)] * 2

    def test_a_shadow_is_logged_beside_the_champion_and_never_returned(self, workspace, member, client_for,
                                                                       deployed):
        from forecasting.registry.rollouts import rollout_start

        # Given a shadow taking every request
        rollout = rollout_start(challenger=deployed["candidate"], mode="shadow", share=1.0)
        # When a member asks in a batch
        [answer] = post(client_for(member), {"workspace": workspace.pk, "items": [{"target": "revenue"}]}).json()[
            "results"]
        # Then the champion answers and both are logged, the shadow's flagged
        assert (answer["model"]["id"], answer["rollout"]["role"]) == (deployed["revenue"].pk, "champion")
        assert set(Prediction.objects.values_list("model_version_id", "rollout_id", "shadow")) == {
            (deployed["revenue"].pk, rollout.pk, False), (deployed["candidate"].pk, rollout.pk, True)}
        assert str(Prediction.objects.get(shadow=False).pk) == answer["prediction_id"]

    @pytest.mark.parametrize(("body", "field"), [
        ({"items": [{"target": "revenue"}]}, "workspace"),
        ({"workspace": "mine", "items": [{"target": "revenue"}]}, "workspace"),
        ({"workspace": None, "items": [{"target": "revenue"}]}, "workspace"),
        ({"workspace": "WS"}, "items"),
        ({"workspace": "WS", "items": []}, "items"),
        ({"workspace": "WS", "items": {"target": "revenue"}}, "items"),
        ({"workspace": "WS", "items": [{"target": "revenue"}] * 4}, "items"),
    ])
    def test_a_malformed_request_is_400_naming_the_field_and_writes_nothing(
            self, body, field, workspace, member, client_for, deployed, settings):
        settings.ML_BATCH_MAX_ITEMS = 3
        body = {k: workspace.pk if v == "WS" else v for k, v in body.items()}
        response = post(client_for(member), body)
        assert (response.status_code, list(response.json())) == (400, [field])
        assert Prediction.objects.count() == 0

    def test_the_item_limit_is_named_in_the_message(self, workspace, member, client_for, settings):
        settings.ML_BATCH_MAX_ITEMS = 2
        response = post(client_for(member), {"workspace": workspace.pk, "items": [{"target": "revenue"}] * 3})
        assert response.json() == {"items": ["At most 2 items in one batch; got 3."]}

    def test_another_workspace_is_404_and_writes_nothing(self, workspace, other_workspace, outsider, member,
                                                         client_for, deployed):
        fitted_version(workspace=other_workspace, status="deployed")
        response = post(client_for(outsider), {"workspace": workspace.pk, "items": [{"target": "revenue"}]})
        assert response.status_code == 404
        assert Prediction.objects.count() == 0
        assert post(client_for(member), {"workspace": 10**6, "items": [{"target": "revenue"}]}).status_code == 404

    def test_a_viewer_may_ask_and_an_anonymous_caller_may_not(self, workspace, viewer, client_for, api_client,
                                                              deployed):
        assert post(client_for(viewer), {"workspace": workspace.pk, "items": [{"target": "revenue"}]}).status_code == 200
        assert post(api_client, {"workspace": workspace.pk, "items": [{"target": "revenue"}]}).status_code in (401, 403)

    def test_the_schema_documents_the_operation_and_its_errors(self, api_client):
        schema = api_client.get("/api/schema/", {"format": "json"}).json()
        operation = schema["paths"][URL]["post"]
        assert {"200", "400", "404"} <= set(operation["responses"])
        assert list(operation["requestBody"]["content"]) == ["application/json"]
        request = schema["components"]["schemas"]["BatchPredictRequest"]
        assert set(request["required"]) == {"workspace", "items"}
        assert request["properties"]["items"]["items"]["$ref"].endswith("/BatchForecastItemRequest")
        results = schema["components"]["schemas"]["BatchPredictResponse"]["properties"]["results"]
        assert results["items"]["$ref"].endswith("/BatchPredictAnswer")
        answer = schema["components"]["schemas"]["BatchPredictAnswer"]
        assert {ref["$ref"].rsplit("/", 1)[1] for ref in answer["oneOf"]} == {"BatchForecastAnswer", "BatchItemError"}
