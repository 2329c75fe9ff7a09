"""Segments from day one: a new member is placed at once (nearest segment of its kind, or
a starter one), by the membership signal and by POST /api/v1/coaching/refresh-segment/."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from coaching.models import Segment, SegmentAssignment
from coaching.services.segments import NEAREST, STARTER, segment_assign, segments_refresh
from finance.models import Membership, Workspace
from finance.services.workspaces import workspace_create
from tests import factories as f
from tests.coaching.books import monthly
from tests.coaching.test_segments import household, two_groups

pytestmark = pytest.mark.django_db
URL = "/api/v1/coaching/refresh-segment/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


class TestSegmentAssign:
    def test_a_new_household_joins_the_nearest_segment_without_reclustering(self):
        # Given the daily run's two household segments (savers, stretched budgets)
        two_groups()
        segments_refresh()
        before = dict(Segment.objects.values_list("key", "size"))
        # When a new saver household is placed
        newcomer = household(revenue=5000, expense=2050)
        owner = newcomer.memberships.get().user_id
        placement = segment_assign(workspace_id=newcomer.pk, user_id=owner)
        # Then it is in the savers' segment, which grew by one; nothing was re-clustered
        assert (placement.method, placement.assignment.segment.name) == (NEAREST, "Savers")
        after = dict(Segment.objects.values_list("key", "size"))
        assert after == before | {placement.assignment.segment.key: before[placement.assignment.segment.key] + 1}
        assert placement.assignment.distance > 0

    def test_without_segments_of_its_kind_a_starter_segment_named_by_the_savings_rate(self):
        # Given only household segments, and a new business that keeps 40 % of its revenue
        two_groups()
        segments_refresh()
        shop = f.WorkspaceFactory(kind=Workspace.Kind.BUSINESS)
        user = f.MembershipFactory(workspace=shop, role=Membership.Role.OWNER).user
        monthly(shop, [10000] * 6, kind="revenue")
        monthly(shop, [6000] * 6, category=f.CategoryFactory(workspace=shop, name="Stock"))
        # When it is placed
        placement = segment_assign(workspace_id=shop.pk, user_id=user.pk)
        # Then a business starter segment holds it, with its features as the centre
        segment = placement.assignment.segment
        assert (placement.method, segment.kind, segment.name, segment.size, segment.key) == (
            STARTER, "business", "Savers", 1, "business-starter-savers")
        assert segment.centroid["savings_rate"] == 0.4
        assert segment.description.startswith("Starter segment until the daily run clusters this kind.")

    def test_placing_again_moves_the_member_and_keeps_the_sizes_right(self):
        two_groups()
        segments_refresh()
        newcomer = household(revenue=5000, expense=2050)
        owner = newcomer.memberships.get().user_id
        segment_assign(workspace_id=newcomer.pk, user_id=owner)
        # the newcomer starts spending more than it earns
        monthly(newcomer, [4000] * 6, category=f.CategoryFactory(workspace=newcomer, name="Loans"))
        moved = segment_assign(workspace_id=newcomer.pk, user_id=owner)
        assert moved.assignment.segment.name == "Stretched budgets"
        sizes = {s.name: (s.size, SegmentAssignment.objects.filter(segment=s).count()) for s in Segment.objects.all()}
        assert sizes == {"Savers": (3, 3), "Stretched budgets": (4, 4)}

    def test_a_user_who_is_not_a_member_is_refused(self, workspace):
        with pytest.raises(Membership.DoesNotExist):
            segment_assign(workspace_id=workspace.pk, user_id=f.UserFactory().pk)


class TestFromDayOne:
    def test_a_new_workspace_owner_has_a_segment_right_after_joining(self, django_capture_on_commit_callbacks):
        # Given household segments from the daily run
        two_groups()
        segments_refresh()
        # When someone creates a household (the membership commits)
        user = f.UserFactory()
        with django_capture_on_commit_callbacks(execute=True):
            workspace = workspace_create(name="New home", owner=user, kind=Workspace.Kind.HOUSEHOLD)
        # Then the owner has a segment at once
        assignment = SegmentAssignment.objects.select_related("segment").get(workspace=workspace, user=user)
        assert assignment.segment.kind == "household"

    def test_a_failure_to_place_does_not_fail_the_join(self, django_capture_on_commit_callbacks, monkeypatch):
        def broken(**kwargs):
            raise RuntimeError("no features today")

        monkeypatch.setattr("coaching.services.segments.segment_assign", broken)
        user = f.UserFactory()
        with django_capture_on_commit_callbacks(execute=True):
            workspace = workspace_create(name="New home", owner=user, kind=Workspace.Kind.HOUSEHOLD)
        assert (Membership.objects.filter(workspace=workspace).count(), SegmentAssignment.objects.count()) == (1, 0)


class TestRefreshSegmentApi:
    def test_a_member_places_themselves(self):
        two_groups()
        segments_refresh()
        newcomer = household(revenue=5000, expense=2050)
        user = newcomer.memberships.get().user
        response = client_of(user).post(URL, {"workspace": newcomer.pk}, format="json")
        assert response.status_code == 200
        body = response.json()
        assert (body["workspace"], body["user"], body["segment"]["name"], body["method"]) == (
            newcomer.pk, user.pk, "Savers", "nearest")

    def test_a_manager_places_another_member_and_a_member_may_not(self, workspace, owner, member):
        assert client_of(owner).post(URL, {"workspace": workspace.pk, "user": member.pk},
                                     format="json").status_code == 200
        refused = client_of(member).post(URL, {"workspace": workspace.pk, "user": owner.pk}, format="json")
        assert (refused.status_code, refused.json()["detail"]) == (
            403, "Placing another member in a segment needs the owner or manager role.")

    def test_another_workspaces_user_is_404_and_nothing_is_written(self, workspace, other_workspace, owner,
                                                                    outsider):
        response = client_of(owner).post(URL, {"workspace": workspace.pk, "user": outsider.pk}, format="json")
        assert (response.status_code, response.json()["detail"]) == (
            404, f"User {outsider.pk} is not a member of this workspace.")
        assert client_of(outsider).post(URL, {"workspace": workspace.pk}, format="json").status_code == 404
        assert (Segment.objects.count(), SegmentAssignment.objects.count()) == (0, 0)

    @pytest.mark.parametrize(("body", "field"), [
        ({}, "workspace"), ({"workspace": "mine"}, "workspace"), ({"workspace": "WS", "user": 0}, "user"),
        ({"workspace": "WS", "segment": 3}, "segment"),
    ])
    def test_bad_input_is_400_naming_the_field(self, workspace, owner, body, field):
        body = {k: workspace.pk if v == "WS" else v for k, v in body.items()}
        response = client_of(owner).post(URL, body, format="json")
        assert (response.status_code, list(response.json())) == (400, [field])
        assert SegmentAssignment.objects.count() == 0

    def test_it_is_rate_limited(self, workspace, owner, monkeypatch):
        from django.core.cache import cache
        from rest_framework.throttling import ScopedRateThrottle

        cache.clear()
        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES",
                            ScopedRateThrottle.THROTTLE_RATES | {"segment_refresh": "2/hour"})
        client = client_of(owner)
        statuses = [client.post(URL, {"workspace": workspace.pk}, format="json").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
