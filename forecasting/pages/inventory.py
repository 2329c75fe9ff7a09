"""The stock plan form of the inventory page (``POST``; owners, managers and members). The
page's forecast columns and plan panel are :class:`forecasting.pages.panels.InventoryPanel`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from finance.views.inventory import InventoryView
from forecasting.inventory.policy import InventoryPlanningError, service_level_validator
from forecasting.inventory.services import stock_plan_create


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
