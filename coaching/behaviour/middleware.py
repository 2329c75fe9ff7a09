"""Records what signed-in people do on the server-rendered pages, and their searches and
filters there and on the API's lists, as behavioural events.

* **Page views and navigation**: a successful ``GET`` of a page of the product (the
  ``finance``, ``forecasting`` and ``coaching`` pages; never the API, admin, static files,
  probes or metrics) by a signed-in user records a ``page_view`` with the page's name, its
  path, the page number, and the path of the page it was reached from (the referrer, same
  site only, path only), in the user's current workspace and browsing session
  (:mod:`coaching.behaviour.context`).
* **Filters and searches**: the same request, or a ``GET`` of an API list (``?workspace=``
  given), with filter parameters records a ``filter`` event (their names and values, for
  the parameters in :data:`FILTER_PARAMS` only) and, with a search, a ``search`` event
  holding the length and word count of the search, never its text.

No request body is read. Of the query string only the parameters named above are kept;
any other (a token in a link, a password typed into a URL) is dropped unread. What is
kept passes the privacy filter before it leaves the process. Recording appends to the
process's buffer (:mod:`coaching.behaviour.buffer`) and reads nothing from the database.

The middleware also makes each request current (:func:`~coaching.behaviour.context.request_enter`)
so that the write receivers know who acts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict

from coaching.behaviour.buffer import PendingEvent, behavioral_event_buffer
from coaching.behaviour.context import (
    request_enter,
    request_exit,
    session_id_peek,
    session_id_touch,
)
from coaching.models import BehavioralEvent
from finance.views.base import SESSION_KEY as WORKSPACE_SESSION_KEY

#: Paths never tracked (not even made current for the write receivers).
IGNORED_PREFIXES = ("/static/", "/media/", "/admin/", "/health/", "/metrics", "/favicon")
PAGE_NAMESPACES = frozenset({"finance", "forecasting", "coaching"})
#: Query parameters recorded with their values (short, from choices, ids or dates).
FILTER_PARAMS = frozenset({
    "kind", "category", "status", "account", "date_from", "date_to", "months", "period", "source", "category_source",
    "is_flagged", "uncategorised", "currency", "date", "date__gte", "date__lte", "amount__gte", "amount__lte",
    "deadline__gte", "deadline__lte", "ordering",
})
#: Query parameters holding free text: recorded as a search (length and word count only).
SEARCH_PARAMS = ("q", "search", "merchant__icontains", "name__icontains")
MAX_VALUE_LENGTH = 40

PAGE_VIEW, FILTER, SEARCH = (BehavioralEvent.Type.PAGE_VIEW.value, BehavioralEvent.Type.FILTER.value,
                             BehavioralEvent.Type.SEARCH.value)


class BehaviourMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.BEHAVIOUR_TRACKING_ENABLED or request.path.startswith(IGNORED_PREFIXES):
            return self.get_response(request)
        token = request_enter(request)
        try:
            response = self.get_response(request)
        finally:
            request_exit(token)
        if request.method == "GET" and response.status_code == 200 and request.resolver_match is not None:
            record_request(request, response)
        return response


def record_request(request: HttpRequest, response: HttpResponse) -> None:
    """The events of one successful ``GET`` (see the module's docstring)."""
    match = request.resolver_match
    user = request.user
    if not user.is_authenticated:
        return
    now = time.time()
    if match.namespace in PAGE_NAMESPACES and response.get("Content-Type", "").startswith("text/html"):
        workspace_id = _page_workspace(request, response)
        if workspace_id is None:
            return
        session_id = session_id_touch(request, now=now)
        data: dict[str, Any] = {"view": match.view_name, "path": request.path}
        page = request.GET.get("page", "")
        if page.isdigit():
            data["page"] = int(page)
        referrer = _same_site_path(request)
        if referrer:
            data["from_path"] = referrer
        behavioral_event_buffer(PendingEvent(workspace_id, user.pk, PAGE_VIEW, data, session_id, now))
    elif request.path.startswith("/api/") and (match.url_name or "").endswith("-list"):
        workspace = request.GET.get("workspace", "")
        if not workspace.isdigit():
            return
        workspace_id, session_id = int(workspace), session_id_peek(request)
    else:
        return
    if request.GET:
        _record_query(request.GET, view=match.view_name, workspace_id=workspace_id, user_id=user.pk,
                      session_id=session_id, now=now)


def _page_workspace(request: HttpRequest, response: HttpResponse) -> int | None:
    """The workspace the page showed: its context's ``workspace`` (every workspace page has
    one), else the session's current workspace."""
    workspace = (getattr(response, "context_data", None) or {}).get("workspace")
    if workspace is not None:
        return workspace.pk
    return request.session.get(WORKSPACE_SESSION_KEY)


def _same_site_path(request: HttpRequest) -> str:
    """The path of the referring page when it is on this site ("" otherwise)."""
    referrer = request.headers.get("Referer", "")
    if not referrer:
        return ""
    parts = urlsplit(referrer)
    # The raw Host header, not get_host(): nothing is trusted from it, it is only compared
    # (get_host() validates ALLOWED_HOSTS again, a third of the middleware's time).
    if parts.netloc and parts.netloc != (request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")):
        return ""
    return parts.path[:200]


def _record_query(query: QueryDict, *, view: str, workspace_id: int, user_id: int, session_id: str,
                  now: float) -> None:
    filters = {name: query[name][:MAX_VALUE_LENGTH] for name in FILTER_PARAMS.intersection(query) if query[name]}
    if filters:
        behavioral_event_buffer(PendingEvent(
            workspace_id, user_id, FILTER, {"view": view, "filters": filters}, session_id, now))
    for name in SEARCH_PARAMS:
        text = query.get(name, "").strip()
        if text:
            behavioral_event_buffer(PendingEvent(
                workspace_id, user_id, SEARCH, {"view": view, "field": name, "length": len(text),
                                                "words": len(text.split())}, session_id, now))
            break
