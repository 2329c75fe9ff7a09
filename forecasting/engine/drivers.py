"""Demand drivers as numbers: known-future covariates from a file's columns, and public
holidays from the ``holidays`` package.

A driver column is numeric when every value parses as a number (a price, a promotion
flag, an opening flag); otherwise it is categorical and becomes one 0/1 column per value
(``state_holiday=a``). Public holidays of a country (``DE``) or of one of its regions
(``DE-BY``, ISO 3166-2) become the number of holidays in each period (0/1 for daily
data, a count for weekly and monthly data).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: The column that carries the public holidays among the drivers.
HOLIDAYS = "holidays"


class DriverError(ValueError):
    """A driver option or column cannot be used; the message names it."""


def holiday_calendar(code: str) -> Any:
    """The ``holidays`` calendar of ``CC`` or ``CC-REGION``, or :class:`DriverError`."""
    import holidays

    country, _, region = code.strip().upper().partition("-")
    if country not in holidays.list_supported_countries():
        raise DriverError(f"unknown holidays country {code!r}: use an ISO 3166-1 code such as DE, FR or US")
    try:
        return holidays.country_holidays(country, subdiv=region or None)
    except NotImplementedError as exc:
        regions = ", ".join(sorted(holidays.list_supported_countries()[country])[:12])
        raise DriverError(f"unknown region {region!r} of {country}; known: {regions}") from exc


def holiday_counts(dates: pd.DatetimeIndex, freq: str, calendar: Any) -> np.ndarray:
    """Public holidays in each period ``[date, next date)`` of a regular series."""
    if not len(dates):
        return np.zeros(0)
    ends = pd.date_range(dates[0], periods=len(dates) + 1, freq=freq)[1:]
    days = pd.date_range(dates[0].normalize(), ends[-1].normalize(), freq="D")
    marked = np.concatenate([[0], np.cumsum([day in calendar for day in days.date])])
    start = days.searchsorted(dates.normalize())
    end = days.searchsorted(ends.normalize())
    return (marked[end] - marked[start]).astype(float)


def driver_kinds(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[str] | None]:
    """Per column: None for a numeric driver, else its sorted category values (the
    values of every row, the horizon's included, so both see the same columns)."""
    kinds: dict[str, list[str] | None] = {}
    for column in columns:
        text = frame[column].astype(str).str.strip()
        filled = text[text != ""]
        numeric = pd.to_numeric(filled, errors="coerce")
        kinds[column] = None if numeric.notna().all() else sorted(filled.unique())
    return kinds


def driver_matrix(rows: pd.DataFrame, kinds: dict[str, list[str] | None]) -> pd.DataFrame:
    """The numeric drivers of ``rows`` (one-hot columns for the categorical ones), or
    :class:`DriverError` naming the column and the first date with a missing value."""
    out: dict[str, np.ndarray] = {}
    for column, categories in kinds.items():
        text = rows[column].astype(str).str.strip()
        if (text == "").any():
            raise DriverError(f"driver {column} is empty at ds {rows.loc[text == '', 'ds'].iloc[0]}")
        if categories is None:
            values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
            if not np.all(np.isfinite(values)):
                raise DriverError(f"driver {column} is not a finite number at ds "
                                  f"{rows['ds'].iloc[int(np.flatnonzero(~np.isfinite(values))[0])]}")
            out[column] = values
        else:
            for value in categories:
                out[f"{column}={value}"] = (text == value).to_numpy(dtype=float)
    return pd.DataFrame(out, index=rows.index)
