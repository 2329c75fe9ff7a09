"""All-or-nothing CSV parsing shared by every import (API, admin, management commands).

A file is read completely and every row validated before anything is written; the
first problems are reported with their row number (the header is row 1, as in a
spreadsheet) and column, and nothing is saved when there is any. Every cell keeps the
input limits of :mod:`config.limits` (no control characters, dates in range, ISO 4217
currencies, amounts in bounds), with the API's and the forms' messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError

from config.limits import amount_validate, currency_normalise, date_validate, text_problem

MAX_REPORTED_ERRORS = 50
IMPORT_BATCH_SIZE = 5000


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote (or, in a dry run, would write): how many rows, the rows left
    out as imported before (how many, and the first ones), and for a dry run the problems
    and the first rows as they would be stored."""

    created: int
    duplicates: int = 0
    duplicate_rows: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    would_create: int = 0
    errors: list[RowError] = field(default_factory=list)
    total_errors: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    """One problem in an import file: where it is and what is wrong."""

    row: int
    column: str
    message: str
    record: int | None = None  # the row it belongs to, when it is reported on another line (QIF)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class CsvImportError(Exception):
    """The file was refused; ``errors`` says where and why. Nothing was written."""

    def __init__(self, errors: list[RowError], *, total_errors: int | None = None) -> None:
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.total_errors = total_errors if total_errors is not None else len(errors)
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        first = str(self.errors[0]) if self.errors else "invalid file"
        more = self.total_errors - 1
        return first + (f" (and {more} more problem{'s' if more != 1 else ''})" if more > 0 else "")


class CellError(ValueError):
    """Raised by a column parser with a human message."""


@dataclass(frozen=True)
class Column:
    """How to read one column: its name, whether it is required, and a parser."""

    name: str
    parse: Callable[[str], Any]
    required: bool = True
    default: Any = None
    aliases: tuple[str, ...] = field(default_factory=tuple)


# --- cell parsers -----------------------------------------------------------------------


def _limit(check: Callable[[Any], Any], value: Any) -> Any:
    """Run a :mod:`config.limits` check, its ``ValidationError`` as a :class:`CellError`."""
    try:
        return check(value)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None


def parse_decimal(value: str, *, max_digits: int = 14) -> Decimal:
    """An amount of money with cents, within ``INPUT_AMOUNT_MAX`` and what a column of
    ``max_digits`` digits holds."""
    cleaned = value.replace(",", "").replace("$", "").strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"'{value}' is not a number") from None
    if not number.is_finite():
        raise CellError(f"'{value}' is not a finite number")
    number = number.quantize(Decimal("0.01"))
    if abs(number) >= Decimal(10) ** (max_digits - 2):
        raise CellError(f"'{value}' is too large")
    _limit(amount_validate, number)
    return number


def parse_positive_decimal(value: str, *, max_digits: int = 14) -> Decimal:
    number = parse_decimal(value, max_digits=max_digits)
    if number <= 0:
        raise CellError(f"must be greater than zero, got {value}")
    return number


def parse_non_negative_decimal(value: str, *, max_digits: int = 14) -> Decimal:
    number = parse_decimal(value, max_digits=max_digits)
    if number < 0:
        raise CellError(f"must not be negative, got {value}")
    return number


def parse_positive_int(value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise CellError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise CellError(f"must be at least 1, got {value}")
    if number > 2_000_000_000:
        raise CellError(f"'{value}' is too large")
    return number


def parse_date(value: str) -> dt.date:
    """A date (YYYY-MM-DD) from ``INPUT_DATE_MIN`` to ``INPUT_DATE_MAX``."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CellError(f"'{value}' is not a date (expected YYYY-MM-DD)") from None
    _limit(date_validate, day)
    return day


def parse_currency(value: str) -> str:
    """An ISO 4217 currency code (any case; stored in upper case)."""
    return _limit(currency_normalise, value)


def parse_text(max_length: int) -> Callable[[str], str]:
    """One line of text (no tab, line break or other control character), at most
    ``max_length`` characters."""

    def parse(value: str) -> str:
        text = value.strip()
        problem = text_problem(text, multiline=False)
        if problem is not None:
            raise CellError(problem)
        if len(text) > max_length:
            raise CellError(f"is longer than {max_length} characters")
        return text

    return parse


def parse_choice(choices: dict[str, str]) -> Callable[[str], str]:
    """Accept a choice by value or label, case-insensitively."""
    lookup = {key.lower(): key for key in choices} | {
        label.lower(): key for key, label in choices.items()
    }

    def parse(value: str) -> str:
        try:
            return lookup[value.strip().lower()]
        except KeyError:
            allowed = ", ".join(choices)
            raise CellError(f"'{value}' is not one of: {allowed}") from None

    return parse


# --- reading --------------------------------------------------------------------------


def text_stream_open(file: IO[bytes] | IO[str]) -> tuple[io.TextIOBase, bool]:
    """The file as text, and whether it holds a control character anywhere (only then
    is every cell searched for one: one search of the whole text is far cheaper)."""
    raw = file_bytes_read(file)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CsvImportError([RowError(0, "", "file is not UTF-8 text")]) from None
    return io.StringIO(raw, newline=""), text_problem(raw, multiline=True) is not None


def file_bytes_read(file: IO[bytes] | IO[str]) -> bytes | str:
    """The whole upload, or :class:`CsvImportError` when it is over ``IMPORT_MAX_BYTES``."""
    size = getattr(file, "size", None)
    limit = settings.IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise CsvImportError([RowError(0, "", f"file is {size} bytes; the limit is {limit} bytes")])
    raw = file.read(limit + 1)
    if len(raw) > limit:
        raise CsvImportError([RowError(0, "", f"file is larger than the limit of {limit} bytes")])
    return raw


class Problems:
    """The problems of a file so far: the first :data:`MAX_REPORTED_ERRORS`, how many,
    and which rows have one."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.total = 0
        self.rows: set[int] = set()

    def add(self, row: int, column: str, message: str, *, record: int | None = None) -> None:
        self.total += 1
        self.rows.add(row if record is None else record)
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message, record))

    def raise_if_any(self) -> None:
        """:class:`CsvImportError` with every problem found, if there is one."""
        if self.total:
            raise CsvImportError(self.errors, total_errors=self.total)


def _row_parse(
    cells: list[str], *, row_number: int, header: list[str], columns: list[Column], index: dict[str, int | None],
    problems: Problems, search_cells: bool,
) -> dict[str, Any]:
    parsed: dict[str, Any] = {"_row": row_number}
    refused: set[int] = set()
    if search_cells:
        # Every cell, read or not, is text without NUL and control characters (a quoted
        # cell may hold a line break; the columns that are read refuse that too).
        for position, cell in enumerate(cells):
            problem = text_problem(cell, multiline=True)
            if problem is not None:
                refused.add(position)
                problems.add(row_number, header[position].strip() if position < len(header) else "", problem)
    for column in columns:
        position = index[column.name]
        value = cells[position] if position is not None and position < len(cells) else ""
        if position in refused or not value.strip():
            if column.required and position not in refused:
                problems.add(row_number, column.name, "is required")
            parsed[column.name] = column.default
            continue
        try:
            parsed[column.name] = column.parse(value)
        except CellError as exc:
            problems.add(row_number, column.name, str(exc))
    return parsed


def _header_index(header: list[str], columns: list[Column]) -> dict[str, int | None]:
    """Where each column is (None: absent), or :class:`CsvImportError` for a header with
    a control character or without a required column."""
    refused = [
        RowError(1, ascii(name.strip()), problem)
        for name in header
        if (problem := text_problem(name, multiline=True)) is not None
    ]
    if refused:
        raise CsvImportError(refused)
    positions = {name.strip().lower(): i for i, name in enumerate(header)}
    index: dict[str, int | None] = {}
    for column in columns:
        names = (column.name, *column.aliases)
        index[column.name] = next((positions[n] for n in names if n in positions), None)
    missing = [c.name for c in columns if index[c.name] is None and c.required]
    if missing:
        raise CsvImportError([RowError(1, name, "required column is missing") for name in missing])
    return index


def csv_rows_parse(file: IO[bytes] | IO[str], *, columns: list[Column]) -> list[dict[str, Any]]:
    """Parse and validate every row of ``file`` against ``columns``.

    Returns the parsed rows (dicts keyed by column name, plus ``_row`` the row number),
    or raises :class:`CsvImportError` listing the problems. Unknown extra columns are
    ignored (but, like every cell, may hold no control character); header names are
    matched case-insensitively.
    """
    rows, problems = csv_rows_read(file, columns=columns)
    problems.raise_if_any()
    return rows


def csv_rows_read(file: IO[bytes] | IO[str], *, columns: list[Column]) -> tuple[list[dict[str, Any]], Problems]:
    """:func:`csv_rows_parse` without the verdict: every row (a bad cell left at its
    column's default) and the problems found, for a preview that shows both. A file
    that cannot be read at all (size, encoding, header) still raises
    :class:`CsvImportError`."""
    stream, search_cells = text_stream_open(file)
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvImportError([RowError(1, "", "file is empty")]) from None
    except csv.Error as exc:
        raise CsvImportError([RowError(1, "", f"not a CSV file: {exc}")]) from None
    index = _header_index(header, columns)

    rows: list[dict[str, Any]] = []
    problems = Problems()
    max_rows = settings.IMPORT_MAX_ROWS
    try:
        for row_number, cells in enumerate(reader, start=2):
            if len(rows) >= max_rows:
                raise CsvImportError(
                    [RowError(row_number, "", f"file has more than {max_rows} rows")]
                )
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(_row_parse(
                cells, row_number=row_number, header=header, columns=columns, index=index, problems=problems,
                search_cells=search_cells,
            ))
    except csv.Error as exc:
        raise CsvImportError([RowError(reader.line_num, "", f"malformed CSV: {exc}")]) from None
    if not rows and not problems.errors:
        raise CsvImportError([RowError(2, "", "file has a header but no rows")])
    return rows, problems
