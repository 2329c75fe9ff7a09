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

With drivers (``covariates``: columns of the file, numeric or categorical; and/or
``holidays_country``: public holidays of ``CC`` or ``CC-REGION``) the rows of a series
after its last observed ``y`` (``y`` empty) are the horizon and carry the known-future
drivers: there must be exactly ``horizon`` of them (with holidays only, they may be left
out and the dates follow the series' frequency). Every candidate gets the drivers
(:mod:`forecasting.engine.drivers`); ``global_lightgbm``, one model across all series
of the file (:mod:`forecasting.engine.panel`), enters each series' competition too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.engine.competition import (
    DEFAULT_ALGORITHMS,
    Candidate,
    CompetitionResult,
    run_competition,
)
from forecasting.engine.drivers import (
    HOLIDAYS,
    DriverError,
    driver_kinds,
    driver_matrix,
    holiday_calendar,
    holiday_counts,
)
from forecasting.engine.panel import GlobalGBMForecaster, panel_candidates
from forecasting.engine.registry import ALGORITHMS

GLOBAL = GlobalGBMForecaster.name
KNOWN = (*ALGORITHMS, GLOBAL)

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


@dataclass(frozen=True)
class Drivers:
    """The drivers of a run: the file's covariate columns (None: numeric, else their
    categories) and the public holidays calendar."""

    kinds: dict[str, list[str] | None] = field(default_factory=dict)
    calendar: Any = None

    @property
    def given(self) -> bool:
        return bool(self.kinds) or self.calendar is not None


@dataclass
class Prepared:
    """One series: observed dates and values, its frequency, the horizon's dates, and
    the drivers of every observed and future period (None without drivers)."""

    dates: pd.DatetimeIndex
    y: np.ndarray
    freq: str
    future: pd.DatetimeIndex
    X: pd.DataFrame | None = None

    def split(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        if self.X is None:
            return None, None
        values = self.X.to_numpy(dtype=float)
        return values[: len(self.y)], values[len(self.y):]


def _observed_count(text: pd.Series, drivers: Drivers) -> int:
    """How many leading rows are observed: with drivers the rows after the last ``y``
    given are the horizon."""
    if not drivers.given:
        return len(text)
    given = np.flatnonzero((text != "").to_numpy())
    return int(given[-1]) + 1 if len(given) else 0


def _prepare(group: pd.DataFrame, horizon: int = 0, drivers: Drivers | None = None) -> Prepared:
    drivers = drivers or Drivers()
    dates = pd.to_datetime(group["ds"].str.strip(), errors="coerce")
    if dates.isna().any():
        shown = ", ".join(group.loc[dates.isna(), "ds"].astype(str).tolist()[:3])
        raise SeriesError(f"unparseable date(s) in ds: {shown}")
    order = np.argsort(dates.to_numpy(), kind="stable")
    group, dates = group.iloc[order], pd.DatetimeIndex(dates.to_numpy()[order])
    text = group["y"].str.strip()
    n = _observed_count(text, drivers)
    values = pd.to_numeric(text.iloc[:n], errors="coerce")
    bad = group["ds"].iloc[:n][values.isna().to_numpy()].tolist()
    if bad:
        shown = ", ".join(map(str, bad[:3])) + (" …" if len(bad) > 3 else "")
        raise SeriesError(f"{len(bad)} missing or non-numeric y value(s) (ds {shown})")
    if not np.all(np.isfinite(values.to_numpy(dtype=float))):
        raise SeriesError("infinite y value(s)")
    if dates.has_duplicates:
        raise SeriesError(f"duplicate dates, e.g. {dates[dates.duplicated()][0].date()}")
    if len(dates) < 3:
        raise SeriesError(f"only {len(dates)} point(s); at least 3 are needed to infer the frequency")
    freq = pd.infer_freq(dates)
    if freq is None:
        raise SeriesError("the dates are not regularly spaced; cannot infer the frequency")
    prepared = Prepared(dates[:n], values.to_numpy(dtype=float), freq, dates[n:])
    return _with_drivers(prepared, group, horizon, drivers) if drivers.given else prepared


def _with_drivers(prepared: Prepared, group: pd.DataFrame, horizon: int, drivers: Drivers) -> Prepared:
    """The series with its drivers, the horizon's rows checked against ``horizon``."""
    uid = group["unique_id"].iloc[0]
    future = len(prepared.future)
    if future == 0 and not drivers.kinds:  # holidays only: the horizon follows the frequency
        prepared.future = pd.date_range(prepared.dates[-1], periods=horizon + 1, freq=prepared.freq)[1:]
    elif future != horizon:
        raise BatchInputError(
            f"series {uid} has {future} row(s) after its last observed y (the horizon, with the "
            f"drivers known in advance); --horizon is {horizon}: give exactly {horizon} such rows")
    try:
        X = driver_matrix(group, drivers.kinds) if drivers.kinds else pd.DataFrame(index=group.index)
    except DriverError as exc:
        raise SeriesError(str(exc)) from exc
    X = X.reset_index(drop=True).reindex(range(len(prepared.y) + horizon))
    if drivers.calendar is not None:
        X[HOLIDAYS] = holiday_counts(prepared.dates.append(prepared.future), prepared.freq, drivers.calendar)
    prepared.X = X
    return prepared


def _group_values(groups: list[tuple[Any, pd.DataFrame]], group_id: str | None, horizon: int,
                  drivers: Drivers) -> pd.Series | None:
    """The group series by date, or :class:`BatchInputError` when it is absent or unusable."""
    if group_id is None:
        return None
    found = next((rows for uid, rows in groups if uid == group_id), None)
    if found is None:
        raise BatchInputError(f"the group series {group_id!r} is not in the file")
    try:
        found_series = _prepare(found, horizon, drivers)
    except SeriesError as exc:
        raise BatchInputError(f"the group series {group_id!r} cannot be used: {exc}") from exc
    return pd.Series(found_series.y, index=found_series.dates)


def _on_dates(aggregate: pd.Series, dates: pd.DatetimeIndex, group_id: str) -> np.ndarray:
    missing = dates.difference(aggregate.index)
    if len(missing):
        raise SeriesError(f"the group series {group_id!r} has no value for ds {missing[0].date()}")
    return aggregate.loc[dates].to_numpy(dtype=float)


def _format_dates(dates: pd.DatetimeIndex) -> list[str]:
    if (dates == dates.normalize()).all():
        return [d.strftime("%Y-%m-%d") for d in dates]
    return [d.isoformat() for d in dates]


def _drivers(frame: pd.DataFrame, covariates: Sequence[str], holidays_country: str | None) -> Drivers:
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise BatchInputError(f"the covariate column(s) {', '.join(missing)} are not in the file")
    clash = [c for c in covariates if c in REQUIRED_COLUMNS]
    if clash:
        raise BatchInputError(f"{', '.join(clash)} cannot be a covariate")
    try:
        calendar = holiday_calendar(holidays_country) if holidays_country else None
    except DriverError as exc:
        raise BatchInputError(str(exc)) from exc
    return Drivers(driver_kinds(frame, covariates), calendar)


def _check_options(horizon: int, season_length: int, algorithms: Sequence[str] | None) -> None:
    if horizon < 1:
        raise BatchInputError(f"the horizon must be positive; got {horizon}")
    if season_length < 1:
        raise BatchInputError(f"the season length must be positive; got {season_length}")
    unknown = sorted(set(algorithms or []) - set(KNOWN))
    if unknown:
        raise BatchInputError(f"unknown algorithm(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN))}")


def _global_candidates(prepared: dict[str, Prepared], horizon: int, season_length: int) -> dict[str, Candidate]:
    """The global model across every series that could be read, one candidate each."""
    observed, future = [], []
    for uid, series in prepared.items():
        X = series.X if series.X is not None else pd.DataFrame(index=range(len(series.y) + horizon))
        drivers = X.reset_index(drop=True)
        observed.append(drivers.iloc[: len(series.y)].assign(unique_id=uid, ds=series.dates, y=series.y))
        future.append(drivers.iloc[len(series.y):].assign(unique_id=uid, ds=series.future))
    names = [c for c in observed[0].columns if c not in REQUIRED_COLUMNS]
    return panel_candidates(pd.concat(observed, ignore_index=True), pd.concat(future, ignore_index=True),
                            names, horizon=horizon, season_length=season_length)


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
    covariates: Sequence[str] = (),
    holidays_country: str | None = None,
    on_result: Callable[[str, CompetitionResult, np.ndarray | None], Any] | None = None,
) -> BatchReport:
    """Forecast every series of a long frame (columns as text or numbers); ``group_id``:
    the series whose seasonal pattern the others borrow; ``covariates`` and
    ``holidays_country``: the drivers (see the module docstring); ``on_result``: called
    with each series' id, competition and horizon drivers (benchmarks keep them)."""
    from tqdm import tqdm

    _check_options(horizon, season_length, algorithms)
    drivers = _drivers(frame, covariates, holidays_country)
    chosen = list(algorithms) if algorithms else [*DEFAULT_ALGORITHMS, *([GLOBAL] if drivers.given else [])]
    frame = frame.astype({c: str for c in (*REQUIRED_COLUMNS, *covariates)})
    groups = list(frame.groupby("unique_id", sort=True))
    aggregate = _group_values(groups, group_id, horizon, drivers)
    errors: dict[str, str] = {}

    def fail(uid: str, message: str) -> None:
        errors[uid] = message
        if on_error:
            on_error(uid, message)

    prepared: dict[str, Prepared] = {}
    for uid, group in groups:
        try:
            prepared[str(uid)] = _prepare(group, horizon, drivers)
        except SeriesError as exc:
            fail(str(uid), str(exc))
    extra = _global_candidates(prepared, horizon, season_length) if GLOBAL in chosen and prepared else {}
    per_series = [name for name in chosen if name != GLOBAL]
    rows: list[pd.DataFrame] = []
    for uid, series in tqdm(prepared.items(), desc="forecast_csv", unit="series", disable=not progress):
        try:
            result, X_future = _compete(uid, series, horizon, season_length, per_series, n_jobs,
                                        aggregate, group_id, extra.get(uid))
            rows.append(_forecast_rows(uid, series, result, X_future))
            if on_result:
                on_result(uid, result, X_future)
        except SeriesError as exc:
            fail(uid, str(exc))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=OUTPUT_COLUMNS)
    return BatchReport(out[OUTPUT_COLUMNS], errors, len(groups))


def _compete(uid: str, series: Prepared, horizon: int, season_length: int, algorithms: list[str],
             n_jobs: int | None, aggregate: pd.Series | None, group_id: str | None,
             extra: Candidate | None) -> tuple[CompetitionResult, np.ndarray | None]:
    """One series' competition (the global model's candidate among the others) and the
    horizon's drivers."""
    group_series = None if aggregate is None or uid == group_id else _on_dates(aggregate, series.dates, group_id)
    X, X_future = series.split()
    params = {"prophet": {"start": series.dates[0].strftime("%Y-%m-%d")}} if X is not None else None
    result = run_competition(series.y, horizon=horizon, season_length=season_length, algorithms=algorithms,
                             n_jobs=n_jobs, group_series=group_series, X=X, params=params,
                             extra=[extra] if extra is not None else ())
    if result.winner is None:
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in result.candidates)
        raise SeriesError(f"no algorithm could be trained ({reasons})")
    return result, X_future


def _forecast_rows(uid: str, series: Prepared, result: CompetitionResult, X_future: np.ndarray | None) -> pd.DataFrame:
    """The winner's forecast as output rows."""
    horizon = result.horizon
    forecast = result.winner.forecaster.predict(horizon, X_future)
    future = series.future if len(series.future) else pd.date_range(
        series.dates[-1], periods=horizon + 1, freq=series.freq)[1:]
    return pd.DataFrame({
        "unique_id": uid, "ds": _format_dates(future), "yhat": forecast.mean,
        "lo80": forecast.lo80, "hi80": forecast.hi80, "lo95": forecast.lo95,
        "hi95": forecast.hi95, "algorithm": result.winner.name,
    })


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
    covariates: Sequence[str] = (),
    holidays_country: str | None = None,
) -> BatchReport:
    """Read ``input_path``, forecast every series, write ``output_path`` (CSV)."""
    frame = read_long_csv(input_path)
    report = forecast_frame(frame, horizon=horizon, season_length=season_length,
                            algorithms=algorithms, n_jobs=n_jobs, on_error=on_error,
                            progress=progress, group_id=group_id, covariates=covariates,
                            holidays_country=holidays_country)
    report.forecasts.to_csv(output_path, index=False, float_format="%.6g")
    return report
