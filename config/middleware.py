"""Middleware of every request: its id (``X-Request-ID``), and its latency and outcome as
Prometheus metrics by route name.

Both sit first in ``MIDDLEWARE`` so that they see every answer, redirects and errors
included. Metrics are labelled by the route's name (``forecast``, ``admin:index``), never
by the raw path: ``/api/v1/forecasts/revenue/`` and ``…/expense/`` are one series, and a
scan of random URLs adds one (``unmatched``) instead of thousands.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

from config.logs import REQUEST_ID_HEADER, request_id_accept, request_id_bind, request_id_clear

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUEST_SECONDS = Histogram(
    "ledgerwise_http_request_duration_seconds", "Time to answer a request, by route name and method.",
    ["view", "method"],
)
HTTP_REQUESTS = Counter(
    "ledgerwise_http_requests_total", "Requests answered, by route name, method and status code.",
    ["view", "method", "status"],
)
HTTP_ERRORS = Counter(
    "ledgerwise_http_request_errors_total", "Requests answered with a server error (5xx), by route name and method.",
    ["view", "method"],
)


class RequestIdMiddleware:
    """Every request gets an id — the incoming ``X-Request-ID`` when it is sane, a new one
    otherwise — bound for the logs (and the tasks) of the request, and sent back in the
    response's ``X-Request-ID``.

    The id stays bound until the response is closed (``request_finished``), not just until
    the middleware returns: Django logs a 4xx or 5xx answer (``django.request``) after
    the whole middleware chain."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        request_id_bind(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


request_finished.connect(request_id_clear, dispatch_uid="ledgerwise.request_id.clear")


def route_name(request: HttpRequest) -> str:
    """The label of a request: its URL name (``namespace:name``), the route pattern of an
    unnamed one, ``unmatched`` when no URL matched."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestMetricsMiddleware:
    """Latency, count by status and server errors of every request, by route name."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)  # Django turns exceptions into 500s inside
        elapsed = time.perf_counter() - started
        view = route_name(request)
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUEST_SECONDS.labels(view, method).observe(elapsed)
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        if response.status_code >= 500:
            HTTP_ERRORS.labels(view, method).inc()
        return response
