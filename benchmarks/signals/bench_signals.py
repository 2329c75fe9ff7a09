"""Benchmark: the cost of the forecasting ``post_save`` receivers on one-by-one writes.

    .venv/bin/python benchmarks/signals/bench_signals.py --header        # SQLite (own file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledgerwise_bench \\
        .venv/bin/python benchmarks/signals/bench_signals.py             # PostgreSQL (migrated)

Writes ``--rows`` (10,000) transactions one by one through the ORM
(``Transaction.objects.create``) with the forecasting ``post_save`` receiver of
``Transaction`` disconnected (*off*) and connected (*on*), ``--repeat`` times in a
rotating order (so that drift of a shared machine hits both sides alike), and prints one
markdown row per write style with the median times and the overhead of *on* over *off*.
*On* is what auto-learning costs a writer: the database's counting triggers
(``forecasting/training/counters.py``: the retrain counters, bumped in the row's own INSERT) and the
receiver (``forecasting.signals.transaction_saved``), which after commit runs the
debounced auto-learn check and the classifier scoring hook (one cache read a second to
find the deployed classifiers: none here, so nothing is scored). *Off* is the books
alone: no receiver and no triggers (removed for the run and installed again at the end).

Write styles:

- ``autocommit``: each row commits on its own — a bare ``create()`` outside any
  transaction;
- ``atomic``: each row in its own ``transaction.atomic()`` — what the services and the
  API do.

The auto-learn checks go to a queue of the benchmark's own, deleted at the end, on the
in-memory broker unless ``CELERY_BROKER_URL`` is set: no worker runs them, so nothing
outside the benchmark is touched. Every run checks the counters it produced.

Without ``DATABASE_URL`` the benchmark uses its own SQLite file,
``var/bench/signals.sqlite3`` (migrated on first use), never the app's database. With
``DATABASE_URL`` the database must already be migrated. Timings are with ``DEBUG`` off.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"bench-signals-{uuid.uuid4().hex[:10]}"
from benchmarks.django_setup import database_ready, use_database  # noqa: E402

OWN_DATABASE = use_database("signals")

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models.signals import post_save  # noqa: E402

from config.celery import app  # noqa: E402
from finance.models import Transaction, Workspace  # noqa: E402
from forecasting import signals as receivers  # noqa: E402
from forecasting.registry.models import TargetState  # noqa: E402
from forecasting.training.counters import counter_triggers_install, counter_triggers_remove  # noqa: E402

RECEIVERS = {  # dispatch_uid → receiver, as forecasting/signals.py connects them for Transaction
    "forecasting.transaction_saved": receivers.transaction_saved,
}
SIDES = {"off": (), "on": tuple(RECEIVERS)}


def receivers_connect(uids: tuple[str, ...] | list[str]) -> None:
    """Connect exactly the receivers ``uids`` of ``RECEIVERS`` to Transaction's post_save,
    with the counting triggers when any is connected, without them otherwise."""
    for uid, receiver in RECEIVERS.items():
        post_save.disconnect(sender=Transaction, dispatch_uid=uid)
        if uid in uids:
            post_save.connect(receiver, sender=Transaction, dispatch_uid=uid)
    (counter_triggers_install if uids else counter_triggers_remove)(connection)


def write_rows(*, workspace: Workspace, rows: int, atomic: bool) -> float:
    start = dt.date(2024, 1, 1)
    amounts = [Decimal(f"{10 + i % 90}.{i % 100:02d}") for i in range(rows)]
    started = time.perf_counter()
    for i in range(rows):
        fields = {"workspace": workspace, "kind": "expense" if i % 4 else "revenue", "amount": amounts[i],
                  "currency": "USD", "date": start + dt.timedelta(days=i % 700), "description": f"Row {i}",
                  "merchant": "Bench"}
        if atomic:
            with transaction.atomic():
                Transaction.objects.create(**fields)
        else:
            Transaction.objects.create(**fields)
    return time.perf_counter() - started


def run_once(*, rows: int, atomic: bool, side: str) -> float:
    token = uuid.uuid4().hex[:10]
    workspace = Workspace.objects.create(name=f"Signals benchmark {token}", slug=f"bench-signals-{token}")
    receivers_connect(SIDES[side])
    try:
        seconds = write_rows(workspace=workspace, rows=rows, atomic=atomic)
        counted = dict(TargetState.objects.filter(workspace=workspace).values_list("target", "new_rows"))
        revenue = (rows + 3) // 4
        expected = ({"revenue": revenue, "expense": rows - revenue, "categorizer": rows, "fraud": rows, "anomaly": rows}
                    if SIDES[side] else {})
        if counted != expected:
            sys.exit(f"{side}: the counters say {counted}; expected {expected}.")
    finally:
        receivers_connect(list(RECEIVERS))
        Transaction.objects.filter(workspace=workspace)._raw_delete(Transaction.objects.db)
        workspace.delete()
    return seconds


def rotating(measure: Callable[[str], float], repeat: int) -> dict[str, list[float]]:
    """``repeat`` runs of every side, the order reversed every other round."""
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    for i in range(repeat):
        for side in (list(SIDES) if i % 2 == 0 else list(reversed(SIDES))):
            times[side].append(measure(side))
            print(f"#   {side:3} {times[side][-1]:.2f} s", file=sys.stderr)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default="autocommit,atomic", help="comma-separated: autocommit, atomic")
    parser.add_argument("--header", action="store_true", help="print the markdown table header too")
    args = parser.parse_args()

    settings.DEBUG = False  # no SQL logging, as in production
    database_ready(own=OWN_DATABASE)
    vendor = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(connection.vendor, connection.vendor)
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"# {vendor}, broker {broker}, cache {cache}, {args.rows:,} rows, Python {platform.python_version()}, "
          f"{os.cpu_count()} cores", file=sys.stderr)

    if args.header:
        print("| database | writes | rows | off (s) | on (s) | µs/row off / on | overhead |")
        print("|---|---|---:|---:|---:|---|---:|")
    try:
        for mode in args.modes.split(","):
            print(f"# {mode}", file=sys.stderr)
            for side in SIDES:  # warm-up: connections, broker, caches, compiled statements
                run_once(rows=min(args.rows, 500), atomic=mode == "atomic", side=side)
            times = rotating(lambda side, m=mode: run_once(rows=args.rows, atomic=m == "atomic", side=side),
                             args.repeat)
            off, on = (statistics.median(times[side]) for side in SIDES)
            per_row = " / ".join(f"{t / args.rows * 1e6:.0f}" for t in (off, on))
            print(f"| {vendor} | {mode} | {args.rows:,} | {off:.2f} | {on:.2f} | {per_row} | {(on - off) / off:+.1%} |",
                  flush=True)
    finally:
        try:  # the debounced checks the benchmark queued: nobody will run them
            with app.connection_for_write() as conn:
                bound = app.amqp.queues[settings.CELERY_TASK_DEFAULT_QUEUE](conn.default_channel)
                bound.declare()  # the channel learns the bindings it is to delete
                bound.delete()
        except Exception as exc:  # noqa: BLE001
            print(f"# could not delete the benchmark's queue: {exc}", file=sys.stderr)


if __name__ == "__main__":
    main()
