"""Inventory planning and coaching in a real browser: computing a stock plan from the
inventory page, and accepting a recommendation on the coaching page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from coaching.models import BanditArm, RecommendationImpression
from forecasting.inventory.models import StockPlan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_compute_a_stock_plan(page, books, log_in, screenshot):
    # Given the owner on the inventory page, with no plan yet
    log_in()
    page.get_by_role("link", name="Inventory").first.click()
    panel = page.locator("#stock-plan")
    expect(panel.locator("[data-no-plan]")).to_have_text("No stock plan yet.")

    # When they ask for a plan within a budget of 500 at a 95 % service level
    panel.get_by_label("Budget").fill("500")
    panel.get_by_label("Service level").fill("0.95")
    panel.get_by_role("button", name="Compute a plan").click()

    # Then the plan is stored, announced and shown with one row per order
    expect(page.get_by_role("status").first).to_contain_text(re.compile(r"Stock plan \d+: \d+ orders? costing"))
    plan = StockPlan.objects.get(workspace=books.workspace)
    assert (plan.budget, str(plan.service_level), plan.created_by.username) == (500, "0.9500", books.username)
    assert plan.purchase_cost <= 500
    expect(panel.locator(f'[data-plan="{plan.pk}"]')).to_contain_text("budget 500.00 EUR, service level 95 %")
    expect(panel.locator("[data-purchase-cost]")).to_have_text(str(plan.purchase_cost))
    orders = plan.lines.filter(order_quantity__gt=0).order_by("product__sku", "warehouse__code")
    assert orders.count() >= 1
    expect(panel.locator("tr[data-plan-line]")).to_have_count(orders.count())
    first = orders.first()
    row = panel.locator(f'tr[data-plan-line="{first.product.sku}@{first.warehouse.code}"]')
    expect(row.locator("[data-order]")).to_have_text(str(first.order_quantity))
    screenshot(page, "stock-plan-desktop")


def test_accept_a_recommendation(page, books, log_in, screenshot):
    # Given the owner on the coaching page, shown recommendations written from the books
    # (stored as impressions once the browser has shown them, never while rendering)
    log_in()
    page.get_by_role("link", name="Coaching").first.click()
    cards = page.locator("li.recommendation")
    expect(cards.first).to_be_visible()
    page.wait_for_load_state("networkidle")  # the page's script reports what it showed
    shown = RecommendationImpression.objects.filter(user__username=books.username).order_by("position")
    assert shown.count() == cards.count()
    first = shown.first()
    expect(cards.first.get_by_role("heading", level=3)).to_have_text(first.title)
    screenshot(page, "coaching-desktop")

    # When they accept the first one
    cards.first.get_by_role("button", name="Accept").click()

    # Then it is recorded as accepted, the bandit's arm for the segment is rewarded, and it
    # is listed as in progress
    expect(page.get_by_role("status").first).to_have_text(f"Accepted: {first.title}.")
    first.refresh_from_db()
    assert (first.status, first.reward) == ("accepted", 1.0)
    arm = BanditArm.objects.get(segment_key=first.segment_key, arm=first.arm)
    assert (arm.alpha, arm.beta) == (2.0, 1.0)
    expect(page.locator(f'[data-impression="{first.pk}"]')).to_contain_text(first.title)
