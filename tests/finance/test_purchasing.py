"""Purchase orders and receipts: the API (scoping, roles, 400 naming the field, 409), the
receipt's atomic stock update, and the lead times and reliability measured from receipts
that the reorder points use."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.utils import timezone

from finance.models import StockLevel
from finance.purchasing.models import PurchaseOrder, Receipt
from finance.purchasing.selectors import LeadTime, product_lead_time, supplier_performance
from finance.purchasing.services import receipt_create
from forecasting.inventory.policy import service_level_z
from forecasting.inventory.selectors import reorder_points_for_workspace
from tests import factories as f

ORDERS = "/api/v1/purchase-orders/"
RECEIPTS = "/api/v1/purchase-receipts/"
TODAY = dt.date(2025, 6, 30)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)


def state():
    """Everything a purchasing request may write."""
    return (list(PurchaseOrder.objects.order_by("pk").values()), list(Receipt.objects.order_by("pk").values()),
            list(StockLevel.objects.order_by("pk").values()))


@pytest.fixture
def flour(workspace):
    supplier = f.SupplierFactory(workspace=workspace, name="Mill", lead_time_mean_days=Decimal("5.00"),
                                 lead_time_std_days=Decimal("1.00"), min_order_quantity=10)
    return f.ProductFactory(workspace=workspace, sku="FLOUR", supplier=supplier, unit_cost=Decimal("2.50"))


@pytest.fixture
def north(workspace):
    return f.WarehouseFactory(workspace=workspace, code="N")


@pytest.mark.django_db
class TestPurchaseOrderApi:
    def test_a_member_orders_with_the_products_supplier_cost_and_lead_time(self, workspace, member, client_for,
                                                                         flour, north):
        # Given a product whose supplier takes 5 days
        # When a member orders 40 units without naming supplier, cost or expected date
        response = client_for(member).post(ORDERS, {
            "workspace": workspace.pk, "product": flour.pk, "warehouse": north.pk, "quantity_ordered": 40,
            "ordered_on": "2025-06-02",
        }, format="json")
        # Then the order takes the product's supplier and cost, and is expected 5 days later
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["supplier"], body["unit_cost"], body["expected_on"], body["status"]) == (
            flour.supplier_id, "2.50", "2025-06-07", "open")
        assert (body["quantity_received"], body["quantity_due"], body["last_received_on"]) == (0, 40, None)
        assert PurchaseOrder.objects.get(pk=body["id"]).created_by == member

    @pytest.mark.parametrize(("change", "field"), [
        ({"expected_on": "2025-06-01"}, "expected_on"),
        ({"quantity_ordered": 0}, "quantity_ordered"),
        ({"ordered_on": "someday"}, "ordered_on"),
        ({"status": "received"}, "status"),
        ({"unit_cost": "-1"}, "unit_cost"),
    ])
    def test_bad_input_is_400_naming_the_field_and_writes_nothing(self, workspace, member, client_for, flour, north,
                                                                  change, field):
        before = state()
        response = client_for(member).post(ORDERS, {
            "workspace": workspace.pk, "product": flour.pk, "warehouse": north.pk, "quantity_ordered": 40,
            "ordered_on": "2025-06-02", **change,
        }, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [field]
        assert state() == before

    def test_a_product_without_supplier_needs_one_named(self, workspace, member, client_for, north):
        product = f.ProductFactory(workspace=workspace, supplier=None)
        before = state()
        response = client_for(member).post(ORDERS, {
            "workspace": workspace.pk, "product": product.pk, "warehouse": north.pk, "quantity_ordered": 4,
            "ordered_on": "2025-06-02",
        }, format="json")
        assert response.status_code == 400
        assert response.json() == {"supplier": ["The product has no supplier: name the one the order goes to."]}
        assert state() == before

    def test_another_workspaces_order_is_404(self, other_workspace, member, client_for):
        theirs = f.PurchaseOrderFactory(workspace=other_workspace)
        before = state()
        client = client_for(member)
        assert client.get(f"{ORDERS}{theirs.pk}/").status_code == 404
        assert client.patch(f"{ORDERS}{theirs.pk}/", {"status": "cancelled"}, format="json").status_code == 404
        assert client.delete(f"{ORDERS}{theirs.pk}/").status_code == 404
        assert state() == before

    def test_a_viewer_reads_but_cannot_write(self, workspace, viewer, client_for, flour, north):
        order = f.PurchaseOrderFactory(workspace=workspace, product=flour, supplier=flour.supplier, warehouse=north)
        before = state()
        client = client_for(viewer)
        assert client.post(ORDERS, {"workspace": workspace.pk, "product": flour.pk, "warehouse": north.pk,
                                    "quantity_ordered": 4, "ordered_on": "2025-06-02"}, format="json").status_code == 403
        assert client.patch(f"{ORDERS}{order.pk}/", {"status": "cancelled"}, format="json").status_code == 403
        assert client.delete(f"{ORDERS}{order.pk}/").status_code == 403
        assert client.get(f"{ORDERS}{order.pk}/").status_code == 200
        assert state() == before

    def test_cancel_and_reopen(self, workspace, member, client_for):
        order = f.PurchaseOrderFactory(workspace=workspace)
        client = client_for(member)
        response = client.patch(f"{ORDERS}{order.pk}/", {"status": "cancelled"}, format="json")
        assert (response.status_code, response.json()["status"], response.json()["quantity_due"]) == (
            200, "cancelled", 0)
        response = client.patch(f"{ORDERS}{order.pk}/", {"status": "open"}, format="json")
        assert (response.status_code, response.json()["status"]) == (200, "open")

    def test_an_order_units_arrived_for_keeps_its_product_and_cannot_be_deleted(self, workspace, member,
                                                                                client_for):
        order = f.PurchaseOrderFactory(workspace=workspace, quantity_ordered=20)
        receipt_create(purchase_order=order, quantity=8, received_on=dt.date(2025, 3, 6))
        other = f.ProductFactory(workspace=workspace)
        before = state()
        client = client_for(member)
        response = client.patch(f"{ORDERS}{order.pk}/", {"product": other.pk, "quantity_ordered": 5}, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "product": ["Units of this order have arrived: delete its receipts before changing this."],
            "quantity_ordered": ["8 units of this order have arrived already: order at least that many."],
        }
        response = client.delete(f"{ORDERS}{order.pk}/")
        assert response.status_code == 409
        assert response.json() == {"detail": "Units of this order have arrived: cancel it, or delete its receipts "
                                             "first."}
        assert state() == before


@pytest.mark.django_db
class TestReceipts:
    def test_receiving_adds_to_the_stock_and_moves_the_order_on(self, workspace, member, client_for):
        # Given an order of 20 units and 5 units already in the warehouse
        order = f.PurchaseOrderFactory(workspace=workspace, quantity_ordered=20)
        f.StockLevelFactory(workspace=workspace, product=order.product, warehouse=order.warehouse, quantity=5)
        client = client_for(member)
        # When 12 arrive, then the other 8
        first = client.post(RECEIPTS, {"purchase_order": order.pk, "received_on": "2025-03-06", "quantity": 12},
                            format="json")
        assert first.status_code == 201, first.json()
        assert first.json()["workspace"] == workspace.pk
        assert first.json()["lead_time_days"] == 5
        order.refresh_from_db()
        assert (order.status, order.quantity_received, order.last_received_on) == (
            "partial", 12, dt.date(2025, 3, 6))
        second = client.post(RECEIPTS, {"purchase_order": order.pk, "received_on": "2025-03-10", "quantity": 8},
                             format="json")
        assert second.status_code == 201
        # Then the stock holds 5 + 20 and the order is received
        order.refresh_from_db()
        assert (order.status, order.quantity_received, order.last_received_on) == (
            "received", 20, dt.date(2025, 3, 10))
        assert StockLevel.objects.get(product=order.product, warehouse=order.warehouse).quantity == 25

    def test_a_warehouse_without_a_stock_row_gets_one(self, workspace, member, client_for):
        order = f.PurchaseOrderFactory(workspace=workspace, quantity_ordered=20)
        response = client_for(member).post(RECEIPTS, {"purchase_order": order.pk, "received_on": "2025-03-06",
                                                      "quantity": 20}, format="json")
        assert response.status_code == 201
        stock = StockLevel.objects.get(product=order.product, warehouse=order.warehouse)
        assert (stock.quantity, stock.workspace_id) == (20, workspace.pk)

    @pytest.mark.parametrize(("body", "field", "message"), [
        ({"quantity": 21}, "quantity", "Only 20 units of this order are still due."),
        ({"quantity": 0}, "quantity", "Ensure this value is greater than or equal to 1."),
        ({"received_on": "2025-02-27"}, "received_on",
         "The order was placed on 2025-03-01: units cannot arrive before."),
        ({"received_on": "2025-07-01"}, "received_on", "The receipt date cannot be in the future."),
    ])
    def test_bad_receipt_is_400_naming_the_field_and_writes_nothing(self, workspace, member, client_for, body,
                                                                    field, message):
        order = f.PurchaseOrderFactory(workspace=workspace, quantity_ordered=20)
        f.StockLevelFactory(workspace=workspace, product=order.product, warehouse=order.warehouse, quantity=5)
        before = state()
        response = client_for(member).post(RECEIPTS, {"purchase_order": order.pk, "received_on": "2025-03-06",
                                                      "quantity": 4, **body}, format="json")
        assert response.status_code == 400
        assert response.json() == {field: [message]}
        assert state() == before

    def test_a_cancelled_order_receives_nothing(self, workspace, member, client_for):
        order = f.PurchaseOrderFactory(workspace=workspace, status=PurchaseOrder.Status.CANCELLED)
        before = state()
        response = client_for(member).post(RECEIPTS, {"purchase_order": order.pk, "received_on": "2025-03-06",
                                                      "quantity": 4}, format="json")
        assert response.status_code == 400
        assert response.json() == {"purchase_order": ["The order is cancelled: reopen it before receiving units."]}
        assert state() == before

    def test_another_workspaces_order_is_400_and_its_receipt_404(self, other_workspace, member, client_for):
        theirs = f.PurchaseOrderFactory(workspace=other_workspace)
        receipt = receipt_create(purchase_order=theirs, quantity=2, received_on=dt.date(2025, 3, 6))
        before = state()
        client = client_for(member)
        response = client.post(RECEIPTS, {"purchase_order": theirs.pk, "received_on": "2025-03-06", "quantity": 1},
                               format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["purchase_order"]
        assert client.get(f"{RECEIPTS}{receipt.pk}/").status_code == 404
        assert client.delete(f"{RECEIPTS}{receipt.pk}/").status_code == 404
        assert client.get(RECEIPTS).json()["results"] == []
        assert state() == before

    def test_a_viewer_cannot_receive_or_take_back(self, workspace, viewer, client_for):
        order = f.PurchaseOrderFactory(workspace=workspace)
        receipt = receipt_create(purchase_order=order, quantity=2, received_on=dt.date(2025, 3, 6))
        before = state()
        client = client_for(viewer)
        response = client.post(RECEIPTS, {"purchase_order": order.pk, "received_on": "2025-03-06", "quantity": 1},
                               format="json")
        assert response.status_code == 403
        assert client.delete(f"{RECEIPTS}{receipt.pk}/").status_code == 403
        assert client.get(f"{RECEIPTS}{receipt.pk}/").status_code == 200
        assert state() == before

    def test_a_receipt_is_not_edited(self, workspace, member, client_for):
        order = f.PurchaseOrderFactory(workspace=workspace)
        receipt = receipt_create(purchase_order=order, quantity=2, received_on=dt.date(2025, 3, 6))
        response = client_for(member).patch(f"{RECEIPTS}{receipt.pk}/", {"quantity": 3}, format="json")
        assert response.status_code == 405

    def test_taking_a_receipt_back_takes_its_units_out(self, workspace, member, client_for):
        order = f.PurchaseOrderFactory(workspace=workspace, quantity_ordered=20)
        receipt = receipt_create(purchase_order=order, quantity=20, received_on=dt.date(2025, 3, 6))
        response = client_for(member).delete(f"{RECEIPTS}{receipt.pk}/")
        assert response.status_code == 204
        order.refresh_from_db()
        assert (order.status, order.quantity_received, order.last_received_on) == ("open", 0, None)
        assert StockLevel.objects.get(product=order.product, warehouse=order.warehouse).quantity == 0

    def test_units_sold_since_cannot_be_taken_back(self, workspace, member, client_for):
        order = f.PurchaseOrderFactory(workspace=workspace, quantity_ordered=20)
        receipt = receipt_create(purchase_order=order, quantity=20, received_on=dt.date(2025, 3, 6))
        StockLevel.objects.filter(product=order.product).update(quantity=7)
        before = state()
        response = client_for(member).delete(f"{RECEIPTS}{receipt.pk}/")
        assert response.status_code == 409
        assert response.json() == {"detail": "The warehouse holds 7 units of this product now, fewer than the "
                                             "receipt's 20: correct the stock level first."}
        assert state() == before

    def test_a_failure_after_the_stock_update_writes_nothing(self, workspace, monkeypatch):
        # Given the order's figures cannot be written
        order = f.PurchaseOrderFactory(workspace=workspace, quantity_ordered=20)
        f.StockLevelFactory(workspace=workspace, product=order.product, warehouse=order.warehouse, quantity=5)
        before = state()

        def broken(order):
            raise RuntimeError("disk full")

        monkeypatch.setattr("finance.purchasing.services._order_refresh", broken)
        # When units are received, then neither the receipt nor the stock change stays
        with pytest.raises(RuntimeError):
            receipt_create(purchase_order=order, quantity=4, received_on=dt.date(2025, 3, 6))
        assert state() == before


def received(order, *days_and_quantities):
    for day, quantity in days_and_quantities:
        f.ReceiptFactory(purchase_order=order, received_on=day, quantity=quantity)
    order.quantity_received = sum(q for _, q in days_and_quantities)
    order.status = "received" if order.quantity_received == order.quantity_ordered else "partial"
    order.save()


@pytest.mark.django_db
class TestMeasuredLeadTimes:
    def make_orders(self, workspace, supplier, product, warehouse):
        """Three orders of 10 placed on 1, 10 and 20 June, expected 5 days later: the first
        arrives after 4 days, the second after 6 (late), the third in two parts after 5
        and 8 days (the second part late); a fourth, due 28 June, has not arrived."""
        orders = [f.PurchaseOrderFactory(workspace=workspace, supplier=supplier, product=product, warehouse=warehouse,
                                         quantity_ordered=10, ordered_on=dt.date(2025, 6, day),
                                         expected_on=dt.date(2025, 6, day + 5))
                  for day in (1, 10, 20, 23)]
        received(orders[0], (dt.date(2025, 6, 5), 10))
        received(orders[1], (dt.date(2025, 6, 16), 10))
        received(orders[2], (dt.date(2025, 6, 25), 6), (dt.date(2025, 6, 28), 4))
        return orders

    def test_lead_time_on_time_and_fill_rates_from_the_receipts(self, workspace, flour, north, settings):
        settings.INVENTORY_LEAD_TIME_HISTORY_DAYS = 365
        self.make_orders(workspace, flour.supplier, flour, north)
        [found] = supplier_performance(workspace=workspace, today=TODAY).values()
        days = [4, 6, 5, 8]
        mean = sum(days) / 4
        assert found.receipts == 4
        assert found.lead_time_mean_days == pytest.approx(mean)
        assert found.lead_time_std_days == pytest.approx(math.sqrt(sum((d - mean) ** 2 for d in days) / 3))
        assert found.on_time_rate == pytest.approx(2 / 4)
        # the fourth order (due 28 June, nothing arrived) counts: 30 of 40 units
        assert (found.orders_due, found.fill_rate) == (4, pytest.approx(30 / 40))

    def test_the_window_leaves_old_orders_out(self, workspace, flour, north, settings):
        settings.INVENTORY_LEAD_TIME_HISTORY_DAYS = 15
        self.make_orders(workspace, flour.supplier, flour, north)
        [found] = supplier_performance(workspace=workspace, today=TODAY).values()
        assert (found.receipts, found.orders_due) == (2, 2)

    def test_three_receipts_replace_the_typed_lead_time(self, workspace, flour, north, settings):
        settings.INVENTORY_LEAD_TIME_MIN_RECEIPTS = 3
        orders = self.make_orders(workspace, flour.supplier, flour, north)
        measured = product_lead_time(product=flour, performance=supplier_performance(workspace=workspace, today=TODAY))
        assert (measured.source, measured.receipts, measured.mean_days) == ("measured", 4, pytest.approx(5.75))
        assert measured.label == "measured from 4 receipts"
        # with two receipts only, the typed one (5 ± 1 days), labelled
        Receipt.objects.filter(purchase_order__in=orders[1:3]).delete()
        typed = product_lead_time(product=flour, performance=supplier_performance(workspace=workspace, today=TODAY))
        assert typed == LeadTime(mean_days=5.0, std_days=1.0, source="typed", receipts=1)
        assert typed.label == "the supplier's typed lead time (1 receipt so far)"

    def test_the_reorder_point_uses_the_measured_lead_time(self, workspace, flour, north, settings):
        # Given 4 units sold every day of the last 90 and the receipts above
        settings.INVENTORY_DEMAND_HISTORY_DAYS = 90
        for back in range(1, 91):
            f.SaleFactory(workspace=workspace, product=flour, warehouse=north, date=TODAY - dt.timedelta(days=back),
                          quantity=4)
        self.make_orders(workspace, flour.supplier, flour, north)
        # When the reorder point is computed
        [point] = reorder_points_for_workspace(workspace=workspace, service_level=0.95, today=TODAY)
        # Then it uses the measured 5.75 ± s days: no demand spread, so SS = z · d · σ_L
        sigma = math.sqrt(sum((d - 5.75) ** 2 for d in [4, 6, 5, 8]) / 3)
        assert (point.lead_time_source, point.lead_time_days) == ("measured", pytest.approx(5.75))
        assert point.safety_stock == pytest.approx(service_level_z(0.95) * 4 * sigma)
        assert point.reorder_point == pytest.approx(4 * 5.75 + service_level_z(0.95) * 4 * sigma)


@pytest.mark.django_db
class TestAdmin:
    def test_a_receipt_added_in_the_admin_adds_to_the_stock(self, client, workspace):
        # Given an order of 20 and a superuser
        order = f.PurchaseOrderFactory(workspace=workspace, quantity_ordered=20)
        client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
        # When 30 are typed in, then the form names the quantity and nothing is written
        before = state()
        response = client.post("/admin/finance/receipt/add/", {
            "purchase_order": order.pk, "received_on": "2025-03-06", "quantity": 30, "note": ""})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors == {"quantity": ["Only 20 units of this order are still due."]}
        assert state() == before
        # and when 12 are typed in, the stock and the order follow
        response = client.post("/admin/finance/receipt/add/", {
            "purchase_order": order.pk, "received_on": "2025-03-06", "quantity": 12, "note": "first pallet"})
        assert response.status_code == 302
        order.refresh_from_db()
        assert (order.status, order.quantity_received) == ("partial", 12)
        assert StockLevel.objects.get(product=order.product, warehouse=order.warehouse).quantity == 12
