"""The load benchmark's data: its own PostgreSQL database, the demo books, the models the
three measured endpoints serve, and one user with an API token per simulated user.

Run by :mod:`run` in its own process (``python benchmarks/load/setup_data.py``), so that
the runner itself never imports Django and the settings it measures are the server's.
Idempotent: a second run reuses what exists (``--reseed`` starts the books over).

* ``manage.py seed_demo``: the three demo workspaces (a bakery, a hardware store, a
  household), three years of books;
* per demo workspace, a monthly revenue forecaster trained and deployed by the real
  training service (the competition of ``--algorithms``), and the transaction
  categoriser;
* ``VACUUM ANALYZE``, as autovacuum would do some time after the bulk load;
* ``load-01`` … ``load-NN``: members of every demo workspace, each with an API token
  (one per simulated user, so the per-user throttle sees as many users as locust runs).

Writes ``{"users": [{"username", "token"}], "workspaces": [{"id", "slug", "descriptions"}]}``
to the file named by ``--out`` for the locustfile.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DEFAULTS  # noqa: E402

for _name, _value in DEFAULTS.items():
    os.environ.setdefault(_name, _value)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

USER_PREFIX = "load-"


def _ensure_postgres_database(url: str) -> None:
    """Create the database named in a postgres URL when it does not exist yet."""
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _train(workspace, target: str, algorithms: list[str]) -> None:  # noqa: ANN001
    from forecasting.registry.models import ModelVersion
    from forecasting.training.jobs import training_job_create, training_job_run
    from forecasting.training.models import TrainingJob

    if ModelVersion.objects.filter(workspace=workspace, target=target, status=ModelVersion.Status.DEPLOYED).exists():
        return
    started = time.perf_counter()
    job = training_job_create(workspace=workspace, target=target, algorithms=algorithms,
                              frequency="M" if target != "categorizer" else "", enqueue=False)
    job = training_job_run(job_id=job.pk)
    if job.status != TrainingJob.Status.SUCCEEDED:
        raise SystemExit(f"{workspace.slug} {target}: {job.status} {job.error or job.decision}")
    print(f"# {workspace.slug}: {target} trained in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _statistics_refresh() -> None:
    """What autovacuum does some time after a bulk load, done now: the planner's statistics
    (without them PostgreSQL sorts the whole workspace for a page of 50: 12 ms instead of
    0.2 ms) and the visibility map (the count of a page runs as an index-only scan)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def setup(*, users: int, algorithms: list[str], reseed: bool) -> dict:
    if os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        _ensure_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from finance.models import Membership, Transaction, Workspace

    call_command("migrate", verbosity=0, interactive=False)
    demo = Workspace.objects.filter(is_demo=True)
    if reseed or not demo.exists():
        started = time.perf_counter()
        call_command("seed_demo", stdout=io.StringIO())
        print(f"# seeded the demo books in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    workspaces = list(demo.order_by("pk"))
    for workspace in workspaces:
        _train(workspace, "revenue", algorithms)
        _train(workspace, "categorizer", [])
    accounts = []
    for i in range(1, users + 1):
        user, _ = get_user_model().objects.get_or_create(username=f"{USER_PREFIX}{i:02d}")
        for workspace in workspaces:
            Membership.objects.get_or_create(workspace=workspace, user=user,
                                             defaults={"role": Membership.Role.MEMBER})
        accounts.append({"username": user.username, "token": Token.objects.get_or_create(user=user)[0].key})
    _statistics_refresh()
    spaces = []
    for workspace in workspaces:
        descriptions = list(
            Transaction.objects.filter(workspace=workspace).exclude(description="")
            .order_by().values_list("description", flat=True).distinct()[:200]
        )
        count = Transaction.objects.filter(workspace=workspace).count()
        print(f"# {workspace.slug} (id {workspace.pk}): {count} transactions", file=sys.stderr)
        spaces.append({"id": workspace.pk, "slug": workspace.slug, "transactions": count,
                       "descriptions": descriptions})
    return {"users": accounts, "workspaces": spaces}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="where to write the users and workspaces (JSON)")
    parser.add_argument("--users", type=int, default=32, help="users with a token (one per simulated user)")
    parser.add_argument("--algorithms", default="naive,seasonal_naive,ets,theta",
                        help="the revenue competition of the set-up training")
    parser.add_argument("--reseed", action="store_true", help="re-create the demo books")
    args = parser.parse_args()
    data = setup(users=args.users, algorithms=[a for a in args.algorithms.split(",") if a], reseed=args.reseed)
    Path(args.out).write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
