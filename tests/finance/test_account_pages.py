"""The Accounts page and its forms: balances with their currency, the months (this one to
date), add / edit / archive an account, make and delete a transfer; login required,
another workspace's objects 404, viewers read only. And the Transactions page's Account
column and filter."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finance.accounts.models import Account, Transfer
from finance.accounts.services import account_create
from finance.models import Transaction
from tests import factories as f

ACCOUNTS = reverse("finance:accounts")
CREATE = reverse("finance:account-create")
TRANSFER = reverse("finance:transfer-create")
TRANSACTIONS = reverse("finance:transactions")

pytestmark = pytest.mark.django_db


def edit_url(account):
    return reverse("finance:account-edit", args=[account.pk])


def archive_url(account):
    return reverse("finance:account-archive", args=[account.pk])


def delete_url(transfer):
    return reverse("finance:transfer-delete", args=[transfer.pk])



@pytest.fixture
def theirs(other_workspace):
    account = f.AccountFactory(workspace=other_workspace, name="Their savings")
    transfer = f.TransferFactory(workspace=other_workspace, to_account=account)
    return account, transfer


def transfer_payload(source, target, **overrides) -> dict:
    return {"from_account": source.pk, "to_account": target.pk, "amount": "1,250.00",
            "date": timezone.localdate().isoformat(), "description": "Card bill"} | overrides


class TestAccess:
    @pytest.mark.parametrize("url", [ACCOUNTS, CREATE, TRANSFER])
    def test_anonymous_is_sent_to_login(self, client, url):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"{reverse('finance:login')}?next={url}")

    def test_another_workspace_s_objects_are_404_and_untouched(self, logged_in, member, theirs):
        account, transfer = theirs
        client = logged_in(member)
        assert client.get(edit_url(account)).status_code == 404
        assert client.post(edit_url(account), {"name": "Mine", "kind": "bank", "currency": "USD"}).status_code == 404
        assert client.post(archive_url(account)).status_code == 404
        assert client.get(delete_url(transfer)).status_code == 404
        assert client.post(delete_url(transfer)).status_code == 404
        account.refresh_from_db()
        assert (account.name, account.is_archived, Transfer.objects.count()) == ("Their savings", False, 1)

    def test_a_viewer_reads_the_page_but_writes_nothing(self, logged_in, viewer, main, card, workspace):
        transfer = f.TransferFactory(workspace=workspace, from_account=main, to_account=card)
        client = logged_in(viewer)
        response = client.get(ACCOUNTS)
        assert response.status_code == 200
        assert response.context["transfer_form"] is None
        html = response.content.decode()
        assert "Add account" not in html and "Archive" not in html and delete_url(transfer) not in html
        for url, data in ((CREATE, {"name": "X", "kind": "cash", "currency": "USD"}), (edit_url(card), {}),
                          (archive_url(card), {}), (TRANSFER, transfer_payload(main, card)),
                          (delete_url(transfer), {})):
            assert client.post(url, data).status_code == 403, url
        assert (Account.objects.count(), Transfer.objects.count()) == (2, 1)


class TestAccountsPage:
    def test_balances_with_their_currency_and_the_months_to_date(self, logged_in, member, workspace, main, card):
        # Given income in the main account and a transfer to the card this month
        today = timezone.localdate()
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("2000.00"), date=today)
        f.TransferFactory(workspace=workspace, from_account=main, to_account=card, amount=Decimal("300.00"),
                          date=today)
        # When the member opens the page
        response = logged_in(member).get(ACCOUNTS)
        # Then each balance is shown with its currency, and the total
        html = response.content.decode()
        assert [(b.account.name, b.balance) for b in response.context["balances"]] == [
            ("Main account", Decimal("1700.00")), ("Visa card", Decimal("300.00"))]
        assert "1,700.00\u00a0USD" in html and "300.00\u00a0USD" in html
        assert response.context["totals"] == [("USD", Decimal("2000.00"))]
        # And the chart's last month is today's balance, marked month to date
        chart = json.loads(html.split('id="balance-chart-data" type="application/json">')[1].split("</script>")[0])
        assert (chart["labels"][-1], chart["partial"][-1], chart["partialLabel"]) == (
            today.strftime("%b %Y"), True, "month to date")
        assert [(a["name"], a["balances"][-1]) for a in chart["accounts"]] == [("Main account", 1700.0),
                                                                               ("Visa card", 300.0)]
        assert chart["partial"][:-1] == [False] * 11
        assert 'data-partial="true"' in html

    def test_without_accounts_the_page_says_what_to_do(self, logged_in, owner):
        response = logged_in(owner).get(ACCOUNTS)
        assert response.status_code == 200
        assert "No accounts yet." in response.content.decode()

    def test_with_one_account_it_offers_to_add_a_second_for_transfers(self, logged_in, owner, main):
        html = logged_in(owner).get(ACCOUNTS).content.decode()
        assert "Add a second account" in html

    def test_the_page_reads_a_fixed_number_of_queries(self, logged_in, member, workspace, main,
                                                      django_assert_num_queries):
        for n in range(4):
            account = account_create(workspace=workspace, name=f"Account {n}")
            f.TransactionFactory.create_batch(3, workspace=workspace, account=account)
            f.TransferFactory(workspace=workspace, from_account=main, to_account=account)
        client = logged_in(member)
        # session and user, memberships, balances, three for the months, transfers, two account choices
        with django_assert_num_queries(10):
            assert client.get(ACCOUNTS).status_code == 200


class TestAccountForms:
    def test_add_an_account_with_an_opening_balance_typed_with_separators(self, logged_in, member, workspace):
        response = logged_in(member).post(CREATE, {"name": "Savings", "kind": "savings", "currency": "USD",
                                                   "opening_balance": "12,500.00", "number": ""})
        assert response.status_code == 302
        assert Account.objects.filter(workspace=workspace).values_list("name", "kind", "opening_balance").get() == (
            "Savings", "savings", Decimal("12500.00"))

    def test_a_taken_name_is_refused_on_the_field_and_nothing_is_saved(self, logged_in, member, card):
        response = logged_in(member).post(CREATE, {"name": "VISA card", "kind": "card", "currency": "USD"})
        assert response.status_code == 200
        assert response.context["form"].errors == {"name": ["This workspace already has an account called “VISA card”."]}
        assert Account.objects.count() == 1

    def test_edit_an_account_and_make_it_the_default(self, logged_in, member, main, card):
        response = logged_in(member).post(edit_url(card), {"name": "Amex", "kind": "card", "currency": "USD",
                                                           "opening_balance": "-40.00", "is_default": "on"})
        assert response.status_code == 302
        card.refresh_from_db()
        assert (card.name, card.opening_balance, card.is_default) == ("Amex", Decimal("-40.00"), True)
        assert Account.objects.get(pk=main.pk).is_default is False

    def test_archive_and_reopen(self, logged_in, member, main, card):
        client = logged_in(member)
        client.post(archive_url(card))
        assert Account.objects.get(pk=card.pk).is_archived is True
        client.post(archive_url(card))
        assert Account.objects.get(pk=card.pk).is_archived is False
        # The default account is not archived: the page says why
        response = client.post(archive_url(main), follow=True)
        assert "The default account cannot be archived" in response.content.decode()
        assert Account.objects.get(pk=main.pk).is_archived is False


class TestTransferForm:
    def test_a_transfer_moves_money_and_writes_no_transaction(self, logged_in, member, main, card):
        response = logged_in(member).post(TRANSFER, transfer_payload(main, card), follow=True)
        assert Transfer.objects.values_list("from_account", "to_account", "amount", "description").get() == (
            main.pk, card.pk, Decimal("1250.00"), "Card bill")
        assert Transaction.objects.count() == 0
        assert "Moved 1,250.00 USD from Main account to Visa card: neither revenue nor expense." in \
            response.content.decode()

    @pytest.mark.parametrize(("change", "field", "message"), [
        ({"amount": "0"}, "amount", "Amount must be greater than zero."),
        ({"amount": "1,2,3"}, "amount", "Enter the amount as a number, e.g. 12.50."),
        ({"date": "2025-02-30"}, "date", "Enter a valid date (YYYY-MM-DD)."),
        ({"to_account": "same"}, "to_account", "Choose two different accounts."),
        ({"to_account": "theirs"}, "to_account", "Choose an account of this workspace."),
    ])
    def test_a_bad_transfer_comes_back_with_the_message_on_the_field(
        self, logged_in, member, main, card, theirs, change, field, message
    ):
        if change.get("to_account") == "same":
            change = {"to_account": main.pk}
        elif change.get("to_account") == "theirs":
            change = {"to_account": theirs[0].pk}
        response = logged_in(member).post(TRANSFER, transfer_payload(main, card, **change))
        assert response.status_code == 200
        assert response.context["form"].errors[field] == [message]
        assert Transfer.objects.count() == 1  # the other workspace's only

    def test_delete_a_transfer(self, logged_in, member, workspace, main, card):
        transfer = f.TransferFactory(workspace=workspace, from_account=main, to_account=card)
        client = logged_in(member)
        assert "Both balances go back" in client.get(delete_url(transfer)).content.decode()
        assert client.post(delete_url(transfer)).status_code == 302
        assert not Transfer.objects.exists()


class TestTransactionsPageAccounts:
    def test_the_account_column_and_filter(self, logged_in, member, workspace, main, card):
        f.TransactionFactory(workspace=workspace, description="Groceries", account=main)
        f.TransactionFactory(workspace=workspace, description="Flight", account=card, account_label="AMEX 1001")
        client = logged_in(member)
        html = client.get(TRANSACTIONS).content.decode()
        assert 'data-label="Account"' in html and "AMEX 1001" in html
        filtered = client.get(TRANSACTIONS, {"account": card.pk})
        assert [t.description for t in filtered.context["transactions"]] == ["Flight"]
        assert filtered.context["is_filtered"] is True

    def test_the_form_offers_the_open_accounts_default_first_and_saves_the_choice(
        self, logged_in, member, workspace, main, card
    ):
        account_create(workspace=workspace, name="Closed", is_archived=True)
        client = logged_in(member)
        form = client.get(reverse("finance:transaction-create")).context["form"]
        assert [a.name for a in form.fields["account"].queryset] == ["Main account", "Visa card"]
        client.post(reverse("finance:transaction-create"), {
            "kind": "expense", "amount": "12.00", "date": "2025-05-01", "account": card.pk, "status": "approved"})
        assert Transaction.objects.values_list("account", flat=True).get() == card.pk
        # Another workspace's account is refused naming the field
        response = client.post(reverse("finance:transaction-create"), {
            "kind": "expense", "amount": "12.00", "date": "2025-05-01", "status": "approved",
            "account": f.AccountFactory(workspace=f.WorkspaceFactory()).pk})
        assert response.context["form"].errors == {"account": ["Choose an account of this workspace."]}
