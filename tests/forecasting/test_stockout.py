"""Stockout risk per product × warehouse (from the demand distribution), and the early
warning that opens one STOCKOUT alert per episode."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from scipy import stats

from finance.models import Product, StockLevel
from forecasting.inventory.selectors import reorder_points_for_workspace
from forecasting.inventory.stockout import (
    METHOD,
    expected_shortfall,
    stockout_alerts_raise,
    stockout_alerts_sweep,
    stockout_risks,
)
from forecasting.monitoring.models import Alert
from forecasting.serving.forecasts import WindowForecast
from forecasting.training.schedules import declared_schedules
from tests import factories as f
from tests.forecasting.inventory_books import TODAY, sell


def normal_shortfall(mean: float, sigma: float, stock: float) -> float:
    z = (stock - mean) / sigma
    return sigma * stats.norm.pdf(z) + (mean - stock) * stats.norm.sf(z)


class TestExpectedShortfall:
    @pytest.mark.parametrize(("mean", "sigma", "stock"), [(16, 6, 5), (16, 6, 16), (16, 6, 40), (3, 0.5, 0)])
    def test_the_normal_partial_expectation(self, mean, sigma, stock):
        assert expected_shortfall(WindowForecast(mean, sigma), stock) == pytest.approx(
            normal_shortfall(mean, sigma, stock), rel=1e-9, abs=1e-12)

    def test_a_certain_demand_loses_what_the_stock_lacks(self):
        assert (expected_shortfall(WindowForecast(16, 0), 5), expected_shortfall(WindowForecast(16, 0), 20)) == (
            11.0, 0.0)


@pytest.mark.django_db
class TestStockoutRisks:
    def test_from_the_demand_distribution_within_the_lead_time_and_the_horizon(
            self, workspace, croissant, plan_settings):
        # Given the croissant at N: d = 4 a day, σ_d = 3, lead time 4 days, 5 on hand, price 20
        # When its risk over a 30-day horizon is computed
        [risk] = stockout_risks(workspace=workspace, horizon_days=30, today=TODAY)
        # Then within the lead time demand is N(16, 6²) and within the horizon N(120, (3 √30)²)
        assert (risk.product, risk.warehouse.code, risk.on_hand, risk.demand_source) == (croissant, "N", 5, "history")
        assert risk.probability_lead_time == pytest.approx(stats.norm.sf(5, loc=16, scale=6), rel=1e-9)
        assert risk.probability_horizon == pytest.approx(stats.norm.sf(5, loc=120, scale=3 * 30 ** 0.5), rel=1e-9)
        assert risk.days_until_stockout == 1.2  # 5 / 4, rounded to a tenth
        lost = normal_shortfall(16, 6, 5)
        assert risk.lost_units == pytest.approx(lost, rel=1e-9)
        assert risk.lost_sales == (Decimal(str(round(lost, 2))) * Decimal("20.00")).quantize(Decimal("0.01"))
        # And it is high: the stock runs out before an order placed today arrives
        assert (risk.severity, risk.currency, risk.target) == (
            "high", workspace.currency, f"inventory:product={croissant.pk}:warehouse={risk.warehouse.pk}")

    def test_plenty_of_stock_is_a_low_risk(self, workspace, croissant, plan_settings):
        StockLevel.objects.filter(product=croissant).update(quantity=500)
        [risk] = stockout_risks(workspace=workspace, today=TODAY)
        assert (risk.severity, risk.probability_lead_time < 1e-6, risk.lost_units < 1e-6) == ("low", True, True)

    def test_another_workspace_is_not_looked_at(self, workspace, other_workspace, croissant, plan_settings):
        assert stockout_risks(workspace=other_workspace, today=TODAY) == []


@pytest.mark.django_db
class TestEarlyWarning:
    def test_one_alert_per_episode_acknowledged_or_not(self, workspace, croissant, plan_settings):
        plan_settings.INVENTORY_STOCKOUT_ALERT_PROBABILITY = 0.5
        # Given the croissant 97 % likely to run out within its lead time
        # When the early warning runs
        first = stockout_alerts_raise(workspace=workspace, today=TODAY)
        # Then one critical STOCKOUT alert names it, with the numbers and how they were computed
        [alert] = first.raised
        north = StockLevel.objects.get(product=croissant).warehouse
        assert (alert.kind, alert.severity, alert.target) == (
            "stockout", "critical", f"inventory:product={croissant.pk}:warehouse={north.pk}")
        assert alert.message.startswith(f"{croissant.name} at ")
        assert "chance of running out within the 4-day lead time (5 on hand, stock lasts about 1.2 days" in alert.message
        assert (alert.data["method"], alert.data["on_hand"], alert.data["currency"]) == (METHOD, 5, workspace.currency)
        # And running again, even after a member acknowledged it, opens no other one
        assert stockout_alerts_raise(workspace=workspace, today=TODAY).raised == []
        Alert.objects.filter(pk=alert.pk).update(acknowledged_at=dt.datetime(2025, 6, 30, tzinfo=dt.UTC))
        assert stockout_alerts_raise(workspace=workspace, today=TODAY).raised == []
        assert Alert.objects.filter(kind="stockout").count() == 1
        # When the stock is replenished, the episode ends
        StockLevel.objects.filter(product=croissant).update(quantity=500)
        ended = stockout_alerts_raise(workspace=workspace, today=TODAY)
        assert ([a.pk for a in ended.raised], [a.pk for a in ended.resolved]) == ([], [alert.pk])
        alert.refresh_from_db()
        assert "resolved_at" in alert.data
        # And a new shortage is a new episode: a second alert
        StockLevel.objects.filter(product=croissant).update(quantity=5)
        assert len(stockout_alerts_raise(workspace=workspace, today=TODAY).raised) == 1
        assert Alert.objects.filter(kind="stockout").count() == 2

    def test_a_resolved_episode_closes_an_alert_nobody_acknowledged(self, workspace, croissant, plan_settings):
        [alert] = stockout_alerts_raise(workspace=workspace, today=TODAY).raised
        StockLevel.objects.filter(product=croissant).update(quantity=500)
        stockout_alerts_raise(workspace=workspace, today=TODAY)
        alert.refresh_from_db()
        assert alert.acknowledged_at is not None

    def test_a_risk_between_half_the_threshold_and_the_threshold_keeps_the_episode(
            self, workspace, croissant, plan_settings):
        plan_settings.INVENTORY_STOCKOUT_ALERT_PROBABILITY = 0.5
        [alert] = stockout_alerts_raise(workspace=workspace, today=TODAY).raised
        # 16 on hand: P(N(16, 36) > 16) = 50 % ... 19 on hand: P = sf(0.5) = 30.9 %, above 25 %
        StockLevel.objects.filter(product=croissant).update(quantity=19)
        warning = stockout_alerts_raise(workspace=workspace, today=TODAY)
        assert (warning.raised, warning.resolved) == ([], [])

    def test_the_sweep_covers_every_workspace_with_products(self, workspace, other_workspace, croissant,
                                                            plan_settings):
        # Given the croissant short here, and another workspace whose product has plenty
        product = f.ProductFactory(workspace=other_workspace, sku="NAIL")
        depot = f.WarehouseFactory(workspace=other_workspace, code="D")
        f.StockLevelFactory(workspace=other_workspace, product=product, warehouse=depot, quantity=1000)
        sell(other_workspace, product, depot, {1: 1, 2: 1})
        # When the hourly sweep runs (twice)
        assert stockout_alerts_sweep(today=TODAY) == {"raised": 1, "resolved": 0}
        assert stockout_alerts_sweep(today=TODAY) == {"raised": 0, "resolved": 0}
        # Then only this workspace has an alert
        assert list(Alert.objects.values_list("workspace_id", "kind")) == [(workspace.pk, "stockout")]

    def test_it_is_scheduled_hourly(self):
        [schedule] = [s for s in declared_schedules() if s.task == "forecasting.tasks.stockout_alerts_task"]
        assert (schedule.minute, schedule.hour) == ("15", "*")


# --- POST /api/v1/predictions/stockout/ ---------------------------------------------------------

URL = "/api/v1/predictions/stockout/"


@pytest.fixture
def shelf(workspace, settings):
    """Two products at one warehouse, sold until yesterday (the API's today is the real
    one): BREAD 4 a day ± 3 with 5 on hand (short), SALT 1 a day with 900 on hand."""
    settings.INVENTORY_DEMAND_HISTORY_DAYS = 5
    today = timezone.localdate()
    supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("4.00"),
                                 lead_time_std_days=Decimal("0.00"))
    bread = f.ProductFactory(workspace=workspace, sku="BREAD", supplier=supplier, unit_price=Decimal("3.50"))
    salt = f.ProductFactory(workspace=workspace, sku="SALT", supplier=supplier, unit_price=Decimal("1.00"))
    shop = f.WarehouseFactory(workspace=workspace, code="SHOP")
    f.StockLevelFactory(workspace=workspace, product=bread, warehouse=shop, quantity=5)
    f.StockLevelFactory(workspace=workspace, product=salt, warehouse=shop, quantity=900)
    sell(workspace, bread, shop, {5: 7, 4: 1, 3: 7, 2: 1, 1: 4}, today=today)
    sell(workspace, salt, shop, dict.fromkeys(range(1, 6), 1), today=today)
    return {"bread": bread, "salt": salt, "shop": shop}


@pytest.mark.django_db
class TestStockoutApi:
    def test_every_product_riskiest_first_with_the_method_named(self, workspace, member, client_for, shelf):
        # When a member asks for the workspace's stockout risk over 14 days
        response = client_for(member).post(URL, {"workspace": workspace.pk, "horizon_days": 14}, format="json")
        # Then both products are answered, the short one first, with how it was computed
        assert response.status_code == 200
        body = response.json()
        assert (body["workspace"], body["currency"], body["horizon_days"], body["method"]) == (
            workspace.pk, workspace.currency, 14, "forecast_distribution")
        assert body["method_note"].startswith("From the demand forecast's distribution")
        bread, salt = body["results"]
        assert (bread["product"]["sku"], bread["warehouse"]["code"], bread["on_hand"], bread["severity"]) == (
            "BREAD", "SHOP", 5, "high")
        assert bread["probability_lead_time"] == round(stats.norm.sf(5, loc=16, scale=6), 4)
        assert bread["expected_lost_sales"] == str(
            (Decimal(str(round(normal_shortfall(16, 6, 5), 2))) * Decimal("3.50")).quantize(Decimal("0.01")))
        assert (salt["product"]["sku"], salt["probability_lead_time"], salt["days_until_stockout"],
                salt["severity"]) == ("SALT", 0.0, 900.0, "low")

    def test_each_result_says_where_its_lead_time_comes_from(self, workspace, member, client_for, shelf):
        # Given salt from a mill whose three received orders took 6, 7 and 8 days (typed: 2), bread
        # from a supplier with no order (typed: 4) and jam from no supplier
        today = timezone.localdate()
        mill = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("2.00"))
        Product.objects.filter(pk=shelf["salt"].pk).update(supplier=mill)
        for ago, days in ((30, 6), (20, 7), (10, 8)):
            ordered = today - dt.timedelta(days=ago)
            order = f.PurchaseOrderFactory(workspace=workspace, supplier=mill, product=shelf["salt"],
                                           warehouse=shelf["shop"], ordered_on=ordered,
                                           expected_on=ordered + dt.timedelta(days=2))
            f.ReceiptFactory(purchase_order=order, received_on=ordered + dt.timedelta(days=days))
        jam = f.ProductFactory(workspace=workspace, sku="JAM")
        f.StockLevelFactory(workspace=workspace, product=jam, warehouse=shelf["shop"], quantity=3)
        # When a member asks for the stockout risk
        results = client_for(member).post(URL, {"workspace": workspace.pk}, format="json").json()["results"]
        # Then each lead time is the one the safety stock uses, and says where it comes from
        assert {r["product"]["sku"]: (r["lead_time_source"], r["lead_time_days"]) for r in results} == {
            "SALT": ("measured", 7.0), "BREAD": ("typed", 4.0), "JAM": ("default", 14.0)}
        reorder = {p.product.sku: (p.lead_time_source, p.lead_time_days)
                   for p in reorder_points_for_workspace(workspace=workspace, log=False)}
        assert {r["product"]["sku"]: (r["lead_time_source"], r["lead_time_days"]) for r in results} == reorder

    def test_one_product(self, workspace, member, client_for, shelf):
        response = client_for(member).post(URL, {"workspace": workspace.pk, "product": shelf["salt"].pk},
                                           format="json")
        assert [r["product"]["sku"] for r in response.json()["results"]] == ["SALT"]

    @pytest.mark.parametrize(("body", "field"), [
        ({}, "workspace"),
        ({"workspace": "WS", "horizon_days": 0}, "horizon_days"),
        ({"workspace": "WS", "horizon_days": 366}, "horizon_days"),
        ({"workspace": "WS", "product": "bread"}, "product"),
        ({"workspace": "WS", "horizon": 3}, "horizon"),
    ])
    def test_bad_input_is_400_naming_the_field_and_writes_nothing(self, workspace, member, client_for, shelf,
                                                                  body, field):
        from forecasting.serving.models import Prediction

        body = {k: workspace.pk if v == "WS" else v for k, v in body.items()}
        response = client_for(member).post(URL, body, format="json")
        assert (response.status_code, list(response.json())) == (400, [field])
        assert (Prediction.objects.count(), Alert.objects.count()) == (0, 0)

    def test_another_workspace_or_its_product_is_404(self, workspace, other_workspace, member, outsider,
                                                     client_for, shelf):
        theirs = f.ProductFactory(workspace=other_workspace, sku="THEIRS")
        mine = client_for(member).post(URL, {"workspace": workspace.pk, "product": theirs.pk}, format="json")
        assert (mine.status_code, mine.json()) == (404, {"detail": f"No product {theirs.pk} in this workspace."})
        outside = client_for(outsider).post(URL, {"workspace": workspace.pk}, format="json")
        assert outside.status_code == 404

    def test_a_viewer_may_ask_and_an_anonymous_caller_may_not(self, workspace, viewer, client_for, api_client,
                                                              shelf):
        assert client_for(viewer).post(URL, {"workspace": workspace.pk}, format="json").status_code == 200
        assert api_client.post(URL, {"workspace": workspace.pk}, format="json").status_code in (401, 403)

    def test_the_schema_documents_the_operation_and_its_errors(self, api_client):
        schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
        operation = schema["paths"]["/api/v1/predictions/stockout/"]["post"]
        assert {"200", "400", "404"} <= set(operation["responses"])
        # the lead time's source, with its values listed (the set the reorder points and plans use)
        source = schema["components"]["schemas"]["StockoutRisk"]["properties"]["lead_time_source"]
        assert source["allOf"] == [{"$ref": "#/components/schemas/LeadTimeSourceEnum"}]
        assert source["description"].startswith("Where lead_time_days comes from")
        assert schema["components"]["schemas"]["LeadTimeSourceEnum"]["enum"] == ["measured", "typed", "default"]


@pytest.mark.django_db
class TestInventoryPage:
    def test_the_open_stockout_warnings_are_listed(self, workspace, member, client, shelf, other_workspace):
        # Given the early warning raised for the bread, an acknowledged old one, and another workspace's
        [alert] = stockout_alerts_raise(workspace=workspace).raised
        Alert.objects.create(workspace=workspace, kind="stockout", message="Old news", target="x",
                             acknowledged_at=timezone.now())
        Alert.objects.create(workspace=other_workspace, kind="stockout", message="Their shortage")
        # When a member opens the inventory page
        client.force_login(member)
        html = client.get("/inventory/").content.decode()
        # Then the open warning is there, with its message, and the others are not
        assert 'data-stockout-alerts' in html
        assert f'data-alert-target="{alert.target}"' in html
        assert "Old news" not in html and "Their shortage" not in html

    def test_without_warnings_there_is_no_section(self, workspace, member, client, shelf):
        client.force_login(member)
        assert "data-stockout-alerts" not in client.get("/inventory/").content.decode()
