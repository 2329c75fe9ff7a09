"""Benchmark: forecast API latency against a real server (gunicorn) with a load tool (wrk).

    .venv/bin/python benchmarks/api/bench_forecast.py                    # SQLite + local-memory cache
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledgerwise_bench \\
    CACHE_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python benchmarks/api/bench_forecast.py                # PostgreSQL + Redis

Set-up (once per database): a user with an API token, a workspace with four years of
approved daily revenue, and a trained, deployed monthly revenue forecaster (the
competition of ``--algorithms``, run synchronously through the training service).
Without ``DATABASE_URL`` the benchmark uses its own SQLite file under ``var/bench/``;
a PostgreSQL database named in ``DATABASE_URL`` is created if missing and migrated.

Then gunicorn (production settings: ``DEBUG=false``) serves
``GET /api/v1/forecasts/revenue/?workspace=…&periods=12`` and wrk loads it twice:

* **cached** — the configured cache answers; the request still authenticates the token,
  scopes the workspace and writes its row to the prediction log;
* **uncached** — the same server with ``CACHE_URL=dummycache://``: every request picks the
  deployed version, takes the fitted model from the in-process LRU (sha256-verified on
  its first load), predicts and logs.

Prints one markdown table row per mode with requests/s and the p50/p90/p99 latency that
wrk reports (``--latency``). Requires ``wrk`` (Debian package ``wrk``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BENCH_DIR = REPO / "var" / "bench"
OWN_DATABASE = not os.environ.get("DATABASE_URL")
if OWN_DATABASE:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'api.sqlite3'}"
os.environ.setdefault("MEDIA_ROOT", str(BENCH_DIR / "api-media"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

USERNAME = "bench-api"
WORKSPACE_SLUG = "bench-api-4y"


def _ensure_postgres_database(url: str) -> None:
    """Create the database named in a postgres URL when it does not exist yet."""
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(algorithms: list[str]) -> tuple[str, int, list[str]]:
    """Migrate, then make sure the user, token, books and a deployed model exist."""
    if os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        _ensure_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from finance.models import Membership, Transaction, Workspace
    from forecasting.registry.models import ModelVersion
    from forecasting.training.jobs import training_job_create, training_job_run
    from forecasting.training.models import TrainingJob

    call_command("migrate", verbosity=0, interactive=False)
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    token, _ = Token.objects.get_or_create(user=user)
    workspace, created = Workspace.objects.get_or_create(slug=WORKSPACE_SLUG, defaults={"name": "Bench API"})
    Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": Membership.Role.OWNER})
    if created or not Transaction.objects.filter(workspace=workspace).exists():
        rng = np.random.default_rng(0)
        end = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        days = [end - dt.timedelta(days=i) for i in range(4 * 365)]
        rows = []
        for day in days:
            season = 1 + 0.25 * np.sin(2 * np.pi * day.timetuple().tm_yday / 365)
            amount = max(5.0, 400 * season * (1.1 if day.weekday() >= 5 else 1.0) + rng.normal(0, 40))
            rows.append(Transaction(
                workspace=workspace, kind=Transaction.Kind.REVENUE, amount=f"{amount:.2f}",
                date=day, description="Counter sales", status=Transaction.Status.APPROVED,
            ))
        Transaction.objects.bulk_create(rows, batch_size=1000)
    trained = set(ModelVersion.objects.filter(workspace=workspace, target="revenue")
                  .exclude(status=ModelVersion.Status.FAILED).values_list("algorithm", flat=True))
    if not set(algorithms) <= trained:
        job = training_job_create(workspace=workspace, target="revenue", algorithms=algorithms,
                                  frequency="M", enqueue=False)
        job = training_job_run(job_id=job.pk)
        if job.status != TrainingJob.Status.SUCCEEDED:
            raise SystemExit(f"training failed: {job.error}")
    deployed = ModelVersion.objects.get(workspace=workspace, target="revenue", status=ModelVersion.Status.DEPLOYED)
    print(f"# deployed model: {deployed.algorithm} v{deployed.version}", file=sys.stderr)
    available = ModelVersion.objects.filter(workspace=workspace, target="revenue", algorithm__in=algorithms) \
        .exclude(status=ModelVersion.Status.FAILED).values_list("algorithm", flat=True)
    return token.key, workspace.pk, [a for a in algorithms if a in set(available)]


def _wait_until_up(url: str, headers: dict[str, str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers=headers)
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer 200 on {url}")


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _parse_wrk(output: str) -> dict[str, float]:
    """p50/p90/p99 in ms, requests/s and non-2xx count from ``wrk --latency`` output."""
    figures: dict[str, float] = {}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not match:
            raise SystemExit(f"could not read the {pct}th percentile from wrk:\n{output}")
        figures[f"p{pct}"] = float(match.group(1)) * _UNIT[match.group(2)]
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["errors"] = float(non2xx.group(1)) if non2xx else 0.0
    return figures


def measure(*, mode: str, token: str, workspace_id: int, port: int, workers: int,
            connections: int, seconds: int, model_type: str = "") -> dict[str, float]:
    env = os.environ | {
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_USER": "off",  # wrk is one user at hundreds of requests/s
    }
    if mode == "uncached":
        env["CACHE_URL"] = "dummycache://"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=REPO, env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/forecasts/revenue/?workspace={workspace_id}&periods=12"
        if model_type:
            url += f"&model_type={model_type}"
        headers = {"Authorization": f"Token {token}"}
        _wait_until_up(url, headers)
        for _ in range(4 * workers):  # every worker loads the model (and fills its cache)
            _wait_until_up(url, headers)
        warm = ["wrk", "-t1", f"-c{connections}", "-d2s", "-H", f"Authorization: Token {token}", url]
        subprocess.run(warm, check=True, capture_output=True)
        run = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
               "-H", f"Authorization: Token {token}", url]
        output = subprocess.run(run, check=True, capture_output=True, text=True).stdout
        return _parse_wrk(output)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2 = cores)")
    parser.add_argument("--connections", type=int, default=2, help="wrk connections (default 2)")
    parser.add_argument("--seconds", type=int, default=15, help="length of each measured run")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--algorithms", default="naive,seasonal_naive,ets,theta,arima,sarima,prophet,xgboost,lightgbm,lstm",
                        help="algorithms of the set-up training (each is also measured uncached by model_type)")
    parser.add_argument("--header", action="store_true", help="print the markdown table header")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    token, workspace_id, trained = setup([a for a in args.algorithms.split(",") if a])
    backend = "PostgreSQL" if "postgres" in os.environ["DATABASE_URL"] else "SQLite"
    cache = os.environ.get("CACHE_URL", "locmemcache://").split(":", 1)[0]
    if args.header:
        print(f"gunicorn workers: {args.workers}, wrk connections: {args.connections}, {args.seconds} s per run")
        print("| database | cache | mode | model | requests/s | p50 ms | p90 ms | p99 ms | non-2xx |")
        print("|---|---|---|---|---|---|---|---|---|")
    runs = [("cached", ""), ("uncached", "")] + [("uncached", a) for a in trained]
    for mode, model_type in runs:
        f = measure(mode=mode, token=token, workspace_id=workspace_id, port=args.port, workers=args.workers,
                    connections=args.connections, seconds=args.seconds, model_type=model_type)
        shown_cache = cache if mode == "cached" else "none (dummycache)"
        model = model_type or "deployed"
        print(f"| {backend} | {shown_cache} | {mode} | {model} | {f['rps']:.0f} | "
              f"{f['p50']:.2f} | {f['p90']:.2f} | {f['p99']:.2f} | {int(f['errors'])} |", flush=True)

if __name__ == "__main__":
    main()
