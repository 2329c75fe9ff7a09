"""Next month's spending (deployed model or the forecasting engine's race) and the goals'
recorded contributions per month (the goal simulation itself: test_goal_predictions.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coaching.selectors import (
    coaching_context,
    complete_months,
    goal_contributions_monthly,
)
from coaching.services.predictions import spending_predict
from finance.months import add_months, month_start
from forecasting.serving.models import Prediction
from tests import factories as f
from tests.coaching.books import monthly

pytestmark = pytest.mark.django_db


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
            {"category": gifts.pk, "name": "Gifts", "last_month": 75.0, "average_3_months": 25.0, "trend": None,
             "forecast": None},
            {"category": groceries.pk, "name": "Groceries", "last_month": 320.0, "average_3_months": 300.0,
             "trend": "rising", "forecast": {"amount": 360.0, "lo80": 360.0, "hi80": 360.0, "method": "engine",
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
