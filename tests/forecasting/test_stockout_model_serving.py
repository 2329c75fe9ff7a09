"""The learned stockout model answering: the stockout API, the early warning and the
inventory page use its probabilities when one is deployed, the forecast distribution's
otherwise, and every answer says which."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from django.urls import reverse

from forecasting.inventory.stockout import stockout_alerts_raise, stockout_risks
from forecasting.inventory.stockout_history import (
    SIMULATED,
    PairHistory,
    SupplierTerms,
    samples_build,
    stock_simulate,
)
from forecasting.inventory.stockout_learning import PairNow, stockout_model_predict
from forecasting.inventory.stockout_model import stockout_model_fit
from forecasting.registry.artifacts import artifact_save
from forecasting.registry.models import ModelVersion
from forecasting.registry.services import model_version_deploy
from forecasting.serving.models import Prediction
from tests import factories as f
from tests.forecasting.stockout_books import synthetic_books
from tests.forecasting.test_pages import deployed

URL = "/api/v1/predictions/stockout/"
METRICS = {"brier": 0.1234, "brier_forecast_distribution": 0.2351, "brier_base_rate": 0.1876}


@functools.cache
def _classifier():
    """A stockout model fitted once on simulated histories of four products."""
    histories = []
    for i in range(4):
        rng = np.random.default_rng(i)
        demand = rng.poisson((3 + 4 * i) * rng.lognormal(0, 0.4, 360)).astype(float)
        terms = SupplierTerms(lead_time_mean=5, lead_time_std=2)
        stock, orders = stock_simulate(demand, terms, fill_rate=1.0, rng=rng)
        histories.append(PairHistory(key=(i, 0), demand=demand, stock=stock, orders=orders, supplier_orders=orders,
                                     terms=terms, source=SIMULATED))
    return stockout_model_fit(samples_build(histories))


def deploy_stockout_model(workspace) -> ModelVersion:
    artifact = artifact_save(obj=_classifier(), name=f"test/{workspace.pk}/stockout-1.pkl")
    version = ModelVersion.objects.create(
        workspace=workspace, target="stockout", kind="stockout", algorithm="xgboost_calibrated", version=1,
        metrics=METRICS, artifact_path=artifact.path, artifact_sha256=artifact.sha256, artifact_size=artifact.size,
    )
    model_version_deploy(version=version)
    version.refresh_from_db()
    return version


@pytest.fixture
def shop(workspace):
    return synthetic_books(workspace, pairs=3, days=200, on_hand=12)


@pytest.mark.django_db
class TestStockoutApi:
    def test_the_learned_model_answers_and_the_answer_names_it(self, workspace, member, client_for, shop):
        # Given a deployed stockout model
        version = deploy_stockout_model(workspace)
        # When a member asks for the stockout risk over 14 days
        response = client_for(member).post(URL, {"workspace": workspace.pk, "horizon_days": 14}, format="json")
        # Then the probabilities are the model's, labelled with its version
        assert response.status_code == 200
        body = response.json()
        assert (body["probability_source"], body["method"]) == ("model", "forecast_distribution")
        assert body["model"] == {"id": version.pk, "version": 1, "algorithm": "xgboost_calibrated",
                                 "trained_until": None, "brier": 0.1234, "brier_forecast_distribution": 0.2351}
        assert body["method_note"] == (
            "Probabilities from the workspace's learned stockout model (Calibrated XGBoost (stockout) v1, calibrated; "
            "backtest Brier score 0.123 against 0.235 for the forecast distribution); days of cover and lost sales "
            "from the demand forecast's distribution (normal over the window).")
        assert {(r["probability_source"], r["model_version"]) for r in body["results"]} == {("model", 1)}
        answer = stockout_model_predict(workspace=workspace, horizon_days=14, asks=[
            PairNow((r["product"]["id"], r["warehouse"]["id"]), r["on_hand"], r["lead_time_days"])
            for r in body["results"]])
        assert [(r["probability_lead_time"], r["probability_horizon"]) for r in body["results"]] == [
            (round(answer.risks[(r["product"]["id"], r["warehouse"]["id"])].lead_time, 4),
             round(answer.risks[(r["product"]["id"], r["warehouse"]["id"])].horizon, 4)) for r in body["results"]]
        # And the model's answer is in the prediction log beside the demand forecasts read
        logged = Prediction.objects.get(target="stockout")
        assert (logged.model_version_id, logged.request["horizon_days"], len(logged.output)) == (version.pk, 14, 3)

    def test_without_a_deployed_model_the_forecast_distribution_answers_and_says_so(
            self, workspace, other_workspace, member, client_for, shop):
        # Given a stockout model deployed in another workspace only
        deploy_stockout_model(other_workspace)
        body = client_for(member).post(URL, {"workspace": workspace.pk}, format="json").json()
        assert (body["probability_source"], body["model"]) == ("forecast_distribution", None)
        assert body["method_note"].startswith("From the demand forecast's distribution")
        assert {(r["probability_source"], r["model_version"]) for r in body["results"]} == {
            ("forecast_distribution", None)}
        assert not Prediction.objects.filter(target="stockout").exists()

    def test_another_workspace_or_its_product_is_still_404(self, workspace, other_workspace, member, outsider,
                                                          client_for, shop):
        deploy_stockout_model(workspace)
        theirs = f.ProductFactory(workspace=other_workspace, sku="THEIRS")
        mine = client_for(member).post(URL, {"workspace": workspace.pk, "product": theirs.pk}, format="json")
        assert (mine.status_code, mine.json()) == (404, {"detail": f"No product {theirs.pk} in this workspace."})
        assert client_for(outsider).post(URL, {"workspace": workspace.pk}, format="json").status_code == 404
        assert not Prediction.objects.filter(target="stockout").exists()

    def test_the_schema_documents_the_source_and_the_model(self, api_client):
        schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
        answer = schema["components"]["schemas"]["StockoutResponse"]["properties"]
        risk = schema["components"]["schemas"]["StockoutRisk"]["properties"]
        assert {"probability_source", "model", "method", "method_note"} <= set(answer)
        assert {"probability_source", "model_version"} <= set(risk)


@pytest.mark.django_db
class TestEarlyWarningAndPage:
    def test_an_alert_says_the_model_computed_it(self, workspace, shop, settings):
        settings.INVENTORY_STOCKOUT_ALERT_PROBABILITY = 0.01
        deploy_stockout_model(workspace)
        raised = stockout_alerts_raise(workspace=workspace).raised
        assert raised and {(a.data["probability_source"], a.data["model_version"]) for a in raised} == {("model", 1)}
        risks = {r.target: r for r in stockout_risks(workspace=workspace)}
        assert all(a.data["probability_lead_time"] == round(risks[a.target].probability_lead_time, 4) for a in raised)

    @pytest.mark.parametrize("with_model", [True, False])
    def test_the_inventory_page_labels_where_the_stockout_chance_comes_from(self, workspace, member, client, shop,
                                                                          with_model):
        # Given a total demand model (each product gets its share) and, or not, a stockout model
        deployed(workspace, "inventory", [9000.0] * 12)
        if with_model:
            deploy_stockout_model(workspace)
        client.force_login(member)
        response = client.get(reverse("finance:inventory"))
        demand = response.context["demand"]
        # Then each product's chance of a stockout is the model's (its riskiest warehouse) or the distribution's
        source = "model" if with_model else "forecast_distribution"
        assert len(demand) == 3
        assert {(d.stockout_source, d.stockout_model.version if d.stockout_model else None)
                for d in demand.values()} == {(source, 1 if with_model else None)}
        shown = [d for d in demand.values() if d.stockout_level != "low"]
        assert shown and response.content.decode().count(f'data-stockout-source="{source}"') == len(shown)
        assert not Prediction.objects.filter(target="stockout").exists()  # a page logs nothing
