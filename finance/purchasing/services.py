"""Writes of purchase orders and receipts. A receipt adds its units to the warehouse's stock
and brings its order's received quantity, last receipt date and status up to date, all in
one transaction; deleting a receipt takes them back the same way.

The rules of a valid order or receipt raise Django's ``ValidationError`` keyed by field
(the API answers 400 naming it) and are checked again under the order's row lock, so two
receipts arriving together cannot receive more than was ordered.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from finance.models import Product, StockLevel, Supplier, Warehouse, Workspace
from finance.purchasing.models import PurchaseOrder, Receipt

#: The fields of an order that cannot change once units have arrived.
FIXED_AFTER_RECEIPT = ("supplier", "product", "warehouse", "ordered_on")


class PurchasingConflict(Exception):
    """The object's state refuses the request (the API answers 409 with the message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def purchase_order_validate(*, values: dict[str, Any], instance: PurchaseOrder | None = None) -> None:
    """Raise ``ValidationError`` keyed by field unless ``values`` (merged over ``instance``'s)
    make a valid order: the expected date not before the order date, never fewer units
    ordered than received, nothing but the quantity, dates, cost, reference and status
    changed once units arrived, and only ``cancelled`` / ``open`` set by hand."""

    def value(name: str) -> Any:
        return values[name] if name in values else getattr(instance, name, None)

    errors: dict[str, str] = {}
    ordered_on, expected_on = value("ordered_on"), value("expected_on")
    if ordered_on is not None and expected_on is not None and expected_on < ordered_on:
        errors["expected_on"] = "The expected date cannot be before the order date."
    received = instance.quantity_received if instance is not None else 0
    quantity = value("quantity_ordered")
    if quantity is not None and quantity < received:
        errors["quantity_ordered"] = f"{received} units of this order have arrived already: order at least that many."
    if instance is not None and received:
        for name in FIXED_AFTER_RECEIPT:
            if name in values and values[name] != getattr(instance, name):
                errors[name] = "Units of this order have arrived: delete its receipts before changing this."
    status = values.get("status")
    if status is not None and status not in (PurchaseOrder.Status.OPEN, PurchaseOrder.Status.CANCELLED):
        errors["status"] = "Receipts set an order partially received or received; you can only cancel or reopen it."
    if status == PurchaseOrder.Status.CANCELLED and received and received >= (quantity or 0):
        errors["status"] = "Every unit of this order has arrived: there is nothing left to cancel."
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})


def _status_of(order: PurchaseOrder, *, cancelled: bool) -> str:
    if cancelled:
        return PurchaseOrder.Status.CANCELLED
    if order.quantity_received >= order.quantity_ordered:
        return PurchaseOrder.Status.RECEIVED
    return PurchaseOrder.Status.PARTIAL if order.quantity_received else PurchaseOrder.Status.OPEN


@transaction.atomic
def purchase_order_create(
    *, workspace: Workspace, product: Product, warehouse: Warehouse, quantity_ordered: int, ordered_on: dt.date,
    expected_on: dt.date | None = None, supplier: Supplier | None = None, unit_cost: Decimal | None = None,
    reference: str = "", user: Any = None,
) -> PurchaseOrder:
    """A new open order. Defaults: the product's supplier, the product's unit cost, and the
    expected date the supplier's typed lead time after the order date."""
    supplier = supplier or product.supplier
    if supplier is None:
        raise ValidationError({"supplier": ["The product has no supplier: name the one the order goes to."]})
    if expected_on is None:
        expected_on = ordered_on + dt.timedelta(days=round(float(supplier.lead_time_mean_days)))
    values = {"ordered_on": ordered_on, "expected_on": expected_on, "quantity_ordered": quantity_ordered}
    purchase_order_validate(values=values)
    return PurchaseOrder.objects.create(
        workspace=workspace, supplier=supplier, product=product, warehouse=warehouse, reference=reference,
        quantity_ordered=quantity_ordered, unit_cost=product.unit_cost if unit_cost is None else unit_cost,
        ordered_on=ordered_on, expected_on=expected_on,
        created_by=user if user is not None and user.is_authenticated else None,
    )


@transaction.atomic
def purchase_order_update(*, purchase_order: PurchaseOrder, **values: Any) -> PurchaseOrder:
    """Change an order (under its row lock). ``status`` may only cancel or reopen it; the
    received figures are the receipts'."""
    order = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    purchase_order_validate(values=values, instance=order)
    status = values.pop("status", None)
    for name, value in values.items():
        setattr(order, name, value)
    cancelled = order.status == PurchaseOrder.Status.CANCELLED if status is None else (
        status == PurchaseOrder.Status.CANCELLED)
    order.status = _status_of(order, cancelled=cancelled)
    order.save()
    return order


def purchase_order_delete(*, purchase_order: PurchaseOrder) -> None:
    """Delete an order that nothing has arrived for (else :class:`PurchasingConflict`)."""
    if purchase_order.receipts.exists():
        raise PurchasingConflict("Units of this order have arrived: cancel it, or delete its receipts first.")
    purchase_order.delete()


def receipt_validate(*, purchase_order: PurchaseOrder, quantity: int, received_on: dt.date,
                     today: dt.date | None = None) -> None:
    """Raise ``ValidationError`` keyed by field unless ``quantity`` units may arrive on
    ``received_on`` for ``purchase_order``: an order that is not cancelled, no more than is
    still due, not before the order date and not in the future."""
    errors: dict[str, str] = {}
    if purchase_order.status == PurchaseOrder.Status.CANCELLED:
        errors["purchase_order"] = "The order is cancelled: reopen it before receiving units."
    elif quantity > purchase_order.quantity_due:
        due = purchase_order.quantity_due
        errors["quantity"] = (f"Only {due} unit{'s' if due != 1 else ''} of this order {'are' if due != 1 else 'is'} "
                              "still due." if due else "Every unit of this order has arrived already.")
    if received_on < purchase_order.ordered_on:
        errors["received_on"] = f"The order was placed on {purchase_order.ordered_on}: units cannot arrive before."
    elif received_on > (today or timezone.localdate()):
        errors["received_on"] = "The receipt date cannot be in the future."
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})


def _stock_add(order: PurchaseOrder, quantity: int) -> None:
    stock, _ = StockLevel.objects.select_for_update().get_or_create(
        product_id=order.product_id, warehouse_id=order.warehouse_id, defaults={"workspace_id": order.workspace_id}
    )
    if stock.quantity + quantity < 0:
        raise PurchasingConflict(
            f"The warehouse holds {stock.quantity} units of this product now, fewer than the receipt's "
            f"{-quantity}: correct the stock level first."
        )
    StockLevel.objects.filter(pk=stock.pk).update(quantity=F("quantity") + quantity, updated_at=timezone.now())


def _order_refresh(order: PurchaseOrder) -> None:
    received = list(order.receipts.values_list("quantity", "received_on"))
    order.quantity_received = sum(quantity for quantity, _ in received)
    order.last_received_on = max((day for _, day in received), default=None)
    order.status = _status_of(order, cancelled=order.status == PurchaseOrder.Status.CANCELLED)
    order.save(update_fields=["quantity_received", "last_received_on", "status"])


@transaction.atomic
def receipt_create(*, purchase_order: PurchaseOrder, quantity: int, received_on: dt.date, note: str = "",
                   user: Any = None, today: dt.date | None = None) -> Receipt:
    """Record units arriving for an order: the receipt, the warehouse's stock and the order's
    received figures and status, together or not at all."""
    order = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    receipt_validate(purchase_order=order, quantity=quantity, received_on=received_on, today=today)
    receipt = Receipt.objects.create(
        workspace_id=order.workspace_id, purchase_order=order, received_on=received_on, quantity=quantity,
        note=note, created_by=user if user is not None and user.is_authenticated else None,
    )
    _stock_add(order, quantity)
    _order_refresh(order)
    return receipt


@transaction.atomic
def receipt_delete(*, receipt: Receipt) -> None:
    """Take a receipt back: its units leave the warehouse's stock (refused with
    :class:`PurchasingConflict` when the stock no longer holds them) and the order's figures
    follow."""
    order = PurchaseOrder.objects.select_for_update().get(pk=receipt.purchase_order_id)
    _stock_add(order, -receipt.quantity)
    Receipt.objects.filter(pk=receipt.pk).delete()
    _order_refresh(order)
