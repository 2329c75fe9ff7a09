"""Writes of transactions: one place for the rules of writing a row.

Every writer of the books — the page form, the API and the file import
(:mod:`finance.services.transaction_import`) — checks a row with
:func:`transaction_validate` and builds it the same way (the currency default, who
and what wrote it, where its category came from). Single rows are written by
:func:`transaction_create` and :func:`transaction_update` with ``save()``, so
``post_save`` fires (forecasting counts and scores new rows); the import builds the same
rows and writes them with one ``bulk_create``.

An amount far outside the workspace's usual range (:func:`config.limits.amount_review_ceiling`)
is written but marked ``needs_confirmation``: the training series leave it out until a
member confirms it with :func:`transaction_confirm`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.utils import timezone

from config.limits import (
    amount_review_ceiling_among,
    amount_validate,
    currency_normalise,
    date_validate,
)
from finance.accounts.services import account_default_get, account_usable_check
from finance.models import Account, Category, CategoryRule, Transaction, Workspace
from finance.rules import category_rule_for
from finance.selectors import (
    category_rule_list,
    transaction_amount_ceiling,
    transaction_amounts_sorted,
)
from finance.signals import CREATE, DELETE, UPDATE, amounts_confirmed, books_changed, changed_fields

AMOUNT_NOT_POSITIVE = "Amount must be greater than zero."
CATEGORY_OF_ANOTHER_WORKSPACE = "Choose a category of this workspace."
KIND_INVALID = "Select a valid choice. %(value)s is not one of the available choices."
KIND_MISMATCH = "“%(name)s” is %(article)s %(category_kind)s category; this transaction is %(kind)s."

#: What a caller may change. The workspace never changes; the source, the creator, the
#: category's source and the ML scores are set by the services, not by callers.
UPDATABLE_FIELDS = frozenset(
    {"kind", "amount", "currency", "date", "description", "merchant", "account", "category", "status"}
)
_KINDS = frozenset(Transaction.Kind.values)  # Kind.values builds a list per access; the import checks every row


class NothingToConfirm(Exception):
    """The transaction's amount does not await a confirmation."""

    message = "This transaction's amount does not need a confirmation."


def transaction_amount_validate(*, amount: Decimal) -> None:
    """The amount rule on its own, for callers that validate field by field (the API
    reports it together with the other fields' errors): greater than zero and at most
    ``INPUT_AMOUNT_MAX``."""
    if amount <= 0:
        raise ValidationError(AMOUNT_NOT_POSITIVE, code="not_positive")
    amount_validate(amount)


def _field_check(errors: dict[str, list[ValidationError]], name: str, check: Any, value: Any) -> None:
    if value in (None, ""):
        return
    try:
        check(value)
    except ValidationError as exc:
        errors[name] = exc.error_list


def transaction_validate(
    *, workspace: Workspace, kind: str | None, amount: Decimal | None, category: Category | None,
    date: dt.date | None = None, currency: str | None = None, account: Account | None = None,
) -> None:
    """Check the rules every written transaction keeps, or raise ``ValidationError``
    keyed by field: the amount is greater than zero and within ``INPUT_AMOUNT_MAX``, the
    kind is revenue or expense, the category (optional) belongs to ``workspace`` and has
    the transaction's kind, the date (when given) is within ``INPUT_DATE_MIN`` …
    ``INPUT_DATE_MAX``, the currency (when given) an ISO 4217 code and the account (when
    given) an open account of ``workspace``.

    A ``None`` kind or amount is skipped: the caller's own field validation has already
    refused it (a form reports a missing amount as required, not as zero).
    """
    errors: dict[str, list[ValidationError]] = {}
    _field_check(errors, "amount", lambda value: transaction_amount_validate(amount=value), amount)
    _field_check(errors, "date", date_validate, date)
    _field_check(errors, "currency", currency_normalise, currency)
    _field_check(errors, "account", lambda value: account_usable_check(workspace=workspace, account=value), account)
    if kind is not None and kind not in _KINDS:
        errors["kind"] = [ValidationError(KIND_INVALID, code="invalid_choice", params={"value": kind})]
    if category is not None:
        if category.workspace_id != workspace.pk:
            errors["category"] = [ValidationError(CATEGORY_OF_ANOTHER_WORKSPACE, code="other_workspace")]
        elif kind in _KINDS and category.kind != kind:
            errors["category"] = [
                ValidationError(
                    KIND_MISMATCH,
                    code="kind_mismatch",
                    params={
                        "name": category.name,
                        "article": "an" if category.kind == Category.Kind.EXPENSE else "a",
                        "category_kind": category.get_kind_display().lower(),
                        "kind": Transaction.Kind(kind).label.lower(),
                    },
                )
            ]
    if errors:
        raise ValidationError(errors)


def _transaction_build(
    *,
    workspace: Workspace,
    user: AbstractBaseUser | None,
    source: str,
    kind: str,
    amount: Decimal,
    date: dt.date,
    category: Category | None,
    currency: str,
    description: str,
    merchant: str,
    account: Account,
    status: str,
    rules: Sequence[CategoryRule] = (),
    account_label: str = "",
) -> Transaction:
    """A new, unsaved row, normalised: the workspace's currency unless one is given, the
    writer and the channel it came through, and a category chosen by a person — or,
    without one, by the first of the workspace's active ``rules`` that applies (before
    any model sees the row; the categoriser never replaces a rule's category)."""
    source_of_category = Transaction.CategorySource.USER if category is not None else Transaction.CategorySource.NONE
    if category is None and rules:
        rule = category_rule_for(rules=rules, kind=kind, amount=amount, description=description, merchant=merchant)
        if rule is not None:
            category, source_of_category = rule.category, Transaction.CategorySource.RULE
    return Transaction(
        workspace=workspace,
        kind=kind,
        amount=amount,
        currency=currency_normalise(currency) if currency else workspace.currency,
        date=date,
        description=description,
        merchant=merchant,
        account=account,
        account_label=account_label,
        category=category,
        category_source=source_of_category,
        status=status,
        source=source,
        created_by=user,
    )


@db_transaction.atomic
def transaction_create(
    *,
    workspace: Workspace,
    user: AbstractBaseUser | None,
    kind: str,
    amount: Decimal,
    date: dt.date,
    category: Category | None = None,
    currency: str = "",
    description: str = "",
    merchant: str = "",
    account: Account | None = None,
    status: str = Transaction.Status.APPROVED,
    source: str = Transaction.Source.MANUAL,
) -> Transaction:
    """Add one transaction to ``workspace``, written by ``user`` through ``source``.

    Without ``currency`` the row is in the workspace's currency, without ``account`` in
    the workspace's default account. A given category is the
    user's choice (``category_source`` "user"); without one, the workspace's first active
    rule that applies sets it (``category_source`` "rule"). Raises ``ValidationError`` (keyed by
    field, nothing written) when :func:`transaction_validate` refuses the row.
    """
    transaction_validate(
        workspace=workspace, kind=kind, amount=amount, category=category, date=date, currency=currency,
        account=account,
    )
    account = account if account is not None else account_default_get(workspace=workspace)
    transaction = _transaction_build(
        workspace=workspace, user=user, source=source, kind=kind, amount=amount, date=date,
        category=category, currency=currency, description=description, merchant=merchant,
        account=account, status=status,
        rules=list(category_rule_list(workspace=workspace, active_only=True)) if category is None else (),
    )
    transaction.needs_confirmation = _needs_confirmation(workspace=workspace, kind=kind, amount=amount)
    transaction.save()  # save(), not bulk_create: post_save must fire for a single row
    books_changed.send(sender=Transaction, instance=transaction, action=CREATE, fields=[])
    return transaction


@db_transaction.atomic
def transaction_update(
    *, transaction: Transaction, user: AbstractBaseUser | None, **fields: Any
) -> Transaction:
    """Change ``fields`` (names in :data:`UPDATABLE_FIELDS`) of ``transaction``; returns
    the saved row.

    The row is read again under a lock and only ``fields`` are applied to it, so what was
    written meanwhile (the ML scores, a suggested category) is kept, and whether the
    category changed is decided against the stored row (a ``ModelForm`` has already put
    the submitted values on its instance). A changed category — chosen or cleared by a
    person — is no longer a suggestion: its source becomes "user" (or none) and its
    confidence is dropped. ``user`` is who made the change (rows record only their
    creator today). Raises ``ValidationError`` (keyed by field, nothing written) when
    :func:`transaction_validate` refuses the result, ``TypeError`` for a field that
    cannot be changed.
    """
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"transaction_update() cannot set {', '.join(sorted(unknown))}")
    row = (
        Transaction.objects.select_for_update(of=("self",))
        .select_related("workspace", "category")
        .get(pk=transaction.pk)
    )
    category = fields.get("category", row.category)
    if "account" in fields and fields["account"] is None:  # no choice: the default account
        fields["account"] = account_default_get(workspace=row.workspace)
    moved = fields["account"] if "account" in fields and fields["account"].pk != row.account_id else None
    transaction_validate(
        workspace=row.workspace, kind=fields.get("kind", row.kind), amount=fields.get("amount", row.amount),
        category=category, date=fields.get("date"), currency=fields.get("currency"), account=moved,
    )
    amount_changed = fields.get("amount", row.amount) != row.amount or fields.get("kind", row.kind) != row.kind
    if "category" in fields and (category.pk if category is not None else None) != row.category_id:
        row.category_source = (
            Transaction.CategorySource.USER if category is not None else Transaction.CategorySource.NONE
        )
        row.category_confidence = None
    if "currency" in fields:
        fields["currency"] = currency_normalise(fields["currency"]) if fields["currency"] else row.workspace.currency
    changed = changed_fields(row, fields)
    for name, value in fields.items():
        setattr(row, name, value)
    if amount_changed:  # a confirmation was of the old amount
        row.needs_confirmation = _needs_confirmation(
            workspace=row.workspace, kind=row.kind, amount=row.amount, exclude_id=row.pk
        )
        row.confirmed_by, row.confirmed_at = None, None
    row.save()
    books_changed.send(sender=Transaction, instance=row, action=UPDATE, fields=changed)
    return row


@db_transaction.atomic
def transaction_delete(*, transaction: Transaction) -> None:
    """Delete ``transaction`` (the page's and the API's delete)."""
    books_changed.send(sender=Transaction, instance=transaction, action=DELETE, fields=[])
    transaction.delete()


def _needs_confirmation(*, workspace: Workspace, kind: str, amount: Decimal, exclude_id: int | None = None) -> bool:
    """Whether ``amount`` is beyond what ``workspace`` usually books as ``kind``. Nothing
    up to ``INPUT_AMOUNT_REVIEW_ABOVE`` is, so the common case reads nothing."""
    if amount <= settings.INPUT_AMOUNT_REVIEW_ABOVE:
        return False
    return amount > transaction_amount_ceiling(workspace=workspace, kind=kind, exclude_id=exclude_id)


def _imported_flag(*, workspace: Workspace, rows: list[Transaction]) -> None:
    """Mark the imported rows whose amounts need a confirmation, each judged against every
    other amount of its kind: the workspace's and the file's."""
    cap = settings.INPUT_AMOUNT_REVIEW_ABOVE
    for kind in {row.kind for row in rows if row.amount > cap}:
        of_kind = [row for row in rows if row.kind == kind]
        amounts = sorted([*transaction_amounts_sorted(workspace=workspace, kind=kind), *(r.amount for r in of_kind)])
        for row in of_kind:
            if row.amount > cap:
                row.needs_confirmation = row.amount > amount_review_ceiling_among(amounts_sorted=amounts, amount=row.amount)


@db_transaction.atomic
def transaction_confirm(*, transaction: Transaction, user: AbstractBaseUser | None) -> Transaction:
    """A member confirms that the amount of ``transaction``, marked ``needs_confirmation``,
    is right: from now on it counts for training. Raises :class:`NothingToConfirm` (nothing
    written) when the amount awaits no confirmation."""
    row = Transaction.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=transaction.pk)
    if not row.needs_confirmation:
        raise NothingToConfirm(NothingToConfirm.message)
    row.needs_confirmation = False
    row.confirmed_by, row.confirmed_at = user, timezone.now()
    row.save(update_fields=["needs_confirmation", "confirmed_by", "confirmed_at", "updated_at"])
    amounts_confirmed.send(sender=Transaction, workspace=row.workspace, rows=[row])
    return row
