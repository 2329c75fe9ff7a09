"""Template tags that put the ML engine's answers into the finance pages.

``finance`` imports nothing from ``forecasting``; its templates load this library instead::

    {% load forecasting_pages %}
    {% overview_forecasts workspace budgets today as ml %}   {# once, before the panels #}
    {% forecast_panel ml %}                                  {# the forecast charts #}
    {% budget_risk_cell ml use %}                            {# a <td> in the budgets table #}
    {% inventory_forecasts workspace rows warehouses since as inventory %}  {# once #}
    {% with demand=inventory.demand reorder=inventory.reorder %}
    {% demand_cell demand row %}                             {# a <td> in the stock table #}
    {% reorder_cell reorder row %}                           {# a <td>: reorder point, order now #}
    {% category_cell t categories can_write %}               {# a <td>: suggestion, accept, correct #}
    {% stock_plan_panel workspace %}                         {# the latest plan and the plan form #}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone

from finance.models import Category, Transaction, Workspace
from finance.selectors import BudgetUse
from forecasting.inventory.selectors import stock_plan_latest, stock_plan_lines
from forecasting.pages import inventory as inventory_planning
from forecasting.pages import panels

register = template.Library()


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def overview_forecasts(
    context: template.Context, workspace: Workspace, budgets: Sequence[BudgetUse], today: Any = None
) -> panels.OverviewForecasts:
    """Forecasts of revenue and expenses, and the overrun risk of each budget."""
    return panels.overview_forecasts(
        workspace=workspace, budgets=budgets, today=today or timezone.localdate(), user=_user(context)
    )


@register.inclusion_tag("forecasting/pages/_forecast_panel.html")
def forecast_panel(ml: panels.OverviewForecasts) -> dict[str, Any]:
    return {"ml": ml, "panels": ml.panels}


@register.inclusion_tag("forecasting/pages/_budget_risk_cell.html")
def budget_risk_cell(ml: panels.OverviewForecasts, use: BudgetUse) -> dict[str, Any]:
    return {"risk": ml.risks.get(use.budget.pk), "use": use, "has_expense_forecast": ml.has_expense_forecast}


@register.simple_tag(takes_context=True)
def inventory_forecasts(
    context: template.Context, workspace: Workspace, rows: Sequence[Any], warehouses: Sequence[Any], since: Any
) -> inventory_planning.InventoryForecasts:
    """Forecast demand (``.demand``) and reorder point, safety stock and "order now"
    (``.reorder``) of the products of the page, by product id: the deployed forecasts
    both read are fetched and logged once."""
    return inventory_planning.inventory_forecasts(
        workspace=workspace, rows=rows, warehouses=warehouses, since=since, today=timezone.localdate(),
        user=_user(context),
    )


@register.inclusion_tag("forecasting/pages/_demand_cell.html")
def demand_cell(demand: dict[int, panels.Demand], row: Any) -> dict[str, Any]:
    return {"d": demand.get(row.product.pk), "row": row}


@register.simple_tag
def inventory_service_level() -> str:
    """The service level reorder points are computed for ("95 %")."""
    return percent(settings.INVENTORY_SERVICE_LEVEL)


@register.inclusion_tag("forecasting/pages/_reorder_cell.html")
def reorder_cell(reorder: dict[int, inventory_planning.ProductReorder], row: Any) -> dict[str, Any]:
    return {"r": reorder.get(row.product.pk), "row": row}


@register.inclusion_tag("forecasting/pages/_stock_plan_panel.html", takes_context=True)
def stock_plan_panel(context: template.Context, workspace: Workspace) -> dict[str, Any]:
    """The workspace's latest stock plan with its orders, and (for writers) the form that
    computes a new one — bound with its errors when a post was refused."""
    plan = stock_plan_latest(workspace=workspace)
    return {
        "plan": plan,
        "lines": list(stock_plan_lines(plan=plan, ordered_only=True)) if plan is not None else [],
        "form": context.get("plan_form") or inventory_planning.StockPlanForm(),
        "can_write": context.get("can_write", False),
        "csrf_token": context.get("csrf_token"),
        "workspace": workspace,
    }


@register.inclusion_tag("forecasting/pages/_category_cell.html", takes_context=True)
def category_cell(
    context: template.Context, transaction: Transaction, categories: Sequence[Category], can_write: bool
) -> dict[str, Any]:
    """The category of a row; a model's suggestion shows its confidence, and writers get
    one-click Accept and a Correct choice of the workspace's categories of the same kind."""
    request = context.get("request")
    return {
        "t": transaction,
        "is_suggestion": is_suggestion(transaction),
        "choices": [c for c in categories if c.kind == transaction.kind and c.pk != transaction.category_id],
        "can_write": can_write,
        "next": request.get_full_path() if request is not None else "",
        "done": context.get("suggestion_done", ""),
    }


def is_suggestion(transaction: Transaction) -> bool:
    return transaction.category_source == Transaction.CategorySource.MODEL and transaction.category_id is not None


@register.filter
def percent(value: float | None) -> str:
    """0.873 → "87 %" (with a no-break space)."""
    if value is None:
        return ""
    return f"{round(value * 100):d}\xa0%"
