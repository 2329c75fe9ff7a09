"""Spending patterns (``GET /api/v1/financial/spending-patterns/``): for the workspace's
expenses in total and per category, over the last ``months`` complete months (approved
transactions only):

``monthly``      the amount of each month, oldest first.
``trend``        the least-squares slope in currency per month over the window, and as a
                 share of the window's monthly average (``percent_per_month``); ``rising``
                 or ``falling`` from :data:`TREND_FLAT` (2 % a month) either way, else ``flat``.
``seasonality``  from up to :data:`SEASONAL_HISTORY` months of history (the series from its
                 first month with spending on), when it holds at least two full years: a
                 linear trend and a component per calendar month fitted together by least
                 squares (the components centred on zero); ``strength`` = max(0, 1 − s²(residual) / s²(detrended)), the
                 variances with their degrees of freedom (n − 2 for the detrended series,
                 n − 13 for the residual) so that noise alone scores near 0 rather than ½;
                 ``indices`` are (average + component) / average per calendar month
                 (January first), ``peak_month`` / ``low_month`` the highest and lowest.
``volatility``   the coefficient of variation of the window's months (population standard
                 deviation / mean, as the segment feature ``spending_volatility``): ``low``
                 under 0.25, ``medium`` under 0.5, else ``high``.
``recurring``    what the window paid to recurring bills still running
                 (:func:`finance.services.recurring.recurring_bills_detect`: same payee and
                 category, regular period, steady amount), and its share of the spending.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from coaching.selectors import UNCATEGORISED, books_monthly, complete_months, expense_payee_totals
from finance.models import Workspace
from finance.months import add_months
from finance.services.recurring import payee_key, recurring_bills_detect

DEFAULT_MONTHS, MIN_MONTHS, MAX_MONTHS = 12, 3, 36
SEASONAL_HISTORY = 36
SEASONAL_MIN_MONTHS = 24
TREND_FLAT = 0.02
VOLATILITY_LEVELS = ((0.25, "low"), (0.5, "medium"))


def trend_of(values: np.ndarray) -> dict[str, Any]:
    """Slope (per month), relative slope and direction of a monthly series."""
    if len(values) < 2:
        return {"slope": 0.0, "percent_per_month": None, "direction": "flat"}
    slope = float(np.polyfit(np.arange(len(values), dtype=float), values, 1)[0])
    mean = float(values.mean())
    relative = slope / mean if mean > 0 else None
    direction = "flat" if relative is None or abs(relative) < TREND_FLAT else "rising" if relative > 0 else "falling"
    return {"slope": round(slope, 2), "percent_per_month": None if relative is None else round(relative, 4),
            "direction": direction}


def seasonality_of(values: np.ndarray, months: list[dt.date]) -> dict[str, Any]:
    """The seasonal profile of a monthly series aligned with ``months`` (see the module
    docstring); ``available: false`` with fewer than two years from its first spending."""
    nonzero = np.flatnonzero(values)
    start = int(nonzero[0]) if len(nonzero) else len(values)
    series, calendar = values[start:], [m.month for m in months[start:]]
    out = {"available": False, "history_months": len(series), "strength": None, "peak_month": None,
           "low_month": None, "indices": []}
    if len(series) < SEASONAL_MIN_MONTHS:
        return out
    # trend and calendar months fitted together (a peak late in each year does not tilt the trend)
    x = np.arange(len(series), dtype=float)
    dummies = np.array([[1.0 if m == month else 0.0 for month in range(2, 13)] for m in calendar])
    coef = np.linalg.lstsq(np.column_stack([np.ones_like(x), x, dummies]), series, rcond=None)[0]
    months_effect = np.concatenate([[0.0], coef[2:]])
    component = months_effect - months_effect.mean()
    detrended = series - (coef[0] + months_effect.mean() + coef[1] * x)
    residual = detrended - np.array([component[m - 1] for m in calendar])
    n = len(series)
    spread = float(np.sum(detrended ** 2)) / (n - 2)
    strength = 0.0 if spread <= 0 else max(0.0, 1 - (float(np.sum(residual ** 2)) / (n - 13)) / spread)
    average = float(series.mean())
    indices = [(average + c) / average if average > 0 else 1.0 for c in component]
    return out | {"available": True, "strength": round(min(strength, 1.0), 3),
                  "peak_month": int(np.argmax(component)) + 1, "low_month": int(np.argmin(component)) + 1,
                  "indices": [round(i, 3) for i in indices]}


def volatility_of(values: np.ndarray) -> dict[str, Any]:
    mean = float(values.mean()) if len(values) else 0.0
    cv = float(values.std() / mean) if mean > 0 else 0.0
    level = next((name for limit, name in VOLATILITY_LEVELS if cv < limit), "high")
    return {"coefficient_of_variation": round(cv, 4), "level": level}


@dataclass(frozen=True)
class Recurring:
    """What recurring bills took in a window: ``{category id: (amount, bills)}``."""

    by_category: dict[int | None, tuple[float, int]]

    def of(self, category_id: int | None) -> tuple[float, int]:
        return self.by_category.get(category_id, (0.0, 0))

    @property
    def total(self) -> tuple[float, int]:
        return (sum(a for a, _ in self.by_category.values()), sum(n for _, n in self.by_category.values()))


def recurring_spending(*, workspace: Workspace, start: dt.date, end: dt.date, today: dt.date) -> Recurring:
    """The approved expenses of ``[start, end)`` paid to the recurring bills running on
    ``today``, per category. Two queries."""
    bills = recurring_bills_detect(workspace=workspace, today=today)
    keys = {(payee_key(merchant=bill.payee, description=""), bill.category_id) for bill in bills}
    counts: dict[int | None, int] = defaultdict(int)
    for key in keys:
        counts[key[1]] += 1
    amounts: dict[int | None, float] = defaultdict(float)
    for category_id, merchant, description, total in expense_payee_totals(workspace=workspace, start=start, end=end):
        if (payee_key(merchant=merchant, description=description), category_id) in keys:
            amounts[category_id] += total
    return Recurring({cid: (amounts.get(cid, 0.0), n) for cid, n in counts.items()})


def _pattern(values: np.ndarray, history: np.ndarray, history_months: list[dt.date], window: list[dt.date],
             recurring: tuple[float, int]) -> dict[str, Any]:
    total = float(values.sum())
    amount, bills = recurring
    return {
        "total": round(total, 2),
        "monthly_average": round(total / len(values), 2),
        "monthly": [{"month": m, "amount": round(float(v), 2)} for m, v in zip(window, values, strict=True)],
        "trend": trend_of(values),
        "seasonality": seasonality_of(history, history_months),
        "volatility": volatility_of(values),
        "recurring": {"amount": round(amount, 2), "share": round(amount / total, 4) if total > 0 else 0.0,
                      "bills": bills},
    }


def spending_patterns(*, workspace: Workspace, today: dt.date, months: int = DEFAULT_MONTHS) -> dict[str, Any]:
    """The patterns of the total and of each category with spending in the window (by
    spending, largest first). Three queries."""
    history_months = complete_months(today=today, count=max(SEASONAL_HISTORY, months))
    books = books_monthly(workspace_ids=[workspace.pk], months=history_months)[workspace.pk]
    window = history_months[-months:]
    recurring = recurring_spending(workspace=workspace, start=window[0], end=add_months(window[-1], 1), today=today)
    categories = []
    for category_id, series in books.categories.items():
        values = series.values[-months:]
        if values.sum() <= 0:
            continue
        categories.append({"category": category_id, "name": series.name or UNCATEGORISED}
                          | _pattern(values, series.values, history_months, window, recurring.of(category_id)))
    categories.sort(key=lambda c: (-c["total"], c["name"].lower(), c["category"] or 0))
    return {
        "workspace": workspace.pk, "currency": workspace.currency, "months": months,
        "start": window[0], "end": add_months(window[-1], 1) - dt.timedelta(days=1),
        "total": _pattern(books.expense[-months:], books.expense, history_months, window, recurring.total),
        "categories": categories,
    }
