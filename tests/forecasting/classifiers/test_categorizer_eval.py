"""``manage.py categorizer_eval``: train on the first 80 % of a CSV by date, report on the
last 20 %, and clear errors for files it cannot use."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

PAYEES = [("STARBUCKS STORE {n}", "Coffee"), ("PEETS COFFEE {n}", "Coffee"), ("SHELL OIL {n}", "Fuel"),
          ("CHEVRON {n}", "Fuel"), ("SAFEWAY #{n}", "Groceries"), ("TRADER JOE S #{n}", "Groceries")]


def write_csv(path, rows):
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def small_csv(tmp_path):
    """60 rows, newest first (the command sorts by date), with a merchant column."""
    lines = ["Posted,Memo,Payee,Amount,Category"]
    for i in reversed(range(60)):
        template, category = PAYEES[i % len(PAYEES)]
        day = dt.date(2025, 1, 1) + dt.timedelta(days=i)
        lines.append(f"{day:%Y-%m-%d},{template.format(n=1000 + 37 * i)},{template.split()[0].title()},"
                     f"-{5 + i % 7}.25,{category}")
    return write_csv(tmp_path / "bank.csv", lines)


def run(*args):
    out = StringIO()
    call_command("categorizer_eval", *args, stdout=out)
    return out.getvalue()


class TestCategorizerEval:
    def test_reports_model_and_baseline_on_the_last_fifth(self, small_csv):
        # When the command evaluates a 60-row file
        text = run("--input", small_csv, "--text-columns", "Memo,Payee", "--label-column", "Category",
                   "--date-column", "Posted")
        # Then it trained on 48 rows up to 17 February and tested on the 12 after
        lines = text.splitlines()
        assert lines[0].startswith(f"{small_csv}: 60 rows, 3 labels; trained on 48 (2025-01-01 – 2025-02-17), "
                                   "tested on 12 (2025-02-18 – 2025-03-01) in ")
        assert lines[1].split() == ["accuracy", "macro", "F1", "ECE"]
        model = lines[2].split()
        assert model[:3] == ["categoriser", "1.0000", "1.0000"]
        assert 0 <= float(model[3]) < 0.1
        assert lines[3].split() == ["description", "lookup", "1.0000", "1.0000", "—"]
        assert "  Coffee" in text and "  Fuel" in text and "  Groceries" in text

    def test_json_report(self, small_csv):
        report = json.loads(run("--input", small_csv, "--text-columns", "Memo", "--label-column", "Category",
                                "--date-column", "Posted", "--amount-column", "Amount", "--json"))
        assert (report["rows"], report["train_rows"], report["test_rows"], report["labels"]) == (60, 48, 12, 3)
        assert report["model"]["accuracy"] == 1.0
        # Store numbers change every row, but normalised descriptions repeat: the lookup knows them all
        assert report["baseline"]["accuracy"] == 1.0
        assert set(report["model"]) >= {"accuracy", "macro_f1", "ece", "precision", "recall", "per_category"}

    @pytest.mark.parametrize(
        ("lines", "args", "message"),
        [
            (None, ["--text-columns", "Memo", "--label-column", "Label", "--date-column", "Posted"],
             "Column(s) not in {path}: Label. The file has: Posted, Memo, Payee, Amount, Category."),
            (None, ["--text-columns", "Memo,Nope", "--label-column", "Category", "--date-column", "When"],
             "Column(s) not in {path}: Nope, When."),
            ([], ["--text-columns", "Memo", "--label-column", "Category", "--date-column", "Posted"],
             "{path} is empty."),
            (["Posted,Memo,Category"], ["--text-columns", "Memo", "--label-column", "Category", "--date-column",
                                        "Posted"], "{path} has a header row but no data rows."),
            (["Posted,Memo,Category", "2025-01-01,SHELL,Fuel", "yesterday,CHEVRON,Fuel", "2025-13-40,SAFEWAY,Food"],
             ["--text-columns", "Memo", "--label-column", "Category", "--date-column", "Posted"],
             "2 row(s) have no readable date in column 'Posted': row 3 ('yesterday'), row 4 ('2025-13-40')."),
            (["Posted,Memo,Category", "2025-01-01,SHELL,Fuel", "2025-01-02,CHEVRON,Fuel"],
             ["--text-columns", "Memo", "--label-column", "Category", "--date-column", "Posted"],
             "2 labelled row(s); at least 10 are needed to train and evaluate."),
            (None, ["--text-columns", " , ", "--label-column", "Category", "--date-column", "Posted"],
             "--text-columns names no column."),
        ],
    )
    def test_errors(self, lines, args, message, small_csv, tmp_path):
        path = small_csv if lines is None else write_csv(tmp_path / "bad.csv", lines)
        with pytest.raises(CommandError) as caught:
            run("--input", path, *args)
        assert message.format(path=path) in str(caught.value)

    def test_other_formats_semicolons_and_day_first_dates(self, tmp_path):
        # Given a European export: semicolons, a byte-order mark, day-first dates, newest first
        lines = ["\ufeffBuchungstag;Verwendungszweck;Kategorie"]
        for i in reversed(range(30)):
            template, category = PAYEES[i % len(PAYEES)]
            day = dt.date(2025, 1, 1) + dt.timedelta(days=i)
            lines.append(f"{day:%d.%m.%Y};{template.format(n=500 + i)};{category}")
        path = write_csv(tmp_path / "export.csv", lines)
        report = json.loads(run("--input", path, "--text-columns", "Verwendungszweck", "--label-column", "Kategorie",
                                "--date-column", "Buchungstag", "--delimiter", ";", "--dayfirst", "--json"))
        assert (report["train_period"], report["test_period"]) == (
            ["2025-01-01", "2025-01-24"], ["2025-01-25", "2025-01-30"])
        assert (report["train_rows"], report["test_rows"], report["model"]["accuracy"]) == (24, 6, 1.0)

    def test_a_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match="does not exist or is not a file"):
            run("--input", str(tmp_path / "nope.csv"), "--text-columns", "a", "--label-column", "b",
                "--date-column", "c")

    def test_one_label_only(self, tmp_path):
        lines = ["d,t,l"] + [f"2025-01-{i:02d},SHELL {i},Fuel" for i in range(1, 13)]
        with pytest.raises(CommandError, match="fewer than two labels"):
            run("--input", write_csv(tmp_path / "one.csv", lines), "--text-columns", "t", "--label-column", "l",
                "--date-column", "d")
