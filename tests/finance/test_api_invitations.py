"""/api/v1/invitations/: membership by invitation that the invited user accepts.

An owner names someone by username or e-mail; the answer is the same whether or not that
person has an account, and shows no one's name. Only the invited user accepts (and so
joins) or declines; another workspace's invitation is a 404 like every other row."""

import datetime as dt

import pytest
from django.utils import timezone

from finance.models import Invitation, Membership
from tests import factories as f

URL = "/api/v1/invitations/"
FIELDS = {"id", "workspace", "workspace_name", "username", "email", "role", "status", "for_you", "created_at",
          "expires_at", "answered_at"}


def _url(invitation, action=""):
    return f"{URL}{invitation.pk}/" + (f"{action}/" if action else "")


def _invite(client, workspace, **body):
    return client.post(URL, {"workspace": workspace.pk, "role": "member"} | body, format="json")


def _stable(answer):
    """An answer without what differs between any two invitations (id, name typed, times)."""
    return {k: v for k, v in answer.items() if k not in {"id", "username", "email", "created_at", "expires_at"}}


def snapshot():
    return (list(Invitation.objects.order_by("pk").values()), list(Membership.objects.order_by("pk").values()))


@pytest.fixture
def newcomer(db):
    return f.UserFactory(username="newcomer", email="Newcomer@Example.com")


@pytest.mark.django_db
class TestInvitationFlow:
    def test_invite_list_accept_end_to_end(self, workspace, owner, newcomer, client_for):
        # Given an owner who invites "newcomer" as a viewer
        response = _invite(client_for(owner), workspace, username="newcomer", role="viewer")
        assert response.status_code == 201
        created = response.json()
        invitation = Invitation.objects.get()
        assert created == {
            "id": invitation.pk, "workspace": workspace.pk, "workspace_name": "Bakery A", "username": "newcomer",
            "email": "", "role": "viewer", "status": "pending", "for_you": False,
            "created_at": created["created_at"], "expires_at": created["expires_at"], "answered_at": None,
        }
        assert invitation.expires_at - invitation.created_at == dt.timedelta(days=7)
        assert invitation.invited_by == owner
        # Then nobody joined yet
        assert not Membership.objects.filter(user=newcomer).exists()
        assert client_for(newcomer).get(f"/api/v1/workspaces/{workspace.pk}/").status_code == 404

        # When the invited user looks at their invitations
        listed = client_for(newcomer).get(URL).json()
        assert [(i["id"], i["workspace_name"], i["role"], i["status"], i["for_you"]) for i in listed["results"]] == [
            (invitation.pk, "Bakery A", "viewer", "pending", True)]
        # And accepts
        response = client_for(newcomer).post(_url(invitation, "accept"))
        assert response.status_code == 201
        membership = Membership.objects.get(user=newcomer)
        assert response.json() == {
            "id": membership.pk, "workspace": workspace.pk, "user": newcomer.pk, "username": "newcomer",
            "role": "viewer", "joined_at": response.json()["joined_at"],
        }
        # Then they are a viewer of the workspace, and the invitation is closed
        assert (membership.workspace, membership.role) == (workspace, "viewer")
        invitation.refresh_from_db()
        assert (invitation.status, invitation.accepted_by, invitation.answered_at is not None) == (
            "accepted", newcomer, True)
        assert client_for(newcomer).get(f"/api/v1/workspaces/{workspace.pk}/").json()["role"] == "viewer"
        members = client_for(owner).get("/api/v1/memberships/").json()["results"]
        assert sorted(m["username"] for m in members) == sorted([owner.username, "newcomer"])
        # And a second answer is refused without writing
        before = snapshot()
        response = client_for(newcomer).post(_url(invitation, "accept"))
        assert (response.status_code, response.json()) == (409, {"detail": "This invitation was accepted already."})
        assert snapshot() == before

    def test_an_invitation_by_e_mail_is_matched_to_the_account(self, workspace, owner, newcomer, client_for):
        response = _invite(client_for(owner), workspace, email="newcomer@example.COM")
        assert response.status_code == 201
        invitation = Invitation.objects.get()
        assert [i["id"] for i in client_for(newcomer).get(URL).json()["results"]] == [invitation.pk]
        assert client_for(newcomer).post(_url(invitation, "accept")).status_code == 201
        assert Membership.objects.get(user=newcomer).role == "member"

    def test_declining_closes_it_and_nobody_joins(self, workspace, owner, newcomer, client_for):
        invitation = f.InvitationFactory(workspace=workspace, username="newcomer", invited_by=owner)
        response = client_for(newcomer).post(_url(invitation, "decline"))
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["answered_at"] is not None) == ("declined", True)
        assert not Membership.objects.filter(user=newcomer).exists()
        before = snapshot()
        response = client_for(newcomer).post(_url(invitation, "accept"))
        assert (response.status_code, response.json()) == (409, {"detail": "This invitation was declined already."})
        assert snapshot() == before

    def test_an_expired_invitation_cannot_be_accepted(self, workspace, newcomer, client_for):
        invitation = f.InvitationFactory(workspace=workspace, username="newcomer",
                                         expires_at=timezone.now() - dt.timedelta(minutes=1))
        assert client_for(newcomer).get(_url(invitation)).json()["status"] == "expired"
        before = snapshot()
        response = client_for(newcomer).post(_url(invitation, "accept"))
        assert (response.status_code, response.json()) == (
            409, {"detail": "This invitation has expired; ask the workspace's owner for a new one."})
        assert snapshot() == before

    def test_a_member_already_is_told_so_and_nothing_changes(self, workspace, member, client_for):
        invitation = f.InvitationFactory(workspace=workspace, username=member.username, role="owner")
        before = snapshot()
        response = client_for(member).post(_url(invitation, "accept"))
        assert (response.status_code, response.json()) == (
            409, {"detail": "You are a member of this workspace already."})
        assert snapshot() == before
        assert Membership.objects.get(user=member).role == "member"

    def test_the_owner_withdraws_an_invitation(self, workspace, owner, newcomer, client_for):
        invitation = f.InvitationFactory(workspace=workspace, username="newcomer")
        before = snapshot()
        assert client_for(newcomer).delete(_url(invitation)).status_code == 403  # the invitee declines instead
        assert snapshot() == before
        assert client_for(owner).delete(_url(invitation)).status_code == 204
        assert not Invitation.objects.exists()
        assert client_for(newcomer).post(_url(invitation, "accept")).status_code == 404


@pytest.mark.django_db
class TestNoDisclosure:
    def test_the_answer_is_the_same_whether_or_not_the_user_exists(self, workspace, owner, newcomer, member,
                                                                   client_for):
        client = client_for(owner)
        # Given invitations of an existing user, an unknown name, a member and an existing e-mail
        answers = [_invite(client, workspace, username=name) for name in ("newcomer", "nobody-by-this-name",
                                                                          member.username)]
        answers.append(_invite(client, workspace, email="newcomer@example.com"))
        # Then every answer is a 201 of the same shape and content, with only what the owner typed
        assert [a.status_code for a in answers] == [201] * 4
        assert {frozenset(a.json()) for a in answers} == {frozenset(FIELDS)}
        assert [_stable(a.json()) for a in answers] == [
            {"workspace": workspace.pk, "workspace_name": "Bakery A", "role": "member", "status": "pending",
             "for_you": False, "answered_at": None}] * 4
        assert [a.json()["username"] for a in answers] == ["newcomer", "nobody-by-this-name", member.username, ""]
        assert answers[3].json()["email"] == "newcomer@example.com"  # never the account's username
        # And the owner's list says no more
        listed = client.get(URL).json()["results"]
        assert [_stable(i) for i in listed] == [_stable(a.json()) for a in answers]
        assert not any(str(newcomer.pk) == str(value) for i in listed for key, value in i.items() if key != "id")

    def test_the_invitee_sees_the_workspace_not_its_people(self, workspace, owner, newcomer, client_for):
        invitation = f.InvitationFactory(workspace=workspace, username="newcomer", invited_by=owner)
        answer = client_for(newcomer).get(_url(invitation)).json()
        assert set(answer) == FIELDS
        assert owner.username not in str(answer.values())
        assert client_for(newcomer).get("/api/v1/memberships/", {"workspace": workspace.pk}).json()["results"] == []


@pytest.mark.django_db
class TestTenancyAndRoles:
    @pytest.mark.parametrize("method", ["get", "delete"])
    def test_another_workspace_invitation_is_404_and_untouched(self, method, other_workspace, owner, client_for):
        theirs = f.InvitationFactory(workspace=other_workspace)
        before = snapshot()
        assert getattr(client_for(owner), method)(_url(theirs)).status_code == 404
        assert snapshot() == before

    @pytest.mark.parametrize("action", ["accept", "decline"])
    def test_only_the_invited_user_answers(self, action, workspace, owner, outsider, newcomer, client_for):
        invitation = f.InvitationFactory(workspace=workspace, username="newcomer")
        before = snapshot()
        for someone in (outsider, owner):  # a stranger, and the owner who can read it
            assert client_for(someone).post(_url(invitation, action)).status_code == 404
        assert snapshot() == before

    def test_lists_are_scoped(self, workspace, other_workspace, owner, member, newcomer, client_for):
        mine = f.InvitationFactory(workspace=workspace, username="someone")
        f.InvitationFactory(workspace=other_workspace, username="someone-else")
        for_newcomer = f.InvitationFactory(workspace=other_workspace, username="newcomer")
        assert [i["id"] for i in client_for(owner).get(URL).json()["results"]] == [mine.pk]
        assert client_for(member).get(URL).json()["results"] == []  # members who are not owners see none
        assert [i["id"] for i in client_for(newcomer).get(URL).json()["results"]] == [for_newcomer.pk]
        assert client_for(owner).get(URL, {"workspace": other_workspace.pk}).json()["results"] == []

    def test_inviting_into_another_workspace_is_400(self, other_workspace, owner, client_for):
        response = _invite(client_for(owner), other_workspace, username="newcomer")
        assert response.status_code == 400
        assert list(response.json()) == ["workspace"]
        assert not Invitation.objects.exists()

    @pytest.mark.parametrize("role", [Membership.Role.MANAGER, Membership.Role.MEMBER, Membership.Role.VIEWER])
    def test_only_owners_invite(self, role, workspace, client_for):
        user = f.MembershipFactory(workspace=workspace, role=role).user
        response = _invite(client_for(user), workspace, username="newcomer")
        assert (response.status_code, response.json()) == (403, {"detail": "Only the workspace's owners invite people."})
        assert not Invitation.objects.exists()

    def test_anonymous_is_401(self, api_client):
        assert api_client.get(URL).status_code == 401

    def test_list_query_count_is_flat(self, workspace, owner, client_for, django_assert_num_queries):
        f.InvitationFactory.create_batch(3, workspace=workspace)
        client = client_for(owner)
        with django_assert_num_queries(2):
            assert client.get(URL).json()["count"] == 3
        f.InvitationFactory.create_batch(7, workspace=workspace)
        with django_assert_num_queries(2):
            assert client.get(URL).json()["count"] == 10


@pytest.mark.django_db
class TestBadInput:
    @pytest.mark.parametrize("body", [{}, {"username": "a", "email": "a@example.com"}, {"username": "  "}],
                             ids=["neither", "both", "blank"])
    def test_one_of_username_or_email(self, body, workspace, owner, client_for):
        response = _invite(client_for(owner), workspace, **body)
        assert (response.status_code, response.json()) == (
            400, {"username": ["Give either a username or an e-mail address."]})
        assert not Invitation.objects.exists()

    def test_bad_role_and_email_are_named(self, workspace, owner, client_for):
        response = _invite(client_for(owner), workspace, email="not-an-address", role="emperor")
        assert response.status_code == 400
        assert sorted(response.json()) == ["email", "role"]
        assert not Invitation.objects.exists()

    def test_a_second_open_invitation_is_refused(self, workspace, owner, client_for):
        client = client_for(owner)
        assert _invite(client, workspace, email="Someone@example.com").status_code == 201
        response = _invite(client, workspace, email="someone@EXAMPLE.com")
        assert (response.status_code, response.json()) == (
            400, {"detail": "someone@EXAMPLE.com has an open invitation to this workspace already."})
        assert Invitation.objects.count() == 1
