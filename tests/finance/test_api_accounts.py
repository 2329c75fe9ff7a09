"""``/api/v1/accounts/`` and ``/api/v1/transfers/``, and the transactions API's ``account``:
balances on a day, the services' rules as 400s naming the field, 404 for another
workspace's objects, 409 for an account that cannot be deleted, viewers read only. (The
uniform CRUD suite of tests/finance/test_api_tenancy.py covers the accounts too.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from finance.accounts.models import Account, Transfer
from finance.accounts.services import account_create, account_update
from finance.models import Membership, Transaction
from tests import factories as f

ACCOUNTS = "/api/v1/accounts/"
TRANSFERS = "/api/v1/transfers/"
TRANSACTIONS = "/api/v1/transactions/"

pytestmark = pytest.mark.django_db



def transfer_body(workspace, source, target, **overrides) -> dict:
    return {"workspace": workspace.pk, "from_account": source.pk, "to_account": target.pk, "amount": "250.00",
            "date": "2025-03-31", "description": "Card bill"} | overrides


class TestAccounts:
    def test_the_list_shows_each_balance_today_or_on_the_day_asked(self, workspace, member, client_for, main, card):
        # Given income into the main account and a transfer to the card
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("900.00"), date=dt.date(2025, 1, 10))
        f.TransactionFactory(workspace=workspace, account=card, amount=Decimal("30.00"), date=dt.date(2025, 2, 1))
        f.TransactionFactory(workspace=workspace, account=card, amount=Decimal("12.00"), date=dt.date(2025, 2, 2),
                             currency="EUR")
        f.TransferFactory(workspace=workspace, from_account=main, to_account=card, amount=Decimal("100.00"),
                          date=dt.date(2025, 3, 1))
        client = client_for(member)
        # When listed today and on a past day
        today = {row["name"]: (row["balance"], row["other_currency_count"]) for row in client.get(ACCOUNTS).json()["results"]}
        then = {row["name"]: row["balance"] for row in client.get(ACCOUNTS, {"on": "2025-02-15"}).json()["results"]}
        # Then each has its balance on that day, the EUR row counted apart
        assert today == {"Main account": ("800.00", 0), "Visa card": ("70.00", 1)}
        assert then == {"Main account": "900.00", "Visa card": "-30.00"}
        assert client.get(f"{ACCOUNTS}{card.pk}/", {"on": "2025-03-01"}).json()["balance"] == "70.00"

    @pytest.mark.parametrize("on", ["yesterday", "2025-02-30", "1899-12-31"])
    def test_a_bad_day_is_400_naming_it(self, member, client_for, main, on):
        response = client_for(member).get(ACCOUNTS, {"on": on})
        assert response.status_code == 400
        assert list(response.json()) == ["on"]

    def test_a_new_account_is_in_the_workspace_s_currency_with_its_balance(self, workspace, member, client_for):
        response = client_for(member).post(ACCOUNTS, {"workspace": workspace.pk, "name": "Till", "kind": "cash",
                                                      "opening_balance": "150.00"}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["currency"], body["balance"], body["is_default"], body["is_archived"]) == ("USD", "150.00",
                                                                                                False, False)

    @pytest.mark.parametrize(("body", "errors"), [
        ({"name": "visa CARD"}, {"name": ["This workspace already has an account called “visa CARD”."]}),
        ({"name": "Till", "currency": "usd!"}, {"currency": [
            "“usd!” is not an ISO 4217 currency code; use one such as USD or EUR."]}),
        ({"name": "Till", "is_default": True, "is_archived": True}, {"is_archived": [
            "The default account cannot be archived; make another account the default first."]}),
    ])
    def test_the_services_rules_are_400_naming_the_field(self, workspace, member, client_for, card, body, errors):
        before = list(Account.objects.values())
        response = client_for(member).post(ACCOUNTS, {"workspace": workspace.pk, **body}, format="json")
        assert (response.status_code, response.json()) == (400, errors)
        assert list(Account.objects.values()) == before

    def test_archiving_the_default_account_is_400(self, member, client_for, main):
        response = client_for(member).patch(f"{ACCOUNTS}{main.pk}/", {"is_archived": True}, format="json")
        assert (response.status_code, response.json()) == (400, {"is_archived": [
            "The default account cannot be archived; make another account the default first."]})

    def test_making_an_account_the_default_moves_the_role(self, member, client_for, main, card):
        response = client_for(member).patch(f"{ACCOUNTS}{card.pk}/", {"is_default": True}, format="json")
        assert (response.status_code, response.json()["is_default"]) == (200, True)
        assert list(Account.objects.filter(is_default=True).values_list("pk", flat=True)) == [card.pk]

    @pytest.mark.parametrize("which", ["default", "used"])
    def test_an_account_that_cannot_go_is_409_and_stays(self, workspace, member, client_for, main, card, which):
        f.TransactionFactory(workspace=workspace, account=card)
        account = main if which == "default" else card
        response = client_for(member).delete(f"{ACCOUNTS}{account.pk}/")
        assert response.status_code == 409
        assert "detail" in response.json()
        assert Account.objects.filter(pk=account.pk).exists()


class TestTransfers:
    def test_a_member_moves_money_and_both_balances_follow(self, workspace, member, client_for, main, card):
        client = client_for(member)
        response = client.post(TRANSFERS, transfer_body(workspace, main, card), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert {k: body[k] for k in ("from_account", "to_account", "amount", "currency", "created_by")} == {
            "from_account": main.pk, "to_account": card.pk, "amount": "250.00", "currency": "USD",
            "created_by": member.username}
        balances = {row["name"]: row["balance"] for row in client.get(ACCOUNTS).json()["results"]}
        assert balances == {"Main account": "-250.00", "Visa card": "250.00"}
        assert Transaction.objects.count() == 0  # neither revenue nor expense

    @pytest.mark.parametrize(("change", "errors"), [
        ({"amount": "0"}, {"amount": ["Amount must be greater than zero."]}),
        ({"amount": "many"}, {"amount": ["A valid number is required."]}),
        ({"date": "2101-01-01"}, {"date": ["Enter a date from 1900-01-01 to 2100-12-31."]}),
        ({"to_account": "main"}, {"to_account": ["Choose two different accounts."]}),
        ({"to_account": "euro"}, {"to_account": [
            "“Main account” is in USD and “Euro” in EUR: transfer between accounts of one currency."]}),
        ({"to_account": "closed"}, {"to_account": ["“Closed” is archived; choose an open account."]}),
        ({"to_account": None}, {"to_account": ["This field may not be null."]}),
    ])
    def test_bad_transfers_are_400_naming_the_field(self, workspace, member, client_for, main, card, change, errors):
        accounts = {"main": main, "euro": account_create(workspace=workspace, name="Euro", currency="EUR"),
                    "closed": account_create(workspace=workspace, name="Closed", is_archived=True)}
        if "to_account" in change and change["to_account"] is not None:
            change = {"to_account": accounts[change["to_account"]].pk}
        response = client_for(member).post(TRANSFERS, transfer_body(workspace, main, card, **change), format="json")
        assert (response.status_code, response.json()) == (400, errors)
        assert not Transfer.objects.exists()

    def test_another_workspace_s_account_is_400_and_its_transfer_404(
        self, workspace, other_workspace, member, client_for, main, card
    ):
        f.MembershipFactory(workspace=other_workspace, user=member, role=Membership.Role.MEMBER)
        theirs = f.AccountFactory(workspace=other_workspace)
        stranger = f.TransferFactory(workspace=f.WorkspaceFactory())
        client = client_for(member)
        response = client.post(TRANSFERS, transfer_body(workspace, main, theirs), format="json")
        assert (response.status_code, response.json()) == (400, {"to_account": [
            f"Account {theirs.pk} belongs to another workspace."]})
        assert client.get(f"{TRANSFERS}{stranger.pk}/").status_code == 404
        assert client.delete(f"{TRANSFERS}{stranger.pk}/").status_code == 404
        assert Transfer.objects.filter(pk=stranger.pk).exists()

    def test_list_filters_and_delete(self, workspace, other_workspace, member, client_for, main, card):
        savings = account_create(workspace=workspace, name="Savings")
        to_card = f.TransferFactory(workspace=workspace, from_account=main, to_account=card, date=dt.date(2025, 1, 5))
        to_savings = f.TransferFactory(workspace=workspace, from_account=main, to_account=savings,
                                       date=dt.date(2025, 2, 5))
        f.TransferFactory(workspace=other_workspace)
        client = client_for(member)
        assert [r["id"] for r in client.get(TRANSFERS).json()["results"]] == [to_savings.pk, to_card.pk]
        assert [r["id"] for r in client.get(TRANSFERS, {"account": card.pk}).json()["results"]] == [to_card.pk]
        assert [r["id"] for r in client.get(TRANSFERS, {"date__gte": "2025-02-01"}).json()["results"]] == [
            to_savings.pk]
        assert client.delete(f"{TRANSFERS}{to_card.pk}/").status_code == 204
        assert list(Transfer.objects.filter(workspace=workspace).values_list("pk", flat=True)) == [to_savings.pk]

    def test_a_transfer_is_not_changed(self, workspace, member, client_for, main, card):
        transfer = f.TransferFactory(workspace=workspace, from_account=main, to_account=card)
        assert client_for(member).patch(f"{TRANSFERS}{transfer.pk}/", {"amount": "1.00"}, format="json").status_code == 405

    def test_a_viewer_reads_but_cannot_write(self, workspace, viewer, client_for, main, card):
        transfer = f.TransferFactory(workspace=workspace, from_account=main, to_account=card)
        client = client_for(viewer)
        assert client.get(TRANSFERS).json()["count"] == 1
        assert client.post(TRANSFERS, transfer_body(workspace, main, card), format="json").status_code == 403
        assert client.delete(f"{TRANSFERS}{transfer.pk}/").status_code == 403
        assert Transfer.objects.count() == 1


class TestTransactionsAccount:
    def test_a_transaction_is_written_in_the_account_given_or_the_default(self, workspace, member, client_for,
                                                                          main, card):
        client = client_for(member)
        body = {"workspace": workspace.pk, "kind": "expense", "amount": "9.99", "date": "2025-04-01"}
        plain = client.post(TRANSACTIONS, body, format="json").json()
        on_card = client.post(TRANSACTIONS, body | {"account": card.pk}, format="json").json()
        assert (plain["account"], on_card["account"]) == (main.pk, card.pk)
        moved = client.patch(f"{TRANSACTIONS}{plain['id']}/", {"account": card.pk}, format="json")
        assert (moved.status_code, moved.json()["account"]) == (200, card.pk)
        listed = client.get(TRANSACTIONS, {"account": card.pk}).json()["results"]
        assert sorted(row["id"] for row in listed) == sorted([plain["id"], on_card["id"]])

    def test_an_archived_account_is_400_naming_it(self, workspace, member, client_for, main, card):
        account_update(account=card, is_archived=True)
        body = {"workspace": workspace.pk, "kind": "expense", "amount": "9.99", "date": "2025-04-01",
                "account": card.pk}
        response = client_for(member).post(TRANSACTIONS, body, format="json")
        assert (response.status_code, response.json()) == (400, {"account": [
            "“Visa card” is archived; choose an open account."]})
        assert Transaction.objects.count() == 0


def test_the_schema_documents_the_accounts_and_transfers_errors():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    codes = {(path, method): sorted(op["responses"]) for path in (ACCOUNTS, f"{ACCOUNTS}{{id}}/", TRANSFERS,
                                                                   f"{TRANSFERS}{{id}}/")
             for method, op in paths[f"/api/v1{path[7:]}"].items() if method in ("get", "post", "patch", "delete")}
    assert codes == {
        (ACCOUNTS, "get"): ["200", "400", "401", "404", "429"],
        (ACCOUNTS, "post"): ["201", "400", "401", "403", "415", "429"],
        (f"{ACCOUNTS}{{id}}/", "get"): ["200", "400", "401", "404", "429"],
        (f"{ACCOUNTS}{{id}}/", "patch"): ["200", "400", "401", "403", "404", "415", "429"],
        (f"{ACCOUNTS}{{id}}/", "delete"): ["204", "401", "403", "404", "409", "429"],
        (TRANSFERS, "get"): ["200", "400", "401", "404", "429"],
        (TRANSFERS, "post"): ["201", "400", "401", "403", "415", "429"],
        (f"{TRANSFERS}{{id}}/", "get"): ["200", "401", "404", "429"],
        (f"{TRANSFERS}{{id}}/", "delete"): ["204", "401", "403", "404", "429"],
    }
