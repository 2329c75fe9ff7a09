"""Where the time of one request of the load benchmark goes: in-process, one request after
another (no concurrency), through the whole Django stack (middleware, DRF, database,
cache) with the benchmark's settings and data.

    .venv/bin/python benchmarks/load/run.py --users 8 --seconds 5     # once: the data
    .venv/bin/python benchmarks/load/profile_requests.py               # queries and timings
    .venv/bin/python benchmarks/load/profile_requests.py --profile transactions   # + pyinstrument

Prints, per endpoint, the SQL it runs (with each statement's time) and the median and p90 of
``--requests`` requests. ``--profile NAME`` also prints a pyinstrument profile of that
endpoint over the same requests (``pip install pyinstrument``; not a project requirement).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
from run import BENCH_DIR, DEFAULTS, SERVER_ENV  # noqa: E402

for _name, _value in (DEFAULTS | SERVER_ENV).items():
    os.environ.setdefault(_name, _value)
os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", default="", help="an endpoint to profile with pyinstrument")
    parser.add_argument("--workspace", type=int, default=0, help="workspace id (default: the first)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    data = json.loads((BENCH_DIR / "load-users.json").read_text())
    workspace = next((w for w in data["workspaces"] if w["id"] == args.workspace), data["workspaces"][0])
    client = Client(HTTP_AUTHORIZATION=f"Token {data['users'][0]['token']}")
    description = workspace["descriptions"][0]
    calls = {
        "forecast": lambda: client.get(f"/api/v1/forecasts/revenue/?workspace={workspace['id']}&periods=12"),
        "transactions": lambda: client.get(f"/api/v1/transactions/?workspace={workspace['id']}"),
        "categorise": lambda: client.post("/api/v1/ml/categorize/", {"workspace": workspace["id"],
                                          "description": description}, content_type="application/json"),
    }
    for name, call in calls.items():
        for _ in range(3):
            assert call().status_code == 200, name
        with CaptureQueriesContext(connection) as queries:
            call()
        print(f"## {name}: {len(queries)} queries")
        for query in queries.captured_queries:
            print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:400]}")
        timings, cpu = [], []
        profiler = None
        if name == args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        for _ in range(args.requests):
            reset_queries()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = call()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=True))
        timings.sort()
        print(f"  wall median {statistics.median(timings):.2f} ms, p90 {timings[int(0.9 * len(timings))]:.2f} ms; "
              f"CPU of this process median {statistics.median(cpu):.2f} ms; {args.requests} requests, one at a time\n")


if __name__ == "__main__":
    main()
