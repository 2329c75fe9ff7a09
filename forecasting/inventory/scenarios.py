"""What-if: the reorder points of a stock plan under a scenario — a promotion that lifts
demand, a price change, a service level — and what the plan's orders are worth afterwards.

A scenario changes the demand of the products it names (all of them when it names none):

    daily demand × (1 + promotion uplift) × (1 + price change) ^ price elasticity

and their price by the price change; the spread of demand scales with it. The reorder
points, economic order quantities and shelf-life caps are then recomputed from the
scaled demand with the scenario's service level, each pair keeping its lead time. The
elasticity is ``INVENTORY_PRICE_ELASTICITY`` (−1.5: a 10 % dearer product sells about
13 % less) unless the scenario gives its own; every answer states the one it used.

After the orders, over the plan's horizon and with no later order, a pair's demand ``D`` is
taken as normal (``d · h``, ``σ · √h``); the stock it meets is what is on hand, what is
already on order and the plan's order. The **expected fill rate** is ``1 − Σ E[max(D − stock, 0)] / Σ E[D]`` and the
**expected lost sales** the units short at each product's (scenario) price.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from finance.models import Product
from finance.purchasing.selectors import LeadTime
from forecasting.inventory.selectors import (
    PolicyInputs,
    ReorderPoint,
    ReorderPointsWithForecasts,
    reorder_point_of,
)
from forecasting.inventory.stockout import expected_shortfall
from forecasting.serving.forecasts import WindowForecast


@dataclass(frozen=True)
class ScenarioChange:
    """How a scenario moves demand and price: percentages, and which products (None: all)."""

    promotion_uplift_pct: float = 0.0
    price_change_pct: float = 0.0
    price_elasticity: float = -1.5
    product_ids: frozenset[int] | None = None

    def applies_to(self, product_id: int) -> bool:
        return self.product_ids is None or product_id in self.product_ids

    @property
    def demand_factor(self) -> float:
        return (1 + self.promotion_uplift_pct / 100) * (1 + self.price_change_pct / 100) ** self.price_elasticity

    @property
    def price_factor(self) -> Decimal:
        return 1 + Decimal(str(self.price_change_pct)) / 100


def _repriced(product: Product, factor: Decimal) -> Product:
    """An unsaved copy of ``product`` at ``factor`` × its price (the plan penalises a unit
    short at the price)."""
    changed = copy.copy(product)
    changed.unit_price = (product.unit_price * factor).quantize(Decimal("0.01"))
    return changed


def scenario_points(*, found: ReorderPointsWithForecasts, change: ScenarioChange, policy: PolicyInputs,
                    ) -> list[ReorderPoint]:
    """``found``'s reorder points recomputed under ``change`` with ``policy`` (no query)."""
    factor, price = change.demand_factor, change.price_factor
    points = []
    for point in found.points:
        demand = found.demand[(point.product.pk, point.warehouse.pk)]
        product = point.product
        if change.applies_to(product.pk) and (factor != 1 or price != 1):
            demand = replace(demand, daily=demand.daily * factor, spread=demand.spread * factor)
            product = _repriced(product, price)
        lead = LeadTime(mean_days=point.lead_time_days, std_days=point.lead_time_std_days,
                        source=point.lead_time_source)
        points.append(reorder_point_of(product=product, warehouse=point.warehouse, on_hand=point.on_hand,
                                       on_order=point.on_order, demand=demand, policy=policy, lead_time=lead))
    return points


@dataclass(frozen=True)
class Outcome:
    """What a plan's orders leave over the horizon: the expected fill rate (None: no demand
    expected) and the expected lost sales in money."""

    fill_rate: float | None
    lost_sales: Decimal


def plan_outcome(*, points: Sequence[ReorderPoint], quantities: Sequence[int], horizon_days: int) -> Outcome:
    """The rule of this module's docstring for ``points`` ordering ``quantities``."""
    demand = short = 0.0
    lost = Decimal(0)
    for point, quantity in zip(points, quantities, strict=True):
        window = WindowForecast(point.daily_demand * horizon_days, point.demand_std * math.sqrt(horizon_days))
        missing = expected_shortfall(window, float(point.position + quantity))
        demand += window.mean
        short += missing
        lost += Decimal(str(round(missing, 4))) * point.product.unit_price
    return Outcome(fill_rate=None if demand <= 0 else max(0.0, 1 - short / demand),
                   lost_sales=lost.quantize(Decimal("0.01")))

