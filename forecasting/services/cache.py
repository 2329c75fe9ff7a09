"""The prediction cache: Django's cache, with a per-workspace generation number so a
deploy or new data invalidates every cached forecast of the workspace at once."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache


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
    cache.delete(classifiers_cache_key(workspace_id=workspace_id))
