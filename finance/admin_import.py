"""The admin's import pages: an "Import" button on a changelist and a page that hands the
file to the model's import service, all rows or none.

Transactions import through :func:`finance.services.transaction_import.transaction_import`,
the service behind the Transactions page and the API: a CSV with named columns, any CSV
with a column mapping, an OFX or a QIF file; rows imported before are skipped and listed;
"Preview" checks the file and writes nothing. Sales import a CSV with named columns.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from finance.forms import TransactionImportForm
from finance.models import Membership, Workspace
from finance.selectors import workspace_list_for_user
from finance.services.csv_import import CsvImportError, ImportResult
from finance.services.import_mapping import ImportMappingError
from finance.services.transaction_import import transaction_import


def _writable_workspaces(user: Any) -> Any:
    """The workspaces ``user`` may import into: every one for a superuser, else those where
    their role may write."""
    if user.is_superuser:
        return Workspace.objects.all()
    return workspace_list_for_user(user=user, roles=Membership.WRITE_ROLES)


def import_summary(result: ImportResult, *, noun: str, nouns: str) -> str:
    """One line on what an import wrote, or a preview would write, and which lines of the
    file it skipped as imported before."""
    count = result.would_create if result.dry_run else result.created
    written = f"{count} {noun if count == 1 else nouns}"
    if result.dry_run:
        text = f"Preview: nothing was written. {written} would be imported."
        if result.total_errors:
            text = f"Preview: nothing was written. Fix {result.total_errors} problem(s) first."
    else:
        text = f"Imported {written}."
    if result.duplicates:
        lines = ", ".join(str(row["row"]) for row in result.duplicate_rows)
        more = result.duplicates - len(result.duplicate_rows)
        text += (f" {'Would skip' if result.dry_run else 'Skipped'} {result.duplicates} row(s) imported before"
                 f" (line {lines}{f' and {more} more' if more else ''}).")
    return text


class CsvImportForm(forms.Form):
    workspace = forms.ModelChoiceField(queryset=Workspace.objects.none())
    file = forms.FileField(help_text="UTF-8 CSV with a header row. One bad row and nothing is written.")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = _writable_workspaces(user)


class TransactionFileImportForm(TransactionImportForm):
    """The Transactions page's import form (CSV, mapped CSV, OFX, QIF) and the workspace
    the rows go to."""

    workspace = forms.ModelChoiceField(queryset=Workspace.objects.none())
    field_order = ["workspace", "file", "format"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = _writable_workspaces(user)


class CsvImportAdminMixin:
    """Adds an import button and page to a changelist, backed by ``csv_importer`` (called
    with the workspace and the file); :meth:`import_run` is the hook for another service."""

    change_list_template = "admin/csv_import_changelist.html"
    csv_importer: Any = None
    csv_columns_help = ""
    import_form_class: type[forms.Form] = CsvImportForm
    import_label = "Import CSV"
    import_title = "Import {} from CSV"
    #: Fields shown first; the others (a column mapping) are grouped under them.
    import_main_fields = ("workspace", "file")
    can_preview = False

    def get_urls(self) -> list:
        info = self.model._meta.app_label, self.model._meta.model_name
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="{}_{}_import".format(*info)), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().changelist_view(request, {"import_label": self.import_label, **(extra_context or {})})

    def import_run(self, request: HttpRequest, form: forms.Form) -> ImportResult:
        return type(self).csv_importer(workspace=form.cleaned_data["workspace"], file=form.cleaned_data["file"])

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            messages.error(request, "You do not have permission to import.")
            return HttpResponseRedirect(reverse("admin:index"))
        opts = self.model._meta
        form = self.import_form_class(request.POST or None, request.FILES or None, user=request.user)
        report: dict[str, Any] = {}
        if request.method == "POST" and form.is_valid():
            try:
                result = self.import_run(request, form)
            except ImportMappingError as exc:  # only forms with a mapping get one
                form.mapping_errors_add(exc.errors)
            except CsvImportError as exc:
                report = {"errors": exc.errors, "total_errors": exc.total_errors}
                messages.error(request, f"Nothing was imported: {exc.summary}")
            else:
                summary = import_summary(result, noun=str(opts.verbose_name), nouns=str(opts.verbose_name_plural))
                if not result.dry_run:
                    messages.success(request, summary)
                    return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
                report = {"preview": result, "summary": summary}
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": self.import_title.format(opts.verbose_name_plural),
            "import_label": self.import_label,
            "form": form,
            "main_fields": [form[name] for name in form.fields if name in self.import_main_fields],
            "other_fields": [form[name] for name in form.fields if name not in self.import_main_fields],
            "columns_help": self.csv_columns_help,
            "can_preview": self.can_preview,
            **report,
        }
        return TemplateResponse(request, "admin/csv_import.html", context)


class TransactionImportAdminMixin(CsvImportAdminMixin):
    """Transactions from a CSV (named or mapped columns), OFX or QIF file, through the
    service behind the Transactions page and the API."""

    import_form_class = TransactionFileImportForm
    import_label = "Import file"
    import_title = "Import {} from a CSV, OFX or QIF file"
    import_main_fields = ("workspace", "file", "format")
    can_preview = True

    def import_run(self, request: HttpRequest, form: forms.Form) -> ImportResult:
        return transaction_import(
            workspace=form.cleaned_data["workspace"], file=form.cleaned_data["file"], user=request.user,
            file_format=form.file_format, mapping=form.mapping(), dry_run="dry_run" in request.POST,
        )
