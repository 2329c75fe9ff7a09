"""The financial forecast (``GET /api/v1/coaching/financial-forecast/``): the net cash flow
(revenue − expenses) of the coming periods, from the workspace's deployed revenue and
expense forecasters, read as the pages read them
(:func:`forecasting.serving.forecasts.forecasts_read`: the serving cache, the verified
loader with its fallback; nothing written).

Both forecasters must serve at one frequency: the one asked for, else the first of
monthly, weekly, daily at which both do. The periods shown start with the one holding
today (``partial``: part of it is in the books already, the model forecasts all of it).

Each band's standard deviation is its half-width over its z (80 %: 1.2816, 95 %: 1.9600);
revenue and expense errors are taken as independent, so the net's is
√(σ_revenue² + σ_expense²) at each level. Over the periods (``total``) the deviations are
added, periods taken as fully correlated — the cautious choice of the budget risk
(:func:`forecasting.serving.forecasts.window_forecast`); ``probability_negative`` is the
chance that the total net is below zero, the total taken as normal with the 80 % band's σ.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from finance.models import Workspace
from forecasting.engine.base import Z80, Z95
from forecasting.series.frequency import PREFERENCE, Frequency
from forecasting.serving.forecasts import deployed_forecasters, forecasts_read, normal_tail

DEFAULT_HORIZON = {Frequency.MONTHLY: 6, Frequency.WEEKLY: 12, Frequency.DAILY: 30}
MAX_HORIZON = 60
BANDS = (("80", Z80), ("95", Z95))


def _sigma(output: dict[str, Any], i: int, level: str, z: float) -> float:
    return max(output[f"hi{level}"][i] - output[f"lo{level}"][i], 0.0) / (2 * z)


def _figures(output: dict[str, Any], i: int) -> dict[str, float]:
    return {key: round(output[key][i], 2) for key in ("forecast", "lo80", "hi80", "lo95", "hi95")}


def _model(output: dict[str, Any]) -> dict[str, Any]:
    model = output["model"]
    return {"id": model["id"], "version": model["version"], "algorithm": model["algorithm"],
            "trained_until": model["trained_until"]}


def _unavailable(reason: str, frequency: Frequency | None) -> dict[str, Any]:
    return {"available": False, "reason": reason, "frequency": frequency.value if frequency else None,
            "models": None, "periods": [], "total": None}


def _periods(revenue: dict[str, Any], expense: dict[str, Any], frequency: Frequency, today: dt.date,
             horizon: int) -> tuple[list[dict[str, Any]], list[dict[str, float]]]:
    """The periods from the one holding ``today`` on (at most ``horizon``), and the net's
    standard deviation of each at each band."""
    current = frequency.period_start(today)
    expense_at = {d: i for i, d in enumerate(expense["dates"])}
    periods, sigmas = [], []
    for r, day in enumerate(revenue["dates"]):
        start = dt.date.fromisoformat(day)
        e = expense_at.get(day)
        if e is None or start < current:
            continue
        net = revenue["forecast"][r] - expense["forecast"][e]
        row = {"start": start, "end": frequency.add(start, 1) - dt.timedelta(days=1), "partial": start == current,
               "revenue": _figures(revenue, r), "expense": _figures(expense, e), "net": {"forecast": round(net, 2)}}
        sigma = {level: math.hypot(_sigma(revenue, r, level, z), _sigma(expense, e, level, z)) for level, z in BANDS}
        for level, z in BANDS:
            row["net"] |= {f"lo{level}": round(net - z * sigma[level], 2), f"hi{level}": round(net + z * sigma[level], 2)}
        periods.append(row)
        sigmas.append(sigma)
        if len(periods) == horizon:
            break
    return periods, sigmas


def _total(periods: list[dict[str, Any]], sigmas: list[dict[str, float]]) -> dict[str, Any]:
    net = sum(p["net"]["forecast"] for p in periods)
    total = {"revenue": round(sum(p["revenue"]["forecast"] for p in periods), 2),
             "expense": round(sum(p["expense"]["forecast"] for p in periods), 2), "net": round(net, 2)}
    spread = {level: sum(s[level] for s in sigmas) for level, _ in BANDS}
    for level, z in BANDS:
        total |= {f"net_lo{level}": round(net - z * spread[level], 2), f"net_hi{level}": round(net + z * spread[level], 2)}
    probability = normal_tail(net / spread["80"]) if spread["80"] > 0 else float(net < 0)
    return total | {"probability_negative": round(probability, 4),
                    "periods_negative": sum(p["net"]["forecast"] < 0 for p in periods)}


def financial_forecast(
    *, workspace: Workspace, today: dt.date, frequency: str | None = None, horizon: int | None = None,
) -> dict[str, Any]:
    """The forecast, or ``available: false`` with what is missing. One query (the deployed
    versions) and the models' loads on a cold cache."""
    base = {"workspace": workspace.pk, "currency": workspace.currency}
    asked = Frequency(frequency) if frequency else None
    versions: dict = {}
    for choice in (asked,) if asked else PREFERENCE:
        found = deployed_forecasters(workspace=workspace, targets=["revenue", "expense"], frequencies=(choice,))
        if len(found) > len(versions):  # else the first frequency with most of the two says what is missing
            versions = found
        if len(versions) == 2:
            break
    if len(versions) < 2:
        missing = " and ".join(t for t in ("revenue", "expense") if t not in versions)
        at = f" at the {asked.label.lower()} frequency" if asked else " at one frequency"
        return base | _unavailable(
            f"No {missing} forecaster is deployed{at}: a net forecast needs both. Train them on the Models page "
            "(or POST /api/v1/ml/train/); they are trained by themselves once the books hold enough months.", asked)
    chosen = Frequency(versions["revenue"].frequency)
    results = forecasts_read(workspace=workspace, versions=versions, today=today)
    failed = [r.error for r in results.values() if not r.ok]
    if failed:
        return base | _unavailable(" ".join(failed), chosen)
    revenue, expense = results["revenue"].output, results["expense"].output
    periods, sigmas = _periods(revenue, expense, chosen, today, horizon or DEFAULT_HORIZON[chosen])
    if not periods:
        return base | _unavailable("The deployed forecasts end before the current period; retrain them.", chosen)
    return base | {"available": True, "reason": "", "frequency": chosen.value,
                   "models": {"revenue": _model(revenue), "expense": _model(expense)},
                   "total": _total(periods, sigmas), "periods": periods}
