"""The prediction cache: Django's cache, with a per-workspace data generation so that new
data (an auto-learn check, a training) invalidates every cached forecast of the workspace
at once; coaching/services/prediction_cache.py names its answers by generations the same
way. A change of what serves needs no invalidation: a cached forecast is named by the
version that made it and the deployment generation it was served at
(:func:`~forecasting.serving.predictions.forecast_cache_parts`)."""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any, ClassVar

from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver


def cache_generation_key(*, namespace: str, scope: int | str) -> str:
    """The cache key of the data generation of ``scope`` (a workspace id, or a name for
    data shared by every workspace) in ``namespace`` (whose cached answers it names)."""
    return f"{namespace}-gen:{scope}"


def cache_generations(*, keys: list[str]) -> dict[str, int]:
    """The current value of each generation key (one round trip; a key never bumped is 1
    and is stored so that a later bump moves it on)."""
    found = cache.get_many(keys)
    missing = {key: 1 for key in keys if key not in found}
    if missing:
        cache.set_many(missing, timeout=None)
    return {key: found.get(key, 1) for key in keys}


def cache_generation_bump(*, key: str) -> None:
    """Forget every cached answer named by the generation ``key`` (O(1): the answers
    cached under the old value are never asked for again and expire by their TTL)."""
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, timeout=None)


def _generation_key(workspace_id: int) -> str:
    return cache_generation_key(namespace="forecast", scope=workspace_id)


def forecast_cache_key(*, workspace_id: int, parts: tuple[Any, ...]) -> str:
    generation = cache.get_or_set(_generation_key(workspace_id), 1, timeout=None)
    return "forecast:{}:{}:{}".format(workspace_id, generation, ":".join(str(p) for p in parts))


def forecast_cache_invalidate(*, workspace_id: int) -> None:
    """Forget every cached forecast of the workspace (O(1): bump the generation)."""
    cache_generation_bump(key=_generation_key(workspace_id))


class ProcessMemo:
    """Answers this process remembers for a few seconds in front of the shared cache, for
    the per-row write path (benchmarks/signals): an entry holds until its time is up.
    Every memo is forgotten when the cache is replaced (tests give each test its own).
    (What serves a workspace is never remembered this way: see serving/deployed.py.)"""

    MAX_ENTRIES: ClassVar[int] = 10_000
    _instances: ClassVar[list[ProcessMemo]] = []

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        ProcessMemo._instances.append(self)

    def get(self, key: Hashable, *, now: float | None = None) -> Any | None:
        """The value remembered for ``key`` if its time is not up, else None."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > (time.monotonic() if now is None else now):
            return entry[1]
        return None

    def set(self, key: Hashable, value: Any, *, seconds: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self._entries) > self.MAX_ENTRIES:  # keep it small: drop what has expired, else all
            for stale in [k for k, (until, _) in self._entries.items() if until <= now]:
                del self._entries[stale]
            if len(self._entries) > self.MAX_ENTRIES:
                self._entries.clear()
        self._entries[key] = (now + seconds, value)

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


@receiver(setting_changed, dispatch_uid="forecasting.process_memos_reset")
def _process_memos_reset(*, setting: str, **kwargs: object) -> None:
    """A new cache knows nothing: neither may the memos in front of it."""
    if setting == "CACHES":
        for memo in ProcessMemo._instances:
            memo.clear()


#: How long after a classifier deploy the pass over the rows its model has not seen
#: starts (seconds): the deploy is served by every process from its next request (the
#: deployment generation), the delay only lets the rows committed meanwhile join the pass.
CLASSIFIERS_BACKLOG_DELAY = 2
