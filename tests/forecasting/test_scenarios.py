"""What-if stock plans: scenarios (budget, service level, a promotion, a price change) computed
side by side without being stored, one kept as the plan; ``POST /api/v1/predictions/optimize/``."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.utils import timezone
from scipy import stats

from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.inventory.policy import InventoryPlanningError
from forecasting.inventory.services import stock_plan_create, stock_plan_scenarios
from forecasting.serving.models import Prediction
from tests import factories as f
from tests.forecasting.inventory_books import TODAY, sell

OPTIMIZE = "/api/v1/predictions/optimize/"


def written():
    return StockPlan.objects.count(), StockPlanLine.objects.count(), Prediction.objects.count()


def normal_shortfall(mean: float, sigma: float, stock: float) -> float:
    z = (stock - mean) / sigma
    return sigma * stats.norm.pdf(z) - (stock - mean) * stats.norm.sf(z)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)
    return TODAY


@pytest.mark.django_db
class TestScenarios:
    def test_scenarios_are_computed_side_by_side_and_stored_nowhere(self, workspace, croissant, plan_settings):
        # Given the croissant (d = 4 ± 3 a day, 5 on hand, target 233, cost 7.30, price 20)
        # When two budgets are compared
        [(small, small_lines), (large, large_lines)] = stock_plan_scenarios(
            workspace=workspace, scenarios=[{"name": "A", "budget": "1000"}, {"name": "B", "budget": "5000"}],
            today=TODAY)
        # Then each is the plan stock_plan_create would store, and nothing is stored
        assert written() == (0, 0, 0)
        assert (small.name, small.pk, small_lines[0].order_quantity, small.purchase_cost, small.total_cost) == (
            "A", None, 136, Decimal("992.80"), Decimal("1017.80"))
        assert (large.name, large_lines[0].order_quantity, large.purchase_cost) == ("B", 228, Decimal("1664.40"))
        # and the outcome over 30 days, no later order: demand N(120, 3·√30) against 141 and 233 units
        sigma = 3 * math.sqrt(30)
        assert float(small.expected_fill_rate) == pytest.approx(1 - normal_shortfall(120, sigma, 141) / 120, abs=1e-4)
        assert small.expected_lost_sales == (Decimal(str(round(normal_shortfall(120, sigma, 141), 4))) * 20).quantize(
            Decimal("0.01"))  # 15.67
        assert (large.expected_fill_rate, large.expected_lost_sales) == (Decimal("1.0000"), Decimal("0.00"))

    def test_keeping_a_scenario_stores_the_same_numbers(self, workspace, croissant, plan_settings):
        scenario = {"name": "Promo", "promotion_uplift_pct": "50"}
        [(computed, lines)] = stock_plan_scenarios(workspace=workspace, scenarios=[{"budget": "5000", **scenario}],
                                                  today=TODAY)
        kept = stock_plan_create(workspace=workspace, budget="5000", scenario=scenario, today=TODAY)
        line = kept.lines.get()
        assert (kept.name, kept.promotion_uplift_pct, kept.purchase_cost, kept.expected_fill_rate) == (
            "Promo", Decimal("50.00"), computed.purchase_cost, computed.expected_fill_rate)
        assert (line.daily_demand, line.order_quantity) == (Decimal("6.000"), lines[0].order_quantity)

    def test_a_promotion_lifts_demand_and_a_dearer_price_lowers_it(self, workspace, croissant, plan_settings):
        [(_, base), (_, promo), (_, dearer)] = stock_plan_scenarios(workspace=workspace, scenarios=[
            {"budget": "5000"},
            {"budget": "5000", "promotion_uplift_pct": "50"},
            {"budget": "5000", "price_change_pct": "25", "price_elasticity": "-2"},
        ], today=TODAY)
        assert [lines[0].daily_demand for lines in (base, promo, dearer)] == [
            Decimal("4.000"), Decimal("6.000"), Decimal("2.560")]  # 4 · 1.25 ^ −2
        assert [lines[0].demand_std for lines in (base, promo, dearer)] == [
            Decimal("3.000"), Decimal("4.500"), Decimal("1.920")]
        assert base[0].order_quantity < promo[0].order_quantity

    def test_a_higher_service_level_holds_more_safety_stock(self, workspace, croissant, plan_settings):
        [(_, low), (_, high)] = stock_plan_scenarios(workspace=workspace, scenarios=[
            {"budget": "5000", "service_level": "0.90"}, {"budget": "5000", "service_level": "0.99"}], today=TODAY)
        assert low[0].safety_stock < high[0].safety_stock
        assert low[0].order_quantity < high[0].order_quantity

    def test_the_changes_apply_to_the_products_named_only(self, workspace, croissant, plan_settings):
        north = croissant.stock_levels.get().warehouse
        tart = f.ProductFactory(workspace=workspace, sku="TART", supplier=croissant.supplier)
        sell(workspace, tart, north, {5: 4, 4: 4, 3: 4, 2: 4, 1: 4})
        [(_, lines)] = stock_plan_scenarios(workspace=workspace, scenarios=[
            {"budget": "5000", "promotion_uplift_pct": "100", "products": [tart.pk]}], today=TODAY)
        assert {line.product.sku: line.daily_demand for line in lines} == {
            "CROI": Decimal("4.000"), "TART": Decimal("8.000")}

    @pytest.mark.parametrize(("change", "message"), [
        ({"promotion_uplift_pct": "-5"}, "The promotion uplift must be between 0 and 1000."),
        ({"price_change_pct": "-95"}, "The price change must be between -90 and 500."),
        ({"price_elasticity": "0.5"}, "The price elasticity must be between -10 and 0."),
        ({"budget": "-1"}, "The budget cannot be negative."),
    ])
    def test_a_change_out_of_range_is_refused(self, workspace, croissant, plan_settings, change, message):
        with pytest.raises(InventoryPlanningError, match=message):
            stock_plan_scenarios(workspace=workspace, scenarios=[{"budget": "100", **change}], today=TODAY)
        assert written() == (0, 0, 0)


@pytest.mark.django_db
class TestOptimizeApi:
    def test_a_scenario_is_answered_and_not_stored(self, workspace, member, croissant, client_for, plan_settings,
                                                  today):
        response = client_for(member).post(OPTIMIZE, {
            "workspace": workspace.pk, "name": "Spring promo", "budget": "1000", "promotion_uplift_pct": "0"},
            format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["workspace"], body["currency"], body["kept"], body["plan"]) == (
            workspace.pk, workspace.currency, False, None)
        scenario = body["scenario"]
        assert (scenario["name"], scenario["budget"], scenario["service_level"], scenario["status"]) == (
            "Spring promo", "1000.00", "0.9500", "optimal")
        assert (scenario["purchase_cost"], scenario["total_cost"], scenario["price_elasticity"]) == (
            "992.80", "1017.80", "-1.50")
        assert [(line["sku"], line["order_quantity"], line["shelf_life_cap"]) for line in scenario["lines"]] == [
            ("CROI", 136, None)]
        assert (StockPlan.objects.count(), StockPlanLine.objects.count()) == (0, 0)

    def test_keep_stores_it_as_the_plan(self, workspace, member, croissant, client_for, plan_settings, today):
        response = client_for(member).post(OPTIMIZE, {
            "workspace": workspace.pk, "name": "Big order", "budget": "5000", "keep": True}, format="json")
        assert response.status_code == 201
        plan = StockPlan.objects.get()
        assert (response.json()["kept"], response.json()["plan"], plan.name, plan.created_by) == (
            True, plan.pk, "Big order", member)
        assert [line["order_quantity"] for line in response.json()["scenario"]["lines"]] == [228]

    @pytest.mark.parametrize(("body", "field"), [
        ({"budget": "-1"}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"service_level": "1.5"}, "service_level"),
        ({"promotion_uplift_pct": "-5"}, "promotion_uplift_pct"),
        ({"price_change_pct": "-95"}, "price_change_pct"),
        ({"price_elasticity": "1"}, "price_elasticity"),
        ({"products": ["x"]}, "products"),
        ({"keep": "maybe"}, "keep"),
        ({"colour": "red"}, "colour"),
    ])
    def test_bad_input_is_400_naming_the_field_and_writes_nothing(self, workspace, member, croissant, client_for,
                                                                 plan_settings, body, field):
        response = client_for(member).post(OPTIMIZE, {"workspace": workspace.pk, "budget": "100", "keep": True,
                                                      **body}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [field]
        assert written() == (0, 0, 0)

    def test_nothing_to_plan_is_400_with_the_reason(self, workspace, member, client_for):
        response = client_for(member).post(OPTIMIZE, {"workspace": workspace.pk, "budget": "100"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"detail": "Nothing to plan: the workspace has no active product that a warehouse "
                                             "stocks or has sold."}

    def test_another_workspace_or_its_product_is_404(self, workspace, other_workspace, member, croissant,
                                                   client_for, plan_settings):
        theirs = f.ProductFactory(workspace=other_workspace)
        client = client_for(member)
        assert client.post(OPTIMIZE, {"workspace": other_workspace.pk, "budget": "100"},
                           format="json").status_code == 404
        response = client.post(OPTIMIZE, {"workspace": workspace.pk, "budget": "100", "keep": True,
                                          "products": [croissant.pk, theirs.pk]}, format="json")
        assert (response.status_code, response.json()) == (404, {"detail": f"No product {theirs.pk} in this "
                                                                           "workspace."})
        assert written() == (0, 0, 0)

    def test_a_viewer_compares_but_cannot_keep(self, workspace, viewer, croissant, client_for, plan_settings, today):
        client = client_for(viewer)
        assert client.post(OPTIMIZE, {"workspace": workspace.pk, "budget": "100"}, format="json").status_code == 200
        before = (StockPlan.objects.count(), StockPlanLine.objects.count())
        response = client.post(OPTIMIZE, {"workspace": workspace.pk, "budget": "100", "keep": True}, format="json")
        assert response.status_code == 403
        assert (StockPlan.objects.count(), StockPlanLine.objects.count()) == before == (0, 0)

    def test_anonymous_is_401(self, api_client, workspace):
        assert api_client.post(OPTIMIZE, {"workspace": workspace.pk, "budget": "1"}, format="json").status_code == 401

    def test_documented_with_its_errors(self, api_client):
        schema = api_client.get("/api/schema/", {"format": "json"}).json()
        responses = schema["paths"][OPTIMIZE]["post"]["responses"]
        assert {"200", "201", "400", "401", "403", "404"} <= set(responses)


@pytest.mark.django_db
class TestScenarioPage:
    COMPARE = "/inventory/scenarios/"
    KEEP = "/inventory/plan/"

    def test_two_scenarios_side_by_side_and_nothing_stored(self, workspace, member, croissant, logged_in,
                                                          plan_settings, today):
        response = logged_in(member).post(self.COMPARE, {
            "a-name": "Lean", "a-budget": "1000", "a-service_level": "0.95",
            "b-name": "Promo", "b-budget": "5000", "b-service_level": "0.95", "b-promotion_uplift_pct": "50",
            "b-product": str(croissant.pk),
            "c-name": "C", "c-budget": "", "c-service_level": "0.95",
        })
        assert response.status_code == 200
        compared = response.context["scenario_results"]
        assert [plan.name for _, plan, _ in compared] == ["Lean", "Promo"]
        (_, lean, lean_lines), (_, promo, promo_lines) = compared
        assert (lean.purchase_cost, [line.order_quantity for line in lean_lines]) == (Decimal("992.80"), [136])
        assert promo_lines[0].daily_demand == Decimal("6.000")
        html = response.content.decode()
        assert 'data-scenario-table' in html and "992.80&nbsp;USD" in html
        assert html.count("data-keep-scenario=") == 2
        assert written() == (0, 0, 0)

    def test_bad_input_is_shown_and_nothing_computed(self, workspace, member, croissant, logged_in, plan_settings):
        response = logged_in(member).post(self.COMPARE, {"a-budget": "-5", "b-budget": "10",
                                                         "b-price_change_pct": "-95"})
        assert response.status_code == 200
        forms_ = response.context["scenario_forms"]
        assert forms_[0].errors == {"budget": ["The budget cannot be negative."]}
        assert list(forms_[1].errors) == ["price_change_pct"]
        assert response.context["scenario_results"] == []
        response = logged_in(member).post(self.COMPARE, {"a-budget": ""})
        assert response.context["scenario_error"] == "Give at least one scenario a budget."
        assert written() == (0, 0, 0)

    def test_keep_stores_the_scenario_as_the_plan(self, workspace, member, croissant, logged_in, plan_settings,
                                                  today):
        response = logged_in(member).post(self.KEEP, {
            "name": "Promo", "budget": "5000", "service_level": "0.9500", "promotion_uplift_pct": "50.00",
            "price_change_pct": "0.00", "product": str(croissant.pk)})
        assert response.status_code == 302
        plan = StockPlan.objects.get()
        assert (plan.name, plan.promotion_uplift_pct, plan.scenario_products, plan.created_by) == (
            "Promo", Decimal("50.00"), [croissant.pk], member)
        assert plan.lines.get().daily_demand == Decimal("6.000")

    def test_a_viewer_compares_but_cannot_keep(self, workspace, viewer, croissant, logged_in, plan_settings, today):
        client = logged_in(viewer)
        response = client.post(self.COMPARE, {"a-name": "A", "a-budget": "1000", "a-service_level": "0.95"})
        assert response.status_code == 200
        assert len(response.context["scenario_results"]) == 1
        assert "data-keep-scenario=" not in response.content.decode()
        assert client.post(self.KEEP, {"budget": "1000", "service_level": "0.95"}).status_code == 403
        assert StockPlan.objects.count() == 0

    def test_another_workspaces_product_is_not_a_choice(self, workspace, other_workspace, member, croissant,
                                                        logged_in, plan_settings):
        theirs = f.ProductFactory(workspace=other_workspace)
        response = logged_in(member).post(self.COMPARE, {"a-budget": "100", "a-product": str(theirs.pk)})
        assert list(response.context["scenario_forms"][0].errors) == ["product"]
        assert written() == (0, 0, 0)
