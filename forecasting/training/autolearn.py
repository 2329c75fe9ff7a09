"""Auto-learning: schedule a check when new data arrives, decide when to retrain, and
queue the training.

The new rows of each (workspace, target) are counted by the database, in the writer's
own statement (forecasting/training/counters.py). After commit a check is scheduled at most once
per target per ``AUTOLEARN_DEBOUNCE_SECONDS`` (a trailing-edge debounce: the delayed
check sees every row written in the window), and the decision and the training happen in
a Celery worker — writing data never waits for training. The per-row path is kept lean
(benchmarks/signals): a process that has just scheduled a target's check does not ask
the shared cache again until that check is about to run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.broker import broker_ensure
from finance.models import Sale, StockLevel, Transaction, Workspace
from forecasting.registry.models import ModelKind, ModelVersion, TargetState
from forecasting.series.frequency import Frequency, preference_rank
from forecasting.series.targets import Target
from forecasting.serving.cache import ProcessMemo, forecast_cache_invalidate
from forecasting.training.jobs import training_job_create
from forecasting.training.models import TrainingJob

logger = logging.getLogger(__name__)
AUTOLEARN_DEBOUNCE_SECONDS = 5
ACTIVE_JOB_STATUSES = (TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING)


# --- new data --------------------------------------------------------------------------


def targets_for_row(row: Transaction | Sale | StockLevel) -> tuple[str, ...]:
    """The targets a new finance row counts for (the database's triggers count the same:
    forecasting/training/counters.py)."""
    if isinstance(row, Transaction):
        return (row.kind, "categorizer", "anomaly", "fraud")
    return ("inventory",)


#: (workspace id, target) → True while a check this process scheduled is still pending:
#: new rows until then are seen by that check, so the shared cache is not asked again.
#: The margin keeps the local window strictly inside the check's countdown.
_pending_checks = ProcessMemo()
_PENDING_MARGIN_SECONDS = 0.5


def autolearn_schedule_check(*, workspace_id: int, targets: Iterable[str]) -> None:
    """After commit: schedule one delayed check per target (the check, not every row,
    forgets the workspace's cached forecasts)."""
    now = time.monotonic()
    for key in targets:
        if _pending_checks.get((workspace_id, key), now=now):
            continue  # this process queued the check and it has not run yet
        if not cache.add(f"autolearn-check:{workspace_id}:{key}", 1, timeout=AUTOLEARN_DEBOUNCE_SECONDS):
            continue  # another process did
        _autolearn_check_send(workspace_id=workspace_id, target=key, now=now)


def _autolearn_check_send(*, workspace_id: int, target: str, now: float) -> None:
    from forecasting.training.tasks import autolearn_check_task

    try:
        autolearn_check_task.apply_async(args=[workspace_id, target], countdown=AUTOLEARN_DEBOUNCE_SECONDS)
    except Exception:  # the write succeeded; the daily sweep catches up if the broker is down
        logger.warning("Could not queue the auto-learn check of %s/%s", workspace_id, target, exc_info=True)
        return
    _pending_checks.set((workspace_id, target), True, now=now,
                        seconds=AUTOLEARN_DEBOUNCE_SECONDS - _PENDING_MARGIN_SECONDS)


def autolearn_check_on_commit(
    *, workspace_id: int, targets: tuple[str, ...], also: Callable[[], None] | None = None,
) -> None:
    """Once the writer's transaction commits (the database counted its rows in it, see
    forecasting/training/counters.py), schedule the debounced check of each target; ``also`` runs
    in the same after-commit callback (one per row on the write path)."""

    def after_commit() -> None:
        autolearn_schedule_check(workspace_id=workspace_id, targets=targets)
        if also is not None:
            also()

    transaction.on_commit(after_commit)


# --- deciding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainDecision:
    train: bool
    reason: str
    trigger: str = TrainingJob.Trigger.AUTO


def next_eligible_at(state: TargetState) -> dt.datetime | None:
    """When the cooldown of a trained target ends (``None``: never trained)."""
    if state.last_trained_at is None:
        return None
    return state.last_trained_at + dt.timedelta(hours=settings.ML_AUTO_LEARN_COOLDOWN)


def should_retrain(*, state: TargetState, force: bool = False, now: dt.datetime | None = None) -> RetrainDecision:
    """The auto-learning rule of the seeds, with the reason for the answer."""
    now = now or timezone.now()
    threshold = settings.ML_AUTO_LEARN_MIN_DATA
    if state.running_job_id is not None:
        return RetrainDecision(False, f"Training job {state.running_job_id} is running.")
    if force:
        return RetrainDecision(True, "Forced.", TrainingJob.Trigger.MANUAL)
    if state.retrain_requested:
        return RetrainDecision(True, "A degradation or drift alert asked for a retrain.", TrainingJob.Trigger.DEGRADATION)
    if state.last_trained_at is None and Target.parse(state.target).kind != ModelKind.FORECASTER:
        from forecasting.classifiers.selectors import classifier_readiness

        readiness = classifier_readiness(workspace_id=state.workspace_id, target=state.target)
        return RetrainDecision(readiness.ready, readiness.reason)
    if state.last_trained_at is None:
        if state.new_rows >= threshold:
            return RetrainDecision(True, f"Never trained and {state.new_rows} rows available.")
        return RetrainDecision(False, f"Never trained; {state.new_rows} of {threshold} rows needed.")
    eligible = next_eligible_at(state)
    if now < eligible:
        return RetrainDecision(False, f"Cooling down until {eligible:%Y-%m-%d %H:%M} UTC.")
    if state.new_feedback >= settings.ML_RETRAINING_FEEDBACK_THRESHOLD:
        return RetrainDecision(True, f"{state.new_feedback} feedback items since the last training.",
                               TrainingJob.Trigger.FEEDBACK)
    if state.new_rows >= threshold:
        return RetrainDecision(True, f"{state.new_rows} new rows since the last training.")
    return RetrainDecision(False, f"{state.new_rows} of {threshold} new rows since the last training.")


@dataclass(frozen=True)
class CheckResult:
    decision: RetrainDecision
    job: TrainingJob | None


def autolearn_check(*, workspace: Workspace, target: str, force: bool = False) -> CheckResult:
    """Decide for one target and queue a training when the rule says so (at most one
    queued or running job per target).

    It also forgets the workspace's cached forecasts: this check is the trailing edge of
    a burst of new data (one per debounce window), so an answer cached before the data
    arrived is not served after it, without a cache write on every new row."""
    key = Target.parse(target).key
    forecast_cache_invalidate(workspace_id=workspace.pk)
    with transaction.atomic():  # a refused job (broker down) leaves no target state either
        state, _ = TargetState.objects.get_or_create(workspace=workspace, target=key)
        decision = should_retrain(state=state, force=force)
        if not decision.train:
            return CheckResult(decision, None)
        retrain = target_retrain(workspace=workspace, target=key, trigger=decision.trigger)
    if not retrain.created:
        job = retrain.job
        return CheckResult(RetrainDecision(False, f"Training job {job.pk} is already {job.status}."), None)
    return CheckResult(decision, retrain.job)


@dataclass(frozen=True)
class Retrain:
    """The job a retrain request got, and whether it was queued for it (else the job
    already queued or running for the target)."""

    job: TrainingJob
    created: bool


def target_retrain(
    *,
    workspace: Workspace,
    target: str,
    trigger: str = TrainingJob.Trigger.MANUAL,
    user: AbstractBaseUser | None = None,
    algorithms: list[str] | None = None,
    frequency: str | None = None,
    horizon: int | None = None,
) -> Retrain:
    """Queue a training of ``target`` — in the shape of its deployed model unless
    ``frequency``/``horizon`` are given — or hand back the job already queued or running
    for it: the one rule of the Models page, the API, admin, auto-learning and the sweeps
    (a target trains one job at a time; a second would only be skipped). The target's
    state row is locked while deciding, so two requests at once get one job. Raises
    :class:`config.broker.BrokerUnavailable`, writing nothing, when a new job is due and
    the broker cannot be reached."""
    key = Target.parse(target).key
    with transaction.atomic():
        state, _ = TargetState.objects.get_or_create(workspace=workspace, target=key)
        TargetState.objects.select_for_update().filter(pk=state.pk).first()
        active = (TrainingJob.objects.filter(workspace=workspace, target=key, status__in=ACTIVE_JOB_STATUSES)
                  .order_by("created_at", "id").first())
        if active is not None:
            return Retrain(job=active, created=False)
        # A job exists to be sent: with the broker down, refuse it (BrokerUnavailable, a 503)
        # before it is written, rather than leave a queued job that no worker will receive.
        broker_ensure()
        if frequency is None:
            frequency, shape_horizon = target_training_shape(workspace_id=workspace.pk, target=key)
            horizon = horizon or shape_horizon
        job = training_job_create(workspace=workspace, target=key, trigger=trigger, user=user,
                                  algorithms=algorithms, frequency=frequency, horizon=horizon)
    return Retrain(job=job, created=True)


def target_training_shape(*, workspace_id: int, target: str) -> tuple[Frequency, int | None]:
    """The frequency and horizon a retrain of ``target`` uses: those of its deployed model,
    the monthly one when it has several (a target has one training lock and one counter
    of new rows, so one retrain at a time); monthly with the default horizon when nothing
    is deployed. One query."""
    deployed = (
        ModelVersion.objects.filter(workspace_id=workspace_id, target=target, status=ModelVersion.Status.DEPLOYED)
        .order_by(preference_rank())
        .only("frequency", "horizon")
        .first()
    )
    if deployed is None:
        return Frequency.MONTHLY, None
    return Frequency.of(deployed.frequency), deployed.horizon or None
