"""The admin's import page: CSV (named or mapped columns), OFX and QIF through the import
service of the Transactions page and the API; all rows or none; rows imported before
skipped and reported; Preview writes nothing."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from finance.models import Membership, Sale, Transaction
from tests import factories as f

FIXTURES = Path(__file__).parent / "fixtures"
URL = reverse("admin:finance_transaction_import")
CHANGELIST = reverse("admin:finance_transaction_changelist")


def fixture(name):
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes())


def upload(text, name="file.txt"):
    return SimpleUploadedFile(name, text.encode())


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def admin_client(client, db):
    client.force_login(f.UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
class TestAdminFileImport:
    def test_changelist_links_the_import_page(self, admin_client):
        page = admin_client.get(CHANGELIST).content.decode()
        assert '<a href="import/" class="addlink">Import file</a>' in page
        assert admin_client.get(URL).status_code == 200

    def test_ofx_imports_every_row(self, admin_client, workspace):
        response = admin_client.post(URL, {"workspace": workspace.pk, "file": fixture("checking_2025-11.ofx"),
                                           "format": "ofx"}, follow=True)
        assert response.redirect_chain == [(CHANGELIST, 302)]
        assert messages_of(response) == ["Imported 12 transactions."]
        assert Transaction.objects.filter(workspace=workspace, source="import").count() == 12
        assert Transaction.objects.order_by("date", "id").values_list("date", "kind", "amount", "merchant")[2] == (
            dt.date(2025, 11, 4), "revenue", Decimal("2450.00"), "ACME LTD PAYROLL")

    def test_reimported_qif_writes_nothing_and_reports_the_duplicates_with_their_lines(self, admin_client, workspace):
        # Given a QIF file imported once
        data = {"workspace": workspace.pk, "format": "qif"}
        admin_client.post(URL, {**data, "file": fixture("checking_2025-10.qif")}, follow=True)
        before = list(Transaction.objects.values_list("id", "updated_at"))
        # When the same file is imported again
        response = admin_client.post(URL, {**data, "file": fixture("checking_2025-10.qif")}, follow=True)
        # Then nothing is written and every skipped row is named by its line
        assert messages_of(response) == [
            "Imported 0 transactions. Skipped 12 row(s) imported before "
            "(line 2, 8, 14, 19, 24, 30, 36, 41, 46, 51, 56, 66)."]
        assert list(Transaction.objects.values_list("id", "updated_at")) == before

    def test_ofx_with_a_bad_row_imports_nothing_and_names_line_and_field(self, admin_client, workspace):
        text = (FIXTURES / "checking_2025-11.ofx").read_text().replace("<TRNAMT>-12.99", "<TRNAMT>-12.9x")
        response = admin_client.post(URL, {"workspace": workspace.pk, "file": upload(text), "format": "ofx"})
        assert response.status_code == 200
        assert [e.as_dict() for e in response.context["errors"]] == [
            {"row": 94, "column": "amount", "message": "TRNAMT '-12.9x' is not an OFX amount (like -1234.56)"}]
        assert Transaction.objects.count() == 0

    def test_any_csv_imports_through_the_column_mapping(self, admin_client, workspace):
        f.CategoryFactory(workspace=workspace, name="Rent", kind="expense")
        text = ("Buchungstag;Verwendungszweck;Soll;Haben;Kategorie\n"
                "01.10.2025;Miete Oktober;1.250,00;;Rent\n02.10.2025;Gehalt;;3.120,55;\n")
        response = admin_client.post(URL, {
            "workspace": workspace.pk, "file": upload(text), "format": "csv", "map_columns": "on",
            "date": "Buchungstag", "description": "Verwendungszweck", "debit": "Soll", "credit": "Haben",
            "category": "Kategorie", "date_format": "DD.MM.YYYY", "decimal_separator": ",",
            "thousands_separator": ".", "delimiter": ";",
        })
        assert response.status_code == 302
        assert list(Transaction.objects.order_by("date").values_list("date", "kind", "amount", "category__name")) == [
            (dt.date(2025, 10, 1), "expense", Decimal("1250.00"), "Rent"),
            (dt.date(2025, 10, 2), "revenue", Decimal("3120.55"), None),
        ]

    def test_mapping_error_names_the_field_and_writes_nothing(self, admin_client, workspace):
        response = admin_client.post(URL, {
            "workspace": workspace.pk, "file": upload("Buchungstag;Soll\n01.10.2025;1,00\n"), "format": "csv",
            "map_columns": "on", "amount": "Soll", "delimiter": ";",
        })
        assert response.status_code == 200
        assert response.context["form"].errors == {"date": ["is required: the column with the date"]}
        assert Transaction.objects.count() == 0

    def test_preview_shows_rows_and_duplicates_and_writes_nothing(self, admin_client, workspace):
        data = {"workspace": workspace.pk, "format": "qif"}
        admin_client.post(URL, {**data, "date_format": "MM/DD/YYYY",
                                "file": upload("!Type:Bank\nD10/03/2025\nT-4.75\nPStarbucks\n^\n")}, follow=True)
        response = admin_client.post(URL, {**data, "file": fixture("checking_2025-10.qif"), "dry_run": "Preview"})
        assert response.status_code == 200
        assert response.context["summary"] == (
            "Preview: nothing was written. 11 transactions would be imported. "
            "Would skip 1 row(s) imported before (line 14).")
        assert [row["duplicate"] for row in response.context["preview"].rows].count(True) == 1
        assert "Imported before: skipped" in response.content.decode()
        assert Transaction.objects.count() == 1

    def test_staff_import_only_into_workspaces_they_may_write(self, client, workspace, other_workspace):
        # Given a staff member who owns one workspace and only views another
        staff = f.UserFactory(is_staff=True)
        f.MembershipFactory(workspace=workspace, user=staff, role=Membership.Role.OWNER)
        f.MembershipFactory(workspace=other_workspace, user=staff, role=Membership.Role.VIEWER)
        staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_transaction", "view_transaction"]))
        client.force_login(staff)
        # When they import into the workspace they only view
        response = client.post(URL, {"workspace": other_workspace.pk, "file": fixture("checking_2025-11.ofx"),
                                     "format": "ofx"})
        # Then it is not a choice and nothing is written
        assert list(response.context["form"].fields["workspace"].queryset) == [workspace]
        assert list(response.context["form"].errors) == ["workspace"]
        assert Transaction.objects.count() == 0

    def test_sales_import_stays_a_csv_import(self, admin_client, workspace):
        product = f.ProductFactory(workspace=workspace, sku="BRD-1")
        f.WarehouseFactory(workspace=workspace, code="MAIN")
        page = admin_client.get(reverse("admin:finance_sale_import"))
        assert list(page.context["form"].fields) == ["workspace", "file"]
        response = admin_client.post(reverse("admin:finance_sale_import"), {
            "workspace": workspace.pk, "file": upload("date,sku,warehouse,quantity\n2025-01-02,BRD-1,MAIN,3\n"),
        }, follow=True)
        assert messages_of(response) == ["Imported 1 sale."]
        assert list(Sale.objects.values_list("product", "quantity")) == [(product.pk, 3)]
