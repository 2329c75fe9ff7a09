"""The Accounts page in a real browser: the owner adds a savings account, moves money to it
with the page's transfer form (an amount typed with a thousands separator), and both
balances move while the Overview's revenue and expenses stay as they were; the balance
chart marks the month to date; at 390 px nothing is wider than the screen."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from finance.accounts.models import Account, Transfer
from finance.models import Transaction
from tests.e2e.conftest import PHONE
from tests.e2e.test_budgets_goals import CHART_STATE, TOO_WIDE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}


def _totals(page) -> tuple[str, str, str]:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Overview").click()
    return tuple(page.locator(f"[data-stat='{name}']").inner_text() for name in ("revenue", "expense", "net"))


def _balance(page, name: str):
    return page.locator(f"table.account-list tr[data-account='{name}'] [data-balance]")


def test_a_transfer_moves_both_balances_and_leaves_revenue_and_expenses(page, books, log_in, screenshot):
    # Given the owner of the bakery (a year of books in the default account), on the Overview
    log_in()
    page.set_viewport_size(LAPTOP)
    before = _totals(page)
    assert before[0].endswith("EUR")
    rows = Transaction.objects.count()
    main = Account.objects.get(workspace=books.workspace, is_default=True)

    # When they open Accounts and add a savings account
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    main_before = _balance(page, main.name).inner_text()
    page.get_by_role("link", name="Add account").click()
    page.get_by_label("Name").fill("Savings")
    page.get_by_label("Kind").select_option("savings")
    page.get_by_label("Opening balance").fill("2,000.00")
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_role("status").first).to_have_text("Added the account Savings.")
    expect(_balance(page, "Savings")).to_have_text("2,000.00\xa0EUR")

    # And move 1,500.00 EUR from the main account to it
    form = page.locator("form.transfer-form")
    form.get_by_label("From").select_option(label=f"{main.name} (EUR)")
    form.get_by_label("To").select_option(label="Savings (EUR)")
    form.get_by_label("Amount").fill("1,500.00")
    screenshot(page, "accounts-transfer-form-1366")
    form.get_by_role("button", name="Transfer").click()

    # Then the page says so and both balances moved by the amount
    expect(page.get_by_role("status").first).to_have_text(
        f"Moved 1,500.00 EUR from {main.name} to Savings: neither revenue nor expense.")
    expect(_balance(page, "Savings")).to_have_text("3,500.00\xa0EUR")
    moved = float(main_before.replace("\xa0EUR", "").replace(",", "")) - 1500
    expect(_balance(page, main.name)).to_have_text(f"{moved:,.2f}\xa0EUR")
    expect(page.locator("#transfers tbody tr")).to_have_count(1)
    expect(page.locator("#transfers tbody tr")).to_contain_text(timezone.localdate().isoformat())
    transfer = Transfer.objects.get()
    assert (transfer.from_account_id, transfer.to_account.name, str(transfer.amount)) == (main.pk, "Savings", "1500.00")

    # And the chart draws both accounts, this month labelled month to date
    expect(page.locator("#balance-chart")).to_have_attribute("data-chart-ready", "true")
    state = page.evaluate(CHART_STATE, "balance-chart")
    assert state["datasets"] == [main.name, "Savings"]
    assert state["labels"][-1] == f"{timezone.localdate():%b %Y} / month to date"
    assert state["painted"] > 1000
    screenshot(page, "accounts-1366")

    # And the Overview's revenue, expenses and net are what they were; no transaction was written
    assert _totals(page) == before
    assert Transaction.objects.count() == rows


def test_the_accounts_page_on_a_phone(page, books, log_in, screenshot):
    # Given the bakery with a second account and a transfer
    main = Account.objects.get(workspace=books.workspace, is_default=True)
    card = Account.objects.create(workspace=books.workspace, name="Business card with a long name", kind="card",
                                  currency="EUR")
    Transfer.objects.create(workspace=books.workspace, from_account=main, to_account=card, amount="480.00",
                            date=timezone.localdate(), description="Card bill for last month")
    log_in()
    # When the owner opens Accounts on a phone
    page.set_viewport_size(PHONE)
    page.goto("/accounts/")
    expect(page.locator("#balance-chart")).to_have_attribute("data-chart-ready", "true")
    page.locator("details.month-table > summary").click()
    # Then every account is a card with its balance, and nothing is wider than the screen
    expect(page.locator("table.account-list tbody tr")).to_have_count(2)
    expect(_balance(page, card.name)).to_have_text(re.compile(r"^480\.00\xa0EUR$"))
    assert page.evaluate(TOO_WIDE) == {"overflow": 0, "wide": []}
    screenshot(page, "accounts-390")
