"""Forms of the server-rendered pages: transaction entry, list filters and CSV upload.

Every form that offers rows of the books is built for one workspace, so a row of
another workspace is never a valid choice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from finance.models import Category, Transaction, Workspace

UNCATEGORISED = "none"
SUGGESTED = "suggested"


class DateInput(forms.DateInput):
    """A native date picker; the value is exchanged as ISO ``YYYY-MM-DD``."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TransactionForm(forms.ModelForm):
    """Add or edit one transaction of ``workspace``.

    Server-side rules: the amount is greater than zero, the date is a real date, and the
    category (optional) belongs to the workspace and has the transaction's kind.
    """

    class Meta:
        model = Transaction
        fields = ["kind", "amount", "date", "category", "description", "merchant", "account", "status"]
        widgets = {
            "date": DateInput(),
            "amount": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        }
        error_messages = {
            "date": {"invalid": "Enter a valid date (YYYY-MM-DD)."},
            "amount": {"invalid": "Enter the amount as a number, e.g. 12.50."},
        }

    def __init__(self, *args: Any, workspace: Workspace, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.user = user
        category = self.fields["category"]
        category.queryset = Category.objects.filter(workspace=workspace).order_by("kind", "name")
        category.empty_label = "Uncategorised"
        category.error_messages["invalid_choice"] = "Choose a category of this workspace."
        self.fields["amount"].help_text = f"In {workspace.currency}, greater than zero."
        if self.instance.pk is None:
            self.initial.setdefault("kind", Transaction.Kind.EXPENSE)
            self.initial.setdefault("status", Transaction.Status.APPROVED)

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("Amount must be greater than zero.", code="not_positive")
        return amount

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        category: Category | None = cleaned.get("category")
        kind = cleaned.get("kind")
        if category is not None and kind and category.kind != kind:
            self.add_error(
                "category",
                forms.ValidationError(
                    "“%(name)s” is %(article)s %(category_kind)s category; this transaction is %(kind)s.",
                    code="kind_mismatch",
                    params={
                        "name": category.name,
                        "article": "an" if category.kind == Category.Kind.EXPENSE else "a",
                        "category_kind": category.get_kind_display().lower(),
                        "kind": Transaction.Kind(kind).label.lower(),
                    },
                ),
            )
        return cleaned

    def save(self, commit: bool = True) -> Transaction:
        transaction: Transaction = super().save(commit=False)
        if transaction.pk is None:
            transaction.workspace = self.workspace
            transaction.currency = self.workspace.currency
            transaction.source = Transaction.Source.MANUAL
            transaction.created_by = self.user
            if transaction.category_id is not None:
                transaction.category_source = Transaction.CategorySource.USER
        elif "category" in self.changed_data:
            # A person chose (or cleared) the category: it is no longer a suggestion.
            has_category = transaction.category_id is not None
            transaction.category_source = Transaction.CategorySource.USER if has_category else ""
            transaction.category_confidence = None
        if commit:
            transaction.save()
        return transaction


class TransactionFilterForm(forms.Form):
    """The filters of the transactions list (a GET form). Invalid fields are ignored."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *Transaction.Kind.choices]
    )
    category = forms.ChoiceField(label="Category", required=False)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Transaction.Status.choices]
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(self, *args: Any, categories: Iterable[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = "Description, merchant or account"
        self.fields["category"].choices = [
            ("", "Any category"),
            (UNCATEGORISED, "Uncategorised"),
            (SUGGESTED, "Suggested by the model (to review)"),
            *((str(c.pk), str(c)) for c in categories),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for :func:`finance.selectors.transaction_list` (valid fields
        only), plus ``suggested``: only rows whose category the model suggested."""
        self.is_valid()
        data = self.cleaned_data
        category = data.get("category") or ""
        date_to: dt.date | None = data.get("date_to") if "date_to" not in self.errors else None
        return {
            "search": (data.get("q") or "").strip(),
            "kind": data.get("kind") or "",
            "category_id": int(category) if category not in ("", UNCATEGORISED, SUGGESTED) else None,
            "uncategorised": category == UNCATEGORISED,
            "suggested": category == SUGGESTED,
            "status": data.get("status") or "",
            "date_from": data.get("date_from"),
            "date_to": date_to,
        }

    @property
    def is_filtered(self) -> bool:
        return any(value not in (None, "", False) for value in self.filters().values())


class TransactionImportForm(forms.Form):
    """Upload a transactions CSV (the columns are described on the page)."""

    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose a CSV file to import."},
    )
