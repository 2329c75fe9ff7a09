"""A transfer between two accounts is neither revenue nor expense: the books' totals, the
budgets, the training series of the forecasters, the classifiers' training rows and the
new-data counters are the same with or without it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from finance.accounts.services import account_create, account_default_get, transfer_create
from finance.selectors import budget_usage_for_month, transaction_monthly_totals
from forecasting.classifiers.selectors import all_transaction_records
from forecasting.registry.models import TargetState
from forecasting.series.selectors import series_build
from forecasting.series.targets import Target
from tests import factories as f

pytestmark = pytest.mark.django_db


def everything(workspace, end: dt.date) -> dict:
    return {
        "totals": transaction_monthly_totals(workspace=workspace, start=dt.date(2025, 1, 1), end=end),
        "budgets": [(u.budget.pk, u.spent) for u in budget_usage_for_month(workspace=workspace, month=end)],
        "revenue": series_build(workspace=workspace, target=Target.parse("revenue"), end=end).values.tolist(),
        "expense": series_build(workspace=workspace, target=Target.parse("expense"), end=end).values.tolist(),
        "records": len(all_transaction_records(workspace=workspace)),
        "counters": dict(TargetState.objects.filter(workspace=workspace).values_list("target", "new_rows")),
    }


def test_a_transfer_changes_no_total_budget_series_or_counter(workspace, member):
    # Given books with revenue, expenses and a budget
    rent = f.CategoryFactory(workspace=workspace, name="Rent")
    f.BudgetFactory(workspace=workspace, category=rent, amount=Decimal("900.00"))
    for month in (1, 2, 3):
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("2000.00"), date=dt.date(2025, month, 5))
        f.TransactionFactory(workspace=workspace, category=rent, amount=Decimal("800.00"), date=dt.date(2025, month, 1))
    end = dt.date(2025, 4, 10)
    before = everything(workspace, end)
    # When money moves between two accounts, in both directions
    main = account_default_get(workspace=workspace)
    savings = account_create(workspace=workspace, name="Savings")
    transfer_create(workspace=workspace, user=member, from_account=main, to_account=savings,
                    amount=Decimal("700.00"), date=dt.date(2025, 2, 10))
    transfer_create(workspace=workspace, user=member, from_account=savings, to_account=main,
                    amount=Decimal("150.00"), date=dt.date(2025, 4, 2))
    # Then nothing that counts revenue or expenses sees it
    assert everything(workspace, end) == before
    assert before["totals"][1].revenue == Decimal("2000.00") and before["counters"]["revenue"] == 3
