"""Admin of accounts and transfers (imported by :mod:`finance.admin`): written through
:mod:`finance.accounts.services`, as the Accounts page and the API write them, so staff
get the same rules and messages (one default account per workspace, a used account is
archived rather than deleted, a transfer between two open accounts of one currency)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from finance.accounts.models import Account, Transfer
from finance.accounts.services import (
    account_create,
    account_delete,
    account_update,
    account_validate,
    transfer_create,
    transfer_delete,
    transfer_validate,
)
from finance.admin import WorkspaceScopedAdmin
from finance.forms import MoneyField

ACCOUNT_FIELDS = ["name", "kind", "currency", "opening_balance", "number", "is_default", "is_archived"]
TRANSFER_FIELDS = ["from_account", "to_account", "amount", "date", "description"]


class AccountAdminForm(forms.ModelForm):
    opening_balance = MoneyField(label="Opening balance", required=False)

    class Meta:
        model = Account
        fields = ["workspace", *ACCOUNT_FIELDS]
        help_texts = {"currency": "An ISO 4217 code; empty: the workspace's currency."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            self.fields["currency"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        workspace = self.instance.workspace if self.instance.pk is not None else cleaned.get("workspace")
        if workspace is None:
            return cleaned  # the workspace field has said why
        try:
            account_validate(
                workspace=workspace, name=cleaned.get("name"), currency=cleaned.get("currency"),
                opening_balance=cleaned.get("opening_balance"), is_default=cleaned.get("is_default", False),
                is_archived=cleaned.get("is_archived", False), account=self.instance if self.instance.pk else None,
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def _post_clean(self) -> None:
        """The service checks the account (:meth:`clean`) and the admin writes through it."""


@admin.register(Account)
class AccountAdmin(WorkspaceScopedAdmin):
    """Accounts, written through :mod:`finance.accounts.services`."""

    form = AccountAdminForm
    list_display = ["name", "kind", "currency", "opening_balance", "is_default", "is_archived", "workspace",
                    "created_at"]
    list_filter = ["kind", "is_default", "is_archived", "currency", "workspace"]
    search_fields = ["name", "number", "workspace__name"]
    list_select_related = ["workspace"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Account | None = None) -> list[str]:
        return ["workspace", "created_at"] if obj is not None else ["created_at"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, through the service's checks
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or not obj.is_default)

    def save_model(self, request: HttpRequest, obj: Account, form: forms.Form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in ACCOUNT_FIELDS if name in form.cleaned_data}
        fields["currency"] = fields.get("currency") or ""
        if fields.get("opening_balance") is None:
            fields.pop("opening_balance", None)
        if change:
            saved = account_update(account=obj, **fields)
        else:
            saved = account_create(workspace=form.cleaned_data["workspace"], **fields)
        for field in Account._meta.concrete_fields:  # the admin logs and links the object it passed in
            setattr(obj, field.attname, getattr(saved, field.attname))

    def delete_model(self, request: HttpRequest, obj: Account) -> None:
        account_delete(account=obj)


class TransferAdminForm(forms.ModelForm):
    amount = MoneyField(label="Amount")

    class Meta:
        model = Transfer
        fields = ["workspace", *TRANSFER_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        workspace = cleaned.get("workspace")
        if workspace is None:
            return cleaned
        try:
            transfer_validate(
                workspace=workspace, from_account=cleaned.get("from_account"), to_account=cleaned.get("to_account"),
                amount=cleaned.get("amount"), date=cleaned.get("date"), description=cleaned.get("description"),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def _post_clean(self) -> None:
        """The service checks the transfer (:meth:`clean`) and the admin writes through it."""


@admin.register(Transfer)
class TransferAdmin(WorkspaceScopedAdmin):
    """Transfers between accounts: added and deleted through :mod:`finance.accounts.services`;
    a transfer is not changed (delete it and make another)."""

    form = TransferAdminForm
    list_display = ["date", "amount", "from_account", "to_account", "description", "workspace", "created_by"]
    list_filter = ["workspace", "from_account", "to_account"]
    search_fields = ["description", "from_account__name", "to_account__name"]
    list_select_related = ["from_account", "to_account", "workspace", "created_by"]
    date_hierarchy = "date"

    def has_change_permission(self, request: HttpRequest, obj: Transfer | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Transfer, form: forms.Form, change: bool) -> None:
        saved = transfer_create(workspace=form.cleaned_data["workspace"], user=request.user,
                                **{name: form.cleaned_data[name] for name in TRANSFER_FIELDS})
        for field in Transfer._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))

    def delete_model(self, request: HttpRequest, obj: Transfer) -> None:
        transfer_delete(transfer=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for transfer in queryset:
            transfer_delete(transfer=transfer)
