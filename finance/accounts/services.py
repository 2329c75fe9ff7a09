"""Writes of accounts and transfers, each atomic and keyword-only.

One place for the rules: the Accounts page, the API and the admin call these, so they
give the same messages. An account's name is unique in its workspace (whatever the case);
a workspace keeps exactly one default account, which cannot be archived or deleted; an
account with transactions or transfers is archived, not deleted, and keeps its currency.
A transfer moves a positive amount between two different open accounts of one workspace
and one currency, on a day within the input limits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction

from config.limits import amount_validate, currency_normalise, date_validate, text_validate
from finance.accounts.models import Account, Transfer
from finance.models import Workspace

NAME_REQUIRED = "Give the account a name."
NAME_TAKEN = "This workspace already has an account called “%(name)s”."
DEFAULT_NOT_ARCHIVED = "The default account cannot be archived; make another account the default first."
DEFAULT_STAYS = "A workspace always has a default account: make another account the default instead."
CURRENCY_IN_USE = "The account has transactions or transfers: its currency cannot change."
ACCOUNT_OF_ANOTHER_WORKSPACE = "Choose an account of this workspace."
ACCOUNT_ARCHIVED = "“%(name)s” is archived; choose an open account."
SAME_ACCOUNT = "Choose two different accounts."
CURRENCIES_DIFFER = "“%(from)s” is in %(from_currency)s and “%(to)s” in %(to_currency)s: transfer between accounts of one currency."
AMOUNT_NOT_POSITIVE = "Amount must be greater than zero."

#: What a caller may change of an account; the workspace never changes.
UPDATABLE_FIELDS = frozenset({"name", "kind", "currency", "opening_balance", "number", "is_default", "is_archived"})


class AccountInUse(Exception):
    """The account cannot be deleted (the default one, or one with transactions or transfers)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def account_default_get(*, workspace: Workspace) -> Account:
    """The workspace's default account (created if it has none yet)."""
    return Account.objects.default_for(workspace=workspace)


def account_usable_check(*, workspace: Workspace, account: Account) -> None:
    """Raise ``ValidationError`` unless ``account`` belongs to ``workspace`` and is open:
    the rule for the account of a new transaction or transfer."""
    if account.workspace_id != workspace.pk:
        raise ValidationError(ACCOUNT_OF_ANOTHER_WORKSPACE, code="other_workspace")
    if account.is_archived:
        raise ValidationError(ACCOUNT_ARCHIVED, code="archived", params={"name": account.name})


def _checker(errors: dict[str, list[ValidationError]]) -> Callable[[str, Callable[[], Any]], None]:
    """``check(field, test)``: run ``test``; what it raises goes into ``errors`` under ``field``."""

    def check(field: str, test: Callable[[], Any]) -> None:
        try:
            test()
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.error_list)

    return check


def _has_rows(account: Account) -> bool:
    return (
        account.transactions.exists() or Transfer.objects.filter(from_account=account).exists()
        or Transfer.objects.filter(to_account=account).exists()
    )


def account_validate(
    *, workspace: Workspace, name: str | None, currency: str | None = None, opening_balance: Decimal | None = None,
    is_default: bool = False, is_archived: bool = False, account: Account | None = None,
) -> None:
    """Check an account as it would be written (``account``: the stored one being changed),
    or raise ``ValidationError`` keyed by field."""
    errors: dict[str, list[ValidationError]] = {}
    check = _checker(errors)

    name = (name or "").strip()
    if not name:
        errors["name"] = [ValidationError(NAME_REQUIRED, code="required")]
    else:
        check("name", lambda: text_validate(name))
        taken = Account.objects.filter(workspace=workspace, name__iexact=name)
        if account is not None:
            taken = taken.exclude(pk=account.pk)
        if "name" not in errors and taken.exists():
            errors["name"] = [ValidationError(NAME_TAKEN, code="unique", params={"name": name})]
    if currency:
        check("currency", lambda: currency_normalise(currency))
        if "currency" not in errors and account is not None and currency_normalise(currency) != account.currency \
                and _has_rows(account):
            errors["currency"] = [ValidationError(CURRENCY_IN_USE, code="in_use")]
    if opening_balance is not None:
        check("opening_balance", lambda: amount_validate(opening_balance))
    if is_default and is_archived:
        errors["is_archived"] = [ValidationError(DEFAULT_NOT_ARCHIVED, code="default")]
    elif account is not None and account.is_default and not is_default:
        errors["is_default"] = [ValidationError(DEFAULT_STAYS, code="default")]
    if errors:
        raise ValidationError(errors)


def _default_take(*, account: Account) -> None:
    """Make ``account`` (saved next) the only default of its workspace."""
    Account.objects.select_for_update().filter(workspace_id=account.workspace_id, is_default=True).exclude(
        pk=account.pk
    ).update(is_default=False)


@db_transaction.atomic
def account_create(
    *, workspace: Workspace, name: str, kind: str = Account.Kind.BANK, currency: str = "",
    opening_balance: Decimal = Decimal("0.00"), number: str = "", is_default: bool = False,
    is_archived: bool = False,
) -> Account:
    """Add an account to ``workspace`` (in its currency unless ``currency`` is given);
    ``is_default`` makes it the workspace's default account in place of the one before.
    Raises ``ValidationError`` (keyed by field, nothing written)."""
    account_validate(workspace=workspace, name=name, currency=currency, opening_balance=opening_balance,
                     is_default=is_default, is_archived=is_archived)
    account = Account(
        workspace=workspace, name=name.strip(), kind=kind,
        currency=currency_normalise(currency) if currency else workspace.currency,
        opening_balance=opening_balance, number=number.strip(), is_default=is_default, is_archived=is_archived,
    )
    if is_default:
        _default_take(account=account)
    account.save()
    return account


@db_transaction.atomic
def account_update(*, account: Account, **fields: Any) -> Account:
    """Change ``fields`` (names in :data:`UPDATABLE_FIELDS`) of ``account``; raises
    ``ValidationError`` (keyed by field, nothing written), ``TypeError`` for a field that
    cannot be changed. Making it the default takes that role from the workspace's other
    account; the default cannot give it up, nor be archived."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"account_update() cannot set {', '.join(sorted(unknown))}")
    row = Account.objects.select_for_update().select_related("workspace").get(pk=account.pk)
    was_default = row.is_default  # the stored row's: a model form has set its values on ``account``

    def value(name: str) -> Any:
        return fields.get(name, getattr(row, name))

    account_validate(
        workspace=row.workspace, name=value("name"), currency=value("currency"),
        opening_balance=value("opening_balance"), is_default=value("is_default"),
        is_archived=value("is_archived"), account=row,
    )
    for name, new in fields.items():
        if name in ("name", "number"):
            new = new.strip()
        elif name == "currency":
            new = currency_normalise(new) if new else row.currency
        setattr(row, name, new)
    if row.is_default and not was_default:
        _default_take(account=row)
    row.save()
    return row


@db_transaction.atomic
def account_delete(*, account: Account) -> None:
    """Delete an account nobody used: not the default, without transactions or transfers
    (archive those instead). Raises :class:`AccountInUse`, nothing deleted, otherwise."""
    row = Account.objects.select_for_update().get(pk=account.pk)
    if row.is_default:
        raise AccountInUse("The default account cannot be deleted.")
    if _has_rows(row):
        raise AccountInUse("The account has transactions or transfers: archive it instead, its history stays.")
    row.delete()


# --- transfers ------------------------------------------------------------------------------


def transfer_validate(
    *, workspace: Workspace, from_account: Account | None, to_account: Account | None, amount: Decimal | None,
    date: dt.date | None, description: str | None = None,
) -> None:
    """Check a transfer, or raise ``ValidationError`` keyed by field. ``None`` values are
    skipped: the caller's own field validation has reported them."""
    errors: dict[str, list[ValidationError]] = {}
    check = _checker(errors)

    for field, account in (("from_account", from_account), ("to_account", to_account)):
        if account is not None:
            check(field, lambda account=account: account_usable_check(workspace=workspace, account=account))
    if amount is not None:
        if amount <= 0:
            errors["amount"] = [ValidationError(AMOUNT_NOT_POSITIVE, code="not_positive")]
        else:
            check("amount", lambda: amount_validate(amount))
    if date is not None:
        check("date", lambda: date_validate(date))
    if description:
        check("description", lambda: text_validate(description))
    if from_account is not None and to_account is not None and not errors.keys() & {"from_account", "to_account"}:
        if from_account.pk == to_account.pk:
            errors["to_account"] = [ValidationError(SAME_ACCOUNT, code="same_account")]
        elif from_account.currency != to_account.currency:
            errors["to_account"] = [ValidationError(CURRENCIES_DIFFER, code="currency", params={
                "from": from_account.name, "from_currency": from_account.currency,
                "to": to_account.name, "to_currency": to_account.currency,
            })]
    if errors:
        raise ValidationError(errors)


@db_transaction.atomic
def transfer_create(
    *, workspace: Workspace, user: AbstractBaseUser | None, from_account: Account, to_account: Account,
    amount: Decimal, date: dt.date, description: str = "",
) -> Transfer:
    """Move ``amount`` from one account of ``workspace`` to another on ``date``; neither
    revenue nor expense. Raises ``ValidationError`` (keyed by field, nothing written)."""
    transfer_validate(workspace=workspace, from_account=from_account, to_account=to_account, amount=amount, date=date,
                      description=description)
    transfer = Transfer(
        workspace=workspace, from_account=from_account, to_account=to_account, amount=amount, date=date,
        description=description.strip(), created_by=user if user is not None and user.is_authenticated else None,
    )
    transfer.save()
    return transfer


@db_transaction.atomic
def transfer_delete(*, transfer: Transfer) -> None:
    """Undo a transfer: both balances go back."""
    transfer.delete()
