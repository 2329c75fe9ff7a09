"""Forecasts for the dashboards: every target a page needs, in a fixed number of queries.

:func:`forecasts_read` is :func:`forecasting.serving.predictions.forecast_predict` for
several targets at once, without the log: pages read, they write nothing. It shares that
function's cache entries (same keys, same output) and loads each deployed model through
the same verified loader (with its fallback to the previous intact version), and the
deployed versions come from the same place (:mod:`forecasting.serving.deployed`), so a
page's query count does not grow with the number of products or categories that have a
model. Pages show the champion: rollouts route API requests, which carry a key.
:func:`forecast_predict_many` adds the prediction log (one ``bulk_create``) for APIs.

It also holds what pages and the inventory planning read off a forecast: the total over a
date window (:func:`window_forecast`) and the target of a product's demand model.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache

from finance.models import Workspace
from forecasting.engine.base import Z80, Z95
from forecasting.registry.models import ModelKind, ModelVersion
from forecasting.series.frequency import PREFERENCE, Frequency
from forecasting.series.targets import Target
from forecasting.serving.cache import forecast_cache_key
from forecasting.serving.deployed import ModelUnavailable, served_model_load, serving_versions
from forecasting.serving.predictions import (
    PredictionEntry,
    forecast_cache_parts,
    forecast_output_build,
    prediction_log,
)

logger = logging.getLogger(__name__)

MAX_PERIODS = {Frequency.MONTHLY: 60, Frequency.WEEKLY: 260, Frequency.DAILY: 800}
#: The window of the inventory demand forecasts (next 30 days).
DEMAND_DAYS = 30


@dataclass(frozen=True)
class PageForecast:
    """The forecast of one target for a page, or why there is none (``error``)."""

    target: str
    version: ModelVersion
    output: dict[str, Any] | None
    error: str = ""
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.output is not None


def deployed_forecasters(
    *,
    workspace: Workspace,
    targets: Iterable[str],
    frequencies: Sequence[Frequency] = PREFERENCE,
    with_training_data: bool = False,
) -> dict[str, ModelVersion]:
    """``{target: deployed version}`` for those of ``targets`` that have one at one of
    ``frequencies``: of a target deployed at several, the version of the first in that
    order (by default any frequency, monthly first). What serves, as every process sees
    it now (:func:`~forecasting.serving.deployed.serving_versions`); ``with_training_data``
    reads the versions' training series too (one query)."""
    chosen = serving_versions(workspace_id=workspace.pk, targets=targets,
                              frequencies=[Frequency(f).value for f in frequencies], kinds=[ModelKind.FORECASTER])
    if with_training_data and chosen:
        series = dict(ModelVersion.objects.filter(pk__in=[v.pk for v in chosen.values()])
                      .values_list("pk", "training_data"))
        chosen = {target: _with_training_data(version, series.get(version.pk) or {})
                  for target, version in chosen.items()}
    return chosen


def _with_training_data(version: ModelVersion, training_data: dict[str, Any]) -> ModelVersion:
    """A copy of a served version (shared by the requests of this process: never changed
    in place) holding its training series."""
    version = copy.copy(version)
    version.training_data = training_data
    return version


def periods_to_cover(*, version: ModelVersion, today: dt.date) -> int:
    """How many periods to forecast so that the period holding ``today`` and the model's
    horizon after it are covered (a model trained long ago forecasts the gap too)."""
    frequency = Frequency.of(version.frequency)
    horizon = version.horizon or frequency.default_horizon
    if version.training_end is None:
        return horizon
    gap = frequency.periods_between(version.training_end, today)
    return max(1, min(max(gap, 0) + horizon, MAX_PERIODS[frequency]))


def forecasts_read(
    *, workspace: Workspace, versions: dict[str, ModelVersion], today: dt.date,
) -> dict[str, PageForecast]:
    """Forecast every target of ``versions`` (deployed versions of ``workspace``) far
    enough to cover ``today``'s period and the horizon, from the shared cache where it
    holds them. Writes no rows: what pages show (a client's answer is logged by
    :func:`forecast_predict_many`).

    A model that cannot be used (its artifact fails the integrity check, which raises an
    alert, or its prediction fails) is reported with ``error`` instead of breaking the page.
    """
    if not versions:
        return {}
    periods = {target: periods_to_cover(version=v, today=today) for target, v in versions.items()}
    keys = {
        target: forecast_cache_key(workspace_id=workspace.pk, parts=forecast_cache_parts(
            target=target, frequency=version.frequency, periods=periods[target], model_type=None))
        for target, version in versions.items()
    }
    found = cache.get_many(list(keys.values()))
    results: dict[str, PageForecast] = {}
    fresh: dict[str, dict[str, Any]] = {}
    for target, version in versions.items():
        output = found.get(keys[target])
        if output is not None and output.get("model", {}).get("id") == version.pk:
            results[target] = PageForecast(target=target, version=version, output=output, from_cache=True)
            continue
        try:
            answering, model = served_model_load(version=version)
            output = forecast_output_build(version=answering, forecast=model.predict(periods[target]))
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
        if answering.pk == version.pk:  # else a fallback answered (its own key, next time)
            fresh[keys[target]] = output
        results[target] = PageForecast(target=target, version=answering, output=output)
    if fresh:
        cache.set_many(fresh, timeout=settings.ML_FORECAST_CACHE_TTL)
    return results


def forecast_predict_many(
    *,
    workspace: Workspace,
    versions: dict[str, ModelVersion],
    today: dt.date,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> dict[str, PageForecast]:
    """:func:`forecasts_read`, and the answers logged as predictions in one query (for an
    API answering a client)."""
    results = forecasts_read(workspace=workspace, versions=versions, today=today)
    prediction_log(workspace=workspace, user=user, entries=[
        PredictionEntry.of_forecast(
            result.output, from_cache=result.from_cache,
            request={"periods": periods_to_cover(version=result.version, today=today), "model_type": None},
        )
        for result in results.values()
        if result.ok
    ])
    return results


# --- totals over a date window ---------------------------------------------------------


def product_demand_target(product_id: int) -> str:
    """The target of a product's own demand model (over all its warehouses)."""
    return Target("inventory", product_id=product_id).key


def normal_tail(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


#: Where a probability of a bad outcome (overrun, stockout) reads as a high or a medium risk.
HIGH_RISK = 0.5
MEDIUM_RISK = 0.2


def risk_level(probability: float) -> str:
    """"high", "medium" or "low": how a page colours a risk (budget overrun, stockout)."""
    if probability >= HIGH_RISK:
        return "high"
    if probability >= MEDIUM_RISK:
        return "medium"
    return "low"


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
    frequency = Frequency.of(output.get("frequency"))
    dates = [dt.date.fromisoformat(d) for d in output["dates"]]
    if not dates or dates[0] > start or frequency.add(dates[-1], 1) < end:
        return None
    mean = sigma = 0.0
    for i, begin in enumerate(dates):
        finish = frequency.add(begin, 1)  # the first day after the period
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
