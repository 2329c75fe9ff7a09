"""Forms of the Accounts page: an account (add, edit) and a transfer between two accounts.
Their rules are :mod:`finance.accounts.services`', so the page, the API and the admin give
the same messages; the choices are the workspace's open accounts only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from config.limits import ISO_4217_CURRENCIES
from finance.accounts.models import Account, Transfer
from finance.accounts.selectors import account_list
from finance.accounts.services import (
    ACCOUNT_OF_ANOTHER_WORKSPACE,
    account_create,
    account_update,
    account_validate,
    transfer_create,
    transfer_validate,
)
from finance.forms import DATE_INVALID, DateInput, MoneyField, ServiceModelForm
from finance.models import Workspace


def errors_add(form: forms.Form, exc: ValidationError) -> None:
    """The service's errors on the form's fields they name (the others on the form)."""
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class AccountForm(ServiceModelForm):
    """Add or edit an account of ``workspace``."""

    opening_balance = MoneyField(label="Opening balance", required=False)
    currency = forms.ChoiceField(label="Currency", choices=[(code, code) for code in sorted(ISO_4217_CURRENCIES)])

    class Meta:
        model = Account
        fields = ["name", "kind", "currency", "opening_balance", "number", "is_default"]
        labels = {"number": "Number at the bank", "is_default": "Default account"}
        help_texts = {
            "number": "Optional: as its bank files name it (an OFX file's ACCTID), or its last four digits or more, "
                      "so that imports put its rows here.",
            "is_default": "Takes the transactions written or imported without an account.",
        }

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        if self.instance.pk is None:
            self.initial.setdefault("currency", workspace.currency)
        else:
            self.fields["currency"].help_text = "It stays once the account has transactions or transfers."
        self.fields["opening_balance"].help_text = (
            "What it held before its first transaction here, in its currency (negative for a card's debt), "
            "e.g. 1,234.50."
        )

    def clean_opening_balance(self) -> Any:
        value = self.cleaned_data.get("opening_balance")
        return value if value is not None else self.instance.opening_balance

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            account_validate(
                workspace=self.workspace, name=cleaned.get("name"), currency=cleaned.get("currency"),
                opening_balance=cleaned.get("opening_balance"), is_default=cleaned.get("is_default", False),
                is_archived=self.instance.is_archived, account=self.instance if self.instance.pk else None,
            )
        except ValidationError as exc:
            errors_add(self, exc)
        return cleaned

    def _post_clean(self) -> None:
        """The service checks the account (:meth:`clean`), as it does for the API."""

    def service_create(self, **fields: Any) -> models.Model:
        return account_create(workspace=self.workspace, **fields)

    def service_update(self, **fields: Any) -> models.Model:
        return account_update(account=self.instance, **fields)


class _AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Account) -> str:
        return f"{obj.name} ({obj.currency})"


class TransferForm(forms.Form):
    """Move money from one open account of ``workspace`` to another."""

    from_account = _AccountChoice(queryset=Account.objects.none(), label="From", empty_label="Choose an account")
    to_account = _AccountChoice(queryset=Account.objects.none(), label="To", empty_label="Choose an account")
    amount = MoneyField(label="Amount")
    date = forms.DateField(label="Date", widget=DateInput(), error_messages={"invalid": DATE_INVALID})
    description = forms.CharField(label="Note", required=False, max_length=255,
                                  help_text="Optional, e.g. “Card bill for March”.")

    def __init__(self, *args: Any, workspace: Workspace, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.user = user
        for name in ("from_account", "to_account"):
            field = self.fields[name]
            field.queryset = account_list(workspace=workspace, include_archived=False)
            field.error_messages["invalid_choice"] = ACCOUNT_OF_ANOTHER_WORKSPACE
        self.fields["amount"].help_text = "In the accounts' currency, greater than zero, e.g. 1,234.50."
        self.initial.setdefault("date", timezone.localdate())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            transfer_validate(
                workspace=self.workspace, from_account=cleaned.get("from_account"),
                to_account=cleaned.get("to_account"), amount=cleaned.get("amount"), date=cleaned.get("date"),
                description=cleaned.get("description"),
            )
        except ValidationError as exc:
            errors_add(self, exc)
        return cleaned

    def save(self) -> Transfer:
        return transfer_create(workspace=self.workspace, user=self.user, **self.cleaned_data)
