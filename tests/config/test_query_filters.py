"""Query parameters: a page size out of range, or an instant PostgreSQL cannot hold, is a
400 naming it. Instants answered 500 before (found by schemathesis on
PostgreSQL, issue 21): ISO 8601 allows offsets to ±23:59, PostgreSQL only to ±15:59
(config/filters.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("query", "status", "body"), [
    ({"created_after": "2020-01-01T00:00:00+23:59"}, 200, None),  # compared in UTC
    ({"created_after": "9999-12-31T23:59:59-23:59"}, 400,
     {"created_after": ["9999-12-31T23:59:59-23:59 is out of range."]}),
    ({"created_before": "0001-01-01T00:00:00+23:59"}, 400,
     {"created_before": ["0001-01-01T00:00:00+23:59 is out of range."]}),
])
def test_stock_plan_instants_beyond_postgresqls_offsets(query, status, body, owner, client_for):
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.get("/api/v1/inventory/plans/", query)
    assert response.status_code == status
    if body is not None:
        assert response.json() == body


@pytest.mark.parametrize(("query", "status"), [
    ({"timestamp__lte": "5857-04-23T22:48:51-18:26"}, 200),
    ({"timestamp__gte": "9999-12-31T23:59:59-23:59"}, 400),
])
def test_event_instants_beyond_postgresqls_offsets(query, status, owner, client_for):
    client = client_for(owner)
    client.raise_request_exception = False
    assert client.get("/api/v1/events/", query).status_code == status


def test_a_request_django_refuses_before_the_api_is_a_json_400(owner, client_for, settings):
    # Given a form body with more fields than Django reads (DATA_UPLOAD_MAX_NUMBER_FIELDS)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.post("/api/v1/ml/categorize/", "&".join(f"f{i}=x" for i in range(20)),
                           content_type="application/x-www-form-urlencoded")
    # Then the answer is the API's JSON error, not Django's page
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json() == {"detail": "The request could not be read (too large or malformed)."}


@pytest.mark.parametrize(("page_size", "status"), [("2", 200), ("500", 200), ("0", 400), ("501", 400),
                                                   ("abc", 400), ("1.5", 400), ("٣", 400)])
def test_page_size_is_a_whole_number_from_1_to_500(page_size, status, owner, client_for):
    response = client_for(owner).get("/api/v1/transactions/", {"page_size": page_size})
    assert response.status_code == status
    if status == 400:
        assert response.json() == {"page_size": ["A whole number from 1 to 500."]}
