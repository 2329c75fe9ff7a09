"""From data to a deployed model: the 5th new row of a 48-month series committed, to the
revenue model that auto-learning trained on it deployed, with a real Celery worker.

    .venv/bin/python benchmarks/worker/bench_data_to_deployed.py                   # SQLite, filesystem broker
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledgerwise_bench_learning \\
        .venv/bin/python benchmarks/worker/bench_data_to_deployed.py --broker redis://127.0.0.1:6379/14

The books: a workspace with the 43 first monthly Sales totals of
``../shared/data/superstore_orders.csv`` as revenue (one transaction a month, the 48
months ending with the last complete one, written in bulk, the counters then reset as
after a training, no model yet). Then the last five
months arrive one by one through ``transaction_create`` (the service the API and the
pages use), each in its own transaction: the fifth reaches ``ML_AUTO_LEARN_MIN_DATA``.
What follows is the product's own path, untouched: the ``post_save`` receiver's debounced
auto-learn check (countdown ``AUTOLEARN_DEBOUNCE_SECONDS``), the training job, the
competition of every algorithm of ``ML_ALGORITHMS`` in the worker's pool process, the
decision and the deploy. The clock stops when the revenue version is deployed.

The worker is started as the Procfile starts it (``--pool prefork --concurrency 2``,
nothing pinned in its environment) on a queue and broker folder of its own; its
database is the benchmark's (its own SQLite file unless ``DATABASE_URL`` is set; then the
database must be migrated and is not cleaned up beyond the workspace it creates).

Target (issue 17): under 60 s for a 48-point monthly series on this 2-core machine.
Results go to stdout and, with ``--write``, to the table of ``benchmarks/worker/README.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

README = Path(__file__).resolve().parent / "README.md"
TIMEOUT = 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", default=None, help="CELERY_BROKER_URL (default: the filesystem broker)")
    parser.add_argument("--rounds", type=int, default=3, help="workspaces to take through the path, one by one")
    parser.add_argument("--write", action="store_true", help="append the rows to README.md's table")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-learning-") as tmp:
        folder = Path(tmp)
        queue = f"bench-learning-{uuid.uuid4().hex[:10]}"
        os.environ["LEDGERWISE_VAR_DIR"] = str(folder / "var")
        os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
        if args.broker:
            os.environ["CELERY_BROKER_URL"] = args.broker
        from benchmarks.django_setup import database_ready, use_database

        own = use_database("data_to_deployed")
        database_ready(own=own)
        from benchmarks.worker.bench_arima_in_worker import Worker, forget_queue, monthly_sales
        from config.celery import app

        values = monthly_sales()
        worker = Worker(folder, args.broker, queue=queue)
        runs = []
        try:
            for round_ in range(args.rounds):
                runs.append(one_round(values, round_))
                print(format_run(runs[-1]), flush=True)
        finally:
            worker.stop()
            forget_queue(app, queue)
    rows = table_rows(runs, broker=args.broker or "filesystem")
    print("\n".join(rows))
    if args.write:
        with README.open("a") as handle:
            handle.write("\n".join(rows) + "\n")


def one_round(values: list[float], round_: int) -> dict:
    from django.conf import settings
    from django.db import connection, transaction

    from finance.models import Transaction, Workspace
    from finance.services.transactions import transaction_create
    from forecasting.registry.models import ModelVersion, TargetState
    from forecasting.training.models import TrainingJob

    token = uuid.uuid4().hex[:8]
    workspace = Workspace.objects.create(name=f"Learning benchmark {token}", slug=f"bench-learning-{token}")
    months = months_to_last_complete(len(values))
    history = len(values) - settings.ML_AUTO_LEARN_MIN_DATA
    Transaction.objects.bulk_create([
        Transaction(workspace=workspace, kind="revenue", amount=Decimal(f"{v:.2f}"), date=d, currency="USD",
                    description="Monthly sales")
        for v, d in zip(values[:history], months[:history], strict=True)])
    TargetState.objects.filter(workspace=workspace).update(new_rows=0)  # as after a training of that history
    time.sleep(0.5)
    for value, day in zip(values[history:], months[history:], strict=True):
        with transaction.atomic():
            transaction_create(workspace=workspace, user=None, kind="revenue", amount=Decimal(f"{value:.2f}"),
                               date=day, description="Monthly sales")
    committed = time.monotonic()
    committed_at = datetime.now(UTC)
    deadline = committed + TIMEOUT
    while True:
        version = ModelVersion.objects.filter(workspace=workspace, target="revenue",
                                              status=ModelVersion.Status.DEPLOYED).first()
        if version is not None:
            break
        failed = TrainingJob.objects.filter(workspace=workspace, target="revenue",
                                            status__in=("failed", "skipped")).first()
        if failed is not None:
            sys.exit(f"round {round_}: the job ended {failed.status}: {failed.error or failed.decision}")
        if time.monotonic() > deadline:
            sys.exit(f"round {round_}: no model deployed {TIMEOUT} s after the 5th row")
        time.sleep(0.1)
        connection.close_if_unusable_or_obsolete()
    total = time.monotonic() - committed
    learned = len(version.training_data["values"])
    if learned != len(values):
        sys.exit(f"round {round_}: the model learned {learned} points, not the {len(values)} of the books")
    job = TrainingJob.objects.filter(workspace=workspace, target="revenue").order_by("id").first()
    return {
        "total": total,
        "to_job": (job.created_at - committed_at).total_seconds(),
        "to_start": (job.started_at - job.created_at).total_seconds(),
        "training": (job.finished_at - job.started_at).total_seconds(),
        "winner": version.algorithm, "points": len(values), "candidates": len(job.results),
        "load": os.getloadavg(),
    }


def months_to_last_complete(count: int) -> list[date]:
    """The 15th of the ``count`` months ending with the last complete month (the series of
    the books runs to it: older dates would be followed by empty months up to today)."""
    from django.utils import timezone

    today = timezone.localdate()
    last = today.year * 12 + today.month - 2  # months since year 0 of the previous month
    return [date((last - i) // 12, (last - i) % 12 + 1, 15) for i in reversed(range(count))]


def format_run(run: dict) -> str:
    return (f"{run['total']:.1f} s (check and job {run['to_job']:.1f} s, queued {run['to_start']:.1f} s, "
            f"training {run['training']:.1f} s of {run['candidates']} candidates; winner {run['winner']}; "
            f"load {run['load'][0]:.1f})")


def table_rows(runs: list[dict], *, broker: str) -> list[str]:
    from django.db import connection

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    median = {key: statistics.median(run[key] for run in runs) for key in ("total", "to_job", "to_start", "training")}
    load = runs[-1]["load"]
    return [
        f"| {when} | {connection.vendor} / {broker} | {runs[0]['points']} | {len(runs)} | **{median['total']:.1f}** | "
        f"{min(r['total'] for r in runs):.1f}–{max(r['total'] for r in runs):.1f} | {median['to_job']:.1f} | "
        f"{median['to_start']:.1f} | {median['training']:.1f} | {', '.join(sorted({r['winner'] for r in runs}))} | "
        f"{load[0]:.1f} / {load[1]:.1f} |"
    ]


if __name__ == "__main__":
    main()
