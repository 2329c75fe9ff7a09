"""The Budgets and Goals pages in a real browser: adding a budget and a goal through the
pages (a refused value first), their progress charts drawn with data points, and both
pages at 1366 and 390 px wide with no element wider than the screen (screenshots in
test-artifacts/screenshots/)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from finance.models import Budget, Goal, GoalProgress
from tests import factories as f
from tests.e2e.conftest import PHONE, _month_day

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}

CHART_STATE = """(id) => {
  const canvas = document.getElementById(id);
  const chart = canvas && window.Chart && Chart.getChart(canvas);
  if (!chart) return null;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return {
    labels: chart.data.labels.map((l) => Array.isArray(l) ? l.join(" / ") : l),
    datasets: chart.data.datasets.map((d) => d.label),
    points: chart.data.datasets.map((d) => d.data.filter((v) => v !== null).length),
    painted: painted,
  };
}"""

# Every element that sticks out of the screen, unless it sits in a box that scrolls
# sideways and itself fits (a table scrolled with its first column fixed).
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.overflowX === "auto" || style.overflowX === "scroll") {
        const box = p.getBoundingClientRect();
        return box.left >= -0.5 && box.right <= width + 0.5;
      }
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || el.closest(".visually-hidden, .skip-link")) continue;
    if ((box.right > width + 0.5 || box.left < -0.5) && !inScroller(el)) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return { overflow: Math.max(0, document.documentElement.scrollWidth - window.innerWidth), wide: wide };
}"""


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def test_add_a_budget_and_see_its_months(page, books, log_in, screenshot, live_server):
    # Given the owner of the bakery, who pays utilities every month
    utilities = f.CategoryFactory(workspace=books.workspace, name="Utilities", kind="expense")
    for back in range(12):
        f.TransactionFactory(workspace=books.workspace, category=utilities, description="Power and water",
                             amount=Decimal(900 + 60 * (back % 5)), date=_month_day(back, 8))
    log_in()
    page.set_viewport_size(LAPTOP)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Budgets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Budgets")
    expect(page.locator("table.budget-list tbody tr")).to_have_count(2)
    expect(page.locator("#budget-chart")).to_have_attribute("data-chart-ready", "true")

    # When they add a budget with a limit of zero, it is refused and nothing is written
    page.get_by_role("link", name="Add budget").first.click()
    page.get_by_label("Category").select_option(label="Utilities")
    page.get_by_label("Limit").fill("0")
    page.get_by_label("From").fill(_month_day(11, 1).isoformat())
    page.get_by_role("button", name="Add budget").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
    expect(page.locator(".field-amount .errorlist")).to_have_text("The limit must be greater than zero.")
    assert Budget.objects.filter(category=utilities).count() == 0
    screenshot(page, "budget-form-error-1366")

    # And then with "1,000.00" a month
    page.get_by_label("Limit").fill("1,000.00")
    page.get_by_role("button", name="Add budget").click()

    # Then they are on the budget's page, with twelve months of spending against the limit
    budget = Budget.objects.get(category=utilities)
    assert (budget.amount, budget.period, budget.start_date) == (Decimal("1000.00"), "monthly", _month_day(11, 1))
    expect(page).to_have_url(f"{live_server.url}/budgets/{budget.pk}/")
    expect(page.get_by_role("status")).to_have_text("Added the Utilities budget.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Utilities")
    expect(page.locator("#budget-chart")).to_have_attribute("data-chart-ready", "true")
    state = page.evaluate(CHART_STATE, "budget-chart")
    assert state["datasets"] == ["Spent", "Limit"]
    assert state["points"] == [12, 12]
    assert state["labels"][-1] == timezone.localdate().strftime("%b %Y") + " / month to date"
    assert state["painted"] > 2000
    expect(page.locator('[data-stat="limit"]')).to_have_text("1,000.00\xa0EUR")
    expect(page.locator("tr[data-partial='true']")).to_contain_text("month to date")
    screenshot(page, "budget-detail-1366")


def test_add_a_goal_and_see_it_grow(page, books, log_in, screenshot, live_server):
    log_in()
    page.set_viewport_size(LAPTOP)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Goals").click()
    expect(page.get_by_text("No goals yet.")).to_be_visible()

    # When the owner adds a goal, amounts typed the way they write them
    page.get_by_role("link", name="Add goal").first.click()
    page.get_by_label("Name").fill("New deck oven")
    page.get_by_label("Target").fill("18,000")
    page.get_by_label("Saved so far").fill("4 500,00")
    page.get_by_label("Deadline").fill(days(300).isoformat())
    screenshot(page, "goal-form-1366")
    page.get_by_role("button", name="Add goal").click()

    # Then the goal is saved, with today's amount as its first point
    goal = Goal.objects.get()
    assert (goal.name, goal.target_amount, goal.saved_amount, goal.deadline) == (
        "New deck oven", Decimal("18000.00"), Decimal("4500.00"), days(300),
    )
    expect(page).to_have_url(f"{live_server.url}/goals/{goal.pk}/")
    expect(page.locator("#goal-chart")).to_have_attribute("data-chart-ready", "true")
    state = page.evaluate(CHART_STATE, "goal-chart")
    assert state["datasets"] == ["Saved", "Target", "Deadline", "Pace needed"]
    assert state["points"][0] == 1
    expect(page.locator('[data-stat="remaining"]')).to_have_text("13,500.00\xa0EUR")

    # When months of saving are on record and they put more aside today
    for back, amount in ((120, "1500.00"), (90, "2500.00"), (45, "3600.00")):
        GoalProgress.objects.create(workspace=books.workspace, goal=goal, date=days(-back), saved_amount=Decimal(amount))
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Saved so far").fill("5,250.00")
    page.get_by_role("button", name="Save").click()

    # Then the chart draws the saved amount over time up to today's
    expect(page.get_by_role("status")).to_have_text("Saved the goal “New deck oven”.")
    expect(page.locator("#goal-chart")).to_have_attribute("data-chart-ready", "true")
    state = page.evaluate(CHART_STATE, "goal-chart")
    assert state["points"] == [4, 2, 2, 2]
    assert state["painted"] > 2000
    saved = page.evaluate("() => Chart.getChart(document.getElementById('goal-chart')).data.datasets[0].data.map((p) => p.y)")
    assert saved == [1500, 2500, 3600, 5250]
    screenshot(page, "goal-detail-1366")

    page.get_by_role("link", name="Goals", exact=True).first.click()
    expect(page.locator("tr[data-goal='New deck oven']")).to_contain_text(re.compile(r"29\xa0%"))
    screenshot(page, "goals-1366")


@pytest.mark.parametrize("size", ["1366", "390"])
def test_both_pages_fit_the_screen(page, books, log_in, screenshot, size):
    """Every budget and goal page at laptop and phone width: no element is wider than the
    screen (tables become cards on the phone), and a screenshot of each."""
    goal = f.GoalFactory(workspace=books.workspace, name="Cash reserve: three months of rent",
                         target_amount=Decimal("35000.00"), saved_amount=Decimal("19250.00"), deadline=days(400))
    for back, amount in ((150, "9000.00"), (100, "13000.00"), (50, "16500.00")):
        GoalProgress.objects.create(workspace=books.workspace, goal=goal, date=days(-back), saved_amount=Decimal(amount))
    f.GoalFactory(workspace=books.workspace, name="Van", target_amount=Decimal("2000.00"),
                  saved_amount=Decimal("2100.00"), deadline=days(20))
    budget = Budget.objects.filter(workspace=books.workspace).order_by("pk").first()
    page.set_viewport_size(PHONE if size == "390" else LAPTOP)
    log_in()
    pages = {
        "budgets": "/budgets/",
        "budget-detail": f"/budgets/{budget.pk}/",
        "budget-edit": f"/budgets/{budget.pk}/edit/",
        "budget-delete": f"/budgets/{budget.pk}/delete/",
        "budget-new": "/budgets/new/",
        "goals": "/goals/",
        "goal-detail": f"/goals/{goal.pk}/",
        "goal-edit": f"/goals/{goal.pk}/edit/",
        "goal-delete": f"/goals/{goal.pk}/delete/",
    }
    for name, path in pages.items():
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        if page.locator("canvas[data-budget-chart], canvas[data-goal-chart]").count():
            expect(page.locator("canvas").first).to_have_attribute("data-chart-ready", "true")
        for details in page.locator("details.month-table:not([open]) > summary").all():
            details.click()  # the tables behind "Show as a table" must fit too
        fit = page.evaluate(TOO_WIDE)
        assert fit == {"overflow": 0, "wide": []}, f"{path} at {size} px"
        screenshot(page, f"{name}-{size}")
