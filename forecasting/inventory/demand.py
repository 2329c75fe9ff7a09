"""Where a product's demand comes from: one rule for the inventory page, the reorder points
and the stock plans.

Per product × warehouse (a *pair*), the first source that applies:

1. ``model``   the deployed demand model of the pair itself;
2. ``product`` the product's model × the warehouse's share of the product's sales (an even
   split over the product's pairs while it has sold nothing);
3. ``share``   the total demand model × the pair's share of all the workspace's sales
   (whatever products are asked for, a page of them included);
4. ``history`` the units sold each day of the last ``INVENTORY_DEMAND_HISTORY_DAYS`` days
   (from the pair's first sale if that is later), days without sales counted as zero.

A forecast is read over the next ``DEMAND_DAYS`` days
(:func:`forecasting.serving.forecasts.window_forecast`) and spread evenly over them. A
product's demand (the page's forecast column) is the sum of its pairs'.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from django.db.models import Min, Sum

from finance.models import Sale, Workspace
from finance.selectors import stock_quantities, units_sold_since
from forecasting.inventory.models import StockPlanLine
from forecasting.registry.models import ModelVersion
from forecasting.series.targets import Target
from forecasting.serving.forecasts import (
    DEMAND_DAYS,
    Z80,
    PageForecast,
    WindowForecast,
    product_demand_target,
    risk_level,
    window_forecast,
)

Pair = tuple[int, int]  # (product id, warehouse id)
Source = StockPlanLine.DemandSource


def demand_from_history(units_per_day: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation of daily units (zeros included); no spread from
    fewer than two days."""
    values = np.asarray(units_per_day, dtype=float)
    if values.size == 0:
        return 0.0, 0.0
    std = float(values.std(ddof=1)) if values.size >= 2 else 0.0
    return float(values.mean()), std


@dataclass(frozen=True)
class SalesHistory:
    units: dict[Pair, float]  # units sold per pair in the window
    daily: dict[Pair, tuple[float, float]]  # (mean, std) of daily units per pair


def sales_history(*, workspace: Workspace, product_ids: list[int] | None, today: dt.date,
                  history_days: int) -> SalesHistory:
    """Daily units per pair over the window before ``today`` (two queries: first sales,
    daily totals)."""
    window_start = today - dt.timedelta(days=history_days)
    sales = Sale.objects.filter(workspace=workspace, date__lt=today)
    if product_ids is not None:
        sales = sales.filter(product_id__in=product_ids)
    first_sales = {
        (row["product_id"], row["warehouse_id"]): row["first"]
        for row in sales.order_by().values("product_id", "warehouse_id").annotate(first=Min("date"))
    }
    per_day: dict[Pair, dict[dt.date, float]] = defaultdict(dict)
    rows = (
        sales.filter(date__gte=window_start).order_by()
        .values("product_id", "warehouse_id", "date").annotate(units=Sum("quantity"))
    )
    for row in rows:
        per_day[(row["product_id"], row["warehouse_id"])][row["date"]] = float(row["units"])
    units: dict[Pair, float] = {}
    daily: dict[Pair, tuple[float, float]] = {}
    for pair, first in first_sales.items():
        start = max(window_start, first)
        values = [per_day.get(pair, {}).get(start + dt.timedelta(days=i), 0.0) for i in range((today - start).days)]
        units[pair] = float(sum(values))
        daily[pair] = demand_from_history(values)
    return SalesHistory(units=units, daily=daily)


def demand_pairs(*, workspace: Workspace, product_ids: list[int], sold: Collection[Pair]) -> dict[Pair, int]:
    """``{(product, warehouse): on hand}`` for every stocked pair and every pair with sales."""
    pairs = stock_quantities(workspace=workspace, product_ids=product_ids)
    wanted = set(product_ids)
    for pair in sold:
        if pair[0] in wanted:
            pairs.setdefault(pair, 0)
    return pairs


def demand_targets(pairs: Collection[Pair]) -> set[str]:
    """The deployed forecasts the rule reads for ``pairs``: each pair's, each product's and
    the total."""
    return {
        *(Target("inventory", product_id=p, warehouse_id=w).key for p, w in pairs),
        *(product_demand_target(p) for p, _ in pairs),
        "inventory",
    }


@dataclass(frozen=True)
class DemandShares:
    """The parts of a broader forecast the rule gives a pair, from the units sold in the
    window: its share of its product's (an even split over the product's ``pairs`` while
    the product has sold nothing), and the share of some pairs in all the workspace's
    (``None`` while the workspace has sold nothing; ``all_units`` is asked only then)."""

    history: SalesHistory
    pairs: Collection[Pair]
    all_units: Callable[[], float]

    @cached_property
    def _by_product(self) -> tuple[dict[int, float], dict[int, int]]:
        units: dict[int, float] = defaultdict(float)
        count: dict[int, int] = defaultdict(int)
        for product_id, _ in self.pairs:
            count[product_id] += 1
        for (product_id, _), sold in self.history.units.items():
            units[product_id] += sold
        return units, count

    def of_product(self, pair: Pair) -> float:
        units, count = self._by_product
        sold = units[pair[0]]
        return self.history.units.get(pair, 0.0) / sold if sold else 1 / count[pair[0]]

    def of_total(self, pairs: Collection[Pair]) -> float | None:
        every = self.all_units()
        return sum(self.history.units.get(pair, 0.0) for pair in pairs) / every if every else None


@dataclass(frozen=True)
class PairDemand:
    """Expected units a day at one pair, their standard deviation, and where they come from."""

    source: str  # a StockPlanLine.DemandSource value
    daily: float
    spread: float
    version: ModelVersion | None = None  # the model, for a forecast source


def demand_resolve(
    *, workspace: Workspace, pairs: Collection[Pair], history: SalesHistory,
    forecasts: Mapping[str, PageForecast], today: dt.date, history_days: int,
) -> dict[Pair, PairDemand]:
    """The rule of this module for every pair. Queries: the workspace's units sold (1, only
    when a pair falls back to its share of the total model)."""
    end = today + dt.timedelta(days=DEMAND_DAYS)
    windows = {
        target: (window_forecast(result.output, start=today, end=end), result.version)
        for target, result in forecasts.items() if result.ok
    }
    windows = {target: found for target, found in windows.items() if found[0] is not None}
    shares = DemandShares(history=history, pairs=pairs, all_units=_lazy(lambda: float(units_sold_since(
        workspace=workspace, since=today - dt.timedelta(days=history_days), until=today))))

    def candidates(pair: Pair) -> list[tuple[str, str, Callable[[], float | None]]]:
        product_id = pair[0]
        return [
            (Source.MODEL, Target("inventory", product_id=product_id, warehouse_id=pair[1]).key, lambda: 1.0),
            (Source.PRODUCT, product_demand_target(product_id), lambda: shares.of_product(pair)),
            (Source.SHARE, "inventory", lambda: shares.of_total([pair])),
        ]

    found: dict[Pair, PairDemand] = {}
    for pair in pairs:
        for source, target, share_of in candidates(pair):
            if target not in windows or (share := share_of()) is None:
                continue
            window, version = windows[target]
            found[pair] = PairDemand(source=source, daily=window.mean * share / DEMAND_DAYS,
                                     spread=window.sigma * share / math.sqrt(DEMAND_DAYS), version=version)
            break
        else:
            daily, spread = history.daily.get(pair, (0.0, 0.0))
            found[pair] = PairDemand(source=Source.HISTORY, daily=daily, spread=spread)
    return found


def _lazy(compute: Callable[[], float]) -> Callable[[], float]:
    value: list[float] = []

    def get() -> float:
        if not value:
            value.append(compute())
        return value[0]

    return get


# --- a product's demand (the inventory page's forecast column) ----------------------------------


@dataclass(frozen=True)
class Demand:
    """A product's forecast demand over the next ``days`` days (the sum of its pairs'), and
    the chance that its stock runs out before the supplier's lead time is over."""

    units: float
    low: float  # 80 % range of the demand
    high: float
    days: int
    source: str  # the forecast source of its pairs (model, product or share)
    model: ModelVersion
    stockout_probability: float
    stock: int
    stockout_source: str = "forecast_distribution"  # or "model": the learned stockout model's (its riskiest warehouse)
    stockout_model: ModelVersion | None = None

    @property
    def cover_days(self) -> float | None:
        """Days the current stock lasts at the forecast rate (None: no demand expected)."""
        if self.units <= 0:
            return None
        return round(self.stock * self.days / self.units, 1)

    @property
    def stockout_level(self) -> str:
        return risk_level(self.stockout_probability)


def product_demand(*, pairs: Sequence[PairDemand], stock: int, lead_time_days: float,
                   days: int = DEMAND_DAYS) -> Demand | None:
    """The product's :class:`Demand` from its pairs', ``None`` when no forecast reaches any
    of them (history alone is not shown as a forecast). Spreads add up (pairs taken as
    fully correlated, as the days of a window: the cautious choice for a risk)."""
    forecast = [p for p in pairs if p.source != Source.HISTORY]
    if not forecast:
        return None
    daily = sum(p.daily for p in pairs)
    spread = sum(p.spread for p in pairs)
    window = WindowForecast(daily * days, spread * math.sqrt(days))
    lead = max(1, math.ceil(lead_time_days))
    stockout = WindowForecast(daily * lead, spread * math.sqrt(lead)).exceed_probability(float(stock))
    return Demand(
        units=round(window.mean, 1), low=round(max(window.mean - Z80 * window.sigma, 0.0), 1),
        high=round(window.mean + Z80 * window.sigma, 1), days=days, source=forecast[0].source,
        model=forecast[0].version, stockout_probability=stockout, stock=int(stock),
    )
