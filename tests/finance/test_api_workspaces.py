"""/api/v1/workspaces/ and /api/v1/memberships/: who sees and manages a workspace."""

import pytest

from finance.models import Membership, Workspace
from tests import factories as f


@pytest.mark.django_db
class TestWorkspaces:
    def test_list_shows_my_workspaces_with_my_role(self, workspace, other_workspace, viewer, client_for):
        response = client_for(viewer).get("/api/v1/workspaces/")
        assert response.status_code == 200
        assert [(w["id"], w["role"]) for w in response.json()["results"]] == [(workspace.pk, "viewer")]

    def test_creating_makes_me_owner(self, client_for):
        user = f.UserFactory()
        response = client_for(user).post(
            "/api/v1/workspaces/", {"name": "Smith household", "kind": "household", "currency": "eur"}
        )
        assert response.status_code == 201
        created = Workspace.objects.get(pk=response.json()["id"])
        assert (created.name, created.kind, created.currency, created.slug) == (
            "Smith household", "household", "EUR", "smith-household",
        )
        assert response.json()["role"] == "owner"
        assert Membership.objects.get(workspace=created).role == Membership.Role.OWNER

    def test_bad_currency_is_400_and_nothing_written(self, client_for):
        user = f.UserFactory()
        response = client_for(user).post("/api/v1/workspaces/", {"name": "X", "currency": "EURO"})
        assert response.status_code == 400
        assert "currency" in response.json()
        assert not Workspace.objects.filter(name="X").exists()

    def test_owner_sets_the_public_holidays_country_and_region(self, workspace, owner, client_for):
        response = client_for(owner).patch(f"/api/v1/workspaces/{workspace.pk}/",
                                           {"holidays_country": "DE", "holidays_region": "BY"})
        assert response.status_code == 200
        assert (response.json()["holidays_country"], response.json()["holidays_region"]) == ("DE", "BY")
        workspace.refresh_from_db()
        assert (workspace.holidays_country, workspace.holidays_region) == ("DE", "BY")

    @pytest.mark.parametrize(
        ("payload", "field", "message"),
        [
            ({"holidays_country": "XX"}, "holidays_country",
             "Unknown country code XX: use an ISO 3166-1 code in upper case, e.g. DE, FR or US."),
            ({"holidays_region": "BY"}, "holidays_region", "Choose the country first: a region belongs to one."),
            ({"holidays_country": "FR", "holidays_region": "BY"}, "holidays_region",
             "BY is not a region of FR with holidays of its own; known: "),
        ],
    )
    def test_bad_holidays_are_400_naming_the_field_and_nothing_written(self, workspace, owner, client_for,
                                                                         payload, field, message):
        response = client_for(owner).patch(f"/api/v1/workspaces/{workspace.pk}/", payload)
        assert response.status_code == 400
        assert list(response.json()) == [field]
        assert response.json()[field][0].startswith(message)
        workspace.refresh_from_db()
        assert (workspace.holidays_country, workspace.holidays_region) == ("", "")

    @pytest.mark.parametrize("role", [Membership.Role.MANAGER, Membership.Role.MEMBER, Membership.Role.VIEWER])
    def test_only_owner_renames_or_deletes(self, role, workspace, client_for):
        user = f.MembershipFactory(workspace=workspace, role=role).user
        client = client_for(user)
        assert client.patch(f"/api/v1/workspaces/{workspace.pk}/", {"name": "Renamed"}).status_code == 403
        assert client.delete(f"/api/v1/workspaces/{workspace.pk}/").status_code == 403
        workspace.refresh_from_db()
        assert workspace.name == "Bakery A"

    def test_owner_renames(self, workspace, owner, client_for):
        response = client_for(owner).patch(f"/api/v1/workspaces/{workspace.pk}/", {"name": "Renamed"})
        assert response.status_code == 200
        workspace.refresh_from_db()
        assert workspace.name == "Renamed"

    def test_another_workspace_is_404(self, other_workspace, owner, client_for):
        client = client_for(owner)
        assert client.get(f"/api/v1/workspaces/{other_workspace.pk}/").status_code == 404
        assert client.delete(f"/api/v1/workspaces/{other_workspace.pk}/").status_code == 404
        assert Workspace.objects.filter(pk=other_workspace.pk).exists()


@pytest.mark.django_db
class TestMemberships:
    def test_members_are_not_added_directly(self, workspace, owner, client_for):
        # People join by accepting an invitation (test_api_invitations.py), never by an owner's POST
        newcomer = f.UserFactory()
        response = client_for(owner).post(
            "/api/v1/memberships/", {"workspace": workspace.pk, "user": newcomer.pk, "role": "viewer"}
        )
        assert response.status_code == 405
        assert not Membership.objects.filter(user=newcomer).exists()

    def test_a_membership_changes_role_never_person(self, workspace, owner, member, client_for):
        mine = Membership.objects.get(user=member)
        other = f.UserFactory()
        response = client_for(owner).patch(f"/api/v1/memberships/{mine.pk}/", {"user": other.pk, "role": "viewer"})
        assert response.status_code == 200
        mine.refresh_from_db()
        assert (mine.user, mine.role) == (member, "viewer")
        assert not Membership.objects.filter(user=other).exists()

    def test_memberships_of_other_workspaces_are_invisible(self, workspace, other_workspace, owner, outsider, client_for):
        response = client_for(owner).get("/api/v1/memberships/")
        assert {m["workspace"] for m in response.json()["results"]} == {workspace.pk}
        theirs = Membership.objects.get(user=outsider)
        assert client_for(owner).delete(f"/api/v1/memberships/{theirs.pk}/").status_code == 404
        assert Membership.objects.filter(pk=theirs.pk).exists()

    def test_last_owner_cannot_leave_or_be_demoted(self, workspace, owner, client_for):
        mine = Membership.objects.get(user=owner)
        client = client_for(owner)
        response = client.patch(f"/api/v1/memberships/{mine.pk}/", {"role": "member"})
        assert response.status_code == 400
        assert response.json()["role"] == ["A workspace needs at least one owner."]
        response = client.delete(f"/api/v1/memberships/{mine.pk}/")
        assert response.status_code == 400
        mine.refresh_from_db()
        assert mine.role == "owner"
