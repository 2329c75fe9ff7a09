"""The persistent PostgreSQL connection is health-checked (a ``SELECT 1``) only after it sat
idle (config/postgresql/base.py): a connection that answered a moment ago is used as it is,
an idle one is checked first and replaced when it died."""

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's health check"),
    pytest.mark.django_db(transaction=True),
]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def next_request() -> None:
    """What Django does between two requests (the request_started/finished handlers)."""
    connection.close_if_unusable_or_obsolete()


@pytest.fixture
def health_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The health checks the connection runs from now on (each a ``SELECT 1``)."""
    checks: list[int] = []
    usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or usable())
    return checks


def test_the_backend_is_djangos_postgresql_with_health_checks() -> None:
    assert connection.settings_dict["ENGINE"] == "config.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.health_check_after_idle == 5.0


def test_a_connection_used_a_moment_ago_is_not_checked(health_checks: list[int]) -> None:
    # given a connection that has just answered a query
    pid = backend_pid()
    # when the next request starts and queries
    next_request()
    # then it runs on the same connection without a health check first
    assert backend_pid() == pid
    assert health_checks == []


def test_an_idle_connection_is_checked_before_its_first_query(health_checks: list[int]) -> None:
    # given a connection idle for longer than the window
    pid = backend_pid()
    connection.used_at -= 6
    # when the next request queries twice
    next_request()
    assert backend_pid() == pid
    assert backend_pid() == pid
    # then one health check ran, before the first query only
    assert health_checks == [1]


def test_an_idle_connection_that_died_is_replaced() -> None:
    # given an idle connection whose server process was terminated
    pid = backend_pid()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    connection.used_at -= 6
    # when the next request queries
    next_request()
    # then it gets a new connection instead of an error
    assert backend_pid() != pid
