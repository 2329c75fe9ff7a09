"""Demand models that learned from their drivers, served with them, and
``POST /api/v1/predictions/demand/`` with planned promotions and prices (issue 18)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from finance.models import Sale
from forecasting.registry.models import ModelVersion
from forecasting.series.drivers import DrivenForecaster, DriverPlan, PlannedPrice
from forecasting.serving.models import Prediction
from forecasting.serving.predictions import model_version_load
from forecasting.training.jobs import training_job_create, training_job_run
from tests import factories as f

URL = "/api/v1/predictions/demand/"
DAYS = 120


def today() -> dt.date:
    return timezone.localdate()


def ahead(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def shop(workspace):
    """A croissant sold at one warehouse for 120 days up to yesterday: 10 a day, 25 on a
    promotion day (a quarter of the days, at random), at 2.00."""
    product = f.ProductFactory(workspace=workspace, sku="CRO", name="Croissant")
    warehouse = f.WarehouseFactory(workspace=workspace, code="N")
    start = today() - dt.timedelta(days=DAYS)
    promoted = (np.random.default_rng(4).random(DAYS) < 0.25).tolist()
    Sale.objects.bulk_create(
        Sale(workspace=workspace, product=product, warehouse=warehouse, date=start + dt.timedelta(days=i),
             quantity=25 if p else 10, unit_price=Decimal("2.00"), on_promotion=p)
        for i, p in enumerate(promoted)
    )
    return product, warehouse


def train(workspace, target: str, algorithms: list[str]):
    job = training_job_create(workspace=workspace, target=target, algorithms=algorithms, frequency="D",
                              horizon=7, enqueue=False)
    return training_job_run(job_id=job.pk)


@pytest.fixture
def driven(workspace, shop):
    """The croissant's own daily demand model, LightGBM against naive (LightGBM wins with the drivers)."""
    product, warehouse = shop
    job = train(workspace, f"inventory:product={product.pk}:warehouse={warehouse.pk}", ["lightgbm", "naive"])
    assert job.status == "succeeded"
    return job.winner


@pytest.mark.django_db
class TestTrainingWithDrivers:
    def test_the_winner_learned_the_promotions_and_is_stored_with_its_drivers(self, workspace, driven):
        # Then the deployed LightGBM says which drivers it learned from, and its artifact holds them
        assert (driven.algorithm, driven.status, driven.drivers) == ("lightgbm", "deployed", ["promotion", "price"])
        model = model_version_load(version=driven)
        assert isinstance(model, DrivenForecaster)
        assert model.last_date == today() - dt.timedelta(days=1)
        # And a forecast without a plan (every serving path) assumes no promotion at the last price
        np.testing.assert_allclose(model.predict(3).mean, [10, 10, 10], atol=2.5)
        # And the naive candidate, which takes no drivers, is stored as it is
        naive = ModelVersion.objects.get(workspace=workspace, algorithm="naive")
        assert naive.drivers == [] and not isinstance(model_version_load(version=naive), DrivenForecaster)

    def test_a_retrain_compares_the_champion_with_its_drivers(self, workspace, shop, driven):
        product, warehouse = shop
        second = train(workspace, f"inventory:product={product.pk}:warehouse={warehouse.pk}", ["naive"])
        # The champion was backtested again on the same windows with the drivers: it keeps its place
        assert "did not beat champion" in second.decision and "lightgbm" in second.decision
        driven.refresh_from_db()
        assert driven.status == "deployed"

    def test_a_revenue_model_has_no_drivers(self, workspace):
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("5"),
                             date=today() - dt.timedelta(days=400))
        for months in range(1, 14):
            f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal(100 + months),
                                 date=today() - dt.timedelta(days=30 * months))
        job = train(workspace, "revenue", ["naive"])
        assert job.winner.drivers == []


class TestDriverPlan:
    def test_weekly_periods_take_the_share_of_promotion_days_and_the_mean_price(self):
        monday = dt.date(2025, 1, 6)
        plan = DriverPlan(promotions=[(dt.date(2025, 1, 10), dt.date(2025, 1, 14))],
                          prices=[PlannedPrice(dt.date(2025, 1, 1), dt.date(2025, 1, 7), 3.0),
                                  PlannedPrice(dt.date(2025, 1, 7), dt.date(2025, 1, 7), 10.0)])
        promotion, price = plan.per_period([monday, monday + dt.timedelta(days=7)], "W", last_price=2.0)
        # 10-12 Jan of the first week, 13-14 Jan of the second; prices 3 on Mon, 10 on Tue, 2 after
        assert promotion.tolist() == [3 / 7, 2 / 7]
        assert price.tolist() == pytest.approx([(3 + 10 + 2 * 5) / 7, 2.0])


@pytest.mark.django_db
class TestDemandPredictionAPI:
    def body(self, workspace, product, warehouse=None, **extra):
        return {"workspace": workspace.pk, "product": product.pk, "horizon": 7, "granularity": "D",
                **({"warehouse": warehouse.pk} if warehouse else {}), **extra}

    def test_planned_promotions_move_the_forecast_of_a_model_with_drivers(
            self, workspace, viewer, client_for, shop, driven):
        product, warehouse = shop
        # When a viewer plans a promotion tomorrow and the day after next but one
        response = client_for(viewer).post(URL, self.body(
            workspace, product, warehouse, promotions=[{"start": ahead(1), "end": ahead(1)},
                                                       {"start": ahead(3), "end": ahead(3)}]), format="json")
        # Then seven days from today come back, near 25 on the promotion days and 10 on the others
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["dates"] == [ahead(i) for i in range(7)]
        np.testing.assert_allclose(body["forecast"], [10, 25, 10, 25, 10, 10, 10], atol=2.5)
        assert all(lo <= mid <= hi for lo, mid, hi in zip(body["lo80"], body["forecast"], body["hi80"], strict=True))
        # And the answer names the model, its backtest and drivers, and that the plan applied
        assert (body["source"], body["share"], body["plan_applied"], body["unit"]) == (
            "model", None, True, "units")
        assert body["model"]["id"] == driven.pk and body["model"]["drivers"] == ["promotion", "price"]
        assert body["model"]["backtest_metrics"]["mae"] == driven.metrics["mae"]
        assert (body["product"]["sku"], body["warehouse"]["code"], body["first_period_partial"]) == ("CRO", "N", False)
        # And the prediction is logged with the plan
        logged = Prediction.objects.get(pk=body["prediction_id"])
        assert logged.request["plan"]["promotions"] == [{"start": ahead(1), "end": ahead(1)},
                                                        {"start": ahead(3), "end": ahead(3)}]

    def test_without_a_plan_no_promotion_is_assumed(self, workspace, owner, client_for, shop, driven):
        product, warehouse = shop
        body = client_for(owner).post(URL, self.body(workspace, product, warehouse), format="json").json()
        np.testing.assert_allclose(body["forecast"], [10] * 7, atol=2.5)
        assert body["plan_applied"] is False
        assert body["plan_note"] == ("Forecast with no promotion and the last price and the drivers the model "
                                     "learned from (promotion, price).")

    def test_the_product_model_times_the_warehouse_share_when_the_pair_has_none(
            self, workspace, owner, client_for):
        # Given a bun sold 3 a day at N and 1 a day at S for 120 days, and only the bun's naive model
        bun = f.ProductFactory(workspace=workspace)
        north, south = f.WarehouseFactory(workspace=workspace), f.WarehouseFactory(workspace=workspace)
        start = today() - dt.timedelta(days=DAYS)
        Sale.objects.bulk_create(
            Sale(workspace=workspace, product=bun, warehouse=w, date=start + dt.timedelta(days=i), quantity=q,
                 unit_price=Decimal("1.00"))
            for i in range(DAYS) for w, q in ((north, 3), (south, 1)))
        assert train(workspace, f"inventory:product={bun.pk}", ["naive"]).winner.algorithm == "naive"
        # When S's demand is asked with a price plan
        response = client_for(owner).post(URL, self.body(
            workspace, bun, south, prices=[{"start": ahead(0), "end": ahead(6), "price": "0.50"}]), format="json")
        # Then the product's 4 a day × S's quarter of the sales answers, and the plan could not apply
        body = response.json()
        assert (body["source"], body["share"], body["forecast"]) == ("product", 0.25, [1.0] * 7)
        assert body["plan_applied"] is False
        assert body["plan_note"].startswith("The deployed model (naive) did not learn from promotions or prices")

    def test_the_total_model_times_the_products_share_when_it_has_no_model(self, workspace, owner, client_for, shop):
        # Given the croissant (1,635 units in the last 90 days at N) and a bun selling 5 a day at N,
        # and only the workspace's total daily model (naive)
        product, warehouse = shop
        bun = f.ProductFactory(workspace=workspace)
        start = today() - dt.timedelta(days=DAYS)
        Sale.objects.bulk_create(Sale(workspace=workspace, product=bun, warehouse=warehouse,
                                      date=start + dt.timedelta(days=i), quantity=5, unit_price=Decimal("1.00"))
                                 for i in range(DAYS))
        assert train(workspace, "inventory", ["naive"]).winner.algorithm == "naive"
        sold = sum(Sale.objects.filter(product=product, date__gte=today() - dt.timedelta(days=90))
                   .values_list("quantity", flat=True))
        # When the croissant's demand at N is asked with a promotion planned
        body = client_for(owner).post(URL, self.body(workspace, product, warehouse, promotions=[
            {"start": ahead(1), "end": ahead(1)}]), format="json").json()
        # Then the total model answers × the croissant's share of the 90 days' units, without the plan
        share = sold / (sold + 5 * 90)
        last_day = Sale.objects.filter(date=today() - dt.timedelta(days=1))
        total = sum(last_day.values_list("quantity", flat=True))  # naive: yesterday's total
        assert (body["source"], body["share"], body["plan_applied"]) == ("share", round(share, 4), False)
        assert body["forecast"] == pytest.approx([total * share] * 7, abs=1e-3)
        assert body["plan_note"].startswith("The workspace's total demand model answered")

    @pytest.mark.parametrize(("extra", "errors"), [
        ({"horizon": 0}, {"horizon": ["Ensure this value is greater than or equal to 1."]}),
        ({"granularity": "X"}, {"granularity": ['"X" is not a valid choice.']}),
        ({"promotion": []}, {"promotion": ["Unknown field."]}),
        ({"promotions": [{"start": "2030-01-05", "end": "2030-01-01"}]},
         {"promotions": {"0": {"end": ["Must not be before start."]}}}),
        ({"promotions": [{"start": "2030-01-01", "end": "2030-01-02", "share": 1}]},
         {"promotions": {"0": {"share": ["Unknown field."]}}}),
        ({"prices": [{"start": "2030-01-01", "end": "2030-01-02", "price": "-1"}]},
         {"prices": {"0": {"price": ["Ensure this value is greater than or equal to 0."]}}}),
    ])
    def test_bad_input_names_the_field_and_writes_nothing(self, workspace, owner, client_for, shop, extra, errors):
        product, warehouse = shop
        response = client_for(owner).post(URL, self.body(workspace, product, warehouse, **extra), format="json")
        assert (response.status_code, response.json()) == (400, errors)
        assert Prediction.objects.count() == 0

    def test_a_plan_outside_the_forecast_is_refused(self, workspace, owner, client_for, shop, driven):
        product, warehouse = shop
        last = ahead(6)
        response = client_for(owner).post(URL, self.body(workspace, product, warehouse, promotions=[
            {"start": ahead(1), "end": ahead(2)}, {"start": ahead(9), "end": ahead(10)}]), format="json")
        assert (response.status_code, response.json()) == (400, {"promotions": {
            "1": {"start": [f"Outside the forecast ({ahead(0)} to {last})."]}}})
        assert Prediction.objects.count() == 0

    def test_another_workspaces_objects_are_404(self, workspace, other_workspace, owner, outsider, client_for, shop,
                                                driven):
        product, warehouse = shop
        theirs = f.ProductFactory(workspace=other_workspace)
        their_warehouse = f.WarehouseFactory(workspace=other_workspace)
        client = client_for(owner)
        assert client.post(URL, self.body(workspace, theirs), format="json").json() == {
            "detail": f"No product {theirs.pk} in this workspace."}
        assert client.post(URL, self.body(workspace, product, their_warehouse), format="json").status_code == 404
        assert client_for(outsider).post(URL, self.body(workspace, product), format="json").status_code == 404
        assert Prediction.objects.count() == 0

    def test_no_model_at_that_granularity_is_404_saying_what_to_train(self, workspace, owner, client_for, shop,
                                                                       driven):
        product, warehouse = shop
        response = client_for(owner).post(URL, self.body(workspace, product, warehouse, granularity="W"),
                                          format="json")
        assert response.status_code == 404
        assert response.json()["detail"].startswith(
            "No weekly demand model (granularity=W) is deployed for product CRO at warehouse N")

    def test_without_granularity_or_horizon_the_finest_model_answers_its_horizon(
            self, workspace, owner, client_for, shop, driven):
        # Given the croissant's daily model (horizon 7) and a monthly one of the product
        product, warehouse = shop
        train(workspace, f"inventory:product={product.pk}", ["naive"])
        # When a client names only the product at the warehouse
        body = client_for(owner).post(URL, {"workspace": workspace.pk, "product": product.pk,
                                            "warehouse": warehouse.pk}, format="json").json()
        # Then the pair's daily model answers seven days from today
        assert (body["frequency"], body["horizon"], body["source"], len(body["dates"])) == ("D", 7, "model", 7)

    def test_a_product_without_any_model_is_404(self, workspace, owner, client_for, shop):
        product, _ = shop
        response = client_for(owner).post(URL, {"workspace": workspace.pk, "product": product.pk}, format="json")
        assert (response.status_code, response.json()) == (404, {"detail": (
            f"No demand model is deployed for product CRO or for the workspace's total demand; train one first "
            f"(POST /api/v1/ml/train/ with target inventory:product={product.pk}).")})


@pytest.mark.django_db
class TestMonitoringWithDrivers:
    def test_a_model_with_drivers_is_judged_on_the_promotions_that_happened(self, workspace, shop, driven):
        from forecasting.monitoring.services import model_version_evaluate

        # Given a promotion today that sold 25, after the model was trained
        product, warehouse = shop
        f.SaleFactory(workspace=workspace, product=product, warehouse=warehouse, date=today(), quantity=25,
                      unit_price=Decimal("2.00"), on_promotion=True)
        # When the deployed model is evaluated on it
        snapshot = model_version_evaluate(version=driven, today=today() + dt.timedelta(days=1))
        # Then it is judged with the promotion it knew of: near 25, not the no-promotion 10
        assert snapshot.n_points == 1
        assert snapshot.metrics["mae"] < 2.5
