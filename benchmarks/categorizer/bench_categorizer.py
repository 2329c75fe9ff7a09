"""Benchmark: categoriser accuracy, macro F1 and calibration against a description-lookup
baseline, on the seeded demo books and on a realistic generated bank-statement set.

    .venv/bin/python benchmarks/categorizer/bench_categorizer.py [--header]

Everything runs through ``manage.py categorizer_eval`` (the acceptance tool): rows are
ordered by date, the first 80 % train, the last 20 % are predicted. The baseline predicts
the most frequent training label of each normalised description (the most frequent
label overall for a description it has never seen).

Data sets, all deterministic:

* ``demo <workspace>``: the categorised transactions of each demo workspace
  (``seed_demo --seed 42 --end-date 2025-06-30``), exported to CSV with the columns a
  bank export has (date, description, merchant, amount, kind, account, category);
  text columns ``description,merchant``;
* ``demo, all workspaces``: the three together, with the workspace name as a text
  column (the product trains one categoriser per workspace; this shows one model
  serving several books);
* ``realistic``: :mod:`realistic` (seed 7): noisy bank-style descriptions of 112 payees
  over two years — store numbers, card suffixes, dates, processor prefixes, casing —
  including local businesses that open after the training period and payees used for
  two categories; text column ``description`` only (and ``amount``);
* ``realistic, first 300 rows``: the same with little history.

The benchmark uses its own SQLite file ``var/bench/categorizer.sqlite3`` and writes the
CSVs under ``var/bench/categorizer/`` (and its Celery messages under ``…/var``); it
never touches the app's database or broker.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from io import StringIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for path in (REPO, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

OUT = REPO / "var" / "bench" / "categorizer"
OUT.mkdir(parents=True, exist_ok=True)
os.environ["DATABASE_URL"] = f"sqlite:///{REPO / 'var' / 'bench' / 'categorizer.sqlite3'}"
os.environ["LEDGERWISE_VAR_DIR"] = str(OUT / "var")  # broker messages of the seed stay here
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from realistic import realistic_transactions  # noqa: E402

DEMO_END = dt.date(2025, 6, 30)
COLUMNS = ["date", "description", "merchant", "amount", "kind", "account", "category"]


def seed_and_export() -> dict[str, Path]:
    from coaching.demo import demo_seed
    from finance.models import Transaction, Workspace

    call_command("migrate", verbosity=0)
    demo_seed(seed=42, years=3, end_date=DEMO_END)
    files: dict[str, Path] = {}
    combined = []
    for workspace in Workspace.objects.filter(is_demo=True).order_by("slug"):
        rows = list(
            Transaction.objects.filter(workspace=workspace, category__isnull=False).order_by("date", "id")
            .values_list("date", "description", "merchant", "amount", "kind", "account", "category__name")
        )
        path = OUT / f"demo-{workspace.slug.removeprefix('demo-')}.csv"
        _write(path, COLUMNS, rows)
        files[f"demo {workspace.name}"] = path
        combined += [(*row, workspace.name) for row in rows]
    combined.sort(key=lambda row: row[0])
    path = OUT / "demo-all.csv"
    _write(path, [*COLUMNS, "workspace"], combined)
    files["demo, all workspaces"] = path
    return files


def _write(path: Path, header: list[str], rows: list) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def realistic_files() -> dict[str, Path]:
    rows = realistic_transactions(seed=7)
    header = list(rows[0])
    full = OUT / "realistic.csv"
    _write(full, header, [[r[k] for k in header] for r in rows])
    small = OUT / "realistic-300.csv"
    _write(small, header, [[r[k] for k in header] for r in rows[:300]])
    return {"realistic": full, "realistic, first 300 rows": small}


def evaluate(path: Path, text_columns: str, amount: str = "amount") -> dict:
    out = StringIO()
    call_command("categorizer_eval", "--input", str(path), "--text-columns", text_columns, "--label-column",
                 "category", "--date-column", "date", "--amount-column", amount, "--json", stdout=out)
    return json.loads(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--header", action="store_true", help="print the markdown table header")
    parser.add_argument("--skip-demo", action="store_true", help="only the realistic set")
    args = parser.parse_args()
    runs = []
    if not args.skip_demo:
        for name, path in seed_and_export().items():
            columns = "description,merchant,workspace" if name.endswith("all workspaces") else "description,merchant"
            runs.append((name, columns, evaluate(path, columns)))
    for name, path in realistic_files().items():
        runs.append((name, "description", evaluate(path, "description")))
    if args.header:
        print("| data set | text columns | rows (train / test) | labels | accuracy | macro F1 | ECE | "
              "baseline accuracy | baseline macro F1 | fit (s) |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, columns, report in runs:
        model, baseline = report["model"], report["baseline"]
        print(f"| {name} | {columns} | {report['rows']:,} ({report['train_rows']:,} / {report['test_rows']:,}) | "
              f"{report['labels']} | {model['accuracy']:.2%} | {model['macro_f1']:.4f} | {model['ece']:.4f} | "
              f"{baseline['accuracy']:.2%} | {baseline['macro_f1']:.4f} | {report['fit_seconds']:.1f} |")


if __name__ == "__main__":
    main()
