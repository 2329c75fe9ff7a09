"""The coaching prediction cache: each kind of coaching answer (spending patterns,
personality, segment insights, the cash-flow forecast…) kept in Django's cache for its
TTL (``settings.COACHING_CACHE_TTLS``, seconds; 0 turns a kind off).

An answer is named by its kind, the workspace, the member (for the kinds that depend on
who asks: their segment, their engagement), the request's parameters, today's date (the
complete months it reads end with the month before today) and two data generations, the
pattern of the forecast cache (:mod:`forecasting.serving.cache`):

* the workspace's **books** generation, bumped after commit whenever its transactions,
  budgets, goals or categories change (:mod:`coaching.cache_receivers`);
* the **segments** generation, bumped after every segmentation (the daily run, a member
  placed between runs, a rollback).

A bump makes every answer named by the old value unreachable at once (O(1)); they expire
by their TTL. What no bump announces — the peers' own books, for the peer aggregates —
is at most one TTL old. The cash-flow forecast is also named by the workspace's
deployment generation, so a deploy or rollback is served from the next request.

With a cache local to each process (the embedded default, ``locmemcache``) a process
forgets its own answers when it writes; answers another process wrote are not shared
either, so the warm-up task (:func:`prediction_cache_warm`) only fills a shared cache.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from forecasting.registry.generation import generation_current
from forecasting.serving.cache import cache_generation_bump, cache_generation_key, cache_generations

logger = logging.getLogger(__name__)
T = TypeVar("T")

BOOKS, SEGMENTS = "coaching-books", "coaching-segments"
ALL_WORKSPACES = "all"


@dataclass(frozen=True)
class Kind:
    """A kind of cached answer: whether it depends on the member asking (else one answer
    serves every member of the workspace) and on what serves the workspace (deployments)."""

    per_user: bool
    deployments: bool = False


KINDS: dict[str, Kind] = {
    "spending_patterns": Kind(per_user=False),
    "category_preferences": Kind(per_user=True),
    "financial_personality": Kind(per_user=True),
    "segment_insights": Kind(per_user=True),
    "financial_forecast": Kind(per_user=False, deployments=True),
    "insights": Kind(per_user=True, deployments=True),  # the member's behaviour changes are among them
    "peer_comparison": Kind(per_user=True),
    # the bills and their payments: read by the spending forecasts and the budget risks
    "recurring_bills": Kind(per_user=False),
}


def prediction_cache_ttl(*, kind: str) -> int:
    if kind not in KINDS:
        raise KeyError(f"Unknown coaching cache kind {kind!r}.")
    return int(settings.COACHING_CACHE_TTLS.get(kind, 0))


def prediction_cache_key(
    *, kind: str, workspace_id: int, user_id: int | None, params: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> str:
    """The key an answer is stored under now (one cache round trip for the generations,
    plus the deployment generation's read for the kinds that depend on it)."""
    spec = KINDS[kind]
    books = cache_generation_key(namespace=BOOKS, scope=workspace_id)
    segments = cache_generation_key(namespace=SEGMENTS, scope=ALL_WORKSPACES)
    generations = cache_generations(keys=[books, segments])
    parts = [
        "coaching", kind, str(workspace_id), str(user_id) if spec.per_user else "-",
        (today or timezone.localdate()).isoformat(), f"b{generations[books]}", f"s{generations[segments]}",
    ]
    if spec.deployments:
        parts.append(f"d{generation_current(workspace_id=workspace_id)}")
    parts += [f"{name}={value}" for name, value in sorted((params or {}).items())]
    return ":".join(parts)


def prediction_cached(
    *, kind: str, workspace_id: int, user_id: int | None, compute: Callable[[], T],
    params: Mapping[str, Any] | None = None, today: dt.date | None = None,
) -> T:
    """The cached answer of ``kind``, or ``compute()``'s, stored for the kind's TTL. The
    key is read before computing: a write committed meanwhile bumps a generation, so an
    answer computed from the data before it is stored under a key no one asks for again."""
    ttl = prediction_cache_ttl(kind=kind)
    if ttl <= 0:
        return compute()
    key = prediction_cache_key(kind=kind, workspace_id=workspace_id, user_id=user_id, params=params, today=today)
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, timeout=ttl)
    return value


def prediction_cache_is_cached(
    *, kind: str, workspace_id: int, user_id: int | None, params: Mapping[str, Any] | None = None,
) -> bool:
    """Whether the answer is in the cache now (the warm-up skips those)."""
    return cache.get(prediction_cache_key(kind=kind, workspace_id=workspace_id, user_id=user_id, params=params)) is not None


def prediction_cache_books_changed(*, workspace_id: int) -> None:
    """After commit: forget every cached coaching answer of the workspace (its books
    changed). Outside a transaction, at once."""
    key = cache_generation_key(namespace=BOOKS, scope=workspace_id)
    transaction.on_commit(lambda: cache_generation_bump(key=key))


def prediction_cache_segments_changed() -> None:
    """After commit: forget every cached coaching answer (segments changed: peers, the
    segment shown, the personality's segment)."""
    key = cache_generation_key(namespace=SEGMENTS, scope=ALL_WORKSPACES)
    transaction.on_commit(lambda: cache_generation_bump(key=key))
