"""The per-process event buffer and its flush.

Recording an event costs the request one ``list.append``: the middleware and the write
receivers add a :class:`PendingEvent` to this process's buffer and return. When a request
finishes (``request_finished``, after the answer went out) and the buffer holds
``BEHAVIOUR_BUFFER_MAX_EVENTS`` events or its oldest is ``BEHAVIOUR_BUFFER_MAX_SECONDS``
old, the whole buffer is flushed:

1. each event passes the privacy filter (:func:`coaching.privacy.privacy_filter`) and gets
   an id (``uid``), so nothing secret leaves the process and a batch stored twice is
   stored once;
2. the batch is sent to the task queue as one message; a Celery worker writes it with
   ``bulk_create`` (:func:`coaching.services.events.behavioral_events_write`: 1,000 events
   are two INSERT statements);
3. when the queue cannot be reached the process writes the batch itself, in one bulk
   insert — an outage of the broker loses nothing.

The buffer is also flushed when the process exits. What a process holds is lost only if
it is killed (``SIGKILL``): at most one buffer's worth, a few seconds of its requests.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple

from celery.result import EagerResult
from django.conf import settings
from django.urls import Resolver404, resolve

from coaching.privacy import privacy_filter

logger = logging.getLogger(__name__)


class PendingEvent(NamedTuple):
    """An event recorded in this process and not written yet (its data still unfiltered)."""

    workspace_id: int
    user_id: int
    event_type: str
    data: dict[str, Any]
    session_id: str
    at: float  # epoch seconds


class EventBuffer:
    """Events waiting to be written; safe to share between a process's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[PendingEvent] = []
        self._oldest = 0.0

    def __len__(self) -> int:
        return len(self._events)

    def append(self, event: PendingEvent) -> None:
        with self._lock:
            if not self._events:
                self._oldest = event.at
            self._events.append(event)

    def due(self, *, now: float) -> bool:
        """Whether the buffer is full enough or old enough to flush."""
        if not self._events:
            return False
        return (len(self._events) >= settings.BEHAVIOUR_BUFFER_MAX_EVENTS
                or now - self._oldest >= settings.BEHAVIOUR_BUFFER_MAX_SECONDS)

    def drain(self) -> list[PendingEvent]:
        with self._lock:
            events, self._events = self._events, []
        return events

    def peek(self) -> list[PendingEvent]:
        """A copy of what is waiting (for tests and the benchmark)."""
        with self._lock:
            return list(self._events)

    def forget(self) -> None:
        """Empty the buffer without writing it (a forked child: its parent writes those)."""
        self._lock = threading.Lock()  # the parent may have held it when it forked
        self._events = []


buffer = EventBuffer()
os.register_at_fork(after_in_child=buffer.forget)


def behavioral_event_buffer(event: PendingEvent) -> None:
    """Add ``event`` to this process's buffer (the flush writes it)."""
    buffer.append(event)


@functools.lru_cache(maxsize=4096)
def _view_name(path: str) -> str:
    """The name of the page at ``path`` (resolving walks every route: 0.1 to 1 ms)."""
    try:
        return resolve(path).view_name
    except Resolver404:
        return ""


def behavioral_events_prepare(events: Iterable[PendingEvent]) -> list[dict[str, Any]]:
    """The wire form of ``events`` (a task's JSON argument): data through the privacy
    filter, the count of what it removed, a fresh ``uid``; a page view's referrer path gets
    the name of the page it is (``from_view``)."""
    out = []
    for event in events:
        data, removed = privacy_filter(event.data)
        if data.get("from_path"):
            data["from_view"] = _view_name(data["from_path"])
        out.append({
            "uid": uuid.uuid4().hex, "workspace": event.workspace_id, "user": event.user_id,
            "type": event.event_type, "data": data, "redacted": removed, "session": event.session_id,
            "at": event.at,
        })
    return out


def behavioral_events_send(*, events: list[dict[str, Any]]) -> str:
    """Hand a prepared batch to the task queue; write it here, in one bulk insert, when the
    queue cannot take it. Returns ``"queued"`` or ``"written"``."""
    from coaching.services.events import behavioral_events_write
    from coaching.tasks import behavioral_events_write_task

    try:
        result = behavioral_events_write_task.apply_async(args=[events], retry=False)
        if isinstance(result, EagerResult) and result.failed():  # eager mode ran the task here, and it failed
            raise RuntimeError("the eager write failed") from result.result
        return "queued"
    except Exception:  # kombu's errors, the transport's own (OSError, redis' ConnectionError)
        logger.warning("The task queue did not take %d behavioural events; writing them directly", len(events),
                       exc_info=True)
    behavioral_events_write(events=events)
    return "written"


def behavioral_events_flush(*, force: bool = False, now: float | None = None) -> int:
    """Flush the buffer when it is due (or at once with ``force``); returns how many events
    left it."""
    if not force and not buffer.due(now=time.time() if now is None else now):
        return 0
    pending = buffer.drain()
    if not pending:
        return 0
    behavioral_events_send(events=behavioral_events_prepare(pending))
    return len(pending)


def flush_when_due(sender: Any = None, *, force: bool = False, **kwargs: Any) -> None:
    """``request_finished`` (the answer has been sent): flush if due; at the process's exit,
    flush whatever waits. Never raises: a lost batch must not fail a request."""
    try:
        behavioral_events_flush(force=force)
    except Exception:
        logger.exception("Could not write a batch of behavioural events")


atexit.register(flush_when_due, force=True)
