"""Login limits that a forged ``X-Forwarded-For`` cannot reset: the client address rule,
the token endpoint's throttle, and the django-axes lockout of every login path (the
page, the admin's and ``POST /api/v1/auth/token/``)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.throttling import ScopedRateThrottle, client_ip
from tests import factories as f

TOKEN = "/api/v1/auth/token/"
PASSWORD = "pass-1234"  # the factories' password
LOCKED = "Too many failed login attempts. Try again in 15 minutes."
FORGED = [f"198.51.100.{n}" for n in range(1, 31)]  # 30 made-up addresses, one per attempt


def _request(remote="127.0.0.1", forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


class TestClientIp:
    @pytest.mark.parametrize(("num_proxies", "trusted", "remote", "forwarded", "expected"), [
        # by default the header is ignored, whatever it says
        (0, [], "203.0.113.9", "1.2.3.4", "203.0.113.9"),
        (0, [], "203.0.113.9", None, "203.0.113.9"),
        # one proxy in front: the address it appended
        (1, [], "10.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (2, [], "10.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, [], "10.0.0.1", "not-an-address", "10.0.0.1"),
        # trusted proxies: walk from the socket while the hop is ours
        ([], ["10.0.0.0/8"], "10.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ([], ["10.0.0.0/8"], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not from a proxy: header ignored
        ([], ["10.0.0.1", "10.0.0.2"], "10.0.0.1", "10.0.0.2", "10.0.0.2"),  # only proxies: the farthest
        ([], ["10.0.0.0/8"], "10.0.0.1", "garbage, 10.0.0.2", "10.0.0.2"),
        ([], ["2001:db8::/32"], "2001:db8::1", "2001:db8::2, 2001:db9::5", "2001:db9::5"),
    ], ids=["default", "no-header", "one-proxy", "two-proxies", "bad-hop", "trusted-chain", "untrusted-peer",
            "all-trusted", "garbage-behind-proxies", "ipv6"])
    def test_only_configured_proxies_are_believed(self, settings, num_proxies, trusted, remote, forwarded, expected):
        settings.NUM_PROXIES = num_proxies if trusted == [] else 0
        settings.TRUSTED_PROXIES = trusted
        assert client_ip(_request(remote, forwarded)) == expected


@pytest.fixture
def limit(settings):
    """The failure limit of these tests, from the settings as in production."""
    settings.AXES_FAILURE_LIMIT = 3
    return settings.AXES_FAILURE_LIMIT


@pytest.fixture
def no_token_throttle(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": None})


@pytest.fixture
def alice(db):
    return f.UserFactory(username="alice")


def _token(client, password, forwarded):
    return client.post(TOKEN, {"username": "alice", "password": password}, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
@pytest.mark.usefixtures("no_token_throttle")
class TestTokenLockout:
    def test_forged_addresses_do_not_reset_the_lockout(self, alice, limit):
        client = APIClient()
        # Given 30 wrong passwords, each from a different forged X-Forwarded-For
        codes = [_token(client, "wrong", address).status_code for address in FORGED]
        # Then the N-th failure locks, whatever address the header claims
        assert codes == [400] * (limit - 1) + [429] * (30 - limit + 1)
        # And the right password is refused while locked out, with the reason and the wait
        response = _token(client, PASSWORD, "192.0.2.77")
        assert response.status_code == 429
        assert response.json() == {"detail": LOCKED}
        assert response["Retry-After"] == "900"
        assert not Token.objects.exists()
        # The lock is alice's from this address, counted once per failure
        assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [("alice", "127.0.0.1")]

    def test_wrong_passwords_answer_400_until_the_limit(self, alice, limit):
        response = _token(APIClient(), "wrong", "198.51.100.1")
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}

    def test_another_user_from_the_same_address_is_not_locked(self, alice, limit):
        f.UserFactory(username="bob")
        client = APIClient()
        for _ in range(limit):
            _token(client, "wrong", "198.51.100.1")
        response = client.post(TOKEN, {"username": "bob", "password": PASSWORD})
        assert response.status_code == 200
        assert response.json() == {"token": Token.objects.get(user__username="bob").key}

    def test_the_lock_ends_after_the_cool_off(self, alice, limit):
        client = APIClient()
        for _ in range(limit):
            _token(client, "wrong", "198.51.100.1")
        assert _token(client, PASSWORD, "198.51.100.1").status_code == 429
        # When the cool-off (15 minutes) has passed since the last failure
        AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - dt.timedelta(minutes=16))
        # Then the right password works again
        response = _token(client, PASSWORD, "198.51.100.1")
        assert response.status_code == 200
        assert response.json() == {"token": Token.objects.get(user=alice).key}

    def test_a_success_clears_the_failures(self, alice, limit):
        client = APIClient()
        for _ in range(limit - 1):
            _token(client, "wrong", "198.51.100.1")
        assert _token(client, PASSWORD, "198.51.100.1").status_code == 200
        codes = [_token(client, "wrong", "198.51.100.1").status_code for _ in range(limit)]
        assert codes == [400] * (limit - 1) + [429]

    def test_behind_a_trusted_proxy_the_forwarded_client_is_locked(self, alice, limit, settings):
        settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
        proxy = APIClient(REMOTE_ADDR="10.0.0.1")
        # Given the client 203.0.113.5 locked out (it also forges a first hop: the proxy appends the real one)
        for _ in range(limit):
            _token(proxy, "wrong", "1.1.1.1, 203.0.113.5")
        assert _token(proxy, PASSWORD, "203.0.113.5").status_code == 429
        # Then another client behind the same proxy is not
        assert _token(proxy, PASSWORD, "203.0.113.6").status_code == 200
        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


@pytest.mark.django_db
class TestTokenThrottle:
    def test_forged_addresses_do_not_reset_the_throttle(self, alice, monkeypatch, settings):
        # Given a token throttle of 3 a minute (and a lockout that would not trigger)
        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
        settings.AXES_FAILURE_LIMIT = 100
        client = APIClient()
        # When 30 wrong passwords come from 30 forged addresses
        codes = [_token(client, "wrong", address).status_code for address in FORGED]
        # Then all but the first 3 are throttled, and so is the right password
        assert codes == [400] * 3 + [429] * 27
        response = _token(client, PASSWORD, "192.0.2.77")
        assert response.status_code == 429
        assert response.json()["detail"].startswith("Request was throttled.")
        assert not Token.objects.exists()
        assert AccessAttempt.objects.get().failures_since_start == 3  # throttled requests never tried a password


def _page_login(client, url, username, password, forwarded):
    return client.post(url, {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
class TestPageLockout:
    @pytest.mark.parametrize(("url", "staff"), [("/login/", False), ("/admin/login/", True)], ids=["page", "admin"])
    def test_forged_addresses_do_not_reset_the_lockout(self, url, staff, limit):
        user = f.UserFactory(username="carol", is_staff=staff)
        client = Client()
        # Given wrong passwords from forged addresses
        codes = [_page_login(client, url, "carol", "wrong", address).status_code for address in FORGED]
        # Then the form answers until the N-th failure, the lockout page after
        assert codes == [200] * (limit - 1) + [429] * (30 - limit + 1)
        # And the right password is refused with the lockout page; nobody is logged in
        response = _page_login(client, url, "carol", PASSWORD, "192.0.2.77")
        assert response.status_code == 429
        assert response["Retry-After"] == "900"
        html = response.content.decode()
        assert LOCKED in html
        assert "logins are refused for 15 minutes, even with the right password" in html
        assert "_auth_user_id" not in client.session
        user.refresh_from_db()
        assert user.last_login is None

    def test_the_right_password_logs_in_before_the_limit(self, limit):
        f.UserFactory(username="carol")
        client = Client()
        for _ in range(limit - 1):
            _page_login(client, "/login/", "carol", "wrong", "198.51.100.1")
        response = _page_login(client, "/login/", "carol", PASSWORD, "198.51.100.1")
        assert response.status_code == 302
        assert client.session["_auth_user_id"]

    def test_one_count_for_every_login_path(self, limit, no_token_throttle):
        # Given failures spread over the page and the token endpoint (same user, same address)
        f.UserFactory(username="carol", is_staff=True)
        client = Client()
        _page_login(client, "/login/", "carol", "wrong", "198.51.100.1")
        for _ in range(limit - 1):
            APIClient().post(TOKEN, {"username": "carol", "password": "wrong"})
        # Then the admin's login is locked too
        assert _page_login(client, "/admin/login/", "carol", PASSWORD, "198.51.100.2").status_code == 429


@pytest.mark.django_db
def test_the_schema_documents_the_lockout(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    responses = schema["paths"][TOKEN]["post"]["responses"]
    assert sorted(responses) == ["200", "400", "415", "429"]  # 415: it reads a body (config.openapi)
    assert responses["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LoginLockedOut"
    }
    assert "LOGIN_FAILURE_LIMIT" in responses["429"]["description"]
