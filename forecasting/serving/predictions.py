"""Serving forecasts: the version that serves the asked frequency now (the deployed one,
or a rollout's challenger, :mod:`forecasting.serving.deployed`; or the requested
algorithm's) → cache → verified artifact (falling back to the previous intact version) →
point forecast with 80/95 % intervals → prediction log of the version that answered.

Two things every answer shares live here: :func:`forecast_output_build`, the one shape
of a forecast (the API's, the pages', what the cache holds), and :func:`prediction_log`,
the one way an answer — a forecast or a classifier's — is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, Value, When

from finance.models import Workspace
from forecasting.engine.base import Forecast
from forecasting.registry.artifacts import ArtifactIntegrityError, artifact_load
from forecasting.registry.generation import generation_current
from forecasting.registry.models import ModelVersion, Rollout
from forecasting.series.drivers import DrivenForecaster, DriverPlan
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.cache import forecast_cache_key
from forecasting.serving.deployed import ModelUnavailable, Route, served_model_load, serving_route
from forecasting.serving.metrics import predictions_count
from forecasting.serving.models import Prediction

logger = logging.getLogger(__name__)


class NoModel(LookupError):
    """No usable model answers this request."""


def _version_for(*, workspace: Workspace, target: Target, frequency: Frequency, model_type: str) -> ModelVersion:
    """The version a request naming an algorithm gets: its deployed one, else its newest
    that did not fail."""
    deployed_first = Case(When(status=ModelVersion.Status.DEPLOYED, then=Value(0)), default=Value(1))
    version = (
        ModelVersion.objects.filter(workspace=workspace, target=target.key, frequency=frequency,
                                    algorithm=model_type)
        .exclude(status=ModelVersion.Status.FAILED)
        .order_by(deployed_first, "-version")
        .first()
    )
    if version is None:
        raise NoModel(f"No {frequency.label.lower()} {model_type} model has been trained for {target} in this workspace.")
    return version


def model_version_load(*, version: ModelVersion) -> Any:
    """The fitted model of ``version``; an integrity failure (alerted by monitoring) refuses."""
    try:
        return artifact_load(version_id=version.pk, path=version.artifact_path, sha256=version.artifact_sha256)
    except ArtifactIntegrityError as exc:
        raise ModelUnavailable(
            f"Model {version.target} v{version.version} failed its integrity check and was not loaded; "
            "staff have been alerted."
        ) from exc


def forecast_output_build(*, version: ModelVersion, forecast: Forecast) -> dict[str, Any]:
    """The answer of a forecast: ``forecast`` (what ``version``'s model predicted) with the
    start dates of its periods, the 80/95 % bands and the version that made it. The API,
    the pages and the cache all hold this dictionary."""
    frequency = Frequency.of(version.frequency)
    return {
        "workspace": version.workspace_id,
        "target": version.target,
        "frequency": frequency.value,
        "dates": [d.isoformat() for d in frequency.dates_after(version.training_end, len(forecast.mean))],
        "forecast": _floats(forecast.mean),
        "lo80": _floats(forecast.lo80),
        "hi80": _floats(forecast.hi80),
        "lo95": _floats(forecast.lo95),
        "hi95": _floats(forecast.hi95),
        "model": {
            "id": version.pk,
            "version": version.version,
            "algorithm": version.algorithm,
            "status": version.status,
            "trained_until": version.training_end.isoformat() if version.training_end else None,
            "backtest_metrics": version.metrics,
            "drivers": list(version.drivers),
        },
    }


def forecast_cache_parts(
    *, target: str, frequency: str, periods: int, model_type: str | None, version_id: int | None = None,
    generation: int | None = None,
) -> tuple[Any, ...]:
    """What names a cached forecast of the workspace (shared by the API, the batch and the
    pages): the deployed version's (checked against the version that serves before it is
    used), a rollout challenger's by its version (``version_id``: a canary's two versions
    answer side by side), or the algorithm asked for at a deployment ``generation``."""
    parts = (target, Frequency.of(frequency).value, periods,
             f"v{version_id}" if version_id is not None else model_type or "deployed")
    return parts if generation is None else (*parts, f"g{generation}")


@dataclass(frozen=True)
class PredictionEntry:
    """One answer to log: the version that answered, for which target, what was asked and
    (the gist of) what was answered."""

    model_version_id: int
    target: str
    request: dict[str, Any]
    output: dict[str, Any]
    from_cache: bool = False
    rollout_id: int | None = None
    shadow: bool = False

    @classmethod
    def of_forecast(cls, output: dict[str, Any], *, request: dict[str, Any], from_cache: bool,
                    rollout_id: int | None = None, shadow: bool = False) -> PredictionEntry:
        """A forecast (:func:`forecast_output_build`'s dictionary), logged by its dates and
        point forecast."""
        return cls(
            model_version_id=output["model"]["id"], target=output["target"], request=request,
            output={"dates": output["dates"], "forecast": output["forecast"]}, from_cache=from_cache,
            rollout_id=rollout_id, shadow=shadow,
        )


def prediction_log(
    *,
    workspace: Workspace,
    entries: Sequence[PredictionEntry],
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> list[Prediction]:
    """Log which version answered what, so feedback can be tied to it: one row per entry,
    written in one query whatever their number (an anonymous user is logged as none)."""
    if not entries:
        return []
    logged_user = user if user is not None and user.is_authenticated else None
    predictions_count(entries)
    rows = [
        Prediction(
            workspace=workspace, model_version_id=entry.model_version_id, target=entry.target,
            request=entry.request, output=entry.output, from_cache=entry.from_cache, user=logged_user,
            rollout_id=entry.rollout_id, shadow=entry.shadow,
        )
        for entry in entries
    ]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return Prediction.objects.bulk_create(rows)
    # A log row of its own: its commit need not wait for the WAL flush (the answer's
    # latency on PostgreSQL was mostly that wait). A crash of the database server within
    # the flush delay (wal_writer_delay, 200 ms) may lose the last logged answers, never
    # anything else: SET LOCAL covers this transaction only.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        return Prediction.objects.bulk_create(rows)


def forecast_predict(
    *,
    workspace: Workspace,
    target: Target,
    periods: int,
    frequency: str = Frequency.MONTHLY,
    model_type: str | None = None,
    user: AbstractBaseUser | None = None,
    key: str | None = None,
    plan: DriverPlan | None = None,
) -> dict[str, Any]:
    """A forecast of ``periods`` periods for ``target`` from the version that serves
    ``frequency`` (monthly unless asked; :class:`NoModel` when that frequency has none),
    or from the newest ``model_type`` model. An open rollout routes by the request ``key``
    (the user when none is given): a canary's challenger may answer, a shadow's is logged
    beside the champion. Cached per version until the next change of what serves the
    workspace, training or auto-learn check of new data. A ``plan`` of promotions and
    prices ahead reaches the models that learned from drivers (never cached)."""
    frequency = Frequency(frequency)
    request = {"periods": periods, "frequency": frequency.value, "model_type": model_type}
    if plan:
        request["plan"] = plan.as_dict()
    if model_type and plan:
        raise ValueError("a plan is served by the deployed model, not by a model_type")
    if model_type:
        output, cached = _forecast_of_algorithm(workspace=workspace, target=target, frequency=frequency,
                                                periods=periods, model_type=model_type)
        [prediction] = prediction_log(workspace=workspace, user=user, entries=[
            PredictionEntry.of_forecast(output, request=request, from_cache=cached)])
        return output | {"prediction_id": str(prediction.pk), "cached": cached}
    if key is None and user is not None and user.is_authenticated:
        key = f"user:{user.pk}"
    route = serving_route(workspace_id=workspace.pk, target=target.key, frequency=frequency, key=key)
    if route is None:
        raise NoModel(
            f"No {frequency.label.lower()} model (frequency={frequency.value}) is deployed for {target} "
            "in this workspace yet; train one at that frequency first."
        )
    output, cached = forecast_serve(workspace_id=workspace.pk, route=route, version=route.version, periods=periods,
                                    plan=plan)
    rollout_id = route_rollout_id(route, output)
    entries = [PredictionEntry.of_forecast(output, request=request, from_cache=cached, rollout_id=rollout_id)]
    if route.shadow is not None and rollout_id is not None:
        entries += shadow_entries(workspace_id=workspace.pk, route=route, periods=periods, request=request, plan=plan)
    [prediction, *_] = prediction_log(workspace=workspace, user=user, entries=entries)
    answer = output | {"prediction_id": str(prediction.pk), "cached": cached}
    if rollout_id is not None:
        answer["rollout"] = {"id": rollout_id, "mode": route.rollout.mode,
                             "role": "challenger" if output["model"]["id"] != route.champion.pk else "champion"}
    return answer


def model_forecast(model: Any, periods: int, plan: DriverPlan | None = None) -> Forecast:
    """A loaded model's forecast of ``periods`` periods; a ``plan`` of promotions and prices
    reaches only a model that learned from drivers (the others cannot use it)."""
    if plan and isinstance(model, DrivenForecaster):
        return model.predict(periods, model.plan(periods, plan))
    return model.predict(periods)


def forecast_serve(
    *, workspace_id: int, route: Route, version: ModelVersion, periods: int, plan: DriverPlan | None = None,
) -> tuple[dict[str, Any], bool]:
    """``(forecast, from the cache?)`` of ``version`` (one of ``route``'s) for ``periods``
    periods (under ``plan``: never from or to the cache). A version whose artifact fails
    its check is replaced as :func:`~forecasting.serving.deployed.served_model_load` says;
    the answer names the version that made it."""
    if plan:
        answering, model = served_model_load(version=version, rollout=route.rollout)
        return forecast_output_build(version=answering, forecast=model_forecast(model, periods, plan)), False
    key = forecast_cache_key(workspace_id=workspace_id, parts=forecast_cache_parts(
        target=version.target, frequency=version.frequency, periods=periods, model_type=None,
        version_id=None if version.pk == route.champion.pk else version.pk))
    output = cache.get(key)
    if output is not None and output["model"]["id"] == version.pk:
        # (the version's status as it is now, not as when the answer was cached)
        return output | {"model": output["model"] | {"status": version.status}}, True
    answering, model = served_model_load(version=version, rollout=route.rollout)
    output = forecast_output_build(version=answering, forecast=model.predict(periods))
    if answering.pk == version.pk:  # else a fallback answered: another version's key
        cache.set(key, output, timeout=settings.ML_FORECAST_CACHE_TTL)
    return output, False


def route_rollout_id(route: Route, output: dict[str, Any]) -> int | None:
    """The open rollout an answer was made under (by its champion or its challenger)."""
    rollout: Rollout | None = route.rollout
    if rollout is None or output["model"]["id"] not in (rollout.champion_id, rollout.challenger_id):
        return None
    return rollout.pk


def shadow_entries(
    *, workspace_id: int, route: Route, periods: int, request: dict[str, Any], plan: DriverPlan | None = None,
) -> list[PredictionEntry]:
    """The shadow's forecast, to log and never to return; a shadow that fails (its
    artifact aborts the rollout) costs the answer nothing."""
    try:
        output, cached = forecast_serve(workspace_id=workspace_id, route=route, version=route.shadow,
                                        periods=periods, plan=plan)
    except Exception:
        logger.exception("Shadow forecast of %s by version %s failed", route.shadow.target, route.shadow.pk)
        return []
    if output["model"]["id"] != route.shadow.pk:
        return []
    return [PredictionEntry.of_forecast(output, request=request, from_cache=cached, rollout_id=route.rollout.pk,
                                        shadow=True)]


def _forecast_of_algorithm(
    *, workspace: Workspace, target: Target, frequency: Frequency, periods: int, model_type: str,
) -> tuple[dict[str, Any], bool]:
    """The newest ``model_type`` version's forecast (the deployed one first): no fallback,
    the caller asked for that model."""
    key = forecast_cache_key(workspace_id=workspace.pk, parts=forecast_cache_parts(
        target=target.key, frequency=frequency, periods=periods, model_type=model_type,
        generation=generation_current(workspace_id=workspace.pk)))
    output = cache.get(key)
    if output is not None:
        return output, True
    version = _version_for(workspace=workspace, target=target, frequency=frequency, model_type=model_type)
    output = forecast_output_build(version=version, forecast=model_version_load(version=version).predict(periods))
    cache.set(key, output, timeout=settings.ML_FORECAST_CACHE_TTL)
    return output, False


def _floats(values: Any) -> list[float]:
    return [round(float(v), 4) for v in values]
