"""Bank statement files read into import rows: OFX (1.x SGML and 2.x XML) and QIF.

Both give the rows of the CSV import (``_row`` is the line of the file where the
transaction starts, or of the field in error), with a signed amount (negative: an
expense) and no kind. OFX's markup and header (with its declared character set) are
read by ofxtools; the fields are checked here so that each problem names its line.
A transaction's FITID, with the bank and account it belongs to, becomes its
``import_key``: the same bank row imported twice is recognised however it is described.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from ofxtools.header import OFXHeaderError
from ofxtools.Parser import OFXTree
from ofxtools.Parser import ParseError as OfxParseError

from config.limits import date_validate, text_problem
from finance.services.csv_import import (
    CellError,
    Column,
    CsvImportError,
    Problems,
    RowError,
    _limit,
    csv_rows_read,
    file_bytes_read,
    parse_currency,
    parse_decimal,
    parse_text,
)
from finance.services.import_mapping import (
    ImportMappingError,
    amount_convention_parse,
    import_mapping_validate,
    mapped_csv_rows_read,
    qif_options_validate,
)

_OFX_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_OFX_AMOUNT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_MERCHANT, _DESCRIPTION, _ACCOUNT, _CATEGORY = parse_text(120), parse_text(255), parse_text(60), parse_text(80)


def _row(line: int, **fields: Any) -> dict[str, Any]:
    return {
        "_row": line, "kind": None, "status": None, "category": "", "category_hint": "", "account": "",
        "currency": "", "description": "", "merchant": "", "import_key": "", **fields,
    }


def _field(problems: Problems, line: int, column: str, parse: Any, value: str, *, record: int | None = None) -> Any:
    try:
        return parse(value)
    except CellError as exc:
        problems.add(line, column, str(exc), record=record)
        return None


def _file_bytes(file: IO[bytes] | IO[str]) -> bytes:
    raw = file_bytes_read(file)
    raw = raw.encode("utf-8") if isinstance(raw, str) else raw
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise CsvImportError([RowError(line, "", "the file holds a NUL byte: it is not a text file")])
    return raw


# --- OFX -------------------------------------------------------------------------------


def _ofx_tree(raw: bytes) -> tuple[OFXTree, str]:
    """The parsed markup and the whole file as text (for line numbers)."""
    if not raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"OFXHEADER", b"<?xml")):
        raise CsvImportError([RowError(1, "", "not an OFX file: the OFX header is missing or malformed")])
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(raw))
    except OFXHeaderError:
        raise CsvImportError([RowError(1, "", "not an OFX file: the OFX header is missing or malformed")]) from None
    except UnicodeDecodeError:
        raise CsvImportError([RowError(1, "", "the OFX file is not in the character set its header declares")]) from None
    except (OfxParseError, ET.ParseError, IndexError, ValueError, TypeError):
        raise CsvImportError([RowError(1, "", "not an OFX file: its markup is malformed")]) from None
    codec = getattr(tree.header, "codec", "utf_8")
    return tree, raw.decode(codec, errors="replace")


def _ofx_lines(text: str, count: int) -> list[int]:
    """The line of each ``<STMTTRN>`` of the file, in order (0 when they cannot be told)."""
    lines, line, last = [], 1, 0
    for match in re.finditer(r"<STMTTRN>", text):
        line += text.count("\n", last, match.start())
        last = match.start()
        lines.append(line)
    return lines if len(lines) == count else [0] * count


def _ofx_key(bank: str, account: str, fitid: str) -> str:
    return hashlib.sha256("\x1f".join(("ofx", bank, account, fitid)).encode()).hexdigest()


def _ofx_amount(value: str) -> Decimal:
    """TRNAMT: a point or a comma before the decimals (the OFX specification allows
    both), no thousands separator."""
    if not _OFX_AMOUNT.fullmatch(value):
        raise CellError(f"TRNAMT '{value}' is not an OFX amount (like -1234.56)")
    return parse_decimal(value.replace(",", "."))


def _ofx_date(value: str) -> dt.date:
    match = _OFX_DATE.match(value)
    try:
        day = dt.date(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        day = None
    if day is None:
        raise CellError(f"DTPOSTED '{value}' is not an OFX date (YYYYMMDD…)")
    _limit(date_validate, day)
    return day


def _ofx_transaction(trn: ET.Element, *, line: int, statement: dict[str, str], problems: Problems) -> dict[str, Any]:
    # OFX 1 is SGML: ofxtools leaves its character entities (&amp;) as written.
    text = {child.tag: html.unescape(child.text or "").strip() for child in trn}
    name = text.get("NAME") or html.unescape(trn.findtext("PAYEE/NAME") or "").strip()
    row = _row(line)
    for column, tag, parse in (("date", "DTPOSTED", _ofx_date), ("amount", "TRNAMT", _ofx_amount)):
        if not text.get(tag):
            problems.add(line, column, f"is required ({tag})")
        else:
            row[column] = _field(problems, line, column, parse, text[tag])
    row["merchant"] = _field(problems, line, "merchant", _MERCHANT, name) or ""
    row["description"] = _field(problems, line, "description", _DESCRIPTION, text.get("MEMO") or name) or ""
    currency = (trn.findtext("CURRENCY/CURSYM") or "").strip() or statement["currency"]
    if currency:
        row["currency"] = _field(problems, line, "currency", parse_currency, currency) or ""
    if text.get("FITID"):
        row["import_key"] = _ofx_key(statement["bank"], statement["account"], text["FITID"])
    # The account id finds the workspace's account (finance.services.transaction_import); only
    # its last four characters are stored, as the label (a card's ACCTID is its number).
    row["bank_account"] = statement["account"]
    row["account"] = f"…{statement['account'][-4:]}" if statement["account"] else ""
    return row


def ofx_rows_read(file: IO[bytes] | IO[str]) -> tuple[list[dict[str, Any]], Problems]:
    """Every transaction of every bank and credit card statement of an OFX file, and the
    problems found. The currency is the transaction's (CURRENCY) or its statement's
    (CURDEF); the merchant is NAME (or PAYEE's), the description MEMO (else NAME)."""
    tree, text = _ofx_tree(_file_bytes(file))
    root = tree.getroot()
    transactions = list(root.iter("STMTTRN"))
    if len(transactions) > settings.IMPORT_MAX_ROWS:
        raise CsvImportError([RowError(0, "", f"file has more than {settings.IMPORT_MAX_ROWS} transactions")])
    lines = dict(zip(map(id, transactions), _ofx_lines(text, len(transactions)), strict=True))
    problems = Problems()
    rows: list[dict[str, Any]] = []
    for statement in (el for el in root.iter() if el.tag in ("STMTRS", "CCSTMTRS")):
        source = statement.find("BANKACCTFROM")
        source = statement.find("CCACCTFROM") if source is None else source
        about = {
            "currency": (statement.findtext("CURDEF") or "").strip(),
            "bank": (source.findtext("BANKID") or "").strip() if source is not None else "",
            "account": (source.findtext("ACCTID") or "").strip() if source is not None else "",
        }
        rows.extend(
            _ofx_transaction(trn, line=lines[id(trn)], statement=about, problems=problems)
            for trn in statement.iter("STMTTRN")
        )
    if not rows:
        raise CsvImportError([RowError(0, "", "the OFX file has no bank or credit card transactions")])
    return rows, problems


# --- QIF -------------------------------------------------------------------------------

_QIF_TRANSACTIONS = {"bank", "cash", "ccard", "oth a", "oth l"}
_QIF_DATE = re.compile(r"(\d{1,4})\s*[/.-]\s*(\d{1,2})\s*([/.'-])\s*(\d{2,4})")


def _qif_text(raw: bytes) -> str:
    """UTF-8, else Windows-1252 (what older exporters write)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise CsvImportError([RowError(0, "", "file is neither UTF-8 nor Windows-1252 text")]) from None


def _qif_date(value: str, *, day_first: bool) -> dt.date:
    """``12/31/2024``, ``12/31'24`` (Quicken: the apostrophe before a year of the 2000s),
    ``31.12.2024``, ``2024-12-31``; a two-digit year after a slash is 1970–2069."""
    match = _QIF_DATE.fullmatch(value.strip())
    if match is None:
        raise CellError(f"'{value}' is not a QIF date")
    first, second, separator, last = match.groups()
    if len(first) == 4:
        year, month, day = int(first), int(second), int(last)
    else:
        year = int(last)
        if len(last) == 2:
            year += 2000 if separator == "'" or year < 70 else 1900
        month, day = (int(second), int(first)) if day_first else (int(first), int(second))
    try:
        parsed = dt.date(year, month, day)
    except ValueError:
        raise CellError(f"'{value}' is not a date (read as {'day/month' if day_first else 'month/day'})") from None
    _limit(date_validate, parsed)
    return parsed


def _qif_day_first(dates: list[tuple[int, str]], date_format: str | None) -> bool:
    """Whether the file's dates put the day first: as ``date_format`` says, else the only
    reading under which every date is one; two readings that both work and differ are
    refused (nothing guessed)."""
    if date_format:
        return date_format.startswith("DD")
    readings: dict[bool, list[dt.date | None]] = {}
    for day_first in (False, True):
        readings[day_first] = []
        for _, value in dates:
            try:
                readings[day_first].append(_qif_date(value, day_first=day_first))
            except CellError:
                readings[day_first].append(None)
    month_first_ok, day_first_ok = (None not in readings[False]), (None not in readings[True])
    if month_first_ok and day_first_ok:
        for (line, value), a, b in zip(dates, readings[False], readings[True], strict=True):
            if a != b:
                raise CsvImportError([RowError(line, "date", (
                    f"'{value}' reads as {a} or {b}: choose the date format (MM/DD/YYYY or DD/MM/YYYY)"
                ))])
    return day_first_ok and not month_first_ok


def _qif_records(text: str, problems: Problems) -> list[tuple[int, str, dict[str, tuple[int, str]]]]:
    """The transaction records: (first line, account, {field code: (line, value)})."""
    records: list[tuple[int, str, dict[str, tuple[int, str]]]] = []
    section, account, fields = "", "", {}
    for line, raw in enumerate(text.splitlines(), start=1):
        value = raw.strip()
        if problem := text_problem(raw, multiline=False):
            problems.add(line, "", problem)
            continue
        if not value:
            continue
        if value.startswith("!"):
            header = value[1:].lower()
            if header.startswith("type:"):
                section = header[5:].strip()
                if section in ("invst", "invest"):
                    raise CsvImportError([RowError(line, "", "investment accounts (!Type:Invst) are not imported")])
            elif header == "account":
                section = "account"
            continue
        if value == "^":
            if section in _QIF_TRANSACTIONS and fields:
                records.append((min(at for at, _ in fields.values()), account, fields))
            elif section == "account" and "N" in fields:
                account = fields["N"][1]
            fields = {}
            continue
        if not section:
            raise CsvImportError([RowError(line, "", "not a QIF file: it does not start with a !Type header")])
        fields.setdefault(value[0], (line, value[1:].strip()))
        if len(records) > settings.IMPORT_MAX_ROWS:
            raise CsvImportError([RowError(line, "", f"file has more than {settings.IMPORT_MAX_ROWS} transactions")])
    if section in _QIF_TRANSACTIONS and fields:
        records.append((min(at for at, _ in fields.values()), account, fields))
    return records


def qif_rows_read(
    file: IO[bytes] | IO[str], *, date_format: str | None = None, decimal: str = ".", thousands: str = ","
) -> tuple[list[dict[str, Any]], Problems]:
    """Every transaction of the bank, cash and card sections of a QIF file (T, the total,
    for a split one), and the problems found. P is the merchant, M the description
    (else P), L a category hint (``[Account]``, a transfer, is none)."""
    problems = Problems()
    records = _qif_records(_qif_text(_file_bytes(file)), problems)
    if not records:
        raise CsvImportError([RowError(0, "", "the QIF file has no bank, cash or card transactions")])
    day_first = _qif_day_first([fields["D"] for _, _, fields in records if "D" in fields], date_format)
    rows = []
    for start, account, fields in records:
        row = _row(start, account=_field(problems, start, "account", _ACCOUNT, account, record=start) or "")
        for column, code in (("date", "D"), ("amount", "T")):
            at, value = fields.get(code) or fields.get("U" if code == "T" else code) or (start, "")
            if not value:
                problems.add(start, column, f"is required ({code})")
            elif column == "date":
                row["date"] = _field(
                    problems, at, "date", lambda v: _qif_date(v, day_first=day_first), value, record=start
                )
            else:
                row["amount"] = _field(
                    problems, at, "amount", lambda v: amount_convention_parse(v, decimal=decimal, thousands=thousands),
                    value, record=start,
                )
        payee, memo = fields.get("P", (start, ""))[1], fields.get("M", (start, ""))[1]
        row["merchant"] = _field(problems, fields.get("P", (start,))[0], "merchant", _MERCHANT, payee, record=start) or ""
        row["description"] = _field(problems, fields.get("M", (start,))[0], "description", _DESCRIPTION, memo or payee, record=start) or ""
        category = fields.get("L", (start, ""))[1]
        if category and not category.startswith("["):
            row["category_hint"] = _field(problems, fields["L"][0], "category", _CATEGORY, category, record=start) or ""
        rows.append(row)
    return rows, problems


# --- any format --------------------------------------------------------------------------

FORMATS = ("csv", "ofx", "qif")


def import_file_read(
    file: IO[bytes] | IO[str], *, file_format: str, mapping: dict[str, Any] | None, columns: list[Column]
) -> tuple[list[dict[str, Any]], Problems]:
    """The rows of ``file`` in ``file_format`` and the problems found: a CSV with the
    named ``columns`` (without ``mapping``) or as ``mapping`` says; an OFX file (no
    mapping: it names its own fields); a QIF file (``mapping`` may give its date format
    and separators). Raises :class:`ImportMappingError` for a mapping that cannot be used,
    :class:`CsvImportError` for a file that cannot be read at all."""
    if file_format not in FORMATS:
        raise ImportMappingError({"format": f"{file_format!r} is not one of: {', '.join(FORMATS)}"})
    if file_format == "ofx":
        if mapping:
            raise ImportMappingError({"mapping": "an OFX file names its own fields: send no mapping"})
        return ofx_rows_read(file)
    if file_format == "qif":
        options = qif_options_validate(mapping or {})
        return qif_rows_read(file, **options)
    if mapping is None:
        return csv_rows_read(file, columns=columns)
    return mapped_csv_rows_read(file, mapping=import_mapping_validate(mapping))
