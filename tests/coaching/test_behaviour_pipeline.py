"""The behaviour pipeline (issue 19): page views with a server-side session id and no
secrets, events of the writes to the books, searches and filters, the buffer and its
batched write (1,000 events in at most five INSERT statements), and a broker outage that
loses nothing."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coaching.behaviour import buffer as buffer_module
from coaching.behaviour.buffer import (
    PendingEvent,
    behavioral_events_flush,
    behavioral_events_prepare,
    buffer,
)
from coaching.behaviour.context import SESSION_KEY
from coaching.models import BehavioralEvent
from coaching.services.events import behavioral_events_write
from coaching.tasks import behavioral_events_write_task
from finance.models import Membership
from finance.services.transactions import transaction_create
from tests import factories as f
from tests.forecasting.test_broker_down import broker_down  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

SECRETS = ("hunter2", "abc123token", "tok-9f8e7d", "jane@example.com", "secretword")


def pending(*types: str) -> list[PendingEvent]:
    return [e for e in buffer.peek() if not types or e.event_type in types]


def session_of(client: Client) -> str:
    return client.session[SESSION_KEY][0]


class TestPageViews:
    def test_a_page_view_has_the_session_id_and_no_secret(self, workspace, member, logged_in, eager):
        # Given a member signed in (the sign-in started a browsing session)
        client = logged_in(member)
        session_id = session_of(client)
        # When they open the transactions page with a search, a filter, a page number and
        # parameters that hold secrets, coming from the budgets page (whose link had a token)
        response = client.get(
            "/transactions/",
            {"q": "secretword rent", "kind": "expense", "page": "1", "password": "hunter2", "token": "abc123token",
             "email": "jane@example.com"},
            HTTP_REFERER="http://testserver/budgets/?token=tok-9f8e7d",
        )
        assert response.status_code == 200
        # Then a page view, a filter and a search are buffered, in the member's session
        events = pending()
        assert [(e.event_type, e.workspace_id, e.user_id, e.session_id) for e in events] == [
            ("page_view", workspace.pk, member.pk, session_id),
            ("filter", workspace.pk, member.pk, session_id),
            ("search", workspace.pk, member.pk, session_id),
        ]
        assert len(session_id) == 32
        assert [e.data for e in events] == [
            {"view": "finance:transactions", "path": "/transactions/", "page": 1, "from_path": "/budgets/"},
            {"view": "finance:transactions", "filters": {"kind": "expense"}},
            {"view": "finance:transactions", "field": "q", "length": 15, "words": 2},
        ]
        # And once flushed, the stored rows hold none of the secrets (nor the search's text)
        assert behavioral_events_flush(force=True) == 3
        stored = list(BehavioralEvent.objects.order_by("pk"))
        assert [(e.event_type, e.session_id) for e in stored] == [
            ("page_view", session_id), ("filter", session_id), ("search", session_id)]
        assert stored[0].data["from_view"] == "finance:budgets"
        text = json.dumps([e.data for e in stored])
        assert not any(secret in text for secret in SECRETS)

    def test_the_same_session_until_idle_then_a_new_one(self, workspace, member, logged_in, settings):
        settings.BEHAVIOUR_SESSION_IDLE_MINUTES = 30
        client = logged_in(member)
        first = session_of(client)
        client.get("/budgets/")
        client.get("/goals/")
        assert {e.session_id for e in pending("page_view")} == {first}
        # When the member comes back after 31 minutes without a page view
        session = client.session
        session[SESSION_KEY] = [first, int(time.time()) - 31 * 60]
        session.save()
        client.get("/goals/")
        # Then that page view starts a new session, kept in the Django session
        second = pending("page_view")[-1].session_id
        assert second != first and len(second) == 32
        assert session_of(client) == second

    def test_a_new_sign_in_is_a_new_session(self, member):
        first, second = Client(), Client()
        first.force_login(member)
        second.force_login(member)
        assert session_of(first) != session_of(second)

    @pytest.mark.parametrize("path", ["/api/v1/budgets/", "/admin/", "/health/live/", "/metrics", "/login/"])
    def test_api_admin_probes_and_metrics_are_no_page_views(self, path, workspace, member, logged_in):
        member.is_staff = member.is_superuser = True
        member.save()
        logged_in(member).get(path, {"workspace": workspace.pk})
        assert pending() == []

    def test_anonymous_visitors_are_not_tracked(self, workspace):
        Client().get("/transactions/?q=rent")
        Client().get("/login/")
        assert pending() == []

    def test_tracking_can_be_switched_off(self, workspace, member, logged_in, settings):
        settings.BEHAVIOUR_TRACKING_ENABLED = False
        logged_in(member).get("/transactions/", {"kind": "expense"})
        assert pending() == []

    def test_another_sites_referrer_is_not_kept(self, workspace, member, logged_in):
        logged_in(member).get("/goals/", HTTP_REFERER="https://elsewhere.example/private/path")
        assert pending()[0].data == {"view": "finance:goals", "path": "/goals/"}


class TestSearchesAndFilters:
    def test_an_api_list_with_filters_and_a_search(self, workspace, member, client_for):
        response = client_for(member).get("/api/v1/transactions/", {
            "workspace": workspace.pk, "kind": "expense", "date__gte": "2025-01-01", "search": "rent",
            "api_key": "abc123token"})
        assert response.status_code == 200
        assert [(e.event_type, e.workspace_id, e.user_id, e.session_id, e.data) for e in pending()] == [
            ("filter", workspace.pk, member.pk, "",
             {"view": "transaction-list", "filters": {"date__gte": "2025-01-01", "kind": "expense"}}),
            ("search", workspace.pk, member.pk, "", {"view": "transaction-list", "field": "search", "length": 4,
                                                    "words": 1}),
        ]

    def test_an_api_list_without_a_workspace_or_filters_records_nothing(self, workspace, member, client_for):
        client_for(member).get("/api/v1/transactions/", {"kind": "expense"})
        client_for(member).get("/api/v1/transactions/", {"workspace": workspace.pk})
        assert pending() == []

    def test_empty_filter_fields_of_the_page_form_are_no_filter(self, workspace, member, logged_in):
        logged_in(member).get("/transactions/", {"q": "", "kind": "", "category": "", "status": ""})
        assert [e.event_type for e in pending()] == ["page_view"]


class TestWriteEvents:
    def test_transaction_page_create_edit_delete(self, workspace, member, logged_in,
                                                  django_capture_on_commit_callbacks):
        client = logged_in(member)
        session_id = session_of(client)
        form = {"kind": "expense", "amount": "12.50", "date": "2025-03-04", "description": "Flour", "status": "approved"}
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/transactions/new/", form).status_code == 302
            row = workspace.transactions.get()
            assert client.post(f"/transactions/{row.pk}/edit/", form | {"amount": "13.00"}).status_code == 302
            assert client.post(f"/transactions/{row.pk}/delete/").status_code == 302
        writes = pending("transaction_modification")
        assert [(e.data["action"], e.data["transaction_id"], e.data["amount"], e.session_id) for e in writes] == [
            ("create", row.pk, 12.5, session_id), ("update", row.pk, 13.0, session_id),
            ("delete", row.pk, 13.0, session_id)]
        assert writes[1].data["fields"] == ["amount"]
        assert {(e.workspace_id, e.user_id) for e in writes} == {(workspace.pk, member.pk)}

    def test_budget_api_create_update_delete(self, workspace, member, client_for,
                                             django_capture_on_commit_callbacks):
        groceries = f.CategoryFactory(workspace=workspace, name="Groceries", kind="expense")
        client = client_for(member)
        with django_capture_on_commit_callbacks(execute=True):
            created = client.post("/api/v1/budgets/", {
                "workspace": workspace.pk, "category": groceries.pk, "amount": "300.00", "period": "monthly",
                "start_date": "2025-01-01"}, format="json").json()
            client.patch(f"/api/v1/budgets/{created['id']}/", {"amount": "350.00"}, format="json")
            client.delete(f"/api/v1/budgets/{created['id']}/")
        assert [(e.event_type, e.data["action"], e.data["budget_id"], e.data["amount"], e.data.get("fields"))
                for e in pending()] == [
            ("budget_modification", "create", created["id"], 300.0, None),
            ("budget_modification", "update", created["id"], 350.0, ["amount"]),
            ("budget_modification", "delete", created["id"], 350.0, None),
        ]

    def test_goal_page_edit(self, workspace, member, logged_in, django_capture_on_commit_callbacks):
        goal = f.GoalFactory(workspace=workspace, name="Oven", target_amount=Decimal("1000"),
                             saved_amount=Decimal("100"), deadline=timezone.localdate() + dt.timedelta(days=200))
        client = logged_in(member)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/goals/{goal.pk}/edit/", {
                "name": "Oven", "target_amount": "1000", "saved_amount": "250", "deadline": goal.deadline.isoformat()})
        assert response.status_code == 302
        [event] = pending("goal_modification")
        assert event.data == {"action": "update", "goal_id": goal.pk, "target_amount": 1000.0, "saved_amount": 250.0,
                              "deadline": goal.deadline.isoformat(), "fields": ["saved_amount"]}

    def test_a_refused_write_records_nothing(self, workspace, member, client_for,
                                             django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(member).post("/api/v1/transactions/", {
                "workspace": workspace.pk, "kind": "expense", "amount": "-5", "date": "2025-01-01"}, format="json")
        assert response.status_code == 400
        assert pending() == []

    def test_writes_outside_a_request_record_nothing(self, workspace, member, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("5"),
                               date=dt.date(2025, 1, 1))
        assert pending() == []


def burst(workspace, user, n: int) -> list[dict]:
    start = time.time() - n
    return behavioral_events_prepare(
        PendingEvent(workspace.pk, user.pk, "page_view", {"view": "finance:overview", "path": "/", "n": i}, "s1",
                     start + i)
        for i in range(n))


class TestBatchedWrite:
    def test_a_burst_of_1000_events_is_at_most_five_inserts(self, workspace, member):
        events = burst(workspace, member, 1000)
        with CaptureQueriesContext(connection) as queries:
            written = behavioral_events_write_task.apply(args=[events]).get()
        inserts = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
        assert written == 1000
        assert len(inserts) == 2  # BEHAVIOUR_WRITE_BATCH = 500
        assert BehavioralEvent.objects.filter(workspace=workspace, user=member).count() == 1000

    def test_a_batch_written_twice_is_stored_once(self, workspace, member):
        events = burst(workspace, member, 3)
        behavioral_events_write(events=events)
        behavioral_events_write(events=events)
        assert BehavioralEvent.objects.count() == 3

    def test_events_of_a_former_member_are_dropped(self, workspace, member):
        events = burst(workspace, member, 2)
        Membership.objects.filter(user=member).delete()
        assert behavioral_events_write(events=events) == 0
        assert BehavioralEvent.objects.count() == 0

    def test_the_buffer_flushes_when_full_or_old(self, workspace, member, settings):
        settings.BEHAVIOUR_BUFFER_MAX_EVENTS, settings.BEHAVIOUR_BUFFER_MAX_SECONDS = 3, 60
        now = time.time()
        for i in range(2):
            buffer.append(PendingEvent(workspace.pk, member.pk, "page_view", {}, "s", now + i))
        assert (buffer.due(now=now + 1), buffer.due(now=now + 60)) == (False, True)
        buffer.append(PendingEvent(workspace.pk, member.pk, "page_view", {}, "s", now + 2))
        assert buffer.due(now=now + 2) is True

    def test_a_finished_request_sends_a_due_buffer_as_one_message(self, workspace, member, logged_in, settings,
                                                                  monkeypatch):
        settings.BEHAVIOUR_BUFFER_MAX_EVENTS = 2
        sent = []
        monkeypatch.setattr(behavioral_events_write_task, "apply_async",
                            lambda args, retry: sent.append(args[0]))
        client = logged_in(member)
        client.get("/goals/")
        assert sent == []
        client.get("/budgets/")
        assert [[e["data"]["view"] for e in batch] for batch in sent] == [["finance:goals", "finance:budgets"]]
        assert pending() == []


def test_with_the_broker_down_a_flush_writes_directly_in_one_insert(workspace, member, broker_down):  # noqa: F811
    for i in range(300):
        buffer.append(PendingEvent(workspace.pk, member.pk, "page_view", {"n": i}, "s", time.time()))
    with CaptureQueriesContext(connection) as queries:
        assert buffer_module.behavioral_events_flush(force=True) == 300
    inserts = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert BehavioralEvent.objects.filter(user=member).count() == 300
