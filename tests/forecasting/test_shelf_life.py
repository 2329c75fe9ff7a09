"""Perishables: a stock plan never orders more than the expected demand sells before the
units expire; minimum orders and warehouse capacities still hold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from finance.models import Product, Warehouse
from forecasting.inventory.models import StockPlanLine
from forecasting.inventory.selectors import ReorderPoint, reorder_points_for_workspace
from forecasting.inventory.services import stock_plan_create, stock_plan_solve
from tests import factories as f
from tests.forecasting.inventory_books import sell

TODAY = dt.date(2025, 6, 30)
N = Warehouse(pk=1, code="N")


def point(*, shelf_life: int | None, daily: float = 18.0, on_hand: int = 0, lead: float = 5.0, need: int = 2222,
          moq: int = 1, warehouse: Warehouse = N) -> ReorderPoint:
    """A baguette-like pair due for an order of ``need`` units (cost 0.90, price 4.00)."""
    return ReorderPoint(
        product=Product(unit_cost=Decimal("0.90"), unit_price=Decimal("4.00"), shelf_life_days=shelf_life),
        warehouse=warehouse, on_hand=on_hand, daily_demand=daily, demand_std=0.0, demand_source="history",
        lead_time_days=lead, lead_time_std_days=0.0, min_order_quantity=moq, lead_time_source="typed",
        service_level=0.95, safety_stock=0.0, reorder_point=float(on_hand + need), eoq=0.0,
    )


def solve(points, *, budget: float, room=None) -> list[int]:
    solution = stock_plan_solve(points=points, budget=budget, ordering_cost=0.0, holding_cost_rate=0.0,
                                horizon_days=30, room=room or {})
    assert solution.status == "optimal"
    return solution.quantities


class TestTheCap:
    def test_what_sells_over_the_shelf_life_after_arrival_less_the_stock_still_left(self):
        # 18 a day, 2 days of shelf life, 5 days of lead time: 36, less what is left on arrival
        assert point(shelf_life=2, on_hand=0).shelf_life_cap == 36
        assert point(shelf_life=2, on_hand=80).shelf_life_cap == 36  # 80 − 90 < 0: all sold by then
        assert point(shelf_life=2, on_hand=100).shelf_life_cap == 26  # 10 left on arrival
        assert point(shelf_life=2, on_hand=200).shelf_life_cap == 0  # 110 left: more than sells in 2 days
        assert point(shelf_life=1, daily=2.5).shelf_life_cap == 2  # whole units only
        assert point(shelf_life=None).shelf_life_cap is None

    def test_a_budget_for_2222_baguettes_buys_one_days_worth(self):
        # Given a baguette (1 day of shelf life, 18 sold a day) short of 2,222 units and 2,000 to spend
        # When planned, then it orders what sells in a day, not 2,000 / 0.90 = 2,222
        assert solve([point(shelf_life=1)], budget=2000) == [18]
        # and an item that keeps takes the whole budget
        assert solve([point(shelf_life=None)], budget=2000) == [2222]

    def test_a_cap_below_the_minimum_order_orders_nothing(self):
        assert solve([point(shelf_life=1, moq=24)], budget=2000) == [0]
        assert solve([point(shelf_life=2, moq=24)], budget=2000) == [36]

    def test_the_warehouse_capacity_still_holds(self):
        # 36 sell within two days: room for 30 takes 30, room for 50 the 36
        assert solve([point(shelf_life=2, need=40)], budget=2000, room={N.pk: 30}) == [30]
        assert solve([point(shelf_life=2, need=40)], budget=2000, room={N.pk: 50}) == [36]


@pytest.mark.django_db
class TestAPlanOfAPerishable:
    def test_the_stored_plan_stays_within_the_shelf_life(self, workspace, settings):
        # Given a baguette sold 18 a day at N, 20 on hand, a 1-day shelf life and a 2-day lead time,
        # and a budget of 2,000
        settings.INVENTORY_DEMAND_HISTORY_DAYS = 28
        settings.INVENTORY_ORDERING_COST = 5.0
        supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("2.00"),
                                     lead_time_std_days=Decimal("0.00"), min_order_quantity=1)
        baguette = f.ProductFactory(workspace=workspace, sku="BAGU", supplier=supplier, unit_cost=Decimal("0.90"),
                                    unit_price=Decimal("4.00"), shelf_life_days=1)
        north = f.WarehouseFactory(workspace=workspace, code="N")
        f.StockLevelFactory(workspace=workspace, product=baguette, warehouse=north, quantity=20)
        sell(workspace, baguette, north, {back: 18 for back in range(1, 29)}, today=TODAY)
        [found] = reorder_points_for_workspace(workspace=workspace, today=TODAY)
        assert (found.daily_demand, found.order_now, found.shelf_life_cap) == (18.0, True, 18)
        # When a plan is made
        plan = stock_plan_create(workspace=workspace, budget="2000", today=TODAY)
        # Then the baguette's order is one day's sales, and the line says why
        [line] = StockPlanLine.objects.filter(plan=plan)
        assert (line.order_quantity, line.shelf_life_cap) == (18, 18)
        assert line.order_quantity <= line.daily_demand * baguette.shelf_life_days
        assert plan.purchase_cost == Decimal("16.20")

    def test_the_api_gives_the_cap_and_takes_the_shelf_life(self, workspace, member, client_for):
        # Given a product typed in with a shelf life of 0 days, then 3
        client = client_for(member)
        body = {"workspace": workspace.pk, "sku": "LEMN", "name": "Lemon tart", "unit_cost": "1.60",
                "unit_price": "5.50", "shelf_life_days": 0}
        response = client.post("/api/v1/products/", body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["shelf_life_days"]
        assert not Product.objects.filter(sku="LEMN").exists()
        response = client.post("/api/v1/products/", body | {"shelf_life_days": 3}, format="json")
        assert (response.status_code, response.json()["shelf_life_days"]) == (201, 3)
