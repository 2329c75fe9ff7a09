"""The deployed classifiers of a workspace (the categoriser, the fraud and the anomaly
detector), as every process sees them now (:mod:`forecasting.serving.deployed`: the
deployment generation is checked on every call), integrity-checked and loaded once per
process; and the errors of this feature. A classifier whose artifact fails its check is
replaced by its previous intact version (an automatic fallback), or is unavailable."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from forecasting.classifiers.selectors import (
    ANOMALY,
    CATEGORIZER,
    CLASSIFIER_TARGETS,
    FRAUD,
)
from forecasting.engine.registry import algorithm_label
from forecasting.registry.models import ModelKind
from forecasting.serving.deployed import (
    ModelUnavailable,
    served_model_load,
    serving_state,
    serving_versions,
)

logger = logging.getLogger(__name__)

KIND_OF_TARGET = {CATEGORIZER: ModelKind.CATEGORIZER, FRAUD: ModelKind.FRAUD, ANOMALY: ModelKind.ANOMALY}
ALGORITHM = {CATEGORIZER: "tfidf_logreg_memory", FRAUD: "random_forest", ANOMALY: "isolation_forest"}
#: What people read for each classifier's algorithm (the forecasters' are the engine's).
CLASSIFIER_LABELS = {
    "tfidf_logreg_memory": "Text classifier",
    "random_forest": "Random forest",
    "isolation_forest": "Isolation forest",
}


def model_label(algorithm: str) -> str:
    """The display name of any model's algorithm: a classifier's or a forecaster's."""
    return CLASSIFIER_LABELS.get(algorithm) or algorithm_label(algorithm)


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


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: metrics[k] for k in ("accuracy", "precision", "recall", "f1", "macro_f1", "ece") if k in metrics}


@dataclass(frozen=True)
class ClassifiersServing:
    """The loaded classifiers of a workspace, and why a deployed one is not among them."""

    loaded: dict[str, LoadedModel]
    unavailable: dict[str, str]


def classifiers_deployed(*, workspace_id: int) -> bool:
    """Whether the workspace has a deployed classifier (one cache read on the per-row
    write path; no query while the deployment generation has not moved)."""
    deployed = serving_state(workspace_id=workspace_id).deployed
    return any((target, "") in deployed for target in CLASSIFIER_TARGETS)


def classifiers_serving(*, workspace_id: int, targets: Iterable[str] = CLASSIFIER_TARGETS) -> ClassifiersServing:
    """The deployed, integrity-checked classifier models of a workspace. A tampered
    artifact falls back to the previous intact version of that classifier (the registry
    records it; monitoring raises the alert); with none left the classifier is
    ``unavailable`` (with the reason) and scoring goes on without it."""
    loaded: dict[str, LoadedModel] = {}
    unavailable: dict[str, str] = {}
    wanted = set(targets)
    versions = serving_versions(workspace_id=workspace_id, targets=[t for t in CLASSIFIER_TARGETS if t in wanted],
                                frequencies=[""])
    for target, version in versions.items():
        try:
            version, model = served_model_load(version=version)
        except ModelUnavailable as exc:
            logger.error("Classifier %s of workspace %s not loaded: %s", target, workspace_id, exc)
            unavailable[target] = str(exc)
            continue
        loaded[target] = LoadedModel(version.pk, version.version, target, model, _summary(version.metrics),
                                     version.training_end, version.created_at)
    return ClassifiersServing(loaded=loaded, unavailable=unavailable)


def deployed_classifiers(*, workspace_id: int, targets: Iterable[str] = CLASSIFIER_TARGETS) -> dict[str, LoadedModel]:
    """The loaded classifiers of :func:`classifiers_serving` (those that can serve)."""
    return classifiers_serving(workspace_id=workspace_id, targets=targets).loaded
