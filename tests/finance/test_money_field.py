"""Amounts typed as people type them: one parser (finance.forms.money_normalise) behind
every money field of finance's forms, the transaction form's included."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from finance.forms import BudgetForm, GoalForm, MoneyField, TransactionForm, money_normalise
from finance.models import Transaction
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1234.50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1,234,567.89", "1234567.89"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("1\u202f234,50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1.234.567", "1234567"),
        ("1'234.50", "1234.50"),
        ("1,234", "1234"),
        ("12,5", "12.5"),
        ("12,50", "12.50"),
        ("  42.30 ", "42.30"),
        ("-1,234.50", "-1234.50"),
        ("\u22125", "-5"),
        ("+7", "7"),
        ("0", "0"),
    ],
)
def test_amounts_are_read_with_their_separators(typed, read):
    assert money_normalise(typed) == read


@pytest.mark.parametrize("typed", ["abc", "1,23,4", "12,34,56.00", "1 23", "1.234,5.6", "1,234 567", "", "--5", "1e3"])
def test_what_is_not_an_amount_comes_back_unchanged(typed):
    assert money_normalise(typed) == typed


@pytest.mark.parametrize(
    ("typed", "value", "errors"),
    [
        ("1,234.50", Decimal("1234.50"), []),
        ("1 234,50", Decimal("1234.50"), []),
        ("1.234", None, ["Ensure that there are no more than 2 decimal places."]),  # a decimal point, never guessed
        ("1,23,4", None, ["Enter the amount as a number, e.g. 12.50."]),
        ("1e3", None, ["Enter the amount as a number, e.g. 12.50."]),
    ],
)
def test_money_field(typed, value, errors):
    from django import forms

    class Form(forms.Form):
        amount = MoneyField()

    form = Form({"amount": typed})
    assert form.is_valid() is (not errors)
    assert (form.cleaned_data.get("amount"), form.errors.get("amount", [])) == (value, errors)


def test_every_money_field_of_finances_forms_is_a_money_field():
    fields = {
        (form.__name__, name)
        for form in (TransactionForm, BudgetForm, GoalForm)
        for name, field in form.base_fields.items()
        if isinstance(field, MoneyField)
    }
    assert fields == {
        ("TransactionForm", "amount"), ("BudgetForm", "amount"),
        ("GoalForm", "target_amount"), ("GoalForm", "saved_amount"),
    }


@pytest.mark.django_db
def test_the_transaction_form_takes_thousands_separators(workspace):
    # Given a member on the Add transaction page
    member = UserFactory()
    workspace.memberships.create(user=member, role="member")
    client = Client()
    client.force_login(member)
    page = client.get(reverse("finance:transaction-create")).content.decode()
    # (a text field, so the browser does not refuse the comma)
    assert 'name="amount"' in page and 'inputmode="decimal"' in page and 'type="number"' not in page
    # When they type "1,234.50"
    response = client.post(reverse("finance:transaction-create"), {
        "kind": "expense", "amount": "1,234.50", "date": "2025-04-01", "description": "New mixer", "status": "approved",
    })
    # Then 1234.50 is saved
    assert response.status_code == 302
    assert Transaction.objects.get().amount == Decimal("1234.50")


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["1,23,4", "12,34,56.00", "1e3"])
def test_the_transaction_form_refuses_a_misplaced_separator_and_writes_nothing(workspace, typed):
    # Given a member on the Add transaction page
    member = UserFactory()
    workspace.memberships.create(user=member, role="member")
    client = Client()
    client.force_login(member)
    # When they type an amount whose groups are not of three digits
    response = client.post(reverse("finance:transaction-create"), {
        "kind": "expense", "amount": typed, "date": "2025-04-01", "description": "New mixer", "status": "approved",
    })
    # Then the page says what is wrong with the amount, and nothing is saved
    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == ["Enter the amount as a number, e.g. 12.50."]
    assert "Enter the amount as a number, e.g. 12.50." in response.content.decode()
    assert Transaction.objects.count() == 0
