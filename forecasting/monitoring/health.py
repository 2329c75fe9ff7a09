"""Health of what serving and training depend on: database, broker, cache, model store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from config.celery import app as celery_app


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("value written to the cache could not be read back")
    cache.delete(key)


def _model_store() -> None:
    path = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(path, "rb") as handle:
            if handle.read() != b"ok":
                raise RuntimeError("probe file read back differently")
    finally:
        default_storage.delete(path)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "cache": _cache,
    "model_store": _model_store,
}


def health_check() -> dict[str, Any]:
    """Run every check; ``healthy`` is true only when all pass."""
    components = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # a health check reports every failure, whatever it is
            components[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        else:
            components[name] = {"ok": True}
        components[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return {"healthy": all(c["ok"] for c in components.values()), "components": components}
