"""Import of transactions from a file: CSV (named columns, or any CSV with a column
mapping), OFX or QIF; all rows or none, rows imported before skipped and reported.

Every row is read and checked first (:mod:`finance.services.import_bank_files`,
:mod:`finance.services.import_mapping`), then built and validated as a single create
builds it (:mod:`finance.services.transactions`); one problem anywhere and nothing is
written. The rows that repeat rows imported before (:mod:`finance.services.import_duplicates`)
are left out and reported; the others are written with one ``bulk_create`` and one
``rows_imported`` signal. A dry run does all of it but the write, and shows the first
rows as they would be stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction

from finance.accounts.selectors import account_list
from finance.accounts.services import account_default_get
from finance.models import Account, Category, Transaction, Workspace
from finance.selectors import category_rule_list
from finance.services.csv_import import (
    IMPORT_BATCH_SIZE,
    Column,
    ImportResult,
    Problems,
    parse_choice,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_text,
)
from finance.services.import_bank_files import import_file_read
from finance.services.import_duplicates import import_duplicates_find
from finance.services.transactions import _imported_flag, _transaction_build, transaction_validate
from finance.signals import rows_imported

PREVIEW_ROWS = 20
MAX_REPORTED_DUPLICATES = 50


def transaction_columns() -> list[Column]:
    """The named columns of a transactions CSV without a mapping."""
    return [
        Column("date", parse_date),
        Column("amount", parse_decimal),
        Column("kind", parse_choice(dict(Transaction.Kind.choices)), required=False, aliases=("type",)),
        Column("description", parse_text(255), required=False, default=""),
        Column("merchant", parse_text(120), required=False, default=""),
        Column("account", parse_text(60), required=False, default=""),
        Column("category", parse_text(80), required=False, default=""),
        Column("currency", parse_currency, required=False, default=""),
        Column("status", parse_choice(dict(Transaction.Status.choices)), required=False),
    ]


def _category_of_hint(categories: dict[str, Category], hint: str, kind: str) -> Category | None:
    """A bank file's category ("Food:Groceries"): the workspace's category of that name,
    else of its last part, else of its first, of the row's kind; none is no error."""
    parts = hint.split(":")
    for name in (hint, parts[-1], parts[0]):
        category = categories.get(name.strip().lower())
        if category is not None and category.kind == kind:
            return category
    return None


MIN_NUMBER_SUFFIX = 4  # an account's number of at least this many characters finds the ids ending with it


def _account_matcher(*, workspace: Workspace) -> Callable[[str], Account | None]:
    """Which open account of the workspace a file's account (an OFX ACCTID, a QIF or CSV
    account name) is: the one whose bank number it is or ends with (numbers of at least
    four characters: the last digits of a card do), else the one of that name (case aside)."""
    accounts = list(account_list(workspace=workspace, include_archived=False))
    numbers = [(a.number.strip().casefold(), a) for a in accounts if a.number.strip()]
    names = {a.name.casefold(): a for a in accounts}

    def match(text: str) -> Account | None:
        key = text.strip().casefold()
        if not key:
            return None
        for number, account in numbers:
            if key == number or (len(number) >= MIN_NUMBER_SUFFIX and key.endswith(number)):
                return account
        return names.get(key)

    return match


def _row_build(
    row: dict[str, Any], *, workspace: Workspace, user: AbstractBaseUser | None,
    categories: dict[str, Category], rules: list, problems: Problems,
    accounts: Callable[[str], Account | None], account: Account,
) -> Transaction | None:
    """The unsaved transaction of one read row, or None with its problems recorded."""
    line, amount, kind = row["_row"], row.get("amount"), row.get("kind")
    if row.get("date") is None or amount is None:
        return None  # the reader has reported why
    if amount == 0:
        problems.add(line, "amount", "must not be zero")
        return None
    if kind is None:
        kind = Transaction.Kind.EXPENSE if amount < 0 else Transaction.Kind.REVENUE
    elif amount < 0:
        problems.add(line, "amount", f"must be positive when kind is given, got {amount}")
        return None
    amount = abs(amount)
    category = None
    if row.get("category"):
        category = categories.get(row["category"].lower())
        if category is None:
            problems.add(line, "category", f"'{row['category']}' is not a category of this workspace")
            return None
    elif row.get("category_hint"):
        category = _category_of_hint(categories, row["category_hint"], kind)
    try:
        transaction_validate(workspace=workspace, kind=kind, amount=amount, category=category)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                problems.add(line, name, message)
        return None
    transaction = _transaction_build(
        workspace=workspace, user=user, source=Transaction.Source.IMPORT, kind=kind, amount=amount,
        date=row["date"], category=category, currency=row.get("currency") or "",
        description=row.get("description") or "", merchant=row.get("merchant") or "",
        account=accounts(row.get("bank_account") or row.get("account") or "") or account,
        account_label=row.get("account") or "", status=row.get("status") or Transaction.Status.APPROVED, rules=rules,
    )
    transaction.import_key = row.get("import_key") or ""
    return transaction


def _row_summary(line: int, transaction: Transaction) -> dict[str, Any]:
    return {
        "row": line, "date": transaction.date.isoformat(), "kind": transaction.kind,
        "amount": str(transaction.amount), "currency": transaction.currency,
        "description": transaction.description, "merchant": transaction.merchant,
        "category": transaction.category.name if transaction.category else "", "account": transaction.account.name,
    }


def _preview(rows: list[dict[str, Any]], built: dict[int, Transaction], duplicates: set[int],
             problems: Problems) -> list[dict[str, Any]]:
    """The first rows of the file as they would be stored, each with its problems."""
    preview = []
    for row in rows[:PREVIEW_ROWS]:
        line = row["_row"]
        transaction = built.get(line)
        entry = _row_summary(line, transaction) if transaction is not None else {
            "row": line, "date": row["date"].isoformat() if row.get("date") else None,
            "amount": str(row["amount"]) if row.get("amount") is not None else None,
        }
        entry["duplicate"] = line in duplicates
        entry["errors"] = [e.as_dict() for e in problems.errors if (e.row if e.record is None else e.record) == line]
        preview.append(entry)
    return preview


@db_transaction.atomic
def transaction_import(
    *, workspace: Workspace, file: IO[bytes] | IO[str], user: AbstractBaseUser | None = None,
    file_format: str = "csv", mapping: dict[str, Any] | None = None, dry_run: bool = False,
    account: Account | None = None,
) -> ImportResult:
    """Import every new row of ``file`` (``file_format`` csv, ofx or qif; ``mapping`` for
    a CSV's columns or a QIF's conventions) into ``workspace``, or none of them.

    Raises :class:`~finance.services.import_mapping.ImportMappingError` for a mapping or
    format that cannot be used and :class:`~finance.services.csv_import.CsvImportError`
    (nothing written) for a file with any problem, each named with its row and column.
    A ``dry_run`` raises only for an unreadable file: it returns the problems, the
    duplicates and the first rows, and writes nothing. Without a category, a row gets its
    category rule's, as a single create does. A row goes to the open account of the
    workspace that its file names (an OFX ACCTID, a QIF account, a CSV ``account`` column:
    :func:`_account_matcher`), else to ``account`` (an open account of ``workspace``,
    checked by the caller), else to the workspace's default account; the file's name for
    it stays in ``account_label`` (an OFX id as its last four characters).
    """
    rows, problems = import_file_read(file, file_format=file_format, mapping=mapping, columns=transaction_columns())
    categories = {c.name.lower(): c for c in Category.objects.filter(workspace=workspace)}
    rules = list(category_rule_list(workspace=workspace, active_only=True))
    accounts = _account_matcher(workspace=workspace)
    account = account if account is not None else account_default_get(workspace=workspace)
    built: dict[int, Transaction] = {}
    for row in rows:
        if row["_row"] in problems.rows:
            continue
        transaction = _row_build(
            row, workspace=workspace, user=user, categories=categories, rules=rules, problems=problems,
            accounts=accounts, account=account,
        )
        if transaction is not None:
            built[row["_row"]] = transaction
    if problems.total and not dry_run:
        problems.raise_if_any()
    lines, objects = list(built), list(built.values())
    verdicts = import_duplicates_find(workspace=workspace, rows=objects)
    duplicates = [line for line, duplicate in zip(lines, verdicts, strict=True) if duplicate]
    new = [transaction for transaction, duplicate in zip(objects, verdicts, strict=True) if not duplicate]
    reported = [_row_summary(line, built[line]) for line in duplicates[:MAX_REPORTED_DUPLICATES]]
    if dry_run:
        return ImportResult(
            created=0, duplicates=len(duplicates), duplicate_rows=reported, dry_run=True,
            would_create=0 if problems.total else len(new), errors=problems.errors, total_errors=problems.total,
            rows=_preview(rows, built, set(duplicates), problems),
        )
    _imported_flag(workspace=workspace, rows=new)
    Transaction.objects.bulk_create(new, batch_size=IMPORT_BATCH_SIZE)
    if new:
        rows_imported.send(sender=Transaction, workspace=workspace, rows=new)
    return ImportResult(created=len(new), duplicates=len(duplicates), duplicate_rows=reported)


def transaction_import_csv(
    *, workspace: Workspace, file: IO[bytes] | IO[str], user: AbstractBaseUser | None = None
) -> ImportResult:
    """A transactions CSV with named columns: ``date`` (YYYY-MM-DD) and ``amount`` are
    required. ``kind`` (revenue or expense) is optional: without it a negative amount is
    an expense and a positive one revenue. ``description``, ``merchant``, ``account``,
    ``category`` (a category name of this workspace, of the row's kind), ``currency`` and
    ``status`` are optional. See :func:`transaction_import`."""
    return transaction_import(workspace=workspace, file=file, user=user)

