"""Evaluate the transaction categoriser on any labelled CSV, the way it is used: trained
on the past, judged on what came after.

    manage.py categorizer_eval --input bank.csv --text-columns description,merchant \\
        --label-column category --date-column date [--amount-column amount] [--json]
        [--delimiter ';'] [--dayfirst]

The rows are ordered by date; the first 80 % train the categoriser and the last 20 %
are predicted. Reported: accuracy, macro precision / recall / F1, the expected
calibration error of the confidences, the same for the description-lookup baseline
(the most frequent label of each normalised description), and per-label figures.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecasting.classifiers.categorizer import TransactionCategorizer
from forecasting.classifiers.evaluation import (
    classification_metrics,
    lookup_baseline_predict,
    time_ordered_split,
)
from forecasting.classifiers.text import normalize_text

MIN_ROWS = 10


def _columns(raw: str, option: str) -> list[str]:
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        raise CommandError(f"{option} names no column.")
    return names


class Command(BaseCommand):
    help = ("Train the categoriser on the first 80 % of a CSV by date and report accuracy, macro F1 and "
            "expected calibration error on the last 20 %, against a description-lookup baseline.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="CSV file with a header row (UTF-8)")
        parser.add_argument("--text-columns", required=True,
                            help="comma-separated columns read as text (e.g. description,merchant)")
        parser.add_argument("--label-column", required=True, help="the column holding the category")
        parser.add_argument("--date-column", required=True, help="the column holding the date")
        parser.add_argument("--amount-column", default="", help="optional amount column (signed or not)")
        parser.add_argument("--delimiter", default=",", help="field delimiter (default ',')")
        parser.add_argument("--dayfirst", action="store_true", help="read 03/04/2025 as 3 April (default: March 4)")
        parser.add_argument("--train-fraction", type=float, default=0.8, help="share of rows to train on")
        parser.add_argument("--json", action="store_true", help="print the full report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        text_columns = _columns(options["text_columns"], "--text-columns")
        if not 0 < options["train_fraction"] < 1:
            raise CommandError("--train-fraction must be between 0 and 1.")
        frame = self._read(Path(options["input"]), options["delimiter"])
        wanted = [*text_columns, options["label_column"], options["date_column"]]
        if options["amount_column"]:
            wanted.append(options["amount_column"])
        missing = [name for name in dict.fromkeys(wanted) if name not in frame.columns]
        if missing:
            raise CommandError(
                f"Column(s) not in {options['input']}: {', '.join(missing)}. "
                f"The file has: {', '.join(frame.columns) or 'no columns'}."
            )
        dates = pd.to_datetime(frame[options["date_column"]].str.strip(), errors="coerce", format="mixed",
                               dayfirst=options["dayfirst"])
        bad = [i for i, d in enumerate(dates) if pd.isna(d)]
        if bad:
            shown = ", ".join(f"row {i + 2} ({frame[options['date_column']].iloc[i]!r})" for i in bad[:5])
            raise CommandError(
                f"{len(bad)} row(s) have no readable date in column '{options['date_column']}': {shown}"
                f"{' …' if len(bad) > 5 else ''}."
            )
        labels = frame[options["label_column"]].astype(str).str.strip()
        unlabelled = int((labels == "").sum())
        if unlabelled:
            frame, labels, dates = frame[labels != ""], labels[labels != ""], dates[labels != ""]
        if len(frame) < MIN_ROWS:
            raise CommandError(f"{len(frame)} labelled row(s); at least {MIN_ROWS} are needed to train and evaluate.")
        records = pd.DataFrame({
            "description": frame[text_columns].astype(str).agg(" ".join, axis=1).to_numpy(),
            "date": dates.to_numpy(),
        })
        if options["amount_column"]:
            records["amount"] = pd.to_numeric(frame[options["amount_column"]], errors="coerce").to_numpy()
        y = labels.to_numpy(dtype=object)
        keys = records["description"].map(normalize_text).to_numpy()
        train, test = time_ordered_split(dates.to_numpy(), train_fraction=options["train_fraction"])
        if len(set(y[train])) < 2:
            raise CommandError("The training part holds fewer than two labels; nothing to learn.")

        started = time.perf_counter()
        model = TransactionCategorizer().fit(records.iloc[train], y[train])
        fit_seconds = time.perf_counter() - started
        proba = model.predict_proba(records.iloc[test])
        predicted = model.classes_[proba.argmax(axis=1)]
        report = {
            "input": str(options["input"]),
            "rows": len(frame), "train_rows": len(train), "test_rows": len(test), "skipped_unlabelled": unlabelled,
            "train_period": [str(dates.iloc[train].min().date()), str(dates.iloc[train].max().date())],
            "test_period": [str(dates.iloc[test].min().date()), str(dates.iloc[test].max().date())],
            "labels": len(set(y)), "fit_seconds": round(fit_seconds, 2),
            "model": classification_metrics(y[test], predicted, proba.max(axis=1)),
            "baseline": classification_metrics(y[test], lookup_baseline_predict(keys[train], y[train], keys[test])),
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
            return
        self._print(report)

    def _read(self, path: Path, delimiter: str) -> pd.DataFrame:
        if not path.is_file():
            raise CommandError(f"{path} does not exist or is not a file.")
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.reader(handle, delimiter=delimiter))
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text: {exc}") from exc
        except csv.Error as exc:
            raise CommandError(f"{path} is not a readable CSV file: {exc}") from exc
        rows = [row for row in rows if any(cell.strip() for cell in row)]
        if not rows:
            raise CommandError(f"{path} is empty.")
        header = [name.strip() for name in rows[0]]
        if len(rows) == 1:
            raise CommandError(f"{path} has a header row but no data rows.")
        width = len(header)
        body = [(row + [""] * width)[:width] for row in rows[1:]]
        return pd.DataFrame(body, columns=header, dtype=object)

    def _print(self, report: dict[str, Any]) -> None:
        model, baseline = report["model"], report["baseline"]
        self.stdout.write(
            f"{report['input']}: {report['rows']} rows, {report['labels']} labels; trained on {report['train_rows']} "
            f"({report['train_period'][0]} – {report['train_period'][1]}), tested on {report['test_rows']} "
            f"({report['test_period'][0]} – {report['test_period'][1]}) in {report['fit_seconds']} s"
        )
        if report["skipped_unlabelled"]:
            self.stdout.write(f"({report['skipped_unlabelled']} rows without a label were left out)")
        self.stdout.write(f"{'':<22}{'accuracy':>10}{'macro F1':>10}{'ECE':>8}")
        self.stdout.write(f"{'categoriser':<22}{model['accuracy']:>10.4f}{model['macro_f1']:>10.4f}{model['ece']:>8.4f}")
        self.stdout.write(f"{'description lookup':<22}{baseline['accuracy']:>10.4f}{baseline['macro_f1']:>10.4f}{'—':>8}")
        self.stdout.write("\nPer label (categoriser): precision, recall, F1, support")
        for label, m in sorted(model["per_category"].items()):
            self.stdout.write(f"  {label[:40]:<40}{m['precision']:>8.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>7}")
