"""The Goals pages: list, one goal's saved amount over time, add / edit / delete, the
history the services keep, and the same rules through the API.

Each test reads given / when / then. Failure paths assert that nothing was written; the
query counts are pinned and shown not to grow with the number of goals and their history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from finance.models import Goal, GoalProgress
from finance.services.goals import goal_update
from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = reverse("finance:login")
LIST = reverse("finance:goals")
CREATE = reverse("finance:goal-create")
NBSP = "\u00a0"


def detail_url(goal: Goal) -> str:
    return reverse("finance:goal-detail", args=[goal.pk])


def edit_url(goal: Goal) -> str:
    return reverse("finance:goal-edit", args=[goal.pk])


def delete_url(goal: Goal) -> str:
    return reverse("finance:goal-delete", args=[goal.pk])


def today() -> dt.date:
    return timezone.localdate()


def later(days: int) -> dt.date:
    return today() + dt.timedelta(days=days)


@pytest.fixture
def euro(workspace):
    workspace.currency = "EUR"
    workspace.save(update_fields=["currency"])
    return workspace


@pytest.fixture
def theirs(other_workspace):
    return f.GoalFactory(workspace=other_workspace, name="Their secret yacht", deadline=later(300))


@pytest.fixture
def mine(workspace):
    return f.GoalFactory(workspace=workspace, name="New oven", target_amount=Decimal("18000.00"),
                         saved_amount=Decimal("4500.00"), deadline=later(365))


def payload(**overrides) -> dict:
    data = {"name": "Emergency fund", "target_amount": "3000.00", "saved_amount": "250.00",
            "deadline": later(200).isoformat()}
    data.update(overrides)
    return data


def snapshot() -> list[tuple]:
    goals = list(Goal.objects.order_by("pk").values_list("pk", "name", "target_amount", "saved_amount", "deadline"))
    return goals + list(GoalProgress.objects.order_by("pk").values_list("goal_id", "date", "saved_amount"))


# --- who may see what --------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("url", [LIST, CREATE])
    def test_anonymous_is_sent_to_login(self, client, url):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={url}")

    @pytest.mark.parametrize("url_of", [detail_url, edit_url, delete_url])
    def test_anonymous_is_sent_to_login_from_object_pages(self, client, theirs, url_of):
        before = snapshot()
        response = client.post(url_of(theirs), payload())
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")
        assert snapshot() == before

    @pytest.mark.parametrize(("url_of", "method"), [
        (detail_url, "get"), (edit_url, "get"), (edit_url, "post"), (delete_url, "get"), (delete_url, "post"),
    ])
    def test_another_workspaces_goal_is_404_and_unchanged(self, logged_in, member, theirs, url_of, method):
        before = snapshot()
        response = getattr(logged_in(member), method)(url_of(theirs), payload())
        assert response.status_code == 404
        assert "Their secret yacht" not in response.content.decode()
        assert snapshot() == before

    def test_viewer_reads_but_sees_no_write_buttons(self, logged_in, viewer, mine):
        client = logged_in(viewer)
        for url in (LIST, detail_url(mine)):
            response = client.get(url)
            html = response.content.decode()
            assert response.status_code == 200
            assert "New oven" in html
            assert (CREATE in html, edit_url(mine) in html, delete_url(mine) in html) == (False, False, False)

    @pytest.mark.parametrize("url_of", [lambda g: CREATE, edit_url, delete_url])
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_viewer_gets_403_and_nothing_changes(self, logged_in, viewer, mine, url_of, method):
        before = snapshot()
        response = getattr(logged_in(viewer), method)(url_of(mine), payload())
        assert response.status_code == 403
        assert snapshot() == before

    def test_forms_are_csrf_protected(self, member, mine):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        before = snapshot()
        for url in (CREATE, edit_url(mine), delete_url(mine)):
            assert client.post(url, payload()).status_code == 403
        assert snapshot() == before


# --- the list and one goal ------------------------------------------------------------------------


class TestList:
    def test_every_goal_with_progress_deadline_and_pace_in_the_workspace_currency(self, logged_in, member, euro):
        # Given three goals: on its way, reached, and overdue
        f.GoalFactory(workspace=euro, name="New oven", target_amount=Decimal("18000.00"),
                      saved_amount=Decimal("4500.00"), deadline=later(365))
        f.GoalFactory(workspace=euro, name="Van deposit", target_amount=Decimal("2000.00"),
                      saved_amount=Decimal("2100.00"), deadline=later(30))
        f.GoalFactory(workspace=euro, name="Old plan", target_amount=Decimal("1000.00"),
                      saved_amount=Decimal("100.00"), deadline=later(-10))
        # When a member opens the Goals page
        response = logged_in(member).get(LIST)
        # Then each goal shows where it stands, by deadline
        rows = response.context["rows"]
        assert [(r.goal.name, r.percent, r.remaining, r.is_reached, r.is_overdue, r.needed_per_month) for r in rows] == [
            ("Old plan", 10, Decimal("900.00"), False, True, None),
            ("Van deposit", 105, Decimal("0.00"), True, False, None),
            # 13,500 left over 365 days = 11.99 months
            ("New oven", 25, Decimal("13500.00"), False, False, Decimal("1125.77")),
        ]
        html = response.content.decode()
        assert f'data-stat="saved">6,700.00{NBSP}EUR</p>' in html
        assert f'data-stat="target">21,000.00{NBSP}EUR</p>' in html
        assert 'data-stat="reached">1 of 3</p>' in html
        assert f"1,125.77{NBSP}EUR" in html and f"18,000.00{NBSP}EUR" in html
        assert '<span class="badge danger">passed</span>' in html and '<span class="badge ok">reached</span>' in html

    def test_empty_state(self, logged_in, member):
        response = logged_in(member).get(LIST)
        assert "No goals yet." in response.content.decode()


class TestDetail:
    def test_saved_amount_over_time_toward_the_target_and_deadline(self, logged_in, member, euro):
        # Given a goal whose saved amount was recorded on three earlier days
        goal = f.GoalFactory(workspace=euro, name="Reserve", target_amount=Decimal("6000.00"),
                             saved_amount=Decimal("2400.00"), deadline=later(180))
        for days, amount in ((-90, "600.00"), (-60, "1200.00"), (-30, "1800.00")):
            GoalProgress.objects.create(workspace=euro, goal=goal, date=later(days), saved_amount=Decimal(amount))
        # When a member opens it
        response = logged_in(member).get(detail_url(goal))
        # Then the chart has each recorded day and today's amount, the target and the deadline
        assert response.status_code == 200
        assert response.context["chart"] == {
            "currency": "EUR",
            "saved": [[later(-90).isoformat(), 600.0], [later(-60).isoformat(), 1200.0],
                      [later(-30).isoformat(), 1800.0], [today().isoformat(), 2400.0]],
            "target": 6000.0,
            "deadline": later(180).isoformat(),
            "today": today().isoformat(),
        }
        html = response.content.decode()
        assert '<canvas id="goal-chart" data-goal-chart="goal-chart-data"' in html
        assert f'data-stat="remaining">3,600.00{NBSP}EUR</p>' in html
        assert f'data-stat="needed">608.75{NBSP}EUR</p>' in html  # 3,600 over 180 days = 5.91 months
        assert "40&nbsp;% of the target" in html


# --- add, edit, delete, and the history -------------------------------------------------------------


class TestCreate:
    def test_form_renders(self, logged_in, member):
        response = logged_in(member).get(CREATE)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in html and 'inputmode="decimal"' in html
        assert response.context["form"].initial["saved_amount"] == Decimal("0.00")

    def test_member_adds_a_goal_typed_with_thousands_separators(self, logged_in, member, euro):
        client = logged_in(member)
        response = client.post(CREATE, payload(name="  Holiday ", target_amount="1 234,50", saved_amount=""))
        goal = Goal.objects.get()
        assert (response.status_code, response["Location"]) == (302, detail_url(goal))
        assert (goal.workspace, goal.owner, goal.name, goal.target_amount, goal.saved_amount, goal.deadline) == (
            euro, member, "Holiday", Decimal("1234.50"), Decimal("0.00"), later(200),
        )
        # the saved amount is today's first point of its history
        assert list(goal.history.values_list("date", "saved_amount")) == [(today(), Decimal("0.00"))]
        assert [str(m) for m in client.get(response["Location"]).context["messages"]] == ["Added the goal “Holiday”."]

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"target_amount": "0"}, "target_amount", "The target must be greater than zero."),
            ({"target_amount": "abc"}, "target_amount", "Enter the amount as a number, e.g. 12.50."),
            ({"target_amount": ""}, "target_amount", "This field is required."),
            ({"saved_amount": "-1"}, "saved_amount", "The saved amount cannot be negative."),
            ({"deadline": "2020-01-01"}, "deadline", "The deadline has passed: choose today or a later date."),
            ({"deadline": "soon"}, "deadline", "Enter a valid date (YYYY-MM-DD)."),
            ({"name": "   "}, "name", "This field is required."),
        ],
    )
    def test_invalid_input_shows_the_message_and_saves_nothing(self, logged_in, member, overrides, field, message):
        response = logged_in(member).post(CREATE, payload(**overrides))
        assert response.status_code == 200
        assert response.context["form"].errors == {field: [message]}
        assert message in response.content.decode().replace("&#x27;", "'")
        assert snapshot() == []


class TestEditDelete:
    def test_saving_more_adds_todays_point_to_the_history(self, logged_in, member, mine):
        # Given a goal with a recorded past
        GoalProgress.objects.create(workspace=mine.workspace, goal=mine, date=later(-40), saved_amount=Decimal("4000.00"))
        client = logged_in(member)
        # When the member raises the saved amount, twice the same day
        for amount in ("5,000.00", "5,250.00"):
            response = client.post(edit_url(mine), payload(name="New oven", target_amount="18000", saved_amount=amount,
                                                           deadline=mine.deadline.isoformat()))
            assert (response.status_code, response["Location"]) == (302, detail_url(mine))
        # Then the goal holds the last amount and its history one point per day
        mine.refresh_from_db()
        assert mine.saved_amount == Decimal("5250.00")
        assert list(mine.history.values_list("date", "saved_amount")) == [
            (later(-40), Decimal("4000.00")), (today(), Decimal("5250.00")),
        ]
        assert [str(m) for m in client.get(detail_url(mine)).context["messages"]] == [
            "Saved the goal “New oven”.", "Saved the goal “New oven”.",
        ]

    def test_renaming_records_no_progress(self, mine):
        goal_update(goal=mine, name="Deck oven")
        assert list(mine.history.all()) == []

    def test_an_overdue_goal_can_still_be_updated_but_not_moved_into_the_past(self, logged_in, member, workspace):
        goal = f.GoalFactory(workspace=workspace, name="Late", deadline=later(-5))
        client = logged_in(member)
        ok = client.post(edit_url(goal), payload(name="Late", deadline=later(-5).isoformat(), saved_amount="300"))
        assert ok.status_code == 302
        refused = client.post(edit_url(goal), payload(name="Late", deadline=later(-6).isoformat()))
        assert refused.context["form"].errors == {"deadline": ["The deadline has passed: choose today or a later date."]}
        goal.refresh_from_db()
        assert (goal.deadline, goal.saved_amount) == (later(-5), Decimal("300.00"))

    def test_invalid_edit_changes_nothing(self, logged_in, member, mine):
        before = snapshot()
        response = logged_in(member).post(edit_url(mine), payload(saved_amount="-3", target_amount="0"))
        assert response.context["form"].errors == {
            "target_amount": ["The target must be greater than zero."],
            "saved_amount": ["The saved amount cannot be negative."],
        }
        assert snapshot() == before

    def test_delete_asks_then_deletes_the_goal_and_its_history(self, logged_in, member, mine):
        GoalProgress.objects.create(workspace=mine.workspace, goal=mine, date=later(-1), saved_amount=Decimal("1.00"))
        client = logged_in(member)
        confirm = client.get(delete_url(mine))
        assert "Delete the goal “New oven”?" in confirm.content.decode()
        assert Goal.objects.filter(pk=mine.pk).exists()
        response = client.post(delete_url(mine))
        assert (response.status_code, response["Location"]) == (302, LIST)
        assert snapshot() == []
        assert [str(m) for m in client.get(LIST).context["messages"]] == ["Deleted the goal “New oven”."]


# --- the API keeps the same rules and the same history -------------------------------------------


class TestApiSameRules:
    def test_create_records_the_history_and_sets_the_owner(self, client_for, member, workspace):
        response = client_for(member).post("/api/v1/goals/", {
            "workspace": workspace.pk, "name": "Reserve", "target_amount": "3000.00", "deadline": later(90).isoformat(),
        }, format="json")
        assert response.status_code == 201, response.json()
        goal = Goal.objects.get()
        assert (goal.owner, goal.saved_amount) == (member, Decimal("0.00"))
        assert list(goal.history.values_list("date", "saved_amount")) == [(today(), Decimal("0.00"))]

    def test_update_of_the_saved_amount_is_recorded(self, client_for, member, mine):
        response = client_for(member).patch(f"/api/v1/goals/{mine.pk}/", {"saved_amount": "4600.00"}, format="json")
        assert response.status_code == 200
        assert list(mine.history.values_list("date", "saved_amount")) == [(today(), Decimal("4600.00"))]

    def test_same_messages_as_the_page(self, client_for, member, workspace):
        before = snapshot()
        response = client_for(member).post("/api/v1/goals/", {
            "workspace": workspace.pk, "name": "Reserve", "target_amount": "0", "saved_amount": "-1",
            "deadline": "2020-01-01",
        }, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "target_amount": ["The target must be greater than zero."],
            "saved_amount": ["The saved amount cannot be negative."],
            "deadline": ["The deadline has passed: choose today or a later date."],
        }
        assert snapshot() == before


# --- reads only, and a fixed number of queries ------------------------------------------------------


def test_the_pages_write_nothing_while_rendering(logged_in, member, mine):
    client = logged_in(member)
    client.get(LIST)
    for url in (LIST, CREATE, detail_url(mine), edit_url(mine), delete_url(mine)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert (url, writes) == (url, [])


# Every page: session (1) + user (1) + the user's memberships with workspaces (1), then
#   list    the goals (1)                                = 4
#   detail  the goal (1) + its recorded history (1)      = 5


@pytest.mark.parametrize("goals", [2, 9])
class TestQueryCounts:
    @pytest.fixture
    def client(self, logged_in, member, workspace, goals):
        for n in range(goals):
            goal = f.GoalFactory(workspace=workspace, name=f"Goal {n}", deadline=later(30 * (n + 1)))
            for back in range(goals):
                GoalProgress.objects.create(workspace=workspace, goal=goal, date=later(-7 * (back + 1)),
                                            saved_amount=Decimal(10 * back))
        return logged_in(member)

    def test_list(self, client, django_assert_num_queries, goals):
        with django_assert_num_queries(4):
            response = client.get(LIST)
        assert len(response.context["rows"]) == goals

    def test_detail(self, client, django_assert_num_queries, workspace, goals):
        goal = Goal.objects.filter(workspace=workspace).first()
        with django_assert_num_queries(5):
            response = client.get(detail_url(goal))
        assert len(response.context["chart"]["saved"]) == goals + 1
