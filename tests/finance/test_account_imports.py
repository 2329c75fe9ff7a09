"""Imports put each row in an account: the open account of the workspace that the file
names (an OFX ACCTID, a QIF account, a CSV ``account`` column) by its bank number or its
name, else the account the import was given, else the default account; the file's name
for it stays in ``account_label``."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from finance.accounts.services import account_create, account_default_get, account_update
from finance.models import Transaction
from tests import factories as f

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/api/v1/transactions/import/"
CARD_ACCTID = "4970101234567781"  # card_2025-12.ofx
CHECKING_ACCTID = "4417880123"  # checking_2025-11.ofx

pytestmark = pytest.mark.django_db


def fixture(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes())


def csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")


@pytest.fixture
def post(client_for, member, workspace):
    def send(file, **data):
        return client_for(member).post(URL, {"workspace": workspace.pk, "file": file, **data}, format="multipart")

    return send


def accounts_of_rows() -> set[tuple[str, str]]:
    return set(Transaction.objects.values_list("account__name", "account_label"))


@pytest.mark.parametrize("number", [CARD_ACCTID, "7781", " 67781 "])
def test_an_ofx_file_goes_to_the_account_with_its_acctid_or_its_last_digits(post, workspace, number):
    # Given a card account that knows its number at the bank, or its last digits
    account_create(workspace=workspace, name="Carte Visa", kind="card", currency="EUR", number=number)
    account_create(workspace=workspace, name="Short", number="781")  # under four characters: no suffix match
    # When the card's statement is imported
    assert post(fixture("card_2025-12.ofx"), format="ofx").status_code == 201
    # Then every row is in the card account; only the id's last four characters are kept, as its label
    assert accounts_of_rows() == {("Carte Visa", "…7781")}


def test_a_file_naming_no_account_of_the_workspace_goes_to_the_default_one(post, workspace):
    main = account_default_get(workspace=workspace)
    account_create(workspace=workspace, name="Card", number="4970101234567781")
    assert post(fixture("checking_2025-11.ofx"), format="ofx").status_code == 201
    assert accounts_of_rows() == {(main.name, "…" + CHECKING_ACCTID[-4:])}


def test_the_import_s_account_takes_the_rows_the_file_does_not_place(post, workspace):
    checking = account_create(workspace=workspace, name="Checking")
    card = account_create(workspace=workspace, name="Card", number="4970-unused")
    text = "date,amount,description,account\n2025-04-01,-5.00,Coffee,card\n2025-04-02,-7.00,Lunch,Amex\n"
    response = post(csv(text), account=checking.pk)
    assert response.status_code == 201
    # "card" names the Card account (whatever the case); "Amex" none: it goes to the import's account
    assert set(Transaction.objects.values_list("description", "account_id", "account_label")) == {
        ("Coffee", card.pk, "card"), ("Lunch", checking.pk, "Amex")}


def test_an_archived_account_is_not_matched_and_cannot_be_chosen(post, workspace):
    old = account_create(workspace=workspace, name="Old card", number=CARD_ACCTID)
    account_update(account=old, is_archived=True)
    response = post(fixture("card_2025-12.ofx"), format="ofx", account=old.pk)
    assert (response.status_code, response.json()) == (400, {"account": ["“Old card” is archived; choose an open account."]})
    assert post(fixture("card_2025-12.ofx"), format="ofx").status_code == 201
    assert set(Transaction.objects.values_list("account__name", flat=True)) == {"Main account"}


def test_another_workspace_s_account_is_400_naming_the_field(post, workspace, other_workspace, member):
    f.MembershipFactory(workspace=other_workspace, user=member)
    theirs = f.AccountFactory(workspace=other_workspace)
    unknown = f.AccountFactory(workspace=f.WorkspaceFactory())
    for account, message in ((theirs, "Choose an account of this workspace."),
                             (unknown, f'Invalid pk "{unknown.pk}" - object does not exist.')):
        response = post(fixture("card_2025-12.ofx"), format="ofx", account=account.pk)
        assert (response.status_code, response.json()) == (400, {"account": [message]})
    assert Transaction.objects.count() == 0


def test_the_preview_shows_each_row_s_account(post, workspace):
    account_create(workspace=workspace, name="Carte Visa", currency="EUR", number=CARD_ACCTID)
    body = post(fixture("card_2025-12.ofx"), format="ofx", dry_run="true").json()
    assert {row["account"] for row in body["rows"]} == {"Carte Visa"}
    assert Transaction.objects.count() == 0
