"""Benchmark: latency of every dashboard page with the demo data, served by gunicorn.

    .venv/bin/python benchmarks/pages/bench_pages.py --header                 # SQLite + local-memory cache
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledgerwise_pages \\
    CACHE_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python benchmarks/pages/bench_pages.py                      # PostgreSQL + Redis

Set-up (once per database; ``--reseed`` starts over): migrate, ``manage.py seed_demo``
(three demo workspaces, three years of books, 24 products), then train what the pages
show, through the real training service and the competition of ``--algorithms``:
revenue, expenses, the expenses of every budgeted category, total inventory demand and
the demand of every product, and the transaction categoriser (whose suggestions then fill
the uncategorised rows); then the coaching segments (``manage.py refresh_segments``). Without ``DATABASE_URL`` everything lives under ``var/bench/``:
``pages.sqlite3``, ``pages-media/`` (model artifacts) and ``pages-var/`` (static files).

Then gunicorn (production settings, ``DEBUG=false``, 2 workers) serves the pages to the
demo owner of the bakery (``demo``), signed in with a real session cookie, and each page
is requested ``--requests`` times one after another (after a warm-up that lets every
worker load its models) in two modes:

* **warm** — the configured cache holds the forecasts (they stay for 15 minutes); each
  page view still reads the books, the deployed versions and logs its predictions;
* **uncached** — the same server with ``CACHE_URL=dummycache://``: every view of the
  overview and inventory predicts with every deployed model it shows (models come from
  the in-process LRU, sha256-verified on their first load).

Prints one markdown table row per page and mode: the queries the page runs, its size,
and p50 / p95 / max latency measured by the client (connection, Django and the database;
the pages' static files are not fetched). The target is p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BENCH_DIR = REPO / "var" / "bench"
BENCH_DIR.mkdir(parents=True, exist_ok=True)
OWN_DATABASE = not os.environ.get("DATABASE_URL")
if OWN_DATABASE:
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'pages.sqlite3'}"
# Artifacts of every database go here; the storage never overwrites a file (a taken name gets
# a suffix), so two databases' registries cannot meet each other's files.
os.environ.setdefault("MEDIA_ROOT", str(BENCH_DIR / "pages-media"))
os.environ.setdefault("LEDGERWISE_VAR_DIR", str(BENCH_DIR / "pages-var"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

USERNAME = "demo"
WORKSPACE_SLUG = "demo-sunrise-bakery"
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-pages-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
}
# The session made here must be readable by the server: same secret key.
os.environ["SECRET_KEY"] = SERVER_ENV["SECRET_KEY"]
os.environ.setdefault("ALLOWED_HOSTS", SERVER_ENV["ALLOWED_HOSTS"])


def _ensure_postgres_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _train(workspace, targets: list[str], algorithms: list[str]) -> list[str]:
    from forecasting.registry.models import ModelVersion
    from forecasting.training.jobs import training_job_create, training_job_run
    from forecasting.training.models import TrainingJob

    trained = []
    deployed = set(ModelVersion.objects.filter(workspace=workspace, status=ModelVersion.Status.DEPLOYED)
                   .values_list("target", flat=True))
    for target in targets:
        if target in deployed:
            continue
        job = training_job_create(workspace=workspace, target=target, algorithms=algorithms, frequency="M",
                                  enqueue=False)
        job = training_job_run(job_id=job.pk)
        if job.status == TrainingJob.Status.SUCCEEDED:
            trained.append(target)
        else:
            print(f"# {workspace.slug} {target}: {job.status} {job.error.splitlines()[0] if job.error else job.decision}",
                  file=sys.stderr)
    return trained


def setup(*, algorithms: list[str], reseed: bool) -> dict:
    """Migrate, seed the demo data, train the models, collect static files; return the
    session cookie of the demo user and the pages to measure."""
    if os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        _ensure_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from finance.models import Budget, Product, Transaction, Workspace
    from forecasting.registry.models import ModelVersion

    call_command("migrate", verbosity=0, interactive=False)
    if reseed or not Workspace.objects.filter(slug=WORKSPACE_SLUG).exists():
        started = time.perf_counter()
        call_command("seed_demo", stdout=io.StringIO())
        print(f"# seeded the demo data in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    for workspace in Workspace.objects.filter(is_demo=True).order_by("pk"):
        categories = sorted(set(Budget.objects.filter(workspace=workspace).values_list("category_id", flat=True)))
        products = list(Product.objects.filter(workspace=workspace, is_active=True).values_list("pk", flat=True))
        targets = ["revenue", "expense", *(f"expense:category={c}" for c in categories)]
        if products:
            targets += ["inventory", *(f"inventory:product={p}" for p in products)]
        _train(workspace, targets, algorithms)
        if not ModelVersion.objects.filter(workspace=workspace, target="categorizer", status="deployed").exists():
            try:
                _train(workspace, ["categorizer"], [])
                from forecasting.classifiers.sweep import workspace_transactions_score

                workspace_transactions_score(workspace=workspace, target="categorizer")
            except Exception as exc:  # the categoriser is optional for this benchmark
                print(f"# {workspace.slug} categorizer: {type(exc).__name__}: {exc}", file=sys.stderr)
    print(f"# models ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    call_command("refresh_segments", stdout=io.StringIO())  # the coaching page's segments (beat does it daily)

    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=USERNAME))
    session = client.cookies["sessionid"].value
    suggested = Transaction.objects.filter(workspace=workspace, category_source="model").count()
    first = Transaction.objects.filter(workspace=workspace).order_by("-date", "-id").first()
    product = Product.objects.filter(workspace=workspace, is_active=True).order_by("sku").first()
    deployed = ModelVersion.objects.filter(workspace=workspace, status="deployed").count()
    print(f"# {workspace.name}: {Transaction.objects.filter(workspace=workspace).count()} transactions, "
          f"{deployed} deployed models, {suggested} suggested categories", file=sys.stderr)
    subprocess.run([str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO,
                   env=os.environ | SERVER_ENV, check=True)
    # The session starts in the bakery: the switcher's choice is kept in the session.
    client.post("/workspace/", {"workspace": workspace.pk})
    return {
        "session": client.cookies["sessionid"].value or session,
        "pages": {
            "overview": "/",
            "overview (36 months)": "/?months=36",
            "transactions": "/transactions/",
            "transactions, suggested": "/transactions/?category=suggested",
            "transactions, search": "/transactions/?q=dairy&kind=expense",
            "transaction edit": f"/transactions/{first.pk}/edit/",
            "CSV import": "/transactions/import/",
            "inventory": "/inventory/",
            "product analysis": f"/inventory/products/{product.pk}/",
            "accounts": "/accounts/",
            "budgets": "/budgets/",
            "goals": "/goals/",
            "models": "/models/",
            "coaching": "/coaching/",
        },
    }


def _get(conn: http.client.HTTPConnection, path: str, cookie: str) -> tuple[float, int, int]:
    """(seconds, status, bytes) of one GET on a kept-alive connection."""
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "X-Forwarded-Proto": "https"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    return elapsed, response.status, len(body)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def query_counts(pages: dict[str, str]) -> dict[str, int]:
    """Queries per page, counted in-process by Django's test client (warm cache)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from finance.models import Workspace

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=USERNAME))
    client.post("/workspace/", {"workspace": Workspace.objects.get(slug=WORKSPACE_SLUG).pk})
    counts = {}
    for name, path in pages.items():
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(queries)
    return counts


def measure(*, mode: str, setup_info: dict, port: int, workers: int, requests: int, warmup: int) -> dict:
    env = os.environ | SERVER_ENV
    if mode == "uncached":
        env["CACHE_URL"] = "dummycache://"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=REPO, env=env,
    )
    results = {}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                _get(conn, "/login/", "")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        cookie = setup_info["session"]
        for name, path in setup_info["pages"].items():
            for _ in range(warmup):  # every worker loads its models and fills its cache
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                _get(conn, path, cookie)
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            timings, sizes = [], set()
            for _ in range(requests):
                elapsed, status, size = _get(conn, path, cookie)
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
                timings.append(elapsed * 1000)
                sizes.add(size)
            conn.close()
            results[name] = {
                "p50": statistics.median(timings), "p95": _percentile(timings, 95), "max": max(timings),
                "kb": max(sizes) / 1024,
            }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="measured requests per page and mode")
    parser.add_argument("--warmup", type=int, default=6, help="unmeasured requests per page first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2 = cores)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--algorithms", default="naive,seasonal_naive,linear_regression,ets,theta",
                        help="algorithms the set-up training races (default: the quick ones)")
    parser.add_argument("--modes", default="warm,uncached")
    parser.add_argument("--reseed", action="store_true", help="re-create the demo data and models")
    parser.add_argument("--header", action="store_true", help="print the markdown table header")
    args = parser.parse_args()

    info = setup(algorithms=[a for a in args.algorithms.split(",") if a], reseed=args.reseed)
    counts = query_counts(info["pages"])
    backend = "PostgreSQL" if "postgres" in os.environ["DATABASE_URL"] else "SQLite"
    cache = os.environ.get("CACHE_URL", "locmemcache://").split(":", 1)[0]
    if args.header:
        print(f"gunicorn workers: {args.workers}; {args.requests} sequential requests per page after "
              f"{args.warmup} warm-up requests")
        print("| database | cache | mode | page | queries | KiB | p50 ms | p95 ms | max ms |")
        print("|---|---|---|---|---:|---:|---:|---:|---:|")
    for mode in args.modes.split(","):
        results = measure(mode=mode, setup_info=info, port=args.port, workers=args.workers,
                          requests=args.requests, warmup=args.warmup)
        shown_cache = cache if mode == "warm" else "none (dummycache)"
        for name, r in results.items():
            flag = "" if r["p95"] < 300 else " ⚠"
            print(f"| {backend} | {shown_cache} | {mode} | {name} | {counts[name]} | {r['kb']:.0f} | "
                  f"{r['p50']:.1f} | **{r['p95']:.1f}**{flag} | {r['max']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
