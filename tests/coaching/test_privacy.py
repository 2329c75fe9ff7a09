"""The privacy filter drops secrets and personal data before an event is stored."""

import pytest

from coaching.privacy import REDACTED, is_sensitive_key, privacy_filter


@pytest.mark.parametrize(
    "key",
    ["password", "newPassword", "api_key", "apiKey", "access_token", "card_number", "cardNumber",
     "cvv", "user_email", "Authorization", "account_number", "phone", "ssn", "pin"],
)
def test_sensitive_keys(key):
    assert is_sensitive_key(key) is True


@pytest.mark.parametrize("key", ["author", "page", "amount", "category", "goal_id", "passenger_count", "spinach"])
def test_ordinary_keys(key):
    assert is_sensitive_key(key) is False


def test_nested_secrets_are_dropped_and_counted():
    data = {
        "page": "/goals",
        "form": {"password": "hunter2", "amount": 50, "card": {"number": "4111111111111111"}},
        "items": [{"token": "abc"}, {"label": "ok"}],
    }
    clean, removed = privacy_filter(data)
    assert clean == {"page": "/goals", "form": {"amount": 50}, "items": [{}, {"label": "ok"}]}
    assert removed == 3


def test_free_text_is_scrubbed():
    text = (
        "mail me at jane.doe@example.com, card 4111 1111 1111 1111, "
        "Bearer abcdefghijklmnop12345 and order 1234567890123"
    )
    clean, removed = privacy_filter({"note": text})
    assert clean == {
        "note": f"mail me at {REDACTED}, card {REDACTED}, {REDACTED} and order 1234567890123"
    }
    assert removed == 3


def test_long_secret_like_strings_are_masked_but_words_are_not():
    clean, removed = privacy_filter({"q": "sk_live_51HxYz0123456789abcdefGHIJKLmnop grocery budget"})
    assert clean == {"q": f"{REDACTED} grocery budget"}
    assert removed == 1


def test_non_string_values_pass_through():
    assert privacy_filter({"n": 3, "ok": True, "x": None, "f": 1.5}) == ({"n": 3, "ok": True, "x": None, "f": 1.5}, 0)
