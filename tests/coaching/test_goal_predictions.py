"""Goal predictions by Monte Carlo simulation of the observed monthly contributions
(coaching.services.goals, coaching.services.predictions): probability, trajectory, expected
date, risk factors, adjustments — and ``/api/v1/coaching/goal-prediction/``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from coaching.selectors import coaching_context, complete_months, goal_saved_month_ends
from coaching.services.goals import _draws, goal_simulate, months_later, yearly_growth
from coaching.services.predictions import goal_predict_one, goals_predict
from finance.models import GoalProgress
from finance.months import add_months
from tests import factories as f
from tests.coaching.books import month, monthly

pytestmark = pytest.mark.django_db

URL = "/api/v1/coaching/goal-prediction/"
TODAY = dt.date(2026, 3, 10)


def simulate(pool, *, remaining, months_left, saved=0.0, seed=0):
    return goal_simulate(history=np.array(pool, dtype=float), saved=saved, remaining=remaining,
                         months_left=months_left, today=TODAY, rng=np.random.default_rng(seed))


def history(workspace, goal, amounts):
    """The goal's saved amount recorded on the 20th of each month, oldest first, ending
    last month (``amounts`` are the saved amounts, not the contributions)."""
    for i, amount in enumerate(amounts):
        GoalProgress.objects.create(workspace=workspace, goal=goal, date=month(len(amounts) - i) + dt.timedelta(days=19),
                                    saved_amount=Decimal(str(amount)))


class TestSimulation:
    def test_the_chance_is_the_bootstrap_share(self):
        # given months of 0 or 100 equally often, 150 to save in 2 months: only 100 + 100
        # gets there, a chance of 1/4
        sim = simulate([0, 100, 0, 100], remaining=150, months_left=2)
        # then within sampling error (2,000 futures: one standard error is 0.0097)
        assert sim.probability == pytest.approx(0.25, abs=0.03)
        # the monthly amount for 80 %: the 20th percentile of the futures saves 0, so the
        # 150 missing over 2 months is added to the average 50
        assert sim.suggested_monthly == 125.0
        # the nearest deadline: P(two hundreds within k months) = 1 − (k + 1) / 2^k reaches
        # 0.8 at k = 5 (0.8125; 0.6875 at k = 4)
        assert sim.suggested_months == 5

    @pytest.mark.parametrize(("monthly", "probability"), [(100.0, 1.0), (99.0, 0.0)])
    def test_a_steady_pace_is_certain_either_way(self, monthly, probability):
        sim = simulate([monthly] * 6, remaining=1000, months_left=10)
        assert sim.probability == probability

    def test_trajectory_expected_month_and_adjustments_of_a_steady_pace(self):
        # given 400 a month, 2,000 still to save in 4.5 months, 500 saved
        sim = simulate([400] * 6, remaining=2000, months_left=4.5, saved=500)
        # then the median path grows by 400 a month to the deadline (5 points: now and
        # months 1 … 5; the last one past the deadline's partial month), no spread;
        # 2,000 is reached after 5 months; 80 % needs 2,000 / 4.5 = 444.44 a month, or
        # a deadline 5 months out
        assert [(p.date, p.median, p.lo80, p.hi80) for p in sim.trajectory] == [
            (TODAY, 500.0, 500.0, 500.0), *[(add_months(TODAY, k), 500.0 + 400 * k, 500.0 + 400 * k,
                                             500.0 + 400 * k) for k in range(1, 6)]]
        assert (sim.probability, sim.expected_months) == (0.0, 5.0)
        assert (sim.suggested_monthly, sim.suggested_months) == (444.44, 5)

    def test_no_suggestions_for_a_likely_goal(self):
        sim = simulate([500] * 6, remaining=1000, months_left=3)
        assert (sim.probability, sim.suggested_monthly, sim.suggested_months) == (1.0, None, None)

    def test_nothing_saved_never_reaches_the_goal(self):
        sim = simulate([0.0] * 6, remaining=100_000, months_left=12)
        assert (sim.probability, sim.expected_months, sim.suggested_months) == (0.0, None, None)
        assert sim.suggested_monthly == pytest.approx(100_000 / 12, abs=0.01)

    @pytest.mark.parametrize("pool", [[float("nan")] * 3, [float("inf"), 10.0], []])
    def test_figures_that_are_not_finite_count_as_nothing_saved(self, pool):
        sim = simulate(pool, remaining=1000, months_left=10)
        assert (sim.probability, sim.expected_months) == (0.0, None)

    def test_a_reached_goal_is_certain(self):
        sim = simulate([0.0], remaining=-5, months_left=0, saved=105)
        assert (sim.probability, sim.expected_months, sim.suggested_monthly, sim.suggested_months) == (
            1.0, 0.0, None, None)

    def test_draws_repeat_with_the_seed(self):
        pool = [100, 250, 0, 40, 400]
        first = simulate(pool, remaining=1500, months_left=7, seed=3)
        assert simulate(pool, remaining=1500, months_left=7, seed=3) == first

    def test_a_month_is_drawn_like_the_same_month_of_past_years_half_the_time(self):
        # given a year of history ending last month (March 2025 … February 2026) in which
        # only March saved anything (1,200), and 600 to save this month (March)
        history = [1200.0] + [0.0] * 11
        sim = simulate(history, remaining=600, months_left=1)
        # then half the futures draw a March (1,200), the other half any month (1,200 one
        # time in twelve): 1/2 + 1/24 = 0.5417, where a plain bootstrap gives 1/12
        assert sim.probability == pytest.approx(0.5417, abs=0.03)

    @pytest.mark.parametrize(("history", "growth"), [
        ([100.0] * 12, 1.0),  # under two years: none
        ([100.0] * 12 + [110.0] * 12, 1.1),
        ([100.0] * 12 + [300.0] * 12, 1.25),  # clipped
        ([100.0] * 12 + [60.0] * 12, 0.8),
        ([-50.0] * 12 + [100.0] * 12, 1.0),  # a year that saved nothing: no growth to speak of
    ])
    def test_yearly_growth(self, history, growth):
        assert yearly_growth(np.array(history)) == pytest.approx(growth)

    def test_growth_compounds_for_a_year_ahead_only(self):
        # given three years growing steadily by 25 % a year (100 × 1.25^(i/12) in month i)
        history = 100 * 1.25 ** (np.arange(36) / 12)
        draws = _draws(history, horizon=48, simulations=4000, rng=np.random.default_rng(1))
        means = draws.mean(axis=0)
        # then the month in progress is drawn at its own level, 100 × 1.25^(36/12) = 195.3, and
        # the level rises for a year, to 100 × 1.25^(47/12) = 239.6, and stays there
        assert means[0] == pytest.approx(100 * 1.25 ** 3, rel=0.03)
        for j in (11, 12, 24, 47):
            assert means[j] == pytest.approx(100 * 1.25 ** (47 / 12), rel=0.03), j

    @pytest.mark.parametrize(("today", "months", "expected"), [
        (dt.date(2025, 6, 15), 3.0, dt.date(2025, 9, 14)),  # 91.3125 → 91 days
        (dt.date(9999, 12, 30), 1.0, None),  # 30 days after the 30 December 9999
        (dt.date(9999, 12, 30), 1 / 30.4375, dt.date(9999, 12, 31)),
        (dt.date(2025, 6, 15), float("inf"), None),
    ])
    def test_dates_beyond_what_a_date_holds_are_none(self, today, months, expected):
        assert months_later(today, months) == expected


class TestObservedContributions:
    def test_month_ends_carry_the_last_record_forward(self, workspace):
        # given records on 5 and 25 January and 3 March; months December … April
        goal = f.GoalFactory(workspace=workspace)
        for day, saved in ((dt.date(2026, 1, 5), 100), (dt.date(2026, 1, 25), 150), (dt.date(2026, 3, 3), 400)):
            GoalProgress.objects.create(workspace=workspace, goal=goal, date=day, saved_amount=Decimal(saved))
        months = [dt.date(2025, 12, 1), *[dt.date(2026, m, 1) for m in range(1, 5)]]
        out = goal_saved_month_ends(goal_ids=[goal.pk], months=months)
        assert np.array_equal(out[goal.pk], [np.nan, 150.0, 150.0, 400.0, 400.0], equal_nan=True)

    def test_the_goals_history_comes_first_then_events_then_net_savings(self, workspace, member):
        today = timezone.localdate()
        monthly(workspace, [3000] * 12, kind="revenue")
        monthly(workspace, [2000] * 12)
        recorded = f.GoalFactory(workspace=workspace, name="A recorded", target_amount=Decimal("9000"),
                                 saved_amount=Decimal("2600"), deadline=today + dt.timedelta(days=400))
        history(workspace, recorded, [1000, 1500, 1500, 2100, 2600])  # 500, 0, 600, 500 a month
        short = f.GoalFactory(workspace=workspace, name="B short history", target_amount=Decimal("900"),
                              saved_amount=Decimal("300"), deadline=today + dt.timedelta(days=400))
        history(workspace, short, [100, 300])  # one month: too few
        at = dt.datetime.combine(month(2) + dt.timedelta(days=3), dt.time(12), tzinfo=dt.UTC)
        f.BehavioralEventFactory(workspace=workspace, user=member, event_type="goal_modification", timestamp=at,
                                 data={"goal_id": short.pk, "action": "contribute", "amount": 120})
        other = f.GoalFactory(workspace=workspace, name="C nothing recorded", target_amount=Decimal("900"),
                              saved_amount=Decimal("0"), deadline=today + dt.timedelta(days=400))
        by_name = {p.goal.name: p for p in goals_predict(ctx=coaching_context(workspace=workspace, today=today))}
        assert (by_name["A recorded"].basis, by_name["A recorded"].monthly.tolist()) == (
            "history", [500.0, 0.0, 600.0, 500.0])
        assert (by_name["B short history"].basis, by_name["B short history"].monthly.tolist()) == (
            "contributions", [120.0, 0.0])  # from the first contribution on
        # net savings of 1,000 a month shared by the three open goals
        assert (by_name["C nothing recorded"].basis, by_name["C nothing recorded"].monthly_mean) == (
            "net_savings_share", pytest.approx(1000 / 3))
        assert other.pk in {p.goal.pk for p in by_name.values()}

    def test_the_answer_in_full(self, workspace):
        # given a goal that got 400 a month for six months and needs 3,000 more in 243.5
        # days (8 months): 3,200 by the deadline, certain; reached after 7.5 months
        today = timezone.localdate()
        goal = f.GoalFactory(workspace=workspace, name="Trip", target_amount=Decimal("5400"),
                             saved_amount=Decimal("2400"), deadline=today + dt.timedelta(days=244))
        history(workspace, goal, [0, 400, 800, 1200, 1600, 2000, 2400])
        [p] = goals_predict(ctx=coaching_context(workspace=workspace, today=today))
        details = p.details()
        assert {k: details[k] for k in ("basis", "history_months", "contributions", "monthly_mean", "monthly_std",
                                        "remaining", "probability", "reached", "on_track", "simulations")} == {
            "basis": "history", "history_months": 6, "contributions": [400.0] * 6, "monthly_mean": 400.0,
            "monthly_std": 0.0, "remaining": 3000.0, "probability": 1.0, "reached": False, "on_track": True,
            "simulations": 2000}
        assert details["expected_date"] == (today + dt.timedelta(days=228)).isoformat()  # 7.5 × 30.4375
        assert details["adjustments"] == {"target_probability": 0.8, "monthly_amount": None, "deadline": None}
        assert details["trajectory"][0] == {"date": today.isoformat(), "median": 2400.0, "lo80": 2400.0,
                                            "hi80": 2400.0}
        assert details["trajectory"][-1]["median"] == 2400.0 + 400 * (len(details["trajectory"]) - 1)
        assert details["risk_factors"] == []


class TestRiskFactors:
    def factors(self, workspace, goal):
        [p] = goals_predict(ctx=coaching_context(workspace=workspace, today=timezone.localdate()))
        return {r.kind: r for r in p.risk_factors}

    def test_contributions_falling_spending_rising_and_the_pace_short(self, workspace):
        # given 500 a month then 100 for the last three, spending of 2,000 a month then
        # 2,600 for the last three months, and 6,000 to save in 244 days (748.46 a month)
        today = timezone.localdate()
        monthly(workspace, [2000] * 9 + [2600] * 3)
        goal = f.GoalFactory(workspace=workspace, target_amount=Decimal("8100"), saved_amount=Decimal("2100"),
                             deadline=today + dt.timedelta(days=round(8 * 30.4375)))
        history(workspace, goal, [0, 500, 1000, 1500, 1900, 2000, 2100, 2100])
        found = self.factors(workspace, goal)
        # (contributions over the window: 500, 500, 500, 400, 100, 100, 0 → the last three
        # 66.67 against 475 before)
        assert list(found) == ["contributions_falling", "spending_rising", "pace_short"]
        assert found["contributions_falling"].text == (
            "Contributions fell to $67 a month over the last 3 months, from $475 before.")
        assert found["spending_rising"].text == (
            "Spending rose to $2,600 a month over the last 3 months, 30% above the 9 months before.")
        assert found["pace_short"].data == {"required_monthly": round(6000 * 30.4375 / 244, 2), "monthly_mean": 300.0}

    def test_deadline_near_and_passed(self, workspace):
        today = timezone.localdate()
        near = f.GoalFactory(workspace=workspace, target_amount=Decimal("1000"), saved_amount=Decimal("900"),
                             deadline=today + dt.timedelta(days=40))
        [p] = goals_predict(ctx=coaching_context(workspace=workspace, today=today))
        assert p.risk_factors[0].text == "The deadline is 40 days away with $100 still to save."
        near.deadline = today - dt.timedelta(days=1)
        done = goal_predict_one(goal=near, monthly=np.array([50.0] * 6), basis="history", today=today)
        assert (done.probability, done.required_monthly, done.on_track) == (0.0, None, False)
        [p] = goals_predict(ctx=coaching_context(workspace=workspace, today=today), goals=[near])
        assert [r.kind for r in p.risk_factors] == ["deadline_passed"]
        assert p.as_dict()["months_left"] == 0.0


class TestApi:
    def test_every_goal_or_one(self, workspace, member, client_for):
        today = timezone.localdate()
        first = f.GoalFactory(workspace=workspace, name="First", deadline=today + dt.timedelta(days=100))
        second = f.GoalFactory(workspace=workspace, name="Second", deadline=today + dt.timedelta(days=200))
        client = client_for(member)
        every = client.get(URL, {"workspace": workspace.pk}).json()
        assert (every["workspace"], every["currency"], [g["goal"] for g in every["goals"]]) == (
            workspace.pk, "USD", [first.pk, second.pk])
        one = client.get(URL, {"workspace": workspace.pk, "goal": second.pk}).json()
        assert [g["name"] for g in one["goals"]] == ["Second"]
        assert set(one["goals"][0]) >= {"trajectory", "risk_factors", "adjustments", "expected_date", "probability"}

    def test_another_workspaces_goal_is_404(self, workspace, other_workspace, member, client_for):
        theirs = f.GoalFactory(workspace=other_workspace)
        client = client_for(member)
        assert client.get(URL, {"workspace": workspace.pk, "goal": theirs.pk}).status_code == 404
        assert client.get(URL, {"workspace": other_workspace.pk}).status_code == 404

    @pytest.mark.parametrize(("params", "errors"), [
        ({}, {"workspace": ["This field is required."]}),
        ({"goal": "x"}, {"goal": ["A valid integer is required."]}),
        ({"goal": 0}, {"goal": ["Ensure this value is greater than or equal to 1."]}),
    ])
    def test_bad_query_is_400_naming_the_field(self, params, errors, workspace, member, client_for):
        query = ({"workspace": workspace.pk} | params) if params else {}
        response = client_for(member).get(URL, query)
        assert (response.status_code, response.json()) == (400, errors)

    def test_documented_with_its_errors(self, member, client_for):
        operations = client_for(member).get("/api/schema/", {"format": "json"}).json()["paths"][URL]
        assert set(operations) == {"get"}
        assert set(operations["get"]["responses"]) == {"200", "400", "401", "404", "429"}


def test_complete_months_window_is_a_year():
    assert len(complete_months(today=TODAY, count=12)) == 12
