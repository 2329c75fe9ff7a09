"""Serving forecasts: cache → deployed (or requested) version of the asked frequency →
verified artifact → point forecast with 80/95 % intervals → prediction log.

Two things every answer shares live here: :func:`forecast_output_build`, the one shape
of a forecast (the API's, the pages', what the cache holds), and :func:`prediction_log`,
the one way an answer — a forecast or a classifier's — is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Case, Value, When

from finance.models import Workspace
from forecasting.engine.base import Forecast
from forecasting.registry.artifacts import ArtifactIntegrityError, artifact_load
from forecasting.registry.models import ModelVersion
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.cache import forecast_cache_key
from forecasting.serving.metrics import predictions_count
from forecasting.serving.models import Prediction


class NoModel(LookupError):
    """No usable model answers this request."""


class ModelUnavailable(RuntimeError):
    """The model exists but must not be used (its artifact failed the integrity check)."""


def _version_for(
    *, workspace: Workspace, target: Target, frequency: Frequency, model_type: str | None
) -> ModelVersion:
    versions = ModelVersion.objects.filter(workspace=workspace, target=target.key, frequency=frequency)
    if model_type:
        deployed_first = Case(When(status=ModelVersion.Status.DEPLOYED, then=Value(0)), default=Value(1))
        version = (
            versions.filter(algorithm=model_type)
            .exclude(status=ModelVersion.Status.FAILED)
            .order_by(deployed_first, "-version")
            .first()
        )
        if version is None:
            raise NoModel(
                f"No {frequency.label.lower()} {model_type} model has been trained for {target} in this workspace."
            )
        return version
    version = versions.filter(status=ModelVersion.Status.DEPLOYED).first()
    if version is None:
        raise NoModel(
            f"No {frequency.label.lower()} model (frequency={frequency.value}) is deployed for {target} "
            "in this workspace yet; train one at that frequency first."
        )
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
        },
    }


def forecast_cache_parts(*, target: str, frequency: str, periods: int, model_type: str | None) -> tuple[Any, ...]:
    """What names a cached forecast of the workspace (shared by the API and the pages)."""
    return (target, Frequency.of(frequency).value, periods, model_type or "deployed")


@dataclass(frozen=True)
class PredictionEntry:
    """One answer to log: the version that answered, for which target, what was asked and
    (the gist of) what was answered."""

    model_version_id: int
    target: str
    request: dict[str, Any]
    output: dict[str, Any]
    from_cache: bool = False

    @classmethod
    def of_forecast(cls, output: dict[str, Any], *, request: dict[str, Any], from_cache: bool) -> PredictionEntry:
        """A forecast (:func:`forecast_output_build`'s dictionary), logged by its dates and
        point forecast."""
        return cls(
            model_version_id=output["model"]["id"], target=output["target"], request=request,
            output={"dates": output["dates"], "forecast": output["forecast"]}, from_cache=from_cache,
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
    return Prediction.objects.bulk_create([
        Prediction(
            workspace=workspace, model_version_id=entry.model_version_id, target=entry.target,
            request=entry.request, output=entry.output, from_cache=entry.from_cache, user=logged_user,
        )
        for entry in entries
    ])


def forecast_predict(
    *,
    workspace: Workspace,
    target: Target,
    periods: int,
    frequency: str = Frequency.MONTHLY,
    model_type: str | None = None,
    user: AbstractBaseUser | None = None,
) -> dict[str, Any]:
    """A forecast of ``periods`` periods for ``target`` from its deployed model of
    ``frequency`` (monthly unless asked; :class:`NoModel` when that frequency has none),
    cached until the next deploy, training or auto-learn check of new data."""
    frequency = Frequency(frequency)
    key = forecast_cache_key(
        workspace_id=workspace.pk,
        parts=forecast_cache_parts(target=target.key, frequency=frequency, periods=periods, model_type=model_type),
    )
    output = cache.get(key)
    cached = output is not None
    if output is None:
        version = _version_for(workspace=workspace, target=target, frequency=frequency, model_type=model_type)
        forecast = model_version_load(version=version).predict(periods)
        output = forecast_output_build(version=version, forecast=forecast)
        cache.set(key, output, timeout=settings.ML_FORECAST_CACHE_TTL)
    [prediction] = prediction_log(workspace=workspace, user=user, entries=[PredictionEntry.of_forecast(
        output, request={"periods": periods, "frequency": frequency.value, "model_type": model_type},
        from_cache=cached,
    )])
    return output | {"prediction_id": str(prediction.pk), "cached": cached}


def _floats(values: Any) -> list[float]:
    return [round(float(v), 4) for v in values]
