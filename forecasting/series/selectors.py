"""Training series built from **approved** finance rows.

One query aggregates the rows per period; missing periods are filled with zero (no
sales that week is a real zero, not a gap). The period holding ``end`` (today by
default) is left out because it is not complete yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from finance.models import Sale, Transaction, Workspace
from forecasting.series.targets import Target

FREQUENCIES = {"D": "daily", "W": "weekly", "M": "monthly"}
SEASON_LENGTH = {"D": 7, "W": 52, "M": 12}
DEFAULT_HORIZON = {"D": 30, "W": 12, "M": 6}
_TRUNC = {"D": TruncDay, "W": TruncWeek, "M": TruncMonth}
_PANDAS_FREQ = {"D": "D", "W": "W-MON", "M": "MS"}


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
        return SEASON_LENGTH[self.frequency]

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
        index = pd.date_range(self.dates[-1], periods=periods + 1, freq=_PANDAS_FREQ[self.frequency])
        return [d.date() for d in index[1:]]

    def as_dict(self) -> dict:
        return {"frequency": self.frequency, "dates": [d.isoformat() for d in self.dates], "values": self.values.tolist()}


def period_start(day: dt.date, frequency: str) -> dt.date:
    if frequency == "M":
        return day.replace(day=1)
    if frequency == "W":
        return day - dt.timedelta(days=day.weekday())
    return day


def future_dates_after(last: dt.date, periods: int, frequency: str) -> list[dt.date]:
    index = pd.date_range(last, periods=periods + 1, freq=_PANDAS_FREQ[frequency])
    return [d.date() for d in index[1:]]


def series_build(
    *, workspace: Workspace, target: Target, frequency: str = "M", end: dt.date | None = None
) -> Series:
    """The series a forecaster of ``target`` learns from, at ``frequency`` (D, W or M)."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"Unknown frequency '{frequency}'; use D, W or M.")
    if not target.is_forecast:
        raise ValueError(f"'{target}' is not a forecast target.")
    end = end or timezone.localdate()
    cutoff = period_start(end, frequency)  # first day of the incomplete period
    trunc = _TRUNC[frequency]("date")

    if target.metric == "inventory":
        rows = Sale.objects.filter(workspace=workspace, date__lt=cutoff)
        if target.product_id is not None:
            rows = rows.filter(product_id=target.product_id)
        if target.warehouse_id is not None:
            rows = rows.filter(warehouse_id=target.warehouse_id)
        measure = Sum("quantity")
    else:
        rows = Transaction.objects.filter(
            workspace=workspace, kind=target.metric, status=Transaction.Status.APPROVED, date__lt=cutoff
        )
        if target.category_id is not None:
            rows = rows.filter(category_id=target.category_id)
        measure = Sum("amount")

    aggregated = list(rows.annotate(period=trunc).values("period").annotate(total=measure).values_list("period", "total").order_by("period"))
    if not aggregated:
        return Series(dates=[], values=np.array([], dtype=float), frequency=frequency)
    observed = {(p.date() if isinstance(p, dt.datetime) else p): float(total) for p, total in aggregated}
    first = min(observed)
    last = period_start(cutoff - dt.timedelta(days=1), frequency)
    index = pd.date_range(first, last, freq=_PANDAS_FREQ[frequency])
    dates = [d.date() for d in index]
    values = np.array([observed.get(d, 0.0) for d in dates], dtype=float)
    return Series(dates=dates, values=values, frequency=frequency)


def series_group_build(*, workspace: Workspace, target: Target, series: Series) -> np.ndarray | None:
    """The values of ``target``'s aggregate (:attr:`Target.group`) over the periods of
    ``series`` (built for ``target``), for the competition's ``group_series``; None for a
    target without one or an empty series. The aggregate holds every row of the part, so
    it covers its periods; it ends with the same complete period."""
    group = target.group
    if group is None or not len(series):
        return None
    cutoff = future_dates_after(series.dates[-1], 1, series.frequency)[0]
    whole = series_build(workspace=workspace, target=group, frequency=series.frequency, end=cutoff)
    values = dict(zip(whole.dates, whole.values.tolist(), strict=True))
    return np.array([values.get(d, 0.0) for d in series.dates], dtype=float)
