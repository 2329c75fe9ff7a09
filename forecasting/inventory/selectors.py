"""Reorder points: per product × warehouse, the expected daily demand and its spread, the
supplier's lead time, safety stock, reorder point and economic order quantity.

Demand comes from the deployed inventory-demand forecasts where there are some — the same
ones, read the same way, as the inventory page's forecast column
(:func:`forecasting.serving.forecasts.window_forecast` over the next 30 days): the model of the
product at that warehouse, else the product's model times the warehouse's share of the
product's sales, else the total demand model times the pair's share of all the workspace's
sales (whichever products are asked for, a page of them included). Without
a forecast it comes from the sales history: the units sold each day of the last
``INVENTORY_DEMAND_HISTORY_DAYS`` days (from the pair's first sale if that is later),
days without sales counted as zero.

With daily demand ``d`` (standard deviation ``σ_d``), lead time ``L`` days (standard
deviation ``σ_L``) and ``z`` the standard normal quantile of the service level::

    safety stock   SS  = z · sqrt(L · σ_d² + d² · σ_L²)
    reorder point  ROP = d · L + SS
    EOQ                = sqrt(2 · D · S / H)   D = 365 · d units a year, S = cost of one
                                               order, H = holding rate × unit cost a year

Every function runs a fixed number of queries whatever the number of products.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Min, QuerySet, Sum
from django.utils import timezone
from scipy import stats

from finance.models import Product, Sale, Warehouse, Workspace
from finance.selectors import product_lead_time_days, stock_quantities, units_sold_since
from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.series.targets import Target
from forecasting.serving.forecasts import (
    DEMAND_DAYS,
    PageForecast,
    WindowForecast,
    deployed_forecasters,
    forecast_predict_many,
    product_demand_target,
    window_forecast,
)

DAYS_PER_YEAR = 365


class InventoryPlanningError(ValueError):
    """Input a reorder point or a stock plan cannot be computed from (the message says why)."""


Level = TypeVar("Level", Decimal, float)


# --- the arithmetic ----------------------------------------------------------------------------


def service_level_validate(service_level: Level) -> Level:
    """``service_level`` when it lies strictly between 0 and 1, else
    :class:`InventoryPlanningError` — the one check of the service level, whoever asks for
    one (the reorder points, the stock plan service, the plan form and the API)."""
    if not 0 < service_level < 1:
        raise InventoryPlanningError("The service level must be between 0 and 1 (for example 0.95).")
    return service_level


def service_level_validator(value: Decimal) -> None:
    """:func:`service_level_validate` as a form or serializer field's validator (Django's
    ``ValidationError``, which DRF reports too)."""
    try:
        service_level_validate(value)
    except InventoryPlanningError as exc:
        raise ValidationError(str(exc)) from None


def service_level_z(service_level: float) -> float:
    """The standard normal quantile of ``service_level`` (0.95 → 1.645)."""
    return float(stats.norm.ppf(service_level_validate(service_level)))


def safety_stock(*, z: float, daily_demand: float, demand_std: float, lead_time_days: float,
                 lead_time_std_days: float) -> float:
    """``z · sqrt(L · σ_d² + d² · σ_L²)``: stock that covers the lead time's demand with the
    service level's probability when both demand and lead time vary."""
    variance = lead_time_days * demand_std**2 + daily_demand**2 * lead_time_std_days**2
    return max(z * math.sqrt(variance), 0.0)


def reorder_point(*, daily_demand: float, lead_time_days: float, safety: float) -> float:
    """``d · L + SS``: order when the stock falls to this level."""
    return daily_demand * lead_time_days + safety


def economic_order_quantity(*, daily_demand: float, ordering_cost: float, unit_cost: float,
                            holding_cost_rate: float) -> float | None:
    """``sqrt(2 · D · S / H)`` with D the yearly demand and H the yearly holding cost of a
    unit; 0 without demand, ``None`` when holding costs nothing (no finite optimum)."""
    if daily_demand <= 0:
        return 0.0
    holding = holding_cost_rate * unit_cost
    if holding <= 0:
        return None
    return math.sqrt(2 * DAYS_PER_YEAR * daily_demand * ordering_cost / holding)


def demand_from_history(units_per_day: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation of daily units (zeros included); no spread from
    fewer than two days."""
    values = np.asarray(units_per_day, dtype=float)
    if values.size == 0:
        return 0.0, 0.0
    std = float(values.std(ddof=1)) if values.size >= 2 else 0.0
    return float(values.mean()), std


# --- reorder points ------------------------------------------------------------------------------


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
    service_level: float
    safety_stock: float
    reorder_point: float
    eoq: float | None

    @property
    def order_now(self) -> bool:
        """Demand is expected and the stock is at or below the reorder point."""
        return self.daily_demand > 0 and self.on_hand <= self.reorder_point

    @property
    def target_level(self) -> int:
        """Stock to reach when ordering now: reorder point + EOQ (0 when no order is due)."""
        if not self.order_now:
            return 0
        return math.ceil(round(self.reorder_point + (self.eoq or 0.0), 6))


@dataclass(frozen=True)
class _History:
    units: dict[tuple[int, int], float]  # units sold per pair in the window
    daily: dict[tuple[int, int], tuple[float, float]]  # (mean, std) per pair


def _sales_history(*, workspace: Workspace, product_ids: list[int] | None, today: dt.date,
                   history_days: int) -> _History:
    """Daily units per pair over the window (two queries: first sales, daily totals)."""
    window_start = today - dt.timedelta(days=history_days)
    sales = Sale.objects.filter(workspace=workspace, date__lt=today)
    if product_ids is not None:
        sales = sales.filter(product_id__in=product_ids)
    first_sales = {
        (row["product_id"], row["warehouse_id"]): row["first"]
        for row in sales.order_by().values("product_id", "warehouse_id").annotate(first=Min("date"))
    }
    per_day: dict[tuple[int, int], dict[dt.date, float]] = defaultdict(dict)
    rows = (
        sales.filter(date__gte=window_start).order_by()
        .values("product_id", "warehouse_id", "date").annotate(units=Sum("quantity"))
    )
    for row in rows:
        per_day[(row["product_id"], row["warehouse_id"])][row["date"]] = float(row["units"])
    units: dict[tuple[int, int], float] = {}
    daily: dict[tuple[int, int], tuple[float, float]] = {}
    for pair, first in first_sales.items():
        start = max(window_start, first)
        days = [start + dt.timedelta(days=i) for i in range((today - start).days)]
        observed = per_day.get(pair, {})
        values = [observed.get(day, 0.0) for day in days]
        units[pair] = float(sum(values))
        daily[pair] = demand_from_history(values)
    return _History(units=units, daily=daily)


def _pairs(*, workspace: Workspace, product_ids: list[int], sold: Sequence[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """``{(product, warehouse): on hand}`` for every stocked pair and every pair with sales."""
    pairs = stock_quantities(workspace=workspace, product_ids=product_ids)
    wanted = set(product_ids)
    for pair in sold:
        if pair[0] in wanted:
            pairs.setdefault(pair, 0)
    return pairs


@dataclass(frozen=True)
class ReorderPointsWithForecasts:
    """Reorder points, and the deployed inventory forecasts fetched (and logged) once for
    them and for the ``extra_targets`` asked for, by target."""

    points: list[ReorderPoint]
    forecasts: dict[str, PageForecast]


def reorder_points_for_workspace(**kwargs: Any) -> list[ReorderPoint]:
    """The reorder points of :func:`reorder_points_with_forecasts` (same keywords)."""
    return reorder_points_with_forecasts(**kwargs).points


def reorder_points_with_forecasts(
    *,
    workspace: Workspace,
    service_level: float | None = None,
    ordering_cost: float | None = None,
    holding_cost_rate: float | None = None,
    today: dt.date | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
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
    to the ones asked for (the API's filters). Neither changes any pair's numbers (a
    pair's share of its product's model is of the product's sales at every warehouse, its
    share of the total demand model of the whole workspace's sales). ``extra_targets``
    (a page's other inventory forecasts) are fetched and logged with the reorder points'
    own, in the same two queries. Queries: products (1, unless given), warehouses (1,
    unless given), stock (1), sales history (2), deployed demand models (1), the
    prediction log (1, when a model answered) and the workspace's units sold (1, when a
    pair's demand is its share of the total model).
    """
    service_level = settings.INVENTORY_SERVICE_LEVEL if service_level is None else float(service_level)
    z = service_level_z(service_level)
    ordering_cost = settings.INVENTORY_ORDERING_COST if ordering_cost is None else float(ordering_cost)
    holding_cost_rate = (
        settings.INVENTORY_HOLDING_COST_RATE if holding_cost_rate is None else float(holding_cost_rate)
    )
    history_days = history_days or settings.INVENTORY_DEMAND_HISTORY_DAYS
    today = today or timezone.localdate()

    def fetched(targets: Collection[str]) -> dict[str, PageForecast]:
        if not targets:
            return {}
        versions = deployed_forecasters(workspace=workspace, targets=sorted(targets))
        return forecast_predict_many(workspace=workspace, versions=versions, today=today, user=user)

    if products is None:
        chosen = Product.objects.filter(workspace=workspace, is_active=True).select_related("supplier")
        products = list(chosen if product_ids is None else chosen.filter(pk__in=product_ids))
    if not products:
        return ReorderPointsWithForecasts(points=[], forecasts=fetched(extra_targets))
    by_product = {product.pk: product for product in products}
    if warehouses is None:
        chosen = Warehouse.objects.filter(workspace=workspace)
        warehouses = list(chosen if warehouse_ids is None else chosen.filter(pk__in=warehouse_ids))
    by_warehouse = {warehouse.pk: warehouse for warehouse in warehouses}
    ids = sorted(by_product)
    history = _sales_history(workspace=workspace, product_ids=ids, today=today, history_days=history_days)
    pairs = _pairs(workspace=workspace, product_ids=ids, sold=list(history.daily))
    pairs = {pair: on_hand for pair, on_hand in pairs.items() if pair[1] in by_warehouse}
    if not pairs:
        return ReorderPointsWithForecasts(points=[], forecasts=fetched(extra_targets))

    # The deployed forecasts: the pair's own, the product's, the total (one query + log).
    own = {pair: Target("inventory", product_id=pair[0], warehouse_id=pair[1]).key for pair in pairs}
    per_product = {product_id: product_demand_target(product_id) for product_id, _ in pairs}
    results = fetched({*own.values(), *per_product.values(), "inventory", *extra_targets})
    end = today + dt.timedelta(days=DEMAND_DAYS)
    windows = {
        target: window_forecast(result.output, start=today, end=end)
        for target, result in results.items() if result.ok
    }
    product_units: dict[int, float] = defaultdict(float)
    for (product_id, _), units in history.units.items():
        product_units[product_id] += units
    # The total model forecasts the whole workspace: a pair's share is of all the
    # workspace's sales in the window, not only the products asked for (a page of them) —
    # counted once, and only when a pair falls back to it.
    all_units: float | None = None

    def share_of_all(units: float) -> float | None:
        nonlocal all_units
        if all_units is None:
            all_units = float(units_sold_since(workspace=workspace, since=today - dt.timedelta(days=history_days),
                                               until=today))
        return units / all_units if all_units else None

    points = []
    for pair in sorted(pairs, key=lambda p: (by_product[p[0]].sku, by_warehouse[p[1]].code)):
        product, warehouse = by_product[pair[0]], by_warehouse[pair[1]]
        units = history.units.get(pair, 0.0)
        # The first forecast that applies: the pair's own, the product's × the warehouse's
        # share of the product's sales, the total × the pair's share of all sales.
        found: tuple[str, WindowForecast, float] | None = None
        if (window := windows.get(own[pair])) is not None:
            found = (StockPlanLine.DemandSource.MODEL, window, 1.0)
        elif (window := windows.get(per_product[pair[0]])) is not None and product_units[pair[0]]:
            found = (StockPlanLine.DemandSource.PRODUCT, window, units / product_units[pair[0]])
        elif (window := windows.get("inventory")) is not None and (share := share_of_all(units)) is not None:
            found = (StockPlanLine.DemandSource.SHARE, window, share)
        if found is None:
            source = StockPlanLine.DemandSource.HISTORY
            daily, spread = history.daily.get(pair, (0.0, 0.0))
        else:
            # The window's total over DEMAND_DAYS days, as independent days.
            source, window, share = found
            daily = window.mean * share / DEMAND_DAYS
            spread = window.sigma * share / math.sqrt(DEMAND_DAYS)
        supplier = product.supplier
        lead = float(product_lead_time_days(product=product))
        lead_std = float(supplier.lead_time_std_days) if supplier is not None else 0.0
        safety = safety_stock(z=z, daily_demand=daily, demand_std=spread, lead_time_days=lead,
                              lead_time_std_days=lead_std)
        points.append(ReorderPoint(
            product=product, warehouse=warehouse, on_hand=pairs[pair], daily_demand=daily, demand_std=spread,
            demand_source=source, lead_time_days=lead, lead_time_std_days=lead_std,
            min_order_quantity=max(supplier.min_order_quantity, 1) if supplier is not None else 1,
            service_level=service_level, safety_stock=safety,
            reorder_point=reorder_point(daily_demand=daily, lead_time_days=lead, safety=safety),
            eoq=economic_order_quantity(daily_demand=daily, ordering_cost=ordering_cost,
                                        unit_cost=float(product.unit_cost), holding_cost_rate=holding_cost_rate),
        ))
    return ReorderPointsWithForecasts(points=points, forecasts=results)


def warehouse_room(*, workspace: Workspace) -> dict[int, int | None]:
    """``{warehouse id: units that still fit}`` (``None``: no capacity set). A warehouse
    already over its capacity has no room. One query."""
    rows = Warehouse.objects.filter(workspace=workspace).annotate(held=Sum("stock_levels__quantity")).values_list(
        "pk", "capacity_units", "held"
    )
    return {pk: None if capacity is None else max(capacity - (held or 0), 0) for pk, capacity, held in rows}


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
