"""The API's parsers (config/parsers.py) and the rules of config/limits.py: JSON nested
50,000 deep or too large is a 400 without a RecursionError, a control character anywhere in
a body is a 400 naming the field, and nothing is written."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from coaching.models import BehavioralEvent
from config.limits import (
    ISO_4217_CURRENCIES,
    amount_review_ceiling,
    amount_review_ceiling_among,
    currency_normalise,
    date_validate,
    json_depth_check,
    text_problem,
)
from finance.models import Transaction, Workspace

DEEP = b"[" * 50_000 + b"]" * 50_000
DEEP_IN_A_FIELD = b'{"workspace": 1, "event_type": "page_view", "data": {"x": ' + DEEP + b"}}"


def post_raw(client, url, body: bytes):
    return client.post(url, data=body, content_type="application/json")


@pytest.mark.django_db
class TestJsonDepthAndSize:
    @pytest.mark.parametrize(
        "url", ["/api/v1/transactions/", "/api/v1/events/", "/api/v1/ml/predict/batch/", "/api/v1/workspaces/"]
    )
    def test_a_body_nested_50000_deep_is_400_with_the_limit_named(self, url, member, client_for):
        # given a member; when they post JSON nested 50,000 levels deep
        response = post_raw(client_for(member), url, DEEP)
        # then a 400 says how deep is allowed, and nothing is written
        assert response.status_code == 400
        assert response.json() == {"detail": "The JSON body is nested deeper than 32 levels (at byte 32)."}
        assert (Transaction.objects.count(), BehavioralEvent.objects.count()) == (0, 0)

    def test_deep_nesting_inside_a_field_is_refused_too(self, workspace, member, client_for):
        response = post_raw(client_for(member), "/api/v1/events/", DEEP_IN_A_FIELD)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("The JSON body is nested deeper than 32 levels")
        assert BehavioralEvent.objects.count() == 0

    def test_the_token_endpoint_refuses_it_without_logging_in(self, db, client):
        response = post_raw(client, "/api/v1/auth/token/", DEEP)
        assert response.status_code == 400
        assert response.json() == {"detail": "The JSON body is nested deeper than 32 levels (at byte 32)."}

    def test_brackets_inside_strings_do_not_count_and_32_levels_pass(self, workspace, member, client_for):
        # given an event whose data nests 30 levels (the body: 32) and holds 100 brackets in a string
        data = {"note": "[" * 100}
        for _ in range(29):
            data = {"n": data}
        body = json.dumps({"workspace": workspace.pk, "event_type": "page_view", "data": data}).encode()
        # when it is posted, then it is stored
        response = post_raw(client_for(member), "/api/v1/events/", body)
        assert response.status_code == 201, response.json()
        assert BehavioralEvent.objects.count() == 1

    def test_the_depth_limit_is_a_setting(self, workspace, member, client_for, settings):
        settings.INPUT_JSON_MAX_DEPTH = 2
        body = json.dumps({"workspace": workspace.pk, "event_type": "page_view", "data": {"a": {"b": 1}}}).encode()
        response = post_raw(client_for(member), "/api/v1/events/", body)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("The JSON body is nested deeper than 2 levels (at byte ")

    def test_a_body_over_the_size_limit_is_400(self, workspace, member, client_for, settings):
        settings.INPUT_JSON_MAX_BYTES = 1000
        body = json.dumps({"workspace": workspace.pk, "name": "x" * 1000}).encode()
        response = post_raw(client_for(member), "/api/v1/categories/", body)
        assert response.status_code == 400
        assert response.json() == {"detail": "The JSON body is larger than 1,000 bytes."}

    def test_a_body_over_django_s_upload_limit_gets_the_same_json_answer(self, workspace, member, client_for):
        # 3 MB: over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), where Django would answer with an HTML page
        body = json.dumps({"workspace": workspace.pk, "name": "x" * 3_000_000}).encode()
        response = post_raw(client_for(member), "/api/v1/categories/", body)
        assert response.status_code == 400
        assert response.json() == {"detail": "The JSON body is larger than 1,048,576 bytes."}

    def test_invalid_json_is_still_a_parse_error(self, member, client_for):
        response = post_raw(client_for(member), "/api/v1/categories/", b'{"name": ')
        assert response.status_code == 400
        assert response.json()["detail"].startswith("JSON parse error")

    def test_nan_is_refused_as_before(self, member, client_for):
        response = post_raw(client_for(member), "/api/v1/categories/", b'{"name": NaN}')
        assert response.status_code == 400
        assert response.json()["detail"].startswith("JSON parse error")


@pytest.mark.django_db
class TestControlCharactersInBodies:
    def test_nul_in_a_text_field_is_400_naming_it(self, workspace, member, client_for):
        body = {"workspace": workspace.pk, "kind": "expense", "amount": "5.00", "date": "2025-01-02",
                "description": "coffee\u0000"}
        response = client_for(member).post("/api/v1/transactions/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"description": [
            "Remove the control character U+0000 (character 7): NUL bytes are not allowed in text."
        ]}
        assert Transaction.objects.count() == 0

    def test_nul_inside_an_event_s_data_is_400_naming_the_path(self, workspace, member, client_for):
        # given an event whose data holds a NUL two levels down (a 500 DataError on PostgreSQL before)
        body = {"workspace": workspace.pk, "event_type": "page_view", "data": {"page": {"title": "a\u0000b"}}}
        # when it is posted
        response = client_for(member).post("/api/v1/events/", body, format="json")
        # then 400 names the field and the path, and nothing is stored
        assert response.status_code == 400
        assert response.json() == {"data": [
            "Remove the control character U+0000 (character 2): NUL bytes are not allowed in text. (at data.page.title)"
        ]}
        assert BehavioralEvent.objects.count() == 0

    def test_a_control_character_in_a_key_is_refused(self, workspace, member, client_for):
        body = {"workspace": workspace.pk, "event_type": "page_view", "data": {"ti\u0007tle": "x"}}
        response = client_for(member).post("/api/v1/events/", body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["data"]
        assert "U+0007" in response.json()["data"][0]

    def test_line_breaks_and_tabs_in_json_text_reach_the_field_rules(self, workspace, member, client_for):
        # the parser lets multi-line text through; a one-line field of the books refuses it
        body = {"workspace": workspace.pk, "event_type": "page_view", "data": {"note": "line 1\nline 2\tend"}}
        assert client_for(member).post("/api/v1/events/", body, format="json").status_code == 201
        response = client_for(member).post("/api/v1/categories/", {"workspace": workspace.pk, "name": "a\nb"},
                                           format="json")
        assert response.status_code == 400
        assert response.json() == {"name": [
            "Remove the control character U+000A (character 2): a line break is not allowed in a one-line text."
        ]}

    def test_form_encoded_bodies_are_checked_too(self, member, client_for):
        response = client_for(member).post("/api/v1/workspaces/", {"name": "Shop\u0000", "currency": "USD"},
                                           format="multipart")
        assert response.status_code == 400
        assert list(response.json()) == ["name"]
        assert Workspace.objects.filter(name__startswith="Shop").count() == 0


class TestRules:
    @pytest.mark.parametrize(
        ("text", "multiline", "code"),
        [("a\x00", True, "U+0000"), ("a\x1b[31m", True, "U+001B"), ("a\x7f", True, "U+007F"),
         ("a\x85", True, "U+0085"), ("a\tb", False, "U+0009"), ("a\r\nb", False, "U+000D")],
    )
    def test_control_characters_are_named(self, text, multiline, code):
        assert code in text_problem(text, multiline=multiline)

    @pytest.mark.parametrize("text", ["plain", "Café – 12 €", "line\nbreak", "tab\there", "emoji 🧾", "\u00a0nbsp"])
    def test_ordinary_multiline_text_passes(self, text):
        assert text_problem(text, multiline=True) is None

    def test_currencies_are_iso_4217_in_upper_case(self):
        assert (currency_normalise(" usd "), currency_normalise("EUR")) == ("USD", "EUR")
        for bad in ["<s>", "ABC", "XXX", "XTS", "US", "USDD", ""]:
            with pytest.raises(ValidationError) as caught:
                currency_normalise(bad)
            assert caught.value.code == "invalid_currency"
        assert len(ISO_4217_CURRENCIES) == 155

    def test_dates_are_within_the_configured_range(self, settings):
        date_validate(dt.date(1900, 1, 1))
        date_validate(dt.date(2100, 12, 31))
        for bad in (dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(2101, 1, 1), dt.date(9999, 12, 31)):
            with pytest.raises(ValidationError, match="Enter a date from 1900-01-01 to 2100-12-31."):
                date_validate(bad)
        settings.INPUT_DATE_MIN = dt.date(2000, 1, 1)
        with pytest.raises(ValidationError, match="Enter a date from 2000-01-01 to 2100-12-31."):
            date_validate(dt.date(1999, 12, 31))

    def test_the_depth_scan_counts_brackets_outside_strings(self):
        assert json_depth_check(b'{"a": "[[[[", "b": "\\"[[["}', limit=1) is None
        assert json_depth_check(b'{"a": [[1]]}', limit=3) is None
        assert json_depth_check(b'{"a": [[1]]}', limit=2) == 7

    def test_the_review_ceiling(self, settings):
        settings.INPUT_AMOUNT_REVIEW_ABOVE = Decimal("1000")
        settings.INPUT_AMOUNT_REVIEW_FACTOR = 10.0
        settings.INPUT_AMOUNT_REVIEW_MIN_HISTORY = 20
        # little history: the absolute cap; enough: max(cap, 10 × the 99th percentile)
        assert amount_review_ceiling(reference_count=19, reference_p99=Decimal("500")) == Decimal("1000")
        assert amount_review_ceiling(reference_count=20, reference_p99=Decimal("500")) == Decimal("5000")
        assert amount_review_ceiling(reference_count=20, reference_p99=Decimal("50")) == Decimal("1000")
        # in an import each amount is judged against the others: one outlier does not raise its own bar
        amounts = sorted([Decimal(100 + i) for i in range(50)] + [Decimal("999999999999.99")])
        assert amount_review_ceiling_among(amounts_sorted=amounts, amount=Decimal("999999999999.99")) == Decimal("1490")
