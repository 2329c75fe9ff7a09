"""The one place for the rules of writing a transaction: the services, and the page form,
the API and the CSV import that go through them.

Each test reads given / when / then; failure paths assert that nothing was written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse

from finance.forms import TransactionForm
from finance.models import Transaction
from finance.services.csv_import import CsvImportError
from finance.services.transaction_import import transaction_import_csv
from finance.services.transactions import (
    transaction_create,
    transaction_update,
    transaction_validate,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

CREATE = reverse("finance:transaction-create")
API = "/api/v1/transactions/"

MISMATCH = "“Sales” is a revenue category; this transaction is expense."


@pytest.fixture
def groceries(workspace):
    return f.CategoryFactory(workspace=workspace, name="Groceries", kind="expense")


@pytest.fixture
def sales(workspace):
    return f.CategoryFactory(workspace=workspace, name="Sales", kind="revenue")


@pytest.fixture
def theirs(other_workspace):
    return f.CategoryFactory(workspace=other_workspace, name="Their groceries", kind="expense")


@pytest.fixture
def suggested(workspace, groceries):
    """A row whose category the model suggested."""
    return f.TransactionFactory(
        workspace=workspace, kind="expense", amount=Decimal("12.50"), description="Flour",
        category=groceries, category_source="model", category_confidence=0.71, date=dt.date(2025, 3, 14),
    )


def snapshot() -> list[dict]:
    return list(Transaction.objects.order_by("pk").values())


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_payload(**overrides) -> dict:
    return {
        "kind": "expense", "amount": "19.99", "date": "2025-04-01", "category": "",
        "description": "COSTCO WHSE #0113", "merchant": "Costco", "status": "approved",
    } | overrides


def api_payload(workspace, **overrides) -> dict:
    return {
        "workspace": workspace.pk, "kind": "expense", "amount": "19.99", "date": "2025-04-01",
        "description": "COSTCO WHSE #0113",
    } | overrides


# --- transaction_create ------------------------------------------------------------------------


class TestTransactionCreate:
    def test_creates_the_row_with_the_rules(self, workspace, member, groceries):
        # Given a category and a card account of the workspace
        visa = f.AccountFactory(workspace=workspace, name="Visa", kind="card")
        # When a transaction is created with them and no currency
        created = transaction_create(
            workspace=workspace, user=member, kind="expense", amount=Decimal("19.99"),
            date=dt.date(2025, 4, 1), category=groceries, description="COSTCO WHSE #0113", merchant="Costco",
            account=visa, source=Transaction.Source.API,
        )
        # Then it is saved in the workspace's currency, the category is the user's choice
        saved = Transaction.objects.get()
        assert saved.pk == created.pk
        assert (
            saved.workspace, saved.kind, saved.amount, saved.currency, saved.date, saved.category,
            saved.category_source, saved.category_confidence, saved.description, saved.merchant,
            saved.account, saved.status, saved.source, saved.created_by,
        ) == (
            workspace, "expense", Decimal("19.99"), "USD", dt.date(2025, 4, 1), groceries,
            "user", None, "COSTCO WHSE #0113", "Costco",
            visa, "approved", "api", member,
        )

    def test_defaults_without_category_and_a_given_currency_upper_cased(self, workspace, member):
        transaction_create(
            workspace=workspace, user=member, kind="revenue", amount=Decimal("250.00"),
            date=dt.date(2025, 4, 2), currency="eur",
        )
        saved = Transaction.objects.get()
        assert (
            saved.currency, saved.category, saved.category_source, saved.source, saved.status,
            saved.description, saved.created_by,
        ) == ("EUR", None, "", "manual", "approved", "", member)

    def test_a_single_create_sends_post_save(self, workspace, member):
        # Given a post_save receiver (forecasting counts and scores new rows with one)
        seen = []

        def receiver(sender, instance, created, **kwargs):
            seen.append((instance.pk, created))

        post_save.connect(receiver, sender=Transaction, dispatch_uid="test-transaction-create")
        try:
            # When a transaction is created
            created = transaction_create(
                workspace=workspace, user=member, kind="expense", amount=Decimal("5.00"), date=dt.date(2025, 4, 1)
            )
        finally:
            post_save.disconnect(sender=Transaction, dispatch_uid="test-transaction-create")
        # Then the receiver heard of it once, as a new row
        assert seen == [(created.pk, True)]

    @pytest.mark.parametrize(
        ("overrides", "errors"),
        [
            ({"amount": Decimal("0")}, {"amount": ["Amount must be greater than zero."]}),
            ({"amount": Decimal("-5.00")}, {"amount": ["Amount must be greater than zero."]}),
            ({"kind": "gift"}, {"kind": ["Select a valid choice. gift is not one of the available choices."]}),
            (
                {"amount": Decimal("0"), "kind": "gift"},
                {
                    "amount": ["Amount must be greater than zero."],
                    "kind": ["Select a valid choice. gift is not one of the available choices."],
                },
            ),
        ],
    )
    def test_bad_values_are_refused_by_field_and_nothing_is_written(self, workspace, member, overrides, errors):
        fields = {"kind": "expense", "amount": Decimal("5.00"), "date": dt.date(2025, 4, 1)} | overrides
        with pytest.raises(ValidationError) as caught:
            transaction_create(workspace=workspace, user=member, **fields)
        assert caught.value.message_dict == errors
        assert Transaction.objects.count() == 0

    def test_a_category_of_the_other_kind_is_refused(self, workspace, member, sales):
        with pytest.raises(ValidationError) as caught:
            transaction_create(
                workspace=workspace, user=member, kind="expense", amount=Decimal("5.00"),
                date=dt.date(2025, 4, 1), category=sales,
            )
        assert caught.value.message_dict == {"category": [MISMATCH]}
        assert Transaction.objects.count() == 0

    def test_a_category_of_another_workspace_is_refused(self, workspace, member, theirs):
        with pytest.raises(ValidationError) as caught:
            transaction_create(
                workspace=workspace, user=member, kind="expense", amount=Decimal("5.00"),
                date=dt.date(2025, 4, 1), category=theirs,
            )
        assert caught.value.message_dict == {"category": ["Choose a category of this workspace."]}
        assert Transaction.objects.count() == 0


# --- transaction_update ------------------------------------------------------------------------


class TestTransactionUpdate:
    def test_a_chosen_category_is_the_users_and_drops_the_confidence(self, suggested, member, workspace):
        supplies = f.CategoryFactory(workspace=workspace, name="Supplies", kind="expense")
        saved = transaction_update(transaction=suggested, user=member, category=supplies, amount=Decimal("13.75"))
        suggested.refresh_from_db()
        assert saved.pk == suggested.pk
        assert (
            suggested.category, suggested.category_source, suggested.category_confidence, suggested.amount,
            suggested.description, suggested.source,
        ) == (supplies, "user", None, Decimal("13.75"), "Flour", "manual")

    def test_a_cleared_category_is_no_suggestion_any_more(self, suggested, member):
        transaction_update(transaction=suggested, user=member, category=None)
        suggested.refresh_from_db()
        assert (suggested.category, suggested.category_source, suggested.category_confidence) == (None, "", None)

    def test_the_same_category_keeps_the_suggestion(self, suggested, member, groceries):
        transaction_update(transaction=suggested, user=member, category=groceries, description="Flour, 25 kg")
        suggested.refresh_from_db()
        assert (
            suggested.category, suggested.category_source, suggested.category_confidence, suggested.description,
        ) == (groceries, "model", 0.71, "Flour, 25 kg")

    def test_what_was_written_meanwhile_is_kept(self, suggested, member):
        # Given a caller's copy of the row, and the model scoring the row after it was read
        stale = Transaction.objects.get(pk=suggested.pk)
        Transaction.objects.filter(pk=suggested.pk).update(anomaly_score=0.93, is_flagged=True)
        # When the caller changes the description
        transaction_update(transaction=stale, user=member, description="Flour, 25 kg")
        # Then the scores survive
        suggested.refresh_from_db()
        assert (suggested.description, suggested.anomaly_score, suggested.is_flagged) == ("Flour, 25 kg", 0.93, True)

    def test_a_cleared_currency_is_the_workspaces_and_a_given_one_upper_cased(self, suggested, member):
        transaction_update(transaction=suggested, user=member, currency="eur")
        suggested.refresh_from_db()
        assert suggested.currency == "EUR"
        transaction_update(transaction=suggested, user=member, currency="")
        suggested.refresh_from_db()
        assert suggested.currency == "USD"

    def test_changing_the_kind_away_from_the_category_is_refused(self, suggested, member):
        before = snapshot()
        with pytest.raises(ValidationError) as caught:
            transaction_update(transaction=suggested, user=member, kind="revenue")
        assert caught.value.message_dict == {
            "category": ["“Groceries” is an expense category; this transaction is revenue."]
        }
        assert snapshot() == before

    def test_a_category_of_another_workspace_is_refused(self, suggested, member, theirs):
        before = snapshot()
        with pytest.raises(ValidationError) as caught:
            transaction_update(transaction=suggested, user=member, category=theirs)
        assert caught.value.message_dict == {"category": ["Choose a category of this workspace."]}
        assert snapshot() == before

    @pytest.mark.parametrize("field", ["workspace", "source", "created_by", "category_source", "fraud_score"])
    def test_fields_the_services_own_cannot_be_set(self, suggested, member, field):
        before = snapshot()
        with pytest.raises(TypeError) as caught:
            transaction_update(transaction=suggested, user=member, **{field: None})
        assert str(caught.value) == f"transaction_update() cannot set {field}"
        assert snapshot() == before


def test_validate_skips_what_the_caller_already_refused(workspace, sales):
    # A form that already refused the kind or the amount reports only its own message.
    assert transaction_validate(workspace=workspace, kind=None, amount=None, category=sales) is None


# --- the page form and the API give the same messages -------------------------------------------


class TestSameMessagesOnThePageAndTheApi:
    def test_kind_category_mismatch_on_create(self, workspace, member, sales, client_for):
        # Given an expense with a revenue category, entered on the page and sent to the API
        page = page_client(member).post(CREATE, page_payload(kind="expense", category=sales.pk))
        api = client_for(member).post(API, api_payload(workspace, kind="expense", category=sales.pk), format="json")
        # Then both refuse it on the category field with the same words, and nothing is written
        page_errors = page.context["form"].errors
        assert page.status_code == 200
        assert api.status_code == 400
        assert page_errors == {"category": [MISMATCH]}
        assert api.json() == {"category": [MISMATCH]}
        assert page_errors["category"][0] == api.json()["category"][0]
        assert Transaction.objects.count() == 0

    def test_kind_category_mismatch_on_update(self, workspace, member, suggested, client_for):
        before = snapshot()
        url = reverse("finance:transaction-edit", args=[suggested.pk])
        page = page_client(member).post(url, page_payload(kind="revenue", category=suggested.category_id))
        api = client_for(member).patch(f"{API}{suggested.pk}/", {"kind": "revenue"}, format="json")
        expected = "“Groceries” is an expense category; this transaction is revenue."
        assert page.context["form"].errors == {"category": [expected]}
        assert (api.status_code, api.json()) == (400, {"category": [expected]})
        assert snapshot() == before

    @pytest.mark.parametrize("amount", ["0", "-5"])
    def test_amount_not_above_zero(self, workspace, member, client_for, amount):
        page = page_client(member).post(CREATE, page_payload(amount=amount))
        api = client_for(member).post(API, api_payload(workspace, amount=amount), format="json")
        assert page.context["form"].errors == {"amount": ["Amount must be greater than zero."]}
        assert (api.status_code, api.json()) == (400, {"amount": ["Amount must be greater than zero."]})
        assert Transaction.objects.count() == 0

    def test_both_write_the_same_row_but_for_the_source(self, workspace, member, groceries, client_for):
        page_client(member).post(CREATE, page_payload(category=groceries.pk))
        client_for(member).post(
            API, api_payload(workspace, category=groceries.pk, merchant="Costco"), format="json"
        )
        rows = list(Transaction.objects.order_by("pk").values_list(
            "workspace", "kind", "amount", "currency", "category", "category_source", "category_confidence",
            "status", "created_by", "source",
        ))
        same = (workspace.pk, "expense", Decimal("19.99"), "USD", groceries.pk, "user", None, "approved", member.pk)
        assert rows == [(*same, "manual"), (*same, "api")]

    def test_api_create_sends_post_save(self, workspace, member, client_for):
        seen = []
        post_save.connect(lambda sender, created, **kw: seen.append(created), sender=Transaction,
                          dispatch_uid="test-api-create", weak=False)
        try:
            response = client_for(member).post(API, api_payload(workspace), format="json")
        finally:
            post_save.disconnect(sender=Transaction, dispatch_uid="test-api-create")
        assert response.status_code == 201
        assert seen == [True]


class TestTransactionFormEdit:
    def test_editing_other_fields_keeps_the_models_suggestion(self, workspace, member, suggested, groceries):
        # Given a row with a suggested category, shown in the edit form
        form = TransactionForm(
            data=page_payload(amount="12.50", description="Flour, 25 kg", category=groceries.pk),
            instance=suggested, workspace=workspace, user=member,
        )
        # When only the description is changed and the form is saved
        assert form.is_valid(), form.errors
        saved = form.save()
        # Then the suggestion (and its confidence) is still the model's
        saved.refresh_from_db()
        assert (saved.description, saved.category, saved.category_source, saved.category_confidence) == (
            "Flour, 25 kg", groceries, "model", 0.71,
        )

    def test_save_without_commit_is_refused(self, workspace, member):
        form = TransactionForm(data=page_payload(), workspace=workspace, user=member)
        assert form.is_valid(), form.errors
        with pytest.raises(ValueError, match=r"save\(commit=False\) is unsupported"):
            form.save(commit=False)
        assert Transaction.objects.count() == 0


# --- the CSV import keeps the same rules ------------------------------------------------------------


def test_import_refuses_a_category_of_the_other_kind(workspace, member, groceries, sales):
    # Given a file whose second row puts a revenue category on an expense (by its sign)
    text = "date,amount,category\n2025-01-02,-12.50,Groceries\n2025-01-03,-40.00,Sales\n"
    # When it is imported
    with pytest.raises(CsvImportError) as caught:
        transaction_import_csv(workspace=workspace, file=SimpleUploadedFile("t.csv", text.encode()), user=member)
    # Then the row is named with the message of the page and the API, and nothing is written
    assert [e.as_dict() for e in caught.value.errors] == [{"row": 3, "column": "category", "message": MISMATCH}]
    assert Transaction.objects.count() == 0


def test_import_builds_rows_like_a_single_create(workspace, member, groceries):
    text = "date,kind,amount,category,currency\n2025-01-02,expense,12.50,groceries,eur\n2025-01-03,revenue,99,,\n"
    transaction_import_csv(workspace=workspace, file=SimpleUploadedFile("t.csv", text.encode()), user=member)
    rows = list(Transaction.objects.order_by("date").values_list(
        "kind", "amount", "currency", "category", "category_source", "category_confidence", "status",
        "source", "created_by",
    ))
    assert rows == [
        ("expense", Decimal("12.50"), "EUR", groceries.pk, "user", None, "approved", "import", member.pk),
        ("revenue", Decimal("99.00"), "USD", None, "", None, "approved", "import", member.pk),
    ]
