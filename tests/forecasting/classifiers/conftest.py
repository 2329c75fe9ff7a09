"""Books with a categorising history, and switches that keep tests off the broker."""

import datetime as dt
from decimal import Decimal

import pytest

from finance.models import Category
from tests import factories as f

#: (description, merchant, category name, amount): what a household pays, repeatedly.
PAYEES = (
    ("TRADER JOE S #127", "Trader Joe's", "Groceries", "64.20"),
    ("SAFEWAY #1791", "Safeway", "Groceries", "48.75"),
    ("STARBUCKS STORE 05621", "Starbucks", "Coffee", "6.45"),
    ("PEETS COFFEE 0042", "Peet's", "Coffee", "5.80"),
    ("SHELL OIL 57442", "Shell", "Fuel", "52.10"),
    ("CHEVRON 0094452", "Chevron", "Fuel", "47.30"),
    ("OAKWOOD PROPERTY RENT", "Oakwood Property", "Rent", "2150.00"),
    ("ACME CORP PAYROLL DIR DEP", "Acme Corp", "Salary", "3850.00"),
)
START = dt.date(2025, 1, 1)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Celery messages that commits would send are recorded instead."""
    sent = []
    monkeypatch.setattr("forecasting.tasks.autolearn_check_task.apply_async",
                        lambda *args, **kwargs: sent.append(("autolearn", args, kwargs)))
    monkeypatch.setattr("forecasting.tasks.workspace_score_task.apply_async",
                        lambda *args, **kwargs: sent.append(("backlog", args, kwargs)))
    monkeypatch.setattr("forecasting.tasks.transactions_score_task.delay",
                        lambda *args: sent.append(("score", args)))
    monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: sent.append(("train", job_id)))
    return sent


@pytest.fixture
def categories(workspace):
    kinds = {"Salary": Category.Kind.REVENUE}
    return {
        name: f.CategoryFactory(workspace=workspace, name=name, kind=kinds.get(name, Category.Kind.EXPENSE))
        for name in ("Groceries", "Coffee", "Fuel", "Rent", "Salary", "Dining")
    }


def add_history(workspace, categories, *, rows=64, start=START):
    """``rows`` user-categorised transactions cycling through :data:`PAYEES`, one a day."""
    made = []
    for i in range(rows):
        description, merchant, category, amount = PAYEES[i % len(PAYEES)]
        made.append(f.TransactionFactory(
            workspace=workspace, date=start + dt.timedelta(days=i), description=description, merchant=merchant,
            amount=Decimal(amount) + Decimal(i % 5), kind="revenue" if category == "Salary" else "expense",
            category=categories[category], category_source="user",
        ))
    return made


@pytest.fixture
def history(workspace, categories):
    return add_history(workspace, categories)
