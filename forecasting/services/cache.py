"""The prediction cache: Django's cache, with a per-workspace generation number so a
deploy or new data invalidates every cached forecast of the workspace at once."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver


def _generation_key(workspace_id: int) -> str:
    return f"forecast-gen:{workspace_id}"


def forecast_cache_key(*, workspace_id: int, parts: tuple[Any, ...]) -> str:
    generation = cache.get_or_set(_generation_key(workspace_id), 1, timeout=None)
    return "forecast:{}:{}:{}".format(workspace_id, generation, ":".join(str(p) for p in parts))


def forecast_cache_invalidate(*, workspace_id: int) -> None:
    """Forget every cached forecast of the workspace (O(1): bump the generation)."""
    key = _generation_key(workspace_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, timeout=None)


def classifiers_cache_key(*, workspace_id: int) -> str:
    """Where the deployed classifier versions of a workspace are cached (read on every
    new transaction, so that a workspace without classifiers costs no query)."""
    return f"ml-classifiers:{workspace_id}"


def classifiers_cache_invalidate(*, workspace_id: int) -> None:
    _classifiers_local.pop(workspace_id, None)
    cache.delete(classifiers_cache_key(workspace_id=workspace_id))


#: How long a process trusts the deployed classifiers it read for a workspace before it
#: asks the shared cache again. The scoring hook runs on every new transaction: with this
#: a burst of writes costs one shared-cache read (a Redis round trip) a second instead of
#: one per row. A deploy made by another process is seen at most this late, so every
#: classifier deploy queues a pass over the rows its model has not seen that starts
#: ``CLASSIFIERS_BACKLOG_DELAY`` seconds after it: a row written meanwhile is scored then.
CLASSIFIERS_LOCAL_SECONDS = 1.0
CLASSIFIERS_BACKLOG_DELAY = 2
_classifiers_local: dict[int, tuple[float, Any]] = {}


def classifiers_local_get(*, workspace_id: int) -> Any | None:
    """The deployed classifier refs this process read less than a second ago, or None."""
    entry = _classifiers_local.get(workspace_id)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    return None


def classifiers_local_set(*, workspace_id: int, refs: Any) -> None:
    if len(_classifiers_local) > 10_000:  # many workspaces: start afresh rather than grow
        _classifiers_local.clear()
    _classifiers_local[workspace_id] = (time.monotonic() + CLASSIFIERS_LOCAL_SECONDS, refs)


@receiver(setting_changed, dispatch_uid="forecasting.classifiers_local_reset")
def _classifiers_local_reset(*, setting: str, **kwargs: object) -> None:
    """A new cache (tests give each test its own) knows nothing: neither may we."""
    if setting == "CACHES":
        _classifiers_local.clear()
