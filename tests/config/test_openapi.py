"""The schema documents every operation's error answers (config/openapi.py): what each
kind of operation can answer besides success, each with a JSON body."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _codes(schema, path, method):
    return sorted(schema["paths"][path][method]["responses"])


def test_every_operation_documents_its_4xx_with_a_json_error_body(schema):
    operations = [(p, m, op) for p, ops in schema["paths"].items() for m, op in ops.items() if m in METHODS]
    assert len(operations) > 100
    for path, method, op in operations:
        errors = {code: r for code, r in op["responses"].items() if code >= "400"}
        assert "429" in errors, (method, path)  # every view is throttled
        for code, response in errors.items():
            assert "application/json" in response["content"], (method, path, code)


@pytest.mark.parametrize(("path", "method", "codes"), [
    # a list: filters (400), login (401), pages past the last (404), throttles (429)
    ("/api/v1/transactions/", "get", ["200", "400", "401", "404", "429"]),
    ("/api/v1/transactions/", "post", ["201", "400", "401", "403", "415", "429"]),
    ("/api/v1/transactions/{id}/", "get", ["200", "401", "404", "429"]),
    ("/api/v1/transactions/{id}/", "patch", ["200", "400", "401", "403", "404", "415", "429"]),
    ("/api/v1/transactions/{id}/", "delete", ["204", "401", "403", "404", "429"]),
    # a workspace looked up from the query: 404 for another workspace's
    ("/api/v1/ml/auto-learn/status/", "get", ["200", "400", "401", "404", "429"]),
    # what queues a training: 503 while the broker is down
    ("/api/v1/ml/train/", "post", ["200", "202", "400", "401", "403", "415", "429", "503"]),
    ("/api/v1/ml/auto-learn/{target}/", "post", ["200", "202", "400", "401", "403", "404", "429", "503"]),
    ("/api/v1/ml/models/{id}/retrain/", "post", ["200", "202", "400", "401", "403", "404", "415", "429", "503"]),
    # anonymous: the token endpoint has no 401
    ("/api/v1/auth/token/", "post", ["200", "400", "415", "429"]),
])
def test_error_answers_by_kind_of_operation(schema, path, method, codes):
    assert _codes(schema, path, method) == codes


def test_bodies_and_headers_of_the_errors(schema):
    train = schema["paths"]["/api/v1/ml/train/"]["post"]["responses"]
    assert train["503"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "Retry-After" in train["503"]["headers"]
    assert "Retry-After" in train["429"]["headers"]
    assert train["400"]["content"]["application/json"]["schema"]["additionalProperties"] == {}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_commands_that_are_not_operations_are_left_out(schema):
    assert "post" not in schema["paths"]["/api/v1/ml/models/"]
    assert "post" not in schema["paths"]["/api/v1/ml/alerts/"]
    assert "post" not in schema["paths"]["/api/v1/ml/rollouts/"]


def test_a_membership_changes_role_only(schema):
    patched = schema["components"]["schemas"]["PatchedMembershipRequest"]
    assert list(patched["properties"]) == ["role"]


def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/1.5/")
    assert (response.status_code, response["Content-Type"], response.json()) == (
        404, "application/json", {"detail": "Not found."})


def test_the_schema_is_generated_without_warnings(django_db_blocker):
    """Given every view, when the schema is generated, then drf-spectacular warns of
    nothing (an enum named twice or resolved by a hash, e.g. two different `severity`
    choice sets, is a warning and a `check --deploy` finding)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    assert (GENERATOR_STATS._warn_cache, GENERATOR_STATS._error_cache) == ({}, {})
    enums = schema["components"]["schemas"]
    assert enums["AlertSeverityEnum"]["enum"] == ["info", "warning", "critical"]
    assert enums["RiskLevelEnum"]["enum"] == ["low", "medium", "high"]
