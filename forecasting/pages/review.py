"""The Review page: what the classifiers want a person to look at, and the answers they
learn from.

* Flagged rows (fraud, anomaly) with their scores: **Fraud** / **Not fraud** record a fraud
  label (:func:`forecasting.classifiers.feedback.transaction_fraud_label`).
* Uncertain category suggestions: **Accept** / **Correct** post to the transactions page's
  own suggestion views (:mod:`forecasting.pages.suggestions`), which record the feedback.
* **Accept all suggestions at or above X %** (:func:`transaction_suggestions_accept_above`).
* After the same correction three times, **Make a rule** (posts to the Rules page's create
  view, :mod:`finance.views.rules`).

Every write is a ``POST`` with the CSRF token; viewers read the page but get 403 on a write.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from finance.models import Category, Transaction
from finance.selectors import workspace_scoped_queryset
from finance.views.base import WorkspacePageMixin
from forecasting.classifiers.feedback import (
    transaction_fraud_label,
    transaction_suggestions_accept_above,
)
from forecasting.classifiers.loading import ClassificationError
from forecasting.classifiers.review import category_rule_suggestion_list, review_queue_get

SECTION_URL_NAME = "forecasting:review"
ACCEPT_ABOVE_DEFAULT = 90
ACCEPT_ABOVE_INVALID = "Accept above: enter a whole percentage from 1 to 100."
FRAUD_ANSWER_INVALID = "Answer “fraud” or “not fraud”."


class ReviewView(WorkspacePageMixin, TemplateView):
    """``GET``: the current workspace's review queue (any member may look)."""

    template_name = "forecasting/review.html"
    section = "review"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        categories: dict[str, list[Category]] = {kind: [] for kind in Category.Kind.values}
        for category in Category.objects.filter(workspace=self.workspace).order_by("name"):
            categories[category.kind].append(category)
        context.update(
            section_url_name=SECTION_URL_NAME,
            queue=review_queue_get(workspace=self.workspace),
            rule_suggestions=category_rule_suggestion_list(workspace=self.workspace),
            category_choices=categories,
            accept_above=kwargs.get("accept_above", ACCEPT_ABOVE_DEFAULT),
            next_url=reverse(SECTION_URL_NAME),
        )
        return context

    def refuse(self, message: str, **context: Any) -> HttpResponse:
        """The page again, with ``message``: a 400 that names what was wrong."""
        messages.error(self.request, message)
        return self.render_to_response(self.get_context_data(**context), status=400)


class ReviewFraudView(ReviewView):
    """``POST is_fraud=true|false``: a member labels a flagged row; the fraud detector
    learns from it and a legitimate row leaves the queue."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        scoped = workspace_scoped_queryset(model=Transaction, user=request.user)
        transaction = get_object_or_404(scoped, pk=pk)
        self.use_workspace_of(transaction.workspace_id)
        self.require_write(self.ws.membership)
        answer = request.POST.get("is_fraud", "")
        if answer not in ("true", "false"):
            return self.refuse(FRAUD_ANSWER_INVALID)
        transaction_fraud_label(transaction=transaction, is_fraud=answer == "true", user=request.user)
        label = transaction.description or transaction.merchant or str(transaction)
        messages.success(request, f"Marked {label} as {'fraud' if answer == 'true' else 'not fraud'}.")
        return redirect(SECTION_URL_NAME)


class ReviewAcceptAboveView(ReviewView):
    """``POST min_percent=<1…100>``: accept every suggestion at or above that confidence."""

    http_method_names = ["post"]
    write_required = True

    def post(self, request: HttpRequest) -> HttpResponse:
        raw = request.POST.get("min_percent", "").strip()
        try:
            percent = int(raw)
        except ValueError:
            percent = -1
        if not 1 <= percent <= 100:
            return self.refuse(ACCEPT_ABOVE_INVALID, accept_above=raw)
        try:
            accepted = transaction_suggestions_accept_above(
                workspace=self.workspace, min_confidence=percent / 100, user=request.user,
            )
        except ClassificationError as exc:  # pragma: no cover - the percentage was checked above
            return self.refuse(str(exc), accept_above=raw)
        messages.success(
            request, f"Accepted {accepted} suggestion{'s' if accepted != 1 else ''} at or above {percent} %."
            if accepted else f"No suggestion is at or above {percent} %.",
        )
        return redirect(SECTION_URL_NAME)
