"""Segmentation: features from the books and events, k-means with k by silhouette,
readable names, the refresh (service, command, task, admin button, beat schedule)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coaching.models import Segment, SegmentAssignment
from coaching.services.segments import (
    FEATURES,
    cluster,
    member_features,
    segment_name,
    segments_refresh,
)
from coaching.tasks import segments_refresh_task
from finance.models import Membership, Workspace
from forecasting.training.schedules import declared_schedules
from tests import factories as f
from tests.coaching.books import monthly

pytestmark = pytest.mark.django_db


def household(user=None, *, revenue: float, expense: float, name: str = "Rent"):
    """A household with six months of flat revenue and expenses (in one category)."""
    workspace = f.WorkspaceFactory(kind=Workspace.Kind.HOUSEHOLD)
    f.MembershipFactory(workspace=workspace, user=user or f.UserFactory(), role=Membership.Role.OWNER)
    category = f.CategoryFactory(workspace=workspace, name=name)
    monthly(workspace, [revenue] * 6, kind="revenue")
    monthly(workspace, [expense] * 6, category=category)
    return workspace


def two_groups():
    """Three savers (60 % ± 2 % kept) and three households spending more than they earn."""
    savers = [household(revenue=5000, expense=e) for e in (2000, 2100, 1900)]
    stretched = [household(revenue=3000, expense=e) for e in (3300, 3400, 3200)]
    return savers, stretched


class TestFeatures:
    def test_features_are_computed_from_the_books_goals_and_events(self, workspace, owner):
        # given six months of 4,000 revenue and expenses alternating 2,000 / 3,000, of
        # which 500 a month is Dining; goals 50 % and 120 % funded; 26 events in 90 days
        dining = f.CategoryFactory(workspace=workspace, name="Dining")
        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        monthly(workspace, [4000] * 6, kind="revenue")
        monthly(workspace, [500] * 6, category=dining)
        monthly(workspace, [1500, 2500] * 3, category=rent)
        f.GoalFactory(workspace=workspace, target_amount=1000, saved_amount=500)
        f.GoalFactory(workspace=workspace, target_amount=1000, saved_amount=1200)
        now = timezone.now()
        f.BehavioralEventFactory.create_batch(26, workspace=workspace, user=owner, timestamp=now - dt.timedelta(days=3))
        f.BehavioralEventFactory(workspace=workspace, user=owner, timestamp=now - dt.timedelta(days=91))
        # when
        [member] = member_features(today=timezone.localdate(), now=now)
        # then: (24,000 - 15,000) / 24,000; std 500 / mean 2,500; 3,000 / 15,000;
        # 12,000 / 15,000; (0.5 + 1) / 2; 26 events / (90 / 7) weeks
        assert (member.workspace_id, member.user_id, member.kind) == (workspace.pk, owner.pk, "business")
        assert {k: round(v, 4) for k, v in member.features.items()} == {
            "savings_rate": 0.375, "spending_volatility": 0.2, "discretionary_share": 0.2,
            "top_category_share": 0.8, "goal_progress": 0.75, "engagement": 2.0222,
        }

    def test_a_workspace_without_books_has_zero_features(self, workspace, owner):
        [member] = member_features(today=timezone.localdate(), now=timezone.now())
        assert member.features == dict.fromkeys(FEATURES, 0.0)


class TestClustering:
    def test_two_clear_groups_give_k_2_by_silhouette(self):
        rng = np.random.default_rng(0)
        matrix = np.vstack([rng.normal(0, 0.1, (5, 3)), rng.normal(5, 0.1, (5, 3))])
        result = cluster(matrix)
        assert result.k == 2
        assert sorted(result.scores) == [2, 3, 4, 5]
        assert max(result.scores, key=result.scores.get) == 2
        assert result.labels.tolist() in ([0] * 5 + [1] * 5, [1] * 5 + [0] * 5)

    def test_too_few_members_are_one_segment(self):
        result = cluster(np.array([[0.1, 1.0], [0.3, 2.0], [0.2, 3.0], [0.4, 4.0], [0.5, 5.0]]))
        assert (result.k, result.silhouette, result.labels.tolist()) == (1, None, [0, 0, 0, 0, 0])
        assert result.centres.round(4).tolist() == [[0.3, 3.0]]

    def test_names_come_from_the_most_distinctive_feature(self):
        centre = dict.fromkeys(FEATURES, 0.0)
        z = dict.fromkeys(FEATURES, 0.1) | {"engagement": -2.0, "savings_rate": 1.5}
        assert segment_name(centre=centre, centre_z=z, k=2, taken=set()) == "Occasional visitors"
        assert segment_name(centre=centre, centre_z=z, k=2, taken={"Occasional visitors"}) == \
            "Occasional visitors, savers"
        assert segment_name(centre=centre | {"savings_rate": 0.25}, centre_z=z, k=1, taken=set()) == "Savers"
        assert segment_name(centre=centre | {"savings_rate": -0.1}, centre_z=z, k=1, taken=set()) == \
            "Stretched budgets"


class TestRefresh:
    def test_savers_and_stretched_households_are_told_apart(self):
        # given
        savers, stretched = two_groups()
        # when
        report = segments_refresh()
        # then
        assert (report.members, report.segments, report.by_kind) == (6, 2, {"household": 2})
        by_name = {s.name: s for s in Segment.objects.all()}
        assert sorted(by_name) == ["Savers", "Stretched budgets"]
        assert {a.workspace for a in by_name["Savers"].assignments.all()} == set(savers)
        assert {a.workspace for a in by_name["Stretched budgets"].assignments.all()} == set(stretched)
        saver = by_name["Savers"]
        assert (saver.key, saver.kind, saver.size, saver.workspace_count, saver.n_clusters) == (
            "household-savers", "household", 3, 3, 2)
        assert saver.centroid["savings_rate"] == 0.6
        assert saver.silhouette > 0.9
        assignment = SegmentAssignment.objects.get(workspace=savers[1])
        assert assignment.features["savings_rate"] == 0.58

    def test_refresh_replaces_the_previous_segments(self):
        two_groups()
        segments_refresh()
        first = set(Segment.objects.values_list("pk", flat=True))
        segments_refresh()
        assert Segment.objects.count() == 2
        assert SegmentAssignment.objects.count() == 6
        assert first.isdisjoint(Segment.objects.values_list("pk", flat=True))

    def test_businesses_and_households_are_clustered_apart(self, workspace, owner):
        household(revenue=3000, expense=1000)
        segments_refresh()
        assert sorted(Segment.objects.values_list("kind", "size")) == [("business", 1), ("household", 1)]

    def test_the_command_and_the_task_refresh(self):
        two_groups()
        out = StringIO()
        call_command("refresh_segments", stdout=out)
        assert out.getvalue().splitlines() == [
            "Segmented 6 member(s) into 2 segment(s).",
            "  Household: Savers — 3 member(s), 3 workspace(s)",
            "  Household: Stretched budgets — 3 member(s), 3 workspace(s)",
        ]
        Segment.objects.all().delete()
        assert segments_refresh_task.apply().get() == {"members": 6, "segments": 2, "k": {"household": 2}}
        assert Segment.objects.count() == 2

    def test_the_daily_refresh_is_declared_for_beat(self):
        schedule = next(s for s in declared_schedules() if s.task == "coaching.tasks.segments_refresh_task")
        assert (schedule.name, schedule.minute, schedule.hour, schedule.day_of_week) == (
            "coaching: daily segment refresh", "0", "5", "*")


class TestAdmin:
    URL = reverse("admin:coaching_segment_refresh")

    def test_a_superuser_refreshes_from_the_changelist(self):
        two_groups()
        admin = f.UserFactory(is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(admin)
        page = client.get(reverse("admin:coaching_segment_changelist"))
        assert "data-refresh-segments" in page.content.decode()
        response = client.post(self.URL, follow=True)
        assert response.redirect_chain == [(reverse("admin:coaching_segment_changelist"), 302)]
        assert "Segmented 6 member(s) into 2 segment(s)." in response.content.decode()
        assert Segment.objects.count() == 2

    def test_other_staff_cannot_refresh_and_nothing_is_computed(self):
        two_groups()
        staff = f.UserFactory(is_staff=True)
        client = Client()
        client.force_login(staff)
        assert client.post(self.URL).status_code == 403
        assert Segment.objects.count() == 0

    def test_only_superusers_see_a_segments_description_and_centroid(self):
        # given two segments of three households; a staff member allowed to view segments
        two_groups()
        segments_refresh()
        saver = Segment.objects.get(name="Savers")
        staff = f.UserFactory(is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_segment"))
        superuser = f.UserFactory(is_staff=True, is_superuser=True)
        url = reverse("admin:coaching_segment_change", args=[saver.pk])

        def page(user) -> str:
            client = Client()
            client.force_login(user)
            response = client.get(url)
            assert response.status_code == 200
            return response.content.decode()

        # when / then: other staff see the name and sizes only
        staff_html, super_html = page(staff), page(superuser)
        assert "Savers" in staff_html and "household-savers" in staff_html
        assert saver.description not in staff_html and "savings_rate" not in staff_html
        assert ("field-description" in staff_html, "field-centroid" in staff_html) == (False, False)
        # superusers see everything
        assert saver.description in super_html and "savings_rate" in super_html
        assert ("field-description" in super_html, "field-centroid" in super_html) == (True, True)

    def test_impressions_are_read_only_in_admin(self):
        from django.contrib import admin as django_admin

        from coaching.models import RecommendationImpression

        model_admin = django_admin.site._registry[RecommendationImpression]
        request = type("R", (), {"user": f.UserFactory(is_staff=True, is_superuser=True)})()
        assert (model_admin.has_add_permission(request), model_admin.has_change_permission(request),
                model_admin.has_delete_permission(request)) == (False, False, False)
