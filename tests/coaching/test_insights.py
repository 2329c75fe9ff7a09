"""Rule-based insights and the privacy-keeping peer comparison."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from coaching.models import Segment, SegmentAssignment
from coaching.selectors import coaching_context
from coaching.services.insights import insights_for
from coaching.services.peers import peer_comparison, segment_details_shown, smoothed_quantile
from coaching.services.recommendations import offers_for
from finance.models import Membership
from tests import factories as f
from tests.coaching.books import month, monthly

pytestmark = pytest.mark.django_db


class TestInsights:
    def test_over_budget_growth_and_goal_off_track(self, workspace):
        # given Dining 450 spent of a 400 budget this month; Shopping 100, 100, 100, 400;
        # Fuel 10, 10, 10, 40 (too small to matter); a goal with nothing saved towards it
        today = timezone.localdate()
        dining, shopping, fuel = (f.CategoryFactory(workspace=workspace, name=n) for n in ("Dining", "Shopping", "Fuel"))
        f.BudgetFactory(workspace=workspace, category=dining, amount=Decimal("400"), start_date=dt.date(2020, 1, 1))
        f.TransactionFactory(workspace=workspace, category=dining, amount=Decimal("450"), date=today)
        monthly(workspace, [100, 100, 100, 400], category=shopping)
        monthly(workspace, [10, 10, 10, 40], category=fuel)
        goal = f.GoalFactory(workspace=workspace, name="Van", target_amount=Decimal("1000"), saved_amount=Decimal("0"),
                             deadline=today + dt.timedelta(days=365))
        # when
        found = insights_for(ctx=coaching_context(workspace=workspace, today=today))
        # then warnings first (largest first), then information
        assert [(i.kind, i.severity) for i in found] == [
            ("goal_off_track", "warning"), ("over_budget", "warning"), ("category_growth", "info")]
        off_track, over, growth = found
        assert over.text == "Dining has spent $450 of its $400 budget this month (113%), $50 over."
        assert growth.text == (f"Shopping: $400 in {month(1):%B %Y}, up 300% on its $100 average of the three "
                               "months before.")
        # -(3 × 110 + 440) / 4: the net of the four months with books, shared by one goal
        assert off_track.data == {"goal": goal.pk, "probability": 0.0, "monthly_mean": -192.5,
                                  "required_monthly": off_track.data["required_monthly"]}
        assert off_track.title == "“Van” is off track"

    def test_quiet_books_have_no_insights(self, workspace):
        monthly(workspace, [100] * 6, category=f.CategoryFactory(workspace=workspace))
        assert insights_for(ctx=coaching_context(workspace=workspace, today=timezone.localdate())) == []

    @pytest.mark.parametrize(("amounts", "grows"), [
        ([200, 200, 200, 260], True),  # × 1.3 and 60 more
        ([200, 200, 200, 256], False),  # × 1.28: the recommendation alone took × 1.25 once
        ([100, 100, 100, 140], False),  # × 1.4 but only 40 more
    ])
    def test_the_growth_insight_and_the_curb_recommendation_follow_one_rule(self, workspace, amounts, grows):
        # given Shopping's spending of the last four months
        monthly(workspace, amounts, category=f.CategoryFactory(workspace=workspace, name="Shopping"))
        # when the insights and the recommendations are written from the same books
        ctx = coaching_context(workspace=workspace, today=timezone.localdate())
        kinds = [i.kind for i in insights_for(ctx=ctx)]
        arms = [o.arm for o in offers_for(ctx)]
        # then both see the growth, or neither does
        assert kinds == (["category_growth"] if grows else [])
        assert ("curb_category_growth" in arms) is grows


def segment_with(workspaces, kind="business"):
    segment = Segment.objects.create(kind=kind, key=f"{kind}-savers", name="Savers", computed_at=timezone.now(),
                                     size=len(workspaces), workspace_count=len(workspaces))
    users = []
    for workspace in workspaces:
        user = f.MembershipFactory(workspace=workspace, role=Membership.Role.OWNER).user
        SegmentAssignment.objects.create(segment=segment, workspace=workspace, user=user, features={}, distance=0,
                                         computed_at=timezone.now())
        users.append(user)
    return segment, users


class TestPeerComparison:
    def peers(self, amounts, with_dining=4):
        """Workspaces with the given monthly Groceries; the first ``with_dining`` also have Dining."""
        workspaces = []
        for i, amount in enumerate(amounts):
            workspace = f.WorkspaceFactory()
            monthly(workspace, [amount] * 3, category=f.CategoryFactory(workspace=workspace, name="groceries"))
            if i < with_dining:
                monthly(workspace, [50] * 3, category=f.CategoryFactory(workspace=workspace, name="Dining"))
            workspaces.append(workspace)
        return workspaces

    def test_aggregates_only_with_five_peers_per_category(self, workspace):
        # given yours: Groceries 300 and Dining 80 a month; five peers with Groceries
        # 104, 198, 403, 512, 590 — only four of them with Dining
        monthly(workspace, [300] * 3, category=f.CategoryFactory(workspace=workspace, name="Groceries"))
        monthly(workspace, [80] * 3, category=f.CategoryFactory(workspace=workspace, name="Dining"))
        peers = self.peers([104, 198, 403, 512, 590])
        _, [you, *_] = segment_with([workspace, *peers])
        # when
        out = peer_comparison(workspace=workspace, user=you, today=timezone.localdate())
        # then: each quartile is the mean of the three order statistics around it, rounded
        # to tens — p25 (104 + 198 + 403) / 3 = 235, median (198 + 403 + 512) / 3 = 371,
        # p75 (403 + 512 + 590) / 3 = 501.67; 2 of 5 peers spend less → 40th percentile.
        # Totals 154, 248, 453, 562, 590: 285 → 280 (half to even), 421, 535 → 540
        figures = {"yours": 300.0, "peer_median": 370.0, "peer_p25": 240.0, "peer_p75": 500.0,
                   "your_percentile": 40, "peers": 5}
        assert out["categories"] == [{"name": "Groceries"} | figures]
        assert out["total"] == figures | {"yours": 380.0, "your_percentile": 40,
                                          "peer_median": 420.0, "peer_p25": 280.0, "peer_p75": 540.0}
        assert (out["available"], out["peers"], out["segment"]) == (True, 5, {"key": "business-savers",
                                                                               "name": "Savers"})
        text = repr(out)
        assert "104" not in text and "590" not in text and "512" not in text

    def test_no_published_figure_is_one_peers_own(self, workspace):
        # given five peers spending 1,000, 1,500, 2,345, 2,800 and 3,200 a month (where
        # np.percentile's quartiles would be the 2nd, 3rd and 4th peer's own figures)
        monthly(workspace, [2000] * 3)
        spends = [1000, 1500, 2345, 2800, 3200]
        peers = []
        for spend in spends:
            peer = f.WorkspaceFactory()
            monthly(peer, [spend] * 3)
            peers.append(peer)
        _, [you, *_] = segment_with([workspace, *peers])
        # when
        total = peer_comparison(workspace=workspace, user=you, today=timezone.localdate())["total"]
        # then p25 = (1,000 + 1,500 + 2,345) / 3 = 1,615, median = (1,500 + 2,345 + 2,800) / 3
        # = 2,215, p75 = (2,345 + 2,800 + 3,200) / 3 = 2,781.67 — rounded to tens
        assert total == {"yours": 2000.0, "peer_p25": 1620.0, "peer_median": 2220.0, "peer_p75": 2780.0,
                         "your_percentile": 40, "peers": 5}
        published = {total["peer_p25"], total["peer_median"], total["peer_p75"]}
        assert published.isdisjoint({float(round(s / 10) * 10) for s in spends})

    @pytest.mark.parametrize(
        ("values", "q", "expected"),
        [
            ([1, 2, 3, 4, 5], 0.25, 2.0),  # position 1: ranks 0, 1, 2
            ([1, 2, 3, 4, 5], 0.5, 3.0),  # position 2: ranks 1, 2, 3
            ([1, 2, 4, 8, 16, 32], 0.5, 6.0),  # position 2.5: ranks 2, 3
            ([1, 2, 4, 8, 16, 32], 0.25, 3.0),  # position 1.25: ranks 1, 2
            ([10, 30], 0.25, 20.0),  # position 0.25: both
            ([30, 10, 20], 0.75, 25.0),  # unsorted; position 1.5: ranks 1, 2
        ],
    )
    def test_each_quantile_is_a_mean_of_two_or_three_order_statistics(self, values, q, expected):
        assert smoothed_quantile(np.array(values, dtype=float), q) == expected

    def test_one_value_has_no_smoothed_quantile(self):
        with pytest.raises(ValueError, match="at least two values"):
            smoothed_quantile(np.array([5.0]), 0.5)

    @pytest.mark.parametrize(("workspace_count", "shown"), [(1, False), (2, False), (5, False), (6, True)])
    def test_segment_details_need_min_peers_other_workspaces(self, workspace_count, shown):
        assert segment_details_shown(segment=Segment(workspace_count=workspace_count)) is shown

    def test_fewer_than_five_peers_is_no_comparison(self, workspace):
        monthly(workspace, [300] * 3, category=f.CategoryFactory(workspace=workspace, name="Groceries"))
        _, [you, *_] = segment_with([workspace, *self.peers([100, 200, 300, 400])])
        out = peer_comparison(workspace=workspace, user=you, today=timezone.localdate())
        assert (out["available"], out["peers"], out["total"], out["categories"]) == (False, 4, None, [])
        assert out["reason"] == ("Your segment has 4 other workspace(s); a comparison needs at least 5, so that no "
                                 "one's figures can be told apart.")

    def test_members_of_your_own_workspace_are_not_peers(self, workspace):
        _, [you] = segment_with([workspace])
        for _ in range(5):
            SegmentAssignment.objects.create(
                segment=Segment.objects.get(), workspace=workspace,
                user=f.MembershipFactory(workspace=workspace).user, features={}, distance=0, computed_at=timezone.now())
        assert peer_comparison(workspace=workspace, user=you, today=timezone.localdate())["peers"] == 0

    def test_without_a_segment(self, workspace, member):
        out = peer_comparison(workspace=workspace, user=member, today=timezone.localdate())
        assert (out["available"], out["segment"]) == (False, None)
