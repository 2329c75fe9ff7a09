"""Reorder points and what the inventory page shows: per product × warehouse, the expected
daily demand and its spread (:mod:`forecasting.inventory.demand`, the one rule of where
demand comes from), the supplier's lead time, safety stock, reorder point and economic
order quantity (:mod:`forecasting.inventory.policy`); and the stock plans stored.

Every function runs a fixed number of queries whatever the number of products.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from finance.models import Product, StockLevel, Warehouse, Workspace
from finance.purchasing.models import PurchaseOrder
from finance.purchasing.selectors import (
    LeadTime,
    SupplierPerformance,
    product_lead_time,
    supplier_performance,
    units_on_order,
)
from forecasting.inventory.demand import (
    Demand,
    Pair,
    PairDemand,
    demand_pairs,
    demand_resolve,
    demand_targets,
    product_demand,
    sales_history,
)
from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.inventory.policy import (
    economic_order_quantity,
    reorder_point,
    safety_stock,
    service_level_z,
)
from forecasting.inventory.stockout_learning import product_demand_learned
from forecasting.serving.forecasts import (
    PageForecast,
    deployed_forecasters,
    forecast_predict_many,
    forecasts_read,
)


@dataclass(frozen=True)
class ReorderPoint:
    """The reorder policy of one product at one warehouse."""

    product: Product
    warehouse: Warehouse
    on_hand: int
    daily_demand: float
    demand_std: float
    demand_source: str  # a StockPlanLine.DemandSource value
    lead_time_days: float
    lead_time_std_days: float
    min_order_quantity: int
    lead_time_source: str  # a LeadTime source: measured (from receipts), typed or default
    service_level: float
    safety_stock: float
    reorder_point: float
    eoq: float | None
    on_order: int = 0  # units ordered and not yet received (open purchase orders)

    @property
    def position(self) -> int:
        """The stock position a reorder decision reads: on hand plus on order (an order
        already placed is not placed again)."""
        return self.on_hand + self.on_order

    @property
    def order_now(self) -> bool:
        """Demand is expected and the stock position is at or below the reorder point."""
        return self.daily_demand > 0 and self.position <= self.reorder_point

    @property
    def low(self) -> bool:
        """Demand is expected and the stock position reaches the reorder point within a lead
        time at the expected rate (at or below reorder point + lead-time demand)."""
        return self.daily_demand > 0 and self.position <= self.reorder_point + self.daily_demand * self.lead_time_days


    @property
    def target_level(self) -> int:
        """Stock to reach when ordering now: reorder point + EOQ (0 when no order is due)."""
        if not self.order_now:
            return 0
        return math.ceil(round(self.reorder_point + (self.eoq or 0.0), 6))


    @property
    def shelf_life_cap(self) -> int | None:
        """The most units an order placed now can sell before they expire, for a product with a
        shelf life (``None``: it keeps): the demand expected over the shelf life from the
        order's arrival, less the stock still left then, the units on order included (sold
        first: they are older) — ``⌊d · shelf life − max(position − d · lead time, 0)⌋``,
        never below 0."""
        days = self.product.shelf_life_days
        if days is None:
            return None
        left = max(self.position - self.daily_demand * self.lead_time_days, 0.0)
        return max(math.floor(round(self.daily_demand * days - left, 6)), 0)


@dataclass(frozen=True)
class PolicyInputs:
    """The stock-policy settings of one computation (the environment's defaults unless
    given): service level and its z, the cost of one order, the yearly holding rate."""

    service_level: float
    z: float
    ordering_cost: float
    holding_cost_rate: float

    @classmethod
    def of(cls, *, service_level: Any = None, ordering_cost: Any = None,
           holding_cost_rate: Any = None) -> PolicyInputs:
        level = settings.INVENTORY_SERVICE_LEVEL if service_level is None else float(service_level)
        return cls(
            service_level=level, z=service_level_z(level),
            ordering_cost=settings.INVENTORY_ORDERING_COST if ordering_cost is None else float(ordering_cost),
            holding_cost_rate=(settings.INVENTORY_HOLDING_COST_RATE if holding_cost_rate is None
                               else float(holding_cost_rate)),
        )


def reorder_point_of(*, product: Product, warehouse: Warehouse, on_hand: int, demand: PairDemand,
                     policy: PolicyInputs, lead_time: LeadTime, on_order: int = 0) -> ReorderPoint:
    """One pair's policy from its demand and its lead time
    (:func:`finance.purchasing.selectors.product_lead_time`: measured from receipts once
    there are enough, else the supplier's typed one)."""
    supplier = product.supplier
    lead, lead_std = lead_time.mean_days, lead_time.std_days
    safety = safety_stock(z=policy.z, daily_demand=demand.daily, demand_std=demand.spread, lead_time_days=lead,
                          lead_time_std_days=lead_std)
    return ReorderPoint(
        product=product, warehouse=warehouse, on_hand=on_hand, on_order=on_order, daily_demand=demand.daily,
        demand_std=demand.spread, demand_source=demand.source, lead_time_days=lead, lead_time_std_days=lead_std,
        min_order_quantity=max(supplier.min_order_quantity, 1) if supplier is not None else 1,
        lead_time_source=lead_time.source,
        service_level=policy.service_level, safety_stock=safety,
        reorder_point=reorder_point(daily_demand=demand.daily, lead_time_days=lead, safety=safety),
        eoq=economic_order_quantity(daily_demand=demand.daily, ordering_cost=policy.ordering_cost,
                                    unit_cost=float(product.unit_cost), holding_cost_rate=policy.holding_cost_rate),
    )


@dataclass(frozen=True)
class ReorderPointsWithForecasts:
    """Reorder points, each pair's demand, and the deployed inventory forecasts read (once)
    for them and for the ``extra_targets`` asked for, by target."""

    points: list[ReorderPoint]
    forecasts: dict[str, PageForecast]
    demand: dict[Pair, PairDemand]
    suppliers: dict[int, SupplierPerformance]


def reorder_points_for_workspace(**kwargs: Any) -> list[ReorderPoint]:
    """The reorder points of :func:`reorder_points_with_forecasts` (same keywords)."""
    return reorder_points_with_forecasts(**kwargs).points


def _scope(*, workspace: Workspace, products: Sequence[Product] | None, warehouses: Sequence[Warehouse] | None,
           product_ids: Collection[int] | None, warehouse_ids: Collection[int] | None,
           ) -> tuple[dict[int, Product], dict[int, Warehouse]]:
    if products is None:
        chosen = Product.objects.filter(workspace=workspace, is_active=True).select_related("supplier")
        products = list(chosen if product_ids is None else chosen.filter(pk__in=product_ids))
    if products and warehouses is None:
        found = Warehouse.objects.filter(workspace=workspace)
        warehouses = list(found if warehouse_ids is None else found.filter(pk__in=warehouse_ids))
    return {p.pk: p for p in products}, {w.pk: w for w in warehouses or []}


def reorder_points_with_forecasts(
    *,
    workspace: Workspace,
    service_level: float | None = None,
    ordering_cost: float | None = None,
    holding_cost_rate: float | None = None,
    today: dt.date | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    log: bool = True,
    products: Sequence[Product] | None = None,
    warehouses: Sequence[Warehouse] | None = None,
    product_ids: Collection[int] | None = None,
    warehouse_ids: Collection[int] | None = None,
    history_days: int | None = None,
    extra_targets: Collection[str] = (),
) -> ReorderPointsWithForecasts:
    """The reorder point of every active product at every warehouse that stocks or sold it,
    by SKU and warehouse code, with the forecasts they were read from.

    ``products`` (with their suppliers loaded) and ``warehouses`` narrow the computation
    to what a page shows and save their queries; ``product_ids`` and ``warehouse_ids``
    narrow the workspace's active products and its warehouses (when those are not given)
    to the ones asked for (the API's filters). Neither changes any pair's numbers.
    ``extra_targets`` are read with the reorder points' own forecasts; ``log=False`` (a
    page) writes no prediction log. Queries: products (1, unless given), warehouses (1,
    unless given), stock (1), sales history (2), deployed demand models (1), the
    prediction log (1, when logged and a model answered), the workspace's units sold
    (1, when a pair's demand is its share of the total model), the suppliers' orders
    with their receipts (1, when a product has a supplier) and the units on order (1).
    """
    policy = PolicyInputs.of(service_level=service_level, ordering_cost=ordering_cost,
                             holding_cost_rate=holding_cost_rate)
    history_days = history_days or settings.INVENTORY_DEMAND_HISTORY_DAYS
    today = today or timezone.localdate()

    def fetched(targets: Collection[str]) -> dict[str, PageForecast]:
        if not targets:
            return {}
        versions = deployed_forecasters(workspace=workspace, targets=sorted(targets))
        if log:
            return forecast_predict_many(workspace=workspace, versions=versions, today=today, user=user)
        return forecasts_read(workspace=workspace, versions=versions, today=today)

    by_product, by_warehouse = _scope(workspace=workspace, products=products, warehouses=warehouses,
                                      product_ids=product_ids, warehouse_ids=warehouse_ids)
    if not by_product:
        return ReorderPointsWithForecasts(points=[], forecasts=fetched(extra_targets), demand={}, suppliers={})
    ids = sorted(by_product)
    history = sales_history(workspace=workspace, product_ids=ids, today=today, history_days=history_days)
    pairs = demand_pairs(workspace=workspace, product_ids=ids, sold=list(history.daily))
    pairs = {pair: on_hand for pair, on_hand in pairs.items() if pair[1] in by_warehouse}
    if not pairs:
        return ReorderPointsWithForecasts(points=[], forecasts=fetched(extra_targets), demand={}, suppliers={})
    results = fetched({*demand_targets(pairs), *extra_targets})
    demand = demand_resolve(workspace=workspace, pairs=pairs, history=history, forecasts=results, today=today,
                            history_days=history_days)
    supplier_ids = {by_product[product_id].supplier_id for product_id, _ in pairs} - {None}
    suppliers = supplier_performance(workspace=workspace, today=today, supplier_ids=supplier_ids) if supplier_ids else {}
    ordered = units_on_order(workspace=workspace, product_ids=ids)
    points = [
        reorder_point_of(product=by_product[pair[0]], warehouse=by_warehouse[pair[1]], on_hand=pairs[pair],
                         on_order=ordered.get(pair, 0), demand=demand[pair], policy=policy,
                         lead_time=product_lead_time(product=by_product[pair[0]], performance=suppliers))
        for pair in sorted(pairs, key=lambda p: (by_product[p[0]].sku, by_warehouse[p[1]].code))
    ]
    return ReorderPointsWithForecasts(points=points, forecasts=results, demand=demand, suppliers=suppliers)


# --- the inventory page ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProductReorder:
    """A product's reorder policy over the warehouses that stock or sell it."""

    points: list[ReorderPoint]

    @property
    def reorder_point(self) -> float:
        return sum(p.reorder_point for p in self.points)

    @property
    def safety_stock(self) -> float:
        return sum(p.safety_stock for p in self.points)

    @property
    def on_order(self) -> int:
        return sum(p.on_order for p in self.points)

    @property
    def due(self) -> list[ReorderPoint]:
        return [p for p in self.points if p.order_now]

    @property
    def order_now(self) -> bool:
        return bool(self.due)

    @property
    def due_codes(self) -> str:
        return ", ".join(p.warehouse.code for p in self.due)

    @property
    def low(self) -> bool:
        return any(p.low for p in self.points)

    @property
    def low_codes(self) -> str:
        return ", ".join(p.warehouse.code for p in self.points if p.low)




@dataclass(frozen=True)
class InventoryForecasts:
    """The inventory page's forecast column and reorder points, by product id."""

    demand: dict[int, Demand]
    reorder: dict[int, ProductReorder]


def inventory_forecasts_read(
    *, workspace: Workspace, products: Sequence[Product], stock: dict[int, int], warehouses: Sequence[Warehouse],
    today: dt.date,
) -> InventoryForecasts:
    """The forecast demand and the reorder points of ``products`` (a page of them, their
    suppliers loaded; ``stock``: each one's units on hand), from one read of the deployed
    inventory forecasts and the one demand rule. Writes nothing."""
    if not products:
        return InventoryForecasts(demand={}, reorder={})
    found = reorder_points_with_forecasts(workspace=workspace, products=products, warehouses=warehouses,
                                          today=today, log=False)
    by_product: dict[int, list[ReorderPoint]] = {}
    for point in found.points:
        by_product.setdefault(point.product.pk, []).append(point)
    demand = {}
    for product in products:
        pairs = [d for (product_id, _), d in found.demand.items() if product_id == product.pk]
        lead_time = product_lead_time(product=product, performance=found.suppliers)
        shown = product_demand(pairs=pairs, stock=stock.get(product.pk, 0), lead_time_days=lead_time.mean_days)
        if shown is not None:
            demand[product.pk] = shown
    demand = product_demand_learned(workspace=workspace, demand=demand, points=found.points, today=today,
                                    performance=found.suppliers)
    return InventoryForecasts(
        demand=demand, reorder={pk: ProductReorder(points=points) for pk, points in by_product.items()},
    )


# --- plans ---------------------------------------------------------------------------------------


def warehouse_room(*, workspace: Workspace) -> dict[int, int | None]:
    """``{warehouse id: units that still fit}`` (``None``: no capacity set) once the units
    on open purchase orders have arrived. A warehouse already over its capacity has no room.
    One query."""
    held = (StockLevel.objects.filter(warehouse=OuterRef("pk")).order_by().values("warehouse")
            .annotate(units=Sum("quantity")).values("units"))
    due = (PurchaseOrder.objects.filter(warehouse=OuterRef("pk"), status__in=PurchaseOrder.OPEN_STATUSES)
           .order_by().values("warehouse").annotate(units=Sum(F("quantity_ordered") - F("quantity_received")))
           .values("units"))
    rows = Warehouse.objects.filter(workspace=workspace).annotate(held=Subquery(held), due=Subquery(due)).values_list(
        "pk", "capacity_units", "held", "due"
    )
    return {pk: None if capacity is None else max(capacity - (held or 0) - (due or 0), 0)
            for pk, capacity, held, due in rows}


# --- plans ---------------------------------------------------------------------------------------


def stock_plan_latest(*, workspace: Workspace) -> StockPlan | None:
    """The workspace's newest plan, with who made it. One query."""
    return StockPlan.objects.filter(workspace=workspace).select_related("created_by").order_by(
        "-created_at", "-id"
    ).first()


def stock_plan_lines(*, plan: StockPlan, ordered_only: bool = False) -> QuerySet[StockPlanLine]:
    """The plan's lines with product and warehouse, by SKU and warehouse code."""
    lines = StockPlanLine.objects.filter(plan=plan).select_related("product", "warehouse")
    if ordered_only:
        lines = lines.filter(order_quantity__gt=0)
    return lines.order_by("product__sku", "warehouse__code", "pk")
