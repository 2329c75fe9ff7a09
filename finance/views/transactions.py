"""Transactions: the filtered list, add / edit / delete, and the CSV import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction as db_transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.generic import DeleteView, FormView, TemplateView, UpdateView, View
from django.views.generic.edit import CreateView

from finance.accounts.selectors import account_list
from finance.forms import TransactionFilterForm, TransactionForm, TransactionImportForm
from finance.models import Transaction
from finance.selectors import category_list, transaction_list, workspace_scoped_queryset
from finance.services.csv_import import CsvImportError
from finance.services.import_mapping import ImportMappingError
from finance.services.transaction_import import transaction_import
from finance.services.transactions import NothingToConfirm, transaction_confirm, transaction_delete
from finance.views.base import WorkspacePageMixin

PAGE_SIZE = 25


class TransactionListView(WorkspacePageMixin, TemplateView):
    """The current workspace's transactions with filters (kind, category — including
    "suggested by the model" —, status, dates, search) and pagination; the filters stay in
    the page links. Suggested categories show their confidence with Accept / Correct (the
    forecasting app's tag library renders that cell)."""

    template_name = "finance/transactions/list.html"
    section = "transactions"
    panels_page = "transactions"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        categories = list(category_list(workspace=self.workspace))
        accounts = list(account_list(workspace=self.workspace))
        form = TransactionFilterForm(self.request.GET or None, categories=categories, accounts=accounts)
        filters = form.filters() if form.is_bound else {}
        suggested = filters.pop("suggested", False)
        queryset = transaction_list(workspace=self.workspace, **filters)
        if suggested:
            queryset = queryset.filter(category_source=Transaction.CategorySource.MODEL, category__isnull=False)
        page = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            filter_form=form,
            is_filtered=form.is_bound and form.is_filtered,
            page_obj=page,
            transactions=page.object_list,
            categories=categories,
        )
        return context


class _TransactionFormMixin(WorkspacePageMixin):
    model = Transaction
    form_class = TransactionForm
    template_name = "finance/transactions/form.html"
    section = "transactions"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(workspace=self.workspace, user=self.request.user)
        return kwargs

    def get_success_url(self) -> str:
        return reverse("finance:transactions")


class TransactionCreateView(_TransactionFormMixin, CreateView):
    """Add a transaction to the current workspace (not for viewers)."""

    write_required = True

    def form_valid(self, form: TransactionForm) -> HttpResponse:
        with db_transaction.atomic():
            response = super().form_valid(form)
        messages.success(self.request, f"Added {self.object}.")
        return response


class _TransactionObjectMixin(WorkspacePageMixin):
    """Finds the transaction among the user's workspaces (another workspace's id is a
    404), switches to its workspace, then refuses writes from viewers (403)."""

    def get_object(self, queryset: Any = None) -> Transaction:
        scoped = workspace_scoped_queryset(model=Transaction, user=self.request.user)
        transaction = get_object_or_404(scoped.select_related("category"), pk=self.kwargs["pk"])
        self.use_workspace_of(transaction.workspace_id)
        self.require_write(self.ws.membership)
        return transaction


class TransactionUpdateView(_TransactionObjectMixin, _TransactionFormMixin, UpdateView):
    """Edit a transaction (not for viewers)."""

    def form_valid(self, form: TransactionForm) -> HttpResponse:
        with db_transaction.atomic():
            response = super().form_valid(form)
        messages.success(self.request, f"Saved {self.object}.")
        return response


class TransactionConfirmView(_TransactionObjectMixin, View):
    """``POST``: confirm an amount marked as far outside the workspace's range (the edit
    page's button; not for viewers). It counts for forecasts from then on."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            transaction = transaction_confirm(transaction=self.get_object(), user=request.user)
        except NothingToConfirm as exc:
            messages.info(request, exc.message)
        else:
            messages.success(request, f"Confirmed {transaction}: it counts for forecasts now.")
        return redirect("finance:transaction-edit", pk=pk)


class TransactionDeleteView(_TransactionObjectMixin, DeleteView):
    """Confirm (GET), then delete (POST) a transaction (not for viewers)."""

    model = Transaction
    template_name = "finance/transactions/confirm_delete.html"
    section = "transactions"
    context_object_name = "transaction"

    def get_success_url(self) -> str:
        return reverse("finance:transactions")

    def form_valid(self, form: Any) -> HttpResponse:
        label = str(self.object)
        transaction_delete(transaction=self.object)
        messages.success(self.request, f"Deleted {label}.")
        return redirect(self.get_success_url())


def _import_report(result: Any) -> dict[str, Any]:
    """What the import page shows of an import or a preview."""
    plural = "s" if result.created != 1 else ""
    skipped = ""
    if result.duplicates:
        skipped = (f" {result.duplicates} row{'s' if result.duplicates != 1 else ''} imported before "
                   f"{'were' if result.duplicates != 1 else 'was'} skipped.")
    if result.dry_run:
        message = (f"Preview: nothing was written. {result.would_create} new transaction"
                   f"{'s' if result.would_create != 1 else ''} would be imported.{skipped}")
        if result.total_errors:
            message = f"Preview: nothing was written. {result.total_errors} problem{'s' if result.total_errors != 1 else ''} to fix first.{skipped}"
    else:
        message = f"Imported {result.created} transaction{plural}.{skipped}"
    return {
        "message": message, "created": result.created, "duplicate_rows": result.duplicate_rows,
        "duplicates": result.duplicates, "preview_rows": result.rows, "dry_run": result.dry_run,
        "preview_errors": [e.as_dict() for e in result.errors], "preview_total_errors": result.total_errors,
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


class TransactionImportView(WorkspacePageMixin, FormView):
    """Upload a file (CSV, mapped CSV, OFX, QIF) into the current workspace: all new rows
    or none, rows imported before skipped and listed (not for viewers). "Preview" shows
    the first rows, the problems and the duplicates, and writes nothing.

    The plain form posts and re-renders with the per-row error report, or redirects to
    the list on success. The page's script posts the same form with ``fetch()`` asking
    for JSON and shows progress and the result in place: ``{"ok": true, "created": n,
    "redirect": url, "html": …}`` (200) or ``{"ok": false, "errors": [{"row", "column",
    "message"}], "total_errors": n, "html": …}`` (400); ``html`` is the same report the
    plain page shows.
    """

    form_class = TransactionImportForm
    template_name = "finance/transactions/import.html"
    section = "transactions"
    write_required = True

    def form_valid(self, form: TransactionImportForm) -> HttpResponse:
        dry_run = "dry_run" in self.request.POST
        try:
            result = transaction_import(
                workspace=self.workspace, file=form.cleaned_data["file"], user=self.request.user,
                file_format=form.file_format, mapping=form.mapping(), dry_run=dry_run,
            )
        except ImportMappingError as exc:
            form.mapping_errors_add(exc.errors)
            return self.form_invalid(form)
        except CsvImportError as exc:
            return self.refused(form, exc)
        report = _import_report(result)
        if _wants_json(self.request):
            html = render_to_string("finance/transactions/_import_result.html", report, request=self.request)
            return JsonResponse({
                "ok": True, "preview": dry_run, "created": result.created, "duplicates": result.duplicates,
                "message": report["message"], "redirect": reverse("finance:transactions"), "html": html,
            })
        if dry_run:
            return self.render_to_response(self.get_context_data(form=form, **report))
        messages.success(self.request, report["message"])
        return redirect("finance:transactions")

    def form_invalid(self, form: TransactionImportForm) -> HttpResponse:
        if _wants_json(self.request):
            errors = [
                {"row": None, "column": field, "message": str(message)}
                for field, field_errors in form.errors.items()
                for message in field_errors
            ]
            return self._json_errors(errors, total=len(errors))
        return super().form_invalid(form)

    def refused(self, form: TransactionImportForm, exc: CsvImportError) -> HttpResponse:
        if _wants_json(self.request):
            return self._json_errors([e.as_dict() for e in exc.errors], total=exc.total_errors)
        return self.render_to_response(self.get_context_data(form=form, import_error=exc))

    def _json_errors(self, errors: list[dict[str, Any]], *, total: int) -> JsonResponse:
        html = render_to_string(
            "finance/transactions/_import_result.html",
            {"errors": errors, "total_errors": total},
            request=self.request,
        )
        return JsonResponse(
            {"ok": False, "errors": errors, "total_errors": total, "html": html}, status=400
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        error = context.pop("import_error", None)
        if error is not None:
            context.update(errors=[e.as_dict() for e in error.errors], total_errors=error.total_errors)
        return context
