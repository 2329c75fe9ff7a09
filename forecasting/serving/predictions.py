"""Serving forecasts: cache → deployed (or requested) version → verified artifact →
point forecast with 80/95 % intervals → prediction log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Case, Value, When

from finance.models import Workspace
from forecasting.registry.artifacts import ArtifactIntegrityError, artifact_load
from forecasting.registry.models import ModelVersion
from forecasting.series.selectors import future_dates_after
from forecasting.series.targets import Target
from forecasting.serving.cache import forecast_cache_key
from forecasting.serving.models import Prediction


class NoModel(LookupError):
    """No usable model answers this request."""


class ModelUnavailable(RuntimeError):
    """The model exists but must not be used (its artifact failed the integrity check)."""


def _version_for(*, workspace: Workspace, target: Target, model_type: str | None) -> ModelVersion:
    versions = ModelVersion.objects.filter(workspace=workspace, target=target.key)
    if model_type:
        deployed_first = Case(When(status=ModelVersion.Status.DEPLOYED, then=Value(0)), default=Value(1))
        version = (
            versions.filter(algorithm=model_type)
            .exclude(status=ModelVersion.Status.FAILED)
            .order_by(deployed_first, "-version")
            .first()
        )
        if version is None:
            raise NoModel(f"No {model_type} model has been trained for {target} in this workspace.")
        return version
    version = versions.filter(status=ModelVersion.Status.DEPLOYED).first()
    if version is None:
        raise NoModel(f"No model is deployed for {target} in this workspace yet; train one first.")
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


def forecast_predict(
    *,
    workspace: Workspace,
    target: Target,
    periods: int,
    model_type: str | None = None,
    user: AbstractBaseUser | None = None,
) -> dict[str, Any]:
    """A forecast of ``periods`` periods for ``target``, cached until the next deploy, training or auto-learn check of new data."""
    key = forecast_cache_key(workspace_id=workspace.pk, parts=(target.key, periods, model_type or "deployed"))
    output = cache.get(key)
    cached = output is not None
    if output is None:
        version = _version_for(workspace=workspace, target=target, model_type=model_type)
        model = model_version_load(version=version)
        forecast = model.predict(periods)
        dates = future_dates_after(version.training_end, periods, version.frequency)
        output = {
            "workspace": workspace.pk,
            "target": target.key,
            "frequency": version.frequency,
            "dates": [d.isoformat() for d in dates],
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
        cache.set(key, output, timeout=settings.ML_FORECAST_CACHE_TTL)
    prediction = Prediction.objects.create(
        workspace=workspace, model_version_id=output["model"]["id"], target=target.key,
        request={"periods": periods, "model_type": model_type}, output={"dates": output["dates"], "forecast": output["forecast"]},
        from_cache=cached, user=user if user is not None and user.is_authenticated else None,
    )
    return output | {"prediction_id": str(prediction.pk), "cached": cached}


def _floats(values: Any) -> list[float]:
    return [round(float(v), 4) for v in values]
