"""One-click Accept or Correct of a category the categoriser suggested (rows with
``category_source="model"``); either records feedback the categoriser learns from.

Both answer JSON for the transactions page's script (``{"ok", "message", "html"}``, where
``html`` is the row's new category cell) or redirect back to the list with a message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from finance.models import Category, Transaction
from finance.selectors import workspace_scoped_queryset
from finance.views.base import WorkspacePageMixin
from forecasting.classifiers.feedback import (
    transaction_category_correct,
    transaction_suggestion_accept,
)
from forecasting.classifiers.loading import ClassificationError
from forecasting.pages.models import wants_json
from forecasting.templatetags.forecasting_pages import (
    is_suggestion,  # the one definition of "a suggestion"
)


class CorrectionForm(forms.Form):
    """The category a person chooses instead of the suggestion: one of the transaction's
    workspace, of the transaction's kind."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        error_messages={
            "required": "Choose the right category.",
            "invalid_choice": "Choose a category of this workspace and of the transaction's kind.",
        },
    )

    def __init__(self, *args: Any, transaction: Transaction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(
            workspace_id=transaction.workspace_id, kind=transaction.kind
        )


class _SuggestionView(WorkspacePageMixin, View):
    """Finds the transaction among the user's workspaces (another workspace's id is a
    404), refuses viewers of its workspace (403) and rows without a suggestion (409)."""

    http_method_names = ["post"]
    done = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        scoped = workspace_scoped_queryset(model=Transaction, user=request.user)
        transaction = get_object_or_404(scoped.select_related("category"), pk=pk)
        self.require_write(self.ws.membership_for(transaction.workspace_id))
        if not is_suggestion(transaction):
            return self.answer(transaction, ok=False, status=409,
                               message="This category is not a suggestion any more; reload the page.")
        return self.act(transaction)

    def act(self, transaction: Transaction) -> HttpResponse:  # pragma: no cover - abstract
        raise NotImplementedError

    def answer(self, transaction: Transaction, *, ok: bool, message: str, status: int = 200) -> HttpResponse:
        request = self.request
        if wants_json(request):
            html = render_to_string(
                "forecasting/pages/_category_cell.html",
                {"t": transaction, "category_choices": {}, "can_write": False,
                 "suggestion_done": self.done if ok else ""},
                request=request,
            )
            return JsonResponse({"ok": ok, "message": message, "html": html}, status=status)
        (messages.success if ok else messages.error)(request, message)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = "finance:transactions"
        return redirect(target)


class SuggestionAcceptView(_SuggestionView):
    """``POST``: the suggested category becomes the user's; positive feedback is recorded."""

    done = "Accepted"

    def act(self, transaction: Transaction) -> HttpResponse:
        name = transaction.category.name
        try:
            transaction_suggestion_accept(transaction=transaction, user=self.request.user)
        except ClassificationError as exc:
            return self.answer(transaction, ok=False, status=409, message=str(exc))
        return self.answer(transaction, ok=True, message=f"Accepted “{name}” for {transaction.description or transaction}.")


class SuggestionCorrectView(_SuggestionView):
    """``POST category=<id>``: the chosen category replaces the suggestion; the correction
    is recorded for the categoriser."""

    done = "Corrected"

    def act(self, transaction: Transaction) -> HttpResponse:
        form = CorrectionForm(self.request.POST, transaction=transaction)
        if not form.is_valid():
            return self.answer(transaction, ok=False, status=400, message=" ".join(form.errors["category"]))
        category = form.cleaned_data["category"]
        try:
            transaction_category_correct(transaction=transaction, category=category, user=self.request.user)
        except ClassificationError as exc:
            return self.answer(transaction, ok=False, status=400, message=str(exc))
        return self.answer(
            transaction, ok=True, message=f"Changed the category of {transaction.description or transaction} to “{category.name}”."
        )
