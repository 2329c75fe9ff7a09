"""Inventory planning: safety stock, reorder points and EOQ; stock plans chosen by
``scipy.optimize.milp``; the API, the admin and the plan form's service.

Each test reads given / when / then; the numbers are worked out by hand in the comments.
Failure paths assert that nothing was written.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from finance.models import Membership, Product, Warehouse
from forecasting.inventory.demand import demand_from_history
from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.inventory.policy import (
    InventoryPlanningError,
    economic_order_quantity,
    reorder_point,
    safety_stock,
    service_level_validate,
    service_level_validator,
    service_level_z,
)
from forecasting.inventory.selectors import (
    ReorderPoint,
    reorder_points_for_workspace,
    warehouse_room,
)
from forecasting.inventory.services import stock_plan_create, stock_plan_solve
from forecasting.serving.models import Prediction
from tests import factories as f
from tests.forecasting.inventory_books import TODAY, sell

Z95 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95)


@pytest.fixture
def bolt(workspace):
    """A cheap product sold fast: 730 units a day the last five days (d = 730, σ_d = 0),
    lead time 4 days exactly (SS = 0, ROP = 2920), MOQ 1, none on hand; cost 0.01, price
    1.00. At a holding cost rate of 0.0001 (H = 0.000001 a year) its EOQ is
    sqrt(2 · 365 · 730 · S / 0.000001) = 730,000 · sqrt(S) for an ordering cost S."""
    supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("4.00"),
                                 lead_time_std_days=Decimal("0.00"), min_order_quantity=1)
    product = f.ProductFactory(workspace=workspace, sku="BOLT", supplier=supplier, unit_cost=Decimal("0.01"),
                               unit_price=Decimal("1.00"))
    north = f.WarehouseFactory(workspace=workspace, code="N")
    f.StockLevelFactory(workspace=workspace, product=product, warehouse=north, quantity=0)
    sell(workspace, product, north, dict.fromkeys(range(1, 6), 730))
    return product


SMALLER_EOQ = "A lower ordering cost or a higher holding cost rate gives a smaller economic order quantity."
SERVICE_LEVEL = "The service level must be between 0 and 1 (for example 0.95)."


# --- the arithmetic ------------------------------------------------------------------------------


class TestArithmetic:
    def test_z_of_the_service_level(self):
        assert service_level_z(0.95) == pytest.approx(Z95, abs=1e-12)
        assert service_level_z(0.5) == 0.0

    @pytest.mark.parametrize("level", [0.0, 1.0, -0.1, 1.5])
    def test_service_level_outside_zero_one_is_refused(self, level):
        with pytest.raises(InventoryPlanningError, match="between 0 and 1"):
            service_level_z(level)

    @pytest.mark.parametrize("level", [Decimal("0"), Decimal("1"), Decimal("1.5"), 0.0, -0.1, 1.0])
    def test_one_check_of_the_service_level_for_every_caller(self, level):
        # the reorder points and the plan service get the planning error, the plan form
        # and the API's serializers its field validator: the same check and message
        with pytest.raises(InventoryPlanningError) as raised:
            service_level_validate(level)
        assert str(raised.value) == SERVICE_LEVEL
        with pytest.raises(ValidationError) as invalid:
            service_level_validator(level)
        assert invalid.value.messages == [SERVICE_LEVEL]

    @pytest.mark.parametrize("level", [Decimal("0.0001"), Decimal("0.95"), 0.5, 0.9999])
    def test_a_service_level_inside_zero_one_passes(self, level):
        assert service_level_validate(level) == level
        assert service_level_validator(level) is None

    def test_safety_stock_with_varying_demand_and_lead_time(self):
        # z · sqrt(L σ_d² + d² σ_L²) = 2 · sqrt(4 · 9 + 16 · 4) = 2 · 10
        assert safety_stock(z=2.0, daily_demand=4, demand_std=3, lead_time_days=4, lead_time_std_days=2) == 20.0

    def test_safety_stock_with_a_fixed_lead_time_or_steady_demand(self):
        # only demand varies: 2 · sqrt(9 · 4) = 12; only lead time varies: 2 · sqrt(25 · 1) = 10
        assert safety_stock(z=2.0, daily_demand=5, demand_std=2, lead_time_days=9, lead_time_std_days=0) == 12.0
        assert safety_stock(z=2.0, daily_demand=5, demand_std=0, lead_time_days=9, lead_time_std_days=1) == 10.0

    def test_reorder_point_is_lead_time_demand_plus_safety_stock(self):
        assert reorder_point(daily_demand=4, lead_time_days=4, safety=20.0) == 36.0

    def test_economic_order_quantity(self):
        # sqrt(2 · (365 · 4) · 25 / (0.25 · 7.30)) = sqrt(73 000 / 1.825) = sqrt(40 000) = 200
        assert economic_order_quantity(daily_demand=4, ordering_cost=25, unit_cost=7.30,
                                       holding_cost_rate=0.25) == pytest.approx(200.0, rel=1e-12)

    def test_economic_order_quantity_without_demand_or_holding_cost(self):
        assert economic_order_quantity(daily_demand=0, ordering_cost=25, unit_cost=7.30, holding_cost_rate=0.25) == 0.0
        assert economic_order_quantity(daily_demand=4, ordering_cost=25, unit_cost=0, holding_cost_rate=0.25) is None

    def test_demand_from_history_counts_days_without_sales(self):
        # 4, 0, 0, 0: mean 1, sample variance (9 + 1 + 1 + 1) / 3 = 4
        assert demand_from_history([4, 0, 0, 0]) == (1.0, 2.0)
        assert demand_from_history([5]) == (5.0, 0.0)
        assert demand_from_history([]) == (0.0, 0.0)


# --- reorder points ------------------------------------------------------------------------------


@pytest.mark.django_db
class TestReorderPoints:
    def test_from_the_sales_history(self, workspace, croissant, plan_settings):
        # Given the croissant's last five days (d = 4, σ_d = 3) and its supplier (4 ± 2 days)
        # When its reorder point is computed at a 95 % service level
        [point] = reorder_points_for_workspace(workspace=workspace, today=TODAY)
        # Then SS = z · sqrt(4 · 9 + 16 · 4) = 10 z, ROP = 4 · 4 + 10 z, EOQ = 200, order now (5 ≤ ROP)
        assert (point.product, point.warehouse.code, point.on_hand) == (croissant, "N", 5)
        assert (point.daily_demand, point.demand_std, point.demand_source) == (4.0, 3.0, "history")
        assert (point.lead_time_days, point.lead_time_std_days, point.min_order_quantity) == (4.0, 2.0, 10)
        assert point.safety_stock == pytest.approx(10 * Z95, rel=1e-12)
        assert point.reorder_point == pytest.approx(16 + 10 * Z95, rel=1e-12)
        assert point.eoq == pytest.approx(200.0, rel=1e-12)
        assert point.order_now is True
        assert point.target_level == 233  # ceil(32.449 + 200)

    def test_days_before_the_first_sale_do_not_count_and_other_days_count_as_zero(self, workspace, settings):
        # Given 90 days of history, a pair first sold three days ago (6, then nothing, then 2)
        settings.INVENTORY_DEMAND_HISTORY_DAYS = 90
        product = f.ProductFactory(workspace=workspace, sku="NEW")
        north = f.WarehouseFactory(workspace=workspace, code="N")
        sell(workspace, product, north, {3: 6, 1: 2})
        # When its reorder point is computed
        [point] = reorder_points_for_workspace(workspace=workspace, today=TODAY)
        # Then demand is averaged over 6, 0, 2: mean 8/3, sample std sqrt((100 + 64 + 4) / 9 / 2)
        assert point.daily_demand == pytest.approx(8 / 3, rel=1e-12)
        assert point.demand_std == pytest.approx(math.sqrt(((6 - 8 / 3) ** 2 + (8 / 3) ** 2 + (2 - 8 / 3) ** 2) / 2))
        # and without a supplier: the page's 14-day lead time, no spread, MOQ 1; no stock row: 0 on hand
        assert (point.lead_time_days, point.lead_time_std_days, point.min_order_quantity, point.on_hand) == (
            14.0, 0.0, 1, 0)

    def test_the_page_and_the_reorder_points_share_one_lead_time_without_a_supplier(
        self, workspace, member, client, monkeypatch,
    ):
        # Given a product without a supplier, and a default lead time of 9 days instead of 14
        monkeypatch.setattr("finance.selectors.DEFAULT_LEAD_TIME_DAYS", Decimal(9))
        product = f.ProductFactory(workspace=workspace, sku="NEW")
        sell(workspace, product, f.WarehouseFactory(workspace=workspace, code="N"), {1: 2})
        # When its reorder point is computed and the inventory page is opened
        [point] = reorder_points_for_workspace(workspace=workspace, today=TODAY)
        client.force_login(member)
        [row] = client.get(reverse("finance:inventory")).context["rows"]
        # Then both use the one default
        assert (point.lead_time_days, row.lead_time_days) == (9.0, Decimal(9))

    def test_every_stocked_or_sold_pair_of_active_products_of_this_workspace(
        self, workspace, other_workspace, croissant, plan_settings
    ):
        # Given a second warehouse that stocks the croissant but never sold it, an inactive
        # product, a product nobody stocks, and another workspace's stock and sales
        south = f.WarehouseFactory(workspace=workspace, code="S")
        f.StockLevelFactory(workspace=workspace, product=croissant, warehouse=south, quantity=0)
        old = f.ProductFactory(workspace=workspace, sku="OLD", is_active=False)
        f.StockLevelFactory(workspace=workspace, product=old, warehouse=south, quantity=3)
        f.ProductFactory(workspace=workspace, sku="NONE")
        theirs = f.StockLevelFactory(workspace=other_workspace, quantity=1)
        sell(other_workspace, theirs.product, theirs.warehouse, {1: 99})
        # When the workspace's reorder points are computed
        points = reorder_points_for_workspace(workspace=workspace, today=TODAY)
        # Then the croissant at N and S only; S has no demand: nothing to reorder
        assert [(p.product.sku, p.warehouse.code) for p in points] == [("CROI", "N"), ("CROI", "S")]
        south_point = points[1]
        assert (south_point.daily_demand, south_point.safety_stock, south_point.reorder_point, south_point.eoq) == (
            0.0, 0.0, 0.0, 0.0)
        assert (south_point.order_now, south_point.target_level) == (False, 0)

    def test_a_higher_service_level_needs_more_safety_stock(self, workspace, croissant, plan_settings):
        [point] = reorder_points_for_workspace(workspace=workspace, today=TODAY, service_level=0.99)
        assert point.safety_stock == pytest.approx(10 * 2.3263478740408408, rel=1e-12)

    def test_from_the_deployed_demand_forecasts(self, workspace):
        # Given the demand models the inventory page uses: one of product A at warehouse N
        # (300 a month), one of product B (600 a month, sold 3:1 at N and S) and the total
        # (900 a month) for product C (a sixth of the units sold)
        from tests.forecasting.test_pages import deployed

        today = timezone.localdate()
        supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("5.00"),
                                     lead_time_std_days=Decimal("1.00"))
        north, south = f.WarehouseFactory(workspace=workspace, code="N"), f.WarehouseFactory(workspace=workspace, code="S")
        a, b, c = (f.ProductFactory(workspace=workspace, sku=sku, supplier=supplier) for sku in "ABC")
        sell(workspace, a, north, {1: 10}, today=today)
        sell(workspace, b, north, {1: 30}, today=today)
        sell(workspace, b, south, {2: 10}, today=today)
        sell(workspace, c, south, {3: 10}, today=today)
        deployed(workspace, f"inventory:product={a.pk}:warehouse={north.pk}", [300.0] * 12)
        deployed(workspace, f"inventory:product={b.pk}", [600.0] * 12)
        deployed(workspace, "inventory", [900.0] * 12)
        # When the reorder points are computed
        points = reorder_points_for_workspace(workspace=workspace, today=today)
        # Then each pair's demand is its forecast over the next 30 days, per day (the naive
        # models of flat series have no spread: SS = z · d · σ_L)
        per_day = sum(1 / calendar.monthrange((today + dt.timedelta(days=i)).year,
                                              (today + dt.timedelta(days=i)).month)[1] for i in range(30)) / 30
        expected = {
            ("A", "N"): ("model", 300 * per_day),
            ("B", "N"): ("product", 600 * 0.75 * per_day),
            ("B", "S"): ("product", 600 * 0.25 * per_day),
            ("C", "S"): ("share", 900 * 10 / 60 * per_day),
        }
        found = {(p.product.sku, p.warehouse.code): p for p in points}
        assert set(found) == set(expected)
        for pair, (source, daily) in expected.items():
            point = found[pair]
            assert point.demand_source == source, pair
            assert point.daily_demand == pytest.approx(daily, rel=1e-3), pair
            assert point.demand_std == 0.0
            assert point.safety_stock == pytest.approx(Z95 * point.daily_demand * 1.0, rel=1e-9)
            assert point.reorder_point == pytest.approx(point.daily_demand * 5 + point.safety_stock, rel=1e-9)
        # and the forecasts used are logged like the page's
        assert Prediction.objects.filter(workspace=workspace).count() == 3

    def test_the_share_of_the_total_model_is_of_all_the_workspaces_sales_whatever_the_products_asked(
        self, workspace, settings, django_assert_num_queries,
    ):
        # Given only the total demand model (900 a month) and, over the last 10 days, 1 unit
        # a day of A, 8 of B and 1 of C (no longer active) at N: 100 units, A's share 10 %.
        # B's sales before the window and today's do not count.
        from tests.forecasting.test_pages import deployed

        settings.INVENTORY_DEMAND_HISTORY_DAYS = 10
        today = timezone.localdate()
        north = f.WarehouseFactory(workspace=workspace, code="N")
        a, b = f.ProductFactory(workspace=workspace, sku="A"), f.ProductFactory(workspace=workspace, sku="B")
        retired = f.ProductFactory(workspace=workspace, sku="C", is_active=False)
        for product, units in ((a, 1), (b, 8), (retired, 1)):
            sell(workspace, product, north, dict.fromkeys(range(1, 11), units), today=today)
        sell(workspace, b, north, {11: 1000, 0: 1000}, today=today)
        deployed(workspace, "inventory", [900.0] * 12)
        per_day = sum(1 / calendar.monthrange((today + dt.timedelta(days=i)).year,
                                              (today + dt.timedelta(days=i)).month)[1] for i in range(30)) / 30
        # When the reorder points are computed for the workspace (the API) and for pages
        # holding only A, and A and B (the inventory page: products and warehouses given)
        workspace_points = reorder_points_for_workspace(workspace=workspace, today=today)
        warehouses = list(Warehouse.objects.filter(workspace=workspace))
        pages = []
        for page in ([a], [a, b]):
            products = list(Product.objects.filter(pk__in=[p.pk for p in page]).select_related("supplier"))
            # stock (1), sales history (2), deployed models (1), prediction log (1), units sold (1),
            # units on order (1)
            with django_assert_num_queries(7):
                pages.append(reorder_points_for_workspace(workspace=workspace, today=today, products=products,
                                                          warehouses=warehouses))
        # Then A's demand is 10 % of the total forecast in all three, B's 80 %
        for points in (workspace_points, *pages):
            found = {p.product.sku: p for p in points}
            assert (found["A"].demand_source, found["A"].warehouse) == ("share", north)
            assert found["A"].daily_demand == pytest.approx(900 * 0.1 * per_day, rel=1e-9)
        assert [p.product.sku for p in workspace_points] == [p.product.sku for p in pages[1]] == ["A", "B"]
        assert workspace_points[1].daily_demand == pytest.approx(900 * 0.8 * per_day, rel=1e-9)
        assert pages[1][1].daily_demand == pytest.approx(900 * 0.8 * per_day, rel=1e-9)
        assert [(p.daily_demand, p.reorder_point, p.order_now) for p in pages[0]] == [
            (workspace_points[0].daily_demand, workspace_points[0].reorder_point, workspace_points[0].order_now)]

    def test_room_left_in_each_warehouse(self, workspace, other_workspace):
        # Given N holds 30 + 15 of 50, S is over its 10 units, U has no capacity
        north = f.WarehouseFactory(workspace=workspace, code="N", capacity_units=50)
        south = f.WarehouseFactory(workspace=workspace, code="S", capacity_units=10)
        unlimited = f.WarehouseFactory(workspace=workspace, code="U")
        f.StockLevelFactory(workspace=workspace, warehouse=north, quantity=30)
        f.StockLevelFactory(workspace=workspace, warehouse=north, quantity=15)
        f.StockLevelFactory(workspace=workspace, warehouse=south, quantity=12)
        f.WarehouseFactory(workspace=other_workspace, capacity_units=5)
        assert warehouse_room(workspace=workspace) == {north.pk: 5, south.pk: 0, unlimited.pk: None}


# --- the program (scipy.optimize.milp) ------------------------------------------------------------


def point(*, warehouse: Warehouse, cost: str, price: str, need: int, on_hand: int = 0, moq: int = 1) -> ReorderPoint:
    """A pair due for an order whose target level is ``on_hand + need``."""
    return ReorderPoint(
        product=Product(unit_cost=Decimal(cost), unit_price=Decimal(price)), warehouse=warehouse,
        on_hand=on_hand, daily_demand=1.0, demand_std=0.0, demand_source="history", lead_time_days=1.0,
        lead_time_std_days=0.0, min_order_quantity=moq, lead_time_source="typed", service_level=0.95,
        safety_stock=0.0, reorder_point=float(on_hand + need), eoq=0.0,
    )


def solve(points, *, budget: float, ordering_cost: float = 0.0, room=None) -> list[int]:
    solution = stock_plan_solve(points=points, budget=budget, ordering_cost=ordering_cost, holding_cost_rate=0.0,
                                horizon_days=30, room=room or {})
    assert solution.status == "optimal"
    return solution.quantities


class TestProgram:
    N, S = Warehouse(pk=1, code="N"), Warehouse(pk=2, code="S")

    def test_the_budget_goes_to_the_orders_that_save_most(self):
        # Given two products short of 10 units each, both costing 10; a unit short of A
        # loses 30, of B 20; 150 buys 15 units
        a = point(warehouse=self.N, cost="10", price="30", need=10)
        b = point(warehouse=self.N, cost="10", price="20", need=10)
        # When planned: A first (saves 20 a unit, B 10), the rest to B
        assert solve([a, b], budget=150) == [10, 5]
        # and a budget that covers both orders both in full, never beyond the target
        assert solve([a, b], budget=10_000) == [10, 10]

    def test_zero_budget_orders_nothing(self):
        assert solve([point(warehouse=self.N, cost="10", price="30", need=10)], budget=0) == [0]

    def test_warehouse_capacity(self):
        # Given 6 units of room at N, none limit at S
        a = point(warehouse=self.N, cost="10", price="30", need=10)
        b = point(warehouse=self.N, cost="10", price="20", need=10)
        c = point(warehouse=self.S, cost="10", price="20", need=10)
        # Then N's room goes to A, the more valuable one; S is not limited
        assert solve([a, b, c], budget=10_000, room={self.N.pk: 6, self.S.pk: None}) == [6, 0, 10]
        # and a full warehouse gets nothing
        assert solve([a, b, c], budget=10_000, room={self.N.pk: 0}) == [0, 0, 10]

    def test_minimum_order_quantity_or_nothing(self):
        # Given 3 units short (a unit short loses 5) and a supplier that sells at least 10 (1 each)
        short = point(warehouse=self.N, cost="1", price="5", need=3, moq=10)
        # Then 10 are ordered (cost 10 < 15 lost), not 3
        assert solve([short], budget=100) == [10]
        # but a budget of 9 cannot buy the minimum: nothing
        assert solve([short], budget=9) == [0]
        # and with an ordering cost of 20 the order (10 + 20) costs more than the 15 it saves
        assert solve([short], budget=100, ordering_cost=20) == [0]

    def test_the_ordering_cost_is_paid_once_per_order(self):
        # Given 2 units short (10 lost), each costing 1, and an ordering cost of 10: 12 > 10
        assert solve([point(warehouse=self.N, cost="1", price="5", need=2)], budget=100, ordering_cost=10) == [0]
        # but 5 units short (25 lost) pay for it: 5 + 10 < 25
        assert solve([point(warehouse=self.N, cost="1", price="5", need=5)], budget=100, ordering_cost=10) == [5]

    def test_a_pair_above_its_reorder_point_is_not_ordered(self):
        above = ReorderPoint(
            product=Product(unit_cost=Decimal("1"), unit_price=Decimal("5")), warehouse=self.N, on_hand=20,
            daily_demand=1.0, demand_std=0.0, demand_source="history", lead_time_days=1.0, lead_time_std_days=0.0,
            min_order_quantity=1, lead_time_source="typed", service_level=0.95, safety_stock=0.0,
            reorder_point=10.0, eoq=50.0,
        )
        assert (above.order_now, above.target_level) == (False, 0)
        assert solve([above], budget=1000) == [0]


# --- the service ------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestStockPlanCreate:
    def test_plan_within_the_budget_is_stored_with_its_lines(self, workspace, owner, croissant, plan_settings):
        # Given the croissant (ROP 32.45, EOQ 200 → target 233, 5 on hand: 228 short) and a
        # budget of 1000 that buys 136 units at 7.30 (992.80)
        # When a plan is made
        plan = stock_plan_create(workspace=workspace, budget=Decimal("1000"), user=owner, today=TODAY)
        # Then it orders all the budget buys (margin 12.70 > holding 0.15 a unit for 30 days)
        line = plan.lines.get()
        assert (line.product, line.warehouse.code, line.on_hand, line.order_quantity) == (croissant, "N", 5, 136)
        assert (line.daily_demand, line.demand_std, line.demand_source) == (Decimal("4.000"), Decimal("3.000"), "history")
        assert (line.lead_time_days, line.lead_time_std_days) == (Decimal("4.00"), Decimal("2.00"))
        assert (line.safety_stock, line.reorder_point, line.eoq, line.target_level) == (
            Decimal("16.45"), Decimal("32.45"), Decimal("200.00"), 233)
        assert (line.unit_cost, line.cost, line.shortage_units) == (Decimal("7.30"), Decimal("1017.80"), Decimal("92"))
        # and the totals: holding = 7.30 · 0.25 · 30 / 365 = 0.15 a unit on 141 units
        assert (plan.workspace, plan.created_by, plan.status) == (workspace, owner, "optimal")
        assert (plan.budget, plan.service_level, plan.ordering_cost, plan.holding_cost_rate, plan.horizon_days) == (
            Decimal("1000.00"), Decimal("0.9500"), Decimal("25.00"), Decimal("0.2500"), 30)
        assert (plan.purchase_cost, plan.ordering_cost_total, plan.holding_cost, plan.shortage_units) == (
            Decimal("992.80"), Decimal("25.00"), Decimal("21.15"), Decimal("92.00"))
        assert plan.total_cost == Decimal("1017.80")

    def test_a_budget_for_everything_reaches_the_target(self, workspace, croissant, plan_settings):
        plan = stock_plan_create(workspace=workspace, budget=Decimal("5000"), today=TODAY)
        line = plan.lines.get()
        assert (line.order_quantity, line.shortage_units, plan.purchase_cost) == (228, 0, Decimal("1664.40"))

    def test_capacity_of_the_warehouse_limits_the_order(self, workspace, croissant, plan_settings):
        # Given N can hold 55 units and holds 5
        Warehouse.objects.filter(code="N").update(capacity_units=55)
        plan = stock_plan_create(workspace=workspace, budget=Decimal("5000"), today=TODAY)
        assert plan.lines.get().order_quantity == 50

    def test_zero_budget_orders_nothing(self, workspace, croissant, plan_settings):
        plan = stock_plan_create(workspace=workspace, budget=0, today=TODAY)
        line = plan.lines.get()
        assert (line.order_quantity, line.cost, line.shortage_units) == (0, Decimal("0.00"), Decimal("228"))
        assert (plan.purchase_cost, plan.ordering_cost_total, plan.holding_cost) == (
            Decimal("0.00"), Decimal("0.00"), Decimal("0.75"))

    @pytest.mark.parametrize(("kwargs", "message"), [
        ({"budget": Decimal("-0.01")}, "The budget cannot be negative."),
        ({"budget": "lots"}, "The budget must be a number."),
        ({"budget": 100, "service_level": 0}, "The service level must be between 0 and 1 (for example 0.95)."),
        ({"budget": 100, "service_level": 1}, "The service level must be between 0 and 1 (for example 0.95)."),
        ({"budget": 100, "service_level": Decimal("1.5")},
         "The service level must be between 0 and 1 (for example 0.95)."),
        ({"budget": 100, "ordering_cost": -1}, "The ordering cost and the holding cost rate cannot be negative."),
        # the plan's columns: budget DECIMAL(14, 2), ordering cost (12, 2), holding cost rate (6, 4)
        ({"budget": Decimal("1e12")},
         "The budget of the plan (1,000,000,000,000.00) is too large to store in a stock plan "
         "(at most 999,999,999,999.99)."),
        ({"budget": 100, "ordering_cost": Decimal("9999999999.995")},
         "The ordering cost of the plan (10,000,000,000.00) is too large to store in a stock plan "
         "(at most 9,999,999,999.99)."),
        ({"budget": 100, "holding_cost_rate": 100},
         "The holding cost rate of the plan (100.0000) is too large to store in a stock plan (at most 99.9999)."),
    ])
    def test_bad_input_is_refused_and_nothing_is_written(self, workspace, croissant, kwargs, message):
        with pytest.raises(InventoryPlanningError) as raised:
            stock_plan_create(workspace=workspace, today=TODAY, **kwargs)
        assert str(raised.value) == message
        assert (StockPlan.objects.count(), StockPlanLine.objects.count(), Prediction.objects.count()) == (0, 0, 0)

    def test_large_numbers_that_fit_their_columns_are_stored_and_read_back(self, workspace, bolt, plan_settings):
        # Given BOLT with an ordering cost of 1,000,000 and a holding cost rate of 0.0001:
        # EOQ = 730,000 · 1,000 = 730,000,000, target = 2920 + EOQ = 730,002,920
        # When a plan with a budget for all of it is made
        plan = stock_plan_create(workspace=workspace, budget="999999999", ordering_cost="1000000",
                                 holding_cost_rate="0.0001", today=TODAY)
        # Then all of it is ordered and stored as computed (holding: 0.01 · 0.0001 · 30 / 365
        # a unit on 730,002,920 units = 60.00)
        line = StockPlanLine.objects.get(plan=plan)
        assert (line.eoq, line.target_level, line.order_quantity, line.cost, line.shortage_units) == (
            Decimal("730000000.00"), 730_002_920, 730_002_920, Decimal("8300029.20"), Decimal("0.00"))
        stored = StockPlan.objects.get()
        assert (stored.purchase_cost, stored.ordering_cost_total, stored.holding_cost, stored.total_cost) == (
            Decimal("7300029.20"), Decimal("1000000.00"), Decimal("60.00"), Decimal("8300029.20"))

    @pytest.mark.parametrize(("ordering_cost", "message"), [
        # EOQ = 730,000 · 20,000 = 14,600,000,000: more than DECIMAL(12, 2) holds
        ("400000000", "The economic order quantity of BOLT at N (14,600,000,000.00) is too large to store in a "
                      f"stock plan (at most 9,999,999,999.99). {SMALLER_EOQ}"),
        # EOQ = 730,000 · 10,000 = 7,300,000,000 fits, but not the target 7,300,002,920 in an integer
        ("100000000", "The target level of BOLT at N (7,300,002,920) is too large to store in a stock plan "
                      f"(at most 2,147,483,647). {SMALLER_EOQ}"),
    ])
    def test_a_line_too_large_for_its_columns_is_refused_and_nothing_is_written(
        self, workspace, owner, bolt, plan_settings, ordering_cost, message,
    ):
        # When a plan of BOLT is asked for with a large ordering cost and a tiny holding cost rate
        with pytest.raises(InventoryPlanningError) as raised:
            stock_plan_create(workspace=workspace, budget="999999999", ordering_cost=ordering_cost,
                              holding_cost_rate="0.0001", user=owner, today=TODAY)
        # Then it is refused with the line, the number and the limit, and nothing is stored
        assert str(raised.value) == message
        assert (StockPlan.objects.count(), StockPlanLine.objects.count(), Prediction.objects.count()) == (0, 0, 0)

    def test_a_workspace_with_nothing_to_plan_is_refused(self, workspace):
        # Given only a product that no warehouse stocks or sold
        f.ProductFactory(workspace=workspace)
        with pytest.raises(InventoryPlanningError) as raised:
            stock_plan_create(workspace=workspace, budget=100, today=TODAY)
        assert str(raised.value) == (
            "Nothing to plan: the workspace has no active product that a warehouse stocks or has sold."
        )
        assert StockPlan.objects.count() == 0


# --- the API ----------------------------------------------------------------------------------------

REORDER_POINTS = "/api/v1/inventory/reorder-points/"
PLANS = "/api/v1/inventory/plans/"


@pytest.mark.django_db
class TestReorderPointsApi:
    def test_reorder_points_of_a_workspace(self, workspace, member, croissant, client_for, plan_settings, monkeypatch):
        monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)
        response = client_for(member).get(REORDER_POINTS, {"workspace": workspace.pk})
        assert response.status_code == 200
        [row] = response.json()
        assert row == {
            "product": croissant.pk, "sku": "CROI", "warehouse": row["warehouse"], "warehouse_code": "N",
            "on_hand": 5, "daily_demand": 4.0, "demand_std": 3.0, "demand_source": "history",
            "lead_time_days": 4.0, "lead_time_std_days": 2.0, "lead_time_source": "typed", "min_order_quantity": 10,
            "service_level": 0.95,
            "safety_stock": pytest.approx(10 * Z95), "reorder_point": pytest.approx(16 + 10 * Z95),
            "eoq": pytest.approx(200.0), "order_now": True, "target_level": 233, "on_order": 0,
        }

    def test_filters_and_service_level(self, workspace, viewer, croissant, client_for, plan_settings):
        client = client_for(viewer)
        assert client.get(REORDER_POINTS, {"workspace": workspace.pk, "warehouse": 999999}).json() == []
        rows = client.get(REORDER_POINTS, {"workspace": workspace.pk, "product": croissant.pk,
                                           "service_level": "0.5"}).json()
        assert [(r["sku"], r["safety_stock"]) for r in rows] == [("CROI", 0.0)]

    @pytest.mark.parametrize(("query", "expected"), [
        ({"product": "a"}, [("A", "N"), ("A", "S")]),
        ({"warehouse": "s"}, [("A", "S"), ("B", "S")]),
        ({"product": "b", "warehouse": "s"}, [("B", "S")]),
        ({}, [("A", "N"), ("A", "S"), ("B", "N"), ("B", "S")]),
    ])
    def test_filters_compute_only_the_rows_asked_for(self, workspace, member, client_for, query, expected):
        # Given products A and B sold at N and S, each pair with its own deployed model
        from tests.forecasting.test_pages import deployed

        today = timezone.localdate()
        warehouses = {"n": f.WarehouseFactory(workspace=workspace, code="N"),
                      "s": f.WarehouseFactory(workspace=workspace, code="S")}
        products = {"a": f.ProductFactory(workspace=workspace, sku="A"),
                    "b": f.ProductFactory(workspace=workspace, sku="B")}
        for product in products.values():
            for warehouse in warehouses.values():
                sell(workspace, product, warehouse, {1: 3}, today=today)
                deployed(workspace, f"inventory:product={product.pk}:warehouse={warehouse.pk}", [90.0] * 12)
        params = {"workspace": workspace.pk} | {
            name: (products if name == "product" else warehouses)[key].pk for name, key in query.items()}
        # When the reorder points are asked for with the filters
        rows = client_for(member).get(REORDER_POINTS, params).json()
        # Then only the rows asked for are answered, and only their forecasts were made (and logged)
        assert [(r["sku"], r["warehouse_code"], r["demand_source"]) for r in rows] == [
            (sku, code, "model") for sku, code in expected]
        by_code = {w.code: w.pk for w in warehouses.values()}
        by_sku = {p.sku: p.pk for p in products.values()}
        assert sorted(Prediction.objects.values_list("target", flat=True)) == sorted(
            f"inventory:product={by_sku[sku]}:warehouse={by_code[code]}" for sku, code in expected)

    def test_a_service_level_outside_zero_one_is_400_with_the_reason(self, workspace, member, client_for):
        response = client_for(member).get(REORDER_POINTS, {"workspace": workspace.pk, "service_level": "1"})
        assert (response.status_code, response.json()) == (400, {"service_level": [SERVICE_LEVEL]})

    @pytest.mark.parametrize(("query", "field"), [
        ({"workspace": None}, "workspace"), ({"workspace": "x"}, "workspace"), ({"service_level": "1"}, "service_level"),
        ({"service_level": "0"}, "service_level"), ({"service_level": "0.12345"}, "service_level"),
    ])
    def test_bad_query_is_400(self, workspace, member, client_for, query, field):
        params = {k: v for k, v in {"workspace": workspace.pk, **query}.items() if v is not None}
        response = client_for(member).get(REORDER_POINTS, params)
        assert response.status_code == 400
        assert list(response.json()) == [field]

    def test_another_workspace_is_404(self, workspace, outsider, croissant, client_for):
        assert client_for(outsider).get(REORDER_POINTS, {"workspace": workspace.pk}).status_code == 404

    def test_anonymous_is_refused(self, api_client, workspace):
        assert api_client.get(REORDER_POINTS, {"workspace": workspace.pk}).status_code in (401, 403)


@pytest.mark.django_db
class TestStockPlanApi:
    def test_member_creates_a_plan(self, workspace, member, croissant, client_for, plan_settings, monkeypatch):
        monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)
        response = client_for(member).post(PLANS, {"workspace": workspace.pk, "budget": "1000"}, format="json")
        assert response.status_code == 201
        body = response.json()
        plan = StockPlan.objects.get()
        assert (body["id"], body["workspace"], body["created_by"], body["status"]) == (
            plan.pk, workspace.pk, member.username, "optimal")
        assert (body["budget"], body["service_level"], body["purchase_cost"], body["total_cost"]) == (
            "1000.00", "0.9500", "992.80", "1017.80")
        assert [(line["sku"], line["warehouse_code"], line["order_quantity"], line["cost"]) for line in body["lines"]] == [
            ("CROI", "N", 136, "1017.80")]

    def test_costs_can_be_given(self, workspace, member, croissant, client_for, plan_settings):
        body = {"workspace": workspace.pk, "budget": "0", "service_level": "0.9", "ordering_cost": "10",
                "holding_cost_rate": "0.1"}
        response = client_for(member).post(PLANS, body, format="json")
        assert response.status_code == 201
        assert {k: response.json()[k] for k in ("service_level", "ordering_cost", "holding_cost_rate", "purchase_cost")} == {
            "service_level": "0.9000", "ordering_cost": "10.00", "holding_cost_rate": "0.1000", "purchase_cost": "0.00"}

    @pytest.mark.parametrize(("body", "field"), [
        ({"budget": "-1"}, "budget"),
        ({"budget": "abc"}, "budget"),
        ({}, "budget"),
        ({"budget": "10", "service_level": "1"}, "service_level"),
        ({"budget": "10", "service_level": "0"}, "service_level"),
        ({"budget": "10", "service_level": "1.5"}, "service_level"),
        ({"budget": "10", "holding_cost_rate": "-0.1"}, "holding_cost_rate"),
    ])
    def test_bad_input_is_400_and_writes_nothing(self, workspace, member, croissant, client_for, body, field):
        response = client_for(member).post(PLANS, {"workspace": workspace.pk, **body}, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert StockPlan.objects.count() == 0

    def test_a_service_level_outside_zero_one_is_400_with_the_reason(self, workspace, member, croissant,
                                                                     client_for):
        response = client_for(member).post(PLANS, {"workspace": workspace.pk, "budget": "10", "service_level": "0"},
                                           format="json")
        assert (response.status_code, response.json()) == (400, {"service_level": [SERVICE_LEVEL]})
        assert StockPlan.objects.count() == 0

    def test_an_order_too_large_to_store_is_400_and_writes_nothing(
        self, workspace, member, bolt, client_for, plan_settings, monkeypatch,
    ):
        # Given BOLT and the largest ordering cost and smallest holding cost rate the API
        # accepts: EOQ = 730,000 · sqrt(9,999,999,999.99) ≈ 7.3e10, over DECIMAL(12, 2)
        monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)
        client = client_for(member)
        # When a plan is asked for
        response = client.post(PLANS, {"workspace": workspace.pk, "budget": "999999999.00",
                                       "ordering_cost": "9999999999.99", "holding_cost_rate": "0.0001"},
                               format="json")
        # Then it is a 400 with the reason, and no plan is stored (nor listed)
        assert response.status_code == 400
        assert response.json() == {"detail": (
            "The economic order quantity of BOLT at N (72,999,999,999.96) is too large to store in a stock plan "
            f"(at most 9,999,999,999.99). {SMALLER_EOQ}")}
        assert (StockPlan.objects.count(), StockPlanLine.objects.count()) == (0, 0)
        assert client.get(PLANS).json()["results"] == []

    def test_nothing_to_plan_is_400_with_the_reason(self, workspace, member, client_for):
        response = client_for(member).post(PLANS, {"workspace": workspace.pk, "budget": "10"}, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "detail": "Nothing to plan: the workspace has no active product that a warehouse stocks or has sold."}
        assert StockPlan.objects.count() == 0

    def test_viewer_reads_but_cannot_create(self, workspace, viewer, croissant, client_for):
        plan = stock_plan_create(workspace=workspace, budget=10, today=TODAY)
        client = client_for(viewer)
        response = client.post(PLANS, {"workspace": workspace.pk, "budget": "10"}, format="json")
        assert response.status_code == 403
        assert StockPlan.objects.count() == 1
        assert [p["id"] for p in client.get(PLANS).json()["results"]] == [plan.pk]
        assert client.get(f"{PLANS}{plan.pk}/").json()["lines"][0]["sku"] == "CROI"

    def test_another_workspace_is_404(self, workspace, outsider, croissant, client_for):
        plan = stock_plan_create(workspace=workspace, budget=10, today=TODAY)
        client = client_for(outsider)
        assert client.post(PLANS, {"workspace": workspace.pk, "budget": "10"}, format="json").status_code == 404
        assert client.get(f"{PLANS}{plan.pk}/").status_code == 404
        assert client.get(PLANS).json()["results"] == []
        assert StockPlan.objects.count() == 1

    def test_list_is_newest_first_and_filterable(self, workspace, member, croissant, client_for):
        first = stock_plan_create(workspace=workspace, budget=10, today=TODAY)
        second = stock_plan_create(workspace=workspace, budget=20, today=TODAY)
        client = client_for(member)
        assert [p["id"] for p in client.get(PLANS).json()["results"]] == [second.pk, first.pk]
        assert [p["id"] for p in client.get(PLANS, {"workspace": workspace.pk, "status": "optimal"}).json()["results"]] == [
            second.pk, first.pk]
        assert "lines" not in client.get(PLANS).json()["results"][0]

    def test_plans_are_not_edited_or_deleted(self, workspace, member, croissant, client_for):
        plan = stock_plan_create(workspace=workspace, budget=10, today=TODAY)
        client = client_for(member)
        assert client.patch(f"{PLANS}{plan.pk}/", {"budget": "5"}, format="json").status_code == 405
        assert client.delete(f"{PLANS}{plan.pk}/").status_code == 405

    def test_endpoints_are_in_the_schema(self, api_client):
        paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
        assert {"/api/v1/inventory/reorder-points/", "/api/v1/inventory/plans/",
                "/api/v1/inventory/plans/{id}/"} <= set(paths)
        assert "201" in paths["/api/v1/inventory/plans/"]["post"]["responses"]


@pytest.mark.django_db
class TestWarehouseCapacityApi:
    def test_capacity_is_optional_and_not_negative(self, workspace, member, client_for):
        client = client_for(member)
        created = client.post("/api/v1/warehouses/", {"workspace": workspace.pk, "code": "N", "name": "North",
                                                      "capacity_units": 500}, format="json")
        assert (created.status_code, created.json()["capacity_units"]) == (201, 500)
        plain = client.post("/api/v1/warehouses/", {"workspace": workspace.pk, "code": "S", "name": "South"},
                            format="json")
        assert (plain.status_code, plain.json()["capacity_units"]) == (201, None)
        refused = client.post("/api/v1/warehouses/", {"workspace": workspace.pk, "code": "X", "name": "X",
                                                      "capacity_units": -1}, format="json")
        assert (refused.status_code, list(refused.json())) == (400, ["capacity_units"])
        assert sorted(Warehouse.objects.values_list("code", "capacity_units")) == [("N", 500), ("S", None)]


# --- the inventory page ------------------------------------------------------------------------------


@pytest.mark.django_db
class TestInventoryPage:
    INVENTORY = reverse("finance:inventory")
    PLAN = reverse("forecasting:stock-plan-create")

    def test_a_page_of_products_shows_the_demand_the_api_gives(self, client, client_for, workspace, member,
                                                              settings, monkeypatch):
        # Given the total demand model only, A sells 1 a day and B 9 (A's share: 10 %), and
        # a page that holds one product
        from tests.forecasting.test_pages import deployed

        settings.INVENTORY_DEMAND_HISTORY_DAYS = 10
        monkeypatch.setattr("finance.views.inventory.PAGE_SIZE", 1)
        today = timezone.localdate()
        north = f.WarehouseFactory(workspace=workspace, code="N")
        a, b = f.ProductFactory(workspace=workspace, sku="A"), f.ProductFactory(workspace=workspace, sku="B")
        for product, units in ((a, 1), (b, 9)):
            f.StockLevelFactory(workspace=workspace, product=product, warehouse=north, quantity=0)
            sell(workspace, product, north, dict.fromkeys(range(1, 11), units), today=today)
        deployed(workspace, "inventory", [900.0] * 12)
        api = {row["sku"]: row for row in client_for(member).get(REORDER_POINTS, {"workspace": workspace.pk}).json()}
        # When each page is opened
        client.force_login(member)
        first, second = (client.get(self.INVENTORY, {"page": n}).context["reorder"] for n in (1, 2))
        # Then each product's demand and reorder point are the API's (not its share of the page's sales)
        assert (list(first), list(second)) == ([a.pk], [b.pk])
        for page, product in ((first, a), (second, b)):
            [point] = page[product.pk].points
            assert point.demand_source == api[product.sku]["demand_source"] == "share"
            assert (point.daily_demand, point.reorder_point, point.order_now) == pytest.approx(
                (api[product.sku]["daily_demand"], api[product.sku]["reorder_point"], api[product.sku]["order_now"]))
        assert api["B"]["daily_demand"] == pytest.approx(9 * api["A"]["daily_demand"], rel=1e-9)

    def test_a_plan_too_large_to_store_is_a_form_error_and_writes_nothing(self, client, workspace, member, bolt,
                                                                           plan_settings, monkeypatch):
        # Given BOLT and costs whose EOQ (730,000 · sqrt(400,000,000) = 1.46e10) does not fit
        plan_settings.INVENTORY_ORDERING_COST = 400_000_000.0
        plan_settings.INVENTORY_HOLDING_COST_RATE = 0.0001
        monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)
        client.force_login(member)
        # When the plan form is posted
        response = client.post(self.PLAN, {"budget": "1000", "service_level": "0.95"})
        # Then the page comes back with the reason and nothing is stored
        message = ("The economic order quantity of BOLT at N (14,600,000,000.00) is too large to store in a "
                   f"stock plan (at most 9,999,999,999.99). {SMALLER_EOQ}")
        assert response.status_code == 200
        assert response.context["plan_form"].non_field_errors() == [message]
        assert message in response.content.decode()
        assert (StockPlan.objects.count(), StockPlanLine.objects.count()) == (0, 0)


# --- admin ------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestAdmin:
    @pytest.fixture
    def superuser(self, db):
        return f.UserFactory(username="root", is_staff=True, is_superuser=True)

    def test_changelist_and_read_only_change_page_with_lines(self, client, superuser, workspace, croissant):
        plan = stock_plan_create(workspace=workspace, budget=100, today=TODAY)
        client.force_login(superuser)
        changelist = client.get(reverse("admin:forecasting_stockplan_changelist"))
        assert changelist.status_code == 200
        assert [p.pk for p in changelist.context["cl"].result_list] == [plan.pk]
        page = client.get(reverse("admin:forecasting_stockplan_change", args=[plan.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert "CROI" in html and "Stock plan lines" in html
        assert 'name="_save"' not in html  # read-only: no save button
        assert client.get(reverse("admin:forecasting_stockplan_add")).status_code == 403

    def test_staff_sees_only_their_workspaces_plans(self, client, workspace, other_workspace, croissant):
        staff = f.UserFactory(is_staff=True, is_superuser=True)
        stock_plan_create(workspace=workspace, budget=100, today=TODAY)
        limited = f.UserFactory(is_staff=True)
        f.MembershipFactory(workspace=other_workspace, user=limited, role=Membership.Role.OWNER)
        from django.contrib.auth.models import Permission

        limited.user_permissions.add(Permission.objects.get(codename="view_stockplan"))
        client.force_login(limited)
        response = client.get(reverse("admin:forecasting_stockplan_changelist"))
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0
        client.force_login(staff)
        assert client.get(reverse("admin:forecasting_stockplan_changelist")).context["cl"].result_count == 1
