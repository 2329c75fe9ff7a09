"""Inventory planning on the inventory page: each product's forecast demand, reorder point,
safety stock and "order now" flag (summed over its warehouses), the latest stock plan, and
the form that computes a new one (``POST``; owners, managers and members)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from finance.models import Warehouse, Workspace
from finance.views.inventory import InventoryView
from forecasting.inventory.selectors import (
    InventoryPlanningError,
    ReorderPoint,
    reorder_points_with_forecasts,
    service_level_validator,
)
from forecasting.inventory.services import stock_plan_create
from forecasting.pages.panels import Demand, inventory_demand, inventory_demand_targets


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
    def due(self) -> list[ReorderPoint]:
        return [p for p in self.points if p.order_now]

    @property
    def order_now(self) -> bool:
        return bool(self.due)

    @property
    def due_codes(self) -> str:
        return ", ".join(p.warehouse.code for p in self.due)


def product_reorders(*, points: Sequence[ReorderPoint]) -> dict[int, ProductReorder]:
    """``{product id: ProductReorder}``: the reorder points grouped by product."""
    grouped: dict[int, list[ReorderPoint]] = {}
    for point in points:
        grouped.setdefault(point.product.pk, []).append(point)
    return {product_id: ProductReorder(points=found) for product_id, found in grouped.items()}


@dataclass(frozen=True)
class InventoryForecasts:
    """The inventory page's forecast column and reorder points, by product id."""

    demand: dict[int, Demand]
    reorder: dict[int, ProductReorder]


def inventory_forecasts(
    *, workspace: Workspace, rows: Sequence[Any], warehouses: Sequence[Warehouse], since: dt.date, today: dt.date,
    user: AbstractBaseUser | AnonymousUser | None,
) -> InventoryForecasts:
    """The forecast demand and the reorder points of the products of the page's rows (the
    inventory page's ``StockRow``; their suppliers are loaded), from one fetch — and one
    log — of the deployed inventory forecasts both read."""
    rows = list(rows)
    if not rows:
        return InventoryForecasts(demand={}, reorder={})
    found = reorder_points_with_forecasts(
        workspace=workspace, products=[row.product for row in rows], warehouses=warehouses, today=today,
        user=user, extra_targets=inventory_demand_targets(rows=rows),
    )
    return InventoryForecasts(
        demand=inventory_demand(workspace=workspace, rows=rows, since=since, today=today, forecasts=found.forecasts),
        reorder=product_reorders(points=found.points),
    )


class StockPlanForm(forms.Form):
    """A new plan: the purchase budget and the service level."""

    budget = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2,
        error_messages={"required": "Enter the most the orders may cost.",
                        "min_value": "The budget cannot be negative."},
    )
    service_level = forms.DecimalField(
        max_digits=5, decimal_places=4, validators=[service_level_validator],
        help_text="Chance of not running out while an order is on its way.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"service_level": Decimal(str(settings.INVENTORY_SERVICE_LEVEL))})
        super().__init__(*args, **kwargs)


class StockPlanCreateView(InventoryView):
    """``POST budget=&service_level=``: compute and store a stock plan of the current
    workspace, then return to the inventory page; bad input re-renders the page with the
    error and stores nothing. Viewers get 403."""

    http_method_names = ["post"]
    write_required = True

    def post(self, request: HttpRequest) -> HttpResponse:
        form = StockPlanForm(request.POST)
        if form.is_valid():
            try:
                plan = stock_plan_create(
                    workspace=self.workspace, budget=form.cleaned_data["budget"],
                    service_level=form.cleaned_data["service_level"], user=request.user,
                )
            except InventoryPlanningError as exc:
                form.add_error(None, str(exc))
            else:
                orders = plan.lines.filter(order_quantity__gt=0).count()
                messages.success(
                    request,
                    f"Stock plan {plan.pk}: {orders} order{'s' if orders != 1 else ''} costing "
                    f"{plan.total_cost} {self.workspace.currency} (purchase {plan.purchase_cost}).",
                )
                return redirect("finance:inventory")
        return self.render_to_response(self.get_context_data(plan_form=form))
