"""Training series built from **approved** finance rows.

One query aggregates the rows per period; missing periods are filled with zero (no
sales that week is a real zero, not a gap). The period holding ``end`` (today by
default) is left out because it is not complete yet. A transaction whose amount awaits a
member's confirmation (``needs_confirmation``: far outside the workspace's range, see
:mod:`config.limits`) is left out until it is confirmed, and so is any row dated before
``INPUT_DATE_MIN`` (stored before that limit existed: pandas cannot hold year 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from finance.models import Sale, Transaction, Workspace
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target


@dataclass(frozen=True)
class Series:
    """A regular time series: period start dates and one value per period."""

    dates: list[dt.date]
    values: np.ndarray
    frequency: str

    def __len__(self) -> int:
        return len(self.values)

    @property
    def season_length(self) -> int:
        return Frequency(self.frequency).season_length

    @property
    def data_hash(self) -> str:
        """sha256 of the exact training data, for lineage and cache keys."""
        payload = json.dumps(
            {"f": self.frequency, "d": [d.isoformat() for d in self.dates], "v": [round(float(v), 6) for v in self.values]},
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def future_dates(self, periods: int) -> list[dt.date]:
        if not self.dates:
            return []
        return Frequency(self.frequency).dates_after(self.dates[-1], periods)

    def as_dict(self) -> dict:
        return {"frequency": self.frequency, "dates": [d.isoformat() for d in self.dates], "values": self.values.tolist()}


def future_dates_after(last: dt.date, periods: int, frequency: str) -> list[dt.date]:
    """:meth:`Frequency.dates_after` for callers that hold a frequency code (a blank one
    reads as monthly)."""
    return Frequency.of(frequency).dates_after(last, periods)


def series_build(
    *, workspace: Workspace, target: Target, frequency: str = Frequency.MONTHLY, end: dt.date | None = None
) -> Series:
    """The series a forecaster of ``target`` learns from, at ``frequency`` (D, W or M)."""
    if frequency not in Frequency.values:
        raise ValueError(f"Unknown frequency '{frequency}'; use D, W or M.")
    frequency = Frequency(frequency)
    if not target.is_forecast:
        raise ValueError(f"'{target}' is not a forecast target.")
    end = end or timezone.localdate()
    cutoff = frequency.period_start(end)  # first day of the incomplete period
    trunc = frequency.truncate("date")

    if target.metric == "inventory":
        rows = Sale.objects.filter(workspace=workspace, date__gte=settings.INPUT_DATE_MIN, date__lt=cutoff)
        if target.product_id is not None:
            rows = rows.filter(product_id=target.product_id)
        if target.warehouse_id is not None:
            rows = rows.filter(warehouse_id=target.warehouse_id)
        measure = Sum("quantity")
    else:
        rows = Transaction.objects.filter(
            workspace=workspace, kind=target.metric, status=Transaction.Status.APPROVED, needs_confirmation=False,
            date__gte=settings.INPUT_DATE_MIN, date__lt=cutoff,
        )
        if target.category_id is not None:
            rows = rows.filter(category_id=target.category_id)
        measure = Sum("amount")

    aggregated = list(rows.annotate(period=trunc).values("period").annotate(total=measure).values_list("period", "total").order_by("period"))
    if not aggregated:
        return Series(dates=[], values=np.array([], dtype=float), frequency=frequency.value)
    observed = {(p.date() if isinstance(p, dt.datetime) else p): float(total) for p, total in aggregated}
    dates = frequency.dates_between(min(observed), cutoff - dt.timedelta(days=1))
    values = np.array([observed.get(d, 0.0) for d in dates], dtype=float)
    return Series(dates=dates, values=values, frequency=frequency.value)


def series_group_build(*, workspace: Workspace, target: Target, series: Series) -> np.ndarray | None:
    """The values of ``target``'s aggregate (:attr:`Target.group`) over the periods of
    ``series`` (built for ``target``), for the competition's ``group_series``; None for a
    target without one or an empty series. The aggregate holds every row of the part, so
    it covers its periods; it ends with the same complete period."""
    group = target.group
    if group is None or not len(series):
        return None
    cutoff = Frequency(series.frequency).add(series.dates[-1], 1)
    whole = series_build(workspace=workspace, target=group, frequency=series.frequency, end=cutoff)
    values = dict(zip(whole.dates, whole.values.tolist(), strict=True))
    return np.array([values.get(d, 0.0) for d in series.dates], dtype=float)
