"""Endpoints for machines, answered without a login: liveness and readiness probes, and
the Prometheus scrape (``/metrics``, optionally behind a token or an address list).

Plain Django views rather than DRF: no authentication, throttling or content negotiation
stands between a probe and its answer.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from forecasting.monitoring.health import health_check
from forecasting.monitoring.metrics import metrics_exposition

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def health_live(request: HttpRequest) -> JsonResponse:
    """``/health/live/``: the process answers (no database, broker or file is touched)."""
    return JsonResponse({"status": "live"})


@never_cache
@require_safe
def health_ready(request: HttpRequest) -> JsonResponse:
    """``/health/ready/``: database, broker, cache and model store all answer — 200, else
    503 naming what failed. Why it failed goes to the log, not to the (anonymous) body:
    an error message can hold a host name or a connection URL."""
    report = health_check()
    components = report["components"]
    failed = sorted(name for name, result in components.items() if not result["ok"])
    for name in failed:
        logger.warning("Readiness: %s failed: %s", name, components[name]["error"])
    body = {
        "status": "ready" if not failed else "unavailable",
        "components": {name: "ok" if result["ok"] else "failed" for name, result in components.items()},
        "failed": failed,
    }
    return JsonResponse(body, status=503 if failed else 200)


def _scrape_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return False
    if settings.METRICS_ALLOWED_IPS:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        networks = [ipaddress.ip_network(entry, strict=False) for entry in settings.METRICS_ALLOWED_IPS]
        if not any(address in network for network in networks):
            return False
    return True


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """``/metrics``: Prometheus text format. Anonymous unless ``METRICS_TOKEN`` (a bearer
    token) or ``METRICS_ALLOWED_IPS`` is set; a scrape that fails them gets 403."""
    if not _scrape_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)
