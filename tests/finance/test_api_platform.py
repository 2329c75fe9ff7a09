"""Auth token, OpenAPI schema and docs."""

import pytest

from tests import factories as f

ROUTES = [
    "/api/v1/workspaces/", "/api/v1/memberships/", "/api/v1/categories/", "/api/v1/transactions/",
    "/api/v1/transactions/import/", "/api/v1/budgets/", "/api/v1/goals/", "/api/v1/products/",
    "/api/v1/warehouses/", "/api/v1/stock-levels/", "/api/v1/sales/", "/api/v1/sales/import/",
    "/api/v1/suppliers/", "/api/v1/events/", "/api/v1/auth/token/", "/api/v1/invitations/",
]


@pytest.mark.django_db
class TestAuthToken:
    def test_good_credentials_give_a_token_that_authenticates(self, api_client, workspace):
        f.UserFactory(username="alice")
        response = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "pass-1234"})
        assert response.status_code == 200
        token = response.json()["token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert api_client.get("/api/v1/workspaces/").status_code == 200

    def test_bad_credentials_are_400(self, api_client):
        f.UserFactory(username="alice")
        response = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"})
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}

    def test_token_requests_are_throttled(self, api_client, monkeypatch):
        from rest_framework.throttling import ScopedRateThrottle

        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
        codes = [api_client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}).status_code
                 for _ in range(4)]
        assert codes == [400, 400, 400, 429]


@pytest.mark.django_db
class TestSchema:
    def test_schema_lists_every_endpoint(self, api_client):
        response = api_client.get("/api/schema/", {"format": "json"})
        assert response.status_code == 200
        paths = response.json()["paths"]
        for route in ROUTES:
            assert route in paths, route

    def test_swagger_ui_is_served_without_a_cdn(self, api_client):
        response = api_client.get("/api/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "swagger-ui" in html
        assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
