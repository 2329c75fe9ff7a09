"""Model artifacts through Django's storage API, verified by sha256 before every load.

Loading a pickle runs code, so the sha256 recorded at save time is checked before the
bytes are unpickled; a mismatch refuses the load (:class:`ArtifactIntegrityError`).
Loaded models are kept in an in-process LRU of ``ML_MODEL_CACHE_SIZE`` entries keyed by
version id *and* hash, so a changed file is never served from memory either.

The stored bytes are encrypted when ``ML_ARTIFACT_KEYS`` is set (:mod:`.encryption`); the
sha256 is over the stored bytes, checked before anything is decrypted.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.dispatch import Signal

from forecasting.registry.encryption import (
    ArtifactKeyError,
    artifact_decrypt,
    artifact_encrypt,
    artifact_is_current,
)

ARTIFACT_DIR = "models"

#: Sent when a version's artifact fails its integrity check on load (``version_id``,
#: ``error``); monitoring raises the alert — the one place that does.
artifact_integrity_failed = Signal()


class ArtifactIntegrityError(Exception):
    """The stored artifact does not match its recorded sha256 (or is missing)."""


@dataclass(frozen=True)
class StoredArtifact:
    path: str
    sha256: str
    size: int


def _artifact_write(*, payload: bytes, name: str) -> StoredArtifact:
    stored = artifact_encrypt(payload)
    path = default_storage.save(name, ContentFile(stored))
    return StoredArtifact(path=path, sha256=hashlib.sha256(stored).hexdigest(), size=len(stored))


def artifact_save(*, obj: Any, name: str) -> StoredArtifact:
    """Pickle ``obj`` and write it through the default storage (encrypted when keys are
    set); return path, size and the sha256 of the stored bytes."""
    return _artifact_write(payload=pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), name=f"{ARTIFACT_DIR}/{name}")


def artifact_read_verified(*, path: str, sha256: str) -> bytes:
    """The artifact's bytes (decrypted), only if the stored bytes hash to ``sha256``."""
    try:
        return artifact_decrypt(_stored_verified(path=path, sha256=sha256))
    except ArtifactKeyError as exc:
        raise ArtifactIntegrityError(f"Artifact {path} {exc}; refusing to load it.") from None


def artifact_rekey(*, path: str, sha256: str) -> StoredArtifact | None:
    """Write a verified artifact again as :func:`artifact_save` would now (the current key,
    or in clear without keys) beside the old file, which the caller deletes once its
    version points to the new one; None when it is already stored that way."""
    stored = _stored_verified(path=path, sha256=sha256)
    if artifact_is_current(stored):
        return None
    try:
        payload = artifact_decrypt(stored)
    except ArtifactKeyError as exc:
        raise ArtifactIntegrityError(f"Artifact {path} {exc}.") from None
    return _artifact_write(payload=payload, name=path)


def _stored_verified(*, path: str, sha256: str) -> bytes:
    try:
        with default_storage.open(path, "rb") as handle:
            payload = handle.read()
    except (FileNotFoundError, OSError) as exc:
        raise ArtifactIntegrityError(f"Artifact {path} cannot be read: {exc}") from exc
    actual = hashlib.sha256(payload).hexdigest()
    if actual != sha256:
        raise ArtifactIntegrityError(
            f"Artifact {path} has sha256 {actual[:12]}…, expected {sha256[:12]}…; refusing to load it."
        )
    return payload


def artifact_delete(*, path: str) -> None:
    if path and default_storage.exists(path):
        default_storage.delete(path)


class ModelLRU:
    """A thread-safe LRU of unpickled models keyed by (version id, sha256)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[int, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str]) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: tuple[int, str], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def discard(self, version_id: int) -> None:
        with self._lock:
            for key in [k for k in self._items if k[0] == version_id]:
                del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


model_cache = ModelLRU(capacity=settings.ML_MODEL_CACHE_SIZE)


def artifact_load(*, version_id: int, path: str, sha256: str, announce: bool = True) -> Any:
    """Load a verified artifact, from the in-process LRU when it is there. A failed check
    is announced (:data:`artifact_integrity_failed`, unless ``announce=False``) and raised."""
    key = (version_id, sha256)
    cached = model_cache.get(key)
    if cached is not None:
        return cached
    try:
        data = artifact_read_verified(path=path, sha256=sha256)
    except ArtifactIntegrityError as exc:
        if announce:
            artifact_integrity_failed.send(sender=ArtifactIntegrityError, version_id=version_id, error=str(exc))
        raise
    obj = pickle.loads(data)  # noqa: S301 - verified above
    model_cache.put(key, obj)
    return obj
