"""The registry lifecycle: deploy, roll back, retire and delete model versions.

Exactly one version per (workspace, target) is deployed; every change of the deployed
version is written to :class:`~forecasting.models.Deployment` in the same transaction,
so "what was in production on date X" is always answerable.
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


def _deployed(*, workspace_id: int, target: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(
        workspace_id=workspace_id, target=target, status=ModelVersion.Status.DEPLOYED
    ).first()


def _switch(
    *, to_version: ModelVersion, action: str, user: AbstractBaseUser | None, reason: str
) -> Deployment:
    current = _deployed(workspace_id=to_version.workspace_id, target=to_version.target)
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
    """Make ``version`` the deployed model of its target; the previous one is retired."""
    _lock_target(workspace_id=version.workspace_id, target=version.target)
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ModelVersion.Status.DEPLOYED:
        raise RegistryError(f"Version {version.version} is already deployed.")
    if version.status == ModelVersion.Status.FAILED or not version.artifact_path:
        raise RegistryError(f"Version {version.version} has no usable artifact and cannot be deployed.")
    return _switch(to_version=version, action=action, user=user, reason=reason)


@transaction.atomic
def model_version_rollback(
    *, workspace_id: int, target: str, user: AbstractBaseUser | None = None, reason: str = ""
) -> Deployment:
    """Re-deploy the version that was deployed before the current one."""
    _lock_target(workspace_id=workspace_id, target=target)
    current = _deployed(workspace_id=workspace_id, target=target)
    if current is None:
        raise RegistryError(f"Nothing is deployed for {target}; there is nothing to roll back.")
    # The deploy that brought the current version in (not a rollback onto it), so that
    # rolling back twice walks further back in history instead of toggling.
    last = (
        Deployment.objects.filter(workspace_id=workspace_id, target=target, to_version=current)
        .exclude(action=Deployment.Action.ROLLBACK)
        .order_by("-created_at", "-id")
        .first()
    )
    previous = last.from_version if last is not None else None
    if previous is None or previous.status == ModelVersion.Status.FAILED or not previous.artifact_path:
        raise RegistryError(f"No earlier deployed version of {target} to roll back to.")
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
