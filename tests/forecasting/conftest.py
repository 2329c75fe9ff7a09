"""Fixtures of the forecasting tests: the inventory books of the planning and stockout tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests import factories as f
from tests.forecasting.inventory_books import sell


@pytest.fixture
def plan_settings(settings):
    """Round costs so the hand-computed numbers are exact."""
    settings.INVENTORY_ORDERING_COST = 25.0
    settings.INVENTORY_HOLDING_COST_RATE = 0.25
    settings.INVENTORY_SERVICE_LEVEL = 0.95
    settings.INVENTORY_DEMAND_HISTORY_DAYS = 5
    settings.INVENTORY_PLAN_HORIZON_DAYS = 30
    return settings


@pytest.fixture
def croissant(workspace):
    """One product at one warehouse whose last five days sold 7, 1, 7, 1, 4 units:
    d = 4 a day, σ_d = 3 (Σ (x − 4)² = 36, / 4 = 9); lead time 4 ± 2 days, MOQ 10;
    5 units on hand; cost 7.30, price 20."""
    supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("4.00"),
                                 lead_time_std_days=Decimal("2.00"), min_order_quantity=10)
    product = f.ProductFactory(workspace=workspace, sku="CROI", supplier=supplier, unit_cost=Decimal("7.30"),
                               unit_price=Decimal("20.00"))
    north = f.WarehouseFactory(workspace=workspace, code="N")
    f.StockLevelFactory(workspace=workspace, product=product, warehouse=north, quantity=5)
    sell(workspace, product, north, {5: 7, 4: 1, 3: 7, 2: 1, 1: 4})
    sell(workspace, product, north, {0: 50})  # today is not complete: not counted
    return product
