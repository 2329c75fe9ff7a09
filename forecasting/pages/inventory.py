"""The stock plan forms of the inventory page: compare what-if scenarios (``POST``, any
member: nothing is stored) and compute or keep a plan (``POST``; owners, managers and
members). The page's forecast columns and plan panel are
:class:`forecasting.pages.panels.InventoryPanel`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from finance.models import Product, Workspace
from finance.views.inventory import InventoryView
from forecasting.inventory.policy import InventoryPlanningError, service_level_validator
from forecasting.inventory.services import stock_plan_create, stock_plan_scenarios

SCENARIO_NAMES = ("A", "B", "C")


class ScenarioForm(forms.Form):
    """One scenario: the purchase budget, the service level, a promotion's uplift and a price
    change, for one product or all. A comparison leaves out a scenario without a budget."""

    name = forms.CharField(max_length=60, required=False)
    budget = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, required=False,
        error_messages={"min_value": "The budget cannot be negative."},
    )
    service_level = forms.DecimalField(
        max_digits=5, decimal_places=4, validators=[service_level_validator], required=False,
        help_text="Chance of not running out while an order is on its way.",
    )
    promotion_uplift_pct = forms.DecimalField(
        label="Promotion uplift (%)", min_value=0, max_value=1000, max_digits=6, decimal_places=2, required=False,
        help_text="Extra demand over the plan's horizon.",
    )
    price_change_pct = forms.DecimalField(
        label="Price change (%)", min_value=-90, max_value=500, max_digits=5, decimal_places=2, required=False,
        help_text="Demand follows the price elasticity.",
    )
    product = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Promotion / price of")

    def __init__(self, *args: Any, workspace: Workspace, products: list[tuple[int, str]] | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"service_level": Decimal(str(settings.INVENTORY_SERVICE_LEVEL))})
        super().__init__(*args, **kwargs)
        if products is None:
            products = product_choices(workspace=workspace)
        self.fields["product"].choices = [("", "All products"), *products]
        self.product_labels = dict(products)

    @property
    def product_label(self) -> str:
        """The product the changes apply to, as the page names it ("all products" when none)."""
        chosen = self.cleaned_data.get("product") if hasattr(self, "cleaned_data") else None
        return self.product_labels.get(chosen, "all products") if chosen is not None else "all products"

    @property
    def is_empty(self) -> bool:
        return self.is_valid() and self.cleaned_data.get("budget") is None

    def scenario(self) -> dict[str, Any]:
        """The cleaned scenario as :func:`~forecasting.inventory.services.stock_plan_scenarios` takes it."""
        data = self.cleaned_data
        product = data.get("product")
        return {
            "name": data.get("name") or "", "budget": data["budget"], "service_level": data.get("service_level"),
            "promotion_uplift_pct": data.get("promotion_uplift_pct") or 0,
            "price_change_pct": data.get("price_change_pct") or 0,
            "products": [product] if product is not None else [],
        }


class StockPlanForm(ScenarioForm):
    """A new plan, or a compared scenario kept as the plan: a budget is required."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["budget"].required = True
        self.fields["budget"].error_messages["required"] = "Enter the most the orders may cost."


def product_choices(*, workspace: Workspace) -> list[tuple[int, str]]:
    """The workspace's active products as choices, by SKU (one query)."""
    products = Product.objects.filter(workspace=workspace, is_active=True).order_by("sku")
    return [(pk, f"{sku} {name}") for pk, sku, name in products.values_list("pk", "sku", "name")]


def scenario_forms(*, workspace: Workspace, data: Any = None) -> list[ScenarioForm]:
    """The comparison's three scenario forms (prefixes ``a``, ``b``, ``c``), their product
    choices read once."""
    products = product_choices(workspace=workspace)
    return [
        ScenarioForm(data, workspace=workspace, products=products, prefix=name.lower(),
                     initial={"name": name, "service_level": Decimal(str(settings.INVENTORY_SERVICE_LEVEL))})
        for name in SCENARIO_NAMES
    ]


class ScenarioCompareView(InventoryView):
    """``POST a-budget=&a-service_level=&…&c-product=``: the plans of up to three scenarios,
    side by side under the stock plan, stored nowhere (any member, viewers included). Bad
    input re-renders the page with the errors."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        forms_ = scenario_forms(workspace=self.workspace, data=request.POST)
        valid = all(form.is_valid() for form in forms_)
        chosen = [form for form in forms_ if valid and not form.is_empty]
        error = ""
        results = []
        if valid and not chosen:
            error = "Give at least one scenario a budget."
        elif chosen:
            try:
                results = stock_plan_scenarios(workspace=self.workspace, scenarios=[f.scenario() for f in chosen])
            except InventoryPlanningError as exc:
                error = str(exc)
        compared = [(form, plan, [line for line in lines if line.order_quantity > 0])
                    for form, (plan, lines) in zip(chosen, results, strict=True)]
        return self.render_to_response(self.get_context_data(
            scenario_forms=forms_, scenario_results=compared, scenario_error=error))


class StockPlanCreateView(InventoryView):
    """``POST budget=&service_level=`` (and a kept scenario's ``promotion_uplift_pct``,
    ``price_change_pct``, ``product``, ``name``): compute and store a stock plan of the
    current workspace, then return to the inventory page; bad input re-renders the page
    with the error and stores nothing. Viewers get 403."""

    http_method_names = ["post"]
    write_required = True

    def post(self, request: HttpRequest) -> HttpResponse:
        form = StockPlanForm(request.POST, workspace=self.workspace)
        if form.is_valid():
            scenario = form.scenario()
            try:
                plan = stock_plan_create(
                    workspace=self.workspace, budget=scenario.pop("budget"),
                    service_level=scenario.pop("service_level"), scenario=scenario, user=request.user,
                )
            except InventoryPlanningError as exc:
                form.add_error(None, str(exc))
            else:
                orders = plan.lines.filter(order_quantity__gt=0).count()
                kept = f" (scenario {plan.name})" if plan.name else ""
                messages.success(
                    request,
                    f"Stock plan {plan.pk}{kept}: {orders} order{'s' if orders != 1 else ''} costing "
                    f"{plan.total_cost} {self.workspace.currency} (purchase {plan.purchase_cost} "
                    f"{self.workspace.currency}).",
                )
                return redirect("finance:inventory")
        return self.render_to_response(self.get_context_data(plan_form=form))
