"""The panels forecasting adds to the finance pages (:mod:`finance.panels`), gathered by
the page's view before its template renders; reading them writes nothing.

* Overview: a forecast chart per metric (history, forecast, 80 % and 95 % bands, the
  model that made it and its backtest error) and each budget's overrun risk
  (:mod:`forecasting.serving.budgets`).
* Inventory: each product's forecast demand, reorder point and "order now"
  (:mod:`forecasting.inventory.selectors`), and the latest stock plan with the form that
  computes a new one.
* Transactions: the categoriser's suggestion in the category column, with Accept and
  Correct for writers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from finance.models import Category, Workspace
from finance.panels import PagePanel, page_panel_register
from finance.selectors import BudgetUse
from finance.services.recurring import RecurringBill
from finance.stock_status import StockSignals
from forecasting.engine.registry import algorithm_label
from forecasting.inventory.selectors import (
    inventory_forecasts_read,
    stock_plan_latest,
    stock_plan_lines,
)
from forecasting.inventory.stockout import stockout_alerts_open
from forecasting.registry.models import ModelVersion
from forecasting.series.frequency import Frequency
from forecasting.serving.budgets import (
    BudgetRisk,
    budget_risk_targets,
    budget_risks,
    budget_risks_forecast,
)
from forecasting.serving.forecasts import PageForecast, deployed_forecasters, forecasts_read

HISTORY_POINTS = {"M": 24, "W": 52, "D": 90}
METRICS = (("revenue", "Revenue"), ("expense", "Expenses"))


# --- the forecast chart per metric ------------------------------------------------------------


@dataclass(frozen=True)
class ModelInfo:
    """The model behind a forecast, as the page names it."""

    algorithm: str
    label: str
    version: int
    trained_until: dt.date | None
    frequency: str
    mae: float | None
    rmse: float | None
    mape: float | None
    n_windows: int | None

    @classmethod
    def of(cls, version: ModelVersion) -> ModelInfo:
        metrics = version.metrics or {}
        return cls(
            algorithm=version.algorithm,
            label=algorithm_label(version.algorithm),
            version=version.version,
            trained_until=version.training_end,
            frequency=Frequency.of(version.frequency).value,
            mae=metrics.get("mae"),
            rmse=metrics.get("rmse"),
            mape=metrics.get("mape"),
            n_windows=metrics.get("n_windows"),
        )


@dataclass(frozen=True)
class ForecastRow:
    label: str
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


@dataclass
class MetricPanel:
    """One metric's forecast chart (or why there is none)."""

    metric: str
    label: str
    model: ModelInfo | None = None
    chart: dict[str, Any] | None = None
    rows: list[ForecastRow] = field(default_factory=list)
    error: str = ""

    @property
    def has_forecast(self) -> bool:
        return self.chart is not None


def _date_label(day: dt.date, frequency: Frequency) -> str:
    return day.strftime("%b %Y") if frequency is Frequency.MONTHLY else day.isoformat()


def _history(version: ModelVersion) -> tuple[list[dt.date], list[float]]:
    """The last points of the series the model learned from (its stored training data)."""
    data = version.training_data or {}
    values = [float(v) for v in data.get("values") or []]
    frequency = Frequency.of(version.frequency)
    keep = HISTORY_POINTS.get(frequency, 24)
    values = values[-keep:]
    if not values:
        return [], []
    stored = data.get("dates") or []
    if len(stored) >= len(values):
        dates = [dt.date.fromisoformat(d) for d in stored[-len(values):]]
    elif version.training_end is not None:
        end = version.training_end
        dates = frequency.dates_between(frequency.add(end, 1 - len(values)), end)
    else:
        return [], []
    return dates, values


def metric_panel(*, metric: str, label: str, result: PageForecast | None, currency: str) -> MetricPanel:
    """The chart data of one metric: the history the model saw, then the forecast and its
    bands (the forecast line and bands start at the last actual value)."""
    panel = MetricPanel(metric=metric, label=label)
    if result is None:
        return panel
    panel.model = ModelInfo.of(result.version)
    if not result.ok:
        panel.error = result.error
        return panel
    output = result.output
    frequency = Frequency.of(output.get("frequency"))
    hist_dates, hist_values = _history(result.version)
    dates = [dt.date.fromisoformat(d) for d in output["dates"]]
    n_hist = len(hist_values)

    def continued(values: list[float]) -> list[float | None]:
        lead: list[float | None] = [None] * n_hist
        if n_hist:
            lead[-1] = hist_values[-1]
        return [*lead, *values]

    panel.chart = {
        "metric": metric,
        "label": label,
        "currency": currency,
        "labels": [_date_label(d, frequency) for d in (*hist_dates, *dates)],
        "history": [*hist_values, *([None] * len(dates))],
        "forecast": continued(output["forecast"]),
        "lo80": continued(output["lo80"]),
        "hi80": continued(output["hi80"]),
        "lo95": continued(output["lo95"]),
        "hi95": continued(output["hi95"]),
    }
    panel.rows = [
        ForecastRow(_date_label(d, frequency), *(output[k][i] for k in ("forecast", "lo80", "hi80", "lo95", "hi95")))
        for i, d in enumerate(dates)
    ]
    return panel


# --- the overview ------------------------------------------------------------------------------


@dataclass
class OverviewForecasts:
    panels: list[MetricPanel]
    risks: dict[int, BudgetRisk]  # by budget id
    has_expense_forecast: bool


def overview_forecasts(
    *, workspace: Workspace, budgets: Sequence[BudgetUse], today: dt.date, bills: Sequence[RecurringBill] | None = None,
) -> OverviewForecasts:
    """The overview's forecast charts and budget risks (``bills``: the page's recurring
    bills, see :func:`forecasting.serving.budgets.budget_risks`). Queries: the deployed
    versions (1), the recurring bills (1, only without ``bills`` and with a budget a
    forecast covers) and the categories' expense shares (1, only when a budget's category
    has no model of its own but the total expense has)."""
    targets = ["revenue", *budget_risk_targets(budgets)]
    versions = deployed_forecasters(workspace=workspace, targets=targets, with_training_data=True)
    results = forecasts_read(workspace=workspace, versions=versions, today=today)
    expense = results.get("expense")
    return OverviewForecasts(
        panels=[metric_panel(metric=metric, label=label, result=results.get(metric), currency=workspace.currency)
                for metric, label in METRICS],
        risks=budget_risks(workspace=workspace, budgets=budgets, today=today, forecasts=results, bills=bills),
        has_expense_forecast=expense is not None and expense.ok,
    )


@page_panel_register
class OverviewPanel(PagePanel):
    """The forecast charts, and the overrun-risk column of the budgets table."""

    page = "overview"
    templates = {
        "forecast": "forecasting/pages/_forecast_panel.html",
        "budget_head": "forecasting/pages/_budget_risk_head.html",
        "budget_cells": "forecasting/pages/_budget_risk_cell.html",
        "budget_notes": "forecasting/pages/_budget_risk_notes.html",
    }

    def context(self, *, request: HttpRequest, workspace: Workspace, page: Mapping[str, Any]) -> dict[str, Any]:
        ml = overview_forecasts(workspace=workspace, budgets=page["budgets"], today=page["today"], bills=page.get("bills"))
        return {"ml": ml, "panels": ml.panels}


@page_panel_register
class BudgetsPanel(PagePanel):
    """The overrun-risk column of the Budgets page's table (the Overview's rule)."""

    page = "budgets"
    templates = {
        "budget_list_head": "forecasting/pages/_budget_risk_head.html",
        "budget_list_cells": "forecasting/pages/_budget_list_risk_cell.html",
        "budgets_after": "forecasting/pages/_budget_risk_notes.html",
    }

    def context(self, *, request: HttpRequest, workspace: Workspace, page: Mapping[str, Any]) -> dict[str, Any]:
        uses = [
            BudgetUse(budget=row.budget, limit=row.current.limit, spent=row.current.spent,
                      unconfirmed_count=row.current.unconfirmed_count, unconfirmed_amount=row.current.unconfirmed_amount)
            for row in page.get("rows") or [] if row.current.limit is not None
        ]
        return {"budget_risks": budget_risks_forecast(workspace=workspace, budgets=uses, today=page["today"],
                                                      bills=page.get("bills"))}


# --- inventory -----------------------------------------------------------------------------------


@page_panel_register
class InventoryPanel(PagePanel):
    """Forecast demand and reorder point per product, and the stock plan."""

    page = "inventory"
    templates = {
        "inventory_head": "forecasting/pages/_inventory_head.html",
        "inventory_cells": "forecasting/pages/_inventory_cells.html",
        "inventory_notes": "forecasting/pages/_inventory_notes.html",
        "inventory_after": "forecasting/pages/_stock_plan_panel.html",
    }

    def context(self, *, request: HttpRequest, workspace: Workspace, page: Mapping[str, Any]) -> dict[str, Any]:
        from forecasting.pages.inventory import StockPlanForm, scenario_forms

        rows = page.get("rows") or []
        if not rows:  # a workspace without products: the page's empty state only
            return {}
        found = inventory_forecasts_read(
            workspace=workspace, products=[row.product for row in rows], stock={r.product.pk: r.total for r in rows},
            warehouses=page.get("warehouses") or [], today=page.get("today") or timezone.localdate(),
        )
        plan = stock_plan_latest(workspace=workspace)
        return {
            "stockout_alerts": stockout_alerts_open(workspace=workspace),
            "demand": found.demand,
            "reorder": found.reorder,
            # the rows' statuses (finance.stock_status): at or below a reorder point, or soon
            "stock_signals": {
                pk: StockSignals(order_now=r.order_now, low=r.low, where=r.due_codes or r.low_codes)
                for pk, r in found.reorder.items()
            },
            "plan": plan,
            "plan_lines": list(stock_plan_lines(plan=plan, ordered_only=True)) if plan is not None else [],
            "plan_form": page.get("plan_form") or StockPlanForm(workspace=workspace, products=[]),
            "scenario_forms": page.get("scenario_forms") or scenario_forms(workspace=workspace),
            "scenario_results": page.get("scenario_results") or [],
            "scenario_error": page.get("scenario_error") or "",
        }


# --- transactions --------------------------------------------------------------------------------


@page_panel_register
class TransactionsPanel(PagePanel):
    """The categoriser's suggestions in the category column."""

    page = "transactions"
    templates = {"category_cell": "forecasting/pages/_category_cell.html"}

    def context(self, *, request: HttpRequest, workspace: Workspace, page: Mapping[str, Any]) -> dict[str, Any]:
        by_kind: dict[str, list[Category]] = {}
        for category in page.get("categories") or []:
            by_kind.setdefault(category.kind, []).append(category)
        return {"category_choices": by_kind, "suggestion_next": request.get_full_path()}
