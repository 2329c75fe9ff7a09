"""Reads of the registry for status pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from finance.models import Category, Membership, Workspace
from forecasting.registry.models import ModelVersion, TargetState
from forecasting.series.frequency import preference_rank
from forecasting.series.targets import Target
from forecasting.training.models import TrainingJob
from forecasting.training.sweeps import BASE_TARGETS

ACTIVE = (TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING)
#: Queued jobs looked through for a place in line.
QUEUE_POSITION_LIMIT = 1_000


def training_jobs_active(*, workspace: Workspace) -> dict[str, TrainingJob]:
    """The oldest queued or running job of each target of the workspace (one query)."""
    jobs: dict[str, TrainingJob] = {}
    for job in TrainingJob.objects.filter(workspace=workspace, status__in=ACTIVE).order_by("created_at", "id"):
        jobs.setdefault(job.target, job)
    return jobs


def training_queue_positions(*, job_ids: set[int]) -> dict[int, int]:
    """Each of ``job_ids`` (queued jobs) → its place in line among every queued job of the
    installation, oldest first (the order workers take them in): one query, none when
    ``job_ids`` is empty."""
    if not job_ids:
        return {}
    line = (TrainingJob.objects.filter(status=TrainingJob.Status.QUEUED).order_by("created_at", "id")
            .values_list("id", flat=True)[:QUEUE_POSITION_LIMIT])
    return {job_id: place for place, job_id in enumerate(line, start=1) if job_id in job_ids}


def training_queue_phrase(*, job_id: int, position: int | None) -> str:
    """A queued job's place in line in words, the same on the Models page and in the
    auto-learn status API: "Queued (job 12); 2 jobs ahead of it." or "…; next to start.";
    without a place (beyond :data:`QUEUE_POSITION_LIMIT`, or taken meanwhile), just queued.
    ``position`` is :func:`training_queue_positions`' (1 first)."""
    if position is None:
        return f"Queued (job {job_id})."
    ahead = position - 1
    if not ahead:
        return f"Queued (job {job_id}); next to start."
    return f"Queued (job {job_id}); {ahead} job{'' if ahead == 1 else 's'} ahead of it."


def autolearn_states(*, workspace: Workspace) -> list[TargetState]:
    """The learning state of every base target and of every target with a state row."""
    states = {s.target: s for s in TargetState.objects.filter(workspace=workspace)}
    for target in (*BASE_TARGETS, "categorizer"):
        states.setdefault(target, TargetState(workspace=workspace, target=target))
    return [states[key] for key in sorted(states)]


def deployed_versions(*, workspace_ids: list[int]) -> QuerySet[ModelVersion]:
    """The deployed versions, by workspace and target, each target's monthly one first."""
    return (
        ModelVersion.objects.filter(workspace_id__in=workspace_ids, status=ModelVersion.Status.DEPLOYED)
        .defer("training_data", "backtest")
        .order_by("workspace_id", "target", preference_rank())
    )


def model_status_for_user(*, user_id: int) -> list[dict]:
    """Per workspace of the user: the deployed model of each target (the monthly one of a
    target deployed at several frequencies, each entry naming its frequency) and the
    categories covered by per-category forecasters (the seeds' "models status")."""
    workspace_ids = list(Membership.objects.filter(user_id=user_id).values_list("workspace_id", flat=True))
    workspaces = {w.pk: w for w in Workspace.objects.filter(pk__in=workspace_ids)}
    names = dict(Category.objects.filter(workspace_id__in=workspace_ids).values_list("pk", "name"))
    result = {pk: {"workspace": pk, "name": w.name, "models": {}, "categories_covered": []} for pk, w in workspaces.items()}
    for version in deployed_versions(workspace_ids=workspace_ids):
        entry = result[version.workspace_id]
        if version.target in entry["models"]:  # another frequency of a target already listed
            continue
        entry["models"][version.target] = {
            "id": version.pk, "algorithm": version.algorithm, "version": version.version,
            "frequency": version.frequency, "trained_until": version.training_end, "mae": version.mae,
        }
        target = Target.parse(version.target)
        if target.category_id is not None and target.category_id in names:
            entry["categories_covered"].append(names[target.category_id])
    return [result[pk] for pk in sorted(result)]
