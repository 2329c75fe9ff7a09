"""The chance of going over a budget this month: what is spent so far plus the expense
forecast of the rest of the month (the category's own model, or the total expense
forecast × the category's share of the last twelve months' expenses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from finance.models import Workspace
from finance.months import add_months
from finance.selectors import BudgetUse, expense_shares_by_category
from forecasting.registry.models import ModelVersion
from forecasting.series.targets import Target
from forecasting.serving.forecasts import PageForecast, WindowForecast, risk_level, window_forecast


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class BudgetRisk:
    """The month's projected spending of a budget's category and the chance of going over."""

    projected: Decimal
    probability: float
    source: str  # "category": the category's own model; "share": total expense forecast × share
    model: ModelVersion
    share: float | None = None

    @property
    def percent(self) -> int:
        return int(Decimal(str(self.probability * 100)).quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def level(self) -> str:
        return risk_level(self.probability)


def budget_risk(*, use: BudgetUse, rest: WindowForecast, source: str, model: ModelVersion,
                share: float | None = None) -> BudgetRisk:
    """Spent so far plus the forecast of the rest of the month, against the limit."""
    spent, limit = float(use.spent), float(use.limit)
    expected = WindowForecast(spent + rest.mean, rest.sigma)
    probability = 1.0 if spent > limit else expected.exceed_probability(limit)
    return BudgetRisk(projected=_money(expected.mean), probability=probability, source=source, model=model,
                      share=share)


def budget_risk_targets(budgets: Sequence[BudgetUse]) -> list[str]:
    """The forecasts :func:`budget_risks` reads: the total expense and each budget's category."""
    return ["expense", *sorted({Target("expense", category_id=u.budget.category_id).key for u in budgets})]


def budget_risks(
    *, workspace: Workspace, budgets: Sequence[BudgetUse], today: dt.date, forecasts: Mapping[str, PageForecast],
) -> dict[int, BudgetRisk]:
    """``{budget id: BudgetRisk}`` for the budgets a forecast covers (``forecasts`` read for
    :func:`budget_risk_targets`). Queries: the categories' expense shares (1, only when a
    budget's category has no model of its own but the total expense has)."""
    start, end = today + dt.timedelta(days=1), add_months(today, 1)
    total = forecasts.get("expense")
    total_rest = window_forecast(total.output, start=start, end=end) if total and total.ok else None
    shares: dict[int, float] | None = None
    risks: dict[int, BudgetRisk] = {}
    for use in budgets:
        own = forecasts.get(Target("expense", category_id=use.budget.category_id).key)
        rest = window_forecast(own.output, start=start, end=end) if own and own.ok else None
        if rest is not None:
            risks[use.budget.pk] = budget_risk(use=use, rest=rest, source="category", model=own.version)
            continue
        if total_rest is None:
            continue
        if shares is None:
            shares = expense_shares_by_category(workspace=workspace, today=today)
        share = shares.get(use.budget.category_id, 0.0)
        risks[use.budget.pk] = budget_risk(use=use, rest=total_rest.scaled(share), source="share",
                                           model=total.version, share=share)
    return risks
