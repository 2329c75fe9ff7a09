"""Realistic, deterministic demo data: two businesses and a household with years of books.

:func:`demo_data_seed` replaces every ``is_demo`` workspace with freshly generated ones
inside one database transaction, so running it twice leaves the same state. Everything
random comes from numpy generators seeded with ``seed`` (one independent stream per
component), so the same seed and end date give identical rows and another seed gives
other rows.

What is generated, per workspace:

* daily revenue with an upward trend, yearly and weekly seasonality, holidays (Black
  Friday, the Christmas run-up, closed on 25 December and 1 January, a summer dip for
  the bakery and a spring/summer peak for the hardware store) and autocorrelated noise;
* expenses in 13-14 categories: recurring bills (rent on the 1st, payroll on the 15th
  and the last working day, subscriptions, insurance) and variable spending, with
  merchant-like descriptions that repeat with small variations;
* for the businesses: products with their own seasonal demand, two warehouses, daily
  sales (Poisson counts, a day without sales has no row), stock levels and suppliers;
* budgets for the main expense categories, goals with deadlines and progress;
* the users of the demo, with their personas.

Behavioural events are the coaching app's part (:mod:`coaching.services.demo`), which
runs this seed first: ``finance`` imports nothing from the other apps.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from dateutil.easter import easter
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from finance.models import (
    Budget,
    Category,
    Goal,
    Membership,
    Product,
    Sale,
    StockLevel,
    Supplier,
    Transaction,
    Warehouse,
    Workspace,
)
from finance.signals import rows_imported

BATCH_SIZE = 2000
CENT = Decimal("0.01")
UNCATEGORISED_SHARE = 0.05  # of the rows of the last UNCATEGORISED_DAYS
UNCATEGORISED_DAYS = 28
PENDING_DAYS = 3  # the rows of the last days are not cleared yet

Rng = np.random.Generator


class DemoSeedError(Exception):
    """The demo data cannot be written (e.g. a real workspace holds a demo slug)."""


# --- the summary ------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceSummary:
    slug: str
    name: str
    kind: str
    transactions: int
    sales: int


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str | None  # None: a persona without a usable password (cannot log in)
    persona: str
    is_staff: bool = False
    is_superuser: bool = False
    roles: dict[str, str] = field(default_factory=dict)  # workspace slug -> role
    activity: dict[str, float] = field(default_factory=dict)  # workspace slug -> share of sessions


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`demo_data_seed` wrote."""

    seed: int
    start_date: dt.date
    end_date: dt.date
    workspaces: tuple[WorkspaceSummary, ...]
    users: tuple[str, ...]
    categories: int
    transactions: int
    products: int
    warehouses: int
    stock_levels: int
    suppliers: int
    sales: int
    budgets: int
    goals: int
    #: behavioural events, filled in by the coaching app's part of the demo seed
    events: int = 0

    def lines(self) -> list[str]:
        out = [
            f"Demo data (seed {self.seed}) from {self.start_date} to {self.end_date}:",
        ]
        for ws in self.workspaces:
            out.append(
                f"  {ws.name} [{ws.slug}, {ws.kind}]: {ws.transactions} transactions, {ws.sales} sales rows"
            )
        out.append(
            f"  {self.categories} categories, {self.transactions} transactions, {self.products} products, "
            f"{self.warehouses} warehouses, {self.stock_levels} stock levels, {self.suppliers} suppliers, "
            f"{self.sales} sales rows, {self.budgets} budgets, {self.goals} goals, {self.events} events"
        )
        return out


# --- randomness and the calendar ---------------------------------------------------------


def _rng(seed: int, *keys: str) -> Rng:
    """An independent generator per component, stable when other components change."""
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in keys)])


def _lognormal(rng: Rng, sigma: float, size: int | None = None) -> Any:
    """Multiplicative noise with mean 1."""
    if sigma <= 0:
        return np.ones(size) if size is not None else 1.0
    return rng.lognormal(-(sigma**2) / 2, sigma, size)


def _money(value: float) -> Decimal:
    return Decimal(f"{max(value, 0.5):.2f}")


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def demo_period(*, end_date: dt.date, years: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the demo books.

    The history starts on the first day of a month, ``years`` years and one month before
    ``end_date``'s month: always more than ``years`` × 365 trading days even after the
    days the businesses are closed, and whole months for the monthly series.
    """
    start = _add_months(end_date.replace(day=1), -(12 * years + 1))
    return start, end_date


@dataclass(frozen=True)
class _Calendar:
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
    def build(cls, start: dt.date, end: dt.date) -> _Calendar:
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
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
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


def _months(default: float = 1.0, **factors: float) -> tuple[float, ...]:
    """Twelve monthly factors: ``_months(nov=1.5, dec=2.0)``."""
    names = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    return tuple(factors.get(name, default) for name in names)


def _yearly_profile(cal: _Calendar, months: Sequence[float]) -> np.ndarray:
    """Monthly factors interpolated smoothly over the day of the year."""
    mid = np.array([15.5 + 30.44 * i for i in range(12)])
    xs = np.concatenate([[mid[-1] - 365.25], mid, [mid[0] + 365.25]])
    ys = np.concatenate([[months[-1]], months, [months[0]]])
    return np.interp(cal.doy, xs, ys)


def _seasonal_peak(cal: _Calendar, peak_doy: int | None, kappa: float, floor: float) -> np.ndarray:
    """A bump around ``peak_doy`` (von Mises shape, width 1/kappa), mean 1 over a year."""
    if peak_doy is None or kappa <= 0:
        return np.ones(len(cal))

    def shape(doy: np.ndarray) -> np.ndarray:
        bump = np.exp(kappa * (np.cos(2 * np.pi * (doy - peak_doy) / 365.25) - 1))
        return floor + (1 - floor) * bump

    return shape(cal.doy) / shape(np.arange(1, 366)).mean()


def _ar1_noise(rng: Rng, n: int, sigma: float, phi: float = 0.5) -> np.ndarray:
    """Multiplicative day-to-day noise with some persistence (a rainy week)."""
    shocks = rng.normal(0, sigma * math.sqrt(1 - phi**2), n)
    level = np.empty(n)
    level[0] = rng.normal(0, sigma)
    for i in range(1, n):
        level[i] = phi * level[i - 1] + shocks[i]
    return np.exp(level - sigma**2 / 2)


# --- schedules of recurring and random money streams --------------------------------------


class _Schedule:
    def counts(self, cal: _Calendar, rng: Rng) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Monthly(_Schedule):
    """On ``day`` of the month (-1: the last day), optionally only in ``months``;
    ``workday`` moves a weekend date back to the Friday (payroll)."""

    day: int
    months: tuple[int, ...] | None = None
    workday: bool = False

    def counts(self, cal: _Calendar, rng: Rng) -> np.ndarray:
        out = np.zeros(len(cal), dtype=int)
        first = cal.days[0]
        year, month = first.year, first.month
        while dt.date(year, month, 1) <= cal.days[-1]:
            if self.months is None or month in self.months:
                last = calendar.monthrange(year, month)[1]
                day = dt.date(year, month, last if self.day < 0 else min(self.day, last))
                if self.workday and day.weekday() >= 5:
                    day -= dt.timedelta(days=day.weekday() - 4)
                i = (day - first).days
                if 0 <= i < len(cal):
                    out[i] += 1
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


def Semimonthly() -> _Schedule:  # noqa: N802 - reads like the other schedules
    return _Both(Monthly(15, workday=True), Monthly(-1, workday=True))


@dataclass(frozen=True)
class _Both(_Schedule):
    a: _Schedule
    b: _Schedule

    def counts(self, cal: _Calendar, rng: Rng) -> np.ndarray:
        return self.a.counts(cal, rng) + self.b.counts(cal, rng)


@dataclass(frozen=True)
class Weekly(_Schedule):
    """On the given weekdays (Monday = 0), every ``every`` weeks."""

    weekdays: tuple[int, ...]
    every: int = 1

    def counts(self, cal: _Calendar, rng: Rng) -> np.ndarray:
        week = (cal.index + cal.days[0].weekday()) // 7
        return (np.isin(cal.weekday, self.weekdays) & (week % self.every == 0)).astype(int)


@dataclass(frozen=True)
class Random(_Schedule):
    """A Poisson number of occurrences a day, shaped by weekday and month."""

    rate: float
    weekdays: tuple[float, ...] | None = None
    months: tuple[float, ...] | None = None

    def counts(self, cal: _Calendar, rng: Rng) -> np.ndarray:
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


def _render(text: str, day: dt.date, rng: Rng, values: dict[str, str]) -> str:
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
class _Row:
    date: dt.date
    kind: str
    amount: Decimal
    category: str
    merchant: str
    description: str
    account: str


def _stream_rows(
    stream: Stream,
    cal: _Calendar,
    rng: Rng,
    *,
    growth: float,
    revenue: np.ndarray | None,
    skip: np.ndarray | None,
) -> list[_Row]:
    counts = stream.when.counts(cal, rng)
    if skip is not None:
        counts = np.where(skip, 0, counts)
    trend = (1 + growth) ** cal.t_years if stream.trend else np.ones(len(cal))
    cumulative = np.concatenate([[0.0], np.cumsum(revenue)]) if revenue is not None else None
    counter = int(rng.integers(1000, 9000))
    last = -7
    rows: list[_Row] = []
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
            amount = base * _lognormal(rng, stream.spread)
            counter += 1
            store = stream.stores[int(rng.integers(len(stream.stores)))] if stream.stores else ""
            values = {"store": store, "STORE": store.upper(), "n": str(counter)}
            rows.append(
                _Row(
                    date=day,
                    kind=stream.kind,
                    amount=_money(amount),
                    category=stream.category,
                    merchant=_render(stream.merchant, day, rng, values),
                    description=_render(stream.template, day, rng, values)[:255],
                    account=stream.account,
                )
            )
    return rows


# --- what the businesses sell ---------------------------------------------------------------


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    category: str
    cost: float
    price: float
    supplier: int  # index into the business's suppliers
    per_day: float  # mean units a day over a year, at the start of the history
    peak_doy: int | None = None  # the day of the year demand peaks
    kappa: float = 0.0  # how sharp the peak is (0: no yearly season)
    floor: float = 1.0  # off-season demand relative to the peak shape
    weekend: float = 1.0  # extra factor on Saturday and Sunday
    holidays: dict[str, float] = field(default_factory=dict)  # extra factors on named days
    cover_days: float = 30  # typical days of demand kept in stock (fresh bread: one or two)


@dataclass(frozen=True)
class Channel:
    """How a warehouse's takings reach the books each day (card deposit, cash…)."""

    category: str
    merchant: str
    template: str
    share: float
    account: str = "Operating account"


@dataclass(frozen=True)
class WarehouseSpec:
    code: str
    name: str
    location: str
    share: float  # of the business's demand
    other_revenue: float  # takings a day not tracked as stock (coffee, cut keys…)
    channels: tuple[Channel, ...]


@dataclass(frozen=True)
class BusinessSpec:
    growth: float
    months: tuple[float, ...]
    weekdays: tuple[float, ...]
    holidays: dict[str, float]
    runup: float  # extra takings on 23 December, ramping up from ``runup_from``
    runup_from: int
    after_christmas: float
    noise: float
    warehouses: tuple[WarehouseSpec, ...]
    suppliers: tuple[tuple[str, str, float, float, int], ...]  # name, email, lead mean, sd, MOQ
    products: tuple[ProductSpec, ...]
    black_friday_discount: float = 0.0


@dataclass(frozen=True)
class WorkspaceSpec:
    slug: str
    name: str
    kind: str
    growth: float  # trend of the streams marked ``trend``
    revenue_categories: tuple[str, ...]
    expense_categories: tuple[str, ...]
    streams: tuple[Stream, ...]
    goals: tuple[tuple[str, float, int, float, str], ...]  # name, target, months ahead, progress, owner
    budget_categories: int
    business: BusinessSpec | None = None


BAKERY = WorkspaceSpec(
    slug="demo-sunrise-bakery",
    name="Sunrise Bakery & Café",
    kind=Workspace.Kind.BUSINESS,
    growth=0.09,
    revenue_categories=("Counter sales", "Catering", "Wholesale"),
    expense_categories=(
        "Rent", "Payroll", "Taxes", "Ingredients", "Supplies", "Utilities", "Marketing",
        "Insurance", "Software subscriptions", "Fuel & transport", "Repairs & maintenance",
        "Bank fees", "Meals & entertainment", "Waste & cleaning",
    ),
    budget_categories=7,
    goals=(
        ("New deck oven", 18000, 7, 0.62, "demo"),
        ("Cash reserve: three months of rent", 35000, 13, 0.55, "demo"),
        ("Second location deposit", 60000, 30, 0.16, "demo"),
    ),
    streams=(
        # revenue besides the daily takings
        Stream("Catering", "{store}", "ACH DEPOSIT {STORE} INV {n}", Random(0.22, WORKDAYS, _months(jun=1.4, nov=1.5, dec=2.6)),
               480, 0.5, kind=Transaction.Kind.REVENUE, trend=True,
               stores=("Brightline Dental", "Oakridge Law LLP", "Springfield Library", "Maple Tech Inc")),
        Stream("Wholesale", "Blue Door Café", "ACH DEPOSIT BLUE DOOR CAFE", Weekly((0, 3)), 340, 0.15,
               kind=Transaction.Kind.REVENUE, trend=True),
        Stream("Wholesale", "Greenleaf Grocers", "ACH DEPOSIT GREENLEAF GROCERS {n}", Weekly((4,)), 520, 0.12,
               kind=Transaction.Kind.REVENUE, trend=True),
        # rent and people
        Stream("Rent", "Oakwood Property Management", "OAKWOOD PROPERTY MGMT RENT 123 MAIN ST", Monthly(1), 9500,
               escalate=0.03),
        Stream("Rent", "Riverside Market Hall", "RIVERSIDE MARKET HALL LEASE", Monthly(1), 2200, escalate=0.03),
        Stream("Payroll", "Gusto", "GUSTO PAYROLL {mm}/{dd}", Semimonthly(), 10200, 0.03, trend=True),
        Stream("Taxes", "Gusto", "GUSTO TAX {mm}/{dd}", Semimonthly(), 1950, 0.04, trend=True),
        Stream("Taxes", "CDTFA", "CDTFA EFT SALES TAX {num}", Monthly(20), 0, 0.02, share=0.025),
        Stream("Taxes", "IRS", "IRS USATAXPYMT {num}", Monthly(15, (1, 4, 6, 9)), 4500, 0.1, trend=True),
        # what goes into the oven
        Stream("Ingredients", "Sysco", "SYSCO CORP {store}", Weekly((0, 3)), 0, 0.08, share=0.15,
               stores=("0231", "0231", "0417")),
        Stream("Ingredients", "Costco", "COSTCO WHSE #{store}", Weekly((5,)), 420, 0.35, trend=True,
               stores=("0113", "0113", "0482")),
        Stream("Ingredients", "Valley Dairy Co-op", "VALLEY DAIRY CO-OP INV {n}", Weekly((1, 4)), 0, 0.1, share=0.05),
        Stream("Ingredients", "King Arthur Baking", "KING ARTHUR BAKING CO {num}", Monthly(8), 0, 0.12, share=0.03),
        Stream("Supplies", "Amazon", "AMZN Mktp US*{code}", Random(0.22), 85, 0.6),
        Stream("Supplies", "WebstaurantStore", "WEBSTAURANTSTORE {num}", Random(0.07), 260, 0.5),
        Stream("Supplies", "Pacific Packaging Supply", "PACIFIC PACKAGING SUPPLY", Monthly(12), 640, 0.2, trend=True),
        Stream("Utilities", "PG&E", "PG&E WEB ONLINE", Monthly(18), 1450, 0.08,
               months=_months(jan=1.2, feb=1.15, mar=1.05, apr=0.95, may=0.92, jun=0.98, jul=1.05,
                              aug=1.05, sep=0.97, oct=0.95, nov=1.05, dec=1.2)),
        Stream("Utilities", "City of Springfield", "CITY OF SPRINGFIELD UTIL WATER", Monthly(22), 240, 0.12),
        Stream("Utilities", "Comcast", "COMCAST BUSINESS 8155", Monthly(9), 189.90),
        Stream("Marketing", "Meta", "FACEBK *{code}", Monthly(3), 420, 0.3, months=_months(nov=1.4, dec=1.6)),
        Stream("Marketing", "Google Ads", "GOOGLE *ADS{num}", Monthly(5), 350, 0.25),
        Stream("Marketing", "Yelp", "YELP INC 855-8499357", Monthly(11), 299),
        Stream("Marketing", "Vistaprint", "VISTAPRINT.COM {num}", Random(0.02), 180, 0.4),
        Stream("Insurance", "Hiscox", "HISCOX INC INS PREM", Monthly(6), 286.40),
        Stream("Insurance", "State Fund", "STATE FUND WORK COMP", Monthly(20), 640, 0.02, trend=True),
        Stream("Software subscriptions", "Square", "SQ *SQUARE SAAS", Monthly(2), 69.00),
        Stream("Software subscriptions", "Intuit", "INTUIT *QBOOKS ONLINE", Monthly(14), 90.00),
        Stream("Software subscriptions", "Adobe", "ADOBE *CREATIVE CLOUD", Monthly(21), 54.99),
        Stream("Software subscriptions", "Canva", "CANVA* {code}", Monthly(25), 14.99),
        Stream("Fuel & transport", "Shell", "SHELL OIL {store}", Weekly((1,)), 68, 0.2, trend=True,
               stores=("57442", "57442", "57118")),
        Stream("Fuel & transport", "Chevron", "CHEVRON {store}", Random(0.12), 55, 0.3,
               stores=("0094452", "0201187")),
        Stream("Repairs & maintenance", "Hobart Service", "HOBART SERVICE {num}", Random(0.035), 420, 0.7),
        Stream("Repairs & maintenance", "Ace Hardware", "ACE HDWE #{store}", Random(0.08), 38, 0.6,
               stores=("11582", "09931")),
        Stream("Repairs & maintenance", "Roto-Rooter", "ROTO-ROOTER {num}", Random(0.006), 380, 0.3),
        Stream("Bank fees", "Square", "SQUARE FEES {mm}/{yy}", Monthly(1), 0, 0.03, share=0.021),
        Stream("Bank fees", "Chase", "MONTHLY SERVICE FEE", Monthly(-1), 25.00),
        Stream("Bank fees", "Chase", "WIRE TRANSFER FEE", Random(0.01), 25.00),
        Stream("Meals & entertainment", "{store}", "TST* {STORE}", Random(0.06), 62, 0.5,
               stores=("Blue Door Cafe", "Luigis Trattoria", "Noodle Bar 88")),
        Stream("Waste & cleaning", "Republic Services", "REPUBLIC SERVICES #{store}", Monthly(10), 310, 0.05,
               stores=("0871",)),
        Stream("Waste & cleaning", "Cintas", "CINTAS CORP {num}", Weekly((2,), every=2), 96, 0.1),
    ),
    business=BusinessSpec(
        growth=0.09,
        months=_months(jan=0.86, feb=0.92, mar=0.96, apr=1.0, may=1.03, jun=0.95, jul=0.84, aug=0.83,
                       sep=0.98, oct=1.04, nov=1.1, dec=1.22),
        weekdays=(0.82, 0.88, 0.92, 0.95, 1.08, 1.45, 1.3),
        holidays={
            "valentines": 1.35, "easter_saturday": 1.35, "mothers_day": 1.4, "memorial_day": 0.85,
            "july_4": 0.7, "labor_day": 0.85, "thanksgiving_eve": 1.6, "thanksgiving": 0.45,
            "black_friday": 1.1, "christmas_eve": 1.5, "new_years_eve": 1.2,
        },
        runup=0.35,
        runup_from=8,
        after_christmas=0.9,
        noise=0.09,
        suppliers=(
            ("King Arthur Baking Co.", "orders@kingarthur.example", 5, 1.5, 10),
            ("Valley Dairy Co-op", "dispatch@valleydairy.example", 2, 0.5, 1),
            ("Pacific Packaging Supply", "sales@pacificpack.example", 10, 3, 50),
            ("Bean Brothers Coffee Roasters", "wholesale@beanbros.example", 7, 2, 12),
        ),
        warehouses=(
            WarehouseSpec("DTN", "Downtown café", "123 Main St", 0.68, 920, (
                Channel("Counter sales", "Square", "SQUARE INC DEPOSIT SQ{yymmdd} DTN", 0.82),
                Channel("Counter sales", "Cash sales", "CASH DEPOSIT DOWNTOWN Z#{n}", 0.18),
            )),
            WarehouseSpec("RVR", "Riverside kiosk", "Riverside Market Hall, stall 14", 0.32, 430, (
                Channel("Counter sales", "Square", "SQUARE INC DEPOSIT SQ{yymmdd} RVR", 0.78),
                Channel("Counter sales", "Cash sales", "CASH DEPOSIT RIVERSIDE Z#{n}", 0.22),
            )),
        ),
        products=(
            ProductSpec("BK-SOUR", "Sourdough loaf", "Bread", 2.10, 8.50, 0, 14, cover_days=1.5),
            ProductSpec("BK-CROI", "Butter croissant", "Pastry", 1.10, 4.25, 0, 30, weekend=1.3, cover_days=1.5),
            ProductSpec("BK-BAGU", "Baguette", "Bread", 0.90, 4.00, 0, 18, cover_days=1.5),
            ProductSpec("BK-CINN", "Cinnamon roll", "Pastry", 1.20, 4.75, 0, 16, 20, 0.8, 0.4, cover_days=1.5),
            ProductSpec("BK-PUMP", "Pumpkin pie", "Seasonal", 7.50, 24.00, 0, 1.5, 320, 6, 0.05,
                        holidays={"thanksgiving_eve": 6.0, "thanksgiving": 2.0}, cover_days=3),
            ProductSpec("BK-GING", "Gingerbread cookie box", "Seasonal", 4.00, 14.00, 0, 1.5, 350, 8, 0.03, cover_days=3),
            ProductSpec("BK-STOL", "Christmas stollen", "Seasonal", 6.50, 22.00, 0, 0.8, 354, 25, 0.0,
                        holidays={"christmas_eve": 2.5}, cover_days=3),
            ProductSpec("BK-LEMN", "Lemon tart", "Pastry", 1.60, 5.50, 0, 6, 190, 1.5, 0.3, cover_days=1.5),
            ProductSpec("BK-BERR", "Mixed berry galette", "Seasonal", 8.00, 28.00, 0, 1.2, 200, 3, 0.1, cover_days=3),
            ProductSpec("BK-COFB", "Coffee beans 12 oz", "Retail", 7.00, 16.00, 3, 3, 355, 0.6, 0.5,
                        holidays={"black_friday": 2.0}),
            ProductSpec("BK-COCO", "Hot cocoa mix tin", "Retail", 4.00, 12.00, 2, 1.5, 5, 3, 0.05),
            ProductSpec("BK-ICED", "Cold brew bottle", "Drinks", 1.30, 5.00, 3, 8, 200, 2, 0.15,
                        holidays={"july_4": 2.0}),
        ),
    ),
)

HARDWARE = WorkspaceSpec(
    slug="demo-northside-hardware",
    name="Northside Hardware",
    kind=Workspace.Kind.BUSINESS,
    growth=0.12,
    revenue_categories=("Store sales", "Online sales", "Contractor accounts"),
    expense_categories=(
        "Rent", "Payroll", "Taxes", "Inventory purchases", "Shipping & postage", "Supplies",
        "Utilities", "Marketing", "Insurance", "Software subscriptions", "Fuel & transport",
        "Repairs & maintenance", "Bank fees", "Meals & entertainment",
    ),
    budget_categories=7,
    goals=(
        ("Garden centre expansion", 45000, 10, 0.48, "demo"),
        ("Delivery van", 38000, 16, 0.3, "demo"),
        ("Pay off the equipment loan", 12000, 4, 0.85, "demo"),
    ),
    streams=(
        Stream("Contractor accounts", "{store}", "ACH CREDIT {STORE} INV {n}",
               Random(0.45, WORKDAYS, _months(jan=0.6, feb=0.7, apr=1.3, may=1.4, jun=1.4, jul=1.2, dec=0.6)),
               1150, 0.55, kind=Transaction.Kind.REVENUE, trend=True,
               stores=("Brennan Construction", "Oak & Stone Builders", "Valley Property Services", "Summit Roofing")),
        Stream("Rent", "Brixmor Property Group", "BRIXMOR PROPERTY RENT NORTHGATE PLAZA", Monthly(1), 12000,
               escalate=0.03),
        Stream("Rent", "Northgate Industrial", "NORTHGATE INDUSTRIAL LEASE UNIT 7", Monthly(1), 3000, escalate=0.03),
        Stream("Payroll", "Paychex", "PAYCHEX PAYROLL {mm}/{dd}", Semimonthly(), 12500, 0.03, trend=True),
        Stream("Taxes", "Paychex", "PAYCHEX TAX {mm}/{dd}", Semimonthly(), 2250, 0.04, trend=True),
        Stream("Taxes", "CDTFA", "CDTFA EFT SALES TAX {num}", Monthly(20), 0, 0.02, share=0.06),
        Stream("Taxes", "IRS", "IRS USATAXPYMT {num}", Monthly(15, (1, 4, 6, 9)), 7000, 0.1, trend=True),
        Stream("Inventory purchases", "Orgill", "ORGILL INC ACH {num}", Weekly((1,)), 0, 0.1, share=0.3),
        Stream("Inventory purchases", "Midwest Tool Distributors", "MIDWEST TOOL DIST INV {n}", Weekly((3,), every=2),
               0, 0.12, share=0.08),
        Stream("Inventory purchases", "GreenGrow Garden Wholesale", "GREENGROW GARDEN WHSL {num}",
               Weekly((2,), every=2), 0, 0.15, share=0.07,
               months=_months(jan=0.5, feb=1.1, mar=1.7, apr=1.6, may=1.2, aug=0.8, sep=0.7, oct=0.6, nov=0.4,
                              dec=0.4)),
        Stream("Inventory purchases", "Bright Home Electrical", "BRIGHT HOME ELECTRICAL {num}", Monthly(12),
               0, 0.15, share=0.04, months=_months(oct=1.8, nov=1.5)),
        Stream("Shipping & postage", "UPS", "UPS*1Z{code}", Random(0.9, WORKDAYS), 42, 0.6, trend=True),
        Stream("Shipping & postage", "USPS", "USPS PO {num}", Random(0.3, WORKDAYS), 18, 0.5, trend=True),
        Stream("Shipping & postage", "FedEx", "FEDEX {num}", Random(0.15, WORKDAYS), 64, 0.5),
        Stream("Supplies", "Amazon", "AMZN Mktp US*{code}", Random(0.18), 64, 0.6),
        Stream("Supplies", "Uline", "ULINE *{num}", Random(0.05), 310, 0.4),
        Stream("Utilities", "PG&E", "PG&E WEB ONLINE", Monthly(18), 1100, 0.08,
               months=_months(jan=1.25, feb=1.2, mar=1.05, apr=0.92, may=0.9, jun=1.0, jul=1.12, aug=1.12,
                              sep=1.0, oct=0.92, nov=1.05, dec=1.22)),
        Stream("Utilities", "Comcast", "COMCAST BUSINESS 8155", Monthly(9), 229.90),
        Stream("Utilities", "City of Springfield", "CITY OF SPRINGFIELD UTIL WATER", Monthly(22), 120, 0.12),
        Stream("Marketing", "Google Ads", "GOOGLE *ADS{num}", Monthly(5), 850, 0.2,
               months=_months(mar=1.3, apr=1.4, may=1.3, nov=1.5)),
        Stream("Marketing", "Meta", "FACEBK *{code}", Monthly(3), 400, 0.3),
        Stream("Marketing", "Valpak", "VALPAK DIRECT MAIL", Monthly(15, (3, 5, 9, 11)), 1250, 0.05),
        Stream("Insurance", "The Hartford", "THE HARTFORD INS PREM", Monthly(6), 612.00),
        Stream("Insurance", "State Fund", "STATE FUND WORK COMP", Monthly(20), 910, 0.02, trend=True),
        Stream("Software subscriptions", "Shopify", "SHOPIFY* {num}", Monthly(4), 299.00),
        Stream("Software subscriptions", "Intuit", "INTUIT *QBOOKS ONLINE", Monthly(14), 90.00),
        Stream("Software subscriptions", "Epicor", "EPICOR EAGLE POS", Monthly(1), 485.00),
        Stream("Software subscriptions", "Microsoft", "MICROSOFT*365 BUSINESS", Monthly(9), 66.00),
        Stream("Fuel & transport", "Shell", "SHELL OIL {store}", Weekly((0, 3)), 84, 0.2, trend=True,
               stores=("57442", "57118", "57118")),
        Stream("Fuel & transport", "Chevron", "CHEVRON {store}", Random(0.1), 70, 0.3, stores=("0094452",)),
        Stream("Fuel & transport", "U-Haul", "U-HAUL #{num}", Random(0.01), 180, 0.3),
        Stream("Repairs & maintenance", "ABC Forklift Service", "ABC FORKLIFT SERVICE {n}", Random(0.03), 380, 0.6),
        Stream("Repairs & maintenance", "ADT", "ADT SECURITY {num}", Monthly(12), 64.99),
        Stream("Repairs & maintenance", "Janitorial Plus", "JANITORIAL PLUS INC", Monthly(-1), 450, 0.03),
        Stream("Bank fees", "Clover", "CLOVER FEES {mm}/{yy}", Monthly(2), 0, 0.03, share=0.022),
        Stream("Bank fees", "Wells Fargo", "MONTHLY SERVICE FEE", Monthly(-1), 30.00),
        Stream("Meals & entertainment", "{store}", "TST* {STORE}", Random(0.05), 58, 0.5,
               stores=("Harbor Grill", "Taqueria El Sol", "Noodle Bar 88")),
    ),
    business=BusinessSpec(
        growth=0.12,
        months=_months(jan=0.74, feb=0.8, mar=0.98, apr=1.15, may=1.28, jun=1.22, jul=1.1, aug=1.02, sep=0.98,
                       oct=0.95, nov=0.95, dec=1.0),
        weekdays=(1.0, 0.95, 0.95, 1.0, 1.08, 1.38, 0.72),
        holidays={
            "easter_saturday": 1.1, "mothers_day": 1.15, "memorial_day": 1.6, "july_4": 0.8,
            "labor_day": 1.45, "thanksgiving_eve": 1.1, "thanksgiving": 0.35, "black_friday": 2.3,
            "cyber_monday": 1.25, "christmas_eve": 0.6, "new_years_eve": 0.7,
        },
        runup=0.25,
        runup_from=1,
        after_christmas=0.8,
        noise=0.1,
        black_friday_discount=0.2,
        suppliers=(
            ("Midwest Tool Distributors", "orders@midwesttool.example", 14, 4, 6),
            ("GreenGrow Garden Wholesale", "orders@greengrow.example", 10, 3, 20),
            ("Bright Home Electrical", "sales@brighthome.example", 21, 6, 12),
            ("Orgill Inc.", "cs@orgill.example", 7, 2, 1),
        ),
        warehouses=(
            WarehouseSpec("MAIN", "Store floor and back room", "Northgate Plaza", 0.78, 3000, (
                Channel("Store sales", "Clover", "CLOVER DEPOSIT {yymmdd} MID 4471", 0.88),
                Channel("Store sales", "Cash sales", "CASH DEPOSIT STORE Z#{n}", 0.12),
            )),
            WarehouseSpec("WEB", "Online fulfilment", "Northgate Industrial, unit 7", 0.22, 450, (
                Channel("Online sales", "Shopify", "SHOPIFY PAYOUT {num}", 1.0),
            )),
        ),
        products=(
            ProductSpec("HW-SHOV", "Snow shovel 24 in", "Seasonal", 14.00, 29.99, 0, 2, 15, 4, 0.02,
                        holidays={"black_friday": 1.5}),
            ProductSpec("HW-MELT", "Ice melt 20 lb", "Seasonal", 8.00, 17.49, 3, 4, 20, 3.5, 0.03),
            ProductSpec("HW-HEAT", "Ceramic space heater", "Seasonal", 31.00, 59.99, 2, 1, 5, 2.5, 0.08,
                        holidays={"black_friday": 2.0}),
            ProductSpec("HW-HOSE", "Garden hose 50 ft", "Garden", 16.00, 34.99, 1, 2.5, 140, 2.5, 0.1,
                        holidays={"memorial_day": 1.8}),
            ProductSpec("HW-FAN", 'Box fan 20"', "Seasonal", 19.00, 39.99, 2, 1.5, 200, 4, 0.03),
            ProductSpec("HW-CHAR", "Charcoal 16 lb", "Garden", 9.00, 19.99, 3, 3, 185, 2.5, 0.1,
                        holidays={"july_4": 3.0, "memorial_day": 2.0, "labor_day": 2.0}),
            ProductSpec("HW-MULC", "Mulch 2 cu ft", "Garden", 2.10, 4.99, 1, 12, 110, 3, 0.05, weekend=1.4),
            ProductSpec("HW-PNT", "Interior paint 1 gal", "Paint", 19.00, 42.99, 3, 3, 120, 0.6, 0.5),
            ProductSpec("HW-DRIL", "Cordless drill 20V", "Tools", 52.00, 99.00, 0, 1, 350, 1.0, 0.5,
                        holidays={"black_friday": 4.0, "cyber_monday": 3.0}),
            ProductSpec("HW-LITE", "LED holiday lights 100 ct", "Seasonal", 9.00, 24.99, 2, 1, 340, 12, 0.0,
                        holidays={"black_friday": 2.0}),
            ProductSpec("HW-SCRW", "Wood screws 1 lb box", "Fasteners", 3.20, 9.49, 3, 6, weekend=1.2),
            ProductSpec("HW-BULB", "LED bulb 4-pack", "Electrical", 4.50, 11.99, 2, 5, 15, 0.4, 0.6),
        ),
    ),
)

HOUSEHOLD = WorkspaceSpec(
    slug="demo-rivera-household",
    name="The Rivera household",
    kind=Workspace.Kind.HOUSEHOLD,
    growth=0.04,
    revenue_categories=("Salary", "Interest", "Other income"),
    expense_categories=(
        "Mortgage", "Groceries", "Utilities", "Dining", "Transport", "Subscriptions", "Shopping",
        "Health", "Insurance", "Childcare", "Travel", "Gifts & donations", "Entertainment",
    ),
    budget_categories=8,
    goals=(
        ("Emergency fund", 25000, 9, 0.72, "sam.saver"),
        ("Summer trip to Portugal", 6500, 6, 0.4, "sam.saver"),
        ("College fund", 60000, 144, 0.18, "demo"),
        ("New car down payment", 8000, 14, 0.25, "sky.spender"),
    ),
    streams=(
        Stream("Salary", "Acme Corp", "ACME CORP PAYROLL DIR DEP", Semimonthly(), 3850, 0.004,
               kind=Transaction.Kind.REVENUE, escalate=0.035),
        Stream("Salary", "Springfield USD", "SPRINGFIELD USD PAYROLL", Weekly((4,), every=2), 1920,
               kind=Transaction.Kind.REVENUE, escalate=0.03),
        Stream("Interest", "Ally Bank", "INTEREST PAYMENT", Monthly(-1), 6.5, 0.3, kind=Transaction.Kind.REVENUE,
               escalate=0.4),
        Stream("Other income", "IRS", "IRS TREAS 310 TAX REF", Monthly(12, (4,)), 1420, 0.3,
               kind=Transaction.Kind.REVENUE),
        Stream("Other income", "Etsy", "ETSY INC PAYOUT {num}", Random(0.04, None, _months(nov=3, dec=3)), 85, 0.5,
               kind=Transaction.Kind.REVENUE),
        Stream("Mortgage", "Rocket Mortgage", "ROCKET MORTGAGE PMT", Monthly(1), 3150, escalate=0.015),
        Stream("Groceries", "Trader Joe's", "TRADER JOE S #{store}", Random(0.22, WEEKENDS, _months(nov=1.15, dec=1.2)),
               78, 0.35, trend=True, stores=("127", "127", "052")),
        Stream("Groceries", "Safeway", "SAFEWAY #{store}", Random(0.14, None, _months(nov=1.2, dec=1.2)), 64, 0.45,
               trend=True, stores=("1791", "2603")),
        Stream("Groceries", "Costco", "COSTCO WHSE #{store}", Weekly((5,), every=2), 212, 0.3, trend=True,
               months=_months(nov=1.3, dec=1.35), stores=("0113", "0113", "0482")),
        Stream("Groceries", "Whole Foods", "WHOLEFDS MKT {store}", Random(0.06), 48, 0.5, trend=True,
               stores=("10234",)),
        Stream("Utilities", "PG&E", "PG&E WEB ONLINE", Monthly(24), 165, 0.1,
               months=_months(jan=1.45, feb=1.35, mar=1.1, apr=0.9, may=0.8, jun=0.85, jul=0.95, aug=0.95,
                              sep=0.85, oct=0.9, nov=1.2, dec=1.45)),
        Stream("Utilities", "City of Springfield", "CITY OF SPRINGFIELD UTIL WATER", Monthly(22, (1, 3, 5, 7, 9, 11)),
               98, 0.15, months=_months(jul=1.3, sep=1.2)),
        Stream("Utilities", "Comcast", "COMCAST CABLE COMM", Monthly(12), 89.99),
        Stream("Utilities", "T-Mobile", "T-MOBILE AUTOPAY", Monthly(19), 140.00),
        Stream("Dining", "Starbucks", "STARBUCKS STORE {store}", Random(0.45, (1.3, 1.3, 1.3, 1.3, 1.2, 0.4, 0.3)),
               7.8, 0.35, trend=True, stores=("05621", "05621", "11734")),
        Stream("Dining", "Chipotle", "CHIPOTLE {store}", Random(0.08), 24, 0.3, trend=True, stores=("1289",)),
        Stream("Dining", "DoorDash", "DOORDASH*{STORE}", Random(0.12, EVENINGS_OUT), 41, 0.35, trend=True,
               stores=("Thai Orchid", "Pizza My Heart", "Sushi Ko")),
        Stream("Dining", "{store}", "TST* {STORE}", Random(0.07, WEEKENDS), 86, 0.4, trend=True,
               stores=("Luigis Trattoria", "Harbor Grill", "Blue Door Cafe")),
        Stream("Transport", "Shell", "SHELL OIL {store}", Random(0.16), 52, 0.2, trend=True,
               stores=("57442", "57442", "12904")),
        Stream("Transport", "Chevron", "CHEVRON {store}", Random(0.09), 49, 0.2, trend=True, stores=("0094452",)),
        Stream("Transport", "Clipper", "CLIPPER SERVICE", Monthly(2), 86.00),
        Stream("Transport", "Uber", "UBER *TRIP {code}", Random(0.05, EVENINGS_OUT), 24, 0.5),
        Stream("Transport", "FasTrak", "FASTRAK CSC", Monthly(11), 35.00),
        Stream("Subscriptions", "Netflix", "NETFLIX.COM", Monthly(8), 15.49),
        Stream("Subscriptions", "Spotify", "SPOTIFY USA", Monthly(13), 16.99),
        Stream("Subscriptions", "Apple", "APPLE.COM/BILL", Monthly(17), 2.99),
        Stream("Subscriptions", "Amazon", "AMAZON PRIME*{code}", Monthly(9, (3,)), 139.00),
        Stream("Subscriptions", "New York Times", "NYTIMES DIGITAL", Monthly(26), 17.00),
        Stream("Subscriptions", "Peloton", "PELOTON* MEMBERSHIP", Monthly(5), 44.00),
        Stream("Shopping", "Amazon", "AMZN Mktp US*{code}", Random(0.3, None, _months(nov=1.5, dec=2.2)), 36, 0.7),
        Stream("Shopping", "Target", "TARGET 000{store}", Random(0.1, WEEKENDS, _months(aug=1.6, dec=1.5)), 58, 0.5,
               stores=("2301", "1187")),
        Stream("Health", "CVS", "CVS/PHARMACY #{store}", Random(0.07), 24, 0.5, stores=("04412", "09127")),
        Stream("Health", "Kaiser Permanente", "KAISER PERMANENTE COPAY", Random(0.03, WORKDAYS), 35, 0.2),
        Stream("Health", "24 Hour Fitness", "24 HOUR FITNESS USA", Monthly(3), 49.99),
        Stream("Insurance", "GEICO", "GEICO *AUTO", Monthly(15), 148.20, escalate=0.06),
        Stream("Insurance", "State Farm", "STATE FARM INSURANCE", Monthly(27), 112.00, escalate=0.05),
        Stream("Childcare", "Bright Horizons", "BRIGHT HORIZONS {num}", Monthly(1), 1650, escalate=0.04),
        Stream("Childcare", "YMCA", "YMCA SUMMER CAMP", Monthly(5, (6, 7)), 780, escalate=0.05),
        Stream("Travel", "United Airlines", "UNITED {num}", Monthly(10, (3,)), 1380, 0.15),
        Stream("Travel", "Marriott", "MARRIOTT {STORE}", Monthly(16, (7,)), 1240, 0.2, stores=("Lisbon", "San Diego")),
        Stream("Travel", "Hertz", "HERTZ RENT-A-CAR", Monthly(18, (7,)), 410, 0.2),
        Stream("Travel", "Airbnb", "AIRBNB * HM{code}", Monthly(22, (12,)), 620, 0.25),
        Stream("Gifts & donations", "Etsy", "ETSY.COM - {STORE}", Random(0.03, None, _months(dec=5, feb=2)), 45, 0.5,
               stores=("Paper Moon Studio", "Oak and Ember")),
        Stream("Gifts & donations", "UNICEF USA", "UNICEF USA DONATION", Monthly(15, (12,)), 150),
        Stream("Gifts & donations", "GoFundMe", "GOFUNDME {code}", Random(0.01), 50, 0.5),
        Stream("Entertainment", "AMC Theatres", "AMC {store}", Random(0.04, WEEKENDS), 34, 0.3, stores=("4512",)),
        Stream("Entertainment", "Ticketmaster", "TICKETMASTER {code}", Random(0.012), 160, 0.4),
        Stream("Entertainment", "Steam", "STEAMGAMES.COM {num}", Random(0.02), 22, 0.5),
    ),
)

WORKSPACES = (BAKERY, HARDWARE, HOUSEHOLD)
SLUGS = tuple(spec.slug for spec in WORKSPACES)

USERS = (
    DemoUser("admin", "admin", "occasional", is_staff=True, is_superuser=True,
             roles={s: Membership.Role.OWNER for s in SLUGS},
             activity={BAKERY.slug: 1, HARDWARE.slug: 1, HOUSEHOLD.slug: 1}),
    DemoUser("demo", "demo", "planner",
             roles={BAKERY.slug: Membership.Role.OWNER, HARDWARE.slug: Membership.Role.OWNER,
                    HOUSEHOLD.slug: Membership.Role.MEMBER},
             activity={BAKERY.slug: 0.45, HARDWARE.slug: 0.35, HOUSEHOLD.slug: 0.2}),
    DemoUser("viewer", "viewer", "browser", roles={BAKERY.slug: Membership.Role.VIEWER},
             activity={BAKERY.slug: 1}),
    DemoUser("sam.saver", None, "saver", roles={HOUSEHOLD.slug: Membership.Role.MEMBER},
             activity={HOUSEHOLD.slug: 1}),
    DemoUser("sky.spender", None, "spender", roles={HOUSEHOLD.slug: Membership.Role.MEMBER},
             activity={HOUSEHOLD.slug: 1}),
)

PALETTE = (
    "#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
    "#ea580c", "#4f46e5", "#0d9488", "#b91c1c", "#a16207", "#9333ea", "#0284c7", "#475569",
)


# --- sales and takings of a business ------------------------------------------------------


@dataclass
class _BusinessBooks:
    revenue: np.ndarray  # total takings a day (channels + other revenue streams)
    rows: list[_Row]
    sales: list[Sale]
    stock_levels: list[StockLevel]


def _traffic(spec: BusinessSpec, cal: _Calendar, rng: Rng) -> tuple[np.ndarray, np.ndarray]:
    """Footfall without the yearly season (trend × weekday × holidays × noise), and the
    business's own yearly season (for what is not tracked as stock)."""
    base = (1 + spec.growth) ** cal.t_years
    base = base * np.asarray(spec.weekdays)[cal.weekday]
    holiday = np.ones(len(cal))
    for i, day in enumerate(cal.days):
        name = cal.holidays.get(day)
        if name in spec.holidays:
            holiday[i] = spec.holidays[name]
        if day.month == 12:
            if spec.runup_from <= day.day <= 23:
                holiday[i] *= 1 + spec.runup * (day.day - spec.runup_from + 1) / (24 - spec.runup_from)
            elif day.day >= 26:
                holiday[i] *= spec.after_christmas
    traffic = base * holiday * _ar1_noise(rng, len(cal), spec.noise)
    traffic[cal.closed] = 0.0
    return traffic, _yearly_profile(cal, spec.months)


def _business_books(
    spec: BusinessSpec,
    workspace: Workspace,
    cal: _Calendar,
    seed: int,
    products: list[Product],
    warehouses: list[Warehouse],
) -> _BusinessBooks:
    rng = _rng(seed, workspace.slug, "sales")
    traffic, season = _traffic(spec, cal, rng)
    weekend = cal.weekday >= 5
    names = [cal.holidays.get(d) for d in cal.days]
    end_year = cal.days[-1].year
    black_friday = np.array([n in ("black_friday", "cyber_monday") for n in names])
    takings = {w.code: np.zeros(len(cal)) for w in spec.warehouses}
    sales: list[Sale] = []
    stock: list[StockLevel] = []
    low_stock = {int(i) for i in rng.choice(len(products) * len(warehouses), 2, replace=False)}
    for p_index, (pspec, product) in enumerate(zip(spec.products, products, strict=True)):
        demand = pspec.per_day * traffic * _seasonal_peak(cal, pspec.peak_doy, pspec.kappa, pspec.floor)
        demand = demand * np.where(weekend, pspec.weekend, 1.0)
        for name, factor in pspec.holidays.items():
            demand = demand * np.where([n == name for n in names], factor, 1.0)
        # Prices go up 3 % a year; the product's price is today's.
        yearly_price = {
            year: (pspec.price / 1.03 ** (end_year - year)) for year in range(cal.days[0].year, end_year + 1)
        }
        price = np.array([yearly_price[y] for y in cal.year])
        price = np.round(np.where(black_friday, price * (1 - spec.black_friday_discount), price), 2)
        for w_index, (wspec, warehouse) in enumerate(zip(spec.warehouses, warehouses, strict=True)):
            quantity = rng.poisson(demand * wspec.share)
            takings[wspec.code] += quantity * price
            for i in np.flatnonzero(quantity):
                sales.append(
                    Sale(
                        workspace=workspace,
                        product=product,
                        warehouse=warehouse,
                        date=cal.days[i],
                        quantity=int(quantity[i]),
                        unit_price=Decimal(f"{price[i]:.2f}"),
                    )
                )
            recent = float((demand[-28:] * wspec.share).mean())
            if p_index * len(warehouses) + w_index in low_stock:
                quantity_now = int(rng.integers(0, 3))
            else:
                cover = pspec.cover_days * rng.uniform(0.15, 1.5)
                quantity_now = int(round(recent * cover)) + int(rng.integers(0, 6))
            stock.append(
                StockLevel(workspace=workspace, product=product, warehouse=warehouse, quantity=quantity_now)
            )

    rows: list[_Row] = []
    revenue = np.zeros(len(cal))
    for wspec in spec.warehouses:
        daily = takings[wspec.code] + wspec.other_revenue * traffic * season * _lognormal(rng, 0.05, len(cal))
        revenue += daily
        counter = int(rng.integers(1000, 5000))
        weights = np.array([c.share for c in wspec.channels])
        for i in np.flatnonzero(daily > 1):
            day = cal.days[i]
            split = rng.dirichlet(weights * 60) if len(weights) > 1 else weights
            counter += 1
            for channel, part in zip(wspec.channels, split, strict=True):
                amount = daily[i] * part
                if amount < 1:
                    continue
                values = {"n": str(counter), "store": "", "STORE": ""}
                rows.append(
                    _Row(
                        date=day,
                        kind=Transaction.Kind.REVENUE,
                        amount=_money(amount),
                        category=channel.category,
                        merchant=channel.merchant,
                        description=_render(channel.template, day, rng, values),
                        account=channel.account,
                    )
                )
    return _BusinessBooks(revenue=revenue, rows=rows, sales=sales, stock_levels=stock)


# --- the seed ---------------------------------------------------------------------------


def _users() -> dict[str, Any]:
    user_model = get_user_model()
    users = {}
    for spec in USERS:
        user, created = user_model.objects.get_or_create(username=spec.username)
        changed = created
        if created:
            if spec.password is None:
                user.set_unusable_password()
            else:
                user.set_password(spec.password)
        for flag in ("is_staff", "is_superuser"):
            if getattr(user, flag) != getattr(spec, flag):
                setattr(user, flag, getattr(spec, flag))
                changed = True
        if not user.is_active:
            user.is_active = True
            changed = True
        if changed:
            user.save()
        users[spec.username] = user
    return users


def _budgets(
    workspace: Workspace, spec: WorkspaceSpec, rows: list[_Row], categories: dict[str, Category],
    start: dt.date, end: dt.date, rng: Rng,
) -> list[Budget]:
    """Monthly budgets for the categories with the most spending over the last year."""
    since = end - dt.timedelta(days=365)
    spent: dict[str, float] = {}
    for row in rows:
        if row.kind == Transaction.Kind.EXPENSE and row.date > since:
            spent[row.category] = spent.get(row.category, 0.0) + float(row.amount)
    top = sorted(spent, key=lambda name: (-spent[name], name))[: spec.budget_categories]
    budgets = []
    for name in top:
        monthly = spent[name] / 12 * rng.uniform(0.92, 1.15)
        amount = Decimal(max(50, int(math.ceil(monthly / 50.0)) * 50))
        budgets.append(
            Budget(workspace=workspace, category=categories[name], amount=amount,
                   period=Budget.Period.MONTHLY, start_date=start)
        )
    return budgets


def _transactions(
    workspace: Workspace, rows: list[_Row], categories: dict[str, Category], end: dt.date, rng: Rng
) -> list[Transaction]:
    rows.sort(key=lambda r: (r.date, r.kind != Transaction.Kind.REVENUE, r.category, r.description))
    recent = end - dt.timedelta(days=UNCATEGORISED_DAYS)
    pending = end - dt.timedelta(days=PENDING_DAYS)
    objects = []
    for row in rows:
        uncategorised = row.date > recent and rng.random() < UNCATEGORISED_SHARE
        objects.append(
            Transaction(
                workspace=workspace,
                kind=row.kind,
                amount=row.amount,
                currency=workspace.currency,
                date=row.date,
                description=row.description,
                merchant=row.merchant[:120],
                account=row.account,
                category=None if uncategorised else categories[row.category],
                category_source="" if uncategorised else Transaction.CategorySource.USER,
                status=Transaction.Status.PENDING if row.date > pending else Transaction.Status.APPROVED,
                source=Transaction.Source.DEMO,
            )
        )
    return objects


def demo_workspaces_exist() -> bool:
    return Workspace.objects.filter(is_demo=True).exists()


@transaction.atomic
def demo_data_seed(*, seed: int = 42, years: int = 3, end_date: dt.date | None = None) -> DemoSummary:
    """Replace the demo workspaces with ``years`` years of generated books ending ``end_date``
    (today by default). Same ``seed`` and ``end_date``, same rows."""
    if years < 1:
        raise DemoSeedError("years must be at least 1.")
    end = end_date or timezone.localdate()
    start, end = demo_period(end_date=end, years=years)
    taken = Workspace.objects.filter(slug__in=SLUGS, is_demo=False).values_list("slug", flat=True)
    if taken:
        raise DemoSeedError(f"Workspace slug(s) {', '.join(sorted(taken))} belong to real workspaces.")
    Workspace.objects.filter(is_demo=True).delete()

    cal = _Calendar.build(start, end)
    users = _users()
    summaries: list[WorkspaceSummary] = []
    totals = dict.fromkeys(
        ("categories", "transactions", "products", "warehouses", "stock_levels", "suppliers", "sales",
         "budgets", "goals"), 0,
    )
    for spec in WORKSPACES:
        rng = _rng(seed, spec.slug)
        workspace = Workspace.objects.create(name=spec.name, slug=spec.slug, kind=spec.kind, is_demo=True)
        Membership.objects.bulk_create(
            Membership(workspace=workspace, user=users[u.username], role=u.roles[spec.slug])
            for u in USERS if spec.slug in u.roles
        )
        names = [(n, Category.Kind.REVENUE) for n in spec.revenue_categories]
        names += [(n, Category.Kind.EXPENSE) for n in spec.expense_categories]
        categories = {
            c.name: c for c in Category.objects.bulk_create(
                Category(workspace=workspace, name=n, kind=k, color=PALETTE[i % len(PALETTE)])
                for i, (n, k) in enumerate(names)
            )
        }
        rows: list[_Row] = []
        revenue: np.ndarray | None = None
        sales: list[Sale] = []
        if spec.business is not None:
            business = spec.business
            suppliers = Supplier.objects.bulk_create(
                Supplier(workspace=workspace, name=name, email=email, lead_time_mean_days=Decimal(f"{mean:.2f}"),
                         lead_time_std_days=Decimal(f"{sd:.2f}"), min_order_quantity=moq)
                for name, email, mean, sd, moq in business.suppliers
            )
            products = Product.objects.bulk_create(
                Product(workspace=workspace, sku=p.sku, name=p.name, category=p.category,
                        unit_cost=Decimal(f"{p.cost:.2f}"), unit_price=Decimal(f"{p.price:.2f}"),
                        supplier=suppliers[p.supplier])
                for p in business.products
            )
            warehouses = Warehouse.objects.bulk_create(
                Warehouse(workspace=workspace, code=w.code, name=w.name, location=w.location)
                for w in business.warehouses
            )
            books = _business_books(business, workspace, cal, seed, products, warehouses)
            rows.extend(books.rows)
            revenue = books.revenue
            sales = books.sales
            Sale.objects.bulk_create(sales, batch_size=BATCH_SIZE)
            rows_imported.send(sender=Sale, workspace=workspace, rows=sales)
            StockLevel.objects.bulk_create(books.stock_levels, batch_size=BATCH_SIZE)
            totals["suppliers"] += len(suppliers)
            totals["products"] += len(products)
            totals["warehouses"] += len(warehouses)
            totals["stock_levels"] += len(books.stock_levels)
            totals["sales"] += len(sales)
        skip = cal.closed if spec.kind == Workspace.Kind.BUSINESS else None
        for index, stream in enumerate(spec.streams):
            stream_rng = _rng(seed, spec.slug, "stream", str(index), stream.template)
            stream_rows = _stream_rows(
                stream, cal, stream_rng, growth=spec.growth, revenue=revenue,
                skip=skip if stream.kind == Transaction.Kind.REVENUE or isinstance(stream.when, Random) else None,
            )
            rows.extend(stream_rows)
        transactions = _transactions(workspace, rows, categories, end, rng)
        Transaction.objects.bulk_create(transactions, batch_size=BATCH_SIZE)
        # Announce the bulk writes like an import does, so whoever counts new data (the
        # auto-learning engine) sees the demo books arrive.
        rows_imported.send(sender=Transaction, workspace=workspace, rows=transactions)
        budgets = Budget.objects.bulk_create(_budgets(workspace, spec, rows, categories, start, end, rng))
        goals = Goal.objects.bulk_create(
            Goal(
                workspace=workspace, owner=users[owner], name=name, target_amount=Decimal(f"{target:.2f}"),
                saved_amount=Decimal(f"{target * float(np.clip(progress + rng.normal(0, 0.04), 0, 1)):.2f}"),
                deadline=_add_months(end, months),
            )
            for name, target, months, progress, owner in spec.goals
        )
        totals["categories"] += len(categories)
        totals["transactions"] += len(transactions)
        totals["budgets"] += len(budgets)
        totals["goals"] += len(goals)
        summaries.append(
            WorkspaceSummary(spec.slug, spec.name, spec.kind, len(transactions), len(sales))
        )

    return DemoSummary(
        seed=seed, start_date=start, end_date=end, workspaces=tuple(summaries),
        users=tuple(u.username for u in USERS), **totals,
    )
