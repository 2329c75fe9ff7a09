"""Logs: one JSON object per line (plain text in development), each carrying the id of the
request that wrote it — or of the request that started the Celery task that wrote it.

The id lives in a context variable: :class:`RequestIdMiddleware` (``config.middleware``)
binds it for a request, :func:`task_publish_carry` copies it into the headers of every task
sent meanwhile, and :func:`task_context_enter` binds it again in the worker around the
task. :class:`RequestIdFilter` puts it on every log record; :class:`JsonFormatter` writes
the record as JSON. Nothing here imports Django models: ``LOGGING`` loads this module.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from contextvars import ContextVar, Token
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "request_id"  # the Celery message header that carries it
# An incoming id is kept only if it is short and plain: it ends up in every log line, so
# no spaces, quotes or line breaks (log injection), and no unbounded length.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_task_tokens: dict[str, Token] = {}


def request_id_get() -> str | None:
    """The id of the request (or task) running in this context, if any."""
    return _request_id.get()


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accept(candidate: str | None) -> str:
    """``candidate`` (an incoming ``X-Request-ID``) when it is sane, else a new id."""
    if candidate and _SANE_ID.fullmatch(candidate):
        return candidate
    return request_id_new()


def request_id_bind(value: str) -> Token:
    return _request_id.set(value)


def request_id_reset(token: Token) -> None:
    _request_id.reset(token)


def request_id_clear(**kwargs: Any) -> None:
    """Nothing bound any more (Django's ``request_finished``: the response is closed)."""
    _request_id.set(None)


# --- Celery: the request's id travels with the tasks it starts -------------------------


def task_publish_carry(*, headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: a task sent while a request (or a task) runs carries its id."""
    request_id = _request_id.get()
    if headers is not None and request_id and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = request_id


def task_context_enter(*, task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """``task_prerun``: bind the id the message carries; a task nobody's request started
    (beat, a shell) gets an id of its own, which the tasks it sends carry in turn. A task
    run eagerly inside a request keeps that request's id."""
    request = getattr(task, "request", None)
    carried = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    value = carried if isinstance(carried, str) and _SANE_ID.fullmatch(carried) else None
    token = _request_id.set(value or _request_id.get() or request_id_new())
    if task_id:
        _task_tokens[task_id] = token


def task_context_exit(*, task_id: str | None = None, **kwargs: Any) -> None:
    """``task_postrun``: back to the context before the task (nothing, in a worker)."""
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            _request_id.reset(token)
        except ValueError:  # set in another context (should not happen): just clear it
            _request_id.set(None)


# --- logging -----------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (``-`` outside a request or task). Attached to
    the handlers, so records of every logger that reach them get it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request_id", "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, ``request_id`` (null outside a request or task), ``process``, the
    formatted exception if any, and whatever the call passed in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if request_id in (None, "-") else request_id,
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key not in entry:
                entry[key] = value
        return json.dumps(entry, default=str, ensure_ascii=False)
