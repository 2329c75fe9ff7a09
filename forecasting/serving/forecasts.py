"""Forecasts for the dashboards: every target a page needs, in a fixed number of queries.

:func:`forecast_predict_many` is :func:`forecasting.serving.predictions.forecast_predict`
for several targets at once. It shares that function's cache entries (same keys, same
output), loads each deployed model through the same verified loader, and logs one
prediction row per target — but it reads the deployed versions in one query and writes
the log in one ``bulk_create``, so a page's query count does not grow with the number
of products or categories that have a model.

It also holds what pages and the inventory planning read off a forecast: the total over a
date window (:func:`window_forecast`) and the target of a product's demand model.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache

from finance.models import Workspace
from finance.months import add_months
from forecasting.engine.base import Z80, Z95
from forecasting.registry.models import ModelKind, ModelVersion
from forecasting.series.selectors import DEFAULT_HORIZON, future_dates_after, period_start
from forecasting.series.targets import Target
from forecasting.serving.cache import forecast_cache_key
from forecasting.serving.models import Prediction
from forecasting.serving.predictions import ModelUnavailable, model_version_load

logger = logging.getLogger(__name__)

MAX_PERIODS = {"M": 60, "W": 260, "D": 800}
#: The window of the inventory demand forecasts (next 30 days).
DEMAND_DAYS = 30


@dataclass(frozen=True)
class PageForecast:
    """The forecast of one target for a page, or why there is none (``error``)."""

    target: str
    version: ModelVersion
    output: dict[str, Any] | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.output is not None


def deployed_forecasters(
    *, workspace: Workspace, targets: Iterable[str], with_training_data: bool = False
) -> dict[str, ModelVersion]:
    """``{target: deployed version}`` for those of ``targets`` that have one. One query."""
    versions = ModelVersion.objects.filter(
        workspace=workspace,
        kind=ModelKind.FORECASTER,
        status=ModelVersion.Status.DEPLOYED,
        target__in=list(targets),
    ).defer("backtest")
    if not with_training_data:
        versions = versions.defer("training_data")
    return {version.target: version for version in versions}


def periods_to_cover(*, version: ModelVersion, today: dt.date) -> int:
    """How many periods to forecast so that the period holding ``today`` and the model's
    horizon after it are covered (a model trained long ago forecasts the gap too)."""
    frequency = version.frequency or "M"
    horizon = version.horizon or DEFAULT_HORIZON[frequency]
    if version.training_end is None:
        return horizon
    current = period_start(today, frequency)
    last = version.training_end
    if frequency == "M":
        gap = (current.year - last.year) * 12 + current.month - last.month
    elif frequency == "W":
        gap = (current - period_start(last, "W")).days // 7
    else:
        gap = (current - last).days
    return max(1, min(max(gap, 0) + horizon, MAX_PERIODS[frequency]))


def _output(*, workspace: Workspace, version: ModelVersion, periods: int) -> dict[str, Any]:
    """The same dictionary :func:`forecast_predict` caches."""
    forecast = model_version_load(version=version).predict(periods)
    dates = future_dates_after(version.training_end, periods, version.frequency)

    def floats(values: Any) -> list[float]:
        return [round(float(v), 4) for v in values]

    return {
        "workspace": workspace.pk,
        "target": version.target,
        "frequency": version.frequency,
        "dates": [d.isoformat() for d in dates],
        "forecast": floats(forecast.mean),
        "lo80": floats(forecast.lo80),
        "hi80": floats(forecast.hi80),
        "lo95": floats(forecast.lo95),
        "hi95": floats(forecast.hi95),
        "model": {
            "id": version.pk,
            "version": version.version,
            "algorithm": version.algorithm,
            "status": version.status,
            "trained_until": version.training_end.isoformat() if version.training_end else None,
            "backtest_metrics": version.metrics,
        },
    }


def forecast_predict_many(
    *,
    workspace: Workspace,
    versions: dict[str, ModelVersion],
    today: dt.date,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> dict[str, PageForecast]:
    """Forecast every target of ``versions`` (deployed versions of ``workspace``) far
    enough to cover ``today``'s period and the horizon; log the predictions in one query.

    A model that cannot be used (its artifact fails the integrity check, which raises an
    alert, or its prediction fails) is reported with ``error`` instead of breaking the page.
    """
    if not versions:
        return {}
    periods = {target: periods_to_cover(version=v, today=today) for target, v in versions.items()}
    keys = {
        target: forecast_cache_key(workspace_id=workspace.pk, parts=(target, periods[target], "deployed"))
        for target in versions
    }
    found = cache.get_many(list(keys.values()))
    results: dict[str, PageForecast] = {}
    fresh: dict[str, dict[str, Any]] = {}
    for target, version in versions.items():
        output = found.get(keys[target])
        if output is None or output.get("model", {}).get("id") != version.pk:
            try:
                output = _output(workspace=workspace, version=version, periods=periods[target])
            except ModelUnavailable as exc:
                results[target] = PageForecast(target=target, version=version, output=None, error=str(exc))
                continue
            except Exception:  # a model that fails to predict must not break the page
                logger.exception("Forecast of %s (version %s) failed on a page", target, version.pk)
                results[target] = PageForecast(
                    target=target, version=version, output=None,
                    error=f"The {version.algorithm} model could not forecast {target}.",
                )
                continue
            fresh[keys[target]] = output
        results[target] = PageForecast(target=target, version=version, output=output)
    if fresh:
        cache.set_many(fresh, timeout=settings.ML_FORECAST_CACHE_TTL)
    logged_user = user if user is not None and user.is_authenticated else None
    predictions = [
        Prediction(
            workspace=workspace, model_version_id=result.version.pk, target=target,
            request={"periods": periods[target], "model_type": None, "page": True},
            output={"dates": result.output["dates"], "forecast": result.output["forecast"]},
            from_cache=keys[target] not in fresh, user=logged_user,
        )
        for target, result in results.items()
        if result.ok
    ]
    if predictions:
        Prediction.objects.bulk_create(predictions)
    return results


# --- totals over a date window ---------------------------------------------------------


def product_demand_target(product_id: int) -> str:
    """The target of a product's own demand model (over all its warehouses)."""
    return Target("inventory", product_id=product_id).key


def normal_tail(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def _period_end(start: dt.date, frequency: str) -> dt.date:
    """The first day after the period that starts on ``start``."""
    if frequency == "M":
        return add_months(start, 1)
    return start + dt.timedelta(days=7 if frequency == "W" else 1)


@dataclass(frozen=True)
class WindowForecast:
    """A forecast total over a date window: expected value and standard deviation."""

    mean: float
    sigma: float

    def scaled(self, factor: float) -> WindowForecast:
        return WindowForecast(self.mean * factor, self.sigma * factor)

    def exceed_probability(self, threshold: float) -> float:
        """P(total > threshold), the total taken as normal with this mean and sigma."""
        if self.sigma <= 0:
            return 1.0 if self.mean > threshold else 0.0
        return normal_tail((threshold - self.mean) / self.sigma)


def window_forecast(output: dict[str, Any], *, start: dt.date, end: dt.date) -> WindowForecast | None:
    """The forecast total of the days ``[start, end)``, periods that overlap the window
    partly counted pro rata; ``None`` when the forecast does not cover the window.

    The spread comes from each period's upper band (80 %, or 95 % when the 80 % band is
    flat), converted to a standard deviation and added up (periods taken as fully
    correlated: the cautious choice for a risk). Negative forecasts count as zero.
    """
    frequency = output.get("frequency") or "M"
    dates = [dt.date.fromisoformat(d) for d in output["dates"]]
    if not dates or dates[0] > start or _period_end(dates[-1], frequency) < end:
        return None
    mean = sigma = 0.0
    for i, begin in enumerate(dates):
        finish = _period_end(begin, frequency)
        overlap = (min(finish, end) - max(begin, start)).days
        if overlap <= 0:
            continue
        share = overlap / (finish - begin).days
        point = output["forecast"][i]
        up80 = output["hi80"][i] - point
        up95 = output["hi95"][i] - point
        spread = up80 / Z80 if up80 > 0 else max(up95, 0.0) / Z95
        mean += max(point, 0.0) * share
        sigma += spread * share
    return WindowForecast(mean, sigma)
