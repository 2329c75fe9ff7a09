"""Import of bank files (OFX 1 SGML, OFX 2 XML, QIF) and of any CSV through a column
mapping; rows imported before are skipped and reported; all-or-nothing otherwise."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from finance.models import Transaction
from finance.services.csv_import import CellError
from finance.services.import_mapping import amount_convention_parse
from finance.signals import rows_imported
from tests import factories as f

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/api/v1/transactions/import/"
US_DATES = '{"date_format": "MM/DD/YYYY"}'
D = Decimal

OFX1_ROWS = [  # checking_2025-11.ofx: (date, kind, amount, currency, merchant, description)
    (dt.date(2025, 11, 3), "expense", D("4.75"), "USD", "STARBUCKS STORE 05621", "POS PURCHASE"),
    (dt.date(2025, 11, 3), "expense", D("4.75"), "USD", "STARBUCKS STORE 05621", "POS PURCHASE"),
    (dt.date(2025, 11, 4), "revenue", D("2450.00"), "USD", "ACME LTD PAYROLL", "DIRECT DEP"),
    (dt.date(2025, 11, 5), "expense", D("1250.00"), "USD", "OAKWOOD PROPERTY MGMT", "RENT NOV"),
    (dt.date(2025, 11, 7), "expense", D("86.42"), "USD", "COSTCO WHSE #0113", "COSTCO WHSE #0113"),
    (dt.date(2025, 11, 10), "expense", D("64.10"), "USD", "PG&E WEB ONLINE", "UTILITY BILL"),
    (dt.date(2025, 11, 12), "expense", D("200.00"), "USD", "ATM WITHDRAWAL 0042", "CASH"),
    (dt.date(2025, 11, 14), "expense", D("12.99"), "USD", "NETFLIX.COM", "SUBSCRIPTION"),
    (dt.date(2025, 11, 18), "revenue", D("35.50"), "USD", "ZELLE FROM J SMITH", "DINNER SPLIT"),
    (dt.date(2025, 11, 20), "expense", D("52.37"), "USD", "SHELL OIL 57442", "SHELL OIL 57442"),
    (dt.date(2025, 11, 24), "expense", D("25.00"), "USD", "MONTHLY SERVICE FEE", "MONTHLY SERVICE FEE"),
    (dt.date(2025, 11, 28), "expense", D("143.18"), "USD", "AMZN MKTP US*2K4L", "ONLINE PURCHASE"),
]
OFX2_ROWS = [  # card_2025-12.ofx
    (dt.date(2025, 12, 1), "expense", D("38.90"), "EUR", "Carrefour Market", "Courses"),
    (dt.date(2025, 12, 2), "expense", D("1.80"), "EUR", "Boulangerie Paul", "Boulangerie Paul"),
    (dt.date(2025, 12, 2), "expense", D("1.80"), "EUR", "Boulangerie Paul", "Boulangerie Paul"),
    (dt.date(2025, 12, 3), "expense", D("59.99"), "EUR", "SNCF Connect", "Paris - Lyon"),
    (dt.date(2025, 12, 5), "expense", D("12.50"), "EUR", "Uber Eats", "Uber Eats"),
    (dt.date(2025, 12, 8), "expense", D("249.00"), "EUR", "Fnac Darty", "Casque audio"),
    (dt.date(2025, 12, 10), "expense", D("4.20"), "EUR", "RATP", "Ticket"),
    (dt.date(2025, 12, 15), "revenue", D("1500.00"), "EUR", "Remboursement", "Virement carte"),
    (dt.date(2025, 12, 19), "expense", D("73.15"), "EUR", "TotalEnergies", "Carburant"),
    (dt.date(2025, 12, 22), "expense", D("1049.00"), "EUR", "Apple Store", "iPad"),
]
QIF_ROWS = [  # checking_2025-10.qif, with the category each hint finds
    (dt.date(2025, 10, 1), "expense", D("1250.00"), "USD", "Landlord Holdings LLC", "Rent October", "Rent"),
    (dt.date(2025, 10, 2), "revenue", D("3120.55"), "USD", "ACME Ltd", "Salary", "Salary"),
    (dt.date(2025, 10, 3), "expense", D("4.75"), "USD", "Starbucks", "Starbucks", None),
    (dt.date(2025, 10, 3), "expense", D("4.75"), "USD", "Starbucks", "Starbucks", None),
    (dt.date(2025, 10, 6), "expense", D("92.18"), "USD", "Whole Foods Market", "Weekly groceries", "Groceries"),
    (dt.date(2025, 10, 9), "expense", D("60.00"), "USD", "Comcast", "Internet", None),
    (dt.date(2025, 10, 14), "expense", D("500.00"), "USD", "Transfer to savings", "Transfer to savings", None),
    (dt.date(2025, 10, 15), "expense", D("38.40"), "USD", "Shell", "Shell", None),
    (dt.date(2025, 10, 17), "expense", D("12.99"), "USD", "Spotify", "Spotify", None),
    (dt.date(2025, 10, 21), "revenue", D("250.00"), "USD", "Zelle from Maria", "Concert tickets back", None),
    (dt.date(2025, 10, 24), "expense", D("1035.20"), "USD", "Delta Air Lines", "Flights for the holidays", None),
    (dt.date(2025, 10, 30), "expense", D("7.50"), "USD", "City Parking", "City Parking", None),
]


def fixture(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes())


def upload(content: str | bytes, name: str = "file.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def stored(*, with_category: bool = False) -> list[tuple]:
    fields = ["date", "kind", "amount", "currency", "merchant", "description"]
    rows = Transaction.objects.order_by("date", "id").values_list(*fields, *(["category__name"] if with_category else []))
    return list(rows)


@pytest.fixture
def post(client_for, member, workspace):
    def send(file, **data):
        payload = {"workspace": workspace.pk, "file": file, **data}
        return client_for(member).post(URL, payload, format="multipart")

    return send


@pytest.mark.django_db
class TestBankFiles:
    def test_ofx_1_sgml_imports_every_row(self, post):
        response = post(fixture("checking_2025-11.ofx"), format="ofx")
        assert response.status_code == 201
        assert response.json() == {"created": 12, "duplicates": 0, "duplicate_rows": []}
        assert stored() == OFX1_ROWS
        assert set(Transaction.objects.values_list("source", flat=True)) == {"import"}
        assert Transaction.objects.exclude(import_key="").count() == 12

    def test_ofx_2_xml_card_statement_imports_every_row_in_its_currency(self, post):
        response = post(fixture("card_2025-12.ofx"), format="ofx")
        assert response.status_code == 201
        assert response.json()["created"] == 10
        assert stored() == OFX2_ROWS

    def test_qif_imports_every_row_with_thousands_separators_and_known_categories(self, post, workspace):
        for name, kind in (("Rent", "expense"), ("Salary", "revenue"), ("Groceries", "expense"), ("Travel", "revenue")):
            f.CategoryFactory(workspace=workspace, name=name, kind=kind)
        response = post(fixture("checking_2025-10.qif"), format="qif")
        assert response.status_code == 201
        assert response.json()["created"] == 12
        # "Travel" is a revenue category here: the expense's hint finds none.
        assert stored(with_category=True) == QIF_ROWS

    @pytest.mark.parametrize(
        ("name", "file_format", "count", "first_lines"),
        [
            ("checking_2025-11.ofx", "ofx", 12, [39, 47, 55]),
            ("card_2025-12.ofx", "ofx", 10, [21, 29, 36]),
            ("checking_2025-10.qif", "qif", 12, [2, 8, 14]),
        ],
    )
    def test_reimport_writes_nothing_and_reports_every_duplicate(self, post, name, file_format, count, first_lines):
        assert post(fixture(name), format=file_format).status_code == 201
        before = list(Transaction.objects.values_list("id", "updated_at"))

        response = post(fixture(name), format=file_format)

        assert response.status_code == 201
        body = response.json()
        assert (body["created"], body["duplicates"], len(body["duplicate_rows"])) == (0, count, count)
        assert [row["row"] for row in body["duplicate_rows"][:3]] == first_lines
        assert list(Transaction.objects.values_list("id", "updated_at")) == before

    def test_ofx_duplicate_row_reports_what_it_repeats(self, post):
        post(fixture("checking_2025-11.ofx"), format="ofx")
        response = post(fixture("checking_2025-11.ofx"), format="ofx")
        assert response.json()["duplicate_rows"][2] == {
            "row": 55, "date": "2025-11-04", "kind": "revenue", "amount": "2450.00", "currency": "USD",
            "description": "DIRECT DEP", "merchant": "ACME LTD PAYROLL", "category": "",
            "account": "Main account",
        }

    def test_overlapping_qif_imports_only_the_new_rows(self, post):
        post(fixture("checking_2025-10.qif"), format="qif")
        overlap = "!Type:Bank\nD10/03/2025\nT-4.75\nPStarbucks\n^\nD10/31/2025\nT-4.75\nPStarbucks\n^\n"

        response = post(upload(overlap), format="qif")

        assert response.json() == {
            "created": 1, "duplicates": 1,
            "duplicate_rows": [{
                "row": 2, "date": "2025-10-03", "kind": "expense", "amount": "4.75", "currency": "USD",
                "description": "Starbucks", "merchant": "Starbucks", "category": "", "account": "Main account",
            }],
        }
        assert Transaction.objects.count() == 13

    def test_each_stored_row_repeats_at_most_one_row_of_a_file(self, post):
        one = "!Type:Bank\nD10/03/2025\nT-4.75\nPStarbucks\n^\n"
        post(upload(one), format="qif", mapping=US_DATES)
        response = post(upload(one + "D10/03/2025\nT-4.75\nPStarbucks\n^\n"), format="qif", mapping=US_DATES)
        assert (response.json()["created"], response.json()["duplicates"]) == (1, 1)

    def test_same_content_with_another_fitid_is_a_new_row_but_a_csv_row_is_matched(self, post):
        post(fixture("card_2025-12.ofx"), format="ofx")
        other_fitid = (FIXTURES / "card_2025-12.ofx").read_text().replace("CARD-7781-0001", "CARD-7781-9999")
        response = post(upload(other_fitid), format="ofx")
        # The changed FITID is a new bank row, though a stored row has its content.
        assert (response.json()["created"], response.json()["duplicates"]) == (1, 9)

        csv = "date,amount,currency,merchant,description\n2025-12-03,-59.99,EUR,SNCF  connect,PARIS - LYON\n"
        response = post(upload(csv))
        assert (response.json()["created"], response.json()["duplicates"]) == (0, 1)

    def test_the_same_fitid_twice_in_one_file_is_imported_once(self, post):
        text = (FIXTURES / "card_2025-12.ofx").read_text().replace("CARD-7781-0003", "CARD-7781-0002")
        response = post(upload(text), format="ofx")
        assert (response.json()["created"], response.json()["duplicates"]) == (9, 1)
        assert response.json()["duplicate_rows"][0]["row"] == 36

    def test_nothing_new_sends_no_rows_imported_signal(self, post):
        post(fixture("checking_2025-10.qif"), format="qif")
        received = []

        def receiver(sender, rows, **kwargs):
            received.append(len(rows))

        rows_imported.connect(receiver, weak=False)
        try:
            post(fixture("checking_2025-10.qif"), format="qif")
        finally:
            rows_imported.disconnect(receiver)
        assert received == []

    def test_rows_entered_by_hand_are_not_duplicates(self, post, workspace):
        f.TransactionFactory(
            workspace=workspace, kind="expense", amount=D("4.75"), currency="USD", date=dt.date(2025, 10, 3),
            merchant="Starbucks", description="Starbucks", source=Transaction.Source.MANUAL,
        )
        response = post(upload("!Type:Bank\nD10/03/2025\nT-4.75\nPStarbucks\n^\n"), format="qif", mapping=US_DATES)
        assert (response.json()["created"], response.json()["duplicates"]) == (1, 0)

    def test_plain_csv_reimport_is_skipped_too(self, post):
        csv = "date,amount,description\n2025-01-02,-12.50,Flour\n2025-01-02,-12.50,Flour\n"
        assert post(upload(csv)).json()["created"] == 2
        response = post(upload(csv))
        assert (response.json()["created"], response.json()["duplicates"]) == (0, 2)
        assert Transaction.objects.count() == 2


@pytest.mark.django_db
class TestBadFiles:
    def test_ofx_bad_amount_imports_nothing_and_names_line_and_field(self, post):
        text = (FIXTURES / "checking_2025-11.ofx").read_text().replace("<TRNAMT>-12.99", "<TRNAMT>-12.9x")
        response = post(upload(text), format="ofx")
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 94, "column": "amount", "message": "TRNAMT '-12.9x' is not an OFX amount (like -1234.56)"}
        ]
        assert Transaction.objects.count() == 0

    def test_qif_bad_date_imports_nothing_and_names_line_and_field(self, post):
        text = (FIXTURES / "checking_2025-10.qif").read_text().replace("D10/09/2025", "D10/32/2025")
        response = post(upload(text), format="qif")
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 30, "column": "date", "message": "'10/32/2025' is not a date (read as month/day)"}
        ]
        assert Transaction.objects.count() == 0

    def test_qif_ambiguous_dates_need_a_date_format(self, post):
        text = "!Type:Bank\nD03/04/2025\nT-1.00\n^\nD05/06/2025\nT-2.00\n^\n"
        response = post(upload(text), format="qif")
        assert response.status_code == 400
        assert response.json()["errors"] == [{
            "row": 2, "column": "date",
            "message": "'03/04/2025' reads as 2025-03-04 or 2025-04-03: choose the date format (MM/DD/YYYY or DD/MM/YYYY)",
        }]
        response = post(upload(text), format="qif", mapping='{"date_format": "DD/MM/YYYY"}')
        assert response.status_code == 201
        assert list(Transaction.objects.order_by("date").values_list("date", flat=True)) == [
            dt.date(2025, 4, 3), dt.date(2025, 6, 5)
        ]

    def test_qif_european_amounts_with_a_mapping(self, post):
        text = "!Type:Bank\nD24.10.2025\nT-1.035,20\nPDelta\n^\n"
        response = post(upload(text), format="qif", mapping='{"decimal_separator": ",", "thousands_separator": "."}')
        assert response.status_code == 201
        assert stored() == [(dt.date(2025, 10, 24), "expense", D("1035.20"), "USD", "Delta", "Delta")]

    @pytest.mark.parametrize(
        ("content", "file_format", "message"),
        [
            (b"OFXHEADER:100\nDATA:OFXSGML\x00\n<OFX>", "ofx", "the file holds a NUL byte: it is not a text file"),
            (b"!Type:Bank\nD10/01/2025\nT-1\x00.00\n^\n", "qif", "the file holds a NUL byte: it is not a text file"),
            (bytes(range(1, 256)) * 4, "ofx", "not an OFX file: the OFX header is missing or malformed"),
            (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 200)), "qif", "file is neither UTF-8 nor Windows-1252 text"),
            (b"date,amount\n2025-01-01,5\n", "qif", "not a QIF file: it does not start with a !Type header"),
            (b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
             b"COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX></STMTTRN></OFX></OFX>", "ofx",
             "not an OFX file: its markup is malformed"),
            (b"!Type:Invst\nD10/01/2025\n^\n", "qif", "investment accounts (!Type:Invst) are not imported"),
            (b"!Type:Cat\nNFood\n^\n", "qif", "the QIF file has no bank, cash or card transactions"),
        ],
    )
    def test_garbage_is_400_and_writes_nothing(self, post, content, file_format, message):
        response = post(upload(content), format=file_format)
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == message
        assert Transaction.objects.count() == 0

    def test_file_over_the_byte_limit_is_refused(self, post, settings):
        settings.IMPORT_MAX_BYTES = 1000
        response = post(fixture("checking_2025-11.ofx"), format="ofx")
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"].startswith("file is ")
        assert Transaction.objects.count() == 0

    @pytest.mark.parametrize(("name", "file_format"), [("checking_2025-11.ofx", "ofx"), ("checking_2025-10.qif", "qif")])
    def test_file_over_the_row_limit_is_refused(self, post, settings, name, file_format):
        settings.IMPORT_MAX_ROWS = 5
        response = post(fixture(name), format=file_format)
        assert response.status_code == 400
        assert "more than 5 transactions" in response.json()["errors"][0]["message"]
        assert Transaction.objects.count() == 0

    def test_another_workspace_is_refused_and_untouched(self, client_for, member, other_workspace):
        response = client_for(member).post(
            URL, {"workspace": other_workspace.pk, "file": fixture("checking_2025-10.qif"), "format": "qif"},
            format="multipart",
        )
        assert response.status_code == 400
        assert list(response.json()) == ["workspace"]
        assert Transaction.objects.count() == 0

    def test_viewer_is_403(self, client_for, viewer, workspace):
        response = client_for(viewer).post(
            URL, {"workspace": workspace.pk, "file": fixture("checking_2025-10.qif"), "format": "qif"},
            format="multipart",
        )
        assert response.status_code == 403
        assert Transaction.objects.count() == 0


BANK_CSV = (
    "Buchungstag;Verwendungszweck;Empfänger;Soll;Haben;Kategorie\n"
    "01.10.2025;Miete Oktober;Hausverwaltung Schmidt;1.250,00;;Rent\n"
    "02.10.2025;Gehalt;ACME GmbH;;3.120,55;\n"
    "03.10.2025;Kaffee;Café Central;4,75;;\n"
)


@pytest.mark.django_db
class TestColumnMapping:
    MAPPING = (
        '{"date": "Buchungstag", "description": "Verwendungszweck", "merchant": "Empfänger", "debit": "Soll", '
        '"credit": "Haben", "category": "Kategorie", "date_format": "DD.MM.YYYY", "decimal_separator": ",", '
        '"thousands_separator": ".", "delimiter": ";"}'
    )

    def test_any_csv_imports_through_a_mapping(self, post, workspace):
        f.CategoryFactory(workspace=workspace, name="Rent", kind="expense")
        response = post(upload(BANK_CSV), mapping=self.MAPPING)
        assert response.status_code == 201
        assert response.json()["created"] == 3
        assert stored(with_category=True) == [
            (dt.date(2025, 10, 1), "expense", D("1250.00"), "USD", "Hausverwaltung Schmidt", "Miete Oktober", "Rent"),
            (dt.date(2025, 10, 2), "revenue", D("3120.55"), "USD", "ACME GmbH", "Gehalt", None),
            (dt.date(2025, 10, 3), "expense", D("4.75"), "USD", "Café Central", "Kaffee", None),
        ]

    def test_a_csv_without_header_maps_columns_by_number(self, post):
        text = "10/01/2025,-1250.00,Rent October\n10/02/2025,\"3,120.55\",Salary\n"
        mapping = '{"header": false, "date": "1", "amount": "2", "description": "3", "date_format": "MM/DD/YYYY"}'
        response = post(upload(text), mapping=mapping)
        assert response.status_code == 201
        assert list(Transaction.objects.order_by("date").values_list("kind", "amount", "description")) == [
            ("expense", D("1250.00"), "Rent October"), ("revenue", D("3120.55"), "Salary")
        ]

    @pytest.mark.parametrize(
        ("mapping", "errors"),
        [
            ('{"date": "Datum", "amount": "Soll", "delimiter": ";"}', {"date": (
                "column 'Datum' is not in the file's header ('Buchungstag', 'Verwendungszweck', 'Empfänger', "
                "'Soll', 'Haben', 'Kategorie')"
            )}),
            ('{"amount": "Soll"}', {"date": "is required: the column with the date"}),
            ('{"date": "Buchungstag"}', {"amount": "is required: the column with the amount (or a debit and a credit column)"}),
            ('{"date": "Buchungstag", "debit": "Soll"}', {"credit": "is required: the column with the amount (or a debit and a credit column)"}),
            ('{"date": "Buchungstag", "amount": "Soll", "debit": "Soll"}', {"amount": "give amount, or debit and credit, not both"}),
            ('{"date": "Buchungstag", "amount": "Soll", "date_format": "%d.%m.%Y"}', {"date_format": (
                "'%d.%m.%Y' is not one of: 'YYYY-MM-DD', 'YYYY/MM/DD', 'YYYYMMDD', 'DD/MM/YYYY', 'MM/DD/YYYY', "
                "'DD.MM.YYYY', 'DD-MM-YYYY', 'MM-DD-YYYY', 'DD/MM/YY', 'MM/DD/YY'"
            )}),
            ('{"date": "Buchungstag", "amount": "Soll", "decimal_separator": ",", "thousands_separator": ","}',
             {"thousands_separator": "must differ from the decimal separator"}),
            ('{"date": "Buchungstag", "amount": "Soll", "colour": "red"}', {"colour": (
                "is not a column role or option: use date, amount, debit, credit, kind, description, merchant, "
                "category, account, currency, header, date_format, decimal_separator, thousands_separator, delimiter"
            )}),
            ('["date"]', {"mapping": "must be an object of roles and options"}),
        ],
    )
    def test_mapping_errors_are_400_naming_the_field(self, post, mapping, errors):
        response = post(upload(BANK_CSV), mapping=mapping)
        assert response.status_code == 400
        assert response.json() == {"mapping": errors}
        assert Transaction.objects.count() == 0

    def test_mapping_for_an_ofx_file_is_400(self, post):
        response = post(fixture("checking_2025-11.ofx"), format="ofx", mapping='{"date": "x"}')
        assert response.status_code == 400
        assert response.json() == {"mapping": {"mapping": "an OFX file names its own fields: send no mapping"}}

    def test_a_bad_mapped_row_names_row_and_role(self, post, workspace):
        f.CategoryFactory(workspace=workspace, name="Rent", kind="expense")
        text = BANK_CSV + "04.10.2025;Doppelt;X;1,00;2,00;\n05.10.2025;Falsch;X;1,5.0;;\n"
        response = post(upload(text), mapping=self.MAPPING)
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 5, "column": "credit", "message": "a row has a debit or a credit, not both"},
            {"row": 6, "column": "debit", "message": "'1,5.0' is not an amount written like 1.234,56"},
        ]
        assert Transaction.objects.count() == 0


@pytest.mark.django_db
class TestPreview:
    def test_dry_run_writes_nothing_and_shows_rows_errors_and_duplicates(self, post):
        post(upload("!Type:Bank\nD10/03/2025\nT-4.75\nPStarbucks\n^\n"), format="qif", mapping=US_DATES)
        text = (FIXTURES / "checking_2025-10.qif").read_text().replace("T-60.00", "T-60.0.0")

        response = post(upload(text), format="qif", dry_run="true")

        assert response.status_code == 200
        body = response.json()
        assert (body["dry_run"], body["created"], body["would_create"], body["duplicates"]) == (True, 0, 0, 1)
        assert body["errors"] == [{"row": 31, "column": "amount", "message": "'-60.0.0' is not an amount written like 1,234.56"}]
        assert body["rows"][2] == {
            "row": 14, "date": "2025-10-03", "kind": "expense", "amount": "4.75", "currency": "USD",
            "description": "Starbucks", "merchant": "Starbucks", "category": "", "account": "Main account",
            "duplicate": True, "errors": [],
        }
        assert body["rows"][5] == {
            "row": 30, "date": "2025-10-09", "amount": None, "duplicate": False, "errors": body["errors"],
        }
        assert len(body["rows"]) == 12
        assert Transaction.objects.count() == 1

    def test_dry_run_of_a_good_file_counts_what_it_would_write(self, post):
        response = post(fixture("checking_2025-11.ofx"), format="ofx", dry_run="true")
        body = response.json()
        assert (response.status_code, body["would_create"], body["total_errors"], len(body["rows"])) == (200, 12, 0, 12)
        assert Transaction.objects.count() == 0


@pytest.mark.django_db
class TestImportPage:
    def test_page_previews_then_imports_a_qif_and_reports_duplicates(self, logged_in, member, workspace):
        client = logged_in(member)
        response = client.post("/transactions/import/", {"file": fixture("checking_2025-10.qif"), "format": "qif",
                                                         "dry_run": "1"})
        assert response.status_code == 200
        assert response.context["message"] == "Preview: nothing was written. 12 new transactions would be imported."
        assert len(response.context["preview_rows"]) == 12
        assert Transaction.objects.count() == 0

        client.post("/transactions/import/", {"file": fixture("checking_2025-10.qif"), "format": "qif"})
        response = client.post(
            "/transactions/import/", {"file": fixture("checking_2025-10.qif"), "format": "qif"},
            headers={"accept": "application/json"},
        )
        assert response.json()["message"] == "Imported 0 transactions. 12 rows imported before were skipped."
        assert Transaction.objects.count() == 12

    def test_page_mapping_error_names_the_field(self, logged_in, member):
        response = logged_in(member).post("/transactions/import/", {
            "file": upload(BANK_CSV), "map_columns": "on", "date": "Datum", "amount": "Soll", "delimiter": ";",
        })
        assert response.status_code == 200
        assert response.context["form"].errors["date"][0].startswith("column 'Datum' is not in the file's header")
        assert Transaction.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "expected"),
    [
        ("1,234.56", ".", ",", D("1234.56")),
        ("-1.234,56", ",", ".", D("-1234.56")),
        ("(12.50)", ".", ",", D("-12.50")),
        ("12.50-", ".", ",", D("-12.50")),
        ("$ 1 234,56", ",", " ", D("1234.56")),
        ("1\u202f234,56", ",", " ", D("1234.56")),
        ("1'234.56", ".", "'", D("1234.56")),
        ("1234.56", ".", ",", D("1234.56")),
        ("+7", ".", "", D("7.00")),
    ],
)
def test_bank_amount_conventions(text, decimal, thousands, expected):
    assert amount_convention_parse(text, decimal=decimal, thousands=thousands) == expected


@pytest.mark.parametrize(("text", "thousands"), [("1,5", ","), ("12,34.00", ","), ("1.2.3", ""), ("", ","), ("--5", ",")])
def test_bank_amounts_that_are_not_refused(text, thousands):
    with pytest.raises(CellError):
        amount_convention_parse(text, decimal=".", thousands=thousands)
