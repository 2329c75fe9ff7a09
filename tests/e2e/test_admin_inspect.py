"""The admin's model versions in a real browser at a 1366 × 800 laptop screen: the list
keeps its Inspect links in view, and the inspect page of a trained forecaster draws the
training history, the backtest and the forecast with its bands (screenshots in
test-artifacts/screenshots/ and /tmp/inspect_*.png)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from forecasting.registry.models import ModelVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 800}

CHART_STATE = """() => {
  const canvas = document.getElementById("inspect-chart");
  const chart = canvas && window.Chart && Chart.getChart(canvas);
  if (!chart) return null;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  const points = (dataset) => dataset.data.filter((v) => v !== null).length;
  const sum = (test) => chart.data.datasets.filter(test).reduce((n, d) => n + points(d), 0);
  return {
    labels: chart.data.labels.length,
    datasets: chart.data.datasets.map((d) => d.label),
    history: sum((d) => d.label === "History"),
    backtest: sum((d) => d.group === "backtest"),
    backtestWindows: chart.data.datasets.filter((d) => d.group === "backtest").length,
    forecast: sum((d) => d.label === "Forecast"),
    band80: sum((d) => d.label === "80 % range"),
    band95: sum((d) => d.label === "95 % range"),
    legend: chart.legend.legendItems.map((item) => item.text),
    painted: painted,
  };
}"""


@pytest.fixture
def staff(books):
    """The bakery's owner as staff who may view model versions (scoped to their workspace)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=books.username)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    return user


def admin_log_in(page, live_server, books) -> None:
    page.goto("/admin/login/?next=/admin/forecasting/modelversion/")
    page.get_by_label("Username").fill(books.username)
    page.get_by_label("Password").fill(books.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/admin/forecasting/modelversion/")


def test_version_list_fits_a_laptop_with_its_inspect_links(page, books, trained, staff, live_server, screenshot):
    # Given staff on a 1366 × 800 screen and the versions trained on the bakery's books
    page.set_viewport_size(LAPTOP)
    # When they open the list of model versions
    admin_log_in(page, live_server, books)
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(ModelVersion.objects.filter(workspace=books.workspace).count())
    page.screenshot(path="/tmp/inspect_list_1366.png")
    screenshot(page, "admin-modelversion-list-1366")
    # Then the page does not scroll sideways and every row's Inspect link is fully in view
    layout = page.evaluate("""() => ({
      page: document.documentElement.scrollWidth,
      results: document.querySelector(".results").scrollWidth,
      resultsVisible: document.querySelector(".results").clientWidth,
    })""")
    assert layout["page"] <= LAPTOP["width"]
    assert layout["results"] <= layout["resultsVisible"]
    links = page.locator("#result_list td.field-inspect_link a", has_text="Inspect")
    expect(links).to_have_count(rows.count())
    for i in range(rows.count()):
        expect(links.nth(i)).to_be_in_viewport(ratio=1)
        box = links.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"]


def test_inspect_page_draws_history_backtest_and_forecast(page, books, trained, staff, live_server, screenshot):
    # Given staff on a 1366 × 800 screen and the deployed revenue forecaster, trained with a backtest
    version = trained["revenue"]
    windows = version.backtest["windows"]
    assert windows, "the trained version has backtest windows"
    page.set_viewport_size(LAPTOP)
    admin_log_in(page, live_server, books)
    # When they follow its Inspect link from the list
    row = page.locator("#result_list tbody tr", has_text=f"revenue v{version.version}")
    row.get_by_role("link", name="Inspect").click()
    expect(page).to_have_url(f"{live_server.url}/admin/forecasting/modelversion/{version.pk}/inspect/")
    expect(page.locator("#inspect-chart")).to_have_attribute("data-chart-ready", "true")
    page.locator("#inspect-chart").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/inspect_1366.png")
    screenshot(page, "admin-modelversion-inspect-1366")

    # Then the chart has the training history, every backtest window's forecast and the
    # forecast with its 80 % and 95 % bands, each with points, and is painted
    state = page.evaluate(CHART_STATE)
    assert state is not None
    n_obs, horizon = version.n_observations, version.horizon
    assert state["labels"] == n_obs + horizon
    assert state["history"] == n_obs
    assert state["backtestWindows"] == len(windows)
    assert state["backtest"] == sum(len(w["mean"]) for w in windows)
    assert state["backtest"] > 0
    # the forecast and its bands start at the last actual value
    assert (state["forecast"], state["band80"], state["band95"]) == (horizon + 1, horizon + 1, horizon + 1)
    assert state["legend"] == ["95 % range", "80 % range", "Forecast", "Backtest", "History"]
    assert state["painted"] > 5000

    # And the metrics are rounded with their units, the parameters a name/value table
    expect(page.locator('#metrics tr[data-metric="mae"] td')).to_have_text(re.compile(r"^[\d,]+\.\d{2}\xa0EUR$"))
    expect(page.locator('#metrics tr[data-metric="mape"] td')).to_have_text(re.compile(r"^[\d,]+\.\d\xa0%$"))
    expect(page.locator("#params thead th")).to_have_text(["Name", "Value"])
    expect(page.locator("#integrity")).to_have_text("verified")
