"""Money movements as they read on a bank statement: when they happen (schedules), how
they are described and how much they are (:class:`Stream`), and the rows they give."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from finance.demo.calendar import DemoCalendar
from finance.demo.noise import Rng, lognormal_noise
from finance.models import Transaction
from finance.months import add_months, month_end, month_start


def money_at_least_50_cents(value: float) -> Decimal:
    """``value`` rounded to cents, but never below 0.50: noise or a small share of a slow
    day's revenue can come out at (or under) zero, and a statement line — like the
    ``amount > 0`` constraint of the books — needs a real amount."""
    return Decimal(f"{max(value, 0.5):.2f}")


class _Schedule:
    def counts(self, cal: DemoCalendar, rng: Rng) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Monthly(_Schedule):
    """On ``day`` of the month (-1: the last day), optionally only in ``months``;
    ``workday`` moves a weekend date back to the Friday (payroll)."""

    day: int
    months: tuple[int, ...] | None = None
    workday: bool = False

    def counts(self, cal: DemoCalendar, rng: Rng) -> np.ndarray:
        out = np.zeros(len(cal), dtype=int)
        first = cal.days[0]
        month = month_start(first)
        while month <= cal.days[-1]:
            if self.months is None or month.month in self.months:
                last = month_end(month).day
                day = month.replace(day=last if self.day < 0 else min(self.day, last))
                if self.workday and day.weekday() >= 5:
                    day -= dt.timedelta(days=day.weekday() - 4)
                i = (day - first).days
                if 0 <= i < len(cal):
                    out[i] += 1
            month = add_months(month, 1)
        return out


def Semimonthly() -> _Schedule:  # noqa: N802 - reads like the other schedules
    return _Both(Monthly(15, workday=True), Monthly(-1, workday=True))


@dataclass(frozen=True)
class _Both(_Schedule):
    a: _Schedule
    b: _Schedule

    def counts(self, cal: DemoCalendar, rng: Rng) -> np.ndarray:
        return self.a.counts(cal, rng) + self.b.counts(cal, rng)


@dataclass(frozen=True)
class Weekly(_Schedule):
    """On the given weekdays (Monday = 0), every ``every`` weeks."""

    weekdays: tuple[int, ...]
    every: int = 1

    def counts(self, cal: DemoCalendar, rng: Rng) -> np.ndarray:
        week = (cal.index + cal.days[0].weekday()) // 7
        return (np.isin(cal.weekday, self.weekdays) & (week % self.every == 0)).astype(int)


@dataclass(frozen=True)
class Random(_Schedule):
    """A Poisson number of occurrences a day, shaped by weekday and month."""

    rate: float
    weekdays: tuple[float, ...] | None = None
    months: tuple[float, ...] | None = None

    def counts(self, cal: DemoCalendar, rng: Rng) -> np.ndarray:
        lam = np.full(len(cal), self.rate)
        if self.weekdays is not None:
            lam = lam * np.asarray(self.weekdays)[cal.weekday]
        if self.months is not None:
            lam = lam * np.asarray(self.months)[cal.month - 1]
        return rng.poisson(lam)


WORKDAYS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)
WEEKENDS = (0.7, 0.7, 0.8, 0.9, 1.3, 1.8, 1.5)
EVENINGS_OUT = (0.5, 0.6, 0.7, 0.9, 1.8, 2.0, 1.1)


@dataclass(frozen=True)
class Stream:
    """A kind of money movement: who, how it reads on a statement, when and how much.

    ``template`` and ``merchant`` may use ``{store}`` / ``{STORE}`` (one of ``stores``),
    ``{code}`` (7 random letters/digits), ``{num}`` (6 random digits), ``{n}`` (a running
    number), ``{mm}``, ``{dd}``, ``{yy}``, ``{yymmdd}``.
    """

    category: str
    merchant: str
    template: str
    when: _Schedule
    amount: float
    spread: float = 0.0  # sigma of the multiplicative noise
    kind: str = Transaction.Kind.EXPENSE
    trend: bool = False  # grows with the business (or with prices, for a household)
    escalate: float = 0.0  # yearly step increase (rent, salary raises)
    months: tuple[float, ...] | None = None  # amount factor per month
    share: float = 0.0  # > 0: amount = share × revenue since the previous occurrence
    stores: tuple[str, ...] = ()
    account: str = ""


_ALNUM = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))


def render(text: str, day: dt.date, rng: Rng, values: dict[str, str]) -> str:
    """``text`` with its placeholders (see :class:`Stream`) filled in for ``day``."""
    if "{" not in text:
        return text
    mapping = dict(values)
    mapping.update(mm=f"{day.month:02d}", dd=f"{day.day:02d}", yy=f"{day.year % 100:02d}")
    mapping["yymmdd"] = f"{mapping['yy']}{mapping['mm']}{mapping['dd']}"
    if "{code}" in text:
        mapping["code"] = "".join(rng.choice(_ALNUM, 7))
    if "{num}" in text:
        mapping["num"] = f"{rng.integers(100000, 999999)}"
    return text.format(**mapping)


@dataclass
class BookRow:
    """A line of the generated books, before it becomes a :class:`~finance.models.Transaction`."""

    date: dt.date
    kind: str
    amount: Decimal
    category: str
    merchant: str
    description: str
    account: str


def stream_rows(
    stream: Stream,
    cal: DemoCalendar,
    rng: Rng,
    *,
    growth: float,
    revenue: np.ndarray | None,
    skip: np.ndarray | None,
) -> list[BookRow]:
    """The rows of ``stream`` over the calendar; ``revenue`` (a day's takings) feeds the
    streams that are a ``share`` of it, ``skip`` marks days without any."""
    counts = stream.when.counts(cal, rng)
    if skip is not None:
        counts = np.where(skip, 0, counts)
    trend = (1 + growth) ** cal.t_years if stream.trend else np.ones(len(cal))
    cumulative = np.concatenate([[0.0], np.cumsum(revenue)]) if revenue is not None else None
    counter = int(rng.integers(1000, 9000))
    last = -7
    rows: list[BookRow] = []
    for i in np.flatnonzero(counts):
        day = cal.days[i]
        for _ in range(int(counts[i])):
            if stream.share > 0 and cumulative is not None:
                base = stream.share * (cumulative[i + 1] - cumulative[max(last, -1) + 1])
                last = int(i)
            else:
                base = stream.amount * trend[i]
            if stream.escalate:
                base *= (1 + stream.escalate) ** (day.year - cal.days[0].year)
            if stream.months is not None:
                base *= stream.months[day.month - 1]
            amount = base * lognormal_noise(rng, stream.spread)
            counter += 1
            store = stream.stores[int(rng.integers(len(stream.stores)))] if stream.stores else ""
            values = {"store": store, "STORE": store.upper(), "n": str(counter)}
            rows.append(
                BookRow(
                    date=day,
                    kind=stream.kind,
                    amount=money_at_least_50_cents(amount),
                    category=stream.category,
                    merchant=render(stream.merchant, day, rng, values),
                    description=render(stream.template, day, rng, values)[:255],
                    account=stream.account,
                )
            )
    return rows
