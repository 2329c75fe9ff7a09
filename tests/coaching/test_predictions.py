"""Spending predictions (deployed model or the forecasting engine's baselines) and goal
predictions on hand-computed numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from coaching.selectors import (
    coaching_context,
    complete_months,
    goal_contributions_monthly,
)
from coaching.services.predictions import (
    DAYS_PER_MONTH,
    goal_expected_date,
    goal_predict_one,
    goal_probability,
    goals_predict,
    spending_predict,
)
from finance.months import add_months, month_start
from forecasting.serving.models import Prediction
from tests import factories as f
from tests.coaching.books import month, monthly

pytestmark = pytest.mark.django_db


def contribute(workspace, user, goal, amounts):
    """Contribution events, oldest month first, ending last month."""
    for i, amount in enumerate(amounts):
        if amount:
            at = dt.datetime.combine(month(len(amounts) - i) + dt.timedelta(days=14), dt.time(12), tzinfo=dt.UTC)
            f.BehavioralEventFactory(workspace=workspace, user=user, event_type="goal_modification", timestamp=at,
                                     data={"goal_id": goal.pk, "action": "contribute", "amount": amount})


class TestGoalArithmetic:
    def test_probability_and_expected_date_from_the_contributions(self, workspace, member):
        # given 2,000 still to save, 487 days (16 average months) to the deadline and
        # monthly contributions 100, 200, 300, 0, 200, 400: mean 200, std sqrt(100,000 / 5)
        today = timezone.localdate()
        goal = f.GoalFactory(workspace=workspace, target_amount=Decimal("5000"), saved_amount=Decimal("3000"),
                             deadline=today + dt.timedelta(days=487))
        contribute(workspace, member, goal, [100, 200, 300, 0, 200, 400])
        # when
        [p] = goals_predict(ctx=coaching_context(workspace=workspace, today=today))
        # then: P(N(16·200, 141.42²·16) ≥ 2,000) = Φ((3,200 − 2,000) / 565.69) = Φ(2.1213) = 0.98305;
        # 2,000 / 200 = 10 months = 304.375 days; 2,000 / 16 = 125 a month
        assert p.as_dict() == {
            "goal": goal.pk, "name": goal.name, "target_amount": 5000.0, "saved_amount": 3000.0,
            "deadline": goal.deadline.isoformat(), "remaining": 2000.0, "basis": "contributions",
            "monthly_mean": 200.0, "monthly_std": 141.42, "months_left": 16.0, "required_monthly": 125.0,
            "probability": 0.9831, "expected_date": (today + dt.timedelta(days=304)).isoformat(),
            "reached": False, "on_track": True,
        }

    def test_without_contributions_the_net_savings_are_shared_among_open_goals(self, workspace):
        # given net savings of 1,000, 400, 600, 1,000, 400, 600 and two unfinished goals
        # (a finished one does not share): 500, 200, 300, 500, 200, 300 each — mean 333.33,
        # std 136.63; 5,000 to save in 16 months
        today = timezone.localdate()
        monthly(workspace, [3000] * 6, kind="revenue")
        monthly(workspace, [2000, 2600, 2400, 2000, 2600, 2400])
        goal = f.GoalFactory(workspace=workspace, target_amount=Decimal("6000"), saved_amount=Decimal("1000"),
                             deadline=today + dt.timedelta(days=487))
        f.GoalFactory(workspace=workspace, target_amount=Decimal("100"), saved_amount=Decimal("0"),
                      deadline=today + dt.timedelta(days=30))
        f.GoalFactory(workspace=workspace, target_amount=Decimal("100"), saved_amount=Decimal("100"),
                      deadline=today + dt.timedelta(days=60))
        # when
        by_goal = {p.goal.pk: p for p in goals_predict(ctx=coaching_context(workspace=workspace, today=today))}
        p = by_goal[goal.pk]
        # then: Φ((16 · 333.33 − 5,000) / (136.63 · 4)) = Φ(0.6099) = 0.72905; 5,000 / 333.33 months
        # = 456.5625 days
        assert (p.basis, round(p.monthly_mean, 2), round(p.monthly_std, 2), round(p.probability, 4)) == (
            "net_savings_share", 333.33, 136.63, 0.729)
        assert p.expected_date == today + dt.timedelta(days=457)

    def test_reached_past_due_and_no_savings(self, workspace):
        today = timezone.localdate()
        reached = f.GoalFactory(workspace=workspace, target_amount=Decimal("100"), saved_amount=Decimal("150"))
        late = f.GoalFactory(workspace=workspace, target_amount=Decimal("100"), saved_amount=Decimal("10"),
                             deadline=today - dt.timedelta(days=1))
        flat = np.zeros(6)
        done = goal_predict_one(goal=reached, monthly=flat, basis="contributions", today=today)
        assert (done.probability, done.expected_date, done.required_monthly, done.on_track) == (1.0, today, 0.0, True)
        overdue = goal_predict_one(goal=late, monthly=np.array([50.0] * 6), basis="contributions", today=today)
        assert (overdue.probability, overdue.required_monthly, overdue.on_track) == (0.0, None, False)
        assert goal_predict_one(goal=late, monthly=flat, basis="contributions", today=today).expected_date is None

    @pytest.mark.parametrize(("mean", "expected"), [(100.0, 1.0), (99.0, 0.0)])
    def test_without_variance_it_is_certain_either_way(self, mean, expected):
        assert goal_probability(remaining=1000, months_left=10, mean=mean, std=0) == expected


class TestGoalExtremes:
    def test_a_tiny_saving_rate_never_reaches_the_goal(self, workspace, member):
        # given 100,000 to save and a single contribution of 0.01 last month (a mean of
        # 0.00167 a month: 60 million months, far beyond the last representable date)
        today = timezone.localdate()
        goal = f.GoalFactory(workspace=workspace, target_amount=Decimal("100000"), saved_amount=Decimal("0"),
                             deadline=today + dt.timedelta(days=365))
        contribute(workspace, member, goal, [0, 0, 0, 0, 0, 0.01])
        # when
        [p] = goals_predict(ctx=coaching_context(workspace=workspace, today=today))
        # then there is no expected date (rather than an overflow) and no chance
        assert (p.basis, p.expected_date, p.probability, p.on_track) == ("contributions", None, 0.0, False)
        assert (p.as_dict()["expected_date"], p.as_dict()["monthly_mean"]) == (None, 0.0)

    @pytest.mark.parametrize(
        ("today", "remaining", "mean", "expected"),
        [
            (dt.date(2025, 6, 15), 100_000.0, 1e-300, None),  # 3·10^306 days
            (dt.date(2025, 6, 15), 100_000.0, 5e-324, None),  # the ratio is infinite
            (dt.date(2025, 6, 15), 100_000.0, float("nan"), None),
            (dt.date(2025, 6, 15), 100_000.0, 0.0, None),
            (dt.date(9999, 12, 30), 1.0, 1.0, None),  # 30 days after the 30 December 9999
            (dt.date(9999, 12, 30), 1.0, DAYS_PER_MONTH, dt.date(9999, 12, 31)),  # one day: the last date
            (dt.date(2025, 6, 15), 0.0, 0.0, dt.date(2025, 6, 15)),  # reached
            (dt.date(2025, 6, 15), 300.0, 100.0, dt.date(2025, 9, 14)),  # 91.3125 → 91 days
        ],
    )
    def test_expected_date_is_none_beyond_what_a_date_holds(self, today, remaining, mean, expected):
        assert goal_expected_date(today=today, remaining=remaining, mean=mean) == expected

    @pytest.mark.parametrize(
        "figures",
        [
            {"remaining": float("inf")},
            {"mean": float("nan")},
            {"mean": float("inf")},
            {"std": float("inf")},
            {"months_left": float("nan")},
        ],
    )
    def test_probability_is_never_nan(self, figures):
        assert goal_probability(**({"remaining": 1000.0, "months_left": 10.0, "mean": 50.0, "std": 10.0}
                                   | figures)) == 0.0


class TestGoalContributions:
    def at(self, workspace, user, goal, when: dt.datetime, amount):
        f.BehavioralEventFactory(workspace=workspace, user=user, event_type="goal_modification", timestamp=when,
                                 data={"goal_id": goal.pk, "action": "contribute", "amount": amount})

    def test_months_are_local(self, workspace, member, settings):
        # given Auckland time (UTC+12 in winter, +13 in summer) and contributions at
        settings.TIME_ZONE = "Pacific/Auckland"
        goal = f.GoalFactory(workspace=workspace)
        nz_winter, nz_summer = dt.timezone(dt.timedelta(hours=12)), dt.timezone(dt.timedelta(hours=13))
        self.at(workspace, member, goal, dt.datetime(2024, 12, 31, 23, 30, tzinfo=nz_summer), 1)  # before January
        self.at(workspace, member, goal, dt.datetime(2025, 1, 1, 0, 30, tzinfo=nz_summer), 10)  # 31 Dec in UTC
        self.at(workspace, member, goal, dt.datetime(2025, 5, 1, 0, 30, tzinfo=nz_winter), 200)  # 30 April in UTC
        self.at(workspace, member, goal, dt.datetime(2025, 5, 31, 23, 30, tzinfo=nz_winter), 3000)
        self.at(workspace, member, goal, dt.datetime(2025, 6, 1, 9, 0, tzinfo=nz_winter), 500)  # 31 May in UTC
        months = complete_months(today=dt.date(2025, 6, 15), count=5)
        # when
        out = goal_contributions_monthly(workspace=workspace, months=months)
        # then each counts in its local month: January and May; 1 June is not a complete month
        assert months == [dt.date(2025, m, 1) for m in range(1, 6)]
        assert list(out) == [goal.pk]
        assert out[goal.pk].tolist() == [10.0, 0.0, 0.0, 0.0, 3200.0]

    def test_amounts_beyond_the_limit_are_skipped(self, workspace, member):
        # given rows stored before the limit was enforced: 1e308 twice (their sum is
        # infinite), a 401-digit integer, and one plausible contribution
        goal = f.GoalFactory(workspace=workspace)
        when = dt.datetime(2025, 5, 10, 12, tzinfo=dt.UTC)
        for amount in (1e308, 1e308, -1e308, 10**400, 250):
            self.at(workspace, member, goal, when, amount)
        # when
        out = goal_contributions_monthly(workspace=workspace, months=[dt.date(2025, 4, 1), dt.date(2025, 5, 1)])
        # then only the plausible one counts
        assert out[goal.pk].tolist() == [0.0, 250.0]


class TestSpending:
    def test_the_engine_forecasts_series_without_a_model(self, workspace):
        # given 12 months of groceries rising by 20 a month (100 … 320), one month of gifts
        groceries = f.CategoryFactory(workspace=workspace, name="Groceries")
        gifts = f.CategoryFactory(workspace=workspace, name="Gifts")
        monthly(workspace, [100 + 20 * i for i in range(12)], category=groceries)
        monthly(workspace, [75], category=gifts)
        today = timezone.localdate()
        # when
        out = spending_predict(ctx=coaching_context(workspace=workspace, today=today))
        # then the linear trend wins the backtest and forecasts next month (two steps
        # after last month): 320 + 2 × 20; gifts have too little history
        assert out["month"] == add_months(month_start(today), 1).isoformat()
        assert out["categories"] == [
            {"category": gifts.pk, "name": "Gifts", "last_month": 75.0, "average_3_months": 25.0, "forecast": None},
            {"category": groceries.pk, "name": "Groceries", "last_month": 320.0, "average_3_months": 300.0,
             "forecast": {"amount": 360.0, "lo80": 360.0, "hi80": 360.0, "method": "engine",
                          "algorithm": "linear_regression", "history_months": 12}},
        ]
        assert (out["total"]["method"], out["total"]["history_months"]) == ("engine", 12)

    def test_a_deployed_forecaster_answers_its_category(self, workspace, member):
        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        monthly(workspace, [1000] * 6, category=rent)
        f.fitted_version(workspace=workspace, target=f"expense:category={rent.pk}", algorithm="naive",
                         status="deployed", values=[900.0] * 11 + [1234.0])
        out = spending_predict(ctx=coaching_context(workspace=workspace, today=timezone.localdate()), user=member)
        [row] = out["categories"]
        assert (row["forecast"]["amount"], row["forecast"]["method"], row["forecast"]["algorithm"]) == (
            1234.0, "model", "naive")
        assert Prediction.objects.get().target == f"expense:category={rent.pk}"
