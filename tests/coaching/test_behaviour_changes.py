"""Behaviour features and behaviour-change detection (issue 19): a member whose activity
dropped is flagged, a steady one is not; the insight and GET
/api/v1/coaching/behavioral-insights/ (workspace-scoped, 400/403/404/401)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from coaching.behaviour.changes import behaviour_changes
from coaching.behaviour.features import behaviour_features, member_events
from coaching.models import BehavioralEvent
from finance.models import GoalProgress, Membership
from tests import factories as f
from tests.coaching.books import book, month

pytestmark = pytest.mark.django_db

URL = "/api/v1/coaching/behavioral-insights/"


def at(days_ago: int, hour: int = 20) -> dt.datetime:
    """A local time ``days_ago`` days before today."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def sessions(workspace, user, *, per_day: dict[range, float], seed: int = 7, events_per_session: int = 3) -> None:
    """Poisson(rate) sessions on each day ``days_ago`` in a range, ``events_per_session`` page views each."""
    rng = np.random.default_rng(seed)
    rows, n = [], 0
    for days, rate in per_day.items():
        for days_ago in days:
            for _ in range(int(rng.poisson(rate))):
                n += 1
                for k in range(events_per_session):
                    rows.append(BehavioralEvent(
                        workspace=workspace, user=user, event_type="page_view", data={}, session_id=f"s{n}",
                        timestamp=at(days_ago, hour=int(rng.integers(7, 22))) + dt.timedelta(minutes=k)))
    BehavioralEvent.objects.bulk_create(rows)


BASELINE, WINDOW = range(31, 121), range(1, 31)


def changes_of(workspace, user) -> dict:
    events = member_events(user=user, workspace=workspace, today=timezone.localdate())
    return {c.measure: c for c in behaviour_changes(events=events)}


class TestChangeDetection:
    def test_a_member_whose_activity_dropped_is_flagged(self, workspace, member):
        sessions(workspace, member, per_day={BASELINE: 2.0, WINDOW: 0.2})
        found = changes_of(workspace, member)
        assert (found["sessions"].flagged, found["sessions"].direction) == (True, "drop")
        assert (found["events"].flagged, found["events"].direction) == (True, "drop")
        assert found["sessions"].z < -3 and found["sessions"].change < -0.3
        assert found["writes"].flagged is False and found["writes"].z is None  # no writes in the baseline

    def test_a_steady_member_is_not_flagged(self, workspace, member):
        sessions(workspace, member, per_day={BASELINE: 2.0, WINDOW: 2.0})
        found = changes_of(workspace, member)
        assert {m: c.flagged for m, c in found.items()} == {"events": False, "sessions": False, "writes": False}
        assert abs(found["sessions"].z) < 3
        assert {c.direction for c in found.values()} == {"steady"}

    def test_a_member_without_a_baseline_is_not_judged(self, workspace, member):
        sessions(workspace, member, per_day={range(1, 6): 3.0})
        found = changes_of(workspace, member)
        assert [(c.z, c.flagged) for c in found.values()] == [(None, False)] * 3

    def test_a_rise_is_flagged_as_a_rise(self, workspace, member):
        sessions(workspace, member, per_day={BASELINE: 0.5, WINDOW: 3.0})
        assert changes_of(workspace, member)["sessions"].direction == "rise"

    def test_a_bursty_but_steady_member_is_not_flagged(self, workspace, member):
        # Given a member who uses the product in bursts (a whole week's worth some days)
        rng = np.random.default_rng(3)
        days = {range(d, d + 1): float(rng.choice([0, 0, 0, 0, 0, 6])) for d in range(1, 121)}
        sessions(workspace, member, per_day=days, seed=11)
        found = changes_of(workspace, member)
        assert not any(c.flagged for c in found.values())


class TestFeatures:
    def test_engagement_and_temporal_patterns(self, workspace, member):
        for session, (days_ago, hour, count) in enumerate([(2, 9, 2), (2, 21, 3), (10, 9, 1), (60, 9, 4)]):
            for k in range(count):
                f.BehavioralEventFactory(workspace=workspace, user=member, session_id=f"s{session}",
                                         timestamp=at(days_ago, hour) + dt.timedelta(minutes=k))
        f.BehavioralEventFactory(workspace=workspace, user=member, session_id="", timestamp=at(3, 9))
        features = behaviour_features(user=member, workspace=workspace)
        assert features["engagement"] == {"events": 7, "sessions": 3, "sessions_per_week": 0.7,
                                          "events_per_session": 2.0, "active_days": 3}
        temporal = features["temporal"]
        assert temporal["hour_histogram"][9] == 8 and temporal["hour_histogram"][21] == 3
        assert sum(temporal["hour_histogram"]) == sum(temporal["weekday_histogram"]) == 11
        assert (temporal["peak_hour"], temporal["days_since_last_event"]) == (9, 2)

    def test_budget_adherence_over_the_last_three_months(self, workspace, member):
        food = f.CategoryFactory(workspace=workspace, name="Food", kind="expense")
        f.BudgetFactory(workspace=workspace, category=food, amount=Decimal("100"), period="monthly",
                        start_date=month(6))
        for offset, amount in ((1, 80), (2, 120), (3, 100)):
            book(workspace, amount, offset=offset, category=food)
        adherence = behaviour_features(user=member, workspace=workspace)["budget_adherence"]
        assert adherence == {"months": 3, "budget_months": 3, "within_limit": 2, "rate": 0.6667}

    def test_goal_consistency_from_the_goal_history(self, workspace, member):
        goal = f.GoalFactory(workspace=workspace, target_amount=Decimal("1000"), saved_amount=Decimal("300"),
                             deadline=timezone.localdate() + dt.timedelta(days=365))
        # saved 100 before the six months, then more in months 5, 4 and 1 ago; nothing in 6, 3 and 2
        for offset, saved in ((8, 100), (5, 150), (4, 200), (1, 300)):
            GoalProgress.objects.create(workspace=workspace, goal=goal, date=month(offset) + dt.timedelta(days=3),
                                        saved_amount=Decimal(saved))
        consistency = behaviour_features(user=member, workspace=workspace)["goal_consistency"]
        assert consistency == {"months": 6, "goal_months": 6, "contributed": 3, "rate": 0.5}

    def test_nothing_to_measure(self, workspace, member):
        features = behaviour_features(user=member, workspace=workspace)
        assert features["engagement"]["events_per_session"] is None
        assert (features["budget_adherence"]["rate"], features["goal_consistency"]["rate"]) == (None, None)
        assert features["temporal"]["peak_hour"] is None


class TestInsight:
    def test_the_drop_is_an_insight_of_the_member_only(self, workspace, member, owner, client_for):
        sessions(workspace, member, per_day={BASELINE: 2.0, WINDOW: 0.2})
        mine = client_for(member).get("/api/v1/coaching/insights/", {"workspace": workspace.pk}).json()["insights"]
        [insight] = [i for i in mine if i["kind"] == "behaviour_change"]
        assert (insight["severity"], insight["title"], insight["data"]["measure"], insight["data"]["also"]) == (
            "warning", "You have been less active lately", "sessions", ["events"])
        assert insight["text"].startswith("In the last 30 days: ")
        theirs = client_for(owner).get("/api/v1/coaching/insights/", {"workspace": workspace.pk}).json()
        assert [i for i in theirs["insights"] if i["kind"] == "behaviour_change"] == []


class TestEndpoint:
    def test_own_behaviour(self, workspace, member, client_for, django_assert_num_queries):
        sessions(workspace, member, per_day={BASELINE: 2.0, WINDOW: 0.2})
        client = client_for(member)
        client.get(URL, {"workspace": workspace.pk})
        # the workspace, the membership, the events, the budgets of three months, the goals' history
        with django_assert_num_queries(7):
            response = client.get(URL, {"workspace": workspace.pk})
        assert response.status_code == 200
        body = response.json()
        assert (body["workspace"], body["user"], body["window"]["days"], body["baseline"]["days"]) == (
            workspace.pk, member.pk, 30, 90)
        assert body["window"]["end"] == (timezone.localdate() - dt.timedelta(days=1)).isoformat()
        assert [(c["measure"], c["direction"]) for c in body["changes"]] == [
            ("sessions", "drop"), ("events", "drop"), ("writes", "steady")]
        [insight] = body["insights"]
        assert (insight["kind"], insight["priority"]) == ("behaviour_change", "high")
        assert set(body["features"]) == {"engagement", "temporal", "budget_adherence", "goal_consistency"}

    def test_a_manager_reads_a_members_behaviour(self, workspace, owner, member, client_for):
        response = client_for(owner).get(URL, {"workspace": workspace.pk, "user": member.pk})
        assert (response.status_code, response.json()["user"]) == (200, member.pk)

    def test_a_member_may_not_read_another_members_behaviour(self, workspace, owner, member, client_for):
        response = client_for(member).get(URL, {"workspace": workspace.pk, "user": owner.pk})
        assert response.status_code == 403

    @pytest.mark.parametrize(("query", "field"), [
        ({}, "workspace"), ({"workspace": "first"}, "workspace"), ({"workspace": 0}, "workspace"),
        ({"workspace": "<mine>", "user": "me"}, "user"),
    ])
    def test_bad_query_is_400_naming_the_field(self, query, field, workspace, member, client_for):
        query = {name: workspace.pk if value == "<mine>" else value for name, value in query.items()}
        response = client_for(member).get(URL, query)
        assert response.status_code == 400
        assert list(response.json()) == [field]

    def test_another_workspace_is_404(self, workspace, other_workspace, member, client_for):
        assert client_for(member).get(URL, {"workspace": other_workspace.pk}).status_code == 404

    def test_a_user_who_is_not_a_member_is_404(self, workspace, owner, outsider, client_for):
        response = client_for(owner).get(URL, {"workspace": workspace.pk, "user": outsider.pk})
        assert response.status_code == 404

    def test_anonymous_is_401(self, workspace, api_client):
        assert api_client.get(URL, {"workspace": workspace.pk}).status_code == 401

    def test_a_viewer_reads_their_own(self, workspace, viewer, client_for):
        assert client_for(viewer).get(URL, {"workspace": workspace.pk}).status_code == 200
        assert Membership.objects.get(user=viewer).role == "viewer"
