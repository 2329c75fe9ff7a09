"""A business's stock today: where each product × warehouse stands in its reorder cycle.

A small shop that restocks on a policy holds, at any moment, somewhere between the level
at which it reorders and that level plus one order; only a few of its products are due
for an order. The demo shop follows the textbook continuous-review policy that
Ledgerwise recommends (:mod:`forecasting.inventory.policy` states it; ``finance`` cannot
import it, so the demo restates the two lines), from the same books the app reads:

* daily demand ``d`` and its spread ``σ_d``: the units sold each day of the last
  ``INVENTORY_DEMAND_HISTORY_DAYS`` days before the last day (a day without sales counts
  as zero);
* the lead time ``L`` and its spread ``σ_L``: measured from the supplier's receipts of the
  demo's purchase orders (:mod:`finance.demo.purchasing`), the typed one with fewer than
  ``INVENTORY_LEAD_TIME_MIN_RECEIPTS``;
* reorder point ``ROP = d·L + z·√(L·σ_d² + d²·σ_L²)`` at ``INVENTORY_SERVICE_LEVEL``, and
  an order of the economic order quantity ``√(2·365·d·S / H)``, never more than sells
  within the product's shelf life, at least the supplier's minimum order.

The policy reads the stock position — on hand plus the units of the orders still on their
way (the demo's latest purchase orders), as the app does. Each pair's position is drawn
uniformly in its cycle, from a little above the reorder point (10 % and a unit, so that
the app's own estimate does not tip it over) to the reorder point plus an order, and its
stock is that position less what is on its way (at least a day's demand). Then 2–4
products (drawn among those with demand, preferring pairs with nothing on its way) have
run low at one warehouse: there, the position is below 80 % of the reorder point, down to
empty. The inventory page therefore shows those few as "Order now" and the others as OK
or, where a lead time's demand would take the stock to its reorder point (fresh goods,
long lead times), "Low".

Deterministic: its own generator (:func:`finance.demo.noise.component_rng`), so the
sales and orders of a seed do not depend on it.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from finance.demo.calendar import DemoCalendar
from finance.demo.noise import component_rng
from finance.demo.purchasing import DemoPurchases, daily_units
from finance.models import Product, Sale, StockLevel, Warehouse, Workspace
from finance.purchasing.models import PurchaseOrder

#: How many products have run low at one warehouse (both included).
LOW_PRODUCTS = (2, 4)
#: A low pair holds this share of its reorder point at most.
LOW_SHARE = 0.8
#: Above the reorder point, a pair holds at least this much more of it (and one unit).
ABOVE_REORDER_POINT = 0.1
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class PairPolicy:
    """One product × warehouse's reorder point and order size."""

    product: Product
    warehouse: Warehouse
    daily_demand: float
    reorder_point: float
    order_quantity: int


def _lead_times(purchases: DemoPurchases, end: dt.date) -> dict[int, tuple[float, float]]:
    """``{supplier id: (mean, std)}`` of the days from order to receipt over the last year,
    for the suppliers with enough receipts."""
    since = end - dt.timedelta(days=settings.INVENTORY_LEAD_TIME_HISTORY_DAYS)
    days: dict[int, list[int]] = {}
    for index, receipt in purchases.receipts:
        order = purchases.orders[index]
        if since <= order.ordered_on <= end:
            days.setdefault(order.supplier.pk, []).append((receipt.received_on - order.ordered_on).days)
    return {
        supplier: (statistics.fmean(found), statistics.stdev(found))
        for supplier, found in days.items() if len(found) >= settings.INVENTORY_LEAD_TIME_MIN_RECEIPTS
    }


def _recent_demand(units: np.ndarray) -> tuple[float, float]:
    """Mean and sample std of the units sold a day over the history window before the last
    day, from the first sale when it is later."""
    sold = np.flatnonzero(units)
    if not len(sold):
        return 0.0, 0.0
    window = units[max(len(units) - 1 - settings.INVENTORY_DEMAND_HISTORY_DAYS, sold[0]):-1]
    if len(window) < 2:
        return float(window.mean()) if len(window) else 0.0, 0.0
    return float(window.mean()), float(window.std(ddof=1))


def demo_pair_policies(
    *, cal: DemoCalendar, products: list[Product], warehouses: list[Warehouse], sales: list[Sale],
    purchases: DemoPurchases,
) -> list[PairPolicy]:
    """The reorder point and order size of every product at every warehouse (the module's
    docstring), by product then warehouse."""
    units = daily_units(sales, len(cal), cal.days[0])
    lead_times = _lead_times(purchases, cal.days[-1])
    z = statistics.NormalDist().inv_cdf(settings.INVENTORY_SERVICE_LEVEL)
    policies = []
    for product in products:
        supplier = product.supplier
        lead, lead_std = lead_times.get(
            supplier.pk, (float(supplier.lead_time_mean_days), float(supplier.lead_time_std_days)))
        holding = settings.INVENTORY_HOLDING_COST_RATE * float(product.unit_cost)
        for warehouse in warehouses:
            daily, spread = _recent_demand(units.get((product.pk, warehouse.pk), np.zeros(len(cal))))
            safety = z * math.sqrt(lead * spread**2 + daily**2 * lead_std**2)
            eoq = math.sqrt(2 * DAYS_PER_YEAR * daily * settings.INVENTORY_ORDERING_COST / holding)
            if product.shelf_life_days is not None:
                eoq = min(eoq, daily * product.shelf_life_days)
            policies.append(PairPolicy(
                product=product, warehouse=warehouse, daily_demand=daily, reorder_point=daily * lead + safety,
                order_quantity=max(math.ceil(eoq), supplier.min_order_quantity, 1),
            ))
    return policies


def in_transit(purchases: DemoPurchases) -> dict[tuple[int, int], int]:
    """Units ordered and not yet received per (product id, warehouse id): the orders still
    open or partly received at the demo's end."""
    units: dict[tuple[int, int], int] = {}
    for order in purchases.orders:
        due = order.quantity_due
        if due and order.status in PurchaseOrder.OPEN_STATUSES:
            key = (order.product.pk, order.warehouse.pk)
            units[key] = units.get(key, 0) + due
    return units


def demo_stock_levels(
    *, workspace: Workspace, seed: int, cal: DemoCalendar, products: list[Product], warehouses: list[Warehouse],
    sales: list[Sale], purchases: DemoPurchases,
) -> list[StockLevel]:
    """Today's stock of every product at every warehouse (unsaved; the module's docstring)."""
    rng = component_rng(seed, workspace.slug, "stock")
    policies = demo_pair_policies(cal=cal, products=products, warehouses=warehouses, sales=sales,
                                  purchases=purchases)
    coming = in_transit(purchases)

    def pair(p: PairPolicy) -> tuple[int, int]:
        return p.product.pk, p.warehouse.pk

    # Only where a reorder point holds at least two units can a stock sit visibly below it;
    # a product runs low where nothing is on its way (someone forgot to order), if it can.
    candidates = sorted({p.product.pk for p in policies if p.daily_demand > 0 and p.reorder_point >= 2})
    count = min(int(rng.integers(LOW_PRODUCTS[0], LOW_PRODUCTS[1] + 1)), len(candidates))
    low_products = {int(pk) for pk in rng.choice(candidates, count, replace=False)} if count else set()
    low_pairs = set()
    for product_pk in sorted(low_products):
        eligible = [p for p in policies if p.product.pk == product_pk and p.reorder_point >= 2]
        idle = [p for p in eligible if not coming.get(pair(p))] or eligible
        chosen = idle[int(rng.integers(len(idle)))]
        low_pairs.add(pair(chosen))
    levels = []
    for policy in policies:
        on_way = coming.get(pair(policy), 0)
        if pair(policy) in low_pairs:
            position = math.floor(policy.reorder_point * rng.uniform(0.0, LOW_SHARE))
            quantity = max(position - on_way, 0)
        else:
            floor = math.ceil(policy.reorder_point * (1 + ABOVE_REORDER_POINT)) + 1
            position = floor + int(round(rng.uniform(0.0, 1.0) * policy.order_quantity))
            quantity = max(position - on_way, math.ceil(policy.daily_demand))
        levels.append(StockLevel(workspace=workspace, product=policy.product, warehouse=policy.warehouse,
                                 quantity=quantity))
    return levels
