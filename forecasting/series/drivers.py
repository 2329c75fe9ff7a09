"""The demand drivers of an inventory series, period by period: what the forecasters that
take known-future covariates learn from (``fit(y, X)``), and the same drivers for the
periods ahead (``predict(horizon, X)``).

Columns, in this order:

* ``promotion``: the share of the period's units sold on promotion (``Sale.on_promotion``;
  0 or 1 for a day with sales, 0 without);
* ``price``: the units-weighted mean ``Sale.unit_price`` of the period; a period without
  sales keeps the price before it (the first periods: the first price seen);
* ``holidays``: the public holidays in the period, from the workspace's country and
  region (:mod:`forecasting.engine.drivers`), only when the workspace has a country.

A model that learned from them is stored as a :class:`DrivenForecaster`: the fitted
forecaster with the drivers, so that every serving path's ``predict(periods)`` forecasts
with the drivers it expects (no promotion, the last price, the holidays ahead) and a
request can plan promotions and prices for the days ahead (:class:`DriverPlan`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import DecimalField, F, Q, Sum

from finance.models import Sale, Workspace
from forecasting.engine.drivers import holiday_calendar, holiday_counts
from forecasting.series.frequency import Frequency
from forecasting.series.selectors import Series
from forecasting.series.targets import Target


@dataclass(frozen=True)
class SeriesDrivers:
    """The drivers of every period of a series (``values``: periods × ``names``)."""

    names: list[str]
    values: np.ndarray
    frequency: str
    holidays_code: str = ""

    @property
    def last_price(self) -> float:
        return float(self.values[-1, 1]) if len(self.values) else 0.0

    def future(self, dates: Sequence[dt.date], *, promotion: Sequence[float] | None = None,
               price: Sequence[float] | None = None) -> np.ndarray:
        """The drivers of the periods ``dates`` ahead: planned promotion shares and prices
        (default: no promotion, the last price) and their public holidays."""
        n = len(dates)
        columns = {
            "promotion": np.zeros(n) if promotion is None else np.asarray(promotion, dtype=float),
            "price": np.full(n, self.last_price) if price is None else np.asarray(price, dtype=float),
        }
        if "holidays" in self.names:
            columns["holidays"] = _holidays(dates, self.frequency, self.holidays_code)
        for name, column in columns.items():
            if column.shape != (n,):
                raise ValueError(f"{name} needs one value per period ahead ({n}); got {column.shape[0]}")
        return np.column_stack([columns[name] for name in self.names])


@dataclass(frozen=True)
class PlannedPrice:
    start: dt.date
    end: dt.date  # inclusive
    price: float


@dataclass(frozen=True)
class DriverPlan:
    """Promotions and prices planned for days ahead (inclusive date ranges). A period's
    promotion share is the share of its days on promotion; its price is the mean over
    its days of the planned price, the last price where none is planned."""

    promotions: Sequence[tuple[dt.date, dt.date]] = ()
    prices: Sequence[PlannedPrice] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.promotions or self.prices)

    def as_dict(self) -> dict[str, Any]:
        """The plan as a request log records it."""
        return {"promotions": [{"start": a.isoformat(), "end": b.isoformat()} for a, b in self.promotions],
                "prices": [{"start": p.start.isoformat(), "end": p.end.isoformat(), "price": p.price}
                           for p in self.prices]}

    def per_period(self, dates: Sequence[dt.date], frequency: str, last_price: float) -> tuple[np.ndarray, np.ndarray]:
        """``(promotion shares, prices)`` of the periods starting at ``dates``."""
        freq = Frequency(frequency)
        promotion, price = np.zeros(len(dates)), np.full(len(dates), last_price)
        for i, begin in enumerate(dates):
            days = [begin + dt.timedelta(days=k) for k in range((freq.add(begin, 1) - begin).days)]
            promotion[i] = sum(any(a <= d <= b for a, b in self.promotions) for d in days) / len(days)
            price[i] = float(np.mean([self._price(d, last_price) for d in days]))
        return promotion, price

    def _price(self, day: dt.date, last_price: float) -> float:
        for planned in reversed(self.prices):  # the last range given wins where ranges overlap
            if planned.start <= day <= planned.end:
                return planned.price
        return last_price


class DrivenForecaster:
    """A fitted forecaster that learned from its series' drivers, stored with them.

    ``predict(horizon)`` — what every serving path calls — forecasts the periods after
    ``last_date`` with the drivers of :meth:`SeriesDrivers.future` (no promotion, the last
    price, the public holidays ahead); ``predict(horizon, X)`` with the caller's, which
    :meth:`plan` builds from a :class:`DriverPlan`. Anything else (``name``,
    ``n_covariates_``, ``get_params``...) is the fitted forecaster's.
    """

    def __init__(self, forecaster: Any, drivers: SeriesDrivers, last_date: dt.date) -> None:
        self.forecaster, self.drivers, self.last_date = forecaster, drivers, last_date

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in {"forecaster", "drivers", "last_date"}:
            raise AttributeError(name)  # (unpickling asks before __dict__ is set)
        return getattr(self.forecaster, name)

    def dates_ahead(self, horizon: int) -> list[dt.date]:
        return Frequency(self.drivers.frequency).dates_after(self.last_date, horizon)

    def plan(self, horizon: int, plan: DriverPlan | None = None) -> np.ndarray:
        """The drivers of the next ``horizon`` periods under ``plan`` (default: none)."""
        dates = self.dates_ahead(horizon)
        if not plan:
            return self.drivers.future(dates)
        promotion, price = plan.per_period(dates, self.drivers.frequency, self.drivers.last_price)
        return self.drivers.future(dates, promotion=promotion, price=price)

    def predict(self, horizon: int, X: Any = None) -> Any:
        return self.forecaster.predict(horizon, self.plan(horizon) if X is None else X)


def _holidays(dates: Sequence[dt.date], frequency: str, code: str) -> np.ndarray:
    index = pd.DatetimeIndex(pd.to_datetime(list(dates)))
    return holiday_counts(index, Frequency(frequency).pandas_alias, holiday_calendar(code))


def workspace_holidays_code(workspace: Workspace) -> str:
    """``CC`` or ``CC-REGION`` of the workspace's public holidays ('' without a country)."""
    if not workspace.holidays_country:
        return ""
    return "-".join(p for p in (workspace.holidays_country, workspace.holidays_region) if p)


def series_drivers_build(*, workspace: Workspace, target: Target, series: Series) -> SeriesDrivers | None:
    """The drivers of ``series`` (built for the inventory ``target``): one query for the
    promotion units and the takings per period. None for other targets or an empty series."""
    if target.metric != "inventory" or not len(series):
        return None
    frequency = Frequency(series.frequency)
    rows = Sale.objects.filter(workspace=workspace, date__gte=series.dates[0],
                               date__lt=frequency.add(series.dates[-1], 1))
    if target.product_id is not None:
        rows = rows.filter(product_id=target.product_id)
    if target.warehouse_id is not None:
        rows = rows.filter(warehouse_id=target.warehouse_id)
    per_period = {
        (p.date() if isinstance(p, dt.datetime) else p): (float(units), float(promoted or 0), float(takings))
        for p, units, promoted, takings in rows.annotate(period=frequency.truncate("date")).values("period")
        .annotate(units=Sum("quantity"), promoted=Sum("quantity", filter=Q(on_promotion=True)),
                  takings=Sum(F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=20, decimal_places=2)))
        .values_list("period", "units", "promoted", "takings").order_by("period")
    }
    promotion, price = np.zeros(len(series)), np.full(len(series), np.nan)
    for i, day in enumerate(series.dates):
        units, promoted, takings = per_period.get(day, (0.0, 0.0, 0.0))
        if units:
            promotion[i], price[i] = promoted / units, takings / units
    price = pd.Series(price).ffill().bfill().fillna(0.0).to_numpy()
    names, columns = ["promotion", "price"], [promotion, price]
    code = workspace_holidays_code(workspace)
    if code:
        names.append("holidays")
        columns.append(_holidays(series.dates, series.frequency, code))
    return SeriesDrivers(names=names, values=np.column_stack(columns), frequency=series.frequency,
                         holidays_code=code)
