"""Features of one member's behaviour (a user in a workspace), from their events and the
workspace's books.

* **engagement** (the last ``BEHAVIOUR_CHANGE_WINDOW_DAYS`` complete days): sessions per
  week, events per session, active days, events;
* **temporal patterns** (the window and the baseline before it, ``BEHAVIOUR_BASELINE_DAYS``):
  events by local hour of day and by weekday, the busiest of each, and the recency (days
  since the last event);
* **budget adherence**: of the workspace's budgets in each of the last
  :data:`BUDGET_MONTHS` complete months, the share that stayed within their limit;
* **goal consistency**: of the months in the last :data:`GOAL_MONTHS` complete months in
  which a goal was open (started, not reached, deadline not passed), the share in which
  its saved amount grew (from the goal's history, :class:`~finance.models.GoalProgress`).

Days and hours are local (the current time zone). Events and daily counts are read once
(:func:`member_events`) and shared with the change detection.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from coaching.models import BehavioralEvent
from coaching.selectors import complete_months
from finance.models import GoalProgress, Workspace
from finance.months import add_months
from finance.selectors import budget_usage_for_month

BUDGET_MONTHS = 3
GOAL_MONTHS = 6
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WRITE_TYPES = frozenset({
    BehavioralEvent.Type.TRANSACTION_MODIFICATION, BehavioralEvent.Type.BUDGET_MODIFICATION,
    BehavioralEvent.Type.GOAL_MODIFICATION,
})


@dataclass
class MemberEvents:
    """A member's events over the baseline and the window (complete local days before
    ``today``), as local times, types and session ids."""

    today: dt.date
    window_days: int
    baseline_days: int
    events: list[tuple[dt.datetime, str, str]] = field(default_factory=list)

    @property
    def window_start(self) -> dt.date:
        return self.today - dt.timedelta(days=self.window_days)

    @property
    def baseline_start(self) -> dt.date:
        return self.window_start - dt.timedelta(days=self.baseline_days)

    def in_window(self) -> list[tuple[dt.datetime, str, str]]:
        start = self.window_start
        return [e for e in self.events if e[0].date() >= start]

    def daily(self) -> dict[str, list[float]]:
        """Per day of the baseline then the window (oldest first): events, sessions started
        (a session counts on the day of its first event) and writes to the books."""
        days = self.baseline_days + self.window_days
        start = self.baseline_start
        counts = {"events": [0.0] * days, "sessions": [0.0] * days, "writes": [0.0] * days}
        seen: set[str] = set()
        for at, event_type, session_id in self.events:
            i = (at.date() - start).days
            counts["events"][i] += 1
            if event_type in WRITE_TYPES:
                counts["writes"][i] += 1
            if session_id and session_id not in seen:
                seen.add(session_id)
                counts["sessions"][i] += 1
        return counts


def member_events(*, user: AbstractBaseUser, workspace: Workspace, today: dt.date) -> MemberEvents:
    """The member's events of the ``BEHAVIOUR_BASELINE_DAYS + BEHAVIOUR_CHANGE_WINDOW_DAYS``
    complete days before ``today``, oldest first. One query."""
    found = MemberEvents(today=today, window_days=settings.BEHAVIOUR_CHANGE_WINDOW_DAYS,
                         baseline_days=settings.BEHAVIOUR_BASELINE_DAYS)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(found.baseline_start, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    rows = (BehavioralEvent.objects.filter(workspace=workspace, user=user, timestamp__gte=start, timestamp__lt=end)
            .order_by("timestamp", "pk").values_list("timestamp", "event_type", "session_id"))
    found.events = [(timezone.localtime(at, tz), event_type, session_id) for at, event_type, session_id in rows]
    return found


def engagement(events: MemberEvents) -> dict[str, Any]:
    recent = events.in_window()
    sessions = {session_id for _, _, session_id in recent if session_id}
    with_session = sum(1 for _, _, session_id in recent if session_id)
    return {
        "events": len(recent),
        "sessions": len(sessions),
        "sessions_per_week": round(len(sessions) / (events.window_days / 7), 2),
        "events_per_session": round(with_session / len(sessions), 2) if sessions else None,
        "active_days": len({at.date() for at, _, _ in recent}),
    }


def temporal_patterns(events: MemberEvents) -> dict[str, Any]:
    hours = Counter(at.hour for at, _, _ in events.events)
    weekdays = Counter(at.weekday() for at, _, _ in events.events)
    last = events.events[-1][0] if events.events else None
    return {
        "hour_histogram": [hours.get(h, 0) for h in range(24)],
        "weekday_histogram": [weekdays.get(d, 0) for d in range(7)],
        "peak_hour": max(range(24), key=lambda h: (hours[h], -h)) if hours else None,
        "peak_weekday": WEEKDAYS[max(range(7), key=lambda d: (weekdays[d], -d))] if weekdays else None,
        "last_event_at": last,
        "days_since_last_event": (events.today - last.date()).days if last else None,
    }


def budget_adherence(*, workspace: Workspace, today: dt.date) -> dict[str, Any]:
    """One query per month (:data:`BUDGET_MONTHS`)."""
    uses = [use for month in complete_months(today=today, count=BUDGET_MONTHS)
            for use in budget_usage_for_month(workspace=workspace, month=month)]
    within = sum(1 for use in uses if not use.is_over)
    return {"months": BUDGET_MONTHS, "budget_months": len(uses), "within_limit": within,
            "rate": round(within / len(uses), 4) if uses else None}


def goal_consistency(*, workspace: Workspace, today: dt.date) -> dict[str, Any]:
    """One query (the history of the workspace's goals, with their targets and deadlines)."""
    months = complete_months(today=today, count=GOAL_MONTHS)
    end = add_months(months[-1], 1)
    history: dict[int, list[tuple[dt.date, float]]] = {}
    goals: dict[int, tuple[float, dt.date]] = {}
    rows = (GoalProgress.objects.filter(workspace=workspace, date__lt=end).order_by("goal_id", "date")
            .values_list("goal_id", "date", "saved_amount", "goal__target_amount", "goal__deadline"))
    for goal_id, day, saved, target, deadline in rows:
        history.setdefault(goal_id, []).append((day, float(saved)))
        goals[goal_id] = (float(target), deadline)

    def saved_before(points: list[tuple[dt.date, float]], day: dt.date) -> float | None:
        before = [amount for when, amount in points if when < day]
        return before[-1] if before else None

    open_months = contributed = 0
    for goal_id, points in history.items():
        target, deadline = goals[goal_id]
        for first in months:
            following = add_months(first, 1)
            opening, closing = saved_before(points, first), saved_before(points, following)
            started_before = opening is not None
            if closing is None or deadline < first or (started_before and opening >= target):
                continue
            open_months += 1
            contributed += closing > (opening if started_before else points[0][1])
    return {"months": GOAL_MONTHS, "goal_months": open_months, "contributed": contributed,
            "rate": round(contributed / open_months, 4) if open_months else None}


def behaviour_features(*, user: AbstractBaseUser, workspace: Workspace, today: dt.date | None = None,
                       events: MemberEvents | None = None) -> dict[str, Any]:
    """Every feature of the member (see the module's docstring). Five queries (one for the
    events unless given, three for the budgets, one for the goals)."""
    today = today or timezone.localdate()
    events = events or member_events(user=user, workspace=workspace, today=today)
    return {
        "engagement": engagement(events),
        "temporal": temporal_patterns(events),
        "budget_adherence": budget_adherence(workspace=workspace, today=today),
        "goal_consistency": goal_consistency(workspace=workspace, today=today),
    }
