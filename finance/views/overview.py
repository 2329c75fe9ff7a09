"""The overview: cash flow per month and budget use this month. Other apps add panels to
its slots (:mod:`finance.panels`): forecasting fills the forecast section and the budgets'
overrun-risk column; finance imports nothing from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.views.generic import TemplateView

from finance.months import add_months, month_start
from finance.selectors import budget_usage_for_month, transaction_monthly_totals
from finance.services.recurring import recurring_bills_detect
from finance.views.base import WorkspacePageMixin

PERIOD_CHOICES = (6, 12, 24, 36)
DEFAULT_PERIOD = 12
PARTIAL_LABEL = "month to date"


class OverviewView(WorkspacePageMixin, TemplateView):
    """Revenue, expenses and net for the last N months (``?months=6|12|24|36``; the current
    one is marked month to date in the chart, the table and the totals), the current
    month's budget use and the next recurring bills of the current workspace."""

    template_name = "finance/overview.html"
    section = "overview"
    panels_page = "overview"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        try:
            period = int(self.request.GET.get("months", DEFAULT_PERIOD))
        except ValueError:
            period = DEFAULT_PERIOD
        if period not in PERIOD_CHOICES:
            period = DEFAULT_PERIOD
        months = transaction_monthly_totals(
            workspace=self.workspace, start=add_months(today, -(period - 1)), end=today
        )
        revenue = sum((m.revenue for m in months), Decimal("0.00"))
        expense = sum((m.expense for m in months), Decimal("0.00"))
        budgets = budget_usage_for_month(workspace=self.workspace, month=today)
        current = month_start(today)
        context.update(
            today=today,
            period=period,
            period_choices=PERIOD_CHOICES,
            months=months,
            current_month=current,
            partial_label=PARTIAL_LABEL,
            totals={"revenue": revenue, "expense": expense, "net": revenue - expense},
            chart={
                "currency": self.workspace.currency,
                "labels": [m.month.strftime("%b %Y") for m in months],
                "revenue": [float(m.revenue) for m in months],
                "expense": [float(m.expense) for m in months],
                "net": [float(m.net) for m in months],
                "partial": [m.month == current for m in months],
                "partialLabel": PARTIAL_LABEL,
            },
            budgets=budgets,
            unconfirmed={
                "count": sum(use.unconfirmed_count for use in budgets),
                "amount": sum((use.unconfirmed_amount for use in budgets), Decimal("0.00")),
            },
            bills=recurring_bills_detect(workspace=self.workspace, today=today),
            month_first=current,
        )
        return context
