"""Input limits, in one place: what text, dates, currencies, amounts and JSON bodies the
application accepts. Every writer calls these — the API (serializers and the JSON parser,
:mod:`config.parsers`), the page forms and admin (through the finance models' validators),
the CSV imports and the management commands (through the services) — so one rule gives
one message everywhere. The bounds are settings (``INPUT_*``, from the environment).

* Text: no NUL and no other control character (Unicode category Cc), except tab,
  newline and carriage return in multi-line text. Every text field of the books is one
  line, so there they are refused too.
* Dates of the books: from ``INPUT_DATE_MIN`` to ``INPUT_DATE_MAX`` (1900-01-01 …
  2100-12-31): forecasting converts dates to pandas timestamps (years 1678–2261 only),
  and a year-1 date stopped every training of its workspace.
* Currencies: ISO 4217 codes of money (:data:`ISO_4217_CURRENCIES`).
* Amounts: at most ``INPUT_AMOUNT_MAX`` (refused); an amount above
  :func:`amount_review_ceiling` is kept but needs a member's confirmation before it
  counts for training (:mod:`finance.services.transactions`).
* JSON bodies: at most ``INPUT_JSON_MAX_BYTES`` bytes and ``INPUT_JSON_MAX_DEPTH`` levels
  of nesting, checked on the bytes before anything is decoded (:func:`json_depth_check`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.deconstruct import deconstructible

#: The INPUT_* settings as read (an import checks every cell: Django's lazy settings cost
#: a few microseconds a read); forgotten when a test or anything else changes a setting.
_settings_read: dict[str, Any] = {}


def _setting(name: str) -> Any:
    try:
        return _settings_read[name]
    except KeyError:
        value = _settings_read[name] = getattr(settings, name)
        return value


@receiver(setting_changed, dispatch_uid="config.limits.settings_changed")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("INPUT_"):
        _settings_read.clear()

# --- text --------------------------------------------------------------------------------

#: Control characters (C0, DEL, C1) but tab, newline and carriage return.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Every control character: single-line text has no tab or line break either.
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TEXT_CONTROL_CHARACTER = "Remove the control character U+%(code)04X (character %(position)d): %(what)s."
_WHAT = {
    0: "NUL bytes are not allowed in text",
    0x09: "a tab is not allowed in a one-line text",
    0x0A: "a line break is not allowed in a one-line text",
    0x0D: "a line break is not allowed in a one-line text",
}


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with ``value`` as text (a message), or None when it is fine."""
    if value.isprintable():
        return None  # no control character at all (C speed; most text)
    found = (_CONTROL_MULTILINE if multiline else _CONTROL_LINE).search(value)
    if found is None:
        return None
    code = ord(found.group())
    what = _WHAT.get(code, "control characters are not allowed in text")
    return TEXT_CONTROL_CHARACTER % {"code": code, "position": found.start() + 1, "what": what}


def text_validate(value: str, *, multiline: bool = False) -> None:
    """Raise ``ValidationError`` (code ``control_character``) for a control character."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise ValidationError(problem, code="control_character")


@deconstructible(path="config.limits.TextValidator")
class TextValidator:
    """Model and form field validator of :func:`text_validate`."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if isinstance(value, str):
            text_validate(value, multiline=self.multiline)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((TextValidator, self.multiline))


def json_text_problems(value: Any, *, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, message)`` for every string — key or value — of a decoded JSON document
    that holds a control character other than tab and line breaks. Iterative: the depth
    is already bounded by :func:`json_depth_check`, but nothing here relies on it."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item, multiline=True)
            if problem is not None:
                yield where, problem
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                key_text = str(key)
                problem = text_problem(key_text, multiline=False)
                child_path = f"{where}.{key_text!r}" if where else repr(key_text)
                if problem is not None:
                    yield child_path, f"In a name: {problem}"
                    continue
                stack.append((f"{where}.{key_text}" if where else key_text, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in reversed(list(enumerate(item))))


# --- dates -------------------------------------------------------------------------------

DATE_OUT_OF_RANGE = "Enter a date from %(min)s to %(max)s."


def date_range() -> tuple[dt.date, dt.date]:
    return _setting("INPUT_DATE_MIN"), _setting("INPUT_DATE_MAX")


def date_validate(value: dt.date) -> None:
    """Raise ``ValidationError`` (code ``date_out_of_range``) for a date outside
    ``INPUT_DATE_MIN`` … ``INPUT_DATE_MAX``."""
    low, high = date_range()
    day = value.date() if isinstance(value, dt.datetime) else value
    if not low <= day <= high:
        raise ValidationError(
            DATE_OUT_OF_RANGE, code="date_out_of_range", params={"min": low.isoformat(), "max": high.isoformat()}
        )


@deconstructible(path="config.limits.DateRangeValidator")
class DateRangeValidator:
    """Model field validator of :func:`date_validate` (reads the bounds when it runs, so
    changing them needs no migration)."""

    def __call__(self, value: Any) -> None:
        if isinstance(value, dt.date):
            date_validate(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateRangeValidator)

    def __hash__(self) -> int:
        return hash(DateRangeValidator)


# --- currencies --------------------------------------------------------------------------

#: ISO 4217 currencies (the list as of 2026-02: pycountry 26.2.16's ``iso4217.json``),
#: less the codes that are not money a business books: funds codes (BOV, CHE, CHW, CLF,
#: COU, MXV, USN, UYI, UYW), precious metals (XAG, XAU, XPD, XPT), bond-market units
#: (XBA–XBD), SDR, Sucre, ADB and AMF units (XDR, XSU, XUA, XAD), testing (XTS) and
#: "no currency" (XXX).
ISO_4217_CURRENCIES = frozenset(  # noqa: SIM905 - a block of codes reads as the list it is
    ["AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG"]
)
CURRENCY_INVALID = "“%(value)s” is not an ISO 4217 currency code; use one such as USD or EUR."


def currency_normalise(value: str) -> str:
    """``value`` as a currency code (trimmed, upper case), or ``ValidationError`` (code
    ``invalid_currency``) when it is not one of :data:`ISO_4217_CURRENCIES`."""
    code = value.strip().upper()
    if code not in ISO_4217_CURRENCIES:
        shown = value if not _CONTROL_LINE.search(value) and len(value) <= 12 else ascii(value[:12])
        raise ValidationError(CURRENCY_INVALID, code="invalid_currency", params={"value": shown})
    return code


def currency_validate(value: str) -> None:
    """Model field validator: the stored code must be an ISO 4217 code, in upper case."""
    if currency_normalise(value) != value:
        raise ValidationError("Write the currency code in upper case, e.g. USD.", code="invalid_currency")


# --- amounts -----------------------------------------------------------------------------

AMOUNT_TOO_LARGE = "Ensure this amount is at most %(max)s."


def amount_validate(value: Decimal) -> None:
    """Raise ``ValidationError`` (code ``amount_too_large``) for an amount of money beyond
    ``INPUT_AMOUNT_MAX`` (at most what NUMERIC(14, 2) holds)."""
    limit = _setting("INPUT_AMOUNT_MAX")
    if value is not None and abs(value) > limit:
        raise ValidationError(AMOUNT_TOO_LARGE, code="amount_too_large", params={"max": f"{limit:,}"})


@deconstructible(path="config.limits.AmountValidator")
class AmountValidator:
    """Model field validator of :func:`amount_validate`."""

    def __call__(self, value: Any) -> None:
        if isinstance(value, Decimal | int | float):
            amount_validate(Decimal(str(value)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AmountValidator)

    def __hash__(self) -> int:
        return hash(AmountValidator)


def percentile_rank(count: int, quantile: float = 0.99) -> int:
    """The 1-based rank, in ascending order, of the nearest-rank ``quantile`` of ``count``
    values (with fewer than 100 values, the 99th percentile is the largest)."""
    return max(1, math.ceil(quantile * count))


def amount_review_ceiling(*, reference_count: int, reference_p99: Decimal | None) -> Decimal:
    """The largest amount that needs no confirmation, given the workspace's other amounts
    of the same kind (their number and nearest-rank 99th percentile):

    * ``INPUT_AMOUNT_REVIEW_ABOVE`` while there are fewer than
      ``INPUT_AMOUNT_REVIEW_MIN_HISTORY`` of them;
    * then ``max(INPUT_AMOUNT_REVIEW_ABOVE, INPUT_AMOUNT_REVIEW_FACTOR × p99)``.

    So nothing at or below ``INPUT_AMOUNT_REVIEW_ABOVE`` ever needs confirming.
    """
    cap = settings.INPUT_AMOUNT_REVIEW_ABOVE
    if reference_p99 is None or reference_count < settings.INPUT_AMOUNT_REVIEW_MIN_HISTORY:
        return cap
    return max(cap, Decimal(str(settings.INPUT_AMOUNT_REVIEW_FACTOR)) * reference_p99)


def amount_review_ceiling_among(*, amounts_sorted: Sequence[Decimal], amount: Decimal) -> Decimal:
    """:func:`amount_review_ceiling` for ``amount``, one of ``amounts_sorted`` (ascending),
    over the others (an import: the stored amounts and the file's)."""
    others = len(amounts_sorted) - 1
    p99 = None
    if others >= settings.INPUT_AMOUNT_REVIEW_MIN_HISTORY:
        rank = percentile_rank(others)
        own = bisect.bisect_right(amounts_sorted, amount) - 1
        p99 = amounts_sorted[rank - 1] if rank - 1 < own else amounts_sorted[rank]
    return amount_review_ceiling(reference_count=others, reference_p99=p99)


# --- JSON bodies ---------------------------------------------------------------------------

#: A JSON string (skipped: brackets inside strings do not nest) or a bracket.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


def json_depth_check(raw: bytes, *, limit: int | None = None) -> int | None:
    """The position (byte offset) where ``raw`` nests deeper than ``limit`` levels
    (``INPUT_JSON_MAX_DEPTH``), or None. Reads the bytes, so a document nested 50,000
    deep is refused without being decoded; the scan stops at the first level too many."""
    limit = settings.INPUT_JSON_MAX_DEPTH if limit is None else limit
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return None  # cannot nest deeper (most bodies): two C-speed counts, no scan
    depth = 0
    for token in _JSON_TOKENS.finditer(raw):
        first = token.group()[0]
        if first in _OPEN:
            depth += 1
            if depth > limit:
                return token.start()
        elif first != 0x22:  # a closing bracket; 0x22 is a string's quote
            depth -= 1
    return None
