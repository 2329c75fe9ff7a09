"""The overview: cash flow per month and budget use this month. Other apps add panels to
its slots (:mod:`finance.panels`): forecasting fills the forecast section and the budgets'
overrun-risk column; finance imports nothing from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.views.generic import TemplateView

from finance.months import add_months
from finance.selectors import budget_usage_for_month, transaction_monthly_totals
from finance.views.base import WorkspacePageMixin

PERIOD_CHOICES = (6, 12, 24, 36)
DEFAULT_PERIOD = 12


class OverviewView(WorkspacePageMixin, TemplateView):
    """Revenue, expenses and net for the last N months (``?months=6|12|24|36``) and the
    current month's budget use of the current workspace."""

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
        context.update(
            today=today,
            period=period,
            period_choices=PERIOD_CHOICES,
            months=months,
            totals={"revenue": revenue, "expense": expense, "net": revenue - expense},
            chart={
                "currency": self.workspace.currency,
                "labels": [m.month.strftime("%b %Y") for m in months],
                "revenue": [float(m.revenue) for m in months],
                "expense": [float(m.expense) for m in months],
                "net": [float(m.net) for m in months],
            },
            budgets=budget_usage_for_month(workspace=self.workspace, month=today),
        )
        return context
