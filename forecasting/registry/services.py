"""The registry lifecycle: deploy, roll back, retire and delete model versions.

At most one version per (workspace, target, frequency) is deployed — a forecaster target
can serve a monthly and a weekly model side by side; classifiers have no frequency, so
one each. Deploys and rollbacks act within the version's frequency. Every change of a
deployed version is written to :class:`~forecasting.models.Deployment` in the same
transaction, so "what was in production on date X" is always answerable, and bumps the
workspace's deployment generation (:mod:`forecasting.registry.generation`) in it too, so
every process serves the change from its next request.

A deployed version whose artifact fails its integrity check is replaced by the last
intact version deployed before it (:func:`model_version_fallback`, an automatic
fallback in the history). Rollouts live in :mod:`forecasting.registry.rollouts`; a
change of the champion ends the open rollout of its target and frequency.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from forecasting.registry.artifacts import (
    ArtifactIntegrityError,
    artifact_delete,
    artifact_integrity_failed,
    artifact_read_verified,
    model_cache,
)
from forecasting.registry.audit import model_version_deletion_by
from forecasting.registry.generation import generation_bump
from forecasting.registry.models import Deployment, ModelVersion, Rollout, TargetState
from forecasting.registry.signals import deployment_changed


class RegistryError(Exception):
    """A lifecycle operation that cannot be done; the message says why."""


def _lock_target(*, workspace_id: int, target: str) -> None:
    """Serialise lifecycle changes of one target (row lock on PostgreSQL; SQLite locks
    the whole database for the transaction)."""
    state, _ = TargetState.objects.get_or_create(workspace_id=workspace_id, target=target)
    TargetState.objects.select_for_update().filter(pk=state.pk).first()


#: What a rollback that names no frequency acts on: the monthly forecaster
#: (``Frequency.MONTHLY``; the registry sits below :mod:`forecasting.series` and cannot
#: import it) or the classifier, whose versions have a blank frequency.
UNNAMED_FREQUENCY = ("M", "")


def _deployed(*, workspace_id: int, target: str, frequencies: tuple[str, ...]) -> ModelVersion | None:
    return ModelVersion.objects.filter(
        workspace_id=workspace_id, target=target, frequency__in=frequencies, status=ModelVersion.Status.DEPLOYED
    ).first()


def _named(target: str, frequency: str | None) -> str:
    return f"{target} (frequency {frequency})" if frequency else target


def _rollout_close(
    *, rollout: Rollout, status: str, user: AbstractBaseUser | None, reason: str
) -> None:
    """End an open rollout (the caller holds its target's lock and bumps the generation)."""
    rollout.status = status
    rollout.ended_at = timezone.now()
    rollout.ended_by = user
    rollout.end_reason = reason
    rollout.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])


def _open_rollout(*, workspace_id: int, target: str, frequency: str) -> Rollout | None:
    return Rollout.objects.select_for_update().filter(
        workspace_id=workspace_id, target=target, frequency=frequency, status=Rollout.Status.OPEN,
    ).first()


def _switch(
    *, to_version: ModelVersion, action: str, user: AbstractBaseUser | None, reason: str,
    replaced_status: str = ModelVersion.Status.RETIRED,
) -> Deployment:
    current = _deployed(workspace_id=to_version.workspace_id, target=to_version.target,
                        frequencies=(to_version.frequency,))
    rollout = _open_rollout(workspace_id=to_version.workspace_id, target=to_version.target,
                            frequency=to_version.frequency)
    if rollout is not None and not (action == Deployment.Action.ROLLOUT_PROMOTE
                                    and rollout.challenger_id == to_version.pk):
        # The champion it measured the challenger against no longer serves.
        ended = f"Ended by the {Deployment.Action(action).label.lower()} of v{to_version.version}."
        _rollout_close(rollout=rollout, status=Rollout.Status.ABORTED, user=user, reason=ended)
        Deployment.objects.create(
            workspace_id=to_version.workspace_id, target=to_version.target, action=Deployment.Action.ROLLOUT_ABORT,
            from_version_id=rollout.challenger_id, to_version=current, user=user, reason=ended,
        )
    if current is not None:
        current.status = replaced_status
        current.save(update_fields=["status"])
    to_version.status = ModelVersion.Status.DEPLOYED
    to_version.deployed_at = timezone.now()
    to_version.save(update_fields=["status", "deployed_at"])
    deployment = Deployment.objects.create(
        workspace_id=to_version.workspace_id, target=to_version.target, action=action,
        from_version=current, to_version=to_version, user=user, reason=reason,
    )
    generation_bump(workspace_id=to_version.workspace_id)
    workspace_id, target, kind, version_id = to_version.workspace_id, to_version.target, to_version.kind, to_version.pk
    transaction.on_commit(lambda: deployment_changed.send(
        sender=ModelVersion, workspace_id=workspace_id, target=target, kind=kind, version_id=version_id,
    ))
    return deployment


@transaction.atomic
def model_version_deploy(
    *,
    version: ModelVersion,
    user: AbstractBaseUser | None = None,
    reason: str = "",
    action: str = Deployment.Action.DEPLOY,
) -> Deployment:
    """Make ``version`` the deployed model of its target at its frequency; the one it
    replaces (same target, same frequency) is retired, other frequencies keep theirs."""
    _lock_target(workspace_id=version.workspace_id, target=version.target)
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ModelVersion.Status.DEPLOYED:
        raise RegistryError(f"Version {version.version} is already deployed.")
    if version.status == ModelVersion.Status.FAILED or not version.artifact_path:
        raise RegistryError(f"Version {version.version} has no usable artifact and cannot be deployed.")
    return _switch(to_version=version, action=action, user=user, reason=reason)


@transaction.atomic
def model_version_rollback(
    *, workspace_id: int, target: str, frequency: str | None = None, user: AbstractBaseUser | None = None,
    reason: str = "",
) -> Deployment:
    """Re-deploy the version of ``target`` at ``frequency`` that was deployed before the
    current one; the target's other frequencies are not touched. Without ``frequency``:
    the monthly forecaster, or the classifier (classifiers have no frequency)."""
    _lock_target(workspace_id=workspace_id, target=target)
    current = _deployed(workspace_id=workspace_id, target=target,
                        frequencies=(frequency,) if frequency else UNNAMED_FREQUENCY)
    if current is None:
        raise RegistryError(f"Nothing is deployed for {_named(target, frequency)}; there is nothing to roll back.")
    # The deploy that brought the current version in (not a rollback or a fallback onto
    # it), so that rolling back twice walks further back in history instead of toggling.
    last = (
        Deployment.objects.filter(workspace_id=workspace_id, target=target, to_version=current,
                                  action__in=Deployment.CHOSEN)
        .order_by("-created_at", "-id")
        .first()
    )
    previous = last.from_version if last is not None else None
    # A deploy recorded before a target could serve several frequencies may come from
    # another frequency's version: that is not this frequency's history.
    if (previous is None or previous.frequency != current.frequency
            or previous.status == ModelVersion.Status.FAILED or not previous.artifact_path):
        raise RegistryError(f"No earlier deployed version of {_named(target, frequency)} to roll back to.")
    return _switch(
        to_version=previous, action=Deployment.Action.ROLLBACK, user=user,
        reason=reason or f"Rolled back from v{current.version} to v{previous.version}",
    )


@transaction.atomic
def model_version_retire(*, version: ModelVersion) -> ModelVersion:
    """Take a candidate out of consideration (a deployed version is replaced, not retired)."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ModelVersion.Status.DEPLOYED:
        raise RegistryError("The deployed version cannot be retired; deploy another or roll back.")
    if Rollout.objects.filter(challenger=version, status=Rollout.Status.OPEN).exists():
        raise RegistryError("The version is the challenger of an open rollout; abort the rollout first.")
    version.status = ModelVersion.Status.RETIRED
    version.save(update_fields=["status"])
    return version


@transaction.atomic
def model_version_delete(*, version: ModelVersion, user: AbstractBaseUser | None = None, reason: str = "") -> None:
    """Delete a version and its artifact, recorded with who and why
    (:class:`~forecasting.registry.models.ModelVersionDeletion`); refused for the deployed version."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ModelVersion.Status.DEPLOYED:
        raise RegistryError("The deployed version cannot be deleted; deploy another version first.")
    if Rollout.objects.filter(challenger=version, status=Rollout.Status.OPEN).exists():
        raise RegistryError("The version is the challenger of an open rollout; abort the rollout first.")
    path = version.artifact_path
    model_cache.discard(version.pk)
    with model_version_deletion_by(user=user, reason=reason):
        version.delete()
    transaction.on_commit(lambda: artifact_delete(path=path))


@transaction.atomic
def model_version_fallback(*, version: ModelVersion, error: str = "") -> ModelVersion | None:
    """``version``, deployed, failed its integrity check (``error``): deploy the version of
    its target and frequency deployed most recently before it whose artifact is intact,
    mark ``version`` failed, and record an automatic fallback. Earlier versions found
    broken on the way are marked failed and announced too. Returns the version that serves
    now — also when another process fell back first — or None when no intact version is
    left (then nothing changes and the target is unavailable)."""
    _lock_target(workspace_id=version.workspace_id, target=version.target)
    current = _deployed(workspace_id=version.workspace_id, target=version.target, frequencies=(version.frequency,))
    if current is None or current.pk != version.pk:
        return current
    earlier = (
        ModelVersion.objects.filter(workspace_id=version.workspace_id, target=version.target,
                                    frequency=version.frequency, deployed_at__isnull=False)
        .exclude(pk=version.pk).exclude(status=ModelVersion.Status.FAILED).exclude(artifact_path="")
        .defer("training_data", "backtest").order_by("-deployed_at", "-version")
    )
    for candidate in earlier:
        try:
            artifact_read_verified(path=candidate.artifact_path, sha256=candidate.artifact_sha256)
        except ArtifactIntegrityError as exc:
            ModelVersion.objects.filter(pk=candidate.pk).update(status=ModelVersion.Status.FAILED)
            artifact_integrity_failed.send(sender=ArtifactIntegrityError, version_id=candidate.pk, error=str(exc))
            continue
        _switch(
            to_version=candidate, action=Deployment.Action.AUTO_FALLBACK, user=None,
            replaced_status=ModelVersion.Status.FAILED,
            reason=(f"v{version.version} failed its integrity check ({error or 'artifact refused'}); "
                    f"v{candidate.version}, the last intact version deployed before it, serves instead."),
        )
        return candidate
    return None
