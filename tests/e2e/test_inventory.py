"""The inventory page in a real browser: one status per product with matching counts, a
comparison of what-if scenarios with one kept as the plan, a perishable product's plan
within its shelf life, and a product's order analysis."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from finance.models import Product
from forecasting.inventory.models import StockPlan
from tests import factories as f
from tests.e2e.conftest import PHONE
from tests.e2e.test_budgets_goals import TOO_WIDE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_statuses_and_a_scenario_comparison_kept_as_the_plan(page, books, log_in, screenshot):
    # Given the owner on the bakery's inventory page
    log_in()
    page.get_by_role("link", name="Inventory").first.click()
    # Then each row has one status and the header counts them
    statuses = page.locator("tbody tr[data-status]").evaluate_all("(rows) => rows.map((r) => r.dataset.status)")
    for status in ("out", "order_now", "low", "ok"):
        expect(page.locator(f'[data-status-count="{status}"] strong')).to_have_text(str(statuses.count(status)))
    expect(page.locator('tr[data-sku="CAK-03"]')).to_have_attribute("data-status", "out")

    # When they compare a lean budget with a promotion of a fifth more croissants on a larger one
    scenarios = page.locator("#scenarios")
    a, b = scenarios.locator('[data-scenario="a"]'), scenarios.locator('[data-scenario="b"]')
    a.get_by_label("Name").fill("Lean")
    a.get_by_label("Budget (EUR)").fill("100")
    b.get_by_label("Name").fill("Promo")
    b.get_by_label("Budget (EUR)").fill("2000")
    b.get_by_label("Promotion uplift (%)").fill("20")
    b.get_by_label("Promotion / price of").select_option(label="CRS-02 Croissant")
    scenarios.get_by_role("button", name="Compare").click()

    # Then both appear side by side, every amount in euros, and nothing is stored yet
    table = page.locator("[data-scenario-table]")
    expect(table.locator("thead th[data-scenario-name]")).to_have_text(["Lean", "Promo"])
    expect(table.locator("[data-scenario-total]").first).to_contain_text("EUR")
    expect(table.locator("tr", has_text="Applies to")).to_contain_text("CRS-02 Croissant")
    assert StockPlan.objects.count() == 0
    screenshot(page, "inventory-scenarios-desktop")

    # When they keep the promotion scenario
    table.get_by_role("button", name="Keep Promo as the plan").click()

    # Then it is the workspace's plan, announced with its name
    expect(page.get_by_role("status").first).to_contain_text(re.compile(r"Stock plan \d+ \(scenario Promo\)"))
    plan = StockPlan.objects.get(workspace=books.workspace)
    croissant = Product.objects.get(workspace=books.workspace, sku="CRS-02")
    assert (plan.name, plan.budget, plan.promotion_uplift_pct, plan.scenario_products) == (
        "Promo", Decimal("2000.00"), Decimal("20.00"), [croissant.pk])
    expect(page.locator(f'[data-plan="{plan.pk}"]')).to_contain_text("budget 2000.00 EUR")


def test_a_viewer_compares_but_has_no_keep_button(page, books, log_in):
    log_in(books.viewer_username)
    page.get_by_role("link", name="Inventory").first.click()
    scenarios = page.locator("#scenarios")
    scenarios.locator('[data-scenario="a"]').get_by_label("Budget (EUR)").fill("300")
    scenarios.get_by_role("button", name="Compare").click()
    expect(page.locator("[data-scenario-table] [data-scenario-total]")).to_have_count(1)
    expect(page.locator("[data-keep-scenario]")).to_have_count(0)
    expect(page.locator("[data-stock-plan-form]")).to_have_count(0)


def test_a_perishable_products_plan_stays_within_its_shelf_life(page, books, log_in, screenshot):
    # Given croissants keep one day, sell 240 a day and come from a supplier in two days
    supplier = f.SupplierFactory(workspace=books.workspace, name="Night bakery", lead_time_mean_days="2.00",
                                 lead_time_std_days="0.00", min_order_quantity=1)
    Product.objects.filter(workspace=books.workspace, sku="CRS-02").update(shelf_life_days=1, supplier=supplier)
    log_in()
    page.get_by_role("link", name="Inventory").first.click()
    # When the owner computes a plan with a budget that buys every order in full (thousands of units)
    panel = page.locator("#stock-plan")
    panel.get_by_label("Budget (EUR)").fill("20000")
    panel.get_by_role("button", name="Compute a plan").click()
    expect(page.get_by_role("status").first).to_contain_text(re.compile(r"Stock plan \d+"))
    # Then the croissants ordered are at most what sells within a day of their arrival
    line = StockPlan.objects.get().lines.get(product__sku="CRS-02", warehouse__code="SHOP")
    assert line.target_level - line.on_hand > 1000  # its reorder point + EOQ asks for far more
    assert 0 < line.order_quantity == line.shelf_life_cap <= float(line.daily_demand) * 1
    row = panel.locator('tr[data-plan-line="CRS-02@SHOP"]')
    expect(row.locator("[data-order]")).to_contain_text(str(line.order_quantity))
    expect(row.locator("[data-shelf-life-cap]")).to_have_text(f"≤\u00a0{line.shelf_life_cap} before expiry")
    screenshot(page, "inventory-perishable-plan")


def test_a_products_order_analysis_on_a_phone(page, books, log_in, screenshot):
    # Given a purchase order of sourdough
    sourdough = Product.objects.get(workspace=books.workspace, sku="BRD-01")
    f.PurchaseOrderFactory(workspace=books.workspace, product=sourdough,
                           warehouse=sourdough.stock_levels.first().warehouse, quantity_ordered=40)
    page.set_viewport_size(PHONE)
    log_in()
    page.goto("/inventory/")
    # When the owner follows the product's analysis link
    page.locator('tr[data-sku="BRD-01"] [data-analysis-link]').click()
    # Then the page shows its seasonal pattern, unusual days and ordering, and fits the screen
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sourdough loaf")
    for section in ("[data-seasonality]", "[data-anomalies]", "[data-ordering]", "[data-supplier]"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("[data-orders] tbody tr")).to_have_count(1)
    assert page.evaluate(TOO_WIDE) == {"overflow": 0, "wide": []}
    screenshot(page, "product-analysis-phone")
