"""Which rows of an import were imported before: one rule for every file format.

A row of the file is a duplicate when

1. it carries a bank id (an OFX FITID, with its bank and account: ``import_key``) that a
   row imported before into the workspace carries, or an earlier row of the same file; or
2. it is the same as a row imported before (source ``import`` or ``bank``) that no
   earlier row of the file matched: same date, kind, amount and currency, and the same
   description and merchant once case-folded with runs of whitespace made one space.
   A row with a bank id matches this way only rows stored without one (two different
   bank ids are two transactions), a row without one any row.

Each stored row is the duplicate of at most one row of the file, so a file's two
identical coffees are both duplicates only when two such rows were imported before;
within one file, identical rows are never duplicates of each other (only the same bank
id is). The stored rows are read in batches (one query per :data:`QUERY_BATCH` dates or
bank ids), never one query per row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from finance.models import Transaction, Workspace

QUERY_BATCH = 900  # below SQLite's older limit of 999 variables per statement
IMPORTED_SOURCES = (Transaction.Source.IMPORT, Transaction.Source.BANK)
Content = tuple[dt.date, str, Decimal, str, str, str]


def text_normalise(value: str) -> str:
    """Case-folded, runs of whitespace made one space, no space at the ends."""
    return " ".join(value.casefold().split())


def transaction_content(*, date: dt.date, kind: str, amount: Decimal, currency: str, description: str,
                        merchant: str) -> Content:
    """What two rows must share to be the same transaction without a bank id."""
    return (date, kind, amount, currency.upper(), text_normalise(description), text_normalise(merchant))


@dataclass(frozen=True)
class _Stored:
    by_key: dict[str, Content]
    with_key: Counter
    without_key: Counter


def _batches(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = sorted(set(values))
    for start in range(0, len(values), QUERY_BATCH):
        yield values[start:start + QUERY_BATCH]


def transaction_imported_matches(*, workspace: Workspace, dates: Iterable[dt.date], keys: Iterable[str]) -> _Stored:
    """The rows imported before into ``workspace`` that a file with these ``dates`` and
    bank ``keys`` may repeat: their contents (counted, apart for those with a bank id)
    and the contents of those with one of ``keys``."""
    imported = Transaction.objects.filter(workspace=workspace, source__in=IMPORTED_SOURCES)
    fields = ("date", "kind", "amount", "currency", "description", "merchant", "import_key")
    with_key, without_key = Counter(), Counter()
    for batch in _batches(dates):
        for *content, key in imported.filter(date__in=batch).values_list(*fields):
            (with_key if key else without_key)[transaction_content(**dict(zip(fields, content, strict=False)))] += 1
    by_key: dict[str, Content] = {}
    for batch in _batches(k for k in keys if k):
        for *content, key in imported.filter(import_key__in=batch).values_list(*fields):
            by_key[key] = transaction_content(**dict(zip(fields, content, strict=False)))
    return _Stored(by_key=by_key, with_key=with_key, without_key=without_key)


def _take(counter: Counter, content: Content) -> bool:
    if counter[content] > 0:
        counter[content] -= 1
        return True
    return False


def import_duplicates_find(*, workspace: Workspace, rows: list[Transaction]) -> list[bool]:
    """For each of ``rows`` (unsaved, in file order), whether it is a duplicate by the
    rule of this module."""
    stored = transaction_imported_matches(
        workspace=workspace, dates=(row.date for row in rows), keys=(row.import_key for row in rows)
    )
    seen_keys: set[str] = set()
    verdicts: list[bool] = []
    for row in rows:
        content = transaction_content(
            date=row.date, kind=row.kind, amount=row.amount, currency=row.currency,
            description=row.description, merchant=row.merchant,
        )
        key = row.import_key
        if key and (key in seen_keys or key in stored.by_key):
            if key not in seen_keys:  # that stored row is taken: it repeats no other row
                _take(stored.with_key, stored.by_key[key])
            seen_keys.add(key)
            verdicts.append(True)
            continue
        if key:
            seen_keys.add(key)
            verdicts.append(_take(stored.without_key, content))
        else:  # rows with a bank id first: those without stay for rows of files with one
            verdicts.append(_take(stored.with_key, content) or _take(stored.without_key, content))
    return verdicts
