"""/api/v1/events/: every member records their own events, filtered for privacy."""

import pytest

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
            ({"data": {"blob": "x" * 20000}}, "data"),
        ],
    )
    def test_bad_input_is_400_and_nothing_stored(self, body, field, workspace, member, client_for):
        payload = {"workspace": workspace.pk, "event_type": "page_view", "data": {}} | body
        response = client_for(member).post("/api/v1/events/", payload, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert BehavioralEvent.objects.count() == 0

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
