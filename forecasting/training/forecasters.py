"""A forecaster training job: the competition for one target saves every fitted
candidate as a version and deploys the winner when it beats the champion on the same
backtest."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from forecasting.engine import competition as engine
from forecasting.registry.artifacts import artifact_save
from forecasting.registry.models import Deployment, ModelKind, ModelVersion
from forecasting.registry.services import model_version_deploy
from forecasting.series.drivers import DrivenForecaster, SeriesDrivers, series_drivers_build
from forecasting.series.frequency import Frequency
from forecasting.series.selectors import Series, series_build, series_group_build
from forecasting.series.targets import Target
from forecasting.serving.cache import forecast_cache_invalidate
from forecasting.training.lifecycle import job_finish, job_progress, version_number_next
from forecasting.training.models import TrainingJob

logger = logging.getLogger(__name__)

# --- running a job --------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    deploy: bool
    text: str


def _champion_decision(
    *, job: TrainingJob, winner: Any, series: Series, horizon: int, champion: ModelVersion | None,
    drivers: SeriesDrivers | None = None,
) -> Decision:
    """Champion/challenger: the winner replaces the deployed version only if its backtest
    MAE is no worse than the champion's algorithm re-run on the same windows."""
    challenger_mae = winner.metrics["mae"]
    if champion is None:
        return Decision(True, f"No model was deployed; {winner.name} (MAE {challenger_mae:.4g}) deployed.")
    champion_mae = engine.backtest_score(
        series.values,
        algorithm=champion.algorithm,
        params=champion.params,
        horizon=horizon,
        season_length=series.season_length,
        X=None if drivers is None else drivers.values,
    )
    if champion_mae is None:
        return Decision(
            True,
            f"Champion v{champion.version} ({champion.algorithm}) cannot be backtested on the new data; "
            f"{winner.name} (MAE {challenger_mae:.4g}) deployed.",
        )
    if challenger_mae <= champion_mae:
        return Decision(
            True,
            f"Challenger {winner.name} (MAE {challenger_mae:.4g}) beat or matched champion "
            f"v{champion.version} {champion.algorithm} (MAE {champion_mae:.4g}) on the same backtest windows.",
        )
    return Decision(
        False,
        f"Challenger {winner.name} (MAE {challenger_mae:.4g}) did not beat champion v{champion.version} "
        f"{champion.algorithm} (MAE {champion_mae:.4g}) on the same backtest windows; it stays a candidate.",
    )



def _uses_drivers(forecaster: Any, drivers: SeriesDrivers | None) -> bool:
    return drivers is not None and getattr(forecaster, "n_covariates_", 0) > 0


def _with_drivers(forecaster: Any, drivers: SeriesDrivers | None, series: Series) -> Any:
    """What is stored: a model that learned from the drivers with them (it needs them to forecast)."""
    if not _uses_drivers(forecaster, drivers):
        return forecaster
    return DrivenForecaster(forecaster, drivers, series.dates[-1])


def _driver_names(forecaster: Any, drivers: SeriesDrivers | None) -> list[str]:
    return list(drivers.names) if _uses_drivers(forecaster, drivers) else []


def forecaster_job_train(job: TrainingJob) -> TrainingJob:
    target = Target.parse(job.target)
    frequency = Frequency.of(job.params.get("frequency"))
    horizon = int(job.params.get("horizon") or frequency.default_horizon)
    series = series_build(workspace=job.workspace, target=target, frequency=frequency)
    group = series_group_build(workspace=job.workspace, target=target, series=series)
    # demand: promotions, prices and holidays, which the forecasters that take covariates learn from
    drivers = series_drivers_build(workspace=job.workspace, target=target, series=series)
    job_progress(job, 10)

    started = time.perf_counter()
    result = engine.run_competition(
        series.values,
        horizon=horizon,
        season_length=series.season_length,
        algorithms=job.algorithms or None,
        random_state=0,
        group_series=group,
        X=None if drivers is None else drivers.values,
    )
    job.results = result.to_dict()["candidates"]
    job_progress(job, 80)
    ok = [c for c in result.candidates if c.status == "ok"]
    if not ok:
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in result.candidates)
        job.save(update_fields=["results"])
        return job_finish(
            job, TrainingJob.Status.SKIPPED,
            decision=f"Not enough data to train any algorithm ({len(series)} {frequency.value} points). {reasons}",
        )

    stored = {}
    for candidate in ok:
        stored[candidate.name] = artifact_save(
            obj=_with_drivers(candidate.forecaster, drivers, series),
            name=f"{job.workspace_id}/{target.key.replace(':', '_')}/job{job.pk}-{candidate.name}.pkl",
        )
    job_progress(job, 90)

    with transaction.atomic():
        # The champion is the deployed model of the job's frequency: a weekly challenger
        # neither competes with nor replaces the monthly model.
        champion = ModelVersion.objects.filter(
            workspace_id=job.workspace_id, target=job.target, frequency=frequency, status=ModelVersion.Status.DEPLOYED
        ).first()
        number = version_number_next(workspace_id=job.workspace_id, target=job.target)
        versions = {}
        for candidate in ok:
            artifact = stored[candidate.name]
            versions[candidate.name] = ModelVersion.objects.create(
                workspace_id=job.workspace_id, target=job.target, kind=ModelKind.FORECASTER,
                algorithm=candidate.name, version=number, params=candidate.params,
                metrics=candidate.metrics, backtest=candidate.backtest_dict(series.dates),
                drivers=_driver_names(candidate.forecaster, drivers),
                frequency=frequency.value, horizon=horizon,
                training_start=series.dates[0], training_end=series.dates[-1],
                n_observations=len(series), data_hash=series.data_hash, training_data=series.as_dict(),
                artifact_path=artifact.path, artifact_sha256=artifact.sha256, artifact_size=artifact.size,
                fit_seconds=candidate.fit_seconds,
                created_by=ModelVersion.CreatedBy.SCHEDULE if job.trigger == TrainingJob.Trigger.SCHEDULE
                else ModelVersion.CreatedBy.JOB,
                created_by_user=job.requested_by, training_job=job,
            )
            number += 1
        winner = result.winner
        decision = _champion_decision(job=job, winner=winner, series=series, horizon=horizon, champion=champion,
                                      drivers=drivers)
        job.winner = versions[winner.name]
        job.deployed = decision.deploy
        if decision.deploy:
            job.winner = model_version_deploy(
                version=job.winner, user=job.requested_by, reason=decision.text,
                action=Deployment.Action.AUTO_DEPLOY,
            ).to_version
        job.save(update_fields=["results", "winner", "deployed"])
        job_finish(job, TrainingJob.Status.SUCCEEDED, decision=decision.text)
        # New versions change what a forecast by algorithm (``model_type``) answers.
        transaction.on_commit(lambda: forecast_cache_invalidate(workspace_id=job.workspace_id))
    logger.info("Job %s trained %s in %.1fs: %s", job.pk, job.target, time.perf_counter() - started, decision.text)
    return job
