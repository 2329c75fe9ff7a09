"""The inventory page: one status per product in one order of precedence, the header counts
from the same statuses, and no inventory at all for a workspace without products."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from finance.stock_status import StockStatus, stock_status, stock_status_counts
from tests import factories as f
from tests.forecasting.inventory_books import TODAY, sell

INVENTORY = reverse("finance:inventory")
OVERVIEW = reverse("finance:overview")
MODELS = reverse("forecasting:models")


class TestPrecedence:
    @pytest.mark.parametrize(("on_hand", "order_now", "low", "expected"), [
        (0, True, True, StockStatus.OUT),
        (0, False, False, StockStatus.OUT),
        (5, True, True, StockStatus.ORDER_NOW),
        (5, True, False, StockStatus.ORDER_NOW),
        (5, False, True, StockStatus.LOW),
        (5, False, False, StockStatus.OK),
    ])
    def test_the_first_status_that_applies(self, on_hand, order_now, low, expected):
        assert stock_status(on_hand=on_hand, order_now=order_now, low=low) is expected

    def test_counts_in_the_order_of_precedence(self):
        statuses = [StockStatus.OK, StockStatus.LOW, StockStatus.OK, StockStatus.OUT]
        assert stock_status_counts(statuses) == [
            (StockStatus.OUT, 1), (StockStatus.ORDER_NOW, 0), (StockStatus.LOW, 1), (StockStatus.OK, 2)]


@pytest.fixture
def shop(workspace, settings, monkeypatch):
    """Four products selling 4 a day (no spread) with a 4-day lead time: reorder point 16,
    "low" up to 16 + 4 · 4 = 32. Stock: 0, 10, 30 and 100; a fifth never sold holds 5."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)
    settings.INVENTORY_DEMAND_HISTORY_DAYS = 5
    supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("4.00"),
                                 lead_time_std_days=Decimal("0.00"))
    north = f.WarehouseFactory(workspace=workspace, code="N")
    for sku, stock in (("A-OUT", 0), ("B-ORDER", 10), ("C-LOW", 30), ("D-OK", 100)):
        product = f.ProductFactory(workspace=workspace, sku=sku, supplier=supplier)
        f.StockLevelFactory(workspace=workspace, product=product, warehouse=north, quantity=stock)
        sell(workspace, product, north, {back: 4 for back in range(1, 6)})
    idle = f.ProductFactory(workspace=workspace, sku="E-IDLE", supplier=supplier)
    f.StockLevelFactory(workspace=workspace, product=idle, warehouse=north, quantity=5)
    return workspace


@pytest.mark.django_db
class TestInventoryPage:
    def test_one_status_per_row_and_counts_from_them(self, shop, member, logged_in):
        response = logged_in(member).get(INVENTORY)
        html = response.content.decode()
        rows = {row.product.sku: row.status for row in response.context["rows"]}
        assert rows == {"A-OUT": StockStatus.OUT, "B-ORDER": StockStatus.ORDER_NOW, "C-LOW": StockStatus.LOW,
                        "D-OK": StockStatus.OK, "E-IDLE": StockStatus.OK}
        assert re.findall(r'data-sku="([^"]+)" data-status="([^"]+)"', html) == [
            ("A-OUT", "out"), ("B-ORDER", "order_now"), ("C-LOW", "low"), ("D-OK", "ok"), ("E-IDLE", "ok")]
        # the header counts the same statuses, in the order of precedence
        counts = re.findall(r'data-status-count="([a-z_]+)"><span class="badge [a-z]+">[^<]+</span> <strong>(\d+)',
                            html)
        assert counts == [("out", "1"), ("order_now", "1"), ("low", "1"), ("ok", "2")]
        # and "Order now" is a status, not a second badge beside another status
        assert "data-order-now" not in html

    def test_the_nav_and_the_models_page_show_inventory(self, shop, member, logged_in):
        client = logged_in(member)
        assert f'href="{INVENTORY}"' in client.get(OVERVIEW).content.decode()
        assert 'data-target="inventory"' in client.get(MODELS).content.decode()


@pytest.mark.django_db
class TestAWorkspaceWithoutProducts:
    def test_no_inventory_link_page_or_model_card(self, workspace, member, logged_in):
        # Given a household: no products (an inactive one does not count)
        f.ProductFactory(workspace=workspace, is_active=False)
        client = logged_in(member)
        # Then the navigation has no Inventory link
        assert f'href="{INVENTORY}"' not in client.get(OVERVIEW).content.decode()
        # the page, if opened, says what to do and nothing else
        html = client.get(INVENTORY).content.decode()
        assert "data-inventory-empty" in html and "/api/v1/products/" in html
        assert "data-stock-plan-form" not in html and "data-scenario-form" not in html and "<table" not in html
        # and the Models page has no inventory demand card
        models = client.get(MODELS)
        assert 'data-target="inventory"' not in models.content.decode()
        assert {row.status.key for row in models.context["rows"]} == {"revenue", "expense", "categorizer"}
