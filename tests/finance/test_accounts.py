"""Accounts and transfers (finance.accounts): the default account, the rules of writing an
account and a transfer, balances on a day and month by month, and that a transfer is
neither revenue nor expense anywhere (totals, budgets, training series, counters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import RestrictedError

from finance.accounts.models import DEFAULT_ACCOUNT_NAME, Account, Transfer
from finance.accounts.selectors import account_balance_months, account_balances, transfer_list
from finance.accounts.services import (
    AccountInUse,
    account_create,
    account_delete,
    account_update,
    transfer_create,
    transfer_delete,
)
from finance.models import Transaction
from finance.services.transactions import transaction_create, transaction_update
from finance.services.workspaces import workspace_create
from tests import factories as f

pytestmark = pytest.mark.django_db


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict



@pytest.fixture
def savings(workspace):
    return account_create(workspace=workspace, name="Savings", kind=Account.Kind.SAVINGS,
                          opening_balance=Decimal("1000.00"))


# --- the default account ------------------------------------------------------------------


class TestDefaultAccount:
    def test_a_new_workspace_has_its_default_account_in_its_currency(self, owner):
        # When a workspace is created through the service
        workspace = workspace_create(name="Home", owner=owner, currency="eur")
        # Then it holds one account, its default: a bank account in its currency
        assert list(Account.objects.filter(workspace=workspace).values_list(
            "name", "kind", "currency", "is_default", "opening_balance")) == [
            (DEFAULT_ACCOUNT_NAME, "bank", "EUR", True, Decimal("0.00"))]

    def test_rows_written_without_an_account_go_to_the_default_one(self, workspace):
        # Given a workspace made without the service (no account yet)
        assert not Account.objects.filter(workspace=workspace).exists()
        # When rows are written without an account: one saved, two bulk-created
        one = f.TransactionFactory(workspace=workspace)
        Transaction.objects.bulk_create([
            Transaction(workspace=workspace, kind="expense", amount=Decimal("2.00"), date=dt.date(2025, 1, 2)),
            Transaction(workspace=workspace, kind="revenue", amount=Decimal("3.00"), date=dt.date(2025, 1, 3)),
        ])
        # Then one default account was made and all three are in it
        default = Account.objects.get(workspace=workspace)
        assert (default.name, default.is_default) == (DEFAULT_ACCOUNT_NAME, True)
        assert one.account_id == default.pk
        assert set(Transaction.objects.values_list("account_id", flat=True)) == {default.pk}

    def test_the_service_defaults_to_it_and_takes_a_chosen_one(self, workspace, member, main, card):
        plain = transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("5.00"),
                                   date=dt.date(2025, 2, 1))
        on_card = transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("6.00"),
                                     date=dt.date(2025, 2, 1), account=card)
        assert (plain.account, on_card.account) == (main, card)

    def test_a_transaction_cannot_go_to_another_workspace_s_or_an_archived_account(
        self, workspace, other_workspace, member, card
    ):
        theirs = f.AccountFactory(workspace=other_workspace)
        account_update(account=card, is_archived=True)
        for account, message in ((theirs, "Choose an account of this workspace."),
                                 (card, "“Visa card” is archived; choose an open account.")):
            with pytest.raises(ValidationError) as excinfo:
                transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("5.00"),
                                   date=dt.date(2025, 2, 1), account=Account.objects.get(pk=account.pk))
            assert errors_of(excinfo) == {"account": [message]}
        assert Transaction.objects.count() == 0

    def test_a_row_moves_to_another_account_and_keeps_an_archived_one_on_other_edits(
        self, workspace, member, main, card
    ):
        row = transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("5.00"),
                                 date=dt.date(2025, 2, 1), account=card)
        account_update(account=card, is_archived=True)
        # An edit of the amount keeps the (now archived) account
        assert transaction_update(transaction=row, user=member, amount=Decimal("7.00")).account_id == card.pk
        # No account chosen: the default one
        assert transaction_update(transaction=row, user=member, account=None).account_id == main.pk


# --- the rules of an account ----------------------------------------------------------------


class TestAccountRules:
    def test_a_name_is_unique_in_the_workspace_whatever_the_case(self, workspace, other_workspace, card):
        with pytest.raises(ValidationError) as excinfo:
            account_create(workspace=workspace, name="  VISA card ")
        assert errors_of(excinfo) == {"name": ["This workspace already has an account called “VISA card”."]}
        # another workspace may use it
        assert account_create(workspace=other_workspace, name="Visa card").name == "Visa card"

    @pytest.mark.parametrize(("fields", "errors"), [
        ({"name": " "}, {"name": ["Give the account a name."]}),
        ({"name": "Till\u0007"}, {"name": [
            "Remove the control character U+0007 (character 5): control characters are not allowed in text."]}),
        ({"name": "Till", "currency": "ABC"}, {"currency": [
            "“ABC” is not an ISO 4217 currency code; use one such as USD or EUR."]}),
        ({"name": "Till", "opening_balance": Decimal("1000000000000.00")}, {"opening_balance": [
            "Ensure this amount is at most 999,999,999,999.99."]}),
        ({"name": "Till", "is_default": True, "is_archived": True}, {"is_archived": [
            "The default account cannot be archived; make another account the default first."]}),
    ])
    def test_bad_values_are_refused_naming_the_field(self, workspace, fields, errors):
        with pytest.raises(ValidationError) as excinfo:
            account_create(workspace=workspace, **fields)
        assert errors_of(excinfo) == errors
        assert not Account.objects.exists()

    def test_making_another_account_the_default_moves_the_role(self, workspace, main, card):
        account_update(account=card, is_default=True)
        assert list(Account.objects.filter(is_default=True).values_list("pk", flat=True)) == [card.pk]
        # and the new default takes the rows written without an account
        assert f.TransactionFactory(workspace=workspace).account_id == card.pk

    def test_the_default_account_keeps_its_role_and_stays_open(self, main):
        with pytest.raises(ValidationError) as excinfo:
            account_update(account=main, is_default=False)
        assert errors_of(excinfo) == {"is_default": [
            "A workspace always has a default account: make another account the default instead."]}
        with pytest.raises(ValidationError) as excinfo:
            account_update(account=main, is_archived=True)
        assert errors_of(excinfo) == {"is_archived": [
            "The default account cannot be archived; make another account the default first."]}
        assert Account.objects.get(pk=main.pk).is_default is True

    def test_the_currency_stays_once_the_account_is_used(self, workspace, card):
        assert account_update(account=card, currency="eur").currency == "EUR"  # unused: it may change
        f.TransactionFactory(workspace=workspace, account=card, currency="EUR")
        with pytest.raises(ValidationError) as excinfo:
            account_update(account=card, currency="USD")
        assert errors_of(excinfo) == {"currency": ["The account has transactions or transfers: its currency cannot change."]}

    def test_only_an_unused_account_other_than_the_default_is_deleted(self, workspace, main, card, savings):
        f.TransactionFactory(workspace=workspace, account=card)
        with pytest.raises(AccountInUse, match="archive it instead"):
            account_delete(account=card)
        with pytest.raises(AccountInUse, match="default account cannot be deleted"):
            account_delete(account=main)
        account_delete(account=savings)
        assert list(Account.objects.order_by("pk").values_list("pk", flat=True)) == [main.pk, card.pk]

    def test_the_database_refuses_to_delete_a_used_account_but_not_its_workspace(self, workspace, main, card):
        f.TransactionFactory(workspace=workspace, account=card)
        f.TransferFactory(workspace=workspace, from_account=main, to_account=card)
        with pytest.raises(RestrictedError):
            card.delete()
        workspace.delete()
        assert (Account.objects.count(), Transaction.objects.count(), Transfer.objects.count()) == (0, 0, 0)


# --- transfers ---------------------------------------------------------------------------


class TestTransfers:
    def test_a_transfer_is_written_with_who_made_it(self, workspace, member, main, card):
        transfer = transfer_create(workspace=workspace, user=member, from_account=main, to_account=card,
                                   amount=Decimal("250.00"), date=dt.date(2025, 3, 31), description=" Card bill ")
        assert Transfer.objects.filter(pk=transfer.pk).values_list(
            "from_account", "to_account", "amount", "date", "description", "created_by").get() == (
            main.pk, card.pk, Decimal("250.00"), dt.date(2025, 3, 31), "Card bill", member.pk)

    @pytest.mark.parametrize(("change", "errors"), [
        ({"amount": Decimal("0")}, {"amount": ["Amount must be greater than zero."]}),
        ({"amount": Decimal("-3")}, {"amount": ["Amount must be greater than zero."]}),
        ({"amount": Decimal("1000000000000.00")}, {"amount": ["Ensure this amount is at most 999,999,999,999.99."]}),
        ({"date": dt.date(1899, 12, 31)}, {"date": ["Enter a date from 1900-01-01 to 2100-12-31."]}),
        ({"to": "main"}, {"to_account": ["Choose two different accounts."]}),
        ({"to": "euro"}, {"to_account": [
            "“Main account” is in USD and “Euro savings” in EUR: transfer between accounts of one currency."]}),
        ({"to": "theirs"}, {"to_account": ["Choose an account of this workspace."]}),
        ({"to": "closed"}, {"to_account": ["“Old card” is archived; choose an open account."]}),
        ({"description": "bill\n"}, {"description": [
            "Remove the control character U+000A (character 5): a line break is not allowed in a one-line text."]}),
    ])
    def test_bad_transfers_are_refused_naming_the_field(self, workspace, other_workspace, member, main, change, errors):
        accounts = {
            "main": main,
            "euro": account_create(workspace=workspace, name="Euro savings", currency="EUR"),
            "theirs": f.AccountFactory(workspace=other_workspace),
            "closed": account_create(workspace=workspace, name="Old card", is_archived=True),
            "card": account_create(workspace=workspace, name="Card"),
        }
        fields = {"amount": Decimal("10.00"), "date": dt.date(2025, 3, 1), "description": ""}
        fields |= {k: v for k, v in change.items() if k != "to"}
        with pytest.raises(ValidationError) as excinfo:
            transfer_create(workspace=workspace, user=member, from_account=main,
                            to_account=accounts[change.get("to", "card")], **fields)
        assert errors_of(excinfo) == errors
        assert not Transfer.objects.exists()

    def test_deleting_a_transfer_puts_both_balances_back(self, workspace, member, main, card):
        transfer = transfer_create(workspace=workspace, user=member, from_account=main, to_account=card,
                                   amount=Decimal("40.00"), date=dt.date(2025, 3, 1))
        day = dt.date(2025, 3, 31)
        assert [b.balance for b in account_balances(workspace=workspace, on=day)] == [Decimal("-40.00"),
                                                                                      Decimal("40.00")]
        transfer_delete(transfer=transfer)
        assert [b.balance for b in account_balances(workspace=workspace, on=day)] == [Decimal("0.00"), Decimal("0.00")]
        assert list(transfer_list(workspace=workspace)) == []


# --- balances ----------------------------------------------------------------------------------


@pytest.fixture
def books(workspace, member, main, card, savings):
    """Main: +3,000 salary (Jan 31), −1,200 rent (Feb 1), −75 pending (Feb 3, not counted);
    card: −60 and −40 (Feb), a 99 EUR row (not added); savings: opening 1,000;
    transfers: 100 main → card (Feb 28), 500 main → savings (Mar 1)."""
    def row(kind, amount, day, account, **extra):
        return f.TransactionFactory(workspace=workspace, kind=kind, amount=Decimal(amount), date=day,
                                    account=account, **extra)

    row("revenue", "3000.00", dt.date(2025, 1, 31), main)
    row("expense", "1200.00", dt.date(2025, 2, 1), main)
    row("expense", "75.00", dt.date(2025, 2, 3), main, status="pending")
    row("expense", "60.00", dt.date(2025, 2, 10), card)
    row("expense", "40.00", dt.date(2025, 2, 20), card)
    row("expense", "99.00", dt.date(2025, 2, 21), card, currency="EUR")
    transfer_create(workspace=workspace, user=member, from_account=main, to_account=card,
                    amount=Decimal("100.00"), date=dt.date(2025, 2, 28))
    transfer_create(workspace=workspace, user=member, from_account=main, to_account=savings,
                    amount=Decimal("500.00"), date=dt.date(2025, 3, 1))


class TestBalances:
    @pytest.mark.parametrize(("day", "expected"), [
        (dt.date(2025, 1, 30), {"Main account": "0.00", "Visa card": "0.00", "Savings": "1000.00"}),
        (dt.date(2025, 2, 27), {"Main account": "1800.00", "Visa card": "-100.00", "Savings": "1000.00"}),
        (dt.date(2025, 2, 28), {"Main account": "1700.00", "Visa card": "0.00", "Savings": "1000.00"}),
        (dt.date(2025, 3, 1), {"Main account": "1200.00", "Visa card": "0.00", "Savings": "1500.00"}),
    ])
    def test_balance_on_a_day(self, workspace, books, day, expected, django_assert_num_queries):
        with django_assert_num_queries(1):
            balances = account_balances(workspace=workspace, on=day)
        assert {b.account.name: str(b.balance) for b in balances} == expected

    def test_what_makes_a_balance(self, workspace, books):
        card = next(b for b in account_balances(workspace=workspace, on=dt.date(2025, 3, 31))
                    if b.account.name == "Visa card")
        assert (card.revenue, card.expense, card.transfers_in, card.transfers_out, card.other_currency_count) == (
            Decimal("0.00"), Decimal("100.00"), Decimal("100.00"), Decimal("0.00"), 1)

    def test_month_by_month_with_the_current_month_to_date(self, workspace, books, django_assert_num_queries):
        accounts = list(Account.objects.filter(workspace=workspace).order_by("pk"))
        with django_assert_num_queries(3):
            months = account_balance_months(accounts=accounts, today=dt.date(2025, 3, 15), count=4)
        main, card, savings = (months[a.pk] for a in accounts)
        assert [(m.month, m.on, m.balance, m.is_partial) for m in main] == [
            (dt.date(2024, 12, 1), dt.date(2024, 12, 31), Decimal("0.00"), False),
            (dt.date(2025, 1, 1), dt.date(2025, 1, 31), Decimal("3000.00"), False),
            (dt.date(2025, 2, 1), dt.date(2025, 2, 28), Decimal("1700.00"), False),
            (dt.date(2025, 3, 1), dt.date(2025, 3, 15), Decimal("1200.00"), True),
        ]
        assert [m.balance for m in card] == [Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")]
        assert [m.balance for m in savings] == [Decimal("1000.00")] * 3 + [Decimal("1500.00")]

    def test_rows_before_the_window_and_after_today_are_placed_right(self, workspace, main):
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("10.00"), date=dt.date(2020, 5, 1))
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("7.00"), date=dt.date(2025, 3, 20))
        months = account_balance_months(accounts=[main], today=dt.date(2025, 3, 15), count=2)[main.pk]
        assert [m.balance for m in months] == [Decimal("10.00"), Decimal("10.00")]

    def test_no_accounts_no_queries(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert account_balance_months(accounts=[], today=dt.date(2025, 3, 15)) == {}
