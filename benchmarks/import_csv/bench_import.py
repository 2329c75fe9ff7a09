"""Benchmark: import a realistic 100,000-row transactions CSV, through the service and the API.

    .venv/bin/python benchmarks/import_csv/bench_import.py            # SQLite (own file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledgerwise_bench \\
        .venv/bin/python benchmarks/import_csv/bench_import.py        # PostgreSQL (migrated)

Without ``DATABASE_URL`` the benchmark uses its own SQLite file,
``var/bench/import_csv.sqlite3`` (migrated on first use), never the app's database.
With ``DATABASE_URL`` the database must already be migrated (``manage.py migrate``).

Each repetition creates a throwaway user and workspace (with the categories the CSV
names), imports the file with :func:`finance.services.transaction_import.transaction_import_csv`
and then again with ``POST /api/v1/transactions/import/`` (multipart upload through DRF's
test client, the whole request cycle), checks the row count and the amounts, and deletes
what it wrote. The ``reimport`` path imports the file twice and times the second import,
where every row is found as imported before and nothing is written. It prints one markdown table row per path; ``--header`` adds the header.
Timings are with ``DEBUG`` off (no SQL logging), as in production.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.django_setup import database_ready, use_database  # noqa: E402

OWN_DATABASE = use_database("import_csv")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Sum  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from finance.models import Category, Membership, Transaction, Workspace  # noqa: E402
from finance.services.transaction_import import transaction_import_csv  # noqa: E402

# merchant, description template, category, kind, typical amount, spread
MERCHANTS = (
    ("Square", "SQUARE INC DEPOSIT SQ{yymmdd}", "Counter sales", "revenue", 1800, 0.3),
    ("Shopify", "SHOPIFY PAYOUT {num}", "Online sales", "revenue", 650, 0.4),
    ("Cash sales", "CASH DEPOSIT Z#{num}", "Counter sales", "revenue", 320, 0.4),
    ("Brennan Construction", "ACH CREDIT BRENNAN CONSTRUCTION INV {num}", "Contractor accounts", "revenue", 1150, 0.5),
    ("Oakwood Property Management", "OAKWOOD PROPERTY MGMT RENT", "Rent", "expense", 9500, 0.0),
    ("Gusto", "GUSTO PAYROLL {mm}/{dd}", "Payroll", "expense", 10800, 0.05),
    ("Gusto", "GUSTO TAX {mm}/{dd}", "Taxes", "expense", 1950, 0.05),
    ("Sysco", "SYSCO CORP 0231", "Ingredients", "expense", 1800, 0.25),
    ("Costco", "COSTCO WHSE #0113", "Ingredients", "expense", 420, 0.35),
    ("Amazon", "AMZN Mktp US*{code}", "Supplies", "expense", 64, 0.7),
    ("Uline", "ULINE *{num}", "Supplies", "expense", 310, 0.4),
    ("PG&E", "PG&E WEB ONLINE", "Utilities", "expense", 1450, 0.1),
    ("Comcast", "COMCAST BUSINESS 8155", "Utilities", "expense", 189.90, 0.0),
    ("Google Ads", "GOOGLE *ADS{num}", "Marketing", "expense", 350, 0.25),
    ("Meta", "FACEBK *{code}", "Marketing", "expense", 420, 0.3),
    ("Hiscox", "HISCOX INC INS PREM", "Insurance", "expense", 286.40, 0.0),
    ("Intuit", "INTUIT *QBOOKS ONLINE", "Software subscriptions", "expense", 90, 0.0),
    ("Shell", "SHELL OIL 57442", "Fuel & transport", "expense", 68, 0.2),
    ("Chevron", "CHEVRON 0094452", "Fuel & transport", "expense", 55, 0.3),
    ("UPS", "UPS*1Z{code}", "Shipping & postage", "expense", 42, 0.6),
    ("Hobart Service", "HOBART SERVICE {num}", "Repairs & maintenance", "expense", 420, 0.7),
    ("Chase", "MONTHLY SERVICE FEE", "Bank fees", "expense", 25, 0.0),
    ("Luigis Trattoria", "TST* LUIGIS TRATTORIA", "Meals & entertainment", "expense", 62, 0.5),
    ("Starbucks", "STARBUCKS STORE 05621", "Meals & entertainment", "expense", 8, 0.35),
)
WEIGHTS = np.array([8, 5, 6, 1, 0.2, 0.4, 0.4, 2, 2, 10, 1, 0.2, 0.2, 0.3, 0.3, 0.2, 0.2, 4, 3, 8, 0.5, 0.2, 2, 6])
CATEGORIES = sorted({(m[2], m[3]) for m in MERCHANTS})
ACCOUNTS = ("Operating account", "Business card")
ALNUM = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
HEADER = ("date", "kind", "amount", "description", "merchant", "account", "category", "currency", "status")


def csv_generate(*, rows: int, seed: int) -> tuple[bytes, int, Decimal]:
    """A bank-export-like CSV: ``rows`` rows over about three years, sorted by date.

    About 15 % of the rows have no ``kind`` (the sign of the amount says it), 25 % no
    category, some amounts carry ``$`` and thousands separators. Returns the bytes, the
    number of rows and the sum of the absolute amounts the import must store.
    """
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01")
    days = np.sort(rng.integers(0, 3 * 365, rows))
    which = rng.choice(len(MERCHANTS), rows, p=WEIGHTS / WEIGHTS.sum())
    noise = rng.lognormal(0, 1, rows)
    no_kind = rng.random(rows) < 0.15
    no_category = rng.random(rows) < 0.25
    fancy = rng.random(rows) < 0.1
    pending = rng.random(rows) < 0.02
    account = rng.integers(0, len(ACCOUNTS), rows)
    codes = rng.choice(ALNUM, (rows, 7))
    nums = rng.integers(100000, 999999, rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    total = Decimal(0)
    for i in range(rows):
        merchant, template, category, kind, amount, spread = MERCHANTS[which[i]]
        day = (start + days[i]).item()
        value = Decimal(f"{max(amount * noise[i] ** spread, 1.0):.2f}")
        total += value
        description = template.format(
            yymmdd=day.strftime("%y%m%d"), mm=f"{day.month:02d}", dd=f"{day.day:02d}",
            code="".join(codes[i]), num=nums[i],
        )
        if no_kind[i]:
            text = f"{-value if kind == 'expense' else value}"
            kind = ""
        elif fancy[i]:
            text = f"${value:,}"
        else:
            text = f"{value}"
        writer.writerow((
            day.isoformat(), kind, text, description, merchant, ACCOUNTS[account[i]],
            "" if no_category[i] else category, "USD", "pending" if pending[i] else "",
        ))
    return out.getvalue().encode(), rows, total


def workspace_make(label: str) -> tuple[Workspace, object]:
    token = uuid.uuid4().hex[:10]
    user = get_user_model().objects.create(username=f"bench-import-{token}")
    workspace = Workspace.objects.create(name=f"Import benchmark {label} {token}", slug=f"bench-import-{token}")
    Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.OWNER)
    Category.objects.bulk_create(Category(workspace=workspace, name=n, kind=k) for n, k in CATEGORIES)
    return workspace, user


def cleanup(workspace: Workspace, user: object) -> None:
    workspace.delete()
    user.delete()


def verify(workspace: Workspace, rows: int, total: Decimal) -> None:
    stored = Transaction.objects.filter(workspace=workspace)
    count = stored.count()
    # SQLite sums decimals as floats: compare to the cent.
    amount = Decimal(str(stored.aggregate(s=Sum("amount"))["s"])).quantize(Decimal("0.01"))
    if count != rows or amount != total:
        sys.exit(f"Import stored {count} rows worth {amount}; expected {rows} worth {total}.")


def run_service(data: bytes, rows: int, total: Decimal) -> float:
    workspace, user = workspace_make("service")
    try:
        started = time.perf_counter()
        result = transaction_import_csv(workspace=workspace, file=io.BytesIO(data), user=user)
        seconds = time.perf_counter() - started
        assert result.created == rows, result
        verify(workspace, rows, total)
    finally:
        cleanup(workspace, user)
    return seconds


def run_api(data: bytes, rows: int, total: Decimal) -> float:
    workspace, user = workspace_make("api")
    client = APIClient()
    client.force_authenticate(user=user)
    try:
        upload = SimpleUploadedFile("transactions.csv", data, content_type="text/csv")
        started = time.perf_counter()
        response = client.post(
            "/api/v1/transactions/import/", {"workspace": workspace.pk, "file": upload}, format="multipart"
        )
        seconds = time.perf_counter() - started
        if response.status_code != 201 or response.json() != {"created": rows, "duplicates": 0, "duplicate_rows": []}:
            sys.exit(f"API answered {response.status_code}: {response.content[:500]!r}")
        verify(workspace, rows, total)
    finally:
        cleanup(workspace, user)
    return seconds


def run_reimport(data: bytes, rows: int, total: Decimal) -> float:
    """The same file a second time: every row is found as imported before (one query per
    batch of dates), nothing is written. Times the second import only."""
    workspace, user = workspace_make("reimport")
    try:
        transaction_import_csv(workspace=workspace, file=io.BytesIO(data), user=user)
        started = time.perf_counter()
        result = transaction_import_csv(workspace=workspace, file=io.BytesIO(data), user=user)
        seconds = time.perf_counter() - started
        assert (result.created, result.duplicates) == (0, rows), result
        verify(workspace, rows, total)
    finally:
        cleanup(workspace, user)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--paths", default="service,api,reimport",
        help="comma-separated: service, api, reimport (the same file again: every row a duplicate)",
    )
    parser.add_argument("--header", action="store_true", help="print the markdown table header too")
    parser.add_argument("--profile", metavar="FILE", help="cProfile one service import into FILE")
    args = parser.parse_args()

    settings.DEBUG = False  # no SQL logging, as in production
    database_ready(own=OWN_DATABASE)
    vendor = connection.vendor
    generated = time.perf_counter()
    data, rows, total = csv_generate(rows=args.rows, seed=args.seed)
    generated = time.perf_counter() - generated
    print(f"# {vendor}: {rows:,} rows, {len(data) / 1e6:.1f} MB CSV (generated in {generated:.1f} s)", file=sys.stderr)

    if args.profile:
        import cProfile

        cProfile.runctx("run_service(data, rows, total)", globals(), locals(), args.profile)
        print(f"# profile written to {args.profile}", file=sys.stderr)

    if args.header:
        print("| database | path | rows | CSV | best (s) | median (s) | runs (s) | rows/s |")
        print("|---|---|---:|---:|---:|---:|---|---:|")
    runners = {"service": run_service, "api": run_api, "reimport": run_reimport}
    for path in args.paths.split(","):
        times = []
        for _ in range(args.repeat):
            times.append(runners[path](data, rows, total))
            print(f"# {path}: {times[-1]:.2f} s", file=sys.stderr)
        best, median = min(times), statistics.median(times)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"| {vendor} | {path} | {rows:,} | {len(data) / 1e6:.1f} MB | {best:.2f} | {median:.2f} | {runs} "
            f"| {rows / median:,.0f} |"
        )


if __name__ == "__main__":
    main()
