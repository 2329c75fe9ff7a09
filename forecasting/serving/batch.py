"""Batch prediction: many forecasts of one workspace in one call, each item answered on
its own — its forecast (:func:`~forecasting.serving.predictions.forecast_output_build`'s
shape, what ``GET /api/v1/forecasts/{metric}/`` answers) or why not (:class:`ItemError`).

Whatever the number of items it costs what the single forecast costs once: what serves
the workspace (:func:`~forecasting.serving.deployed.serving_state`: remembered by the
process until the deployment generation moves, so a cached answer of a version no longer
deployed is not served), one query for the versions of the algorithms items name, one
cache read and one cache write, and one insert for the prediction log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache

from finance.models import Workspace
from forecasting.registry.models import ModelKind, ModelVersion
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.cache import forecast_cache_key
from forecasting.serving.deployed import Route, served_model_load, serving_route, serving_state
from forecasting.serving.predictions import (
    ModelUnavailable,
    PredictionEntry,
    forecast_cache_parts,
    forecast_output_build,
    model_version_load,
    prediction_log,
    route_rollout_id,
    shadow_entries,
)

logger = logging.getLogger(__name__)

#: Marks an answer found in the cache (never returned to the client).
FROM_CACHE = "_from_cache"


@dataclass(frozen=True)
class ForecastRequest:
    """One item of a batch: ``periods`` periods of ``target`` at ``frequency``, from its
    deployed model, or from its newest ``model_type`` model when one is named."""

    target: Target
    periods: int
    frequency: Frequency = Frequency.MONTHLY
    model_type: str | None = None

    @property
    def choice(self) -> tuple[str, str, str | None]:
        return self.target.key, self.frequency.value, self.model_type

    @property
    def cache_parts(self) -> tuple[Any, ...]:
        return forecast_cache_parts(target=self.target.key, frequency=self.frequency, periods=self.periods,
                                    model_type=self.model_type)


@dataclass(frozen=True)
class ItemError:
    """Why one item has no forecast, with the HTTP status it would have had on its own:
    400 (the item is invalid; ``errors`` names the fields), 404 (no model answers it),
    503 (its model's artifact failed the integrity check) or 500 (the model failed)."""

    status: int
    detail: str
    errors: dict[str, list[str]] | None = None

    def as_dict(self, index: int) -> dict[str, Any]:
        answer: dict[str, Any] = {"index": index, "status": self.status, "detail": self.detail}
        if self.errors:
            answer["errors"] = self.errors
        return answer


def forecasts_predict_batch(
    *,
    workspace: Workspace,
    items: Sequence[ForecastRequest | ItemError],
    user: AbstractBaseUser | AnonymousUser | None = None,
    key: str | None = None,
) -> list[dict[str, Any]]:
    """The answer to each of ``items``, in order, each with its ``index`` and ``status``:
    200 with the forecast (plus ``prediction_id`` and ``cached``, as the single forecast
    API answers), or the item's error (an :class:`ItemError` given as an item — one that
    failed validation — is answered as it is). Answers are logged in one insert.

    An item without a model type is served as the single forecast serves it
    (:func:`~forecasting.serving.deployed.serving_route` with the request ``key``, the
    user when none is given: rollouts route it, a tampered artifact falls back); with a
    model type, by that algorithm's version, without fallback."""
    if key is None and user is not None and user.is_authenticated:
        key = f"user:{user.pk}"
    requests = list(dict.fromkeys(item for item in items if isinstance(item, ForecastRequest)))
    state = serving_state(workspace_id=workspace.pk) if any(not r.model_type for r in requests) else None
    routes = {r: serving_route(workspace_id=workspace.pk, target=r.target.key, frequency=r.frequency.value, key=key,
                               state=state)
              for r in requests if not r.model_type}
    by_algorithm = _versions_of_algorithms(workspace=workspace, choices={r.choice for r in requests if r.model_type})
    chosen = {r: (routes[r].version if routes.get(r) else None) if not r.model_type else by_algorithm.get(r.choice)
              for r in requests}
    keys = {r: forecast_cache_key(workspace_id=workspace.pk, parts=_cache_parts(r, routes.get(r), chosen[r]))
            for r in requests}
    found = cache.get_many(list(set(keys.values()))) if keys else {}
    fresh: dict[str, dict[str, Any]] = {}
    outputs: dict[ForecastRequest, dict[str, Any] | ItemError] = {}
    for request in requests:
        version, cached = chosen[request], found.get(keys[request])
        if version is None:
            outputs[request] = ItemError(404, _no_model(request))
        elif cached is not None and cached.get("model", {}).get("id") == version.pk:
            outputs[request] = cached | {"model": cached["model"] | {"status": version.status}, FROM_CACHE: True}
        else:
            outputs[request] = output = _forecast(version=version, route=routes.get(request), periods=request.periods)
            if not isinstance(output, ItemError) and output["model"]["id"] == version.pk:  # else a fallback's
                fresh[keys[request]] = output
    if fresh:
        cache.set_many(fresh, timeout=settings.ML_FORECAST_CACHE_TTL)
    return _answers(workspace=workspace, user=user, items=items, outputs=outputs, routes=routes)


def _cache_parts(request: ForecastRequest, route: Route | None, version: ModelVersion | None) -> tuple[Any, ...]:
    """The single forecast's cache key of the item: a canary's challenger by its version."""
    if route is None or version is None or version.pk == route.champion.pk:
        return request.cache_parts
    return forecast_cache_parts(target=request.target.key, frequency=request.frequency, periods=request.periods,
                                model_type=None, version_id=version.pk)


def _answers(
    *, workspace: Workspace, user: AbstractBaseUser | AnonymousUser | None,
    items: Sequence[ForecastRequest | ItemError], outputs: dict[ForecastRequest, dict[str, Any] | ItemError],
    routes: dict[ForecastRequest, Route | None],
) -> list[dict[str, Any]]:
    results = [item if isinstance(item, ItemError) else outputs[item] for item in items]
    answered = [index for index, result in enumerate(results) if not isinstance(result, ItemError)]
    cached = {index: results[index].get(FROM_CACHE, False) for index in answered}
    entries: list[PredictionEntry] = []
    logged_as: dict[int, int] = {}  # item index -> its entry
    rollouts: dict[int, dict[str, Any]] = {}
    for index in answered:
        request, output, route = items[index], results[index], routes.get(items[index])
        asked = {"periods": request.periods, "frequency": request.frequency.value, "model_type": request.model_type}
        rollout_id = route_rollout_id(route, output) if route is not None else None
        logged_as[index] = len(entries)
        entries.append(PredictionEntry.of_forecast(output, from_cache=cached[index], request=asked,
                                                   rollout_id=rollout_id))
        if rollout_id is not None:
            rollouts[index] = {"id": rollout_id, "mode": route.rollout.mode,
                               "role": "challenger" if output["model"]["id"] != route.champion.pk else "champion"}
            if route.shadow is not None:
                entries += shadow_entries(workspace_id=workspace.pk, route=route, periods=request.periods,
                                          request=asked)
    logged = prediction_log(workspace=workspace, user=user, entries=entries)
    answers = []
    for index, result in enumerate(results):
        if isinstance(result, ItemError):
            answers.append(result.as_dict(index))
            continue
        answer = {"index": index, "status": 200, **_public(result), "prediction_id": str(logged[logged_as[index]].pk),
                  "cached": cached[index]}
        if index in rollouts:
            answer["rollout"] = rollouts[index]
        answers.append(answer)
    return answers


def _public(output: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in output.items() if name != FROM_CACHE}


def _versions_of_algorithms(
    *, workspace: Workspace, choices: Iterable[tuple[str, str, str | None]],
) -> dict[tuple[str, str, str | None], ModelVersion]:
    """The version that answers each (target, frequency, model type) in one query, by the
    single forecast's rule: the deployed one of that algorithm, else its newest version
    that did not fail."""
    choices = set(choices)
    if not choices:
        return {}
    rows = (
        ModelVersion.objects.filter(workspace=workspace, kind=ModelKind.FORECASTER,
                                    algorithm__in={model_type for _, _, model_type in choices},
                                    target__in={target for target, _, _ in choices},
                                    frequency__in={frequency for _, frequency, _ in choices})
        .exclude(status=ModelVersion.Status.FAILED)
        .defer("training_data", "backtest")
        .order_by("-version")
    )
    chosen: dict[tuple[str, str, str | None], ModelVersion] = {}
    for version in sorted(rows, key=lambda v: v.status != ModelVersion.Status.DEPLOYED):  # stable: newest first
        chosen.setdefault((version.target, version.frequency, version.algorithm), version)
    return {choice: chosen[choice] for choice in choices if choice in chosen}


def _forecast(*, version: ModelVersion, route: Route | None, periods: int) -> dict[str, Any] | ItemError:
    """``version``'s forecast; a routed one falls back as the single forecast does."""
    try:
        if route is None:
            answering, model = version, model_version_load(version=version)
        else:
            answering, model = served_model_load(version=version, rollout=route.rollout)
        forecast = model.predict(periods)
    except ModelUnavailable as exc:
        return ItemError(503, str(exc))
    except Exception:  # one model that fails must not fail the other items
        logger.exception("Batch forecast of %s (version %s) failed", version.target, version.pk)
        return ItemError(500, f"The {version.algorithm} model could not forecast {version.target}.")
    return forecast_output_build(version=answering, forecast=forecast)


def _no_model(request: ForecastRequest) -> str:
    frequency = request.frequency
    if request.model_type:
        return (f"No {frequency.label.lower()} {request.model_type} model has been trained for {request.target} "
                "in this workspace.")
    return (f"No {frequency.label.lower()} model (frequency={frequency.value}) is deployed for {request.target} "
            "in this workspace yet; train one at that frequency first.")
