"""The days of the demo books: the period, the calendar with its holidays, and the
seasonal shapes laid over it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from dateutil.easter import easter

from finance.months import add_months, month_end, month_start


def demo_period(*, end_date: dt.date, years: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the demo books.

    The history starts on the first day of a month, ``years`` years and one month before
    ``end_date``'s month: always more than ``years`` × 365 trading days even after the
    days the businesses are closed, and whole months for the monthly series.
    """
    start = add_months(month_start(end_date), -(12 * years + 1))
    return start, end_date


def months_later(day: dt.date, count: int) -> dt.date:
    """The same day of the month ``count`` months after ``day``, or the last day of that
    month when it is shorter (31 January + 1 → 28 or 29 February)."""
    month = add_months(day, count)
    return month.replace(day=min(day.day, month_end(month).day))


@dataclass(frozen=True)
class DemoCalendar:
    days: list[dt.date]
    index: np.ndarray  # 0..n-1
    year: np.ndarray
    month: np.ndarray
    dom: np.ndarray
    weekday: np.ndarray  # Monday = 0
    doy: np.ndarray
    t_years: np.ndarray  # years since the start
    holidays: dict[dt.date, str]
    closed: np.ndarray  # businesses closed (25 December, 1 January)

    @classmethod
    def build(cls, start: dt.date, end: dt.date) -> DemoCalendar:
        n = (end - start).days + 1
        days = [start + dt.timedelta(days=i) for i in range(n)]
        holidays: dict[dt.date, str] = {}
        for year in range(start.year, end.year + 1):
            holidays.update(_holidays(year))
        return cls(
            days=days,
            index=np.arange(n),
            year=np.array([d.year for d in days]),
            month=np.array([d.month for d in days]),
            dom=np.array([d.day for d in days]),
            weekday=np.array([d.weekday() for d in days]),
            doy=np.array([d.timetuple().tm_yday for d in days]),
            t_years=np.arange(n) / 365.25,
            holidays=holidays,
            closed=np.array([holidays.get(d) in ("new_years_day", "christmas") for d in days]),
        )

    def __len__(self) -> int:
        return len(self.days)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 = last) given weekday of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = month_end(dt.date(year, month, 1))
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _holidays(year: int) -> dict[dt.date, str]:
    """The (US) days that move a shop's takings."""
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return {
        dt.date(year, 1, 1): "new_years_day",
        dt.date(year, 2, 14): "valentines",
        easter(year) - dt.timedelta(days=1): "easter_saturday",
        _nth_weekday(year, 5, 6, 2): "mothers_day",
        _nth_weekday(year, 5, 0, -1): "memorial_day",
        dt.date(year, 7, 4): "july_4",
        _nth_weekday(year, 9, 0, 1): "labor_day",
        thanksgiving - dt.timedelta(days=1): "thanksgiving_eve",
        thanksgiving: "thanksgiving",
        thanksgiving + dt.timedelta(days=1): "black_friday",
        thanksgiving + dt.timedelta(days=4): "cyber_monday",
        dt.date(year, 12, 24): "christmas_eve",
        dt.date(year, 12, 25): "christmas",
        dt.date(year, 12, 31): "new_years_eve",
    }


# --- seasonal shapes ----------------------------------------------------------------------


def by_month(default: float = 1.0, **factors: float) -> tuple[float, ...]:
    """Twelve monthly factors: ``by_month(nov=1.5, dec=2.0)``."""
    names = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    return tuple(factors.get(name, default) for name in names)


def yearly_profile(cal: DemoCalendar, months: Sequence[float]) -> np.ndarray:
    """Monthly factors interpolated smoothly over the day of the year."""
    mid = np.array([15.5 + 30.44 * i for i in range(12)])
    xs = np.concatenate([[mid[-1] - 365.25], mid, [mid[0] + 365.25]])
    ys = np.concatenate([[months[-1]], months, [months[0]]])
    return np.interp(cal.doy, xs, ys)


def seasonal_peak(cal: DemoCalendar, peak_doy: int | None, kappa: float, floor: float) -> np.ndarray:
    """A bump around ``peak_doy`` (von Mises shape, width 1/kappa), mean 1 over a year."""
    if peak_doy is None or kappa <= 0:
        return np.ones(len(cal))

    def shape(doy: np.ndarray) -> np.ndarray:
        bump = np.exp(kappa * (np.cos(2 * np.pi * (doy - peak_doy) / 365.25) - 1))
        return floor + (1 - floor) * bump

    return shape(cal.doy) / shape(np.arange(1, 366)).mean()
