"""Category rules: the list in the order they are tried, add / edit / delete (not for
viewers), and applying them to the transactions already in the books.

A rule gives a transaction its category before the categoriser sees it (see
:mod:`finance.services.rules`); the Review page offers a one-click rule after the same
correction three times, which posts to :class:`RuleCreateView`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View
from django.views.generic import CreateView, DeleteView, TemplateView, UpdateView

from finance.forms import CategoryRuleForm
from finance.models import CategoryRule
from finance.selectors import category_rule_list
from finance.services.rules import category_rule_delete, category_rules_apply
from finance.views.base import WorkspaceObjectMixin, WorkspacePageMixin


def _applied_message(changed: int) -> str:
    if not changed:
        return "No transaction already in the books matched."
    return f"{changed} transaction{'s' if changed != 1 else ''} already in the books got a rule's category."


class RuleListView(WorkspacePageMixin, TemplateView):
    """Every category rule of the current workspace, in the order they are tried."""

    template_name = "finance/rules/list.html"
    section = "rules"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rules = list(category_rule_list(workspace=self.workspace).select_related("created_by"))
        context.update(rules=rules, active_count=sum(1 for rule in rules if rule.is_active))
        return context


class _RuleFormMixin(WorkspacePageMixin):
    model = CategoryRule
    form_class = CategoryRuleForm
    template_name = "finance/object_form.html"
    section = "rules"
    object: CategoryRule | None

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(workspace=self.workspace, user=self.request.user)
        return kwargs

    def get_success_url(self) -> str:
        return reverse("finance:rules")

    def form_valid(self, form: CategoryRuleForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"Saved the rule: {self.object}.")
        if form.cleaned_data.get("apply_existing"):
            messages.info(self.request, _applied_message(category_rules_apply(workspace=self.workspace)))
        return response


class RuleCreateView(_RuleFormMixin, CreateView):
    """Add a rule to the current workspace (not for viewers). A ``POST`` with every field
    (the Review page's "Make a rule") creates it in one click."""

    write_required = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(heading="Add a rule", submit_label="Add rule", cancel_url=reverse("finance:rules"))
        return context


class RuleUpdateView(WorkspaceObjectMixin, _RuleFormMixin, UpdateView):
    """Edit a rule (not for viewers)."""

    object_write = True
    object_related = ("category",)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(heading="Edit the rule", submit_label="Save", cancel_url=reverse("finance:rules"))
        return context


class RuleDeleteView(WorkspaceObjectMixin, DeleteView):
    """Confirm (GET), then delete (POST) a rule; the transactions keep their categories."""

    model = CategoryRule
    object_write = True
    object_related = ("category",)
    template_name = "finance/rules/confirm_delete.html"
    context_object_name = "rule"
    section = "rules"

    def form_valid(self, form: Any) -> HttpResponse:
        label = str(self.object)
        category_rule_delete(rule=self.object)
        messages.success(self.request, f"Deleted the rule: {label}.")
        return HttpResponseRedirect(reverse("finance:rules"))


class RulesApplyView(WorkspacePageMixin, View):
    """``POST``: apply the active rules to the transactions nobody has categorised yet."""

    http_method_names = ["post"]
    write_required = True

    def post(self, request: HttpRequest) -> HttpResponse:
        messages.success(request, _applied_message(category_rules_apply(workspace=self.workspace)))
        return HttpResponseRedirect(reverse("finance:rules"))
