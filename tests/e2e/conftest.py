"""Browser tests: Playwright (Python) driving Debian's Chromium, headless, against
pytest-django's live server on localhost.

Chromium comes from the distribution (``apt-get install chromium``; ``make test``, which
``.ci/run`` calls, installs it first through the Makefile's ``chromium`` target), never
from ``playwright install``. Without ``/usr/bin/chromium`` every test here **fails** (it
does not skip): CI must run them.

Screenshots of every page go to ``test-artifacts/screenshots/`` (gitignored).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from finance.models import Membership, Workspace
from tests import factories as f

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "e2e-pass-1234"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def _playwright() -> Iterator[object]:
    """A Playwright instance for the module.

    Playwright's sync API keeps an asyncio loop marked as running in this thread while it
    is alive, and Django refuses ORM calls from a thread with a running loop. The test code
    here is synchronous, so DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly as long as
    Playwright runs (stopping it clears the loop) and restored afterwards.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"e2e: Chromium is not installed at {CHROMIUM}. Install Debian's package "
            "(apt-get install -y chromium; `make chromium` does it). Browser tests never skip.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        manager = sync_playwright().start()
        try:
            yield manager
        finally:
            manager.stop()


@pytest.fixture(scope="module")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) at desktop size, with the live server as base URL."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"uncaught JavaScript errors in the browser: {errors}"


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` writes ``test-artifacts/screenshots/<name>.png`` (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@dataclass
class Books:
    """What the browser tests log in to."""

    workspace: Workspace
    username: str
    password: str
    viewer_username: str


def _month_day(months_back: int, day: int) -> dt.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, day)


@pytest.fixture
def books(transactional_db) -> Books:
    """A bakery with a year of books, budgets and stock; an owner and a viewer."""
    owner = f.UserFactory(username="baker", password=PASSWORD)
    viewer = f.UserFactory(username="accountant", password=PASSWORD)
    workspace = f.WorkspaceFactory(name="Corner Bakery", currency="EUR")
    f.MembershipFactory(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    f.MembershipFactory(workspace=workspace, user=viewer, role=Membership.Role.VIEWER)
    household = f.WorkspaceFactory(name="Home")
    f.MembershipFactory(workspace=household, user=owner, role=Membership.Role.OWNER)

    sales = f.CategoryFactory(workspace=workspace, name="Sales", kind="revenue")
    supplies = f.CategoryFactory(workspace=workspace, name="Supplies", kind="expense")
    rent = f.CategoryFactory(workspace=workspace, name="Rent", kind="expense")
    for months_back in range(12):
        f.TransactionFactory(
            workspace=workspace, kind="revenue", category=sales, description="Shop takings",
            amount=Decimal(3000 + 150 * ((12 - months_back) % 5)), date=_month_day(months_back, 5),
        )
        f.TransactionFactory(
            workspace=workspace, category=rent, description="Shop rent", merchant="Landlord",
            amount=Decimal("1200.00"), date=_month_day(months_back, 1),
        )
        f.TransactionFactory(
            workspace=workspace, category=supplies, description="Flour and butter", merchant="Mill & Co",
            amount=Decimal(600 + 40 * (months_back % 4)), date=_month_day(months_back, 3),
        )
    f.BudgetFactory(workspace=workspace, category=supplies, amount=Decimal("700.00"), start_date=_month_day(12, 1))
    f.BudgetFactory(workspace=workspace, category=rent, amount=Decimal("1100.00"), start_date=_month_day(12, 1))

    today = timezone.localdate()
    north = f.WarehouseFactory(workspace=workspace, code="SHOP", name="Shop floor")
    back = f.WarehouseFactory(workspace=workspace, code="BACK", name="Back room")
    for n, (sku, name, shop, backroom, sold) in enumerate(
        [
            ("BRD-01", "Sourdough loaf", 12, 30, 90),
            ("CRS-02", "Croissant", 3, 0, 240),
            ("CAK-03", "Carrot cake", 0, 0, 15),
            ("JAM-04", "Apricot jam", 40, 60, 12),
        ]
    ):
        product = f.ProductFactory(workspace=workspace, sku=sku, name=name)
        f.StockLevelFactory(workspace=workspace, product=product, warehouse=north, quantity=shop)
        f.StockLevelFactory(workspace=workspace, product=product, warehouse=back, quantity=backroom)
        f.SaleFactory(workspace=workspace, product=product, warehouse=north, date=today - dt.timedelta(days=n + 1), quantity=sold)
    return Books(workspace=workspace, username="baker", password=PASSWORD, viewer_username="accountant")


E2E_ALGORITHMS = ["naive", "linear_regression"]


@pytest.fixture
def trained(books) -> dict[str, object]:
    """Models trained on the bakery's books by the real training service (the competition
    of two quick algorithms, backtested, the winner deployed): revenue, expenses, and the
    Supplies category's expenses. ``{target: deployed ModelVersion}``."""
    from forecasting.registry.models import ModelVersion
    from forecasting.training.jobs import training_job_create, training_job_run
    from forecasting.training.models import TrainingJob

    supplies = books.workspace.categories.get(name="Supplies")
    deployed = {}
    for target in ("revenue", "expense", f"expense:category={supplies.pk}"):
        job = training_job_create(workspace=books.workspace, target=target, algorithms=E2E_ALGORITHMS,
                                  frequency="M", enqueue=False)
        job = training_job_run(job_id=job.pk)
        assert job.status == TrainingJob.Status.SUCCEEDED, job.error
        deployed[target] = ModelVersion.objects.get(
            workspace=books.workspace, target=target, status=ModelVersion.Status.DEPLOYED
        )
    # Inventory demand: a registry version fitted on 12 months of 400 units, up to last month
    # (the books' sales are all recent, too little history to train on)
    inventory = f.fitted_version(workspace=books.workspace, target="inventory", algorithm="naive",
                                 status="deployed", values=[400.0] * 12)
    ModelVersion.objects.filter(pk=inventory.pk).update(
        training_start=_month_day(12, 1), training_end=_month_day(1, 1),
    )
    deployed["inventory"] = inventory
    return deployed


@pytest.fixture
def log_in(page, books, live_server):
    """``log_in(username=…)`` signs in through the login form and lands on the overview."""

    def do(username: str | None = None) -> None:
        page.goto("/login/")
        page.get_by_label("Username").fill(username or books.username)
        page.get_by_label("Password").fill(books.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

    return do
