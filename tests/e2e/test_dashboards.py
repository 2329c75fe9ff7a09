"""The dashboards in a real browser: log in, the overview and forecast charts, adding a
transaction, a validation error, a CSV import with a bad row, accepting and correcting a
suggested category, retraining a model with live progress, the workspace switcher, and
every page at phone and desktop width (screenshots in test-artifacts/screenshots/)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from finance.models import Category, Transaction
from forecasting.engine.registry import algorithm_label
from forecasting.serving.models import Feedback
from forecasting.training.jobs import training_job_run
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHART_STATE = """() => {
  const canvas = document.getElementById("cashflow-chart");
  const chart = window.Chart && Chart.getChart(canvas);
  if (!chart) return null;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return {
    labels: chart.data.labels.length,
    datasets: chart.data.datasets.map((d) => d.label),
    last: chart.data.datasets.map((d) => d.data[d.data.length - 1]),
    painted: painted,
    width: canvas.width,
  };
}"""


FORECAST_STATE = """(metric) => {
  const canvas = document.querySelector(`canvas[data-forecast-chart="${metric}"]`);
  const chart = canvas && window.Chart && Chart.getChart(canvas);
  if (!chart) return null;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  const filled = (label) => chart.data.datasets.find((d) => d.label === label).data.filter((v) => v !== null).length;
  return {
    datasets: chart.data.datasets.map((d) => d.label),
    history: filled("History"),
    forecast: filled("Forecast"),
    band95: filled("95 % range"),
    painted: painted,
  };
}"""


def test_log_in_and_see_the_overview_chart(page, books, trained, live_server, screenshot):
    # Given the owner of a bakery with a year of books, not signed in
    # When they open the site, they are asked to log in
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    screenshot(page, "login-desktop")
    page.get_by_label("Username").fill(books.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password.")
    page.get_by_label("Password").fill(books.password)
    page.get_by_role("button", name="Log in").click()

    # Then they land on the overview of their workspace, with the chart drawn by Chart.js
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Corner Bakery")
    expect(page.locator("#cashflow-chart")).to_have_attribute("data-chart-ready", "true")
    state = page.evaluate(CHART_STATE)
    assert state["labels"] == 12
    assert state["datasets"] == ["Revenue", "Expenses", "Net"]
    assert state["last"] == [3300, 1800, 1500]
    assert state["width"] > 300
    assert state["painted"] > 2000  # bars and the net line are on the canvas
    expect(page.locator('[data-stat="net"]')).to_have_text(re.compile(r"^\d{1,3}(,\d{3})*\.\d{2}\xa0EUR$"))
    expect(page.locator("tr[data-category='Supplies'] .percent")).to_have_text("86\xa0%")
    expect(page.locator("tr[data-category='Rent'] .percent")).to_have_text("109\xa0%")
    expect(page.locator("tr[data-category='Rent']")).to_contain_text("over")

    # And a forecast chart per metric: the 11 complete months the model learned from, then
    # this month and the 6-month horizon with 80 % and 95 % bands, the model and its error
    for metric in ("revenue", "expense"):
        chart = page.locator(f"canvas[data-forecast-chart='{metric}']")
        expect(chart).to_have_attribute("data-chart-ready", "true")
        state = page.evaluate(FORECAST_STATE, metric)
        assert state["datasets"] == ["95 % range", "95 % low", "80 % range", "80 % low", "Forecast", "History"]
        assert (state["history"], state["forecast"], state["band95"]) == (11, 8, 8)
        assert state["painted"] > 2000
        version = trained[metric]
        model_line = page.locator(f"[data-model='{metric}']")
        expect(model_line).to_contain_text(f"{algorithm_label(version.algorithm)} v{version.version}")
        expect(model_line.locator("[data-mae]")).to_have_text(re.compile(r"^[\d,]+\.\d{2}$"))
    # And the risk of overrun per budget: Rent is already over (certain); Supplies from its own model
    expect(page.locator("tr[data-category='Rent'] .risk-cell")).to_have_attribute("data-risk", "high")
    expect(page.locator("tr[data-category='Rent'] .risk-cell .badge")).to_have_text("100\xa0%")
    expect(page.locator("tr[data-category='Supplies'] .risk-cell .badge")).to_have_text(re.compile(r"^\d{1,3}\xa0%$"))
    screenshot(page, "overview-desktop")


def test_add_a_transaction(page, books, log_in, screenshot):
    # Given the owner on the transactions page
    log_in()
    page.get_by_role("link", name="Transactions").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transactions")
    screenshot(page, "transactions-desktop")

    # When they add an expense through the form
    page.get_by_role("link", name="Add transaction").click()
    page.get_by_label("Kind").select_option("expense")
    page.get_by_label("Amount").fill("42.30")
    page.get_by_label("Date").fill("2026-01-15")
    page.get_by_label("Category").select_option(label="Supplies (expense)")
    page.get_by_label("Description").fill("Organic rye flour")
    page.get_by_label("Merchant").fill("Mill & Co")
    screenshot(page, "transaction-form-desktop")
    page.get_by_role("button", name="Add transaction").click()

    # Then they are back on the list, told it was added, and the row is there
    expect(page.get_by_role("status").first).to_contain_text("Added 2026-01-15 -42.30 EUR Organic rye flour.")
    page.locator("details.filters > summary").click()
    page.get_by_label("Search").fill("rye")
    page.get_by_role("button", name="Apply").click()
    row = page.locator("table.transactions tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Organic rye flour")
    expect(row).to_contain_text("Supplies")
    saved = Transaction.objects.get(description="Organic rye flour")
    assert (saved.amount, saved.category.name, saved.currency, saved.source) == (
        Decimal("42.30"), "Supplies", "EUR", "manual"
    )


def test_bad_amount_shows_a_validation_error(page, books, log_in, screenshot):
    # Given the owner on the add form
    log_in()
    page.goto("/transactions/new/")
    count = Transaction.objects.count()
    # When they enter a negative amount
    page.get_by_label("Amount").fill("-5")
    page.get_by_label("Date").fill("2026-01-15")
    page.get_by_label("Description").fill("Refund?")
    page.get_by_role("button", name="Add transaction").click()
    # Then the server's message is shown next to the field and nothing was saved
    expect(page.locator(".field-amount .errorlist")).to_have_text("Amount must be greater than zero.")
    expect(page.get_by_label("Amount")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the 1 problem below.")
    screenshot(page, "transaction-form-error-desktop")
    assert Transaction.objects.count() == count


def test_import_a_csv_with_one_bad_row(page, books, log_in, screenshot):
    # Given the owner on the import page, and a file whose row 3 has a bad date
    log_in()
    page.goto("/transactions/")
    page.get_by_role("link", name="Import CSV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import transactions")
    count = Transaction.objects.count()
    bad = (
        "date,kind,amount,description,category\n"
        "2026-02-01,expense,18.00,Yeast,Supplies\n"
        "2026-02-30,expense,20.00,Eggs,Supplies\n"
        "2026-02-03,revenue,250.00,Wedding cake,Sales\n"
    )
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # When they upload it
    page.get_by_label("File:", exact=True).set_input_files(
        files=[{"name": "february.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    page.get_by_role("button", name="Import").click()

    # Then, without a reload, the report names the row, column and problem; nothing was written
    report = page.locator("#import-result .error-report tbody tr")
    expect(report).to_have_count(1)
    expect(report.locator("td")).to_have_text(["3", "date", "'2026-02-30' is not a date (expected YYYY-MM-DD)"])
    expect(page.locator("#import-result")).to_contain_text("Nothing was imported.")
    expect(page.locator("#import-progress")).to_be_hidden()
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "import-error-desktop")
    assert Transaction.objects.count() == count

    # When they fix the file and upload it again, the rows are imported in place
    page.get_by_label("File:", exact=True).set_input_files(
        files=[{"name": "february.csv", "mimeType": "text/csv", "buffer": bad.replace("02-30", "02-02").encode()}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-result")).to_contain_text("Imported 3 transactions.")
    assert page.evaluate("window.__sameDocument") is True
    assert Transaction.objects.count() == count + 3

    # When they preview the same file again, every row shows as imported before, nothing is written
    page.get_by_label("File:", exact=True).set_input_files(
        files=[{"name": "february.csv", "mimeType": "text/csv", "buffer": bad.replace("02-30", "02-02").encode()}]
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-result")).to_contain_text("Preview: nothing was written. 0 new transactions")
    expect(page.locator("#import-result .import-preview tbody tr")).to_have_count(3)
    expect(page.locator("#import-result .import-duplicates tbody tr")).to_have_count(3)
    assert Transaction.objects.count() == count + 3


def test_accept_a_suggested_category(page, books, log_in, screenshot):
    # Given two rows the categoriser filed under Supplies: one right (91 %), one wrong (42 %)
    supplies = Category.objects.get(workspace=books.workspace, name="Supplies")
    rent = Category.objects.get(workspace=books.workspace, name="Rent")
    today = timezone.localdate()
    flour = f.TransactionFactory(
        workspace=books.workspace, description="MILL & CO FLOUR 25KG", merchant="Mill & Co", category=supplies,
        category_source="model", category_confidence=0.91, amount=Decimal("61.20"), date=today,
    )
    repairs = f.TransactionFactory(
        workspace=books.workspace, description="LANDLORD REPAIRS", merchant="Landlord", category=supplies,
        category_source="model", category_confidence=0.42, amount=Decimal("180.00"), date=today,
    )
    log_in()
    # When the owner lists the suggestions to review
    page.get_by_role("link", name="Transactions").first.click()
    page.locator("details.filters > summary").click()
    filters = page.get_by_role("form", name="Filter transactions")
    filters.get_by_label("Category").select_option(label="Suggested by the model (to review)")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table.transactions tbody tr")).to_have_count(2)
    expect(page.locator(f"#category-{flour.pk}")).to_contain_text("Suggested · 91\xa0%")
    expect(page.locator(f"#category-{repairs.pk} .badge")).to_have_class(re.compile("low-confidence"))
    screenshot(page, "suggestions-desktop")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # And accepts the first in one click
    page.locator(f"#category-{flour.pk}").get_by_role("button", name=re.compile("^Accept")).click()
    # Then, without a reload, the row says so and offers nothing more
    expect(page.locator(f"#category-{flour.pk}")).to_contain_text("Supplies")
    expect(page.locator(f"#category-{flour.pk} [role=status]")).to_have_text("Accepted")
    expect(page.locator(f"#category-{flour.pk} [data-suggestion-form]")).to_have_count(0)

    # When they correct the second to Rent (choosing it submits)
    page.get_by_label("Correct the category of LANDLORD REPAIRS").select_option(label="Rent")
    expect(page.locator(f"#category-{repairs.pk} [role=status]")).to_have_text("Corrected")
    expect(page.locator(f"#category-{repairs.pk} .category-name")).to_have_text("Rent")
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "suggestions-done-desktop")

    # Then both are the user's now, and the categoriser got one acceptance and one correction
    flour.refresh_from_db()
    repairs.refresh_from_db()
    assert (flour.category, flour.category_source) == (supplies, "user")
    assert (repairs.category, repairs.category_source, repairs.category_confidence) == (rent, "user", None)
    feedback = list(Feedback.objects.order_by("id").values_list("kind", "transaction_id", "actual", "user__username"))
    assert feedback == [
        ("acceptance", flour.pk, supplies.pk, books.username),
        ("correction", repairs.pk, rent.pk, books.username),
    ]


def test_retrain_shows_progress_without_reload(page, books, trained, log_in, screenshot):
    # Given the owner on the Models page, revenue's model deployed
    log_in()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Models").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Models")
    card = page.locator(".model-card[data-target='revenue']")
    revenue = trained["revenue"]
    expect(card.locator("[data-deployed]")).to_contain_text(f"{algorithm_label(revenue.algorithm)} v{revenue.version}")
    screenshot(page, "models-desktop")
    page.evaluate("window.__sameDocument = true")

    # When they click Retrain
    button = card.get_by_role("button", name=re.compile("^Retrain"))
    button.click()
    # Then a job is queued and its progress shows in the card
    status = card.locator(".job-status")
    expect(status).to_contain_text("queued")
    expect(button).to_be_disabled()
    job = TrainingJob.objects.get(requested_by__username=books.username)
    assert (job.target, job.status, job.trigger) == ("revenue", "queued", "manual")

    # When the worker runs it (here: in the test's thread)
    job = training_job_run(job_id=job.pk)
    assert job.status == TrainingJob.Status.SUCCEEDED, job.error
    # Then the card follows it to the end without a reload
    expect(status).to_contain_text(f"Job {job.pk}: finished")
    expect(card.locator("[data-pending]")).to_have_text("Just trained")
    # (same books, so the challenger matches the champion's backtest and is deployed)
    assert job.deployed is True
    winner = job.winner
    expect(card.locator("[data-deployed]")).to_contain_text(
        f"{algorithm_label(winner.algorithm)} v{winner.version} just deployed"
    )
    expect(button).to_be_enabled()
    assert card.locator("progress").evaluate("bar => bar.value") == 100
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "models-retrained-desktop")


def test_workspace_switcher(page, books, log_in):
    # Given the owner, who also keeps a household workspace
    log_in()
    expect(page.get_by_role("heading", level=1)).to_have_text("Corner Bakery")
    # When they choose it in the switcher (it submits on change)
    page.get_by_label("Workspace").select_option(label="Home")
    # Then the pages show that workspace
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.get_by_role("link", name="Transactions").first.click()
    expect(page.get_by_text("No transactions yet.")).to_be_visible()


@pytest.mark.parametrize("width", [1200, 1280, 1366])
def test_the_top_bar_is_one_line_on_a_laptop(page, books, log_in, width):
    # Given the owner signed in on a laptop screen
    page.set_viewport_size({"width": width, "height": 768})
    log_in()
    # Then the brand, every page's link and the workspace tools share one line
    tops = page.evaluate("""() => [...document.querySelectorAll('.brand, .nav-links a, .nav-tools')]
      .map((el) => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))""")
    assert len(tops) >= 12 and max(tops) - min(tops) <= 2


def test_viewer_has_no_write_buttons(page, books, log_in, screenshot):
    log_in(books.viewer_username)
    page.goto("/transactions/")
    expect(page.locator("table.transactions tbody tr")).to_have_count(25)
    expect(page.get_by_role("link", name="Add transaction")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    response = page.goto("/transactions/new/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    screenshot(page, "forbidden-desktop")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_at_phone_and_desktop_width(page, books, trained, log_in, screenshot, size):
    """Each page renders without horizontal overflow and the navigation works; a
    screenshot of each is written."""
    viewport = PHONE if size == "phone" else DESKTOP
    page.set_viewport_size(viewport)
    if size == "phone":
        page.goto("/login/")
        screenshot(page, "login-phone")
    log_in()
    first = Transaction.objects.filter(workspace=books.workspace).order_by("-date", "-id").first()
    pages = {
        "overview": "/",
        "transactions": "/transactions/",
        "transaction-edit": f"/transactions/{first.pk}/edit/",
        "transaction-delete": f"/transactions/{first.pk}/delete/",
        "import": "/transactions/import/",
        "inventory": "/inventory/",
        "models": "/models/",
        "coaching": "/coaching/",
    }
    for name, path in pages.items():
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the {size} screen"
        screenshot(page, f"{name}-{size}")

    # Inventory: one status per row — carrot cake is out; croissants (cover < 14 days) and
    # bread (42 on hand, at its reorder point under the forecast demand) are to order now
    page.goto("/inventory/")
    rows = page.locator("table.inventory tbody tr")
    expect(rows).to_have_count(4)
    statuses = [(r.get_attribute("data-sku"), r.get_attribute("data-status")) for r in rows.all()]
    assert statuses == [("BRD-01", "order_now"), ("CAK-03", "out"), ("CRS-02", "order_now"), ("JAM-04", "ok")]
    expect(page.locator("tr[data-sku='CAK-03']")).to_contain_text("Out of stock")
    expect(page.locator("tr[data-sku='CRS-02']")).to_contain_text("Order now")
    expect(page.locator("tr[data-sku='BRD-01'] td.total")).to_have_text("42")
    # Forecast demand: 400 units a month shared by recent sales; croissants (240 of 357 sold)
    # will run out within the lead time, the jam (12 of 357) will not
    expect(page.locator("tr[data-sku='CRS-02'] .demand-cell")).to_contain_text("stockout 100\xa0%")
    expect(page.locator("tr[data-sku='JAM-04'] .demand-cell")).to_have_attribute("data-demand", re.compile(r"^1[2-4]$"))
    expect(page.locator("tr[data-sku='JAM-04'] .demand-cell .badge")).to_have_count(0)

    nav_link = page.get_by_role("link", name="Inventory")
    if size == "phone":
        # The navigation is folded behind the Menu button
        expect(nav_link).to_be_hidden()
        page.get_by_role("button", name="Menu").click()
        expect(nav_link).to_be_visible()
        screenshot(page, "navigation-open-phone")
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#cashflow-chart")).to_have_attribute("data-chart-ready", "true")
