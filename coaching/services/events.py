"""Recording behavioural events (always through the privacy filter): one at a time from a
client (:func:`behavioral_event_create`), or in batches from the server's own buffer
(:func:`behavioral_events_write`, see :mod:`coaching.behaviour.buffer`)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from coaching.models import BehavioralEvent, validate_event_numbers
from coaching.privacy import privacy_filter
from finance.models import Membership, Workspace

_EVENT_TYPES = frozenset(BehavioralEvent.Type.values)


def behavioral_event_create(
    *,
    workspace: Workspace,
    user: AbstractBaseUser,
    event_type: str,
    data: dict[str, Any] | None = None,
    session_id: str = "",
    timestamp: dt.datetime | None = None,
) -> BehavioralEvent:
    """Store one event after removing secrets and personal data from ``data``."""
    clean, removed = privacy_filter(data or {})
    return BehavioralEvent.objects.create(
        workspace=workspace,
        user=user,
        event_type=event_type,
        data=clean,
        redacted_fields=removed,
        session_id=session_id,
        timestamp=timestamp or timezone.now(),
    )


@contextmanager
def _sqlite_variables_raised() -> Iterator[None]:
    """Django 5.2 assumes SQLite's old limit of 999 variables per statement (124 rows of
    this model per INSERT); SQLite 3.32+ takes 32,766, and the linked library says which.
    Nothing changes on the other databases."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    features = connection.features
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    features.max_query_params = max(limit, type(features).max_query_params)
    try:
        yield
    finally:
        del features.max_query_params  # back to the class's value


def _event_row(event: Mapping[str, Any]) -> BehavioralEvent | None:
    """The row of one prepared event (:func:`coaching.behaviour.buffer.behavioral_events_prepare`),
    or ``None`` for one that cannot be stored (an unknown type, a number out of range)."""
    if event["type"] not in _EVENT_TYPES or not isinstance(event["data"], dict):
        return None
    try:
        validate_event_numbers(event["data"])
    except ValidationError:
        return None
    return BehavioralEvent(
        uid=event["uid"], workspace_id=event["workspace"], user_id=event["user"], event_type=event["type"],
        data=event["data"], redacted_fields=event["redacted"], session_id=event["session"][:64],
        timestamp=dt.datetime.fromtimestamp(event["at"], tz=dt.UTC),
    )


def behavioral_events_write(*, events: Sequence[Mapping[str, Any]]) -> int:
    """Write a batch of prepared events with ``bulk_create``: one query that keeps only the
    events of current members (a member who left, a workspace deleted meanwhile), then one
    INSERT per ``BEHAVIOUR_WRITE_BATCH`` events. An event already stored (same ``uid``: a
    retried task, a batch also written after a failed send) is skipped. Returns how many
    events were offered to the database."""
    if not events:
        return 0
    workspace_ids = {e["workspace"] for e in events}
    user_ids = {e["user"] for e in events}
    members = set(Membership.objects.filter(workspace_id__in=workspace_ids, user_id__in=user_ids)
                  .values_list("workspace_id", "user_id"))
    rows = [row for e in events if (e["workspace"], e["user"]) in members and (row := _event_row(e)) is not None]
    if not rows:
        return 0
    with transaction.atomic(), _sqlite_variables_raised():
        BehavioralEvent.objects.bulk_create(rows, batch_size=settings.BEHAVIOUR_WRITE_BATCH, ignore_conflicts=True)
    return len(rows)
