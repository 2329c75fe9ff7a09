"""Recording behavioural events (always through the privacy filter)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from coaching.models import BehavioralEvent
from coaching.privacy import privacy_filter
from finance.models import Workspace


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
