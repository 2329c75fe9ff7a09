"""Encryption at rest of model artifacts, with the keys of ``ML_ARTIFACT_KEYS``.

Fernet (from ``cryptography``: AES-128-CBC and an HMAC-SHA256 over it): the first key
encrypts, every key of the list decrypts, so a key rotates by putting the new one first
and keeping the old ones until ``manage.py artifacts_rekey`` has rewritten every artifact
with the new one. Without keys artifacts are stored in clear; artifacts stored in clear
stay readable after encryption is switched on (they are rewritten by the same command).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

#: How an encrypted artifact starts: a Fernet token is the URL-safe base64 of the version
#: byte 0x80 and a 64-bit timestamp whose first four bytes are zero until 2106. A pickle
#: starts with the byte 0x80 itself, so the two are never mistaken for each other.
FERNET_PREFIX = b"gAAAAA"


class ArtifactKeyError(ValueError):
    """An encrypted artifact that none of the configured keys opens (or no key is set)."""


@lru_cache(maxsize=4)
def _ciphers(keys: tuple[str, ...]) -> tuple[Fernet, MultiFernet] | None:
    if not keys:
        return None
    try:
        fernets = [Fernet(key.encode()) for key in keys]
    except ValueError:  # the message must not repeat the key
        raise ImproperlyConfigured(
            "ML_ARTIFACT_KEYS holds a value that is not a Fernet key (32 url-safe base64-encoded bytes; make "
            "one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        ) from None
    return fernets[0], MultiFernet(fernets)


def artifact_ciphers() -> tuple[Fernet, MultiFernet] | None:
    """The current key (encrypts) and all the keys (decrypt), or None: stored in clear."""
    return _ciphers(tuple(key.strip() for key in settings.ML_ARTIFACT_KEYS if key.strip()))


def artifact_encrypt(payload: bytes) -> bytes:
    """What to store for ``payload``: encrypted with the current key, or as it is."""
    ciphers = artifact_ciphers()
    return ciphers[0].encrypt(payload) if ciphers else payload


def artifact_decrypt(stored: bytes) -> bytes:
    """The payload of stored bytes, with whichever configured key encrypted them."""
    if not stored.startswith(FERNET_PREFIX):
        return stored
    ciphers = artifact_ciphers()
    if ciphers is None:
        raise ArtifactKeyError("is encrypted and ML_ARTIFACT_KEYS is not set")
    try:
        return ciphers[1].decrypt(stored)
    except InvalidToken:
        raise ArtifactKeyError("cannot be decrypted with any key of ML_ARTIFACT_KEYS") from None


def artifact_is_current(stored: bytes) -> bool:
    """Whether stored bytes are as :func:`artifact_encrypt` writes them now: encrypted
    with the current key, or in clear when no key is set."""
    ciphers = artifact_ciphers()
    if not stored.startswith(FERNET_PREFIX):
        return ciphers is None
    if ciphers is None:
        return False
    try:
        ciphers[0].decrypt(stored)
    except InvalidToken:
        return False
    return True
