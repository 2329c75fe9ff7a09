"""Rollouts: a challenger served beside the deployed champion of a forecaster target and
frequency, then promoted (deployed) or aborted.

* **canary** — the challenger answers the requests whose key (the user, or an explicit
  key) hashes under ``share``; one key always gets the same version;
* **shadow** — the champion answers every request; for the keys under ``share`` the
  challenger's forecast is computed and logged beside it, never returned.

At most one rollout is open per (workspace, target, frequency). Every start, promote and
abort is a :class:`~forecasting.registry.models.Deployment` row and bumps the workspace's
deployment generation in the same transaction, so every process routes by the change from
its next request. How requests are routed and how the two versions compare on realised
actuals is serving's part (:mod:`forecasting.serving.deployed`, :mod:`forecasting.serving.rollouts`).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from forecasting.registry.generation import generation_bump
from forecasting.registry.models import Deployment, ModelKind, ModelVersion, Rollout
from forecasting.registry.services import (
    RegistryError,
    _deployed,
    _lock_target,
    _named,
    _open_rollout,
    _rollout_close,
    _switch,
)


def rollout_share_check(*, mode: str, share: float) -> str | None:
    """Why ``share`` does not fit ``mode`` (None when it does): a canary gives the
    challenger part of the traffic, strictly between 0 and 1; a shadow may shadow all."""
    if mode == Rollout.Mode.CANARY and not 0 < share < 1:
        return "A canary's share is strictly between 0 and 1 (0.2 sends 20 % of the request keys to the challenger)."
    if mode == Rollout.Mode.SHADOW and not 0 < share <= 1:
        return "A shadow's share is above 0 and at most 1 (1 shadows every request)."
    return None


@transaction.atomic
def rollout_start(
    *, challenger: ModelVersion, mode: str, share: float, user: AbstractBaseUser | None = None, reason: str = "",
) -> Rollout:
    """Serve ``challenger`` beside the deployed version of its target and frequency."""
    _lock_target(workspace_id=challenger.workspace_id, target=challenger.target)
    challenger = ModelVersion.objects.select_for_update().get(pk=challenger.pk)
    named = _named(challenger.target, challenger.frequency)
    if mode not in Rollout.Mode.values:
        raise RegistryError(f"Unknown rollout mode '{mode}'; use canary or shadow.")
    problem = rollout_share_check(mode=mode, share=share)
    if problem:
        raise RegistryError(problem)
    if challenger.kind != ModelKind.FORECASTER:
        raise RegistryError("Rollouts serve forecasters; deploy a classifier instead.")
    if challenger.status == ModelVersion.Status.DEPLOYED:
        raise RegistryError(f"Version {challenger.version} is already deployed.")
    if challenger.status == ModelVersion.Status.FAILED or not challenger.artifact_path:
        raise RegistryError(f"Version {challenger.version} has no usable artifact and cannot serve.")
    champion = _deployed(workspace_id=challenger.workspace_id, target=challenger.target,
                         frequencies=(challenger.frequency,))
    if champion is None:
        raise RegistryError(f"Nothing is deployed for {named}; deploy the version instead of rolling it out.")
    if _open_rollout(workspace_id=challenger.workspace_id, target=challenger.target,
                     frequency=challenger.frequency) is not None:
        raise RegistryError(f"A rollout of {named} is already open; promote or abort it first.")
    rollout = Rollout.objects.create(
        workspace_id=challenger.workspace_id, target=challenger.target, frequency=challenger.frequency,
        champion=champion, challenger=challenger, mode=mode, share=share, started_by=user, reason=reason,
    )
    Deployment.objects.create(
        workspace_id=challenger.workspace_id, target=challenger.target, action=Deployment.Action.ROLLOUT_START,
        from_version=champion, to_version=challenger, user=user,
        reason=reason or f"{Rollout.Mode(mode).label.split(' (')[0]} of v{challenger.version} at {share:.0%}.",
    )
    generation_bump(workspace_id=challenger.workspace_id)
    return rollout


def _locked_open(rollout: Rollout) -> Rollout:
    _lock_target(workspace_id=rollout.workspace_id, target=rollout.target)
    rollout = Rollout.objects.select_for_update(of=("self",)).select_related("champion", "challenger").get(pk=rollout.pk)
    if rollout.status != Rollout.Status.OPEN:
        raise RegistryError(f"The rollout has ended ({rollout.get_status_display().lower()}).")
    return rollout


@transaction.atomic
def rollout_promote(*, rollout: Rollout, user: AbstractBaseUser | None = None, reason: str = "") -> Deployment:
    """Deploy the challenger (the champion is retired) and close the rollout."""
    rollout = _locked_open(rollout)
    challenger = rollout.challenger
    if challenger is None or challenger.status == ModelVersion.Status.FAILED:
        raise RegistryError("The challenger is gone or failed; abort the rollout.")
    deployment = _switch(
        to_version=challenger, action=Deployment.Action.ROLLOUT_PROMOTE, user=user,
        reason=reason or f"{rollout.get_mode_display().split(' (')[0]} of v{challenger.version} promoted.",
    )
    _rollout_close(rollout=rollout, status=Rollout.Status.PROMOTED, user=user, reason=deployment.reason)
    return deployment


@transaction.atomic
def rollout_abort(*, rollout: Rollout, user: AbstractBaseUser | None = None, reason: str = "") -> Deployment:
    """Stop serving the challenger; the champion answers every request again."""
    rollout = _locked_open(rollout)
    version = rollout.challenger.version if rollout.challenger else "?"
    reason = reason or f"{rollout.get_mode_display().split(' (')[0]} of v{version} aborted."
    _rollout_close(rollout=rollout, status=Rollout.Status.ABORTED, user=user, reason=reason)
    deployment = Deployment.objects.create(
        workspace_id=rollout.workspace_id, target=rollout.target, action=Deployment.Action.ROLLOUT_ABORT,
        from_version=rollout.challenger, to_version=rollout.champion, user=user, reason=reason,
    )
    generation_bump(workspace_id=rollout.workspace_id)
    return deployment
