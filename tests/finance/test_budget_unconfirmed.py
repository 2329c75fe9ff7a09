"""The model's unconfirmed category suggestions below BUDGET_SUGGESTION_MIN_CONFIDENCE are
not counted in budget spending until a member accepts them; they are shown apart on the
Overview and the Budgets pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finance.months import month_start
from finance.selectors import budget_usage_for_month
from forecasting.classifiers.feedback import transaction_suggestion_accept
from tests import factories as f

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def fees(workspace):
    """A Bank fees budget of 100 a month, and this month's rows of the category: 40 the user
    chose, 30 the model suggested at 90 %, a 98,000 wire it suggested at 20 % and 5 with no
    confidence recorded."""
    today = timezone.localdate()
    category = f.CategoryFactory(workspace=workspace, name="Bank fees")
    budget = f.BudgetFactory(workspace=workspace, category=category, amount=Decimal("100.00"), start_date=month_start(today))
    rows = {}
    for name, amount, source, confidence in (
        ("user", "40.00", "user", None), ("sure", "30.00", "model", 0.9), ("wire", "98000.00", "model", 0.2),
        ("unknown", "5.00", "model", None),
    ):
        rows[name] = f.TransactionFactory(workspace=workspace, category=category, amount=Decimal(amount), date=today,
                                          category_source=source, category_confidence=confidence, merchant=name)
    return {"budget": budget, "rows": rows}


def test_unconfirmed_low_confidence_suggestions_are_counted_apart(workspace, fees, settings):
    settings.BUDGET_SUGGESTION_MIN_CONFIDENCE = 0.6
    # When this month's budget use is read
    [use] = budget_usage_for_month(workspace=workspace, month=timezone.localdate())
    # Then the budget counts 40 + 30, and the 98,000 wire and the 5 without a confidence apart
    assert (use.spent, use.percent, use.unconfirmed_count, use.unconfirmed_amount) == (
        Decimal("70.00"), 70, 2, Decimal("98005.00"))


def test_the_pages_show_them_apart_and_an_accepted_one_counts(workspace, fees, member):
    client = Client()
    client.force_login(member)
    note = f"+ 2 unconfirmed suggestions, 98,005.00{NBSP}USD, not counted"
    # When a member opens the Overview and the Budgets page
    overview = client.get(reverse("finance:overview"))
    budgets = client.get(reverse("finance:budgets"))
    # Then both count 70 spent and show the two suggestions apart
    assert [u.spent for u in overview.context["budgets"]] == [Decimal("70.00")]
    assert [r.current.spent for r in budgets.context["rows"]] == [Decimal("70.00")]
    for response in (overview, budgets):
        assert note in response.content.decode()
    # When the member accepts the wire's category
    transaction_suggestion_accept(transaction=fees["rows"]["wire"], user=member)
    # Then it counts: 98,070 spent, one suggestion left apart
    [use] = budget_usage_for_month(workspace=workspace, month=timezone.localdate())
    assert (use.spent, use.unconfirmed_count, use.unconfirmed_amount) == (Decimal("98070.00"), 1, Decimal("5.00"))
    budgets = client.get(reverse("finance:budgets"))
    assert [(r.current.spent, r.current.unconfirmed_count) for r in budgets.context["rows"]] == [(Decimal("98070.00"), 1)]
    assert f"+ 1 unconfirmed suggestion, 5.00{NBSP}USD, not counted" in budgets.content.decode()


def test_the_threshold_is_a_setting(workspace, fees, settings):
    # Given a threshold of 0.1: the 20 % wire is sure enough
    settings.BUDGET_SUGGESTION_MIN_CONFIDENCE = 0.1
    [use] = budget_usage_for_month(workspace=workspace, month=timezone.localdate())
    # Then only the row without a confidence is left apart
    assert (use.spent, use.unconfirmed_count, use.unconfirmed_amount) == (Decimal("98070.00"), 1, Decimal("5.00"))
