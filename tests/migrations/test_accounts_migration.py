"""Migration finance 0011 (accounts): every workspace gets its default account, in its
currency, and every transaction it holds goes there; the free text of the old ``account``
column stays as ``account_label``; backwards, the text is ``account`` again. After the
whole upgrade the new-data counting triggers still count new transactions (forecasting
0017 installs them again on SQLite, whose table rebuild drops them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("finance", "0010_product_shelf_life_days")
AFTER = ("finance", "0011_accounts")


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def before(django_db_blocker):
    """The database before accounts existed; put back to the latest migrations afterwards."""
    apps = migrate_to(BEFORE)
    yield apps
    migrate_to_latest()


def _books(apps):
    """Two workspaces with rows (one in EUR) and one without."""
    Workspace = apps.get_model("finance", "Workspace")
    Transaction = apps.get_model("finance", "Transaction")
    bakery = Workspace.objects.create(name="Bakery", slug="bakery-accounts-migration", currency="USD")
    home = Workspace.objects.create(name="Home", slug="home-accounts-migration", currency="EUR")
    empty = Workspace.objects.create(name="Empty", slug="empty-accounts-migration", currency="GBP")
    rows = {}
    for workspace, text in ((bakery, "Visa"), (bakery, ""), (home, "Checking"), (home, "Savings")):
        row = Transaction.objects.create(workspace=workspace, kind="expense", amount=Decimal("12.50"),
                                         currency=workspace.currency, date=dt.date(2025, 3, 1), account=text)
        rows[row.pk] = (workspace.pk, text)
    return (bakery, home, empty), rows


@pytest.mark.django_db(transaction=True)
def test_every_transaction_goes_to_its_workspace_s_default_account(before):
    # Given workspaces with transactions whose account was free text
    (bakery, home, empty), rows = _books(before)
    # When the migration runs
    after = migrate_to(AFTER)
    Account = after.get_model("finance", "Account")
    Transaction = after.get_model("finance", "Transaction")
    # Then each workspace has one account, its default, in its currency
    accounts = {a.workspace_id: a for a in Account.objects.all()}
    assert {ws: (a.name, a.kind, a.currency, a.is_default, a.opening_balance) for ws, a in accounts.items()} == {
        bakery.pk: ("Main account", "bank", "USD", True, Decimal("0.00")),
        home.pk: ("Main account", "bank", "EUR", True, Decimal("0.00")),
        empty.pk: ("Main account", "bank", "GBP", True, Decimal("0.00")),
    }
    # And every transaction is in its workspace's default account, its text kept as the label
    assert {pk: (ws, accounts[ws].pk, label) for pk, ws, label in
            Transaction.objects.values_list("pk", "workspace_id", "account_label")} == {
        pk: (ws, accounts[ws].pk, text) for pk, (ws, text) in rows.items()}


@pytest.mark.django_db(transaction=True)
def test_backwards_the_text_is_the_account_again(before):
    _, rows = _books(before)
    migrate_to(AFTER)
    Transaction = migrate_to(BEFORE).get_model("finance", "Transaction")
    assert dict(Transaction.objects.values_list("pk", "account")) == {pk: text for pk, (_, text) in rows.items()}


@pytest.mark.django_db(transaction=True)
def test_after_the_upgrade_new_transactions_are_still_counted(before):
    # Given the database upgraded from before accounts
    _books(before)
    migrate_to_latest()
    from finance.models import Transaction, Workspace
    from forecasting.registry.models import TargetState

    workspace = Workspace.objects.get(slug="bakery-accounts-migration")

    def counted() -> dict[str, int]:
        return dict(TargetState.objects.filter(workspace=workspace).values_list("target", "new_rows"))

    before = counted()
    # When a transaction is written
    Transaction.objects.create(workspace=workspace, kind="revenue", amount=Decimal("5.00"), date=dt.date(2025, 4, 1))
    # Then the database's trigger counted it for its forecaster and the classifiers
    after = counted()
    assert {target: after[target] - before.get(target, 0) for target in after} == {
        "revenue": 1, "categorizer": 1, "anomaly": 1, "fraud": 1, **({"expense": 0} if "expense" in after else {})}
