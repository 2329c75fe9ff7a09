"""A business's purchase orders and their receipts over the whole demo: each product ×
warehouse is restocked every week (every four weeks when it sells less than a unit a day,
as often as its shelf life asks when it perishes) with what it sells until the next order
and a twentieth more, rounded up to the supplier's minimum order. Suppliers are not as
punctual as their typed lead times say: each has its own real delay and spread, so the
lead times measured from the receipts differ from the typed ones. Some orders arrive in
two receipts, a few stay short (the shop then cancels their rest, so the order is closed
and only the latest orders, still on their way, count as on order).

The orders cover every day with sales, so that a stock history replayed from today's
stock through the sales and receipts (the learned stockout model's,
:mod:`forecasting.inventory.stockout_history`) never crosses days whose deliveries the
books miss: with a year of orders only, a pair whose replay held would have started its
history with a year of stock. The twentieth more is what the books do not record (waste,
shrinkage), so the replay of most pairs goes below zero and their history is simulated.

Written with ``bulk_create`` like the rest of the demo: today's stock levels
(:mod:`finance.demo.stock`) are where each pair stands in its reorder cycle, with the lead
times measured from these receipts, not the sum of the receipts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from finance.demo.calendar import DemoCalendar
from finance.demo.noise import Rng, component_rng
from finance.demo.specs import BusinessSpec
from finance.models import Product, Sale, Supplier, Warehouse, Workspace
from finance.purchasing.models import PurchaseOrder, Receipt

WEEKLY, MONTHLY = 7, 28
SPLIT_SHARE = 0.12  # orders that arrive in two receipts
SHORT_SHARE = 0.03  # orders whose second part never comes


@dataclass
class DemoPurchases:
    orders: list[PurchaseOrder]
    receipts: list[tuple[int, Receipt]]  # (index into orders, receipt without its order)


def daily_units(sales: list[Sale], n_days: int, first_day: dt.date) -> dict[tuple[int, int], np.ndarray]:
    """Units sold each day of the demo per (product id, warehouse id)."""
    units: dict[tuple[int, int], np.ndarray] = defaultdict(lambda: np.zeros(n_days))
    for sale in sales:
        units[(sale.product.pk, sale.warehouse.pk)][(sale.date - first_day).days] += sale.quantity
    return units


def _order_quantity(units: np.ndarray, day: int, interval: int, moq: int) -> int:
    """What sells from ``day`` until the next order (the recent rate past the last day),
    rounded up to a multiple of the minimum order."""
    ahead = units[day:day + interval]
    if len(ahead) < interval:
        recent = units[max(day - interval, 0):day]
        ahead = np.concatenate([ahead, np.full(interval - len(ahead), recent.mean() if len(recent) else 0.0)])
    need = float(ahead.sum()) * 1.05
    if need < 0.5:
        return 0
    moq = max(moq, 1)
    return int(math.ceil(need / moq) * moq)


def _receipts(rng: Rng, quantity: int, arrival: dt.date, end: dt.date) -> tuple[list[tuple[dt.date, int]], bool]:
    """The order's receipts by ``end``, and whether the shop closed it short (its rest
    never came: the rest is cancelled, not left on order for ever)."""
    if arrival > end:
        return [], False
    draw = rng.random()
    if draw >= SPLIT_SHARE or quantity < 2:
        return [(arrival, quantity)], False
    first = max(1, min(quantity - 1, int(round(quantity * rng.uniform(0.5, 0.9)))))
    later = arrival + dt.timedelta(days=int(rng.integers(2, 7)))
    if draw < SHORT_SHARE:
        return [(arrival, first)], True
    if later > end:  # the rest is still on its way
        return [(arrival, first)], False
    return [(arrival, first), (later, quantity - first)], False


def demo_purchases(
    business: BusinessSpec, workspace: Workspace, cal: DemoCalendar, seed: int, *, suppliers: list[Supplier],
    products: list[Product], warehouses: list[Warehouse], sales: list[Sale],
) -> DemoPurchases:
    """The orders and receipts of one business (unsaved)."""
    rng = component_rng(seed, workspace.slug, "purchases")
    first_day, end = cal.days[0], cal.days[-1]
    n_days = len(cal)
    # Each supplier's real delay: its typed lead time × a factor of its own, with its spread.
    delay = {s.pk: (float(s.lead_time_mean_days) * rng.uniform(0.9, 1.35), float(s.lead_time_std_days) * 1.2)
             for s in suppliers}
    units = daily_units(sales, n_days, first_day)
    orders: list[PurchaseOrder] = []
    receipts: list[tuple[int, Receipt]] = []
    for product in products:
        supplier = product.supplier
        for warehouse in warehouses:
            daily = units.get((product.pk, warehouse.pk), np.zeros(n_days))
            interval = WEEKLY if daily[-90:].mean() >= 1 else MONTHLY
            if product.shelf_life_days is not None:
                interval = max(1, min(interval, product.shelf_life_days))
            start = int(rng.integers(0, interval))
            for day in range(start, n_days, interval):
                quantity = _order_quantity(daily, day, interval, supplier.min_order_quantity)
                if quantity == 0:
                    continue
                ordered_on = first_day + dt.timedelta(days=day)
                mean, spread = delay[supplier.pk]
                lead = max(1, int(round(rng.normal(mean, spread))))
                order = PurchaseOrder(
                    workspace=workspace, supplier=supplier, product=product, warehouse=warehouse,
                    reference=f"PO-{ordered_on:%y%m%d}-{product.sku}-{warehouse.code}", quantity_ordered=quantity,
                    unit_cost=product.unit_cost, ordered_on=ordered_on,
                    expected_on=ordered_on + dt.timedelta(days=int(round(float(supplier.lead_time_mean_days)))),
                )
                arrived, closed_short = _receipts(rng, quantity, ordered_on + dt.timedelta(days=lead), end)
                order.quantity_received = sum(q for _, q in arrived)
                order.last_received_on = max((d for d, _ in arrived), default=None)
                order.status = (PurchaseOrder.Status.RECEIVED if order.quantity_received == quantity
                                else PurchaseOrder.Status.CANCELLED if closed_short
                                else PurchaseOrder.Status.PARTIAL if arrived else PurchaseOrder.Status.OPEN)
                receipts.extend(
                    (len(orders), Receipt(workspace=workspace, received_on=day_received, quantity=received))
                    for day_received, received in arrived
                )
                orders.append(order)
    return DemoPurchases(orders=orders, receipts=receipts)


def demo_purchases_write(purchases: DemoPurchases, *, batch_size: int) -> tuple[int, int]:
    """Write the orders, then their receipts; returns how many of each."""
    orders = PurchaseOrder.objects.bulk_create(purchases.orders, batch_size=batch_size)
    receipts = []
    for index, receipt in purchases.receipts:
        receipt.purchase_order = orders[index]
        receipts.append(receipt)
    Receipt.objects.bulk_create(receipts, batch_size=batch_size)
    return len(orders), len(receipts)

