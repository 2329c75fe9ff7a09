"""The registry lifecycle: deploy, roll back, retire and delete model versions.

At most one version per (workspace, target, frequency) is deployed — a forecaster target
can serve a monthly and a weekly model side by side; classifiers have no frequency, so
one each. Deploys and rollbacks act within the version's frequency. Every change of a
deployed version is written to :class:`~forecasting.models.Deployment` in the same
transaction, so "what was in production on date X" is always answerable.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from forecasting.registry.artifacts import artifact_delete, model_cache
from forecasting.registry.models import Deployment, ModelVersion, TargetState
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


def _switch(
    *, to_version: ModelVersion, action: str, user: AbstractBaseUser | None, reason: str
) -> Deployment:
    current = _deployed(workspace_id=to_version.workspace_id, target=to_version.target,
                        frequencies=(to_version.frequency,))
    if current is not None:
        current.status = ModelVersion.Status.RETIRED
        current.save(update_fields=["status"])
    to_version.status = ModelVersion.Status.DEPLOYED
    to_version.deployed_at = timezone.now()
    to_version.save(update_fields=["status", "deployed_at"])
    deployment = Deployment.objects.create(
        workspace_id=to_version.workspace_id, target=to_version.target, action=action,
        from_version=current, to_version=to_version, user=user, reason=reason,
    )
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
    # The deploy that brought the current version in (not a rollback onto it), so that
    # rolling back twice walks further back in history instead of toggling.
    last = (
        Deployment.objects.filter(workspace_id=workspace_id, target=target, to_version=current)
        .exclude(action=Deployment.Action.ROLLBACK)
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
    version.status = ModelVersion.Status.RETIRED
    version.save(update_fields=["status"])
    return version


@transaction.atomic
def model_version_delete(*, version: ModelVersion) -> None:
    """Delete a version and its artifact; refused for the deployed version."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ModelVersion.Status.DEPLOYED:
        raise RegistryError("The deployed version cannot be deleted; deploy another version first.")
    path = version.artifact_path
    model_cache.discard(version.pk)
    version.delete()
    transaction.on_commit(lambda: artifact_delete(path=path))
