"""Prometheus counters of serving: answers and cache hits by the model version that gave
them (a version belongs to one target, so the target label adds no series)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from prometheus_client import Counter

PREDICTIONS = Counter(
    "ledgerwise_predictions_total", "Answers served (forecasts and classifier scores), by model version.",
    ["model_version", "target"],
)
PREDICTION_CACHE_HITS = Counter(
    "ledgerwise_prediction_cache_hits_total", "Answers served from the forecast cache, by model version.",
    ["model_version", "target"],
)


class _Served(Protocol):
    model_version_id: int
    target: str
    from_cache: bool


def predictions_count(entries: Iterable[_Served]) -> None:
    """Count logged answers (``prediction_log``'s entries)."""
    for entry in entries:
        labels = (str(entry.model_version_id), entry.target)
        PREDICTIONS.labels(*labels).inc()
        if entry.from_cache:
            PREDICTION_CACHE_HITS.labels(*labels).inc()
