"""Inventory: stock per warehouse, recent sales and low-stock highlighting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.utils import timezone
from django.views.generic import TemplateView

from finance.models import Product
from finance.selectors import (
    DEFAULT_LEAD_TIME_DAYS,
    product_lead_time_days,
    product_stock_list,
    stock_quantities,
    warehouse_list,
)
from finance.views.base import WorkspacePageMixin

RECENT_DAYS = 30
PAGE_SIZE = 50


@dataclass(frozen=True)
class StockRow:
    """One product's line on the inventory page."""

    product: Product
    quantities: list[int]  # aligned with the page's warehouses
    total: int
    units_recent: int
    days_of_cover: Decimal | None  # None: nothing sold recently
    lead_time_days: Decimal

    @property
    def is_out(self) -> bool:
        return self.total == 0

    @property
    def is_low(self) -> bool:
        """Out of stock, or the stock lasts fewer days at the recent sales rate than the
        supplier needs to restock. (A heuristic until the stock planner's forecasts.)"""
        if self.is_out:
            return True
        return self.days_of_cover is not None and self.days_of_cover < self.lead_time_days


def stock_row(*, product: Product, quantities: list[int], recent_days: int) -> StockRow:
    total = int(product.stock_total)
    units = int(product.units_recent)
    cover = None
    if units > 0:
        cover = (Decimal(total) * recent_days / units).quantize(Decimal("0.1"))
    return StockRow(
        product=product,
        quantities=quantities,
        total=total,
        units_recent=units,
        days_of_cover=cover,
        lead_time_days=product_lead_time_days(product=product),
    )


class InventoryView(WorkspacePageMixin, TemplateView):
    """Active products of the current workspace with stock per warehouse and in total,
    units sold in the last 30 days, days of cover, and low stock highlighted."""

    template_name = "finance/inventory.html"
    section = "inventory"
    panels_page = "inventory"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        since = today - dt.timedelta(days=RECENT_DAYS - 1)
        warehouses = list(warehouse_list(workspace=self.workspace))
        products = product_stock_list(workspace=self.workspace, since=since)
        page = Paginator(products, PAGE_SIZE).get_page(self.request.GET.get("page"))
        page_products = list(page.object_list)
        quantities = stock_quantities(
            workspace=self.workspace, product_ids=[p.pk for p in page_products]
        ) if page_products else {}
        rows = [
            stock_row(
                product=product,
                quantities=[quantities.get((product.pk, w.pk), 0) for w in warehouses],
                recent_days=RECENT_DAYS,
            )
            for product in page_products
        ]
        context.update(
            today=today,
            warehouses=warehouses,
            rows=rows,
            page_obj=page,
            recent_days=RECENT_DAYS,
            since=since,
            low_count=sum(1 for row in rows if row.is_low),
            default_lead_time=DEFAULT_LEAD_TIME_DAYS,
        )
        return context
