"""Each budget's chance of going over by the end of the month, and the proactive alerts.

A budget whose category (or the total expense) has a deployed forecaster is answered by
:func:`forecasting.serving.budgets.budget_risks` — the Overview's and the Budgets page's
rule. Any other budget is forecast by the forecasting engine (:mod:`coaching.services.spending`,
this month's spending of its category): the rest of the month is that forecast times the
share of the month's days still to come (as :func:`~forecasting.serving.forecasts.window_forecast`
counts a monthly model's month), its spread from the 80 % band; the category's recurring
bills are then counted by :func:`forecasting.serving.budgets.budget_rest_after_bills`, the
one rule for bills — a monthly bill already paid this month is not projected again.

The alerts: a budget whose chance of going over reaches ``COACHING_BUDGET_ALERT_PROBABILITY``
opens one ``budget`` alert (the monitoring alerts and their notification channels) per
budget per month; its target names both, so a later run that month, even after the alert
was acknowledged, raises nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from coaching.services.recommendations import money
from coaching.services.spending import spending_forecast
from coaching.services.spending_bills import bill_payments_read
from finance.models import Budget, Workspace
from finance.months import month_end, month_start
from finance.selectors import BudgetUse
from finance.services.recurring import (
    RecurringBill,
    recurring_bills_by_category,
)
from forecasting.engine.base import Z80
from forecasting.monitoring.alerts import alert_raise
from forecasting.monitoring.models import Alert
from forecasting.serving.budgets import (
    BudgetRisk,
    budget_rest_after_bills,
    budget_risk,
    budget_risks_forecast,
    budget_risks_read,
)
from forecasting.serving.forecasts import WindowForecast

ENGINE = "engine"


def _engine_rests(*, workspace: Workspace, uses: Sequence[BudgetUse], today: dt.date) -> dict[int, WindowForecast]:
    """``{category id: forecast of the rest of the month}`` from the engine's forecast of
    this month of each budget's category (none for a category without enough history)."""
    categories = {u.budget.category_id: u.budget.category.name for u in uses}
    answer = spending_forecast(workspace=workspace, frequency="M", horizon=1, today=today, categories=categories,
                               log=False, models=False, bills=False)  # no model of theirs; bills counted below
    end = month_end(today)
    left = (end - today).days / end.day
    rests = {}
    for row in answer["categories"]:
        if row["forecast"]:
            month = row["forecast"][0]
            sigma = max(month["hi80"] - month["amount"], 0.0) / Z80
            rests[row["category"]] = WindowForecast(month["amount"] * left, sigma * left)
    return rests


def budget_risks_all(
    *, workspace: Workspace, today: dt.date, uses: Sequence[BudgetUse] | None = None,
    bills: Sequence[RecurringBill] | None = None,
) -> tuple[list[BudgetUse], dict[int, BudgetRisk]]:
    """This month's use of every budget of ``workspace`` (``uses``: read already) and the
    risk of each that a forecast covers: the deployed forecasters', else the engine's (see
    the module docstring). Queries: the budgets' use (unless given), the recurring bills,
    the deployed versions, the engine's books (only for budgets no model covers)."""
    if uses is not None and not uses:
        return [], {}
    bills = list(bills) if bills is not None else list(bill_payments_read(workspace=workspace, as_of=today))
    if uses is None:
        uses, risks = budget_risks_read(workspace=workspace, today=today, bills=bills)
    else:
        uses, risks = list(uses), budget_risks_forecast(workspace=workspace, budgets=uses, today=today, bills=bills)
    left = [u for u in uses if u.budget.pk not in risks]
    if not left:
        return uses, risks
    rests = _engine_rests(workspace=workspace, uses=left, today=today)
    by_category = recurring_bills_by_category(bills)
    for use in left:
        rest = rests.get(use.budget.category_id)
        if rest is None:
            continue
        after = budget_rest_after_bills(rest=rest, bills=by_category.get(use.budget.category_id, []), today=today)
        risks[use.budget.pk] = budget_risk(use=use, rest=rest, source=ENGINE, model=None, bills=after)
    return uses, risks


# --- alerts ----------------------------------------------------------------------------------


def budget_alert_target(*, budget_id: int, today: dt.date) -> str:
    """What names a budget's alert of one month (one per budget per month)."""
    return f"budget:{budget_id}:{month_start(today):%Y-%m}"


def _message(use: BudgetUse, risk: BudgetRisk, currency: str, today: dt.date) -> str:
    name = use.budget.category.name
    return (f"{name}: {risk.percent}% chance of going over its {money(float(use.limit), currency)} budget by "
            f"{month_end(today):%d %B} ({money(float(use.spent), currency)} spent so far, "
            f"{money(float(risk.projected), currency)} expected by month end).")


@dataclass(frozen=True)
class BudgetAlerts:
    raised: list[Alert]
    at_risk: int  # budgets at or above the threshold (alerted now or earlier this month)


def budget_alerts_raise(*, workspace: Workspace, today: dt.date) -> BudgetAlerts:
    """Open a ``budget`` alert for each budget whose overrun chance reaches
    ``COACHING_BUDGET_ALERT_PROBABILITY`` and that has none this month (see the module
    docstring). Idempotent within a month."""
    threshold = settings.COACHING_BUDGET_ALERT_PROBABILITY
    uses, risks = budget_risks_all(workspace=workspace, today=today)
    risky = [(u, risks[u.budget.pk]) for u in uses if u.budget.pk in risks
             and risks[u.budget.pk].probability >= threshold]
    if not risky:
        return BudgetAlerts(raised=[], at_risk=0)
    targets = {budget_alert_target(budget_id=u.budget.pk, today=today): (u, r) for u, r in risky}
    raised = []
    with transaction.atomic():
        seen = set(Alert.objects.filter(workspace=workspace, kind=Alert.Kind.BUDGET, target__in=list(targets))
                   .values_list("target", flat=True))
        for target, (use, risk) in targets.items():
            if target in seen:
                continue
            raised.append(alert_raise(
                workspace=workspace, kind=Alert.Kind.BUDGET, target=target, dedupe=False,
                message=_message(use, risk, workspace.currency, today),
                severity=Alert.Severity.CRITICAL if use.is_over else Alert.Severity.WARNING,
                data={"budget": use.budget.pk, "category": use.budget.category_id, "month": f"{today:%Y-%m}",
                      "probability": round(risk.probability, 4), "limit": str(use.limit), "spent": str(use.spent),
                      "projected": str(risk.projected), "source": risk.source, "currency": workspace.currency,
                      "bills_paid": str(risk.bills_paid)},
                model_version=risk.model,
            ))
    return BudgetAlerts(raised=raised, at_risk=len(targets))


def budget_alerts_sweep(*, today: dt.date) -> dict[str, int]:
    """:func:`budget_alerts_raise` over every workspace with a budget active this month."""
    ids = (Budget.objects.filter(start_date__lte=month_end(today))
           .exclude(end_date__lt=month_start(today)).values_list("workspace_id", flat=True).distinct())
    raised = at_risk = workspaces = 0
    for workspace in Workspace.objects.filter(pk__in=list(ids)).order_by("pk"):
        report = budget_alerts_raise(workspace=workspace, today=today)
        raised, at_risk, workspaces = raised + len(report.raised), at_risk + report.at_risk, workspaces + 1
    return {"workspaces": workspaces, "raised": raised, "at_risk": at_risk}

