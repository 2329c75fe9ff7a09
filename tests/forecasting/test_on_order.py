"""Units on open purchase orders count with the stock on hand (the stock position): an
order already placed is not placed again, on the page, in the reorder points or in a plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from finance.models import Warehouse
from finance.purchasing.models import PurchaseOrder
from finance.purchasing.selectors import units_on_order
from forecasting.inventory.selectors import reorder_points_for_workspace, warehouse_room
from forecasting.inventory.services import stock_plan_create
from tests import factories as f
from tests.forecasting.inventory_books import TODAY

INVENTORY = "/inventory/"


def order(workspace, product, warehouse, quantity: int, *, received: int = 0, status: str = "open"):
    return f.PurchaseOrderFactory(workspace=workspace, supplier=product.supplier, product=product,
                                  warehouse=warehouse, quantity_ordered=quantity, quantity_received=received,
                                  status=status, ordered_on=TODAY - dt.timedelta(days=1),
                                  expected_on=TODAY + dt.timedelta(days=3))


@pytest.mark.django_db
class TestUnitsOnOrder:
    def test_open_and_partly_received_orders_count_what_is_still_due(self, workspace, other_workspace, croissant):
        north = Warehouse.objects.get(code="N")
        south = f.WarehouseFactory(workspace=workspace, code="S")
        order(workspace, croissant, north, 30)
        order(workspace, croissant, north, 20, received=15, status=PurchaseOrder.Status.PARTIAL)
        order(workspace, croissant, south, 40, received=40, status=PurchaseOrder.Status.RECEIVED)
        order(workspace, croissant, south, 25, status=PurchaseOrder.Status.CANCELLED)
        f.PurchaseOrderFactory(workspace=other_workspace, quantity_ordered=99)
        assert units_on_order(workspace=workspace, product_ids=[croissant.pk]) == {(croissant.pk, north.pk): 35}


@pytest.mark.django_db
class TestStockPosition:
    def test_an_order_on_its_way_takes_the_product_out_of_order_now(self, workspace, croissant, plan_settings):
        # Given the croissant: 5 on hand against a reorder point of 32.45 (order now)
        [before] = reorder_points_for_workspace(workspace=workspace, today=TODAY)
        assert (before.on_hand, before.on_order, before.order_now) == (5, 0, True)
        # When 30 are ordered (position 35)
        order(workspace, croissant, Warehouse.objects.get(code="N"), 30)
        [after] = reorder_points_for_workspace(workspace=workspace, today=TODAY)
        # Then it is no longer due, but still low (35 ≤ ROP + a lead time's demand, 48.45)
        assert (after.on_hand, after.on_order, after.position, after.order_now, after.low) == (5, 30, 35, False, True)

    def test_a_plan_orders_only_what_the_open_orders_do_not_bring(self, workspace, croissant, plan_settings):
        # Given 20 already on order: position 25 of a target of 233 (ROP 32.45 + EOQ 200)
        order(workspace, croissant, Warehouse.objects.get(code="N"), 20)
        # When a plan with money for everything is made
        plan = stock_plan_create(workspace=workspace, budget=Decimal("5000"), today=TODAY)
        # Then it orders 208, not 228, and records what was on order
        line = plan.lines.get()
        assert (line.on_hand, line.on_order, line.target_level, line.order_quantity, line.shortage_units) == (
            5, 20, 233, 208, 0)

    def test_the_room_of_a_warehouse_keeps_space_for_what_is_on_order(self, workspace, croissant, plan_settings):
        # Given N holds 5 of 55 units and 20 are on their way
        north = Warehouse.objects.get(code="N")
        Warehouse.objects.filter(pk=north.pk).update(capacity_units=55)
        order(workspace, croissant, north, 20)
        # Then 30 still fit, and a plan orders no more than that
        assert warehouse_room(workspace=workspace)[north.pk] == 30
        plan = stock_plan_create(workspace=workspace, budget=Decimal("5000"), today=TODAY)
        assert plan.lines.get().order_quantity == 30

    def test_the_inventory_page_shows_what_is_on_order_and_does_not_say_order_now(
            self, workspace, member, croissant, plan_settings, logged_in, monkeypatch):
        monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)
        order(workspace, croissant, Warehouse.objects.get(code="N"), 30)
        response = logged_in(member).get(INVENTORY)
        [row] = response.context["rows"]
        assert row.status.label == "Low"
        assert 'data-on-order="30"' in response.content.decode()
