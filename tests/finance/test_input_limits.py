"""Input limits on every writer of the books — API, CSV import (API, page, admin), page
forms, admin: control characters, dates out of range, currencies outside ISO 4217 and
amounts beyond the hard maximum are a 400 (or a form error) naming the field, and nothing
is written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from finance.models import Budget, Goal, Sale, Transaction, Workspace
from tests import factories as f

TX = "/api/v1/transactions/"
DATE_RANGE = "Enter a date from 1900-01-01 to 2100-12-31."
NUL = "Remove the control character U+0000 (character 2): NUL bytes are not allowed in text."


def tx_body(workspace, **fields):
    return {"workspace": workspace.pk, "kind": "expense", "amount": "12.50", "date": "2025-01-02"} | fields


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("import.csv", text.encode(), content_type="text/csv")


def import_csv(client, workspace, text, url="/api/v1/transactions/import/"):
    return client.post(url, {"workspace": workspace.pk, "file": upload(text)}, format="multipart")


@pytest.mark.django_db
class TestTransactionApi:
    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"date": "0001-01-01"}, "date", DATE_RANGE),
            ({"date": "9999-12-31"}, "date", DATE_RANGE),
            ({"date": "1899-12-31"}, "date", DATE_RANGE),
            ({"currency": "<s>"}, "currency", "“<s>” is not an ISO 4217 currency code; use one such as USD or EUR."),
            ({"currency": "ABC"}, "currency", "“ABC” is not an ISO 4217 currency code; use one such as USD or EUR."),
            ({"merchant": "a\u0000"}, "merchant", NUL),
            ({"description": "a\u001b"}, "description",
             "Remove the control character U+001B (character 2): control characters are not allowed in text."),
            ({"amount": "1000000000000.00"}, "amount", "Ensure that there are no more than 14 digits in total."),
        ],
    )
    def test_bad_value_is_400_naming_the_field_and_nothing_is_written(
        self, workspace, member, client_for, fields, field, message
    ):
        response = client_for(member).post(TX, tx_body(workspace, **fields), format="json")
        assert response.status_code == 400
        assert response.json() == {field: [message]}
        assert Transaction.objects.count() == 0

    def test_the_date_bounds_themselves_are_accepted(self, workspace, member, client_for):
        for day in ("1900-01-01", "2100-12-31"):
            assert client_for(member).post(TX, tx_body(workspace, date=day), format="json").status_code == 201
        assert sorted(Transaction.objects.values_list("date", flat=True)) == [dt.date(1900, 1, 1), dt.date(2100, 12, 31)]

    def test_the_date_range_is_a_setting(self, workspace, member, client_for, settings):
        settings.INPUT_DATE_MIN = dt.date(2020, 1, 1)
        response = client_for(member).post(TX, tx_body(workspace, date="2019-12-31"), format="json")
        assert response.status_code == 400
        assert response.json() == {"date": ["Enter a date from 2020-01-01 to 2100-12-31."]}

    def test_the_hard_maximum_is_a_setting(self, workspace, member, client_for, settings):
        settings.INPUT_AMOUNT_MAX = Decimal("1000000.00")
        response = client_for(member).post(TX, tx_body(workspace, amount="1000000.01"), format="json")
        assert response.status_code == 400
        assert response.json() == {"amount": ["Ensure this amount is at most 1,000,000.00."]}
        assert Transaction.objects.count() == 0

    def test_a_lower_case_currency_is_stored_upper_case(self, workspace, member, client_for):
        response = client_for(member).post(TX, tx_body(workspace, currency="eur"), format="json")
        assert response.status_code == 201
        assert Transaction.objects.get().currency == "EUR"

    def test_an_update_out_of_range_is_400_and_the_row_unchanged(self, workspace, member, client_for):
        row = f.TransactionFactory(workspace=workspace, date=dt.date(2025, 1, 2))
        response = client_for(member).patch(f"{TX}{row.pk}/", {"date": "0001-01-01"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"date": [DATE_RANGE]}
        row.refresh_from_db()
        assert row.date == dt.date(2025, 1, 2)


@pytest.mark.django_db
class TestOtherApis:
    def test_workspace_currency_is_iso_4217(self, member, client_for):
        response = client_for(member).post("/api/v1/workspaces/", {"name": "Shop", "currency": "<s>"}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["currency"]
        assert not Workspace.objects.filter(name="Shop").exists()

    def test_budget_dates_are_in_range(self, workspace, member, client_for):
        rent = f.CategoryFactory(workspace=workspace, kind="expense")
        body = {"workspace": workspace.pk, "category": rent.pk, "amount": "100.00", "start_date": "0001-01-01"}
        response = client_for(member).post("/api/v1/budgets/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"start_date": [DATE_RANGE]}
        assert Budget.objects.count() == 0

    def test_goal_deadline_is_in_range(self, workspace, member, client_for):
        body = {"workspace": workspace.pk, "name": "Van", "target_amount": "5000.00", "deadline": "9999-12-31"}
        response = client_for(member).post("/api/v1/goals/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"deadline": [DATE_RANGE]}
        assert Goal.objects.count() == 0

    def test_sale_date_is_in_range(self, workspace, member, client_for):
        product = f.ProductFactory(workspace=workspace)
        warehouse = f.WarehouseFactory(workspace=workspace)
        body = {"workspace": workspace.pk, "product": product.pk, "warehouse": warehouse.pk, "date": "0001-01-01",
                "quantity": 1}
        response = client_for(member).post("/api/v1/sales/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"date": [DATE_RANGE]}
        assert Sale.objects.count() == 0

    def test_product_name_refuses_a_tab(self, workspace, member, client_for):
        body = {"workspace": workspace.pk, "sku": "A-1", "name": "Flour\t25kg", "unit_cost": "1", "unit_price": "2"}
        response = client_for(member).post("/api/v1/products/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"name": [
            "Remove the control character U+0009 (character 6): a tab is not allowed in a one-line text."
        ]}


@pytest.mark.django_db
class TestCsvImport:
    @pytest.mark.parametrize(
        ("line", "column", "message"),
        [
            ("2025-01-02,expense,5.00,a\x00,", "description", NUL),
            ("2025-01-02,expense,5.00,x,a\x00", "notes", NUL),  # a column that is not read is checked too
            ("0001-01-01,expense,5.00,x,", "date", DATE_RANGE),
            ("9999-12-31,expense,5.00,x,", "date", DATE_RANGE),
            ("2025-01-02,expense,999999999999.99,x,", None, None),  # within bounds: imported (and flagged)
        ],
    )
    def test_bad_cell_is_reported_with_row_and_column_and_nothing_written(
        self, workspace, member, client_for, line, column, message
    ):
        text = "date,kind,amount,description,notes\n2025-01-01,expense,1.00,ok,\n" + line + "\n"
        response = import_csv(client_for(member), workspace, text)
        if column is None:
            assert response.status_code == 201
            return
        assert response.status_code == 400
        assert response.json()["errors"] == [{"row": 3, "column": column, "message": message}]
        assert Transaction.objects.count() == 0

    def test_a_currency_outside_iso_4217_is_refused_as_by_the_api(self, workspace, member, client_for):
        text = "date,kind,amount,currency\n2025-01-02,expense,5.00,<s>\n"
        response = import_csv(client_for(member), workspace, text)
        assert response.status_code == 400
        assert response.json()["errors"] == [{
            "row": 2, "column": "currency",
            "message": "“<s>” is not an ISO 4217 currency code; use one such as USD or EUR.",
        }]
        assert Transaction.objects.count() == 0

    def test_a_line_break_inside_a_description_cell_is_refused(self, workspace, member, client_for):
        text = 'date,kind,amount,description\n2025-01-02,expense,5.00,"two\nlines"\n'
        response = import_csv(client_for(member), workspace, text)
        assert response.status_code == 400
        assert response.json()["errors"] == [{
            "row": 2, "column": "description",
            "message": "Remove the control character U+000A (character 4): a line break is not allowed in a one-line text.",
        }]

    def test_a_nul_in_the_header_is_refused(self, workspace, member, client_for):
        response = import_csv(client_for(member), workspace, "date,amount,no\x00te\n2025-01-02,5.00,x\n")
        assert response.status_code == 400
        assert response.json()["errors"][0]["row"] == 1
        assert "U+0000" in response.json()["errors"][0]["message"]
        assert Transaction.objects.count() == 0

    def test_an_amount_over_the_hard_maximum_is_refused(self, workspace, member, client_for, settings):
        settings.INPUT_AMOUNT_MAX = Decimal("1000000.00")
        response = import_csv(client_for(member), workspace, "date,kind,amount\n2025-01-02,revenue,2000000\n")
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 2, "column": "amount", "message": "Ensure this amount is at most 1,000,000.00."}
        ]

    def test_a_sale_price_beyond_its_column_is_refused_not_a_database_error(self, workspace, member, client_for):
        product = f.ProductFactory(workspace=workspace, sku="A-1")
        f.WarehouseFactory(workspace=workspace, code="W1")
        text = "date,sku,warehouse,quantity,unit_price\n2025-01-02,A-1,W1,1,10000000000\n"
        response = import_csv(client_for(member), workspace, text, url="/api/v1/sales/import/")
        assert response.status_code == 400
        assert response.json()["errors"] == [{"row": 2, "column": "unit_price", "message": "'10000000000' is too large"}]
        assert Sale.objects.filter(product=product).count() == 0

    def test_the_page_import_reports_the_same(self, workspace, member):
        client = Client()
        client.force_login(member)
        response = client.post(
            reverse("finance:transaction-import"), {"file": upload("date,amount\n0001-01-01,5.00\n")},
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [{"row": 2, "column": "date", "message": DATE_RANGE}]
        assert Transaction.objects.count() == 0


@pytest.mark.django_db
class TestForms:
    def _post(self, user, **fields):
        client = Client()
        client.force_login(user)
        data = {"kind": "expense", "amount": "12.50", "date": "2025-01-02", "status": "approved"} | fields
        return client.post(reverse("finance:transaction-create"), data)

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"date": "0001-01-01"}, "date", DATE_RANGE),
            ({"description": "a\x07"},
             "description", "Remove the control character U+0007 (character 2): control characters are not allowed in text."),
            ({"merchant": "a\x00"}, "merchant", "Null characters are not allowed."),  # Django's own rule, first
        ],
    )
    def test_the_transaction_form_refuses_with_the_field_named(self, workspace, member, fields, field, message):
        response = self._post(member, **fields)
        assert response.status_code == 200  # the form again, with the error
        assert response.context["form"].errors == {field: [message]}
        assert Transaction.objects.count() == 0

    def test_the_budget_form_refuses_a_date_out_of_range(self, workspace, member):
        rent = f.CategoryFactory(workspace=workspace, kind="expense")
        client = Client()
        client.force_login(member)
        response = client.post(reverse("finance:budget-create"), {
            "category": rent.pk, "amount": "100", "period": "monthly", "start_date": "2101-01-01",
        })
        assert response.status_code == 200
        assert response.context["form"].errors == {"start_date": [DATE_RANGE]}
        assert Budget.objects.count() == 0

    def test_the_admin_refuses_a_date_out_of_range(self, workspace):
        staff = f.UserFactory(username="root", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(staff)
        response = client.post(reverse("admin:finance_transaction_add"), {
            "workspace": workspace.pk, "kind": "expense", "amount": "5.00", "currency": "USD", "date": "0001-01-01",
            "status": "approved", "source": "manual",
        })
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["date"] == [DATE_RANGE]
        assert Transaction.objects.count() == 0
