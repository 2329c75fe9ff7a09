"""Helpers that write books relative to today (coaching reads complete months before it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from finance.months import add_months, month_start
from tests import factories as f


def month(offset: int) -> dt.date:
    """The first day of the month ``offset`` months before the current one (1 = last month)."""
    return add_months(month_start(timezone.localdate()), -offset)


def book(workspace, amount, *, offset: int, category=None, kind: str = "expense", day: int = 10):
    """One approved transaction of ``amount`` in the month ``offset`` months ago."""
    return f.TransactionFactory(
        workspace=workspace, kind=kind, amount=Decimal(str(amount)), category=category,
        date=month(offset) + dt.timedelta(days=day - 1),
    )


def monthly(workspace, amounts, *, category=None, kind: str = "expense"):
    """``amounts`` oldest first, ending last month (one row per month; zeros skipped)."""
    for i, amount in enumerate(amounts):
        if amount:
            book(workspace, amount, offset=len(amounts) - i, category=category, kind=kind)
