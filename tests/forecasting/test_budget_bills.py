"""The overrun risk counts a recurring bill already paid this month as paid: one rule
(forecasting.serving.budgets.budget_rest_after_bills) behind the Overview, the Budgets page
and coaching's budget-risk endpoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from finance.services.recurring import RecurringBill
from forecasting.serving.budgets import budget_rest_after_bills
from forecasting.serving.forecasts import WindowForecast
from tests import factories as f
from tests.forecasting.test_pages import deployed, month_start

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 10)  # 20 of June's 30 days are left
LEFT = 20 / 30


def bill(*, last: dt.date, next_date: dt.date, amount: str = "1200.00", period: str = "monthly") -> RecurringBill:
    return RecurringBill(payee="Landlord", category_id=1, category_name="Rent", period=period, amount=Decimal(amount),
                         currency="USD", occurrences=6, last_date=last, next_date=next_date, anchor_day=last.day)


# --- the rule -----------------------------------------------------------------------------------


def test_a_bill_paid_this_month_is_not_projected_again():
    # Given a forecast of the rest of June that holds the rent pro rata (1,200 × 20/30)
    rest = WindowForecast(1200 * LEFT, 50.0)
    # When the rent was paid on 1 June (next on 1 July)
    after = budget_rest_after_bills(rest=rest, bills=[bill(last=dt.date(2025, 6, 1), next_date=dt.date(2025, 7, 1))],
                                    today=TODAY)
    # Then nothing more is projected, with no spread: the bill is known
    assert (after.rest.mean, after.rest.sigma) == (pytest.approx(0.0, abs=1e-9), pytest.approx(0.0, abs=1e-9))
    assert (after.paid, after.due) == (Decimal("1200.00"), Decimal("0.00"))


def test_a_bill_still_due_this_month_counts_in_full():
    # Given the same forecast, the rent not yet paid: due on 15 June
    rest = WindowForecast(1200 * LEFT, 50.0)
    after = budget_rest_after_bills(rest=rest, bills=[bill(last=dt.date(2025, 5, 15), next_date=dt.date(2025, 6, 15))],
                                    today=TODAY)
    # Then the whole 1,200 is projected (not 20/30 of it)
    assert after.rest.mean == pytest.approx(1200.0)
    assert (after.paid, after.due) == (Decimal("0.00"), Decimal("1200.00"))


def test_spending_beyond_the_bills_stays_projected():
    # Given a category forecast of 1,500 a month of which the paid rent is 1,200
    rest = WindowForecast(1500 * LEFT, 100.0)
    after = budget_rest_after_bills(rest=rest, bills=[bill(last=dt.date(2025, 6, 1), next_date=dt.date(2025, 7, 1))],
                                    today=TODAY)
    # Then the other 300 a month is still projected for the 20 days left, its spread in proportion
    assert after.rest.mean == pytest.approx(300 * LEFT)
    assert after.rest.sigma == pytest.approx(100.0 * 300 / 1500)


def test_weekly_bills_left_this_month_count_once_each():
    rest = WindowForecast(0.0, 0.0)
    weekly = bill(last=dt.date(2025, 6, 6), next_date=dt.date(2025, 6, 13), amount="60.00", period="weekly")
    after = budget_rest_after_bills(rest=rest, bills=[weekly], today=TODAY)
    assert (after.due, after.rest.mean) == (Decimal("180.00"), pytest.approx(180.0))  # the 13th, 20th and 27th


# --- the pages and the endpoint agree ------------------------------------------------------------


@pytest.fixture
def rent(workspace, member):
    """Rent of 1,200 paid on the 1st of each of the last twelve months, this one included; a
    Rent budget of 1,300; a deployed model of the Rent category forecasting 1,200 a month."""
    category = f.CategoryFactory(workspace=workspace, name="Rent")
    for back in range(12):
        f.TransactionFactory(workspace=workspace, category=category, amount=Decimal("1200.00"), date=month_start(back),
                             merchant="Landlord")
    budget = f.BudgetFactory(workspace=workspace, category=category, amount=Decimal("1300.00"), start_date=month_start(12))
    deployed(workspace, f"expense:category={category.pk}", [1200.0] * 12)
    deployed(workspace, "expense", [1200.0] * 12)
    client = Client()
    client.force_login(member)
    return {"budget": budget, "client": client}


def test_a_paid_rent_raises_no_overrun_risk_on_every_page_and_the_endpoint(workspace, rent):
    budget, client = rent["budget"], rent["client"]
    # When the Overview, the Budgets page and coaching's budget-risk endpoint are read
    overview = client.get(reverse("finance:overview")).context["ml"].risks[budget.pk]
    page = client.get(reverse("finance:budgets")).context["budget_risks"][budget.pk]
    api = client.get("/api/v1/coaching/budget-risk/", {"workspace": workspace.pk}).json()
    # Then all three project the 1,200 paid, not 1,200 + 1,200 × the rest of the month, and no risk
    for risk in (overview, page):
        assert (risk.projected, risk.probability, risk.level, risk.bills_paid, risk.bills_due) == (
            Decimal("1200.00"), 0.0, "low", Decimal("1200.00"), Decimal("0.00"))
    assert api["month"] == month_start(0).isoformat()
    assert api["currency"] == "USD"
    assert api["budgets"] == [{
        "budget": budget.pk, "category": budget.category_id, "name": "Rent", "limit": "1300.00", "spent": "1200.00",
        "unconfirmed_count": 0, "unconfirmed_amount": "0.00", "projected": "1200.00", "probability": 0.0,
        "level": "low", "source": "category", "bills_paid": "1200.00", "bills_due": "0.00",
    }]


def test_the_endpoint_is_scoped_to_the_callers_workspaces(other_workspace, rent):
    response = rent["client"].get("/api/v1/coaching/budget-risk/", {"workspace": other_workspace.pk})
    assert response.status_code == 404


def test_the_endpoint_names_a_missing_workspace(rent):
    response = rent["client"].get("/api/v1/coaching/budget-risk/")
    assert (response.status_code, response.json()) == (400, {"workspace": ["This field is required."]})


def test_today_is_the_last_day_safe():
    # On the last day nothing of the month is left: a paid bill and an empty rest stay zero
    after = budget_rest_after_bills(rest=WindowForecast(0.0, 0.0), today=dt.date(2025, 6, 30),
                                    bills=[bill(last=dt.date(2025, 6, 1), next_date=dt.date(2025, 7, 1))])
    assert (after.rest.mean, after.paid, after.due) == (0.0, Decimal("1200.00"), Decimal("0.00"))
