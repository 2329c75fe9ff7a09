"""Recurring bills found in the books (a read: nothing is written).

A bill is a run of approved expenses to one payee in one category — the payee is the
merchant, or the description when there is no merchant, compared without case, digits or
punctuation (so "Rent Dec 2026" and "rent nov 2026" are one payee) — that

* counts at least ``RECURRING_MIN_OCCURRENCES`` payments,
* whose amounts lie within ``RECURRING_AMOUNT_TOLERANCE`` (a fraction) of their median,
* paid at a regular period: every gap between two payments is a week (6–8 days), half a
  month (11–19 days), a month (25–35 days) or a year (350–380 days), the same period
  throughout the run,
* and still running: the next payment is not overdue by more than half a period.

Half a month is payroll's rhythm: twice a month on two days of the month (``semimonthly``:
the 15th and the last day, a weekend payment moved to the Friday before), or every other
week (``biweekly``: the run's payments 14 days apart on average, under 14.5).

The next date follows the last payment by one period (for a monthly bill, on the day of
the month it is usually paid, clamped to the month's length; for a semimonthly one, the
first of its two days at least a week after the last payment); the expected amount is the
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
    Period("semimonthly", 11, 19, Decimal(2), 8),  # 15th → 26th (a Sunday the 28th moved to Friday) is 11
    Period("monthly", 25, 35, Decimal(1), 15),
    Period("yearly", 350, 380, Decimal(1) / Decimal(12), 45),
)
#: a half-month run whose payments are 14 days apart on average (gaps are read as PERIODS only)
BIWEEKLY = Period("biweekly", 13, 15, Decimal(26) / Decimal(12), 7)
BIWEEKLY_MEAN_GAP = 14.5
_BY_NAME = {period.name: period for period in (*PERIODS, BIWEEKLY)}
#: the periods as choices (the API's)
BILL_PERIOD_CHOICES = [("weekly", "Weekly"), ("biweekly", "Every other week"), ("semimonthly", "Twice a month"),
                       ("monthly", "Monthly"), ("yearly", "Yearly")]
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


def _on_day(month: dt.date, day: int) -> dt.date:
    """Day ``day`` of ``month``'s month, clamped to its length."""
    return month.replace(day=min(day, calendar.monthrange(month.year, month.month)[1]))


def _add_period(*, period: Period, day: dt.date, anchor: int, first: int = 0) -> dt.date:
    """One period after ``day``; a monthly or yearly bill falls on day ``anchor`` of its
    month (clamped to the month's length); a semimonthly one on day ``first`` or ``anchor``,
    whichever comes first a week or more after ``day`` (a payment moved to the Friday
    before its day still leads to the other day, not to its own)."""
    if period.name in ("weekly", "biweekly"):
        return day + dt.timedelta(days=7 if period.name == "weekly" else 14)
    if period.name == "semimonthly":
        soonest = day + dt.timedelta(days=7)
        month = month_start(soonest)
        return min(d for d in (_on_day(month, first), _on_day(month, anchor), _on_day(add_months(month, 1), first))
                   if d >= soonest)
    month = add_months(day, 12 if period.name == "yearly" else 1)
    return _on_day(month, anchor)


def _anchor_day(dates: list[dt.date]) -> int:
    """The day of the month a bill is usually paid on: the latest of the most frequent (a
    bill of the 31st stays one of the month's last day)."""
    counts = Counter(day.day for day in dates)
    return max(day for day, n in counts.items() if n == max(counts.values()))


PERIOD_LABELS = {"weekly": "weekly", "biweekly": "every other week", "semimonthly": "twice a month",
                 "monthly": "monthly", "yearly": "yearly"}


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@dataclass(frozen=True)
class RecurringBill:
    """A bill found in the books, and when it is expected next."""

    payee: str  # as last written (merchant, else description)
    category_id: int | None
    category_name: str
    period: str  # "weekly", "biweekly", "semimonthly", "monthly" or "yearly"
    amount: Decimal  # expected: the median of the last payments
    currency: str  # the workspace's, as every total of the books
    occurrences: int
    last_date: dt.date
    next_date: dt.date
    anchor_day: int  # the day of the month a monthly or yearly bill is paid on (semimonthly: the later)
    first_day: int = 0  # a semimonthly bill's earlier day of the month (0 for the others)

    @property
    def period_label(self) -> str:
        """How a page says the period: "every other week", "twice a month (15th and last day)"..."""
        if self.period == "semimonthly":
            later = "last day" if self.anchor_day >= 31 else _ordinal(self.anchor_day)
            return f"twice a month ({_ordinal(self.first_day)} and {later})"
        return PERIOD_LABELS[self.period]

    @property
    def monthly_amount(self) -> Decimal:
        """What the bill costs in an average month (weekly × 52/12, biweekly × 26/12,
        semimonthly × 2, yearly ÷ 12)."""
        return (self.amount * _BY_NAME[self.period].per_month).quantize(_CENT, ROUND_HALF_UP)

    def due_dates(self, *, until: dt.date) -> list[dt.date]:
        """The payments still expected from the next date up to ``until`` (inclusive)."""
        period = _BY_NAME[self.period]
        dates, day = [], self.next_date
        while day <= until:
            dates.append(day)
            day = _add_period(period=period, day=day, anchor=self.anchor_day, first=self.first_day)
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
    anchor, first = _anchor_day(dates), 0
    if period.name == "semimonthly":
        if (dates[-1] - dates[0]).days / (len(dates) - 1) < BIWEEKLY_MEAN_GAP:
            period = BIWEEKLY
        else:  # the payments alternate between the month's two days
            first, anchor = sorted((_anchor_day(dates[-1::-2]), _anchor_day(dates[-2::-2])))
    next_date = _add_period(period=period, day=dates[-1], anchor=anchor, first=first)
    if today > next_date + dt.timedelta(days=period.grace_days):
        return None  # stopped
    _, _, merchant, description, category_id, category_name = run[-1]
    return RecurringBill(
        payee=merchant or description, category_id=category_id, category_name=category_name or "",
        period=period.name, amount=Decimal(statistics.median(amounts[-RECENT_AMOUNTS:])).quantize(_CENT, ROUND_HALF_UP),
        currency=currency, occurrences=len(run), last_date=dates[-1], next_date=next_date,
        anchor_day=anchor, first_day=first,
    )


def _payees(*, workspace: Workspace, today: dt.date) -> dict[tuple[str, int | None], list[tuple]]:
    """The approved expenses of the :data:`LOOKBACK_DAYS` up to ``today``, oldest first,
    grouped by payee (:func:`payee_key`) and category. One query."""
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
    return payees


def recurring_bill_payments(*, workspace: Workspace, today: dt.date) -> dict[RecurringBill, list[tuple[dt.date, Decimal]]]:
    """The bills :func:`recurring_bills_detect` finds on ``today`` (in its order), each with
    its payee's payments ``[(date, amount), ...]``, oldest first, over the window it reads.
    All of the payee's payments in the bill's category, not only the run the bill was found
    in: a forecast that takes a bill's payments out of a series (coaching's spending
    predictions) must take out its older amounts too (before a rent rise), or the series
    would keep lumps the bill already accounts for. One query."""
    found = []
    for rows in _payees(workspace=workspace, today=today).values():
        bill = _bill_of(rows, today=today, currency=workspace.currency)
        if bill is not None:
            found.append((bill, [(row[0], row[1]) for row in rows]))
    return dict(sorted(found, key=lambda pair: (pair[0].next_date, pair[0].payee.lower())))


def recurring_bills_detect(*, workspace: Workspace, today: dt.date) -> list[RecurringBill]:
    """The workspace's recurring bills as of ``today`` (see the module docstring), by next
    date and payee. One query: the approved expenses of the last :data:`LOOKBACK_DAYS`."""
    return list(recurring_bill_payments(workspace=workspace, today=today))


def recurring_bills_by_category(bills: list[RecurringBill]) -> dict[int | None, list[RecurringBill]]:
    """``{category id: its bills}`` (uncategorised bills under ``None``)."""
    grouped: dict[int | None, list[RecurringBill]] = defaultdict(list)
    for bill in bills:
        grouped[bill.category_id].append(bill)
    return dict(grouped)
