"""Recurring bills found in the books (finance.services.recurring.recurring_bills_detect),
and the Upcoming bills lists of the Budgets page and the Overview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finance.months import add_months
from finance.services.recurring import (
    RecurringBill,
    payee_key,
    recurring_bill_payments,
    recurring_bills_detect,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 10)


def pay(workspace, category, day: dt.date, amount: str, *, merchant: str = "Landlord", **extra):
    return f.TransactionFactory(workspace=workspace, category=category, date=day, amount=Decimal(amount),
                                merchant=merchant, description=extra.pop("description", "Rent"), **extra)


@pytest.fixture
def rent(workspace):
    return f.CategoryFactory(workspace=workspace, name="Rent")


def test_a_monthly_rent_paid_three_times_is_a_bill_with_its_next_date(workspace, rent):
    # Given rent paid three times, once a month (the second a day late, after a weekend)
    for day in (dt.date(2025, 4, 1), dt.date(2025, 5, 2), dt.date(2025, 6, 1)):
        pay(workspace, rent, day, "1200.00")
    # When the bills are detected on 10 June
    bills = recurring_bills_detect(workspace=workspace, today=TODAY)
    # Then the rent is a monthly bill of 1,200 due again on 1 July, paid this month
    assert bills == [RecurringBill(
        payee="Landlord", category_id=rent.pk, category_name="Rent", period="monthly", amount=Decimal("1200.00"),
        currency="USD", occurrences=3, last_date=dt.date(2025, 6, 1), next_date=dt.date(2025, 7, 1), anchor_day=1,
    )]
    bill = bills[0]
    assert bill.paid_in_month(today=TODAY) is True
    assert bill.due_this_month(today=TODAY) == Decimal("0")
    assert bill.monthly_amount == Decimal("1200.00")


def test_a_bill_not_yet_paid_this_month_is_due_in_full(workspace, rent):
    # Given rent paid on the 1st of March, April and May, not yet in June
    for month in (3, 4, 5):
        pay(workspace, rent, dt.date(2025, month, 1), "1200.00")
    # When the bills are detected on 10 June
    [bill] = recurring_bills_detect(workspace=workspace, today=TODAY)
    # Then June's payment is late and still due in full this month
    assert (bill.next_date, bill.paid_in_month(today=TODAY)) == (dt.date(2025, 6, 1), False)
    assert bill.due_this_month(today=TODAY) == Decimal("1200.00")


@pytest.mark.parametrize(
    ("payments", "why"),
    [
        ([("2025-04-01", "50.00"), ("2025-05-01", "120.00"), ("2025-06-01", "80.00")], "irregular amounts"),
        ([("2025-04-01", "80.00"), ("2025-04-11", "80.00"), ("2025-06-01", "80.00")], "irregular dates"),
        ([("2025-05-01", "80.00"), ("2025-06-01", "80.00")], "only twice"),
        ([("2025-01-01", "80.00"), ("2025-02-01", "80.00"), ("2025-03-01", "80.00")], "stopped in April"),
    ],
)
def test_what_is_not_a_bill(workspace, rent, payments, why):
    # Given payments to one payee that are not a regular bill
    for day, amount in payments:
        pay(workspace, rent, dt.date.fromisoformat(day), amount, merchant="Corner shop")
    # When the bills are detected
    # Then none is found
    assert recurring_bills_detect(workspace=workspace, today=TODAY) == [], why


def test_weekly_and_yearly_bills_and_amounts_within_the_tolerance(workspace, rent):
    # Given a cleaner paid every Friday (amounts within 10 % of their median) and insurance once a year
    for n, amount in enumerate(["60.00", "64.00", "58.00", "61.00"]):
        pay(workspace, rent, dt.date(2025, 5, 16) + dt.timedelta(days=7 * n), amount, merchant="Cleaner")
    for year in (2022, 2023, 2024):
        pay(workspace, rent, dt.date(year, 9, 30), "480.00", merchant="Home insurance")
    # When the bills are detected on 10 June 2025
    bills = {bill.payee: bill for bill in recurring_bills_detect(workspace=workspace, today=TODAY)}
    # Then the cleaner is weekly, next on Friday 13 June, 60.50 expected (the median)
    cleaner = bills["Cleaner"]
    assert (cleaner.period, cleaner.next_date, cleaner.amount) == ("weekly", dt.date(2025, 6, 13), Decimal("60.50"))
    # (and paid twice more before the month ends: the 20th and the 27th)
    assert cleaner.due_dates(until=dt.date(2025, 6, 30)) == [dt.date(2025, 6, 13), dt.date(2025, 6, 20),
                                                              dt.date(2025, 6, 27)]
    # And the insurance is yearly, next on 30 September 2025
    insurance = bills["Home insurance"]
    assert (insurance.period, insurance.next_date, insurance.monthly_amount) == (
        "yearly", dt.date(2025, 9, 30), Decimal("40.00"))


def test_one_payee_in_two_categories_and_descriptions_without_a_merchant(workspace, rent):
    # Given a payee with a rent and irregular repairs, and a bill known by its description only
    repairs = f.CategoryFactory(workspace=workspace, name="Repairs")
    for month, repair in ((4, "90.00"), (5, "400.00"), (6, "35.00")):
        pay(workspace, rent, dt.date(2025, month, 1), "1200.00")
        pay(workspace, repairs, dt.date(2025, month, 3), repair)
        pay(workspace, repairs, dt.date(2025, month, 5), "30.00", merchant="", description=f"Phone 0{month}/2025")
    # When the bills are detected
    bills = recurring_bills_detect(workspace=workspace, today=TODAY)
    # Then the rent and the phone are bills, the repairs are not (the digits of the description aside)
    assert [(b.payee, b.category_name, b.amount) for b in bills] == [
        ("Landlord", "Rent", Decimal("1200.00")), ("Phone 06/2025", "Repairs", Decimal("30.00"))]
    assert payee_key(merchant="", description="Phone 06/2025") == payee_key(merchant="", description="phone 04-2025")


def test_a_bill_is_in_the_workspaces_currency_on_the_pages_too(rent):
    # Given a euro household whose last rent row came in dollars (an imported card statement)
    workspace = rent.workspace
    workspace.currency = "EUR"
    workspace.save()
    member = f.MembershipFactory(workspace=workspace).user
    today = timezone.localdate()
    for back, currency in ((2, "EUR"), (1, "EUR"), (0, "USD")):
        pay(workspace, rent, add_months(today, -back), "1200.00", currency=currency)
    # When the bills are detected and the pages show them
    [bill] = recurring_bills_detect(workspace=workspace, today=today)
    client = Client()
    client.force_login(member)
    pages = [client.get(reverse(name)).content.decode() for name in ("finance:budgets", "finance:overview")]
    # Then the bill is in the workspace's currency, as the budgets and totals beside it
    assert bill.currency == "EUR"
    for html in pages:
        assert "1,200.00\u00a0EUR" in html
        assert "USD" not in html


def test_another_workspaces_and_pending_and_revenue_rows_are_not_read(workspace, other_workspace, rent):
    for month in (4, 5, 6):
        pay(other_workspace, None, dt.date(2025, month, 1), "1200.00")
        pay(workspace, rent, dt.date(2025, month, 1), "900.00", status="pending")
        pay(workspace, None, dt.date(2025, month, 1), "3000.00", kind="revenue", merchant="Employer")
    assert recurring_bills_detect(workspace=workspace, today=TODAY) == []


# --- the pages ----------------------------------------------------------------------------------


def test_upcoming_bills_on_the_budgets_page_and_the_overview(workspace, member, rent):
    # Given rent paid on the 1st of each of the last three months (this one included)
    today = timezone.localdate()
    for back in (2, 1, 0):
        pay(workspace, rent, add_months(today, -back), "1200.00")
    client = Client()
    client.force_login(member)
    next_date = add_months(today, 1)
    for url in (reverse("finance:budgets"), reverse("finance:overview")):
        # When a member opens the page
        html = client.get(url).content.decode()
        # Then the rent is listed with its next date and amount in the workspace's currency, paid this month
        assert "Upcoming bills" in html
        assert f'data-next="{next_date.isoformat()}"' in html
        assert "1,200.00\u00a0USD" in html
        assert f"paid 1 {today:%b}" in html


def test_payroll_twice_a_month_on_the_15th_and_the_last_day(workspace):
    # Given payroll of 2,000 paid on the 15th and the last day of each month from January to
    # May 2025, a date on a weekend paid the Friday before (Feb 14, Mar 14, May 30)
    payroll = f.CategoryFactory(workspace=workspace, name="Payroll")
    days = ["2025-01-15", "2025-01-31", "2025-02-14", "2025-02-28", "2025-03-14", "2025-03-31", "2025-04-15",
            "2025-04-30", "2025-05-15", "2025-05-30"]
    for day in days:
        pay(workspace, payroll, dt.date.fromisoformat(day), "2000.00", merchant="Paychex", description="Payroll")
    # When the bills are detected on 10 June
    [bill] = recurring_bills_detect(workspace=workspace, today=TODAY)
    # Then it is a semimonthly bill of the 15th and the 31st (clamped to each month's length),
    # due next on 15 June, costing 4,000 a month
    assert (bill.period, bill.first_day, bill.anchor_day, bill.next_date) == (
        "semimonthly", 15, 31, dt.date(2025, 6, 15))
    assert bill.due_dates(until=dt.date(2025, 7, 31)) == [
        dt.date(2025, 6, 15), dt.date(2025, 6, 30), dt.date(2025, 7, 15), dt.date(2025, 7, 31)]
    assert bill.monthly_amount == Decimal("4000.00")
    assert bill.due_this_month(today=TODAY) == Decimal("4000.00")
    assert bill.period_label == "twice a month (15th and last day)"


def test_payroll_every_other_friday(workspace):
    # Given wages of 1,500 paid every other Friday from 7 March to 30 May 2025
    wages = f.CategoryFactory(workspace=workspace, name="Wages")
    for k in range(7):
        pay(workspace, wages, dt.date(2025, 3, 7) + dt.timedelta(weeks=2 * k), "1500.00", merchant="Gusto")
    # When the bills are detected on 10 June
    [bill] = recurring_bills_detect(workspace=workspace, today=TODAY)
    # Then it is a biweekly bill due every 14 days from 13 June, 26 payments a year
    assert (bill.period, bill.last_date, bill.next_date) == ("biweekly", dt.date(2025, 5, 30), dt.date(2025, 6, 13))
    assert bill.due_dates(until=dt.date(2025, 7, 11)) == [dt.date(2025, 6, 13), dt.date(2025, 6, 27),
                                                         dt.date(2025, 7, 11)]
    assert bill.monthly_amount == Decimal("3250.00")
    assert bill.period_label == "every other week"


def test_a_bills_payments_are_all_its_payees_in_its_category(workspace, rent):
    # Given rent of 1,000 paid monthly in 2024 and 1,200 since January 2025 (a rise beyond the
    # tolerance: the bill's run starts in January), the same landlord paid a deposit in another
    # category, and another payee in the rent category
    deposits = f.CategoryFactory(workspace=workspace, name="Deposits")
    for month in range(10, 13):
        pay(workspace, rent, dt.date(2024, month, 1), "1000.00", description="Rent Oct 2024")
    for month in range(1, 7):
        pay(workspace, rent, dt.date(2025, month, 1), "1200.00", description=f"RENT {month}/2025")
    pay(workspace, deposits, dt.date(2025, 1, 5), "2400.00")
    pay(workspace, rent, dt.date(2025, 2, 3), "75.00", merchant="Storage Co")
    # When the bills are read with their payments on 10 June
    payments = recurring_bill_payments(workspace=workspace, today=TODAY)
    # Then the one bill (six payments of 1,200) comes with every rent payment to the
    # landlord, the 2024 ones too, and nothing else
    [(bill, paid)] = payments.items()
    assert (bill.payee, bill.amount, bill.occurrences) == ("Landlord", Decimal("1200.00"), 6)
    assert paid == [(dt.date(2024, m, 1), Decimal("1000.00")) for m in (10, 11, 12)] + [
        (dt.date(2025, m, 1), Decimal("1200.00")) for m in range(1, 7)]
    assert list(payments) == recurring_bills_detect(workspace=workspace, today=TODAY)
