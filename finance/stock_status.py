"""One status per product on the inventory page, in one order of precedence.

A product's status is the first of these that applies:

1. **Out of stock** — no unit left in any warehouse;
2. **Order now** — a warehouse's stock is at or below its reorder point (the stock planner's
   reorder points, registered by the forecasting app's panel);
3. **Low** — the stock reaches the reorder point within a lead time at the expected rate
   (with the planner), or, without it, covers fewer days of recent sales than the
   supplier's lead time;
4. **OK** — none of these.

The page's header counts come from the same statuses as its rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models


class StockStatus(models.TextChoices):
    """In order of precedence: the first that applies wins."""

    OUT = "out", "Out of stock"
    ORDER_NOW = "order_now", "Order now"
    LOW = "low", "Low"
    OK = "ok", "OK"

    @property
    def badge(self) -> str:
        """The badge class the pages show it with."""
        return {"out": "danger", "order_now": "warning", "low": "warning", "ok": "ok"}[self.value]


@dataclass(frozen=True)
class StockSignals:
    """What a stock planner says of a product: at or below a reorder point somewhere (with
    the warehouses), or about to be."""

    order_now: bool
    low: bool
    where: str = ""  # the warehouses concerned, for a tooltip


def stock_status(*, on_hand: int, order_now: bool, low: bool) -> StockStatus:
    """The status of a product with ``on_hand`` units in total (the order of the module's
    docstring)."""
    if on_hand <= 0:
        return StockStatus.OUT
    if order_now:
        return StockStatus.ORDER_NOW
    if low:
        return StockStatus.LOW
    return StockStatus.OK


def stock_status_counts(statuses: Iterable[StockStatus]) -> list[tuple[StockStatus, int]]:
    """``[(status, how many)]`` in the order of precedence, every status included."""
    counts = Counter(statuses)
    return [(status, counts.get(status, 0)) for status in StockStatus]
