"""A column mapping for any bank's CSV, and the number and date conventions of bank files.

The user says which column holds each role (date, amount — or a debit and a credit
column —, description, merchant, category, kind, account, currency), how dates are
written and which decimal and thousands separators the amounts use.
:func:`import_mapping_validate` checks a mapping before any file is read (an
:class:`ImportMappingError` names the field), :func:`mapped_csv_rows_read` reads a file
with it; every cell keeps the limits of :mod:`config.limits` like the plain CSV import.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings

from config.limits import date_validate, text_problem
from finance.services.csv_import import (
    CellError,
    CsvImportError,
    Problems,
    RowError,
    _limit,
    parse_currency,
    parse_decimal,
    parse_text,
    text_stream_open,
)

#: How dates may be written, by the name the user picks.
DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYY/MM/DD": "%Y/%m/%d",
    "YYYYMMDD": "%Y%m%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "MM-DD-YYYY": "%m-%d-%Y",
    "DD/MM/YY": "%d/%m/%y",
    "MM/DD/YY": "%m/%d/%y",
}
DECIMAL_SEPARATORS = {".": "point", ",": "comma"}
#: "" (none), comma, point, space (also the no-break spaces) and apostrophe (Swiss).
THOUSANDS_SEPARATORS = {"": "none", ",": "comma", ".": "point", " ": "space", "'": "apostrophe"}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
ROLES = ("date", "amount", "debit", "credit", "kind", "description", "merchant", "category", "account", "currency")
OPTIONS = ("header", "date_format", "decimal_separator", "thousands_separator", "delimiter")
#: The words a bank's "type" column uses for each kind, besides revenue and expense.
KIND_WORDS = {
    "revenue": "revenue", "income": "revenue", "credit": "revenue", "cr": "revenue", "deposit": "revenue",
    "expense": "expense", "debit": "expense", "dr": "expense", "withdrawal": "expense", "payment": "expense",
}
_SYMBOLS = str.maketrans("", "", "$€£¥")


class ImportMappingError(Exception):
    """A mapping that cannot be used; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


@dataclass(frozen=True)
class ImportMapping:
    """Where each role is (a header name, or a 1-based column number without a header)
    and how the file writes numbers and dates."""

    columns: dict[str, str]
    header: bool = True
    date_format: str = "YYYY-MM-DD"
    decimal_separator: str = "."
    thousands_separator: str = ","
    delimiter: str = ","


def _option(data: dict[str, Any], name: str, allowed: dict[str, str], default: str, errors: dict[str, str]) -> str:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        errors[name] = f"{value!r} is not one of: " + ", ".join(repr(key) for key in allowed)
        return default
    return value


def import_options_validate(data: Any, *, allowed: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """The number and date options of ``data`` (defaults filled in) and the problems
    found; any key outside ``allowed`` is one."""
    errors: dict[str, str] = {}
    if not isinstance(data, dict):
        return {}, {"mapping": "must be an object of roles and options"}
    for name in data:
        if name not in allowed:
            errors[str(name)] = "is not a column role or option: use " + ", ".join(allowed)
    options = {
        "date_format": _option(data, "date_format", DATE_FORMATS, "YYYY-MM-DD", errors),
        "decimal_separator": _option(data, "decimal_separator", DECIMAL_SEPARATORS, ".", errors),
        "thousands_separator": _option(data, "thousands_separator", THOUSANDS_SEPARATORS, ",", errors),
    }
    if options["decimal_separator"] == options["thousands_separator"]:
        errors["thousands_separator"] = "must differ from the decimal separator"
    return options, errors


def qif_options_validate(data: Any) -> dict[str, Any]:
    """The options of a QIF import (``date_format``: without it the file's dates decide;
    the separators of its amounts), or :class:`ImportMappingError` naming the field."""
    options, errors = import_options_validate(data, allowed=("date_format", "decimal_separator", "thousands_separator"))
    if errors:
        raise ImportMappingError(errors)
    return {
        "date_format": options["date_format"] if "date_format" in data else None,
        "decimal": options["decimal_separator"], "thousands": options["thousands_separator"],
    }


def import_mapping_validate(data: Any) -> ImportMapping:
    """A mapping from what the user sent, or :class:`ImportMappingError` naming each field
    that is wrong: an unknown role or option, a missing ``date``, neither ``amount`` nor
    ``debit`` and ``credit`` (or both), a ``kind`` beside debit and credit, an unknown
    date format or separator, a column number that is not one."""
    options, errors = import_options_validate(data, allowed=ROLES + OPTIONS)
    if not isinstance(data, dict):
        raise ImportMappingError(errors)
    header = data.get("header", True)
    if not isinstance(header, bool):
        errors["header"] = "must be true or false"
        header = True
    delimiter = _option(data, "delimiter", DELIMITERS, ",", errors)
    columns: dict[str, str] = {}
    for role in ROLES:
        value = data.get(role)
        if value in (None, ""):
            continue
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 120:
            errors[role] = "must be a column name (at most 120 characters) or number"
        elif not header and not (str(value).isdigit() and int(value) >= 1):
            errors[role] = f"{value!r} is not a column number (1 is the first column; the file has no header)"
        else:
            columns[role] = str(value).strip()
    if "date" not in columns:
        errors.setdefault("date", "is required: the column with the date")
    has_amount, has_debit_credit = "amount" in columns, {"debit", "credit"} <= columns.keys()
    if has_amount and ({"debit", "credit"} & columns.keys()):
        errors.setdefault("amount", "give amount, or debit and credit, not both")
    elif not has_amount and not has_debit_credit:
        missing = "credit" if "debit" in columns else "debit" if "credit" in columns else "amount"
        errors.setdefault(missing, "is required: the column with the amount (or a debit and a credit column)")
    if "kind" in columns and has_debit_credit:
        errors.setdefault("kind", "debit and credit columns already say the kind")
    if errors:
        raise ImportMappingError(errors)
    return ImportMapping(columns=columns, header=header, delimiter=delimiter, **options)


# --- conventions -----------------------------------------------------------------------


def amount_convention_parse(value: str, *, decimal: str = ".", thousands: str = ",") -> Decimal:
    """An amount as a bank writes it: ``1,234.56``, ``-1.234,56``, ``(12.50)``, ``12.50-``,
    ``$ 1 234,56``. Thousands groups, when present, are of three digits (so "1,5" with a
    comma for thousands is refused, not read as 15)."""
    text = value.translate(_SYMBOLS).replace("\u00a0", " ").replace("\u202f", " ").strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    elif text.endswith("-"):
        negative, text = True, text[:-1].strip()
    if text[:1] in ("+", "-") and text:
        negative, text = negative != (text[0] == "-"), text[1:].strip()
    point = re.escape(decimal)
    pattern = rf"\d+(?:{point}\d+)?"
    if thousands:
        pattern = rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)(?:{point}\d+)?"
    if not re.fullmatch(pattern, text):
        sample = "1" + thousands + "234" + decimal + "56"
        raise CellError(f"'{value.strip()}' is not an amount written like {sample}")
    if thousands:
        text = text.replace(thousands, "")
    number = parse_decimal(text.replace(decimal, "."))
    return -number if negative else number


def date_convention_parse(value: str, *, date_format: str) -> dt.date:
    """A date written as ``date_format`` (a key of :data:`DATE_FORMATS`), within the
    input limits."""
    try:
        day = dt.datetime.strptime(value.strip(), DATE_FORMATS[date_format]).date()  # noqa: DTZ007 - a date, no time
    except ValueError:
        raise CellError(f"'{value}' is not a date written {date_format}") from None
    _limit(date_validate, day)
    return day


def kind_word_parse(value: str) -> str:
    """revenue or expense from the word a bank uses (credit, DR, deposit, …)."""
    try:
        return KIND_WORDS[value.strip().lower()]
    except KeyError:
        raise CellError(f"'{value}' is not one of: " + ", ".join(KIND_WORDS)) from None


# --- reading a mapped CSV --------------------------------------------------------------


def _parsers(mapping: ImportMapping) -> dict[str, Callable[[str], Any]]:
    def amount(value: str) -> Decimal:
        return amount_convention_parse(
            value, decimal=mapping.decimal_separator, thousands=mapping.thousands_separator
        )

    return {
        "date": lambda value: date_convention_parse(value, date_format=mapping.date_format),
        "amount": amount, "debit": amount, "credit": amount, "kind": kind_word_parse,
        "description": parse_text(255), "merchant": parse_text(120), "category": parse_text(80),
        "account": parse_text(60), "currency": parse_currency,
    }


def _positions(header: list[str], mapping: ImportMapping) -> dict[str, int]:
    """Where each mapped role is in the file, or :class:`ImportMappingError` naming the
    roles whose column the file does not have."""
    names = [name.strip().lower() for name in header]
    positions: dict[str, int] = {}
    errors: dict[str, str] = {}
    for role, column in mapping.columns.items():
        if not mapping.header:
            if int(column) > len(header):
                errors[role] = f"column {column} is beyond the file's {len(header)} columns"
            positions[role] = int(column) - 1
        elif column.lower() in names:
            positions[role] = names.index(column.lower())
        else:
            listed = ", ".join(repr(name.strip()) for name in header[:20])
            errors[role] = f"column {column!r} is not in the file's header ({listed})"
    if errors:
        raise ImportMappingError(errors)
    return positions


def _signed_amount(row: dict[str, Any], *, line: int, failed: set[str], problems: Problems) -> Decimal | None:
    """A row's amount from its debit and credit cells: a debit is an expense, a credit
    revenue; exactly one of them is filled."""
    debit, credit = row.pop("debit", None), row.pop("credit", None)
    if debit and credit:
        problems.add(line, "credit", "a row has a debit or a credit, not both")
    elif debit or credit:
        return -abs(debit) if debit else abs(credit)
    elif not failed & {"debit", "credit"}:
        problems.add(line, "debit", "is required: the row has neither a debit nor a credit")
    return None


def _cells_parse(
    cells: list[str], *, line: int, positions: dict[str, int], parsers: dict[str, Callable[[str], Any]],
    problems: Problems, search_cells: bool,
) -> dict[str, Any]:
    row: dict[str, Any] = {"_row": line}
    failed: set[str] = set()
    for role, position in positions.items():
        value = cells[position].strip() if position < len(cells) else ""
        if search_cells and (problem := text_problem(value, multiline=True)) is not None:
            failed.add(role)
            problems.add(line, role, problem)
        elif not value:
            if role in ("date", "amount"):
                problems.add(line, role, "is required")
        else:
            try:
                row[role] = parsers[role](value)
            except CellError as exc:
                failed.add(role)
                problems.add(line, role, str(exc))
    if "debit" in positions:
        row["amount"] = _signed_amount(row, line=line, failed=failed, problems=problems)
    return row


def mapped_csv_rows_read(file: IO[bytes] | IO[str], *, mapping: ImportMapping) -> tuple[list[dict[str, Any]], Problems]:
    """Every row of a CSV read with ``mapping``, as the plain CSV import's rows (the roles
    that are not mapped left out), and the problems found; the row numbers are the file's
    lines as a spreadsheet numbers them (with a header, it is row 1)."""
    stream, search_cells = text_stream_open(file)
    reader = csv.reader(stream, delimiter=mapping.delimiter)
    try:
        first = next(reader)
    except StopIteration:
        raise CsvImportError([RowError(1, "", "file is empty")]) from None
    except csv.Error as exc:
        raise CsvImportError([RowError(1, "", f"not a CSV file: {exc}")]) from None
    positions = _positions(first, mapping)
    parsers = _parsers(mapping)
    problems = Problems()
    rows: list[dict[str, Any]] = []
    lines = reader if mapping.header else itertools.chain([first], reader)
    try:
        for line, cells in enumerate(lines, start=2 if mapping.header else 1):
            if len(rows) >= settings.IMPORT_MAX_ROWS:
                raise CsvImportError([RowError(line, "", f"file has more than {settings.IMPORT_MAX_ROWS} rows")])
            if any(cell.strip() for cell in cells):
                rows.append(_cells_parse(
                    cells, line=line, positions=positions, parsers=parsers, problems=problems, search_cells=search_cells,
                ))
    except csv.Error as exc:
        raise CsvImportError([RowError(reader.line_num, "", f"malformed CSV: {exc}")]) from None
    if not rows:
        raise CsvImportError([RowError(2 if mapping.header else 1, "", "file has no rows")])
    return rows, problems
