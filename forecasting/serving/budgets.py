"""The chance of going over a budget this month: what is spent so far plus the expense
forecast of the rest of the month (the category's own model, or the total expense
forecast × the category's share of the last twelve months' expenses), with the
category's recurring bills taken out of that forecast and counted by their due dates
instead (:func:`budget_rest_after_bills`): a bill paid this month is not projected
again, one still due is counted in full. The Overview, the Budgets page and coaching's
budget-risk endpoint all read :func:`budget_risks`, so they agree; coaching forecasts the
budgets no model covers with the forecasting engine and counts their bills by the same
:func:`budget_rest_after_bills` (:mod:`coaching.services.budget_risk`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from finance.models import Workspace
from finance.months import add_months, month_end
from finance.selectors import BudgetUse, budget_usage_for_month, expense_shares_by_category
from finance.services.recurring import (
    RecurringBill,
    recurring_bills_by_category,
    recurring_bills_detect,
)
from forecasting.registry.models import ModelVersion
from forecasting.series.targets import Target
from forecasting.serving.forecasts import (
    PageForecast,
    WindowForecast,
    deployed_forecasters,
    forecasts_read,
    risk_level,
    window_forecast,
)


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class BudgetRisk:
    """The month's projected spending of a budget's category and the chance of going over."""

    projected: Decimal
    probability: float
    source: str  # "category": the category's own model; "share": total expense forecast × share; "engine"
    model: ModelVersion | None  # None: the forecasting engine answered (coaching.services.budget_risk)
    share: float | None = None
    bills_paid: Decimal = Decimal("0.00")  # the category's recurring bills paid this month
    bills_due: Decimal = Decimal("0.00")  # still due by month end, counted in full

    @property
    def percent(self) -> int:
        return int(Decimal(str(self.probability * 100)).quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def level(self) -> str:
        return risk_level(self.probability)


@dataclass(frozen=True)
class BillsRest:
    """The rest of the month once the category's recurring bills are counted by due date."""

    rest: WindowForecast  # the forecast without the bills' share, plus the bills still due
    paid: Decimal  # bills of the category paid this month (not projected again)
    due: Decimal  # bills still due by month end (in ``rest``, in full)


def budget_rest_after_bills(*, rest: WindowForecast, bills: Sequence[RecurringBill], today: dt.date) -> BillsRest:
    """The one rule for recurring bills in a budget's projection (the Overview, the Budgets
    page and coaching's endpoint): the forecast of the rest of the month (``rest``, the days
    after ``today``) holds each bill pro rata — its monthly amount × the share of the month
    left; that part is taken out (not below zero) and the bill is counted by its due dates
    instead, once in full for each payment still due by month end. A bill paid this month
    (its next date after month end) therefore adds nothing; the spread shrinks with the
    forecast it is taken from (a known bill is no uncertainty)."""
    end = month_end(today)
    left = Decimal((end - today).days) / Decimal(end.day)
    pro_rata = float(sum((bill.monthly_amount * left for bill in bills), Decimal(0)))
    variable = max(rest.mean - pro_rata, 0.0)
    sigma = rest.sigma * (variable / rest.mean) if rest.mean > 0 else rest.sigma
    due = sum((bill.due_this_month(today=today) for bill in bills), Decimal("0.00"))
    paid = sum((bill.amount for bill in bills if bill.paid_in_month(today=today)), Decimal("0.00"))
    return BillsRest(rest=WindowForecast(variable + float(due), sigma), paid=paid, due=due)


def budget_risk(*, use: BudgetUse, rest: WindowForecast, source: str, model: ModelVersion | None,
                share: float | None = None, bills: BillsRest | None = None) -> BudgetRisk:
    """Spent so far plus the forecast of the rest of the month (``bills``: after
    :func:`budget_rest_after_bills`), against the limit."""
    if bills is not None:
        rest = bills.rest
    spent, limit = float(use.spent), float(use.limit)
    expected = WindowForecast(spent + rest.mean, rest.sigma)
    probability = 1.0 if spent > limit else expected.exceed_probability(limit)
    return BudgetRisk(projected=_money(expected.mean), probability=probability, source=source, model=model,
                      share=share, bills_paid=bills.paid if bills else Decimal("0.00"),
                      bills_due=bills.due if bills else Decimal("0.00"))


def budget_risk_targets(budgets: Sequence[BudgetUse]) -> list[str]:
    """The forecasts :func:`budget_risks` reads: the total expense and each budget's category."""
    return ["expense", *sorted({Target("expense", category_id=u.budget.category_id).key for u in budgets})]


def budget_risks(
    *, workspace: Workspace, budgets: Sequence[BudgetUse], today: dt.date, forecasts: Mapping[str, PageForecast],
    bills: Sequence[RecurringBill] | None = None,
) -> dict[int, BudgetRisk]:
    """``{budget id: BudgetRisk}`` for the budgets a forecast covers (``forecasts`` read for
    :func:`budget_risk_targets`), each category's recurring bills counted by
    :func:`budget_rest_after_bills` (``bills``: found by the caller, else detected here).
    Queries: the recurring bills (1, unless given or no budget is covered) and the
    categories' expense shares (1, only when a budget's category has no model of its own
    but the total expense has)."""
    start, end = today + dt.timedelta(days=1), add_months(today, 1)
    total = forecasts.get("expense")
    total_rest = window_forecast(total.output, start=start, end=end) if total and total.ok else None
    shares: dict[int, float] | None = None
    by_category: dict[int | None, list[RecurringBill]] | None = None
    risks: dict[int, BudgetRisk] = {}
    for use in budgets:
        category_id = use.budget.category_id
        own = forecasts.get(Target("expense", category_id=category_id).key)
        rest = window_forecast(own.output, start=start, end=end) if own and own.ok else None
        if rest is None and total_rest is None:
            continue
        if by_category is None:
            by_category = recurring_bills_by_category(
                list(bills) if bills is not None else recurring_bills_detect(workspace=workspace, today=today)
            )
        if rest is not None:
            after = budget_rest_after_bills(rest=rest, bills=by_category.get(category_id, []), today=today)
            risks[use.budget.pk] = budget_risk(use=use, rest=rest, source="category", model=own.version, bills=after)
            continue
        if shares is None:
            shares = expense_shares_by_category(workspace=workspace, today=today)
        share = shares.get(category_id, 0.0)
        scaled = total_rest.scaled(share)
        after = budget_rest_after_bills(rest=scaled, bills=by_category.get(category_id, []), today=today)
        risks[use.budget.pk] = budget_risk(use=use, rest=scaled, source="share", model=total.version, share=share,
                                           bills=after)
    return risks


def budget_risks_forecast(
    *, workspace: Workspace, budgets: Sequence[BudgetUse], today: dt.date, bills: Sequence[RecurringBill] | None = None,
) -> dict[int, BudgetRisk]:
    """:func:`budget_risks` from the workspace's deployed forecasters (chosen as the Overview
    chooses them). Queries: the deployed versions (1, none without budgets), then
    :func:`budget_risks`'."""
    if not budgets:
        return {}
    versions = deployed_forecasters(workspace=workspace, targets=budget_risk_targets(budgets))
    forecasts = forecasts_read(workspace=workspace, versions=versions, today=today)
    return budget_risks(workspace=workspace, budgets=budgets, today=today, forecasts=forecasts, bills=bills)


def budget_risks_read(
    *, workspace: Workspace, today: dt.date, bills: Sequence[RecurringBill] | None = None,
) -> tuple[list[BudgetUse], dict[int, BudgetRisk]]:
    """This month's budget use and overrun risks of ``workspace`` — what coaching's
    budget-risk endpoint serves (the Budgets page and the Overview have the budgets' use
    already and call :func:`budget_risks_forecast` / :func:`budget_risks`)."""
    budgets = budget_usage_for_month(workspace=workspace, month=today)
    return budgets, budget_risks_forecast(workspace=workspace, budgets=budgets, today=today, bills=bills)
