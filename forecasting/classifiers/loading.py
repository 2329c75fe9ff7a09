"""The deployed classifiers of a workspace, loaded once per process and integrity-checked
(the categoriser, the fraud and the anomaly detector), and the errors of this feature."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from forecasting.classifiers.selectors import (
    ANOMALY,
    CATEGORIZER,
    CLASSIFIER_TARGETS,
    FRAUD,
)
from forecasting.registry.artifacts import ArtifactIntegrityError, artifact_load
from forecasting.registry.models import ModelKind, ModelVersion
from forecasting.serving.cache import (
    classifiers_cache_key,
)

logger = logging.getLogger(__name__)




REFS_TTL = 300  # seconds; deploys invalidate at once, the TTL bounds a racing reader
KIND_OF_TARGET = {CATEGORIZER: ModelKind.CATEGORIZER, FRAUD: ModelKind.FRAUD, ANOMALY: ModelKind.ANOMALY}
ALGORITHM = {CATEGORIZER: "tfidf_logreg_memory", FRAUD: "random_forest", ANOMALY: "isolation_forest"}


class ClassificationError(ValueError):
    """A classification request that cannot be honoured; the message says why."""


class ColdStart(ClassificationError):
    """Not enough data to train the model (or to suggest anything)."""


# --- deployed models --------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedModel:
    version_id: int
    version: int
    target: str
    model: Any
    metrics: dict[str, Any]
    trained_until: dt.date | None
    created_at: dt.datetime | None


def _deployed_refs(workspace_id: int) -> dict[str, dict[str, Any]]:
    """The deployed classifier versions of a workspace (cached until the next deploy)."""
    key = classifiers_cache_key(workspace_id=workspace_id)
    refs = cache.get(key)
    if refs is None:
        refs = {
            v.target: {"id": v.pk, "path": v.artifact_path, "sha256": v.artifact_sha256, "version": v.version,
                       "metrics": _summary(v.metrics), "trained_until": v.training_end, "created_at": v.created_at}
            for v in ModelVersion.objects.filter(
                workspace_id=workspace_id, target__in=CLASSIFIER_TARGETS, status=ModelVersion.Status.DEPLOYED
            ).only("pk", "target", "artifact_path", "artifact_sha256", "version", "metrics", "training_end",
                   "created_at")
        }
        cache.set(key, refs, timeout=REFS_TTL)
    return refs


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: metrics[k] for k in ("accuracy", "precision", "recall", "f1", "macro_f1", "ece") if k in metrics}


def deployed_classifiers(*, workspace_id: int, targets: Iterable[str] = CLASSIFIER_TARGETS) -> dict[str, LoadedModel]:
    """The deployed, integrity-checked classifier models of a workspace. A tampered
    artifact is left out (scoring goes on without it; monitoring raises the alert)."""
    loaded = {}
    for target, ref in _deployed_refs(workspace_id).items():
        if target not in targets:
            continue
        try:
            model = artifact_load(version_id=ref["id"], path=ref["path"], sha256=ref["sha256"])
        except ArtifactIntegrityError as exc:
            logger.error("Classifier %s of workspace %s not loaded: %s", target, workspace_id, exc)
            continue
        loaded[target] = LoadedModel(ref["id"], ref["version"], target, model, ref["metrics"], ref["trained_until"],
                                     ref["created_at"])
    return loaded


