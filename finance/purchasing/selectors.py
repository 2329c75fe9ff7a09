"""What purchase orders and receipts say about suppliers, and the one rule of the lead time
a stock policy uses.

Per supplier, from the receipts of its orders placed in the last
``INVENTORY_LEAD_TIME_HISTORY_DAYS`` days:

* **lead time**: days from the order date to each receipt (a partial delivery counts once
  per receipt: the units that came late did take longer), its mean and sample standard
  deviation;
* **on-time rate**: the share of receipts that arrived on or before the order's expected
  date;
* **fill rate**: units received ÷ units ordered over the orders that are due — received,
  cancelled, or past their expected date — so a supplier who ships short or not at all
  scores below 1.

:func:`product_lead_time` uses the measured lead time once the product's supplier has at
least ``INVENTORY_LEAD_TIME_MIN_RECEIPTS`` receipts, the supplier's typed lead time before
that, and :data:`finance.selectors.DEFAULT_LEAD_TIME_DAYS` without a supplier; every answer
says which (``source``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, QuerySet, Sum

from finance.models import Product, Workspace
from finance.purchasing.models import PurchaseOrder
from finance.selectors import product_lead_time_days


@dataclass(frozen=True)
class SupplierPerformance:
    """A supplier's lead time and reliability as its receipts measure them."""

    supplier_id: int
    receipts: int
    lead_time_mean_days: float | None
    lead_time_std_days: float | None
    on_time_rate: float | None  # None: no receipt yet
    fill_rate: float | None  # None: no order due yet
    orders_due: int


def supplier_performance(
    *, workspace: Workspace, today: dt.date, supplier_ids: Collection[int] | None = None,
) -> dict[int, SupplierPerformance]:
    """``{supplier id: performance}`` for the suppliers with orders in the window (those of
    ``supplier_ids`` when given). One query: the orders joined with their receipts."""
    since = today - dt.timedelta(days=settings.INVENTORY_LEAD_TIME_HISTORY_DAYS)
    orders = PurchaseOrder.objects.filter(workspace=workspace, ordered_on__gte=since, ordered_on__lte=today)
    if supplier_ids is not None:
        orders = orders.filter(supplier_id__in=supplier_ids)
    rows = orders.order_by().values_list("pk", "supplier_id", "ordered_on", "expected_on", "status",
                                         "quantity_ordered", "quantity_received", "receipts__received_on")
    lead: dict[int, list[int]] = defaultdict(list)
    on_time: dict[int, int] = defaultdict(int)
    due: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)  # supplier -> order -> (ordered, received)
    closed = (PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CANCELLED)
    for pk, supplier_id, ordered_on, expected_on, status, ordered, received, received_on in rows:
        if received_on is not None:
            lead[supplier_id].append((received_on - ordered_on).days)
            on_time[supplier_id] += received_on <= expected_on
        if status in closed or expected_on < today:
            due[supplier_id][pk] = (ordered, received)
    found = {}
    for supplier_id in set(lead) | set(due):
        days = lead.get(supplier_id, [])
        quantities = list(due.get(supplier_id, {}).values())
        ordered_units = sum(q for q, _ in quantities)
        found[supplier_id] = SupplierPerformance(
            supplier_id=supplier_id, receipts=len(days),
            lead_time_mean_days=statistics.fmean(days) if days else None,
            lead_time_std_days=statistics.stdev(days) if len(days) >= 2 else None,
            on_time_rate=on_time[supplier_id] / len(days) if days else None,
            fill_rate=sum(r for _, r in quantities) / ordered_units if ordered_units else None,
            orders_due=len(quantities),
        )
    return found


@dataclass(frozen=True)
class LeadTime:
    """The lead time a stock policy uses for a product, and where it comes from."""

    mean_days: float
    std_days: float
    source: str  # one of SOURCES
    receipts: int = 0

    MEASURED = "measured"
    TYPED = "typed"
    DEFAULT = "default"

    @property
    def label(self) -> str:
        if self.source == self.MEASURED:
            return f"measured from {self.receipts} receipts"
        if self.source == self.TYPED:
            so_far = f" ({self.receipts} receipt{'s' if self.receipts != 1 else ''} so far)" if self.receipts else ""
            return f"the supplier's typed lead time{so_far}"
        return "default (no supplier)"


def product_lead_time(*, product: Product, performance: Mapping[int, SupplierPerformance]) -> LeadTime:
    """The rule of this module for ``product`` (its supplier loaded; ``performance`` from
    :func:`supplier_performance`). No query."""
    supplier = product.supplier
    if supplier is None:
        return LeadTime(mean_days=float(product_lead_time_days(product=product)), std_days=0.0,
                        source=LeadTime.DEFAULT)
    measured = performance.get(supplier.pk)
    receipts = measured.receipts if measured is not None else 0
    if measured is not None and receipts >= settings.INVENTORY_LEAD_TIME_MIN_RECEIPTS:
        return LeadTime(mean_days=measured.lead_time_mean_days or 0.0, std_days=measured.lead_time_std_days or 0.0,
                        source=LeadTime.MEASURED, receipts=receipts)
    return LeadTime(mean_days=float(supplier.lead_time_mean_days), std_days=float(supplier.lead_time_std_days),
                    source=LeadTime.TYPED, receipts=receipts)


def units_on_order(*, workspace: Workspace, product_ids: Collection[int]) -> dict[tuple[int, int], int]:
    """``{(product id, warehouse id): units ordered and not yet received}`` over the open and
    partly received orders of ``product_ids``: what a reorder decision counts with the stock
    on hand (its stock position). One query."""
    rows = (
        PurchaseOrder.objects.filter(workspace=workspace, product_id__in=product_ids,
                                     status__in=PurchaseOrder.OPEN_STATUSES)
        .order_by().values("product_id", "warehouse_id")
        .annotate(due=Sum(F("quantity_ordered") - F("quantity_received")))
        .values_list("product_id", "warehouse_id", "due")
    )
    return {(product_id, warehouse_id): int(due) for product_id, warehouse_id, due in rows if due}


def purchase_order_list(*, workspace: Workspace, product_id: int | None = None) -> QuerySet[PurchaseOrder]:
    """The workspace's purchase orders, newest first, with supplier, product and warehouse."""
    orders = PurchaseOrder.objects.filter(workspace=workspace).select_related("supplier", "product", "warehouse")
    if product_id is not None:
        orders = orders.filter(product_id=product_id)
    return orders.order_by("-ordered_on", "-id")
