"""Budgets: the list with this month's use and twelve months of spending against the
limits, one budget's months, and add / edit / delete (not for viewers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import CreateView, DeleteView, DetailView, TemplateView, UpdateView

from finance.forms import BudgetForm
from finance.models import Budget
from finance.months import month_start
from finance.selectors import (
    BudgetMonth,
    budget_limit_per_month,
    budget_list,
    budget_months,
    budget_months_total,
)
from finance.services.budgets import budget_delete
from finance.services.recurring import recurring_bills_detect
from finance.views.base import WorkspaceObjectMixin, WorkspacePageMixin

PARTIAL_LABEL = "month to date"


@dataclass(frozen=True)
class BudgetRow:
    """One budget on the list: its last twelve months, the current one last."""

    budget: Budget
    months: list[BudgetMonth]

    @property
    def current(self) -> BudgetMonth:
        return self.months[-1]


def budget_chart(*, months: list[BudgetMonth], currency: str) -> dict[str, Any]:
    """What static/js/planning.js draws: spending per month as bars against the limit as a
    line; the current month is flagged partial (spending to date)."""
    return {
        "currency": currency,
        "labels": [month.month.strftime("%b %Y") for month in months],
        "spent": [float(month.spent) for month in months],
        "limit": [None if month.limit is None else float(month.limit) for month in months],
        "partial": [month.is_partial for month in months],
        "partialLabel": PARTIAL_LABEL,
    }


def budget_label(budget: Budget) -> str:
    return f"the {budget.category.name} budget"


class BudgetListView(WorkspacePageMixin, TemplateView):
    """Every budget of the current workspace with this month's use, and all of them
    together over the last twelve months (spent vs limit, this month to date)."""

    template_name = "finance/budgets/list.html"
    section = "budgets"
    panels_page = "budgets"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        budgets = list(budget_list(workspace=self.workspace))
        months = budget_months(workspace=self.workspace, budgets=budgets, today=today)
        rows = [BudgetRow(budget=budget, months=months[budget.pk]) for budget in budgets]
        total = budget_months_total(histories=[row.months for row in rows])
        context.update(
            today=today,
            rows=rows,
            total=total,
            this_month=total[-1] if total else None,
            chart=budget_chart(months=total, currency=self.workspace.currency),
            partial_label=PARTIAL_LABEL,
            bills=recurring_bills_detect(workspace=self.workspace, today=today),
            month_first=month_start(today),
            min_confidence=settings.BUDGET_SUGGESTION_MIN_CONFIDENCE * 100,
        )
        return context


class BudgetDetailView(WorkspaceObjectMixin, DetailView):
    """One budget: its limit and spending month by month over the last twelve months."""

    model = Budget
    object_related = ("category",)
    template_name = "finance/budgets/detail.html"
    context_object_name = "budget"
    section = "budgets"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        months = budget_months(workspace=self.workspace, budgets=[self.object], today=today)[self.object.pk]
        context.update(
            today=today,
            months=months,
            this_month=months[-1],
            monthly_limit=budget_limit_per_month(budget=self.object),
            chart=budget_chart(months=months, currency=self.workspace.currency),
            partial_label=PARTIAL_LABEL,
        )
        return context


class _BudgetFormMixin(WorkspacePageMixin):
    model = Budget
    form_class = BudgetForm
    template_name = "finance/object_form.html"
    section = "budgets"
    object: Budget | None

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(workspace=self.workspace)
        return kwargs

    def get_success_url(self) -> str:
        assert self.object is not None
        return reverse("finance:budget-detail", args=[self.object.pk])


class BudgetCreateView(_BudgetFormMixin, CreateView):
    """Add a budget to the current workspace (not for viewers)."""

    write_required = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            heading="Add a budget", submit_label="Add budget", cancel_url=reverse("finance:budgets"),
        )
        return context

    def form_valid(self, form: BudgetForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"Added {budget_label(self.object)}.")
        return response


class BudgetUpdateView(WorkspaceObjectMixin, _BudgetFormMixin, UpdateView):
    """Edit a budget (not for viewers)."""

    object_related = ("category",)
    object_write = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            heading=f"Edit {budget_label(self.object)}", submit_label="Save",
            cancel_url=reverse("finance:budget-detail", args=[self.object.pk]),
        )
        return context

    def form_valid(self, form: BudgetForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"Saved {budget_label(self.object)}.")
        return response


class BudgetDeleteView(WorkspaceObjectMixin, DeleteView):
    """Confirm (GET), then delete (POST) a budget (not for viewers)."""

    model = Budget
    object_related = ("category",)
    object_write = True
    template_name = "finance/budgets/confirm_delete.html"
    context_object_name = "budget"
    section = "budgets"

    def form_valid(self, form: Any) -> HttpResponse:
        label = budget_label(self.object)
        budget_delete(budget=self.object)
        messages.success(self.request, f"Deleted {label}.")
        return HttpResponseRedirect(reverse("finance:budgets"))

