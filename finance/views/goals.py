"""Savings goals: the list with each goal's progress, one goal's saved amount over time
toward its target and deadline, and add / edit / delete (not for viewers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import CreateView, DeleteView, DetailView, TemplateView, UpdateView

from finance.forms import GoalForm
from finance.models import Goal, GoalProgress
from finance.selectors import GoalStatus, goal_list, goal_progress_list
from finance.services.goals import goal_delete
from finance.views.base import WorkspaceObjectMixin, WorkspacePageMixin


def goal_points(*, goal: Goal, history: list[GoalProgress], today: dt.date) -> list[tuple[dt.date, Decimal]]:
    """The saved amount over time: every recorded day up to today, ending with today's
    amount (so a change made outside the services — in admin — shows too)."""
    points = [(p.date, p.saved_amount) for p in history if p.date < today]
    return [*points, (today, goal.saved_amount)]


def goal_chart(*, goal: Goal, points: list[tuple[dt.date, Decimal]], today: dt.date, currency: str) -> dict[str, Any]:
    """What static/js/planning.js draws: the saved amount over time as steps, the target
    up to the deadline, the deadline, and the pace still needed from today."""
    return {
        "currency": currency,
        "saved": [[day.isoformat(), float(amount)] for day, amount in points],
        "target": float(goal.target_amount),
        "deadline": goal.deadline.isoformat(),
        "today": today.isoformat(),
    }


class GoalListView(WorkspacePageMixin, TemplateView):
    """Every savings goal of the current workspace: saved, target, progress, deadline and
    what is still needed per month."""

    template_name = "finance/goals/list.html"
    section = "goals"
    panels_page = "goals"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        rows = [GoalStatus(goal=goal, today=today) for goal in goal_list(workspace=self.workspace)]
        context.update(
            today=today,
            rows=rows,
            saved_total=sum((row.goal.saved_amount for row in rows), Decimal("0.00")),
            target_total=sum((row.goal.target_amount for row in rows), Decimal("0.00")),
            reached_count=sum(1 for row in rows if row.is_reached),
        )
        return context


class GoalDetailView(WorkspaceObjectMixin, DetailView):
    """One goal: where it stands and its saved amount over time toward the target."""

    model = Goal
    template_name = "finance/goals/detail.html"
    context_object_name = "goal"
    section = "goals"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        points = goal_points(goal=self.object, history=list(goal_progress_list(goal=self.object)), today=today)
        context.update(
            today=today,
            status=GoalStatus(goal=self.object, today=today),
            points=points,
            chart=goal_chart(goal=self.object, points=points, today=today, currency=self.workspace.currency),
        )
        return context


class _GoalFormMixin(WorkspacePageMixin):
    model = Goal
    form_class = GoalForm
    template_name = "finance/object_form.html"
    section = "goals"
    object: Goal | None

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(workspace=self.workspace, user=self.request.user)
        return kwargs

    def get_success_url(self) -> str:
        assert self.object is not None
        return reverse("finance:goal-detail", args=[self.object.pk])


class GoalCreateView(_GoalFormMixin, CreateView):
    """Add a goal to the current workspace (not for viewers)."""

    write_required = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(heading="Add a goal", submit_label="Add goal", cancel_url=reverse("finance:goals"))
        return context

    def form_valid(self, form: GoalForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"Added the goal “{self.object.name}”.")
        return response


class GoalUpdateView(WorkspaceObjectMixin, _GoalFormMixin, UpdateView):
    """Edit a goal, e.g. its saved amount (not for viewers)."""

    object_write = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            heading=f"Edit the goal “{self.object.name}”", submit_label="Save",
            cancel_url=reverse("finance:goal-detail", args=[self.object.pk]),
        )
        return context

    def form_valid(self, form: GoalForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"Saved the goal “{self.object.name}”.")
        return response


class GoalDeleteView(WorkspaceObjectMixin, DeleteView):
    """Confirm (GET), then delete (POST) a goal and its history (not for viewers)."""

    model = Goal
    object_write = True
    template_name = "finance/goals/confirm_delete.html"
    context_object_name = "goal"
    section = "goals"

    def form_valid(self, form: Any) -> HttpResponse:
        name = self.object.name
        goal_delete(goal=self.object)
        messages.success(self.request, f"Deleted the goal “{name}”.")
        return HttpResponseRedirect(reverse("finance:goals"))
