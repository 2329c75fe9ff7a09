"""The ML panels of the finance pages, computed for the template tags of
:mod:`forecasting.templatetags.forecasting_pages` (``finance`` imports nothing from here;
its templates load the tag library).

* Overview: a forecast chart per metric (history, forecast, 80 % and 95 % bands, the
  model that made it and its backtest error) and, for each budget of the month, the
  month's projected spending and the probability of going over, from the expense
  forecast (the category's own model, or the total expense forecast times the
  category's share of the last twelve months).
* Inventory: each product's forecast demand over the next 30 days and the probability
  of running out before the supplier can restock.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from finance.models import Product, Workspace
from finance.months import add_months
from finance.selectors import BudgetUse, expense_shares_by_category, units_sold_since
from forecasting.registry.models import ModelVersion
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.forecasts import (
    DEMAND_DAYS,
    Z80,
    PageForecast,
    WindowForecast,
    deployed_forecasters,
    forecast_predict_many,
    product_demand_target,
    window_forecast,
)

HISTORY_POINTS = {"M": 24, "W": 52, "D": 90}
HIGH_RISK = 0.5
MEDIUM_RISK = 0.2

ALGORITHM_LABELS = {
    "naive": "Naive",
    "seasonal_naive": "Seasonal naive",
    "linear_regression": "Linear regression",
    "arima": "ARIMA",
    "sarima": "SARIMA",
    "ets": "ETS",
    "theta": "Theta",
    "dynamic_theta": "Dynamic Theta",
    "prophet": "Prophet",
    "xgboost": "XGBoost",
    "lightgbm": "LightGBM",
    "lstm": "LSTM",
    "combination": "Combination",
}
METRICS = (("revenue", "Revenue"), ("expense", "Expenses"))


def algorithm_label(name: str) -> str:
    return ALGORITHM_LABELS.get(name, name.replace("_", " ").capitalize())


def _month_end_exclusive(day: dt.date) -> dt.date:
    return add_months(day, 1)


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


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


# --- budget overrun risk ---------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetRisk:
    """The month's projected spending of a budget's category and the chance of going over."""

    projected: Decimal
    probability: float
    source: str  # "category": the category's own model; "share": total expense forecast × share
    model: ModelInfo
    share: float | None = None

    @property
    def percent(self) -> int:
        return int(Decimal(str(self.probability * 100)).quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def level(self) -> str:
        if self.probability >= HIGH_RISK:
            return "high"
        if self.probability >= MEDIUM_RISK:
            return "medium"
        return "low"


def budget_risk(*, use: BudgetUse, rest: WindowForecast, source: str, model: ModelInfo,
                share: float | None = None) -> BudgetRisk:
    """Spent so far plus the forecast of the rest of the month, against the limit."""
    spent, limit = float(use.spent), float(use.limit)
    expected = WindowForecast(spent + rest.mean, rest.sigma)
    probability = 1.0 if spent > limit else expected.exceed_probability(limit)
    return BudgetRisk(projected=_money(expected.mean), probability=probability, source=source, model=model,
                      share=share)


@dataclass
class OverviewForecasts:
    panels: list[MetricPanel]
    risks: dict[int, BudgetRisk]  # by budget id
    has_expense_forecast: bool


def overview_forecasts(
    *, workspace: Workspace, budgets: Sequence[BudgetUse], today: dt.date,
    user: AbstractBaseUser | AnonymousUser | None,
) -> OverviewForecasts:
    """The overview's forecast charts and budget risks. Queries: the deployed versions (1),
    the prediction log (1, when a model answered), and the categories' expense shares (1,
    only when a budget's category has no model of its own but the total expense has)."""
    category_targets = {use.budget.pk: Target("expense", category_id=use.budget.category_id).key for use in budgets}
    targets = ["revenue", "expense", *sorted(set(category_targets.values()))]
    versions = deployed_forecasters(workspace=workspace, targets=targets, with_training_data=True)
    results = forecast_predict_many(workspace=workspace, versions=versions, today=today, user=user)
    panels = [
        metric_panel(metric=metric, label=label, result=results.get(metric), currency=workspace.currency)
        for metric, label in METRICS
    ]

    start, end = today + dt.timedelta(days=1), _month_end_exclusive(today)
    total = results.get("expense")
    total_rest = window_forecast(total.output, start=start, end=end) if total and total.ok else None
    shares: dict[int, float] | None = None
    risks: dict[int, BudgetRisk] = {}
    for use in budgets:
        own = results.get(category_targets[use.budget.pk])
        rest = window_forecast(own.output, start=start, end=end) if own and own.ok else None
        if rest is not None:
            risks[use.budget.pk] = budget_risk(use=use, rest=rest, source="category", model=ModelInfo.of(own.version))
            continue
        if total_rest is None:
            continue
        if shares is None:
            shares = expense_shares_by_category(workspace=workspace, today=today)
        share = shares.get(use.budget.category_id, 0.0)
        risks[use.budget.pk] = budget_risk(
            use=use, rest=total_rest.scaled(share), source="share", model=ModelInfo.of(total.version), share=share
        )
    return OverviewForecasts(panels=panels, risks=risks, has_expense_forecast=total_rest is not None)


# --- inventory: forecast demand ------------------------------------------------------------


class StockRowLike(Protocol):
    product: Product
    total: int
    units_recent: int
    lead_time_days: Decimal


@dataclass(frozen=True)
class Demand:
    """A product's forecast demand over the next ``days`` days, and the chance that its
    stock runs out before the supplier's lead time is over."""

    units: float
    low: float  # 80 % range of the demand
    high: float
    days: int
    source: str  # "product": its own model; "share": total demand forecast × share of recent sales
    model: ModelInfo
    stockout_probability: float | None
    stock: int

    @property
    def cover_days(self) -> float | None:
        """Days the current stock lasts at the forecast rate (None: no demand expected)."""
        if self.units <= 0:
            return None
        return round(self.stock * self.days / self.units, 1)

    @property
    def stockout_percent(self) -> int | None:
        if self.stockout_probability is None:
            return None
        return int(Decimal(str(self.stockout_probability * 100)).quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def stockout_level(self) -> str:
        p = self.stockout_probability or 0.0
        if p >= HIGH_RISK:
            return "high"
        if p >= MEDIUM_RISK:
            return "medium"
        return "low"


def _demand(*, row: StockRowLike, output: dict[str, Any], today: dt.date, days: int, scale: float,
            source: str, version: ModelVersion) -> Demand | None:
    window = window_forecast(output, start=today, end=today + dt.timedelta(days=days))
    if window is None:
        return None
    window = window.scaled(scale)
    lead_days = max(1, math.ceil(float(row.lead_time_days)))
    lead = window_forecast(output, start=today, end=today + dt.timedelta(days=lead_days))
    stockout = lead.scaled(scale).exceed_probability(float(row.total)) if lead is not None else None
    return Demand(
        units=round(window.mean, 1),
        low=round(max(window.mean - Z80 * window.sigma, 0.0), 1),
        high=round(window.mean + Z80 * window.sigma, 1),
        days=days,
        source=source,
        model=ModelInfo.of(version),
        stockout_probability=stockout,
        stock=int(row.total),
    )


def inventory_demand_targets(*, rows: Iterable[StockRowLike]) -> list[str]:
    """The forecasts :func:`inventory_demand` reads for ``rows``: the total demand and each
    product's own."""
    return ["inventory", *(product_demand_target(row.product.pk) for row in rows)]


def inventory_demand(
    *, workspace: Workspace, rows: Iterable[StockRowLike], since: dt.date, today: dt.date,
    forecasts: Mapping[str, PageForecast], days: int = DEMAND_DAYS,
) -> dict[int, Demand]:
    """``{product id: Demand}`` for the products of the page that have a forecast: their own
    ``inventory:product=<id>`` model, else the total inventory forecast times their share
    of the units sold since ``since``. ``forecasts`` holds the deployed ones, fetched for
    :func:`inventory_demand_targets` (with the reorder points'). Queries: units sold in
    total (1, only when a share is needed)."""
    rows = list(rows)
    if not rows:
        return {}
    total = forecasts.get("inventory")
    sold_total: int | None = None
    demand: dict[int, Demand] = {}
    for row in rows:
        own = forecasts.get(product_demand_target(row.product.pk))
        found = None
        if own is not None and own.ok:
            found = _demand(row=row, output=own.output, today=today, days=days, scale=1.0, source="product",
                            version=own.version)
        if found is None and total is not None and total.ok:
            if sold_total is None:
                sold_total = units_sold_since(workspace=workspace, since=since)
            share = row.units_recent / sold_total if sold_total else 0.0
            found = _demand(row=row, output=total.output, today=today, days=days, scale=share, source="share",
                            version=total.version)
        if found is not None:
            demand[row.product.pk] = found
    return demand
