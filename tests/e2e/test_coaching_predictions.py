"""The Coaching page's predictions in a real browser: the goals' trajectory charts are
drawn, the weekly view and the budgets' risk are there with the currency, nothing is wider
than a phone's screen and axe finds no serious violation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from finance.models import GoalProgress
from tests import factories as f
from tests.e2e.conftest import PHONE
from tests.e2e.test_budgets_goals import TOO_WIDE
from tests.e2e.test_every_page import AXE, AXE_RUN, LAPTOP, SCROLLED

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390", "1366"])
def test_trajectories_weekly_view_and_budget_risk(page, books, log_in, screenshot, viewport):
    # Given the bakery with two goals, one with a recorded history of contributions
    today = timezone.localdate()
    oven = f.GoalFactory(workspace=books.workspace, name="New deck oven", target_amount="9000.00",
                         saved_amount="2600.00", deadline=today + dt.timedelta(days=300))
    for back, saved in enumerate((2600, 2100, 1900, 1200, 800), start=0):
        GoalProgress.objects.create(workspace=books.workspace, goal=oven, saved_amount=saved,
                                    date=today.replace(day=1) - dt.timedelta(days=30 * back + 2))
    f.GoalFactory(workspace=books.workspace, name="Cash reserve", target_amount="20000.00", saved_amount="500.00",
                  deadline=today + dt.timedelta(days=90))
    page.set_viewport_size(viewport)
    # When the owner opens the Coaching page
    log_in()
    page.goto("/coaching/")
    # Then each goal's trajectory is drawn, the weekly view and the budgets carry the currency
    charts = page.locator("canvas[data-trajectory-chart]")
    expect(charts).to_have_count(2)
    for canvas in charts.all():
        expect(canvas).to_have_attribute("data-chart-ready", "true")
    expect(page.locator("[data-stat='week-total']")).to_contain_text("EUR")
    expect(page.locator("table.budget-risks tbody tr").first.locator(".risk-cell")).to_contain_text("%")
    expect(page.locator("[data-goal-trajectory] .risk-factors").first).to_be_visible()
    # And it fits the screen (tables scroll in their own box on a phone, none on a laptop) and passes axe
    assert page.evaluate(TOO_WIDE) == {"overflow": 0, "wide": []}
    if viewport is LAPTOP:
        assert page.evaluate(SCROLLED) == []
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(AXE_RUN) == []
    screenshot(page, f"coaching-predictions-{viewport['width']}")
