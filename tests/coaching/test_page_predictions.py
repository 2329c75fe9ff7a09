"""The Coaching page's predictions: the weekly view, each budget's risk, the goals'
trajectory charts with risk factors and adjustments — badges coloured by meaning, the
currency on every amount."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.coaching.books import monthly

pytestmark = pytest.mark.django_db

PAGE = reverse("coaching:page")


def page(client_logged_in):
    response = client_logged_in.get(PAGE)
    assert response.status_code == 200
    return response, response.content.decode()


def badge(html: str, attribute: str) -> str:
    """The class of the badge carrying ``attribute`` (e.g. ``data-trend="rising"``)."""
    return re.search(rf'<span class="([^"]+)"[^>]*{attribute}', html).group(1)


class TestCoachingPagePredictions:
    def test_a_growing_category_is_not_green_and_amounts_carry_the_currency(self, workspace, member, logged_in):
        # given Shopping rising from 100 to 400 last month and steady Rent, in euros
        workspace.currency = "EUR"
        workspace.save()
        shopping = f.CategoryFactory(workspace=workspace, name="Shopping")
        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        monthly(workspace, [100, 100, 100, 100, 100, 400], category=shopping)
        monthly(workspace, [900] * 6, category=rent)
        response, html = page(logged_in(member))
        # then the insight about Shopping's growth and its trend are warnings, never "ok"
        growth = re.search(r'<li data-insight="category_growth"><span class="([^"]+)"', html).group(1)
        assert growth == "badge warning"
        rows = {c["name"]: c for c in response.context["spending_rows"]}
        assert (rows["Shopping"]["trend"], rows["Rent"]["trend"]) == ("rising", "steady")
        assert badge(html, 'data-trend="rising"') == "badge warning"
        assert badge(html, 'data-trend="steady"') == "badge"
        # and every amount of the spending sections is in euros
        section = html[html.index('id="weekly-title"'):html.index('id="peers-title"')]
        amounts = re.findall(r'<td class="num">([^<]*)</td>', section)
        assert amounts and all(a.endswith("\u00a0EUR") for a in amounts), amounts

    def test_weekly_view(self, workspace, member, logged_in):
        groceries = f.CategoryFactory(workspace=workspace, name="Groceries")
        today = timezone.localdate()
        monday = today - dt.timedelta(days=today.weekday())
        for back in range(1, 9):
            f.TransactionFactory(workspace=workspace, category=groceries, amount=Decimal("70.00"),
                                 date=monday - dt.timedelta(weeks=back) + dt.timedelta(days=2))
        f.TransactionFactory(workspace=workspace, category=groceries, amount=Decimal("25.00"), date=monday)
        response, html = page(logged_in(member))
        weekly = response.context["weekly"]
        assert [p["start"] for p in weekly["periods"]] == [monday + dt.timedelta(weeks=k) for k in range(4)]
        [row] = response.context["weekly_rows"]
        assert (row["name"], row["spent_so_far"], [p["amount"] for p in row["forecast"]]) == (
            "Groceries", 25.0, [70.0] * 4)
        assert '<p class="stat-value" data-stat="week-total">70.00\u00a0USD</p>' in html
        assert "week to date" in html

    def test_every_budget_has_its_risk(self, workspace, member, logged_in):
        # given dining of 300 a month at a different restaurant each time, a 100 budget, 150 spent
        dining = f.CategoryFactory(workspace=workspace, name="Dining")
        for back, name in enumerate(("Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir"), start=1):
            f.TransactionFactory(workspace=workspace, category=dining, amount=Decimal("300.00"), merchant=name,
                                 date=timezone.localdate().replace(day=1) - dt.timedelta(days=30 * back - 5))
        f.TransactionFactory(workspace=workspace, category=dining, amount=Decimal("150.00"), merchant="Oak",
                             date=timezone.localdate())  # already over, whatever day of the month it is
        budget = f.BudgetFactory(workspace=workspace, category=dining, amount=Decimal("100.00"),
                                 start_date=dt.date(2020, 1, 1))
        response, html = page(logged_in(member))
        [(use, risk)] = response.context["budget_rows"]
        assert (use.budget.pk, risk.source, risk.level) == (budget.pk, "engine", "high")
        row = html[html.index(f'<tr data-budget="{budget.pk}">'):]
        row = row[:row.index("</tr>")]
        assert 'class="badge risk-high" data-risk-level="high"' in row
        assert ("150.00\u00a0USD" in row, "100.00\u00a0USD" in row, risk.percent) == (True, True, 100)

    def test_goal_trajectory_chart_risk_factors_and_adjustments(self, workspace, member, logged_in):
        # given a goal needing 750 a month that got 100 a month
        today = timezone.localdate()
        goal = f.GoalFactory(workspace=workspace, name="Van", target_amount=Decimal("6100"),
                             saved_amount=Decimal("100"), deadline=today + dt.timedelta(days=244))
        monthly(workspace, [1000] * 6, kind="revenue")
        monthly(workspace, [900] * 6)
        response, html = page(logged_in(member))
        chart = json.loads(re.search(rf'<script id="goal-trajectory-data-{goal.pk}" type="application/json">(.*?)'
                                     "</script>", html, re.S).group(1))
        assert (chart["currency"], chart["target"], chart["deadline"], chart["points"][0]) == (
            "USD", 6100.0, goal.deadline.isoformat(), [today.isoformat(), 100.0, 100.0, 100.0])
        assert f'data-trajectory-chart="goal-trajectory-data-{goal.pk}"' in html
        assert 'data-risk="pace_short"' in html
        [p] = response.context["goals"]
        assert p.probability == 0.0
        assert f"save {p.simulation.suggested_monthly:,.2f}\u00a0USD a month" in html
        chance = re.search(rf'<tr data-goal="{goal.pk}">.*?<span class="([^"]+)" data-chance', html, re.S).group(1)
        assert chance == "badge danger"

    def test_empty_states_say_what_to_do(self, workspace, member, logged_in):
        _, html = page(logged_in(member))
        assert "set one on the" in html and "add one on the" in html
        assert "Not enough history to forecast weekly spending yet" in html
