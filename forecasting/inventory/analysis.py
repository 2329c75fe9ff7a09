"""Order analysis of one product: its seasonal pattern, the anomalies in its daily sales,
and whether the way it is ordered has changed (drift).

* **Seasonal pattern** — from the units sold each complete calendar month (at least two
  years): whether the series is seasonal at all (the engine's test,
  :func:`forecasting.engine.seasonality.is_seasonal`: noise over three years alone shows a
  Hyndman strength of about 0.3), Hyndman's strength of seasonality (0 … 1,
  :func:`~forecasting.engine.seasonality.seasonal_strength`) and the multiplicative seasonal
  index of each calendar month (classical decomposition); the peak months of a seasonal
  series are those at least ``PEAK_INDEX`` × the average month, highest first.
* **Sales anomalies** — the anomaly approach of the transactions
  (:mod:`forecasting.classifiers.anomaly`: an isolation forest, Liu et al. 2008, a day flagged
  when its isolation score passes the forest's own threshold for ``ANOMALY_SHARE`` of the
  days) applied to the daily units of the last ``ANALYSIS_DAYS`` days, described by the units,
  their ratio to the same weekday's median over the previous eight weeks, and their gap to
  the trailing four weeks' mean. Each flagged day says what was usual (that median).
* **Ordering drift** — the purchase orders of the last ``ANALYSIS_DAYS`` days split into the
  recent ``RECENT_DAYS`` and the earlier ones; the days between consecutive orders and the
  quantities ordered are compared with the drift test of the model monitor
  (:func:`forecasting.monitoring.services.drift_measure`: PSI and Kolmogorov–Smirnov), from
  ``MIN_DRIFT_POINTS`` values on each side. Either has changed when the monitor calls it
  drift, or when the two samples differ (Kolmogorov–Smirnov p < 0.05) and their means by
  at least ``MEAN_CHANGE`` (PSI alone sees nothing in orders of always the same size).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from sklearn.ensemble import IsolationForest

from finance.models import Product, Sale
from finance.months import add_months, month_start
from finance.purchasing.models import PurchaseOrder
from forecasting.engine.seasonality import is_seasonal, seasonal_indices, seasonal_strength
from forecasting.monitoring.services import KS_ALPHA, MIN_DRIFT_POINTS, DriftResult, drift_measure

SEASON = 12
PEAK_INDEX = 1.2
ANALYSIS_DAYS = 365
RECENT_DAYS = 90
ANOMALY_SHARE = 0.01
MIN_ANOMALY_DAYS = 60
MAX_ANOMALIES = 10
#: How long a series's flagged days are kept (its content names them: a new sale is a new key).
ANOMALY_CACHE_SECONDS = 24 * 3600
MEAN_CHANGE = 0.25


@dataclass(frozen=True)
class Seasonality:
    """The seasonal pattern of monthly sales (``months``: complete months used)."""

    months: int
    strength: float | None  # None: fewer than two years of complete months
    seasonal: bool = False  # the engine's seasonality test
    indices: dict[int, float] = field(default_factory=dict)  # calendar month (1-12) -> index
    peaks: list[int] = field(default_factory=list)  # calendar months, highest first

    @property
    def level(self) -> str:
        if self.strength is None:
            return "unknown"
        if not self.seasonal:
            return "none"
        return "strong" if self.strength >= 0.64 else "moderate" if self.strength >= 0.3 else "weak"

    @property
    def peak_names(self) -> list[str]:
        return [calendar.month_name[m] for m in self.peaks]

    @property
    def rows(self) -> list[tuple[str, float, bool]]:
        """(month name, index, is a peak) from January on."""
        return [(calendar.month_abbr[m], self.indices[m], m in self.peaks) for m in sorted(self.indices)]


def seasonality_of(*, first_month: dt.date, units: list[float]) -> Seasonality:
    """The pattern of the monthly ``units`` from ``first_month`` on (complete months only)."""
    y = np.asarray(units, dtype=float)
    if len(y) < 2 * SEASON or y.sum() <= 0:
        return Seasonality(months=len(y), strength=None)
    index = seasonal_indices(y, SEASON, multiplicative=True)
    if not np.all(np.isfinite(index)):  # months without any sale: the additive pattern, as a ratio
        index = 1 + seasonal_indices(y, SEASON, multiplicative=False) / y.mean()
    by_month = {(first_month.month - 1 + p) % SEASON + 1: float(index[p]) for p in range(SEASON)}
    seasonal = bool(is_seasonal(y, SEASON))
    peaks = sorted((m for m, i in by_month.items() if seasonal and i >= PEAK_INDEX), key=lambda m: -by_month[m])
    return Seasonality(months=len(y), strength=seasonal_strength(y, SEASON), seasonal=seasonal, indices=by_month,
                       peaks=peaks)


@dataclass(frozen=True)
class SalesAnomaly:
    day: dt.date
    units: float
    usual: float  # the same weekday's median over the previous eight weeks
    score: float  # isolation score in (0, 1)

    @property
    def direction(self) -> str:
        return "spike" if self.units > self.usual else "drop"


def _features(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The features of each day (from the ninth week on) and the usual units of that day."""
    n = len(units)
    usual = np.array([np.median(units[i - 56:i][(np.arange(56) % 7) == 0]) for i in range(56, n)])
    trailing = np.array([units[i - 28:i].mean() for i in range(56, n)])
    current = units[56:]
    matrix = np.column_stack([current, (current + 1) / (usual + 1), current - trailing])
    return matrix, usual


def sales_anomalies(*, first_day: dt.date, units: list[float]) -> list[SalesAnomaly]:
    """The flagged days of the daily ``units`` from ``first_day`` on, most anomalous first
    (at most ``MAX_ANOMALIES``); none from fewer than ``MIN_ANOMALY_DAYS`` + 8 weeks.

    The forest (a quarter of a second for three years of days) is fitted once per series:
    the answer is cached under the series' own content, so new sales make a new key and
    nothing needs forgetting."""
    y = np.asarray(units, dtype=float)
    if len(y) < MIN_ANOMALY_DAYS + 56:
        return []
    key = f"inventory:sales-anomalies:v1:{first_day.isoformat()}:{hashlib.sha256(y.tobytes()).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = _anomalies(first_day, y)
        cache.set(key, found, timeout=ANOMALY_CACHE_SECONDS)
    return found


def _anomalies(first_day: dt.date, y: np.ndarray) -> list[SalesAnomaly]:
    matrix, usual = _features(y)
    forest = IsolationForest(n_estimators=200, contamination=ANOMALY_SHARE, random_state=0).fit(matrix)
    scores = -forest.score_samples(matrix)
    flagged = np.flatnonzero(scores > -forest.offset_)
    found = [SalesAnomaly(day=first_day + dt.timedelta(days=56 + int(i)), units=float(y[56 + i]),
                          usual=float(usual[i]), score=float(scores[i])) for i in flagged]
    return sorted(found, key=lambda a: -a.score)[:MAX_ANOMALIES]


@dataclass(frozen=True)
class OrderingSide:
    orders: int
    mean_interval_days: float | None
    mean_quantity: float | None


@dataclass(frozen=True)
class OrderingDrift:
    """The orders before and within the last ``RECENT_DAYS`` days, and the drift test of the
    intervals and quantities (None: too few orders on a side)."""

    reference: OrderingSide
    recent: OrderingSide
    interval: DriftResult | None
    quantity: DriftResult | None

    @property
    def interval_changed(self) -> bool:
        return _changed(self.interval, self.reference.mean_interval_days, self.recent.mean_interval_days)

    @property
    def quantity_changed(self) -> bool:
        return _changed(self.quantity, self.reference.mean_quantity, self.recent.mean_quantity)

    @property
    def changed(self) -> bool:
        return self.interval_changed or self.quantity_changed

    @property
    def measured(self) -> bool:
        return self.interval is not None or self.quantity is not None


def _changed(result: DriftResult | None, before: float | None, after: float | None) -> bool:
    if result is None:
        return False
    if result.is_drift:
        return True
    moved = before is not None and after is not None and abs(after - before) >= MEAN_CHANGE * abs(before)
    return result.ks_pvalue < KS_ALPHA and moved


def _side(days: list[dt.date], quantities: list[int]) -> tuple[OrderingSide, np.ndarray, np.ndarray]:
    intervals = np.diff(np.array([d.toordinal() for d in days], dtype=float))
    amounts = np.asarray(quantities, dtype=float)
    side = OrderingSide(orders=len(days), mean_interval_days=float(intervals.mean()) if len(intervals) else None,
                        mean_quantity=float(amounts.mean()) if len(amounts) else None)
    return side, intervals, amounts


def ordering_drift(*, orders: list[tuple[dt.date, int]], today: dt.date) -> OrderingDrift:
    """The rule of the module's docstring for ``orders`` (order date, quantity) by date."""
    split = today - dt.timedelta(days=RECENT_DAYS)
    before = [(d, q) for d, q in orders if d < split]
    after = [(d, q) for d, q in orders if d >= split]
    reference, ref_intervals, ref_amounts = _side([d for d, _ in before], [q for _, q in before])
    # the first recent interval runs from the last earlier order
    recent, rec_intervals, rec_amounts = _side([d for d, _ in before[-1:] + after], [q for _, q in after])
    recent = OrderingSide(orders=len(after), mean_interval_days=recent.mean_interval_days,
                          mean_quantity=recent.mean_quantity)

    def test(reference_values: np.ndarray, recent_values: np.ndarray) -> DriftResult | None:
        if min(len(reference_values), len(recent_values)) < MIN_DRIFT_POINTS:
            return None
        return drift_measure(reference=reference_values, recent=recent_values)

    return OrderingDrift(reference=reference, recent=recent, interval=test(ref_intervals, rec_intervals),
                         quantity=test(ref_amounts, rec_amounts))


@dataclass(frozen=True)
class OrderAnalysis:
    product: Product
    seasonality: Seasonality
    anomalies: list[SalesAnomaly]
    anomaly_days: int  # days of sales the anomalies were looked for in
    drift: OrderingDrift
    partial_month: dt.date  # the current month, left out of the seasonal pattern


def product_order_analysis(*, product: Product, today: dt.date) -> OrderAnalysis:
    """The analysis of ``product`` (its sales over every warehouse). Three queries: monthly
    units, daily units of the last ``ANALYSIS_DAYS`` days, and the purchase orders."""
    this_month = month_start(today)
    sales = Sale.objects.filter(product=product, date__lt=today).order_by()
    monthly = dict(sales.filter(date__lt=this_month).annotate(month=TruncMonth("date")).values("month")
                   .annotate(units=Sum("quantity")).values_list("month", "units"))
    months: list[dt.date] = []
    if monthly:
        first = min(monthly)
        months = [add_months(first, i) for i in range((this_month.year - first.year) * 12
                                                      + this_month.month - first.month)]
    start = today - dt.timedelta(days=ANALYSIS_DAYS)
    daily = dict(sales.filter(date__gte=start).values("date").annotate(units=Sum("quantity"))
                 .values_list("date", "units"))
    first_day = max(start, min(daily)) if daily else today
    days = [first_day + dt.timedelta(days=i) for i in range((today - first_day).days)]
    orders = list(PurchaseOrder.objects.filter(product=product, ordered_on__gte=start, ordered_on__lte=today)
                  .exclude(status=PurchaseOrder.Status.CANCELLED).order_by("ordered_on", "pk")
                  .values_list("ordered_on", "quantity_ordered"))
    return OrderAnalysis(
        product=product,
        seasonality=seasonality_of(first_month=months[0] if months else this_month,
                                   units=[float(monthly.get(m, 0)) for m in months]),
        anomalies=sales_anomalies(first_day=first_day, units=[float(daily.get(d, 0)) for d in days]),
        anomaly_days=len(days), drift=ordering_drift(orders=orders, today=today), partial_month=this_month,
    )
