"""The task queue's broker as a dependency of a request: is it reachable, and what a
request answers when it is not.

Work that exists only as a Celery message (a training job) is refused with 503 and
``Retry-After`` while the broker cannot be reached: :func:`broker_ensure` is asked before
such a job is written, so an outage leaves no job that never runs. Work that merely
follows a user's write (auto-learn checks, scoring, notifications) is sent after commit
and its failure is logged, never raised: the user's own rows are saved either way.

:class:`BrokerUnavailableMiddleware` turns :class:`BrokerUnavailable` — and kombu's
``OperationalError``, raised by any send that fails — into that 503 on every path: JSON
(``{"detail": ...}``) for the API and for clients that ask for JSON, a page otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from kombu.exceptions import OperationalError as KombuOperationalError

BROKER_UNAVAILABLE_MESSAGE = "The task queue cannot be reached, so nothing was queued; try again in a minute."


class BrokerUnavailable(RuntimeError):
    """The task queue (Celery's broker) cannot be reached; the request is refused (503)."""

    def __init__(self, message: str = BROKER_UNAVAILABLE_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


def broker_ensure() -> None:
    """Raise :class:`BrokerUnavailable` unless a connection to the broker can be opened
    now (one attempt, ``CELERY_BROKER_CONNECTION_TIMEOUT`` at most). Nothing to check when
    tasks run eagerly, in the caller's process."""
    from config.celery import app

    if app.conf.task_always_eager:
        return
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0)
    except Exception as exc:  # kombu's errors, and the transport's own (OSError, redis' ConnectionError)
        raise BrokerUnavailable() from exc


def broker_unavailable_response(request: HttpRequest, message: str = BROKER_UNAVAILABLE_MESSAGE) -> HttpResponse:
    """503 with ``Retry-After`` (``BROKER_RETRY_AFTER_SECONDS``): JSON for the API and for
    clients asking for JSON, the page otherwise."""
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        response = render(request, "503.html", {"message": message}, status=503)
    response["Retry-After"] = str(settings.BROKER_RETRY_AFTER_SECONDS)
    return response


class BrokerUnavailableMiddleware:
    """A request that needed the broker while it was down answers 503, not 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, BrokerUnavailable):
            return broker_unavailable_response(request, exception.message)
        if isinstance(exception, KombuOperationalError):
            return broker_unavailable_response(request)
        return None
