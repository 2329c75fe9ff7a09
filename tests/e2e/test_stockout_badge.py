"""The stockout badge of the inventory page in a real browser: a product that runs out within
its lead time shows the chance and where it comes from (the learned stockout model or the
demand forecast's distribution), a well-stocked one shows none; at 1366 and 390 px wide,
nothing sticks out of the screen (screenshots in test-artifacts/screenshots/)."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from finance.models import Product, StockLevel
from forecasting.templatetags.forecasting_pages import percent
from tests.e2e.conftest import PHONE
from tests.e2e.test_budgets_goals import TOO_WIDE
from tests.forecasting.test_pages import deployed
from tests.forecasting.test_stockout_model_serving import deploy_stockout_model

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
TITLES = {
    "model": "Chance of running out within the supplier's lead time at its riskiest warehouse, from the learned "
             "stockout model v1",
    "forecast_distribution": "Chance that demand within the supplier's lead time exceeds the stock, from the "
                             "demand forecast's distribution",
}
LABELS = {"model": "learned model v1", "forecast_distribution": "forecast distribution"}
#: the element holds its whole text and nothing covers it (the table's sticky first column)
WHOLE = """(el) => {
  const box = el.getBoundingClientRect(), y = box.top + box.height / 2;
  const mine = (x) => el.contains(document.elementFromPoint(x, y));
  return el.scrollWidth <= el.clientWidth && box.width > 0 && mine(box.left + 1) && mine(box.right - 1);
}"""
#: scroll the table sideways until the cell starts where the sticky product column ends
REVEAL = """(cell) => {
  let scroller = cell.parentElement;
  while (!["auto", "scroll"].includes(getComputedStyle(scroller).overflowX)) scroller = scroller.parentElement;
  const sticky = cell.parentElement.querySelector("th").getBoundingClientRect().right;
  scroller.scrollLeft += cell.getBoundingClientRect().left - sticky;
}"""


@pytest.mark.parametrize("source", ["forecast_distribution", "model"])
def test_a_product_running_out_within_its_lead_time_shows_the_chance_and_its_source(
        page, books, log_in, screenshot, source):
    # Given the bakery's demand model (400 units a month, each product its share of the sales) and,
    # or not, a learned stockout model: croissants (3 on hand, about 9 sold a day) run out within
    # the 14-day lead time of a product without supplier, jam (250 at each warehouse, under one a day) does not
    deployed(books.workspace, "inventory", [400.0] * 12)  # (served from the next request on)
    if source == "model":
        deploy_stockout_model(books.workspace)
    croissant, jam = (Product.objects.get(workspace=books.workspace, sku=sku) for sku in ("CRS-02", "JAM-04"))
    StockLevel.objects.filter(product=jam).update(quantity=250)
    client = Client()
    client.force_login(books.workspace.memberships.get(user__username=books.username).user)
    demand = client.get("/inventory/").context["demand"]
    assert (demand[croissant.pk].stockout_source, demand[croissant.pk].stockout_level) == (source, "high")
    assert demand[jam.pk].stockout_level == "low"

    # When the owner opens the inventory page on a laptop
    page.set_viewport_size(LAPTOP)
    log_in()
    page.goto("/inventory/")

    # Then the croissants' row shows the chance and where it comes from (a label, and the tooltip)
    badge = page.locator('tr[data-sku="CRS-02"] .demand-cell .badge')
    expect(badge).to_have_text(f"stockout {percent(demand[croissant.pk].stockout_probability)}")
    expect(badge).to_have_attribute("data-stockout-source", source)
    expect(badge).to_have_attribute("title", TITLES[source])
    expect(badge).to_have_class("badge risk-high")
    label = page.locator('tr[data-sku="CRS-02"] [data-stockout-label]')
    expect(label).to_have_text(LABELS[source])
    # And the jam's row has its forecast but no stockout badge
    expect(page.locator('tr[data-sku="JAM-04"] .demand-cell')).to_contain_text("≈")
    expect(page.locator('tr[data-sku="JAM-04"] .demand-cell .badge')).to_have_count(0)
    expect(page.locator('tr[data-sku="JAM-04"] [data-stockout-label]')).to_have_count(0)
    assert badge.evaluate(WHOLE) and label.evaluate(WHOLE)
    assert page.evaluate(TOO_WIDE) == {"overflow": 0, "wide": []}
    screenshot(page, f"inventory-stockout-{source}-1366")

    # When they look on a phone and swipe the table to the forecast column, then the page fits
    # the screen and the badge and its label are whole
    page.set_viewport_size(PHONE)
    page.reload()
    page.locator('tr[data-sku="CRS-02"] .demand-cell').evaluate(REVEAL)
    expect(badge).to_be_visible()
    expect(label).to_be_visible()
    assert badge.evaluate(WHOLE) and label.evaluate(WHOLE)
    assert page.evaluate(TOO_WIDE) == {"overflow": 0, "wide": []}
    screenshot(page, f"inventory-stockout-{source}-390")
