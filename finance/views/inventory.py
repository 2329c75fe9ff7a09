"""Inventory: stock per warehouse, recent sales, and one status per product
(:mod:`finance.stock_status`) with the page's counts of each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse
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
from finance.stock_status import StockSignals, StockStatus, stock_status, stock_status_counts
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
    status: StockStatus = StockStatus.OK
    status_where: str = ""  # the warehouses the status is about, when the planner says

    @property
    def covers_less_than_lead_time(self) -> bool:
        """The stock lasts fewer days at the recent sales rate than the supplier needs to
        restock: the page's "Low" when no stock planner gives the reorder points."""
        return self.days_of_cover is not None and self.days_of_cover < self.lead_time_days

    def with_status(self, signals: StockSignals | None) -> StockRow:
        """The row with its one status: the planner's ``signals`` when it gave them, else the
        recent sales' cover."""
        if signals is None:
            return replace(self, status=stock_status(on_hand=self.total, order_now=False,
                                                     low=self.covers_less_than_lead_time))
        return replace(self, status=stock_status(on_hand=self.total, order_now=signals.order_now, low=signals.low),
                       status_where=signals.where)


def stock_row(*, product: Product, quantities: list[int], recent_days: int) -> StockRow:
    total = int(product.stock_total)
    units = int(product.units_recent)
    cover = None
    if units > 0:
        cover = (Decimal(total) * recent_days / units).quantize(Decimal("0.1"))
    row = StockRow(
        product=product,
        quantities=quantities,
        total=total,
        units_recent=units,
        days_of_cover=cover,
        lead_time_days=product_lead_time_days(product=product),
    )
    return row.with_status(None)


def rows_with_statuses(rows: list[StockRow], signals: Mapping[int, StockSignals] | None) -> list[StockRow]:
    """``rows`` with the statuses of a stock planner's ``signals`` (by product id; None: no
    planner on the page, the rows keep their own)."""
    if signals is None:
        return rows
    return [row.with_status(signals.get(row.product.pk, StockSignals(order_now=False, low=False))) for row in rows]


class InventoryView(WorkspacePageMixin, TemplateView):
    """Active products of the current workspace with stock per warehouse and in total,
    units sold in the last 30 days, days of cover, and one status each. A workspace
    without products gets an empty state only."""

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
            default_lead_time=DEFAULT_LEAD_TIME_DAYS,
            statuses=list(StockStatus),
        )
        return context

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        """After the panels: a stock planner's ``stock_signals`` decide each row's status,
        and the header counts those statuses."""
        response = super().render_to_response(context, **response_kwargs)
        rows = rows_with_statuses(context["rows"], context.get("stock_signals"))
        response.context_data.update(rows=rows, status_counts=stock_status_counts(row.status for row in rows))
        return response
