"""/api/v1/events/: every member records their own events, filtered for privacy."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coaching.models import BehavioralEvent
from finance.models import Membership
from tests import factories as f


@pytest.mark.django_db
class TestEvents:
    def test_event_is_stored_without_secrets(self, workspace, viewer, client_for):
        response = client_for(viewer).post(
            "/api/v1/events/",
            {
                "workspace": workspace.pk, "event_type": "goal_modification", "session_id": "s-1",
                "data": {"goal": 3, "password": "hunter2", "note": "ping me at a@b.co"},
            },
            format="json",
        )
        assert response.status_code == 201
        event = BehavioralEvent.objects.get()
        assert (event.user, event.data, event.redacted_fields) == (
            viewer, {"goal": 3, "note": "ping me at [redacted]"}, 2,
        )
        assert response.json()["data"] == {"goal": 3, "note": "ping me at [redacted]"}

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"event_type": "teleport"}, "event_type"),
            ({"data": ["not", "an", "object"]}, "data"),
            ({"timestamp": "last tuesday"}, "timestamp"),
            ({"timestamp": "9999-12-31T00:00:00Z"}, "timestamp"),
            ({"data": {"blob": "x" * 20000}}, "data"),
        ],
    )
    def test_bad_input_is_400_and_nothing_stored(self, body, field, workspace, member, client_for):
        payload = {"workspace": workspace.pk, "event_type": "page_view", "data": {}} | body
        response = client_for(member).post("/api/v1/events/", payload, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert BehavioralEvent.objects.count() == 0

    def test_a_time_ahead_of_the_clock_is_400_beyond_the_allowed_drift(self, workspace, member, client_for):
        from django.utils import timezone

        now = timezone.now()
        payload = {"workspace": workspace.pk, "event_type": "page_view", "data": {}}
        late = client_for(member).post("/api/v1/events/", payload | {
            "timestamp": (now + dt.timedelta(hours=2)).isoformat()}, format="json")
        assert (late.status_code, late.json()) == (400, {"timestamp": ["Cannot be in the future."]})
        assert BehavioralEvent.objects.count() == 0
        drifted = client_for(member).post("/api/v1/events/", payload | {
            "timestamp": (now + dt.timedelta(minutes=30)).isoformat()}, format="json")
        assert drifted.status_code == 201

    def test_members_see_only_their_own_events_and_managers_see_all(self, workspace, member, owner, client_for):
        mine = f.BehavioralEventFactory(workspace=workspace, user=member)
        theirs = f.BehavioralEventFactory(workspace=workspace, user=owner)
        assert [e["id"] for e in client_for(member).get("/api/v1/events/").json()["results"]] == [mine.pk]
        assert client_for(member).get(f"/api/v1/events/{theirs.pk}/").status_code == 404
        owner_ids = {e["id"] for e in client_for(owner).get("/api/v1/events/").json()["results"]}
        assert owner_ids == {mine.pk, theirs.pk}

    def test_another_workspace_event_is_404(self, other_workspace, outsider, workspace, member, client_for):
        theirs = f.BehavioralEventFactory(workspace=other_workspace, user=outsider)
        f.MembershipFactory(workspace=workspace, user=f.UserFactory(), role=Membership.Role.OWNER)
        client = client_for(member)
        assert client.get(f"/api/v1/events/{theirs.pk}/").status_code == 404
        assert client.delete(f"/api/v1/events/{theirs.pk}/").status_code == 404
        assert client.get("/api/v1/events/").json()["results"] == []
        assert BehavioralEvent.objects.filter(pk=theirs.pk).exists()

    def test_events_cannot_be_edited(self, workspace, member, client_for):
        event = f.BehavioralEventFactory(workspace=workspace, user=member)
        assert client_for(member).patch(f"/api/v1/events/{event.pk}/", {"data": {}}, format="json").status_code == 405

    def test_recording_into_another_workspace_is_400(self, other_workspace, member, client_for):
        response = client_for(member).post(
            "/api/v1/events/", {"workspace": other_workspace.pk, "event_type": "page_view"}, format="json"
        )
        assert response.status_code == 400
        assert BehavioralEvent.objects.count() == 0


def contribution_body(workspace, goal_id: int, amount_json: str) -> bytes:
    """A raw JSON body (``1e400`` must reach the parser as written: it parses as infinity)."""
    return (
        f'{{"workspace": {workspace.pk}, "event_type": "goal_modification", '
        f'"data": {{"action": "contribute", "goal_id": {goal_id}, "amount": {amount_json}}}}}'
    ).encode()


@pytest.mark.django_db
class TestEventNumbers:
    @pytest.mark.parametrize(
        ("amount_json", "message"),
        [
            ("1e308", "“amount” must be at most 1,000,000,000,000 in absolute value."),
            ("-1e13", "“amount” must be at most 1,000,000,000,000 in absolute value."),
            ("1000000000001", "“amount” must be at most 1,000,000,000,000 in absolute value."),
            ("1" + "0" * 400, "“amount” must be at most 1,000,000,000,000 in absolute value."),
            # infinity (how 1e400 parses) is not JSON: DRF's JSONField refuses it first
            ("1e400", "Value must be valid JSON."),
            ("-1e400", "Value must be valid JSON."),
        ],
    )
    def test_non_finite_or_huge_amounts_are_400_and_nothing_stored(
        self, amount_json, message, workspace, member, client_for
    ):
        # given a goal of the workspace
        goal = f.GoalFactory(workspace=workspace)
        # when a member records a contribution of an impossible amount
        response = client_for(member).post(
            "/api/v1/events/", contribution_body(workspace, goal.pk, amount_json), content_type="application/json"
        )
        # then it is refused with the reason, and nothing is stored
        assert response.status_code == 400
        assert response.json() == {"data": [message]}
        assert BehavioralEvent.objects.count() == 0

    def test_a_huge_amount_under_any_amount_key_is_400(self, workspace, member, client_for):
        body = {"workspace": workspace.pk, "event_type": "purchase", "data": {"items": [{"unit_amount": 2e12}]}}
        response = client_for(member).post("/api/v1/events/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"data": ["“unit_amount” must be at most 1,000,000,000,000 in absolute value."]}
        assert BehavioralEvent.objects.count() == 0

    def test_large_numbers_that_are_not_amounts_are_kept(self, workspace, member, client_for):
        body = {"workspace": workspace.pk, "event_type": "page_view", "data": {"client_ms": 1_750_000_000_000}}
        assert client_for(member).post("/api/v1/events/", body, format="json").status_code == 201
        assert BehavioralEvent.objects.get().data == {"client_ms": 1_750_000_000_000}

    def test_the_largest_plausible_amount_is_stored(self, workspace, member, client_for):
        goal = f.GoalFactory(workspace=workspace)
        response = client_for(member).post(
            "/api/v1/events/", contribution_body(workspace, goal.pk, "-1000000000000"),
            content_type="application/json",
        )
        assert response.status_code == 201
        assert BehavioralEvent.objects.get().data == {"action": "contribute", "goal_id": goal.pk,
                                                      "amount": -1000000000000}

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"action": "contribute", "total_amount": 1e308},
             "“total_amount” must be at most 1,000,000,000,000 in absolute value."),
            ({"filters": [{"min": float("inf")}]}, "“min” must be a finite number."),
            ({"amount": float("nan")}, "“amount” must be a finite number."),
        ],
    )
    def test_the_model_refuses_them_too(self, data, message, workspace, member):
        # the admin's form validates through the model's clean()
        event = BehavioralEvent(workspace=workspace, user=member, event_type="goal_modification", data=data)
        with pytest.raises(ValidationError) as exc:
            event.clean()
        assert exc.value.message_dict == {"data": [message]}
