"""The Review and Rules pages in a real browser: marking a flagged row "not fraud" stores the
fraud label; a rule created on the Rules page wins over the deployed categoriser; both
pages at 1366 and 390 px with nothing wider than the screen (screenshots in
test-artifacts/screenshots/)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from finance.models import CategoryRule, Transaction
from forecasting.serving.models import Feedback
from tests import factories as f
from tests.e2e.conftest import PHONE
from tests.e2e.test_budgets_goals import LAPTOP, TOO_WIDE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _wire(workspace):
    return f.TransactionFactory(
        workspace=workspace, description="WIRE OUT 4471 OFFSHORE", merchant="Unknown bank", currency="EUR",
        amount=Decimal("64000.00"), date=timezone.localdate() - dt.timedelta(days=2), is_flagged=True,
        fraud_score=0.87, anomaly_score=0.74,
    )


def test_marking_a_flagged_row_not_fraud_stores_the_feedback(page, books, log_in, screenshot, live_server):
    # Given a flagged 64,000 EUR wire in the bakery's books
    wire = _wire(books.workspace)
    log_in()
    page.set_viewport_size(LAPTOP)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review")
    row = page.locator(f"#review-{wire.pk}")
    expect(row).to_contain_text("Fraud probability 87")
    expect(row).to_contain_text("Anomaly score 0.74")
    expect(row).to_contain_text("64,000.00")
    expect(row).to_contain_text("EUR")
    screenshot(page, "review-1366")
    # When the owner answers "Not fraud"
    row.get_by_role("button", name="Not fraud").click()
    # Then the page says so, the row has left the queue and the label is stored
    expect(page.locator(".message.success")).to_contain_text("as not fraud")
    expect(page.locator(f"#review-{wire.pk}")).to_have_count(0)
    feedback = Feedback.objects.get(transaction=wire)
    assert (feedback.kind, feedback.target, feedback.actual, feedback.user.username) == (
        "fraud_label", "fraud", False, books.username)
    wire.refresh_from_db()
    assert wire.is_flagged is False


def _fuel_books(workspace):
    """Shell bills the books filed under Supplies and BP bills under Fuel, enough for the
    categoriser to be trained (with the bakery's other rows, over 50 categorised rows)."""
    Transaction.objects.filter(workspace=workspace, category__isnull=False).update(category_source="user")
    supplies = workspace.categories.get(name="Supplies")
    fuel = f.CategoryFactory(workspace=workspace, name="Fuel", kind="expense")
    today = timezone.localdate()
    for i in range(12):
        f.TransactionFactory(workspace=workspace, category=supplies, category_source="user", merchant="Shell",
                             description="SHELL 5744 CATERING GAS", amount=Decimal(40 + i),
                             date=today - dt.timedelta(days=20 + i))
        f.TransactionFactory(workspace=workspace, category=fuel, category_source="user", merchant="BP",
                             description="BP 0094 DIESEL", amount=Decimal(60 + i), date=today - dt.timedelta(days=20 + i))
    return fuel


def _add_shell_expense(page, description: str) -> None:
    page.goto("/transactions/new/")
    page.get_by_label("Kind").select_option("expense")
    page.get_by_label("Amount").fill("48.20")
    page.get_by_label("Date").fill(timezone.localdate().isoformat())
    page.get_by_label("Description").fill(description)
    page.get_by_label("Merchant").fill("Shell")
    page.get_by_role("button", name="Add transaction").click()
    expect(page.locator(".message.success")).to_be_visible()


def test_creating_a_rule_and_seeing_it_win_over_the_model(page, books, log_in, screenshot, live_server):
    from forecasting.training.jobs import training_job_create, training_job_run

    # Given a deployed categoriser that has learned "Shell" is Supplies
    fuel = _fuel_books(books.workspace)
    job = training_job_run(job_id=training_job_create(workspace=books.workspace, target="categorizer",
                                                      enqueue=False).pk)
    assert (job.status, job.deployed) == ("succeeded", True), job.error
    log_in()
    page.set_viewport_size(LAPTOP)
    _add_shell_expense(page, "SHELL 5744 before the rule")
    before = Transaction.objects.get(description="SHELL 5744 before the rule")
    assert (before.category.name, before.category_source) == ("Supplies", "model")

    # When the owner adds the rule "merchant contains shell → Fuel" on the Rules page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rules")
    page.get_by_role("link", name="Add rule").first.click()
    page.get_by_label("When the").select_option("merchant")
    page.get_by_label("Operator").select_option("contains")
    page.get_by_label("Text").fill("shell")
    page.get_by_label("Set the category").select_option(label="Fuel (expense)")
    expect(page.get_by_label("Also apply it to the transactions already in the books")).to_be_checked()
    screenshot(page, "rule-form-1366")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator(".message.success")).to_contain_text("Saved the rule")
    expect(page.locator("table.rule-list tbody tr")).to_have_count(1)
    screenshot(page, "rules-1366")

    # Then the model's earlier suggestion gave way to the rule, and a new Shell bill gets Fuel from the rule
    before.refresh_from_db()
    assert (before.category, before.category_source) == (fuel, "rule")
    _add_shell_expense(page, "SHELL 5744 after the rule")
    after = Transaction.objects.get(description="SHELL 5744 after the rule")
    assert (after.category, after.category_source, after.category_confidence) == (fuel, "rule", None)
    page.goto("/transactions/?q=after+the+rule")
    expect(page.locator(f"#category-{after.pk}, #transaction-{after.pk}").first).to_contain_text("Fuel")
    assert CategoryRule.objects.get().created_by.username == books.username


@pytest.mark.parametrize("size", ["1366", "390"])
def test_both_pages_fit_the_screen(page, books, log_in, screenshot, size):
    """Review and Rules at a laptop's and a phone's width: nothing wider than the screen."""
    _wire(books.workspace)
    supplies = books.workspace.categories.get(name="Supplies")
    f.TransactionFactory(workspace=books.workspace, description="ACME SERVICE CHARGE MONTHLY", merchant="Acme",
                         amount=Decimal("12.00"), category=supplies, category_source="model", category_confidence=0.2)
    CategoryRule.objects.create(workspace=books.workspace, field="merchant", operator="contains",
                                pattern="Mill & Co", category=supplies, amount_max=Decimal("900"))
    log_in()
    page.set_viewport_size(PHONE if size == "390" else LAPTOP)
    for path, name in (("/review/", "review"), ("/rules/", "rules")):
        page.goto(path)
        result = page.evaluate(TOO_WIDE)
        assert result == {"overflow": 0, "wide": []}, (path, result)
        screenshot(page, f"{name}-page-{size}")
