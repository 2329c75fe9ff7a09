"""The deployment generation of a workspace: how every process knows, on every request,
whether what it remembers of the registry still serves.

Every change of what serves a workspace (deploy, rollback, automatic fallback, rollout
start, promote, abort) bumps :class:`~forecasting.registry.models.ServingGeneration` in
its own transaction, so the counter and the change commit (or roll back) together. After
commit the new value is written to the shared cache; a reader asks the cache (one get)
and falls back to the database when the cache does not hold it. A process-local cache
(``locmem``, ``dummy``: the embedded default) is not shared between the web, worker and
beat processes, so with one the database is read every time.

Nothing here decides staleness by time: the cache entry's timeout is only a safety net
for a process that died between its commit and the write to the cache.
"""

from __future__ import annotations

import contextlib
import logging

from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from forecasting.registry.models import ServingGeneration

logger = logging.getLogger(__name__)

#: How long the shared cache keeps a generation it was told (seconds). Every change writes
#: it at once; the timeout only bounds the damage of a mirror write that never happened.
GENERATION_CACHE_SECONDS = 600


def generation_cache_key(workspace_id: int) -> str:
    return f"deploy-gen:{workspace_id}"


def cache_is_shared() -> bool:
    """Whether the default cache is seen by every process (Redis, memcached, files, the
    database) rather than held in this process's memory."""
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def _generation_db(workspace_id: int) -> int:
    value = ServingGeneration.objects.filter(workspace_id=workspace_id).values_list("generation", flat=True).first()
    return value or 0


def generation_current(*, workspace_id: int) -> int:
    """The workspace's deployment generation as committed: one cache get, or one query
    when the cache is cold, down or local to this process."""
    if not cache_is_shared():
        return _generation_db(workspace_id)
    key = generation_cache_key(workspace_id)
    try:
        value = cache.get(key)
    except Exception:  # a cache outage slows serving down, it does not stop it
        logger.warning("Deployment generation of workspace %s not read from the cache", workspace_id, exc_info=True)
        return _generation_db(workspace_id)
    if value is not None:
        return value
    value = _generation_db(workspace_id)
    # Inside a transaction the value read may not be committed (and may roll back): it is
    # not handed to other processes. ``add`` never replaces what a commit wrote meanwhile.
    if not connection.in_atomic_block:
        try:
            cache.add(key, value, timeout=GENERATION_CACHE_SECONDS)
        except Exception:
            logger.warning("Deployment generation of workspace %s not cached", workspace_id, exc_info=True)
    return value


def generation_bump(*, workspace_id: int) -> int:
    """Bump the workspace's generation inside the caller's transaction (the row stays
    locked until it ends, so concurrent changes of one workspace are ordered) and write
    the committed value to the shared cache after commit. Returns the new generation."""
    if not ServingGeneration.objects.filter(workspace_id=workspace_id).update(generation=F("generation") + 1):
        try:
            with transaction.atomic():
                ServingGeneration.objects.create(workspace_id=workspace_id, generation=1)
        except IntegrityError:  # created by a concurrent first change of the workspace
            ServingGeneration.objects.filter(workspace_id=workspace_id).update(generation=F("generation") + 1)
    value = _generation_db(workspace_id)
    transaction.on_commit(lambda: generation_publish(workspace_id=workspace_id, generation=value))
    return value


def generation_publish(*, workspace_id: int, generation: int) -> None:
    """Write a committed generation to the shared cache. Two changes of one workspace may
    publish in either order, so the database is read back afterwards: whichever publish
    runs last, the cache ends with the newest committed value."""
    if not cache_is_shared():
        return
    key = generation_cache_key(workspace_id)
    try:
        cache.set(key, generation, timeout=GENERATION_CACHE_SECONDS)
        latest = _generation_db(workspace_id)
        if latest != generation:
            cache.set(key, latest, timeout=GENERATION_CACHE_SECONDS)
    except Exception:  # readers fall back to the database when the key is gone
        logger.warning("Deployment generation %s of workspace %s not published", generation, workspace_id,
                       exc_info=True)
        with contextlib.suppress(Exception):  # the cache is down: the timeout bounds what it holds
            cache.delete(key)
