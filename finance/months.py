"""Calendar months as their first days: the one copy of the month arithmetic that the
books, the forecasts and coaching share."""

from __future__ import annotations

import calendar
import datetime as dt


def month_start(day: dt.date) -> dt.date:
    """The first day of the month of ``day``."""
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of the month of ``day``."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after the month of ``month`` (before it
    when ``count`` is negative)."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)
