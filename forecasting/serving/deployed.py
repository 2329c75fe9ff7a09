"""Which version serves (workspace, target, frequency) now: the one place every read asks
— the forecast API, the pages (:mod:`forecasting.serving.forecasts`) and the classifiers
(:mod:`forecasting.classifiers.loading`).

A process remembers, per workspace, what serves it (the deployed versions and the open
rollouts) together with the deployment generation it read them at. On every request it
reads the current generation (:func:`~forecasting.registry.generation.generation_current`:
one shared-cache get) and reloads from the database when it differs. A deploy, rollback,
fallback or rollout change bumps the generation in its own transaction, so after it
commits the next request of any process serves the change; no timer decides staleness.

Inside a transaction the state is read from the database each time, as that
transaction sees it, and not remembered: it could hold rows that may roll back.

:func:`served_model_load` loads the model of a served version and, when its artifact fails
the integrity check, falls back to the previous intact deployed version (the registry
records an automatic fallback; monitoring raises the alert) or, for a rollout's challenger,
aborts the rollout. :class:`ModelUnavailable` only when no intact version is left.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.signals import setting_changed
from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.dispatch import receiver

from forecasting.registry.artifacts import ArtifactIntegrityError, artifact_load
from forecasting.registry.generation import generation_current
from forecasting.registry.models import ModelVersion, Rollout
from forecasting.registry.rollouts import rollout_abort
from forecasting.registry.services import model_version_fallback

#: Fields a served version is remembered without (large; read when a page needs them).
HEAVY_FIELDS = ("training_data", "backtest")
#: Workspaces one process remembers at most (then it forgets them all and reloads).
MAX_WORKSPACES = 10_000
#: Fallbacks tried for one answer before giving up (each marks a version failed).
MAX_FALLBACKS = 5
#: The generation of a state read inside a transaction (never remembered).
UNCOMMITTED = -1


class ModelUnavailable(RuntimeError):
    """The model exists but must not be used (its artifact failed the integrity check)
    and no earlier intact version is left to serve instead."""


@dataclass(frozen=True)
class ServingState:
    """What serves one workspace at ``generation``: deployed versions and open rollouts,
    by (target, frequency) — a classifier's frequency is blank."""

    workspace_id: int
    generation: int
    deployed: Mapping[tuple[str, str], ModelVersion] = field(default_factory=dict)
    rollouts: Mapping[tuple[str, str], Rollout] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """Who answers one request: ``version`` (the champion, or a canary's challenger),
    and ``shadow``, a challenger computed and logged beside it but never returned."""

    version: ModelVersion
    champion: ModelVersion
    rollout: Rollout | None = None
    shadow: ModelVersion | None = None

    @property
    def role(self) -> str:
        return "champion" if self.version.pk == self.champion.pk else "challenger"


_remembered: dict[int, ServingState] = {}
_lock = threading.Lock()


def serving_memory_clear() -> None:
    """Forget what this process remembers (a new process knows nothing either)."""
    with _lock:
        _remembered.clear()


@receiver(setting_changed, dispatch_uid="forecasting.serving.deployed.memory_reset")
def _memory_reset(*, setting: str, **kwargs: object) -> None:
    """A new cache (each test has its own) starts a new history of generations."""
    if setting in ("CACHES", "DATABASES"):
        serving_memory_clear()


def _state_load(workspace_id: int, generation: int) -> ServingState:
    """The deployed versions of the workspace and the challengers of its open rollouts, with
    their rollout, in one query (a challenger is never deployed while its rollout is open)."""
    open_rollout = Rollout.objects.filter(challenger=OuterRef("pk"), status=Rollout.Status.OPEN)
    versions = (
        ModelVersion.objects.filter(workspace_id=workspace_id).defer(*HEAVY_FIELDS)
        .annotate(**{f"rollout_{name}": Subquery(open_rollout.values(name)[:1])
                     for name in ("id", "mode", "share", "champion_id")})
        .filter(Q(status=ModelVersion.Status.DEPLOYED) | Q(rollout_id__isnull=False))
    )
    deployed: dict[tuple[str, str], ModelVersion] = {}
    rollouts: dict[tuple[str, str], Rollout] = {}
    for version in versions:
        if version.status == ModelVersion.Status.DEPLOYED:
            deployed[(version.target, version.frequency)] = version
            continue
        rollout = Rollout(
            pk=version.rollout_id, workspace_id=workspace_id, target=version.target, frequency=version.frequency,
            mode=version.rollout_mode, share=version.rollout_share, champion_id=version.rollout_champion_id,
            status=Rollout.Status.OPEN,
        )
        rollout.challenger = version
        rollouts[(version.target, version.frequency)] = rollout
    return ServingState(workspace_id=workspace_id, generation=generation, deployed=deployed, rollouts=rollouts)


def serving_state(*, workspace_id: int) -> ServingState:
    """What serves the workspace now: from this process's memory when the generation has
    not moved since it was read, else from the database (one query). Inside a
    transaction, from the database as the transaction sees it (its own changes included),
    and not remembered: they may roll back."""
    if connection.in_atomic_block:
        return _state_load(workspace_id, UNCOMMITTED)
    generation = generation_current(workspace_id=workspace_id)  # read before the rows it labels
    state = _remembered.get(workspace_id)
    if state is not None and state.generation == generation:
        return state
    state = _state_load(workspace_id, generation)
    with _lock:
        if len(_remembered) >= MAX_WORKSPACES:
            _remembered.clear()
        _remembered[workspace_id] = state
    return state


def rollout_bucket(*, rollout_id: int, key: str) -> float:
    """Where ``key`` falls in [0, 1) for one rollout: the same key always falls in the same
    place, different rollouts shuffle keys differently."""
    digest = hashlib.sha256(f"{rollout_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def serving_route(
    *, workspace_id: int, target: str, frequency: str, key: str | None = None, state: ServingState | None = None,
) -> Route | None:
    """Which version answers a request for (``target``, ``frequency``) of the workspace
    now (None: nothing is deployed). With a request ``key`` an open rollout applies: a
    canary sends the keys under its share to the challenger, a shadow adds the challenger
    beside the champion for them. Without a key (the pages) the champion answers. One
    call answering several requests passes the ``state`` it read once."""
    state = state or serving_state(workspace_id=workspace_id)
    champion = state.deployed.get((target, frequency))
    if champion is None:
        return None
    rollout = state.rollouts.get((target, frequency))
    if rollout is None or key is None or rollout.challenger is None:
        return Route(version=champion, champion=champion, rollout=rollout)
    chosen = rollout_bucket(rollout_id=rollout.pk, key=key) < rollout.share
    if rollout.mode == Rollout.Mode.CANARY:
        return Route(version=rollout.challenger if chosen else champion, champion=champion, rollout=rollout)
    return Route(version=champion, champion=champion, rollout=rollout, shadow=rollout.challenger if chosen else None)


def serving_versions(
    *, workspace_id: int, targets: Iterable[str], frequencies: Sequence[str], kinds: Iterable[str] | None = None,
) -> dict[str, ModelVersion]:
    """``{target: deployed version}`` for those of ``targets`` deployed at one of
    ``frequencies``: of a target deployed at several, the first in that order."""
    deployed = serving_state(workspace_id=workspace_id).deployed
    kinds = set(kinds) if kinds is not None else None
    chosen: dict[str, ModelVersion] = {}
    for target in targets:
        for frequency in frequencies:
            version = deployed.get((target, frequency))
            if version is not None and (kinds is None or version.kind in kinds):
                chosen[target] = version
                break
    return chosen


def served_model_load(*, version: ModelVersion, rollout: Rollout | None = None) -> tuple[ModelVersion, Any]:
    """``(the version that answers, its fitted model)``: ``version``'s own, or — when its
    artifact fails the integrity check (the load announces it; monitoring alerts) — that
    of the intact version the registry falls back to. A failed challenger of ``rollout``
    aborts the rollout and the champion answers. :class:`ModelUnavailable` when none is
    left."""
    for _ in range(MAX_FALLBACKS):
        try:
            model = artifact_load(version_id=version.pk, path=version.artifact_path, sha256=version.artifact_sha256)
        except ArtifactIntegrityError as exc:
            version = _replacement(version=version, rollout=rollout, error=str(exc))
            rollout = None
            continue
        return version, model
    raise ModelUnavailable(f"Model {version.target} v{version.version} and the versions before it failed their "
                           "integrity checks; staff have been alerted.")


def _replacement(*, version: ModelVersion, rollout: Rollout | None, error: str) -> ModelVersion:
    if rollout is not None and rollout.challenger_id == version.pk:
        rollout_abort(rollout=rollout, reason=f"The challenger v{version.version} failed its integrity check: {error}")
        replacement = rollout.champion if rollout.champion_id else None
    else:
        replacement = model_version_fallback(version=version, error=error)
    if replacement is None:
        raise ModelUnavailable(
            f"Model {version.target} v{version.version} failed its integrity check and was not loaded, and no "
            "earlier deployed version is intact; staff have been alerted."
        )
    return replacement
