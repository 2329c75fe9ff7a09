"""Forms of the server-rendered pages: transaction entry, list filters and CSV upload.

Every form that offers rows of the books is built for one workspace, so a row of
another workspace is never a valid choice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from finance.models import Category, Transaction, Workspace
from finance.services.transactions import (
    CATEGORY_OF_ANOTHER_WORKSPACE,
    transaction_create,
    transaction_update,
    transaction_validate,
)

UNCATEGORISED = "none"
SUGGESTED = "suggested"


class DateInput(forms.DateInput):
    """A native date picker; the value is exchanged as ISO ``YYYY-MM-DD``."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TransactionForm(forms.ModelForm):
    """Add or edit one transaction of ``workspace``.

    The date must be a real date; the rules of every transaction write (amount, the
    category's workspace and kind) are :func:`finance.services.transactions.transaction_validate`'s,
    so the page and the API give the same messages.
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
        category.error_messages["invalid_choice"] = CATEGORY_OF_ANOTHER_WORKSPACE
        self.fields["amount"].help_text = f"In {workspace.currency}, greater than zero."
        if self.instance.pk is None:
            self.initial.setdefault("kind", Transaction.Kind.EXPENSE)
            self.initial.setdefault("status", Transaction.Status.APPROVED)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            transaction_validate(
                workspace=self.workspace,
                kind=cleaned.get("kind"),
                amount=cleaned.get("amount"),
                category=cleaned.get("category"),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def save(self, commit: bool = True) -> Transaction:
        """Write through the services (the rules of every transaction write live there);
        there is no unsaved variant."""
        if not commit:
            raise ValueError("TransactionForm writes through the services; save(commit=False) is unsupported.")
        fields = {name: self.cleaned_data[name] for name in self._meta.fields}
        if self.instance.pk is None:
            self.instance = transaction_create(workspace=self.workspace, user=self.user, **fields)
        else:
            self.instance = transaction_update(transaction=self.instance, user=self.user, **fields)
        return self.instance


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
