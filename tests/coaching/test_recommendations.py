"""Recommendations: the catalogue written from the books, Thompson sampling, impressions,
feedback updating the posteriors — and the bandit learning the better arm."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from coaching.models import BanditArm, BehavioralEvent, RecommendationImpression
from coaching.selectors import coaching_context
from coaching.services.recommendations import (
    FeedbackRefused,
    offers_for,
    recommendation_feedback,
    recommendations_choose,
    thompson_choose,
)
from coaching.services.segments import segments_refresh
from tests import factories as f
from tests.coaching.books import monthly

pytestmark = pytest.mark.django_db


def books(workspace):
    """Three months of 4,000 revenue; Dining 300, Streaming subscriptions 50 and Rent
    1,500 a month; Shopping 100, 100, 100 then 400 last month; a 400 Dining budget with
    450 spent this month; an emergency fund goal with 2,000 saved."""
    categories = {name: f.CategoryFactory(workspace=workspace, name=name)
                  for name in ("Dining", "Streaming subscriptions", "Rent", "Shopping")}
    monthly(workspace, [4000] * 3, kind="revenue")
    monthly(workspace, [300] * 3, category=categories["Dining"])
    monthly(workspace, [50] * 3, category=categories["Streaming subscriptions"])
    monthly(workspace, [1500] * 3, category=categories["Rent"])
    monthly(workspace, [100, 100, 100, 400], category=categories["Shopping"])
    f.BudgetFactory(workspace=workspace, category=categories["Dining"], amount=Decimal("400"),
                    start_date=timezone.localdate().replace(day=1, year=2020))
    f.TransactionFactory(workspace=workspace, category=categories["Dining"], amount=Decimal("450"),
                         date=timezone.localdate())
    f.GoalFactory(workspace=workspace, name="Emergency fund", target_amount=Decimal("10000"),
                  saved_amount=Decimal("2000"), deadline=timezone.localdate() + dt.timedelta(days=487))
    return categories


class TestCatalogue:
    def test_every_offer_carries_the_users_own_numbers(self, workspace):
        # given
        books(workspace)
        # when
        offers = {o.arm: o for o in offers_for(coaching_context(workspace=workspace, today=timezone.localdate()))}
        deadline = timezone.localdate() + dt.timedelta(days=487)  # 16 months of 30.4375 days: 8,000 / 16
        # then: last 3 months — expenses 300 + 50 + 1,500 + (100 + 100 + 400) / 3 = 2,050 a month
        assert list(offers) == ["cut_dining_out", "review_subscriptions", "automate_savings",
                                "build_emergency_fund", "stick_to_budget", "curb_category_growth"]
        assert offers["cut_dining_out"].text == (
            "You spent $300 a month on Dining over the last 3 months. "
            "Cutting it by 20% saves $60 a month — $720 a year.")
        assert offers["review_subscriptions"].text == (
            "Streaming subscriptions cost $50 a month ($600 a year) over the last 3 months. "
            "Cancelling the quarter you use least saves $150 a year.")
        assert offers["automate_savings"].text == (
            "You kept $1,950 a month (49% of income) over the last 3 months. "
            "An automatic transfer of $400 (10% of income) on payday makes saving the default.")
        assert offers["build_emergency_fund"].text == (
            "Three months of expenses is $6,150. Your “Emergency fund” goal holds $2,000 of its $10,000 target, "
            f"$8,000 to go. Setting aside $500 a month reaches it by {deadline:%B %Y}.")
        assert offers["stick_to_budget"].title == "Hold Dining to its budget"
        assert offers["stick_to_budget"].data == {
            "category": offers["stick_to_budget"].data["category"], "limit": 400.0, "spent": 450.0, "percent": 113}
        assert offers["curb_category_growth"].text == (
            "Shopping rose to $400 last month, 300% above its $100 average of the three months before. "
            "Bringing it back saves $300 a month.")

    def test_no_books_no_offers(self, workspace):
        assert offers_for(coaching_context(workspace=workspace, today=timezone.localdate())) == []


class TestEmergencyFund:
    """The reserve offer quotes a reserve goal with the goal's own figures (issue 19: a
    35,000 goal read "$219,358 to go", three months of spending less what it held)."""

    @staticmethod
    def offer(workspace):
        ctx = coaching_context(workspace=workspace, today=timezone.localdate())
        return next(o for o in offers_for(ctx) if o.arm == "build_emergency_fund")

    def test_a_business_goal_below_three_months_is_quoted_with_its_own_target(self, workspace):
        # given a business spending 80,000 a month and a 35,000 cash-reserve goal holding
        # 19,250 with 13 months (396 days = 13.01 months) to its deadline
        monthly(workspace, [80000] * 3)
        deadline = timezone.localdate() + dt.timedelta(days=396)
        goal = f.GoalFactory(workspace=workspace, name="Cash reserve: three months of rent",
                             target_amount=Decimal("35000"), saved_amount=Decimal("19250"), deadline=deadline)
        # when
        offer = self.offer(workspace)
        # then the 15,750 still to go is the goal's: 35,000 − 19,250, over 13.0103 months = 1,210.58
        assert (offer.title, offer.text) == ("Build a cash reserve", (
            "Three months of expenses is $240,000. Your “Cash reserve: three months of rent” goal holds $19,250 of "
            f"its $35,000 target, $15,750 to go. Setting aside $1,211 a month reaches it by {deadline:%B %Y}."))
        assert offer.data == {"target": 240000.0, "saved": 19250.0, "remaining": 15750.0, "monthly": 1210.58,
                              "goal": goal.pk, "goal_target": 35000.0}

    def test_a_reached_goal_below_three_months_is_offered_the_rest(self, workspace):
        monthly(workspace, [1000] * 3)
        f.GoalFactory(workspace=workspace, name="Rainy day", target_amount=Decimal("2000"),
                      saved_amount=Decimal("2100"), deadline=timezone.localdate() + dt.timedelta(days=90))
        offer = self.offer(workspace)
        assert offer.text == (
            "Your “Rainy day” goal has reached its $2,000 target; three months of expenses is $3,000, $900 more. "
            "Raising the target and setting aside $75 a month gets there in a year.")
        assert (offer.data["remaining"], offer.data["monthly"]) == (900.0, 75.0)

    def test_a_past_deadline_spreads_the_rest_over_a_year(self, workspace):
        monthly(workspace, [1000] * 3)
        f.GoalFactory(workspace=workspace, name="Safety buffer", target_amount=Decimal("1200"),
                      saved_amount=Decimal("0"), deadline=timezone.localdate() - dt.timedelta(days=1))
        assert self.offer(workspace).text == (
            "Three months of expenses is $3,000. Your “Safety buffer” goal holds $0 of its $1,200 target, $1,200 to "
            "go. Setting aside $100 a month gets there in a year.")

    def test_without_a_goal_three_months_of_expenses_is_the_target(self, workspace):
        monthly(workspace, [1000] * 3)
        offer = self.offer(workspace)
        assert (offer.title, offer.text) == ("Build a cash reserve", (
            "Three months of expenses is $3,000. You have no emergency-fund goal yet. "
            "Setting aside $250 a month gets there in a year."))

    def test_a_reserve_of_three_months_is_not_offered(self, workspace):
        monthly(workspace, [1000] * 3)
        f.GoalFactory(workspace=workspace, name="Emergency fund", target_amount=Decimal("3000"),
                      saved_amount=Decimal("3000"))
        ctx = coaching_context(workspace=workspace, today=timezone.localdate())
        assert "build_emergency_fund" not in [o.arm for o in offers_for(ctx)]

    def test_no_books_no_offers_either(self, workspace):
        assert offers_for(coaching_context(workspace=workspace, today=timezone.localdate())) == []


class TestThompsonSampling:
    def test_draws_are_reproducible_with_a_seed(self):
        posteriors = {"a": (1.0, 1.0), "b": (30.0, 2.0), "c": (2.0, 30.0)}
        first = thompson_choose(posteriors=posteriors, arms=["a", "b", "c"], count=3, rng=np.random.default_rng(7))
        again = thompson_choose(posteriors=posteriors, arms=["a", "b", "c"], count=3, rng=np.random.default_rng(7))
        assert first == again
        assert [arm for arm, _ in first] == ["b", "c", "a"]
        assert [draw for _, draw in first] == sorted((draw for _, draw in first), reverse=True)

    def test_a_strong_posterior_wins_almost_always(self):
        rng = np.random.default_rng(0)
        posteriors = {"good": (40.0, 10.0), "bad": (10.0, 40.0)}
        wins = sum(thompson_choose(posteriors=posteriors, arms=["bad", "good"], count=1, rng=rng)[0][0] == "good"
                   for _ in range(1000))
        assert wins == 1000


class TestChooseAndFeedback:
    def test_choosing_records_impressions_in_rank_order(self, workspace, member):
        books(workspace)
        shown = recommendations_choose(workspace=workspace, user=member, count=3, rng=np.random.default_rng(3))
        stored = list(RecommendationImpression.objects.order_by("position"))
        assert [i.pk for i in shown] == [i.pk for i in stored]
        assert [i.position for i in stored] == [1, 2, 3]
        assert [i.sampled_value for i in stored] == sorted((i.sampled_value for i in stored), reverse=True)
        assert {(i.user, i.workspace, i.segment_key, i.status) for i in stored} == {
            (member, workspace, "business-unsegmented", "shown")}

    def test_the_segment_key_is_the_users_segment(self, workspace, member):
        books(workspace)
        segments_refresh()
        [shown] = recommendations_choose(workspace=workspace, user=member, count=1, rng=np.random.default_rng(0))
        assert shown.segment_key == "business-savers"

    def test_feedback_updates_the_posterior_once_per_impression(self, workspace, member):
        books(workspace)
        [shown] = recommendations_choose(workspace=workspace, user=member, count=1, rng=np.random.default_rng(0))
        impression, arm = recommendation_feedback(impression=shown, action="accepted", user=member)
        assert (impression.status, impression.reward, arm.alpha, arm.beta) == ("accepted", 1.0, 2.0, 1.0)
        impression, arm = recommendation_feedback(impression=shown, action="completed", user=member)
        assert (impression.status, impression.reward, arm) == ("completed", 1.0, None)
        posterior = BanditArm.objects.get()
        assert (posterior.segment_key, posterior.arm, posterior.alpha, posterior.beta) == (
            "business-unsegmented", shown.arm, 2.0, 1.0)
        events = BehavioralEvent.objects.filter(event_type="recommendation_interaction").order_by("pk")
        assert [e.data["action"] for e in events] == ["accepted", "completed"]

    def test_a_dismissal_is_a_miss(self, workspace, member):
        books(workspace)
        [shown] = recommendations_choose(workspace=workspace, user=member, count=1, rng=np.random.default_rng(0))
        _, arm = recommendation_feedback(impression=shown, action="dismissed", user=member)
        assert (arm.alpha, arm.beta) == (1.0, 2.0)

    @pytest.mark.parametrize(("first", "second"), [("dismissed", "accepted"), ("accepted", "accepted"),
                                                   ("completed", "dismissed")])
    def test_an_answer_the_impression_no_longer_takes_changes_nothing(self, workspace, member, first, second):
        books(workspace)
        [shown] = recommendations_choose(workspace=workspace, user=member, count=1, rng=np.random.default_rng(0))
        recommendation_feedback(impression=shown, action=first, user=member)
        before = list(BanditArm.objects.values_list("alpha", "beta"))
        with pytest.raises(FeedbackRefused, match="This recommendation was already"):
            recommendation_feedback(impression=shown, action=second, user=member)
        shown.refresh_from_db()
        assert shown.status == first
        assert list(BanditArm.objects.values_list("alpha", "beta")) == before
        assert BehavioralEvent.objects.count() == 1


class TestTheBanditLearns:
    def test_after_many_rewards_the_better_arm_is_chosen_most_of_the_time(self, workspace, member, settings):
        # given a workspace where all six arms are offered, and users who complete
        # "automate_savings" 80 % of the time and every other arm 20 % of the time (no
        # cooldown, so a completed recommendation may be offered again at once)
        settings.COACHING_RECOMMENDATION_COOLDOWN_DAYS = 0
        books(workspace)
        acceptance = dict.fromkeys(
            ["cut_dining_out", "review_subscriptions", "build_emergency_fund", "stick_to_budget",
             "curb_category_growth"], 0.2) | {"automate_savings": 0.8}
        bandit_rng, user_rng = np.random.default_rng(2024), np.random.default_rng(99)
        chosen = []
        # when 300 rounds each show one recommendation and the user answers it
        for _ in range(300):
            [shown] = recommendations_choose(workspace=workspace, user=member, count=1, rng=bandit_rng)
            action = "completed" if user_rng.random() < acceptance[shown.arm] else "dismissed"
            recommendation_feedback(impression=shown, action=action, user=member)
            chosen.append(shown.arm)
        # then the better arm dominates the last 100 rounds, and its posterior is the highest
        last = chosen[-100:]
        assert last.count("automate_savings") == 99
        assert chosen[:50].count("automate_savings") == 35  # still exploring early on
        means = {arm.arm: arm.mean for arm in BanditArm.objects.all()}
        assert max(means, key=means.get) == "automate_savings"
        assert RecommendationImpression.objects.count() == 300
