"""The workspace's recurring bills in the engine's spending forecasts (:mod:`coaching.services.spending`).

Weekly spending is lumpy: rent or a mortgage on the 1st lands in one week of four or five,
payroll in two, and the engine's baselines (naive, seasonal naive, linear trend) know nothing of the day of
the month. The bills are known, though (:func:`finance.services.recurring.recurring_bills_detect`),
so a series is forecast in two parts:

* **the rest** — the series without its bills' payments (each past period less what the
  bills' payees were paid in it), raced by the engine as before;
* **the bills** — in each period forecast, the bills due in it: projected from each bill's
  next date by its period (a monthly one on its day of the month, clamped to the month's
  length); in the period in progress, what the bills were already paid in it so far, and a
  bill paid this period is not projected again (its next date is past the period: the
  budgets' rule, :func:`forecasting.serving.budgets.budget_rest_after_bills`).

The forecast is their sum; its bands are the rest's bands shifted by the bills (a known bill
is no uncertainty). The total takes the bills, a category its own. Which bills are split out
(:data:`SPLIT_PERIODS`), decided on ``benchmarks/coaching/bench_predictions.py``:

* weekly forecasts: the bills paid every other week, twice a month, monthly or yearly — they
  make weeks uneven. A weekly bill is paid in every week: it is a steady part of the series
  that the race already follows, trend included.
* monthly forecasts: the yearly bills only (one month in twelve). A weekly bill makes months
  uneven too (four or five Tuesdays), but on the demo books counting it made the monthly
  total worse: those weekly payments follow the business's seasons, which the race of the
  whole series follows better than a bill's recent median does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from coaching.services.prediction_cache import prediction_cached
from finance.models import Workspace
from finance.services.recurring import (
    RecurringBill,
    recurring_bill_payments,
)
from forecasting.series.frequency import Frequency

#: the bill periods taken out of a series of each frequency (see the module docstring)
SPLIT_PERIODS = {Frequency.WEEKLY.value: ("biweekly", "semimonthly", "monthly", "yearly"),
                 Frequency.MONTHLY.value: ("yearly",)}


@dataclass(frozen=True)
class SeriesBills:
    """The bills of one series: their payments in each complete period of the books and what
    they add to each period forecast."""

    bills: list[RecurringBill]
    history: np.ndarray  # paid per complete period (aligned with the books' dates)
    scheduled: list[float]  # per period forecast: paid so far (the current one) + due

    def rest(self, values: np.ndarray) -> np.ndarray:
        """``values`` (the last ``len(values)`` complete periods) without the bills' payments."""
        if not len(values):
            return values
        return np.maximum(values - self.history[-len(values):], 0.0)

    def listed(self) -> list[dict[str, Any]]:
        """The bills as the answer lists them."""
        return [{"payee": bill.payee, "period": bill.period, "amount": float(bill.amount), "next_date": bill.next_date}
                for bill in self.bills]


def bill_payments_read(*, workspace: Workspace, as_of: dt.date) -> dict[RecurringBill, list[tuple[dt.date, Any]]]:
    """The workspace's recurring bills with their payments as known on ``as_of``
    (:func:`finance.services.recurring.recurring_bill_payments`), read once per state of
    the books: the Coaching page's weekly and monthly forecasts and its budget risks all
    need them (about 30 ms a read on three years of books), and the coaching cache forgets
    them when the books change."""
    return prediction_cached(kind="recurring_bills", workspace_id=workspace.pk, user_id=None,
                             params={"as_of": as_of.isoformat()},
                             compute=lambda: recurring_bill_payments(workspace=workspace, today=as_of))


def spending_bills(
    *, workspace: Workspace, frequency: str, history: list[dt.date], dates: list[dt.date], as_of: dt.date,
    series: dict[str, int | None],
) -> dict[str, SeriesBills]:
    """``{target: SeriesBills}`` for each series of ``series`` (``{target: category id}``,
    ``None`` for the total) that has bills to split out, as known on ``as_of``: the bills
    detected then and their payments up to then (over the detector's window, which covers
    the books' three years). ``history``: the starts of the books' complete periods;
    ``dates``: of the periods forecast, the current one first. One query."""
    freq = Frequency(frequency)
    payments = {bill: paid for bill, paid in bill_payments_read(workspace=workspace, as_of=as_of).items()
                if bill.period in SPLIT_PERIODS[freq.value]}
    bills = list(payments)
    if not bills or not dates:
        return {}
    past_at = {d: i for i, d in enumerate(history)}
    ahead_at = {d: i for i, d in enumerate(dates)}
    current, end = dates[0], freq.add(dates[-1], 1) - dt.timedelta(days=1)
    each: dict[RecurringBill, tuple[np.ndarray, np.ndarray]] = {}
    for bill in bills:
        past, ahead = np.zeros(len(history)), np.zeros(len(dates))
        for day, amount in payments[bill]:
            start = freq.period_start(day)
            if start in past_at:
                past[past_at[start]] += float(amount)
            elif start == current:
                ahead[0] += float(amount)  # paid this period so far: its next date is past it
        for day in bill.due_dates(until=end):
            ahead[ahead_at[max(freq.period_start(day), current)]] += float(bill.amount)  # late: due now
        each[bill] = (past, ahead)
    out = {}
    for target, category_id in series.items():
        mine = [bill for bill in bills if category_id is None or bill.category_id == category_id]
        if mine:
            out[target] = SeriesBills(
                bills=mine, history=np.sum([each[bill][0] for bill in mine], axis=0),
                scheduled=[round(float(v), 2) for v in np.sum([each[bill][1] for bill in mine], axis=0)],
            )
    return out
