"""The prediction cache: Django's cache, with a per-workspace generation number so a
deploy or new data invalidates every cached forecast of the workspace at once."""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any, ClassVar

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


class ProcessMemo:
    """Answers this process remembers for a few seconds in front of the shared cache, for
    the per-row write path (benchmarks/signals): an entry holds until its time is up.
    Every memo is forgotten when the cache is replaced (tests give each test its own)."""

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


def classifiers_cache_invalidate(*, workspace_id: int) -> None:
    classifiers_local.forget(workspace_id)
    cache.delete(classifiers_cache_key(workspace_id=workspace_id))


#: How long a process trusts the deployed classifiers it read for a workspace before it
#: asks the shared cache again. The scoring hook runs on every new transaction: with this
#: a burst of writes costs one shared-cache read (a Redis round trip) a second instead of
#: one per row. A deploy made by another process is seen at most this late, so every
#: classifier deploy queues a pass over the rows its model has not seen that starts
#: ``CLASSIFIERS_BACKLOG_DELAY`` seconds after it: a row written meanwhile is scored then.
CLASSIFIERS_LOCAL_SECONDS = 1.0
CLASSIFIERS_BACKLOG_DELAY = 2
#: workspace id → the deployed classifier refs this process read last.
classifiers_local = ProcessMemo()
