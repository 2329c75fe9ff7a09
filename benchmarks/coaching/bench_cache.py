"""Benchmark: the coaching endpoints answered from the prediction cache against computed,
on the demo books, and what forgetting them costs a write.

    .venv/bin/python benchmarks/coaching/bench_cache.py
    CACHE_URL=redis://127.0.0.1:6379/9 .venv/bin/python benchmarks/coaching/bench_cache.py

Seeds the demo (``seed_demo``'s generator, seed 42, ``--years`` ending ``--end``) into its
own SQLite file (``var/bench/coaching_cache.sqlite3``, replaced on each run), segments it,
deploys nothing (the financial forecast then answers "no forecaster deployed" quickly, so
its row measures the lookup, not the models). Then, signed in as the demo's first user
through Django's test client (the whole request cycle, DEBUG off), each endpoint is asked
``--requests`` times with the cache off (every ``COACHING_CACHE_TTLS`` 0: computed each
time) and ``--requests`` times after one request filled it; the table gives the median
and p95 in milliseconds. Last, one book write's forgetting (the after-commit bump of the
workspace's books generation) is timed over 2,000 calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.django_setup import database_ready, use_database  # noqa: E402

OWN_DATABASE = use_database("coaching_cache")

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from coaching.demo import demo_seed  # noqa: E402
from coaching.services.prediction_cache import prediction_cache_books_changed  # noqa: E402
from coaching.services.segments import segments_refresh  # noqa: E402
from finance.models import Membership  # noqa: E402

ENDPOINTS = (
    "/api/v1/financial/spending-patterns/", "/api/v1/financial/category-preferences/",
    "/api/v1/financial/financial-personality/", "/api/v1/coaching/segment-insights/",
    "/api/v1/coaching/financial-forecast/", "/api/v1/coaching/insights/", "/api/v1/coaching/peer-comparison/",
)


def timed(client: Client, path: str, workspace: int, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, {"workspace": workspace})
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"{path}: {response.status_code} {response.content[:200]!r}")
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30))
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    settings.DEBUG = False
    database_ready(own=OWN_DATABASE)
    setup_test_environment()  # the test client on a real server's settings (ALLOWED_HOSTS)
    started = time.perf_counter()
    demo_seed(seed=42, years=args.years, end_date=args.end)
    segments_refresh()
    print(f"# seeded and segmented in {time.perf_counter() - started:.0f} s; cache "
          f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}", file=sys.stderr)
    membership = Membership.objects.select_related("user").order_by("user__username", "workspace_id").first()
    client = Client()
    client.force_login(membership.user)

    ttls = dict(settings.COACHING_CACHE_TTLS)
    print("| endpoint | computed median (ms) | computed p95 | cached median (ms) | cached p95 |")
    print("|---|---:|---:|---:|---:|")
    for path in ENDPOINTS:
        settings.COACHING_CACHE_TTLS = dict.fromkeys(ttls, 0)
        computed = timed(client, path, membership.workspace_id, args.requests)
        settings.COACHING_CACHE_TTLS = ttls
        cache.clear()
        timed(client, path, membership.workspace_id, 1)  # fills it
        cached = timed(client, path, membership.workspace_id, args.requests)
        print(f"| `{path}` | {statistics.median(computed):.1f} | {p95(computed):.1f} | "
              f"{statistics.median(cached):.1f} | {p95(cached):.1f} |", flush=True)

    calls = 2000
    started = time.perf_counter()
    for _ in range(calls):  # outside a transaction: the bump runs at once
        prediction_cache_books_changed(workspace_id=membership.workspace_id)
    print(f"\nforgetting a workspace's answers (one write): "
          f"{(time.perf_counter() - started) / calls * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
