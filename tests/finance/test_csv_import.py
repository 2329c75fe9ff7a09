"""CSV import of transactions and sales: all-or-nothing, errors name row and column."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from finance.models import Sale, Transaction
from finance.services.csv_import import CsvImportError
from finance.services.transaction_import import transaction_import_csv
from tests import factories as f

GOOD = (
    "date,kind,amount,description,merchant,category\n"
    "2025-01-02,expense,12.50,COSTCO WHSE #0113,Costco,Groceries\n"
    "2025-01-03,revenue,1200.00,Invoice 118,ACME Ltd,\n"
)


def upload(text: str, name: str = "import.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def groceries(workspace):
    return f.CategoryFactory(workspace=workspace, name="Groceries")


@pytest.mark.django_db
class TestTransactionImportApi:
    def test_good_file_imports_every_row(self, workspace, member, groceries, client_for):
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload(GOOD)}, format="multipart"
        )
        assert response.status_code == 201
        assert response.json() == {"created": 2, "duplicates": 0, "duplicate_rows": []}
        rows = list(Transaction.objects.order_by("date").values_list(
            "kind", "amount", "merchant", "category__name", "category_source", "source", "currency"
        ))
        assert rows == [
            ("expense", Decimal("12.50"), "Costco", "Groceries", "user", "import", "USD"),
            ("revenue", Decimal("1200.00"), "ACME Ltd", None, "", "import", "USD"),
        ]

    def test_one_bad_row_writes_nothing_and_names_row_and_column(self, workspace, member, groceries, client_for):
        text = GOOD + "2025-01-04,expense,abc,Broken,Shop,\n"
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload(text)}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json() == {
            "detail": "row 4, column 'amount': 'abc' is not a number",
            "errors": [{"row": 4, "column": "amount", "message": "'abc' is not a number"}],
        }
        assert Transaction.objects.count() == 0

    @pytest.mark.parametrize(
        ("line", "column", "message"),
        [
            ("2025-02-30,expense,5.00,x,y,", "date", "'2025-02-30' is not a date (expected YYYY-MM-DD)"),
            ("2025-01-04,expense,-5.00,x,y,", "amount", "must be positive when kind is given, got -5.00"),
            ("2025-01-04,gift,5.00,x,y,", "kind", "'gift' is not one of: revenue, expense"),
            ("2025-01-04,expense,5.00,x,y,Rent", "category", "'Rent' is not a category of this workspace"),
            ("2025-01-04,expense,0,x,y,", "amount", "must not be zero"),
            (",expense,5.00,x,y,", "date", "is required"),
        ],
    )
    def test_bad_values_are_named(self, line, column, message, workspace, member, groceries, client_for):
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload(GOOD + line + "\n")},
            format="multipart",
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [{"row": 4, "column": column, "message": message}]
        assert Transaction.objects.count() == 0

    def test_category_of_another_workspace_is_unknown(self, workspace, other_workspace, member, client_for):
        f.CategoryFactory(workspace=other_workspace, name="Groceries")
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload(GOOD)}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["column"] == "category"
        assert Transaction.objects.count() == 0

    def test_missing_column_is_400(self, workspace, member, client_for):
        response = client_for(member).post(
            "/api/v1/transactions/import/",
            {"workspace": workspace.pk, "file": upload("when,what\n2025-01-01,5\n")}, format="multipart",
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 1, "column": "date", "message": "required column is missing"},
            {"row": 1, "column": "amount", "message": "required column is missing"},
        ]

    def test_oversized_file_is_400(self, workspace, member, client_for, settings):
        settings.IMPORT_MAX_BYTES = 100
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload(GOOD * 5)}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["detail"] == f"row 0: file is {len(GOOD * 5)} bytes; the limit is 100 bytes"
        assert Transaction.objects.count() == 0

    def test_too_many_rows_is_400(self, workspace, member, client_for, settings):
        settings.IMPORT_MAX_ROWS = 1
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload(GOOD)}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [{"row": 3, "column": "", "message": "file has more than 1 rows"}]

    def test_not_utf8_is_400(self, workspace, member, client_for):
        bad = SimpleUploadedFile("x.csv", "date,amount\n2025-01-01,5\n".encode("utf-16"))
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": bad}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["detail"] == "row 0: file is not UTF-8 text"

    def test_empty_file_is_400(self, workspace, member, client_for):
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload("date,amount\n")},
            format="multipart",
        )
        assert response.status_code == 400
        assert response.json()["detail"] == "row 2: file has a header but no rows"

    def test_signed_amounts_without_kind(self, workspace, member, client_for):
        text = "Date,Amount,Description\n2025-01-02,-42.10,SHELL OIL 57442\n2025-01-03,250,Refund\n"
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload(text)}, format="multipart"
        )
        assert response.status_code == 201
        assert list(Transaction.objects.order_by("date").values_list("kind", "amount")) == [
            ("expense", Decimal("42.10")), ("revenue", Decimal("250.00")),
        ]

    def test_viewer_cannot_import(self, workspace, viewer, client_for):
        response = client_for(viewer).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload(GOOD)}, format="multipart"
        )
        assert response.status_code == 403
        assert Transaction.objects.count() == 0

    def test_import_into_another_workspace_is_400(self, other_workspace, member, client_for):
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": other_workspace.pk, "file": upload(GOOD)},
            format="multipart",
        )
        assert response.status_code == 400
        assert "workspace" in response.json()
        assert Transaction.objects.count() == 0

    def test_missing_file_is_400(self, workspace, member, client_for):
        response = client_for(member).post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json() == {"file": ["No file was submitted."]}

    def test_imports_are_throttled(self, workspace, member, client_for, settings, monkeypatch):
        from rest_framework.throttling import ScopedRateThrottle

        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"imports": "2/hour"})
        client = client_for(member)
        codes = [
            client.post("/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload("x\n")},
                        format="multipart").status_code
            for _ in range(3)
        ]
        assert codes == [400, 400, 429]


@pytest.mark.django_db
class TestSaleImportApi:
    @pytest.fixture
    def stock(self, workspace):
        product = f.ProductFactory(workspace=workspace, sku="BRD-01", unit_price=Decimal("4.50"))
        warehouse = f.WarehouseFactory(workspace=workspace, code="MAIN")
        return product, warehouse

    def test_good_file(self, workspace, member, stock, client_for):
        text = "date,sku,warehouse,quantity,unit_price\n2025-01-02,BRD-01,MAIN,3,\n2025-01-03,brd-01,main,1,5.00\n"
        response = client_for(member).post(
            "/api/v1/sales/import/", {"workspace": workspace.pk, "file": upload(text)}, format="multipart"
        )
        assert response.status_code == 201
        assert list(Sale.objects.order_by("date").values_list("quantity", "unit_price")) == [
            (3, Decimal("4.50")), (1, Decimal("5.00")),
        ]

    def test_the_promotion_column_marks_the_sales_sold_on_promotion(self, workspace, member, stock, client_for):
        text = ("date,sku,warehouse,quantity,promotion\n2025-01-02,BRD-01,MAIN,3,yes\n"
                "2025-01-03,BRD-01,MAIN,1,0\n2025-01-04,BRD-01,MAIN,2,\n")
        response = client_for(member).post(
            "/api/v1/sales/import/", {"workspace": workspace.pk, "file": upload(text)}, format="multipart"
        )
        assert response.status_code == 201
        assert list(Sale.objects.order_by("date").values_list("quantity", "on_promotion")) == [
            (3, True), (1, False), (2, False),
        ]

    def test_a_promotion_that_is_not_yes_or_no_writes_nothing(self, workspace, member, stock, client_for):
        text = "date,sku,warehouse,quantity,on_promotion\n2025-01-02,BRD-01,MAIN,3,maybe\n"
        response = client_for(member).post(
            "/api/v1/sales/import/", {"workspace": workspace.pk, "file": upload(text)}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 2, "column": "on_promotion", "message": "'maybe' is not one of: yes, no, 1, 0, true, false, y, n"},
        ]
        assert Sale.objects.count() == 0

    def test_negative_quantity_and_unknown_sku_write_nothing(self, workspace, member, stock, client_for):
        text = "date,sku,warehouse,quantity\n2025-01-02,BRD-01,MAIN,-3\n2025-01-03,NOPE,MAIN,1\n"
        response = client_for(member).post(
            "/api/v1/sales/import/", {"workspace": workspace.pk, "file": upload(text)}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 2, "column": "quantity", "message": "must be at least 1, got -3"},
        ]
        assert Sale.objects.count() == 0

    def test_product_of_another_workspace_is_unknown(self, workspace, other_workspace, member, stock, client_for):
        f.ProductFactory(workspace=other_workspace, sku="THEIRS")
        text = "date,sku,warehouse,quantity\n2025-01-02,THEIRS,MAIN,3\n"
        response = client_for(member).post(
            "/api/v1/sales/import/", {"workspace": workspace.pk, "file": upload(text)}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 2, "column": "sku", "message": "'THEIRS' is not a product of this workspace"},
        ]
        assert Sale.objects.count() == 0


@pytest.mark.django_db
def test_service_reports_at_most_fifty_errors_but_counts_all(workspace):
    text = "date,amount\n" + "nope,1\n" * 120
    with pytest.raises(CsvImportError) as caught:
        transaction_import_csv(workspace=workspace, file=upload(text))
    assert len(caught.value.errors) == 50
    assert caught.value.total_errors == 120
    assert caught.value.summary == "row 2, column 'date': 'nope' is not a date (expected YYYY-MM-DD) (and 119 more problems)"
    assert Transaction.objects.count() == 0
