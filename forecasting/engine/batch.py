"""Batch forecasting of a long CSV (``unique_id,ds,y``): one competition per series.

Output columns: ``unique_id,ds,yhat,lo80,hi80,lo95,hi95,algorithm`` with the future
dates inferred from each series' own frequency. A bad file (missing columns) raises
:class:`BatchInputError`; a bad series (non-numeric values, unparseable or irregular
dates, too short for every algorithm) is reported through ``on_error`` and the other
series still run.

With ``group_id`` the file holds an aggregate and its parts (a total and its categories):
every other series borrows that series' seasonal pattern (``run_competition``'s
``group_series``, read on the part's own dates), as the app does for one expense
category or one product.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.engine.competition import run_competition
from forecasting.engine.registry import ALGORITHMS

REQUIRED_COLUMNS = ("unique_id", "ds", "y")
OUTPUT_COLUMNS = ["unique_id", "ds", "yhat", "lo80", "hi80", "lo95", "hi95", "algorithm"]


class BatchInputError(ValueError):
    """The input as a whole cannot be used (unreadable file, missing columns, bad options)."""


class SeriesError(ValueError):
    """One series cannot be forecast; the message says why."""


@dataclass
class BatchReport:
    """The forecasts written and the series that could not be forecast (id → reason)."""

    forecasts: pd.DataFrame
    errors: dict[str, str] = field(default_factory=dict)
    n_series: int = 0

    @property
    def n_ok(self) -> int:
        return self.n_series - len(self.errors)


def read_long_csv(path: str | Path) -> pd.DataFrame:
    """Read the CSV as text (values are validated per series) and check its columns."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BatchInputError(f"cannot read {path}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise BatchInputError(
            f"{path} is missing the column(s) {', '.join(missing)}; expected {','.join(REQUIRED_COLUMNS)}"
        )
    return frame


def _prepare(group: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray, str]:
    values = pd.to_numeric(group["y"].str.strip(), errors="coerce")
    bad = group.loc[values.isna(), "ds"].tolist()
    if bad:
        shown = ", ".join(map(str, bad[:3])) + (" …" if len(bad) > 3 else "")
        raise SeriesError(f"{len(bad)} missing or non-numeric y value(s) (ds {shown})")
    if not np.all(np.isfinite(values.to_numpy(dtype=float))):
        raise SeriesError("infinite y value(s)")
    dates = pd.to_datetime(group["ds"].str.strip(), errors="coerce")
    if dates.isna().any():
        shown = ", ".join(group.loc[dates.isna(), "ds"].astype(str).tolist()[:3])
        raise SeriesError(f"unparseable date(s) in ds: {shown}")
    order = np.argsort(dates.to_numpy(), kind="stable")
    dates = pd.DatetimeIndex(dates.to_numpy()[order])
    y = values.to_numpy(dtype=float)[order]
    if dates.has_duplicates:
        raise SeriesError(f"duplicate dates, e.g. {dates[dates.duplicated()][0].date()}")
    if len(dates) < 3:
        raise SeriesError(f"only {len(dates)} point(s); at least 3 are needed to infer the frequency")
    freq = pd.infer_freq(dates)
    if freq is None:
        raise SeriesError("the dates are not regularly spaced; cannot infer the frequency")
    return dates, y, freq


def _group_values(groups: list[tuple[Any, pd.DataFrame]], group_id: str | None) -> pd.Series | None:
    """The group series by date, or :class:`BatchInputError` when it is absent or unusable."""
    if group_id is None:
        return None
    found = next((rows for uid, rows in groups if uid == group_id), None)
    if found is None:
        raise BatchInputError(f"the group series {group_id!r} is not in the file")
    try:
        dates, y, _ = _prepare(found)
    except SeriesError as exc:
        raise BatchInputError(f"the group series {group_id!r} cannot be used: {exc}") from exc
    return pd.Series(y, index=dates)


def _on_dates(aggregate: pd.Series, dates: pd.DatetimeIndex, group_id: str) -> np.ndarray:
    missing = dates.difference(aggregate.index)
    if len(missing):
        raise SeriesError(f"the group series {group_id!r} has no value for ds {missing[0].date()}")
    return aggregate.loc[dates].to_numpy(dtype=float)


def _format_dates(dates: pd.DatetimeIndex) -> list[str]:
    if (dates == dates.normalize()).all():
        return [d.strftime("%Y-%m-%d") for d in dates]
    return [d.isoformat() for d in dates]


def forecast_frame(
    frame: pd.DataFrame,
    *,
    horizon: int,
    season_length: int,
    algorithms: Sequence[str] | None = None,
    n_jobs: int | None = None,
    on_error: Callable[[str, str], Any] | None = None,
    progress: bool = True,
    group_id: str | None = None,
) -> BatchReport:
    """Forecast every series of a long frame (columns as text or numbers); ``group_id``:
    the series whose seasonal pattern the others borrow."""
    from tqdm import tqdm

    if horizon < 1:
        raise BatchInputError(f"the horizon must be positive; got {horizon}")
    if season_length < 1:
        raise BatchInputError(f"the season length must be positive; got {season_length}")
    unknown = sorted(set(algorithms or []) - set(ALGORITHMS))
    if unknown:
        raise BatchInputError(
            f"unknown algorithm(s) {', '.join(unknown)}; known: {', '.join(sorted(ALGORITHMS))}")
    frame = frame.astype({c: str for c in REQUIRED_COLUMNS})
    groups = list(frame.groupby("unique_id", sort=True))
    aggregate = _group_values(groups, group_id)
    rows: list[pd.DataFrame] = []
    errors: dict[str, str] = {}
    for uid, group in tqdm(groups, desc="forecast_csv", unit="series", disable=not progress):
        try:
            dates, y, freq = _prepare(group)
            group_series = None if aggregate is None or uid == group_id else _on_dates(aggregate, dates, group_id)
            result = run_competition(y, horizon=horizon, season_length=season_length,
                                     algorithms=algorithms, n_jobs=n_jobs, group_series=group_series)
            if result.winner is None:
                reasons = "; ".join(f"{c.name}: {c.reason}" for c in result.candidates)
                raise SeriesError(f"no algorithm could be trained ({reasons})")
            forecast = result.winner.forecaster.predict(horizon)
        except SeriesError as exc:
            errors[str(uid)] = str(exc)
            if on_error:
                on_error(str(uid), str(exc))
            continue
        future = pd.date_range(dates[-1], periods=horizon + 1, freq=freq)[1:]
        rows.append(pd.DataFrame({
            "unique_id": uid, "ds": _format_dates(future), "yhat": forecast.mean,
            "lo80": forecast.lo80, "hi80": forecast.hi80, "lo95": forecast.lo95,
            "hi95": forecast.hi95, "algorithm": result.winner.name,
        }))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=OUTPUT_COLUMNS)
    return BatchReport(out[OUTPUT_COLUMNS], errors, len(groups))


def forecast_csv(
    input_path: str | Path,
    output_path: str | Path,
    *,
    horizon: int,
    season_length: int,
    algorithms: Sequence[str] | None = None,
    n_jobs: int | None = None,
    on_error: Callable[[str, str], Any] | None = None,
    progress: bool = True,
    group_id: str | None = None,
) -> BatchReport:
    """Read ``input_path``, forecast every series, write ``output_path`` (CSV)."""
    frame = read_long_csv(input_path)
    report = forecast_frame(frame, horizon=horizon, season_length=season_length,
                            algorithms=algorithms, n_jobs=n_jobs, on_error=on_error,
                            progress=progress, group_id=group_id)
    report.forecasts.to_csv(output_path, index=False, float_format="%.6g")
    return report
