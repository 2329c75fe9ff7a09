"""The privacy filter every behavioural event passes before it is stored.

It drops values under keys that name secrets or personal data (passwords, tokens,
card numbers, e-mail addresses…) and masks e-mail addresses, card-like numbers,
bearer tokens and long secret-looking strings inside any remaining free text.
"""

from __future__ import annotations

import re
from typing import Any

SENSITIVE_KEY_WORDS = frozenset(
    {
        "password", "passwd", "pwd", "passphrase", "pass", "secret", "token", "apikey",
        "auth", "authorization", "credentials", "credential", "cookie", "card", "cardnumber",
        "cc", "cvv", "cvc", "pan", "iban", "ssn", "email", "mail", "phone", "pin", "otp",
        "routing", "sessionkey",
    }
)
SENSITIVE_KEY_PAIRS = frozenset({("api", "key"), ("account", "number"), ("social", "security")})
CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CARD_RE = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
BEARER_RE = re.compile(r"\b(?:bearer|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
LONG_SECRET_RE = re.compile(r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}\b")
REDACTED = "[redacted]"
MAX_DEPTH = 6


def is_sensitive_key(key: str) -> bool:
    """True when a key names a secret or personal datum (``password``, ``cardNumber``,
    ``api_key``, ``user_email``…), judged on its words, so ``author`` is not ``auth``."""
    words = [w for w in re.split(r"[^a-z0-9]+", CAMEL_RE.sub("_", key).lower()) if w]
    if any(w in SENSITIVE_KEY_WORDS for w in words):
        return True
    return any(pair in SENSITIVE_KEY_PAIRS for pair in zip(words, words[1:], strict=False))


def _luhn_valid(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _scrub_text(text: str) -> tuple[str, int]:
    count = 0

    def mask(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return REDACTED

    def mask_card(match: re.Match[str]) -> str:
        nonlocal count
        digits = re.sub(r"\D", "", match.group(0))
        if _luhn_valid(digits):
            count += 1
            return REDACTED
        return match.group(0)

    for pattern in (JWT_RE, BEARER_RE, EMAIL_RE):
        text = pattern.sub(mask, text)
    text = CARD_RE.sub(mask_card, text)
    text = LONG_SECRET_RE.sub(mask, text)
    return text, count


def privacy_filter(data: Any, _depth: int = 0) -> tuple[Any, int]:
    """Return ``(clean_data, removed_count)``: ``data`` without secrets or personal data."""
    if _depth > MAX_DEPTH:
        return None, 1
    if isinstance(data, dict):
        clean: dict[str, Any] = {}
        removed = 0
        for key, value in data.items():
            if is_sensitive_key(str(key)):
                removed += 1
                continue
            clean_value, n = privacy_filter(value, _depth + 1)
            removed += n
            clean[str(key)] = clean_value
        return clean, removed
    if isinstance(data, list):
        items, removed = [], 0
        for value in data:
            clean_value, n = privacy_filter(value, _depth + 1)
            removed += n
            items.append(clean_value)
        return items, removed
    if isinstance(data, str):
        return _scrub_text(data)
    return data, 0
