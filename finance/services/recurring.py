"""Recurring bills found in the books (a read: nothing is written).

A bill is a run of approved expenses to one payee in one category — the payee is the
merchant, or the description when there is no merchant, compared without case, digits or
punctuation (so "Rent Dec 2026" and "rent nov 2026" are one payee) — that

* counts at least ``RECURRING_MIN_OCCURRENCES`` payments,
* whose amounts lie within ``RECURRING_AMOUNT_TOLERANCE`` (a fraction) of their median,
* paid at a regular period: every gap between two payments is a week (6–8 days), a month
  (25–35 days) or a year (350–380 days), the same period throughout the run,
* and still running: the next payment is not overdue by more than half a period.

The next date follows the last payment by one period (for a monthly bill, on the day of
the month it is usually paid, clamped to the month's length); the expected amount is the
median of the run's last six payments, in the workspace's currency as every total of the
books (a row written in another currency counts with its amount as it stands, as in the
budgets and the charts). The budget overrun risk
(:func:`forecasting.serving.budgets.budget_rest_after_bills`) counts a bill paid in the
current period as paid, not projected again.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from finance.models import Transaction, Workspace
from finance.months import add_months, month_end, month_start


@dataclass(frozen=True)
class Period:
    name: str
    low: int  # the shortest gap between two payments, in days
    high: int  # the longest
    per_month: Decimal  # payments per month, on average
    grace_days: int  # how late the next payment may be before the bill is taken as stopped


PERIODS = (
    Period("weekly", 6, 8, Decimal(52) / Decimal(12), 4),
    Period("monthly", 25, 35, Decimal(1), 15),
    Period("yearly", 350, 380, Decimal(1) / Decimal(12), 45),
)
#: How far back the books are read: three yearly payments and a little more.
LOOKBACK_DAYS = 3 * 366 + 45
RECENT_AMOUNTS = 6
_CENT = Decimal("0.01")
_NOT_LETTERS = re.compile(r"[^a-z]+")


def payee_key(*, merchant: str, description: str) -> str:
    """The payee a payment is grouped by: the merchant, else the description, in lower case
    without digits or punctuation (dates and invoice numbers differ from month to month)."""
    return " ".join(_NOT_LETTERS.sub(" ", (merchant or description).lower()).split())


def _period_of(gap: int) -> Period | None:
    return next((period for period in PERIODS if period.low <= gap <= period.high), None)


def _add_period(*, period: Period, day: dt.date, anchor: int) -> dt.date:
    """One period after ``day``; a monthly or yearly bill falls on day ``anchor`` of its
    month (clamped to the month's length)."""
    if period.name == "weekly":
        return day + dt.timedelta(days=7)
    month = add_months(day, 12 if period.name == "yearly" else 1)
    return month.replace(day=min(anchor, calendar.monthrange(month.year, month.month)[1]))


def _anchor_day(dates: list[dt.date]) -> int:
    """The day of the month a bill is usually paid on: the latest of the most frequent (a
    bill of the 31st stays one of the month's last day)."""
    counts = Counter(day.day for day in dates)
    return max(day for day, n in counts.items() if n == max(counts.values()))


@dataclass(frozen=True)
class RecurringBill:
    """A bill found in the books, and when it is expected next."""

    payee: str  # as last written (merchant, else description)
    category_id: int | None
    category_name: str
    period: str  # "weekly", "monthly" or "yearly"
    amount: Decimal  # expected: the median of the last payments
    currency: str  # the workspace's, as every total of the books
    occurrences: int
    last_date: dt.date
    next_date: dt.date
    anchor_day: int  # the day of the month a monthly or yearly bill is paid on

    @property
    def monthly_amount(self) -> Decimal:
        """What the bill costs in an average month (weekly × 52/12, yearly ÷ 12)."""
        per_month = next(period.per_month for period in PERIODS if period.name == self.period)
        return (self.amount * per_month).quantize(_CENT, ROUND_HALF_UP)

    def due_dates(self, *, until: dt.date) -> list[dt.date]:
        """The payments still expected from the next date up to ``until`` (inclusive)."""
        period = next(p for p in PERIODS if p.name == self.period)
        dates, day = [], self.next_date
        while day <= until:
            dates.append(day)
            day = _add_period(period=period, day=day, anchor=self.anchor_day)
        return dates

    def paid_in_month(self, *, today: dt.date) -> bool:
        """Whether the bill was paid in the month of ``today`` (up to today)."""
        return month_start(today) <= self.last_date <= today

    def due_this_month(self, *, today: dt.date) -> Decimal:
        """What is still to pay of the bill by the end of the month of ``today`` (a payment
        already late this month included): its expected amount once per due date."""
        return self.amount * len(self.due_dates(until=month_end(today)))


def _bill_of(rows: list[tuple], *, today: dt.date, currency: str) -> RecurringBill | None:
    """The bill of one payee's payments (oldest first), or ``None`` when they are not one."""
    tolerance = Decimal(str(settings.RECURRING_AMOUNT_TOLERANCE))
    reference = statistics.median(row[1] for row in rows[-RECENT_AMOUNTS:])
    similar = [row for row in rows if abs(row[1] - reference) <= tolerance * reference]
    if len(similar) < settings.RECURRING_MIN_OCCURRENCES:
        return None
    period = _period_of((similar[-1][0] - similar[-2][0]).days)
    if period is None:
        return None
    run = [similar[-1]]
    for row in reversed(similar[:-1]):
        if _period_of((run[-1][0] - row[0]).days) != period:
            break
        run.append(row)
    run.reverse()
    amounts = [row[1] for row in run]
    median = statistics.median(amounts)
    if len(run) < settings.RECURRING_MIN_OCCURRENCES or any(abs(a - median) > tolerance * median for a in amounts):
        return None
    dates = [row[0] for row in run]
    anchor = _anchor_day(dates)
    next_date = _add_period(period=period, day=dates[-1], anchor=anchor)
    if today > next_date + dt.timedelta(days=period.grace_days):
        return None  # stopped
    _, _, merchant, description, category_id, category_name = run[-1]
    return RecurringBill(
        payee=merchant or description, category_id=category_id, category_name=category_name or "",
        period=period.name, amount=Decimal(statistics.median(amounts[-RECENT_AMOUNTS:])).quantize(_CENT, ROUND_HALF_UP),
        currency=currency, occurrences=len(run), last_date=dates[-1], next_date=next_date,
        anchor_day=anchor,
    )


def recurring_bills_detect(*, workspace: Workspace, today: dt.date) -> list[RecurringBill]:
    """The workspace's recurring bills as of ``today`` (see the module docstring), by next
    date and payee. One query: the approved expenses of the last :data:`LOOKBACK_DAYS`."""
    rows = (
        Transaction.objects.filter(
            workspace=workspace, kind=Transaction.Kind.EXPENSE, status=Transaction.Status.APPROVED,
            date__gte=today - dt.timedelta(days=LOOKBACK_DAYS), date__lte=today,
        )
        .order_by("date", "pk")
        .values_list("date", "amount", "merchant", "description", "category_id", "category__name")
    )
    payees: dict[tuple[str, int | None], list[tuple]] = defaultdict(list)
    for row in rows:
        key = payee_key(merchant=row[2], description=row[3])
        if key:
            payees[key, row[4]].append(row)
    bills = [
        bill for found in payees.values()
        if (bill := _bill_of(found, today=today, currency=workspace.currency)) is not None
    ]
    return sorted(bills, key=lambda bill: (bill.next_date, bill.payee.lower()))


def recurring_bills_by_category(bills: list[RecurringBill]) -> dict[int | None, list[RecurringBill]]:
    """``{category id: its bills}`` (uncategorised bills under ``None``)."""
    grouped: dict[int | None, list[RecurringBill]] = defaultdict(list)
    for bill in bills:
        grouped[bill.category_id].append(bill)
    return dict(grouped)
