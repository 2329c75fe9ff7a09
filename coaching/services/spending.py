"""Spending predictions, weekly and monthly, in total and per expense category, with 80 %
and 95 % prediction intervals.

The periods forecast start with the one in progress (the week from Monday, or the
calendar month, that holds today: marked ``current``, with what it has spent so far) and
run for ``horizon`` periods. Each series — the total expense (target ``expense``) and each
category's (``expense:category=<id>``) — is answered by the workspace's deployed
forecaster of that target at that frequency when one is deployed and its forecast covers
every period asked for, through :mod:`forecasting.serving.forecasts` (the same verified
loader, cache and prediction log as the forecast API). Any other series is forecast by the
forecasting engine itself: :func:`forecasting.engine.competition.run_competition` races
:data:`ENGINE_ALGORITHMS` in a rolling-origin backtest over the complete periods (from the
first with spending on) and the winner forecasts — no model of coaching's own. On that
path the workspace's recurring bills are counted by their due dates
(:mod:`coaching.services.spending_bills`): the engine forecasts the series without the
bills' payments, and each period adds the bills due in it (in the current one, those paid
so far); ``bills`` lists them per series and per period. The engine's answers are cached by
the series' content (a new transaction changes the series, hence the key). Amounts below
zero are shown as zero.

A category's ``trend`` compares its forecast (the mean over the periods asked for) with
its average over the last :data:`RECENT` complete periods: ``rising`` from
:data:`TREND_RATIO` above, ``falling`` from as far below, else ``steady`` (``null`` without
a forecast or without recent spending).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError

from coaching.selectors import PeriodBooks, expense_by_period
from coaching.services.spending_bills import SeriesBills, spending_bills
from finance.models import Category, Workspace
from forecasting.engine.baselines import NaiveForecaster
from forecasting.engine.competition import run_competition
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.forecasts import (
    PageForecast,
    deployed_forecasters,
    forecast_predict_many,
    forecasts_read,
)

FREQUENCIES = (Frequency.WEEKLY.value, Frequency.MONTHLY.value)
#: the API's choices (named in the schema by ``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``)
FREQUENCY_CHOICES = [(Frequency.WEEKLY.value, "Weekly"), (Frequency.MONTHLY.value, "Monthly")]
METHOD_CHOICES = [("model", "A deployed forecaster"), ("engine", "The forecasting engine's race")]
#: complete periods read (three years)
HISTORY = {Frequency.WEEKLY.value: 156, Frequency.MONTHLY.value: 36}
DEFAULT_HORIZON = {Frequency.WEEKLY.value: 4, Frequency.MONTHLY.value: 3}
MAX_HORIZON = {Frequency.WEEKLY.value: 26, Frequency.MONTHLY.value: 12}
RECENT = {Frequency.WEEKLY.value: 4, Frequency.MONTHLY.value: 3}
TREND_RATIO = 0.10
ENGINE_ALGORITHMS = ("naive", "seasonal_naive", "linear_regression")
ENGINE_CACHE_PREFIX = "coaching:spending:v2"
BANDS = ("lo80", "hi80", "lo95", "hi95")


@dataclass(frozen=True)
class SeriesForecast:
    """The forecast of one series over the periods asked for."""

    method: str  # "model" (a deployed forecaster) or "engine" (the engine's race)
    algorithm: str
    history_periods: int
    amount: list[float]
    lo80: list[float]
    hi80: list[float]
    lo95: list[float]
    hi95: list[float]
    bills: list[float] | None = None  # per period: the recurring bills counted in it (engine path)
    bills_listed: list[dict[str, Any]] = field(default_factory=list)  # those bills

    @property
    def mean(self) -> float:
        return float(np.mean(self.amount)) if self.amount else 0.0

    def periods(self, dates: list[dt.date]) -> list[dict[str, Any]]:
        return [{"start": d.isoformat(), "amount": self.amount[i], "lo80": self.lo80[i], "hi80": self.hi80[i],
                 "lo95": self.lo95[i], "hi95": self.hi95[i], "bills": None if self.bills is None else self.bills[i]}
                for i, d in enumerate(dates)]


def _clip(values: Any) -> list[float]:
    return [round(max(float(v), 0.0), 2) for v in values]


def trimmed(values: np.ndarray) -> np.ndarray:
    """The series from its first non-zero period on (before it the workspace had no books)."""
    nonzero = np.flatnonzero(values)
    return values[nonzero[0]:] if len(nonzero) else values[:0]


def _engine_key(values: np.ndarray, *, frequency: str, last: dt.date, horizon: int) -> str:
    payload = json.dumps({"f": frequency, "m": last.isoformat(), "h": horizon,
                          "v": [round(float(v), 2) for v in values]})
    return f"{ENGINE_CACHE_PREFIX}:{hashlib.sha256(payload.encode()).hexdigest()}"


def engine_path(values: np.ndarray, *, horizon: int, season_length: int) -> dict[str, Any] | None:
    """The forecast of the ``horizon`` periods after ``values`` by the winner of the
    engine's race (``mean``, the four bands, ``algorithm``), or ``None`` when nothing can
    fit (fewer than 2 points). Too short to backtest: the naive forecast."""
    if len(values) < 2:
        return None
    result = run_competition(values, horizon=horizon, season_length=season_length, algorithms=ENGINE_ALGORITHMS,
                             n_windows=3, n_jobs=1, combine=False, anchor=None)
    winner = result.winner
    forecaster, name = (NaiveForecaster().fit(values), "naive") if winner is None else (winner.forecaster,
                                                                                         winner.name)
    forecast = forecaster.predict(horizon)
    return {"mean": [float(v) for v in forecast.mean], **{b: [float(v) for v in getattr(forecast, b)] for b in BANDS},
            "algorithm": name}


def _from_model(page: PageForecast | None, dates: list[dt.date], history: int) -> SeriesForecast | None:
    """The deployed model's forecast of ``dates``, or ``None`` when it does not cover them all."""
    if page is None or not page.ok:
        return None
    out = page.output
    where = {d: i for i, d in enumerate(out["dates"])}
    rows = [where.get(d.isoformat()) for d in dates]
    if any(i is None for i in rows):
        return None
    pick = {key: _clip(out[key][i] for i in rows) for key in ("forecast", *BANDS)}
    return SeriesForecast("model", out["model"]["algorithm"], history, pick["forecast"],
                          pick["lo80"], pick["hi80"], pick["lo95"], pick["hi95"])


def _series(books: PeriodBooks, category_ids: list[int] | None) -> dict[str, tuple[str, int | None, np.ndarray]]:
    """``{target: (name, category id, values)}``: the total, then the categories by name
    (those asked for, or every one with spending in the window)."""
    series: dict[str, tuple[str, int | None, np.ndarray]] = {"expense": ("Total", None, books.total)}
    found = sorted(books.categories.items(), key=lambda kv: (kv[1].name, kv[0] or 0))
    for category_id, cat in found:
        if category_id is not None and (category_ids is None or category_id in category_ids):
            series[Target("expense", category_id=category_id).key] = (cat.name, category_id, cat.values)
    return series


def _from_engine(answer: dict[str, Any], history: int, bills: SeriesBills | None, *, counted: bool) -> SeriesForecast:
    """The engine's forecast (of the series without its bills, when it has some) plus the
    bills due in each period: the bands shifted by them. ``counted=False``: bills not asked for."""
    if bills is None:
        return SeriesForecast("engine", answer["algorithm"], history, _clip(answer["mean"]),
                              *(_clip(answer[b]) for b in BANDS),
                              bills=[0.0] * len(answer["mean"]) if counted else None)
    def plus(values: list[float]) -> list[float]:
        return [round(v + due, 2) for v, due in zip(_clip(values), bills.scheduled, strict=True)]
    return SeriesForecast("engine", answer["algorithm"], history, plus(answer["mean"]),
                          *(plus(answer[b]) for b in BANDS), bills=list(bills.scheduled),
                          bills_listed=bills.listed())


def _forecasts(
    *, workspace: Workspace, series: dict[str, tuple[str, int | None, np.ndarray]], books: PeriodBooks,
    dates: list[dt.date], today: dt.date, user: AbstractBaseUser | AnonymousUser | None, log: bool,
    models: bool = True, bills_as_of: dt.date | None = None,
) -> dict[str, SeriesForecast | None]:
    """Every series' forecast of ``dates``: its deployed model's, else the engine's (cached),
    the recurring bills known on ``bills_as_of`` counted by due date (``None``: not counted);
    ``models=False``: the engine's only."""
    frequency = Frequency(books.frequency)
    versions = (deployed_forecasters(workspace=workspace, targets=list(series), frequencies=(frequency,))
                if models else {})
    served = (forecast_predict_many(workspace=workspace, versions=versions, today=today, user=user) if log
              else forecasts_read(workspace=workspace, versions=versions, today=today))
    last = books.dates[-1] if books.dates else frequency.add(today, -1)
    values = {target: trimmed(v) for target, (_, _, v) in series.items()}
    results = {target: _from_model(served.get(target), dates, len(values[target])) for target in series}
    missing = [t for t, r in results.items() if r is None]
    split = (spending_bills(workspace=workspace, frequency=frequency.value, history=books.dates, dates=dates,
                            as_of=bills_as_of, series={t: series[t][1] for t in missing})
             if missing and bills_as_of is not None else {})
    values |= {t: split[t].rest(values[t]) for t in missing if t in split}
    keys = {t: _engine_key(values[t], frequency=frequency.value, last=last, horizon=len(dates)) for t in missing}
    cached = cache.get_many(list(keys.values()))
    fresh: dict[str, Any] = {}
    for target in missing:
        answer = cached.get(keys[target])
        if answer is None:
            answer = engine_path(values[target], horizon=len(dates), season_length=frequency.season_length) or "none"
            fresh[keys[target]] = answer
        if answer != "none":
            results[target] = _from_engine(answer, len(values[target]), split.get(target),
                                           counted=bills_as_of is not None)
    if fresh:
        cache.set_many(fresh, timeout=settings.ML_FORECAST_CACHE_TTL)
    return results


def spending_categories_named(*, workspace: Workspace, ids: list[int]) -> dict[int, str]:
    """``{id: name}`` of the given expense categories of ``workspace``; raises
    ``ValidationError`` keyed ``category`` naming any other id (another workspace's reads
    like one that does not exist). One query."""
    found = dict(Category.objects.filter(workspace=workspace, kind=Category.Kind.EXPENSE, pk__in=ids)
                 .values_list("pk", "name"))
    missing = sorted(set(ids) - set(found))
    if missing:
        raise ValidationError({"category": [f"No expense category {pk} in this workspace." for pk in missing]})
    return found


def spending_trend(*, forecast: SeriesForecast | None, recent: float) -> str | None:
    """``rising``, ``falling`` or ``steady`` (see the module docstring)."""
    if forecast is None or recent <= 0:
        return None
    ratio = round(forecast.mean / recent - 1, 6)  # 90 / 100 − 1 is −0.0999…
    if ratio >= TREND_RATIO:
        return "rising"
    if ratio <= -TREND_RATIO:
        return "falling"
    return "steady"


def spending_forecast(
    *, workspace: Workspace, frequency: str, today: dt.date, horizon: int | None = None,
    categories: dict[int, str] | None = None, user: AbstractBaseUser | AnonymousUser | None = None, log: bool = True,
    models: bool = True, bills: bool = True, bills_as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Spending of the ``horizon`` periods from the one holding ``today`` (see the module
    docstring), in total and per category (``categories``: only those, ``{id: name}``). ``log=False``
    (a page, which writes nothing) leaves out the prediction log; ``models=False`` asks the
    engine only (for series known to have no deployed model); ``bills=False`` leaves the
    recurring bills inside the engine's series (the budget risk counts them by its own rule);
    ``bills_as_of`` (default ``today``): the day the bills are detected on and their payments
    read up to (a backtest passes the day before its cut, so that nothing of the period
    forecast is seen). Queries: the books (1), the deployed versions (1, with ``models``),
    the log (1, with ``log`` and a model answering), the recurring bills with their payments
    (1, with ``bills`` and the engine answering a series)."""
    frequency = Frequency(frequency).value
    horizon = horizon or DEFAULT_HORIZON[frequency]
    freq = Frequency(frequency)
    books = expense_by_period(workspace=workspace, frequency=frequency, periods=HISTORY[frequency], today=today)
    dates = [freq.add(books.current_start, i) for i in range(horizon)]
    series = _series(books, None if categories is None else list(categories))
    results = _forecasts(workspace=workspace, series=series, books=books, dates=dates, today=today, user=user,
                         log=log, models=models, bills_as_of=(bills_as_of or today) if bills else None)
    recent_n = RECENT[frequency]
    elapsed = (today - books.current_start).days + 1
    length = (freq.add(books.current_start, 1) - books.current_start).days

    def row(target: str) -> dict[str, Any]:
        name, category_id, values = series[target]
        forecast, recent = results[target], float(values[-recent_n:].mean()) if len(values) else 0.0
        spent = books.current_total if category_id is None else books.current_by_category.get(category_id, 0.0)
        return {
            "category": category_id, "name": name, "history_periods": len(trimmed(values)),
            "last_period": round(float(values[-1]), 2) if len(values) else 0.0,
            "recent_average": round(recent, 2), "spent_so_far": round(spent, 2),
            "trend": spending_trend(forecast=forecast, recent=recent),
            "method": forecast.method if forecast else None, "algorithm": forecast.algorithm if forecast else None,
            "forecast": forecast.periods(dates) if forecast else None,
            "bills": forecast.bills_listed if forecast else [],
        }

    rows = [row(target) for target in series if target != "expense"]
    named = {c["category"] for c in rows}
    return {
        "workspace": workspace.pk, "frequency": frequency, "horizon": horizon, "currency": workspace.currency,
        "today": today, "recent_periods": recent_n,
        "periods": [{"start": d, "end": freq.add(d, 1) - dt.timedelta(days=1), "current": i == 0,
                     "elapsed_share": round(elapsed / length, 4) if i == 0 else 0.0} for i, d in enumerate(dates)],
        "total": row("expense"),
        "categories": rows + [_no_history(pk, name) for pk, name in sorted((categories or {}).items(),
                                                                            key=lambda kv: kv[1]) if pk not in named],
    }


def _no_history(category_id: int, name: str) -> dict[str, Any]:
    """A category asked for that spent nothing in the window: nothing to forecast."""
    return {"category": category_id, "name": name, "history_periods": 0, "last_period": 0.0, "recent_average": 0.0,
            "spent_so_far": 0.0, "trend": None, "method": None, "algorithm": None, "forecast": None,
            "bills": []}
