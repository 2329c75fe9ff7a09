"""Batch prediction: many forecasts of one workspace in one call, each item answered on
its own — its forecast (:func:`~forecasting.serving.predictions.forecast_output_build`'s
shape, what ``GET /api/v1/forecasts/{metric}/`` answers) or why not (:class:`ItemError`).

Whatever the number of items it costs one query for the versions that answer (read from
the registry, so a cached answer of a version that is no longer deployed is not served),
one cache read and one cache write, and one insert for the prediction log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Q

from finance.models import Workspace
from forecasting.registry.models import ModelKind, ModelVersion
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.cache import forecast_cache_key
from forecasting.serving.predictions import (
    ModelUnavailable,
    PredictionEntry,
    forecast_cache_parts,
    forecast_output_build,
    model_version_load,
    prediction_log,
)

logger = logging.getLogger(__name__)


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
) -> list[dict[str, Any]]:
    """The answer to each of ``items``, in order, each with its ``index`` and ``status``:
    200 with the forecast (plus ``prediction_id`` and ``cached``, as the single forecast
    API answers), or the item's error (an :class:`ItemError` given as an item — one that
    failed validation — is answered as it is). Answers are logged in one insert."""
    requests = [item for item in items if isinstance(item, ForecastRequest)]
    versions = _versions_answering(workspace=workspace, choices={r.choice for r in requests})
    keys = {r: forecast_cache_key(workspace_id=workspace.pk, parts=r.cache_parts) for r in set(requests)}
    found = cache.get_many(list(set(keys.values()))) if keys else {}
    fresh: dict[str, dict[str, Any]] = {}
    outputs: dict[ForecastRequest, dict[str, Any] | ItemError] = {}
    for request in dict.fromkeys(requests):
        version = versions.get(request.choice)
        cached = found.get(keys[request])
        if version is None:
            outputs[request] = ItemError(404, _no_model(request))
        elif cached is not None and cached.get("model", {}).get("id") == version.pk:
            outputs[request] = cached
        else:
            outputs[request] = output = _forecast(version=version, periods=request.periods)
            if not isinstance(output, ItemError):
                fresh[keys[request]] = output
    if fresh:
        cache.set_many(fresh, timeout=settings.ML_FORECAST_CACHE_TTL)
    return _answers(workspace=workspace, user=user, items=items, outputs=outputs, fresh=set(fresh), keys=keys)


def _answers(
    *, workspace: Workspace, user: AbstractBaseUser | AnonymousUser | None,
    items: Sequence[ForecastRequest | ItemError], outputs: dict[ForecastRequest, dict[str, Any] | ItemError],
    fresh: set[str], keys: dict[ForecastRequest, str],
) -> list[dict[str, Any]]:
    results = [item if isinstance(item, ItemError) else outputs[item] for item in items]
    answered = [index for index, result in enumerate(results) if not isinstance(result, ItemError)]
    cached = {index: keys[items[index]] not in fresh for index in answered}
    logged = prediction_log(workspace=workspace, user=user, entries=[
        PredictionEntry.of_forecast(results[index], from_cache=cached[index], request={
            "periods": items[index].periods, "frequency": items[index].frequency.value,
            "model_type": items[index].model_type,
        })
        for index in answered
    ])
    prediction_ids = {index: str(prediction.pk) for index, prediction in zip(answered, logged, strict=True)}
    return [
        result.as_dict(index) if isinstance(result, ItemError)
        else {"index": index, "status": 200, **result, "prediction_id": prediction_ids[index],
              "cached": cached[index]}
        for index, result in enumerate(results)
    ]


def _versions_answering(
    *, workspace: Workspace, choices: Iterable[tuple[str, str, str | None]],
) -> dict[tuple[str, str, str | None], ModelVersion]:
    """The version that answers each (target, frequency, model type) in one query, by the
    single forecast's rule: the deployed one, or with a model type the deployed one of
    that algorithm, else its newest version that did not fail."""
    choices = set(choices)
    if not choices:
        return {}
    algorithms = {model_type for _, _, model_type in choices if model_type}
    wanted = Q(status=ModelVersion.Status.DEPLOYED)
    if algorithms:
        wanted |= Q(algorithm__in=algorithms)
    rows = (
        ModelVersion.objects.filter(wanted, workspace=workspace, kind=ModelKind.FORECASTER,
                                    target__in={target for target, _, _ in choices},
                                    frequency__in={frequency for _, frequency, _ in choices})
        .exclude(status=ModelVersion.Status.FAILED)
        .defer("training_data", "backtest")
        .order_by("-version")
    )
    chosen: dict[tuple[str, str, str | None], ModelVersion] = {}
    for version in sorted(rows, key=lambda v: v.status != ModelVersion.Status.DEPLOYED):  # stable: newest first
        if version.status == ModelVersion.Status.DEPLOYED:
            chosen.setdefault((version.target, version.frequency, None), version)
        chosen.setdefault((version.target, version.frequency, version.algorithm), version)
    return {choice: chosen[choice] for choice in choices if choice in chosen}


def _forecast(*, version: ModelVersion, periods: int) -> dict[str, Any] | ItemError:
    try:
        forecast = model_version_load(version=version).predict(periods)
    except ModelUnavailable as exc:
        return ItemError(503, str(exc))
    except Exception:  # one model that fails must not fail the other items
        logger.exception("Batch forecast of %s (version %s) failed", version.target, version.pk)
        return ItemError(500, f"The {version.algorithm} model could not forecast {version.target}.")
    return forecast_output_build(version=version, forecast=forecast)


def _no_model(request: ForecastRequest) -> str:
    frequency = request.frequency
    if request.model_type:
        return (f"No {frequency.label.lower()} {request.model_type} model has been trained for {request.target} "
                "in this workspace.")
    return (f"No {frequency.label.lower()} model (frequency={frequency.value}) is deployed for {request.target} "
            "in this workspace yet; train one at that frequency first.")
