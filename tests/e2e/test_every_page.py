"""Every end-user page in a real browser, found from the URL configuration (a page added
later is visited too, or this test says it is missing):

* at 390 px (a phone) nothing is wider than the screen — tables scroll inside their own
  box with the first column fixed, or become cards; at 1366 px (a laptop) no table hides
  columns in a scroll box;
* axe-core (vendored in tests/e2e/vendor/axe.min.js) finds no serious or critical
  accessibility violation, at 1366 px and at 390 px;
* a screenshot of each at both widths goes to test-artifacts/screenshots/every-<name>-<width>.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from playwright.sync_api import expect

from finance.models import Account, Budget, Category, Transaction, Transfer
from tests import factories as f
from tests.e2e.conftest import PHONE
from tests.e2e.test_budgets_goals import TOO_WIDE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PAGE_NAMESPACES = ("finance", "forecasting", "coaching")
NOT_PAGES = {"finance:login"}  # visited signed out, below

OPEN_DETAILS = """() => Promise.all([...document.querySelectorAll("details:not([open])")].map((d) =>
  new Promise((resolve) => { d.addEventListener("toggle", resolve, { once: true }); d.open = true; })))"""

SCROLLED = """() => [...document.querySelectorAll(".table-scroll")]
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => (box.closest("section, article") || box).id || box.parentElement.className)"""

AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary) }));
}"""


def _routes(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and namespace in PAGE_NAMESPACES:
            yield namespace, pattern


def page_routes() -> dict[str, tuple[str, type | None]]:
    """``{"namespace:name": (route, model of its <pk> or None)}`` for every route of the
    end-user apps that answers GET (commands that only take POST are not pages)."""
    found = {}
    for namespace, pattern in _routes(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        if view is None or not hasattr(view, "get") or "get" not in view.http_method_names:
            continue
        route = str(pattern.pattern)
        found[f"{namespace}:{pattern.name}"] = (route, getattr(view, "model", None) if "<int:pk>" in route else None)
    return found


def page_paths(workspace) -> dict[str, str]:
    """A path for every page: routes with ``<int:pk>`` get the workspace's first row of the
    view's model (the test fails naming a page it cannot fill)."""
    paths, missing = {}, []
    for name, (route, model) in sorted(page_routes().items()):
        if name in NOT_PAGES:
            continue
        if "<" not in route:
            paths[name] = "/" + route
            continue
        row = model.objects.filter(workspace=workspace).order_by("pk").first() if model is not None else None
        if row is None:
            missing.append(name)
            continue
        paths[name] = "/" + route.replace("<int:pk>", str(row.pk))
    assert missing == [], f"pages without a row to show: {missing}"
    return paths


@pytest.fixture
def full_books(books):
    """The bakery's books (tests/e2e/conftest.py) with a goal, a model suggestion in doubt,
    a second account with a transfer and, where the Rules page exists, a rule: every page
    has a row to show."""
    workspace = books.workspace
    f.GoalFactory(workspace=workspace, name="New deck oven", target_amount="9000.00", saved_amount="2600.00")
    supplies = Category.objects.get(workspace=workspace, name="Supplies")
    f.TransactionFactory(workspace=workspace, description="Wire to an unknown account", merchant="",
                         amount="98000.00", category=supplies, category_source="model", category_confidence=0.2,
                         date=Transaction.objects.filter(workspace=workspace).order_by("-date").first().date)
    rule_model = next((m for m in apps.get_app_config("finance").get_models() if m.__name__ == "CategoryRule"), None)
    if rule_model is not None:
        rule_model.objects.create(workspace=workspace, pattern="Mill", category=supplies)
    main = Account.objects.get(workspace=workspace, is_default=True)
    savings = Account.objects.create(workspace=workspace, name="Savings", kind="savings", currency=workspace.currency)
    Transfer.objects.create(workspace=workspace, from_account=main, to_account=savings, amount="500.00",
                            date=timezone.localdate(), description="Monthly saving")
    assert Budget.objects.filter(workspace=workspace).count() == 2
    return books


def _check(page, path: str, width: int, screenshot, name: str) -> dict:
    response = page.goto(path)
    assert response.status == 200, path
    page.wait_for_load_state("load")
    for canvas in page.locator(
        "canvas[data-budget-chart], canvas[data-goal-chart], canvas[data-balance-chart], #cashflow-chart"
    ).all():
        expect(canvas).to_have_attribute("data-chart-ready", "true")
    # What hides behind "Show as a table" and other disclosures must fit too (resolved once
    # every one has fired its toggle event, which the page's scripts listen to)
    page.evaluate(OPEN_DETAILS)
    fit = page.evaluate(TOO_WIDE)
    if width > 1000:  # a laptop shows every table whole: nothing hides in a scroll box
        fit["scrolled"] = page.evaluate(SCROLLED)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN)
    screenshot(page, f"every-{name.replace(':', '-')}-{width}")
    return {"fit": fit, "axe": violations}


def test_the_route_list_finds_the_pages():
    # The enumeration itself: the known pages are there, the POST-only commands are not
    routes = page_routes()
    assert {"finance:overview", "finance:transactions", "finance:accounts", "finance:budgets", "finance:goals",
            "finance:inventory", "forecasting:models", "coaching:page"} <= set(routes)
    assert "finance:logout" not in routes and "forecasting:retrain" not in routes


@pytest.mark.parametrize("width", [390, 1366])
def test_every_page_fits_the_screen_and_passes_axe(page, full_books, trained, log_in, screenshot, width):
    """Given the bakery's books and models, when each page is opened at ``width``, then no
    element is wider than the screen (at 390 px; scroll boxes of their own aside) and axe
    finds no serious or critical violation."""
    page.set_viewport_size(PHONE if width == 390 else LAPTOP)
    problems = {}
    result = _check(page, "/login/", width, screenshot, "login")
    if result["axe"] or (width == 390 and result["fit"] != {"overflow": 0, "wide": []}):
        problems["/login/"] = result
    log_in()
    for name, path in page_paths(full_books.workspace).items():
        result = _check(page, path, width, screenshot, name)
        if result["axe"] or (width == 390 and result["fit"] != {"overflow": 0, "wide": []}) or result["fit"].get("scrolled"):
            problems[path] = result
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


PARTIAL_STATE = """() => {
  const chart = Chart.getChart(document.getElementById("cashflow-chart"));
  const last = chart.data.labels.length - 1;
  const revenue = chart.data.datasets[0];
  return {
    label: chart.data.labels[last],
    shownLabels: chart.scales.x.ticks.map((t) => t.label).filter((l) => l && l.length),
    fill: [revenue.backgroundColor[last - 1], revenue.backgroundColor[last]],
    outline: revenue.borderWidth[last],
    netPoint: chart.data.datasets[2].pointRadius[last],
  };
}"""


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_month_to_date_and_a_paid_bill_on_the_overview(page, books, trained, log_in, viewport):
    # Given the bakery, whose rent (1,200 on the 1st) is paid this month, under a 1,300 budget
    Budget.objects.filter(workspace=books.workspace, category__name="Rent").update(amount="1300.00")
    page.set_viewport_size(viewport)
    # When the owner opens the overview
    log_in()
    expect(page.locator("#cashflow-chart")).to_have_attribute("data-chart-ready", "true")
    # Then the current month is drawn light with an outline, labelled month to date, even on a phone
    state = page.evaluate(PARTIAL_STATE)
    month = f"{timezone.localdate():%b %Y}"
    assert state["label"] == [month, "month to date" if viewport is LAPTOP else "to date"]
    assert state["shownLabels"][-1] == state["label"]
    assert (state["fill"], state["outline"], state["netPoint"]) == (["#1e7d55", "rgba(30,125,85,0.3)"], 2, 5)
    expect(page.locator("tr[data-partial='true'] th")).to_contain_text(f"{month} (month to date)")
    expect(page.locator("[data-stat='revenue']")).to_contain_text("EUR")
    # And the paid rent is not projected again: about 1,200 by month end, no overrun risk
    rent = page.locator("table.budgets tr[data-category='Rent']")
    expect(rent.locator(".risk-cell")).to_have_attribute("data-risk", "low")
    expect(rent.locator(".risk-cell")).to_contain_text("0\u00a0%")
    expect(rent.locator(".risk-cell")).to_contain_text("≈\u00a01,200\u00a0EUR by month end")
    expect(rent.locator("[data-bills-paid]")).to_have_text("bills paid: 1,200\u00a0EUR")
    # And the rent is among the upcoming bills, next on the 1st of next month
    expect(page.locator("#upcoming-bills tr[data-bill='Landlord']")).to_contain_text("paid 1 ")
