"""Segmentation runs are versioned: each refresh is stored with its silhouette, k,
features and time and becomes current; a rollback restores the run before it (service,
command, admin action with its permission), walks further back when repeated, and places
members who joined since."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from coaching.models import Segment, SegmentAssignment, SegmentationRun
from coaching.services.segment_runs import SegmentationRunError, segmentation_run_rollback
from coaching.services.segments import FEATURES, segments_refresh
from tests import factories as f
from tests.coaching.books import book
from tests.coaching.test_segments import household, two_groups

pytestmark = pytest.mark.django_db


def placements() -> dict[tuple[int, int], str]:
    return {(a.workspace_id, a.user_id): a.segment.name for a in SegmentAssignment.objects.select_related("segment")}


def statuses() -> list[tuple[int, str]]:
    return list(SegmentationRun.objects.order_by("number").values_list("number", "status"))


class TestRuns:
    def test_each_refresh_is_a_run_with_its_quality(self):
        two_groups()
        report = segments_refresh()
        run = SegmentationRun.objects.get()
        segment = Segment.objects.first()
        assert (report.run, run.number, run.status, run.members, run.segment_count) == (
            1, 1, SegmentationRun.Status.CURRENT, 6, 2)
        assert (run.k, run.features, run.trigger) == ({"household": 2}, list(FEATURES), "schedule")
        assert run.silhouette == segment.silhouette == run.kinds["household"]["silhouette"]
        assert run.kinds["household"]["members"] == 6
        assert max(run.kinds["household"]["scores"].values()) == run.silhouette
        assert sorted(s["name"] for s in run.snapshot["segments"]) == ["Savers", "Stretched budgets"]
        assert len(run.snapshot["assignments"]) == 6
        segments_refresh()
        assert statuses() == [(1, "superseded"), (2, "current")]

    def test_only_the_kept_number_of_runs_stays(self, settings):
        settings.COACHING_SEGMENT_RUNS_KEPT = 2
        two_groups()
        for _ in range(3):
            segments_refresh()
        assert statuses() == [(2, "superseded"), (3, "current")]


class TestRollback:
    def test_the_previous_runs_segments_and_assignments_come_back(self):
        _, stretched = two_groups()
        segments_refresh()
        before = placements()
        first_keys = sorted(Segment.objects.values_list("key", "size", "workspace_count"))
        # the books change: the stretched households earn a lot more, the next run differs
        for ws in stretched:
            book(ws, 50000, offset=1, kind="revenue")
        segments_refresh()
        assert placements() != before
        run = segmentation_run_rollback(reason="Bad features")
        assert (run.number, statuses()) == (1, [(1, "current"), (2, "rolled_back")])
        assert placements() == before
        assert sorted(Segment.objects.values_list("key", "size", "workspace_count")) == first_keys
        rolled = SegmentationRun.objects.get(number=2)
        assert (rolled.rollback_reason, rolled.rolled_back_at is not None) == ("Bad features", True)

    def test_rolling_back_twice_walks_further_back_then_refuses(self):
        two_groups()
        for _ in range(3):
            segments_refresh()
        segmentation_run_rollback()
        segmentation_run_rollback()
        assert statuses() == [(1, "current"), (2, "rolled_back"), (3, "rolled_back")]
        with pytest.raises(SegmentationRunError, match="No run before run 1 is kept"):
            segmentation_run_rollback()
        assert statuses() == [(1, "current"), (2, "rolled_back"), (3, "rolled_back")]

    def test_a_new_run_after_a_rollback_supersedes_the_restored_one(self):
        two_groups()
        segments_refresh()
        segments_refresh()
        segmentation_run_rollback()
        segments_refresh()
        assert statuses() == [(1, "superseded"), (2, "rolled_back"), (3, "current")]
        assert segmentation_run_rollback().number == 1

    def test_a_member_who_joined_since_is_placed_in_the_nearest_restored_segment(self):
        two_groups()
        segments_refresh()
        segments_refresh()
        newcomer = household(revenue=5000, expense=2050)  # a saver
        segmentation_run_rollback()
        owner = newcomer.memberships.get().user_id
        assert placements()[newcomer.pk, owner] == "Savers"
        assert Segment.objects.get(name="Savers").size == 4

    def test_nothing_to_roll_back(self):
        with pytest.raises(SegmentationRunError, match="No segmentation run is current"):
            segmentation_run_rollback()
        two_groups()
        segments_refresh()
        before = placements()
        with pytest.raises(SegmentationRunError, match="No run before run 1 is kept"):
            segmentation_run_rollback()
        assert (placements(), statuses()) == (before, [(1, "current")])

    def test_the_command_rolls_back(self):
        two_groups()
        segments_refresh()
        with pytest.raises(CommandError, match="No run before run 1"):
            call_command("refresh_segments", "--rollback")
        segments_refresh()
        out = StringIO()
        call_command("refresh_segments", "--rollback", "--reason", "test", stdout=out)
        assert out.getvalue().splitlines()[0].startswith("Run 1 of ")
        assert SegmentationRun.objects.get(number=2).rollback_reason == "test"


class TestAdmin:
    def action(self, client, run, confirmed=True):
        data = {"action": "rollback_current", "_selected_action": [run.pk], "reason": "From admin"}
        if confirmed:
            data["confirmed"] = "yes"
        return client.post(reverse("admin:coaching_segmentationrun_changelist"), data, follow=True)

    def staff(self, *perms):
        user = f.UserFactory(is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(codename__in=perms))
        client = Client()
        client.force_login(user)
        return user, client

    def test_staff_with_the_permission_roll_back_after_confirming(self):
        two_groups()
        segments_refresh()
        segments_refresh()
        user, client = self.staff("view_segmentationrun", "rollback_segmentationrun")
        current = SegmentationRun.objects.get(number=2)
        page = self.action(client, current, confirmed=False)
        assert "Restore the segments and assignments" in page.content.decode()
        assert statuses() == [(1, "superseded"), (2, "current")]
        response = self.action(client, current)
        assert "Run 1 of " in response.content.decode()
        assert statuses() == [(1, "current"), (2, "rolled_back")]
        assert SegmentationRun.objects.get(number=2).rolled_back_by == user

    def test_staff_without_the_permission_cannot(self):
        two_groups()
        segments_refresh()
        segments_refresh()
        _, client = self.staff("view_segmentationrun")
        page = client.get(reverse("admin:coaching_segmentationrun_changelist"))
        assert page.status_code == 200 and "rollback_current" not in page.content.decode()
        self.action(client, SegmentationRun.objects.get(number=2))
        assert statuses() == [(1, "superseded"), (2, "current")]

    def test_only_the_current_run_can_be_rolled_back(self):
        two_groups()
        segments_refresh()
        segments_refresh()
        _, client = self.staff("view_segmentationrun", "rollback_segmentationrun")
        response = self.action(client, SegmentationRun.objects.get(number=1))
        assert "Select the current run (only) to roll it back." in response.content.decode()
        assert statuses() == [(1, "superseded"), (2, "current")]

    def test_the_snapshot_is_for_superusers(self):
        two_groups()
        segments_refresh()
        run = SegmentationRun.objects.get()
        _, client = self.staff("view_segmentationrun")
        page = client.get(reverse("admin:coaching_segmentationrun_change", args=[run.pk])).content.decode()
        assert "Savers (household, 3)" in page and "Snapshot" not in page
        admin = f.UserFactory(is_staff=True, is_superuser=True)
        client.force_login(admin)
        assert "Snapshot" in client.get(reverse("admin:coaching_segmentationrun_change", args=[run.pk])).content.decode()
