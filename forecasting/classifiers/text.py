"""Normalising bank-statement text so that the same payee reads the same every time.

``"AMZN Mktp US*2K4LQ19"``, ``"Amzn Mktp US*7TT0M31"`` → ``"amzn mktp us"``;
``"STARBUCKS STORE 05621 03/14 CARD 4821"`` → ``"starbucks store"``. Tokens that hold a
digit (store numbers, references, dates, card suffixes) and generic payment words are
dropped; what is left names the payee.
"""

from __future__ import annotations

import re
import unicodedata

#: Words that say how a payment was made, not who was paid.
NOISE_WORDS = frozenset({
    "pos", "purchase", "debit", "card", "checkcard", "visa", "mastercard", "mc", "authorized", "auth",
    "on", "ref", "nr", "no", "id", "txn", "trx", "via", "the",
})
_SEPARATORS = re.compile(r"[^a-z0-9&]+")
_HAS_DIGIT = re.compile(r"\d")


def normalize_text(text: object) -> str:
    """Lower-case letters-only tokens of ``text``, without codes, numbers or noise words."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    value = value.replace("'", "")
    tokens = [
        token.strip("&") for token in _SEPARATORS.split(value)
        if token and not _HAS_DIGIT.search(token)
    ]
    return " ".join(t for t in tokens if len(t) > 1 and t not in NOISE_WORDS)


def payee_key(description: object, merchant: object = "") -> str:
    """The normalised merchant when there is one, else the normalised description."""
    return normalize_text(merchant) or normalize_text(description)
