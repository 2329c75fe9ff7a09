"""Recurring bills in the engine's spending forecasts (coaching.services.spending_bills): the
engine forecasts each series without its bills' payments and every period adds the bills due
in it; a bill paid in the period in progress is counted once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from coaching.services.spending import spending_forecast
from finance.months import add_months, month_start
from forecasting.registry.models import ModelVersion
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/coaching/spending-prediction/"
MONDAY = dt.date(2025, 9, 22)  # the weeks forecast: 22 Sep, 29 Sep (holds 1 Oct), 6 Oct, 13 Oct (holds 15 Oct)
RENT = {"payee": "Landlord", "period": "monthly", "amount": 1000.0}


def pay(workspace, category, day: dt.date, amount: str, merchant: str):
    f.TransactionFactory(workspace=workspace, category=category, date=day, amount=Decimal(amount), merchant=merchant,
                         description=merchant)


@pytest.fixture
def household(workspace):
    """Rent of 1,000 on the 1st of each month from March 2025 and groceries of 100 every
    Saturday from 1 March to 20 September 2025."""
    rent = f.CategoryFactory(workspace=workspace, name="Rent")
    groceries = f.CategoryFactory(workspace=workspace, name="Groceries")
    for month in range(3, 10):
        pay(workspace, rent, dt.date(2025, month, 1), "1000.00", "Landlord")
    day = dt.date(2025, 3, 1)
    while day <= dt.date(2025, 9, 20):
        pay(workspace, groceries, day, "100.00", "Market")
        day += dt.timedelta(days=7)
    return {"rent": rent, "groceries": groceries}


def amounts(row):
    return [p["amount"] for p in row["forecast"]]


def by_name(answer):
    return {c["name"]: c for c in answer["categories"]}


def test_the_week_holding_the_first_includes_the_rent_and_the_other_weeks_do_not(workspace, household):
    # Given the household's rent and groceries, today Monday 22 September
    # When the four weeks from today are forecast
    answer = spending_forecast(workspace=workspace, frequency="W", horizon=4, today=MONDAY, log=False)
    # Then the engine forecasts 100 a week without the rent, and the week of 29 September,
    # which holds 1 October, adds the 1,000 (its bands too: a known bill is no uncertainty)
    total = answer["total"]
    assert (total["method"], amounts(total)) == ("engine", [100.0, 1100.0, 100.0, 100.0])
    assert [p["bills"] for p in total["forecast"]] == [0.0, 1000.0, 0.0, 0.0]
    assert [(p["lo95"], p["hi95"]) for p in total["forecast"]] == [
        (100.0, 100.0), (1100.0, 1100.0), (100.0, 100.0), (100.0, 100.0)]
    assert total["bills"] == [RENT | {"next_date": dt.date(2025, 10, 1)}]
    assert amounts(by_name(answer)["Rent"]) == [0.0, 1000.0, 0.0, 0.0]


def test_a_bill_already_paid_in_the_current_week_is_not_counted_twice(workspace, household):
    # Given the household's books, groceries on Saturday 27 September too and October's rent
    # paid on Wednesday 1 October; today Friday 3 October (groceries not bought yet this week)
    pay(workspace, household["groceries"], dt.date(2025, 9, 27), "100.00", "Market")
    pay(workspace, household["rent"], dt.date(2025, 10, 1), "1000.00", "Landlord")
    # When the six weeks from this one are forecast
    answer = spending_forecast(workspace=workspace, frequency="W", horizon=6, today=dt.date(2025, 10, 3), log=False)
    # Then this week counts the rent paid once (1,100, not 2,100), the next rent falls in the
    # week of 27 October, which holds 1 November
    total, rent = answer["total"], by_name(answer)["Rent"]
    assert (total["spent_so_far"], rent["spent_so_far"]) == (1000.0, 1000.0)
    assert amounts(total) == [1100.0, 100.0, 100.0, 100.0, 1100.0, 100.0]
    assert [p["bills"] for p in total["forecast"]] == [1000.0, 0.0, 0.0, 0.0, 1000.0, 0.0]
    assert amounts(rent) == [1000.0, 0.0, 0.0, 0.0, 1000.0, 0.0]
    assert rent["bills"] == [RENT | {"next_date": dt.date(2025, 11, 1)}]


def test_a_category_forecast_gets_only_its_own_bills(workspace, household):
    # Given the household's books and electricity of 80 paid on the 15th of each month
    utilities = f.CategoryFactory(workspace=workspace, name="Utilities")
    for month in range(3, 10):
        pay(workspace, utilities, dt.date(2025, month, 15), "80.00", "Power Co")
    # When the four weeks from Monday 22 September are forecast
    answer = spending_forecast(workspace=workspace, frequency="W", horizon=4, today=MONDAY, log=False)
    # Then rent counts the rent only (week of 1 October), utilities the electricity only
    # (week of 13 October, which holds the 15th), groceries no bill; the total both
    rows = by_name(answer)
    assert amounts(rows["Rent"]) == [0.0, 1000.0, 0.0, 0.0]
    assert [b["payee"] for b in rows["Rent"]["bills"]] == ["Landlord"]
    assert amounts(rows["Utilities"]) == [0.0, 0.0, 0.0, 80.0]
    assert [b["payee"] for b in rows["Utilities"]["bills"]] == ["Power Co"]
    assert amounts(rows["Groceries"]) == [100.0] * 4
    assert ([p["bills"] for p in rows["Groceries"]["forecast"]], rows["Groceries"]["bills"]) == ([0.0] * 4, [])
    assert amounts(answer["total"]) == [100.0, 1100.0, 100.0, 180.0]
    assert [b["payee"] for b in answer["total"]["bills"]] == ["Landlord", "Power Co"]


def test_payroll_twice_a_month_lands_in_the_weeks_of_the_15th_and_the_months_last_day(workspace):
    # Given payroll of 2,000 on the 15th and the last day of each month since March 2025
    payroll = f.CategoryFactory(workspace=workspace, name="Payroll")
    for month in range(3, 10):
        pay(workspace, payroll, dt.date(2025, month, 15), "2000.00", "Paychex")
        if month < 9:
            last = dt.date(2025, month + 1, 1) - dt.timedelta(days=1)
            pay(workspace, payroll, last, "2000.00", "Paychex")
    # When the four weeks from Monday 22 September are forecast
    answer = spending_forecast(workspace=workspace, frequency="W", horizon=4, today=MONDAY, log=False)
    # Then 30 September falls in the week of the 29th and 15 October in the week of the 13th
    payroll_row = by_name(answer)["Payroll"]
    assert amounts(payroll_row) == [0.0, 2000.0, 0.0, 2000.0]
    assert [(b["period"], b["next_date"]) for b in payroll_row["bills"]] == [("semimonthly", dt.date(2025, 9, 30))]


def test_monthly_forecasts_count_yearly_bills_and_leave_monthly_ones_to_the_engine(workspace):
    # Given rent of 1,000 each month since September 2022 and insurance of 600 each 10 March
    rent = f.CategoryFactory(workspace=workspace, name="Rent")
    insurance = f.CategoryFactory(workspace=workspace, name="Insurance")
    day = dt.date(2022, 9, 1)
    while day <= dt.date(2025, 9, 1):
        pay(workspace, rent, day, "1000.00", "Landlord")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    for year in (2023, 2024, 2025):
        pay(workspace, insurance, dt.date(year, 3, 10), "600.00", "Insurer")
    # When the twelve months from September 2025 are forecast
    answer = spending_forecast(workspace=workspace, frequency="M", horizon=12, today=MONDAY, log=False)
    # Then March 2026 adds the insurance; the rent, paid every month, stays in the engine's series
    assert amounts(answer["total"]) == [1000.0] * 6 + [1600.0] + [1000.0] * 5
    assert [b["payee"] for b in answer["total"]["bills"]] == ["Insurer"]
    assert by_name(answer)["Rent"]["bills"] == []


def test_a_deployed_model_is_unchanged_and_says_it_counts_no_bills(workspace, household):
    # Given a deployed weekly model of the total whose last training week is the one before today
    version = f.fitted_version(workspace=workspace, target="expense", status="deployed", values=[300.0] * 20,
                               frequency="W")
    ModelVersion.objects.filter(pk=version.pk).update(training_start=MONDAY - dt.timedelta(weeks=20),
                                                     training_end=MONDAY - dt.timedelta(weeks=1))
    # When the weeks are forecast
    answer = spending_forecast(workspace=workspace, frequency="W", horizon=4, today=MONDAY, log=False)
    # Then the total is the model's (no bill added), the categories the engine's with their bills
    total = answer["total"]
    assert (total["method"], amounts(total), total["bills"]) == ("model", [300.0] * 4, [])
    assert [p["bills"] for p in total["forecast"]] == [None] * 4
    assert amounts(by_name(answer)["Rent"]) == [0.0, 1000.0, 0.0, 0.0]


def test_the_api_answers_and_documents_the_bills(workspace, member, client_for):
    # Given rent of 1,000 paid on the 1st of this month and of the six before it
    rent = f.CategoryFactory(workspace=workspace, name="Rent")
    today = timezone.localdate()
    firsts = [add_months(month_start(today), k) for k in range(-6, 3)]
    for day in firsts[:7]:
        pay(workspace, rent, day, "1000.00", "Landlord")
    client = client_for(member)
    # When the next six weeks' spending is asked for, and the schema read
    body = client.get(URL, {"workspace": workspace.pk, "frequency": "W", "horizon": 6}).json()
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    # Then the total lists the rent, due next on the 1st of next month, and each week counts
    # 1,000 for each 1st it holds (this month's only if this week holds it: paid already)
    assert body["total"]["bills"] == [{"payee": "Landlord", "period": "monthly", "amount": 1000.0,
                                       "next_date": firsts[7].isoformat()}]
    weeks = [dt.date.fromisoformat(p["start"]) for p in body["total"]["forecast"]]
    assert [p["bills"] for p in body["total"]["forecast"]] == [
        1000.0 * sum(week <= first < week + dt.timedelta(days=7) for first in firsts[6:]) for week in weeks]
    assert "Recurring bills counted" in schemas["PeriodForecast"]["properties"]["bills"]["description"]
    assert "counted by their due dates" in schemas["SeriesSpending"]["properties"]["bills"]["description"]
    assert set(schemas["ScheduledBill"]["properties"]) == {"payee", "period", "amount", "next_date"}


def test_the_bills_are_read_once_and_again_when_the_books_change(
        workspace, household, django_assert_num_queries, django_capture_on_commit_callbacks):
    from coaching.services.spending_bills import bill_payments_read

    # Given the household's bills read once (one query)
    with django_assert_num_queries(1):
        first = bill_payments_read(workspace=workspace, as_of=MONDAY)
    assert [(b.payee, b.period) for b in first] == [("Market", "weekly"), ("Landlord", "monthly")]
    # When they are asked again, nothing is read; and after a new payment is committed, they are
    with django_assert_num_queries(0):
        assert bill_payments_read(workspace=workspace, as_of=MONDAY) == first
    with django_capture_on_commit_callbacks(execute=True):
        pay(workspace, household["rent"], dt.date(2025, 9, 21), "5.00", "Landlord")
    again = bill_payments_read(workspace=workspace, as_of=MONDAY)
    rent = next(b for b in again if b.payee == "Landlord")
    assert again[rent][-1] == (dt.date(2025, 9, 21), Decimal("5.00"))
