"""Writes of transactions: the API's create/update hooks and the CSV import."""

from __future__ import annotations

from typing import IO

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction as db_transaction

from finance.models import Category, Transaction, Workspace
from finance.services.csv_import import (
    IMPORT_BATCH_SIZE,
    Column,
    CsvImportError,
    ImportResult,
    RowError,
    csv_rows_parse,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_text,
)
from finance.signals import rows_imported


def _transaction_columns() -> list[Column]:
    return [
        Column("date", parse_date),
        Column("amount", parse_decimal),
        Column("kind", parse_choice(dict(Transaction.Kind.choices)), required=False, aliases=("type",)),
        Column("description", parse_text(255), required=False, default=""),
        Column("merchant", parse_text(120), required=False, default=""),
        Column("account", parse_text(60), required=False, default=""),
        Column("category", parse_text(80), required=False, default=""),
        Column("currency", parse_text(3), required=False, default=""),
        Column("status", parse_choice(dict(Transaction.Status.choices)), required=False),
    ]


@db_transaction.atomic
def transaction_import_csv(
    *, workspace: Workspace, file: IO[bytes] | IO[str], user: AbstractBaseUser | None = None
) -> ImportResult:
    """Import every row of a transactions CSV into ``workspace``, or none of them.

    Columns: ``date`` (YYYY-MM-DD) and ``amount`` are required. ``kind`` (revenue or
    expense) is optional: without it a negative amount is an expense and a positive one
    revenue. ``description``, ``merchant``, ``account``, ``category`` (a category name of
    this workspace), ``currency`` and ``status`` are optional.
    """
    rows = csv_rows_parse(file, columns=_transaction_columns())
    categories = {c.name.lower(): c for c in Category.objects.filter(workspace=workspace)}
    errors: list[RowError] = []
    objects: list[Transaction] = []
    for row in rows:
        amount = row["amount"]
        kind = row["kind"]
        if amount == 0:
            errors.append(RowError(row["_row"], "amount", "must not be zero"))
            continue
        if kind is None:
            kind = Transaction.Kind.EXPENSE if amount < 0 else Transaction.Kind.REVENUE
        elif amount < 0:
            errors.append(
                RowError(row["_row"], "amount", f"must be positive when kind is given, got {amount}")
            )
            continue
        category = None
        if row["category"]:
            category = categories.get(row["category"].lower())
            if category is None:
                errors.append(
                    RowError(row["_row"], "category", f"'{row['category']}' is not a category of this workspace")
                )
                continue
        objects.append(
            Transaction(
                workspace=workspace,
                kind=kind,
                amount=abs(amount),
                currency=(row["currency"] or workspace.currency).upper(),
                date=row["date"],
                description=row["description"],
                merchant=row["merchant"],
                account=row["account"],
                category=category,
                category_source=Transaction.CategorySource.USER if category else "",
                status=row["status"] or Transaction.Status.APPROVED,
                source=Transaction.Source.IMPORT,
                created_by=user,
            )
        )
    if errors:
        raise CsvImportError(errors)
    Transaction.objects.bulk_create(objects, batch_size=IMPORT_BATCH_SIZE)
    rows_imported.send(sender=Transaction, workspace=workspace, rows=objects)
    return ImportResult(created=len(objects))
