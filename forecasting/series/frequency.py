"""The granularities a forecast series comes in (daily, weekly, monthly) and all that
differs between them: the pandas alias, the default horizon, the season length, where a
period starts and how periods are stepped.

A period is named by its first day: a day, the Monday of an ISO week, the first of a
month (what the database's ``Trunc*`` functions answer). Month arithmetic is
:mod:`finance.months`'s. The engine (:mod:`forecasting.engine`, no Django) keeps its own
pure calendars.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models.functions import Trunc, TruncDay, TruncMonth, TruncWeek

from finance.months import add_months, month_start


@dataclass(frozen=True)
class _Granularity:
    pandas_alias: str
    default_horizon: int
    season_length: int
    trunc: type[Trunc]


class Frequency(models.TextChoices):
    """The period of a series, and of a model trained on it (``ModelVersion.frequency``)."""

    DAILY = "D", "Daily"
    WEEKLY = "W", "Weekly"
    MONTHLY = "M", "Monthly"

    @classmethod
    def of(cls, code: str | None) -> Frequency:
        """The frequency ``code`` names. A blank code reads as monthly: classifier versions
        have no frequency, and every forecast was monthly before models recorded one.
        An unknown code raises ``ValueError``."""
        if not code:
            return cls.MONTHLY
        try:
            return cls(code)
        except ValueError:
            raise ValueError(f"Unknown frequency '{code}'; use D, W or M.") from None

    @property
    def _spec(self) -> _Granularity:
        return _GRANULARITIES[self]

    @property
    def pandas_alias(self) -> str:
        """The pandas offset alias of the period starts (``MS``, ``W-MON``, ``D``)."""
        return self._spec.pandas_alias

    @property
    def default_horizon(self) -> int:
        """Periods forecast when a training does not ask for a horizon."""
        return self._spec.default_horizon

    @property
    def season_length(self) -> int:
        """Periods in one season (a week of days, a year of weeks or months)."""
        return self._spec.season_length

    def truncate(self, field: str) -> Trunc:
        """The database expression of the period start of ``field`` (a date column)."""
        return self._spec.trunc(field)

    def period_start(self, day: dt.date) -> dt.date:
        """The first day of the period that holds ``day``."""
        if self is Frequency.MONTHLY:
            return month_start(day)
        if self is Frequency.WEEKLY:
            return day - dt.timedelta(days=day.weekday())
        return day

    def add(self, day: dt.date, count: int) -> dt.date:
        """The start of the period ``count`` periods after the one holding ``day`` (before
        it when ``count`` is negative)."""
        start = self.period_start(day)
        if self is Frequency.MONTHLY:
            return add_months(start, count)
        return start + dt.timedelta(days=count * (7 if self is Frequency.WEEKLY else 1))

    def periods_between(self, first: dt.date, last: dt.date) -> int:
        """How many periods the period of ``last`` comes after the period of ``first``
        (negative when it comes before)."""
        a, b = self.period_start(first), self.period_start(last)
        if self is Frequency.MONTHLY:
            return (b.year - a.year) * 12 + b.month - a.month
        return (b - a).days // (7 if self is Frequency.WEEKLY else 1)

    def dates_after(self, last: dt.date, periods: int) -> list[dt.date]:
        """The starts of the ``periods`` periods that follow the period of ``last``."""
        return [self.add(last, i) for i in range(1, periods + 1)]

    def dates_between(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The starts of every period from the one holding ``first`` to the one holding
        ``last``, both included (empty when ``last`` comes first)."""
        return [self.add(first, i) for i in range(self.periods_between(first, last) + 1)]


_GRANULARITIES: dict[Frequency, _Granularity] = {
    Frequency.DAILY: _Granularity(pandas_alias="D", default_horizon=30, season_length=7, trunc=TruncDay),
    Frequency.WEEKLY: _Granularity(pandas_alias="W-MON", default_horizon=12, season_length=52, trunc=TruncWeek),
    Frequency.MONTHLY: _Granularity(pandas_alias="MS", default_horizon=6, season_length=12, trunc=TruncMonth),
}

#: The order in which a reader that shows one forecaster per target picks among the
#: deployed versions of the target's frequencies: monthly first (what every page and
#: client read before a target could have one deployed model per frequency).
PREFERENCE: tuple[Frequency, ...] = (Frequency.MONTHLY, Frequency.WEEKLY, Frequency.DAILY)


def preference_rank(frequencies: tuple[str, ...] = PREFERENCE, *, field: str = "frequency") -> models.Case:
    """An ``order_by`` expression that puts ``field`` in the order of ``frequencies``
    (anything else, a classifier's blank frequency included, last)."""
    return models.Case(
        *(models.When(**{field: code}, then=models.Value(rank)) for rank, code in enumerate(frequencies)),
        default=models.Value(len(frequencies)),
    )
