"""Load benchmark: three API endpoints under 8 and 32 concurrent users (locust), on
PostgreSQL and Redis, served by gunicorn as in production.

    .venv/bin/python benchmarks/load/run.py --label "main"              # 8 and 32 users, 60 s each
    .venv/bin/python benchmarks/load/run.py --users 8 --seconds 30 --tasks transactions

Steps:

1. **Data** (``setup_data.py``, in its own process): the database of ``DATABASE_URL``
   (default ``postgres://postgres@127.0.0.1:5432/ledgerwise_load``; never CI's ``test``)
   is created if missing and migrated; ``manage.py seed_demo`` (three workspaces, three
   years of books); a monthly revenue forecaster and the categoriser trained and deployed
   in each; one user with an API token per simulated user, member of every workspace.
   Redis: the cache in database 4 and the Celery broker in database 5 (``CACHE_URL``,
   ``CELERY_BROKER_URL``), apart from CI's 0 and 1.
2. **Server**: gunicorn as the Procfile starts it (``config.wsgi``, 3 sync workers: the
   machine's two cores + 1), production settings (``DEBUG=false``), its access log with
   each request's time in the server.
3. **Load**: ``locust --headless`` in one process (``locustfile.py``) for each scenario —
   each endpoint alone, then the three mixed (equally likely) — and each number of users,
   ``--warmup`` seconds then ``--seconds`` measured; every user a closed loop (no think
   time: N users are N requests in flight). The load generator runs on the same two cores as the server: its CPU
   time is reported beside the results.

Per run and endpoint: requests, req/s, p50/p95/p99/max as locust saw them (the client:
queueing, server and the generator's own delays), the server's p50/p99 (gunicorn's
request time), non-2xx answers, the 1-minute load average before and after and the CPU
seconds of the generator and of the server. Appended to ``results.csv`` (``--results``)
and printed as a markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BIN = Path(sys.executable).parent
BENCH_DIR = REPO / "var" / "bench"

DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ledgerwise_load",
    "CACHE_URL": "redis://127.0.0.1:6379/4",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/5",
    "MEDIA_ROOT": str(BENCH_DIR / "load-media"),
    "LEDGERWISE_VAR_DIR": str(BENCH_DIR / "load-var"),
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-load-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    # The user throttle stays on (its cache read and write are part of every request) at a
    # rate no closed-loop user reaches, with a one-second window: its history stays as
    # short as a real client's, not hundreds of requests a second long.
    "API_THROTTLE_USER": "1000/s",
}
ENDPOINTS = ("forecast", "transactions", "categorise")
FIELDS = ["when", "commit", "label", "scenario", "database", "cache", "workers", "threads", "users", "endpoint", "requests",
          "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "server_p50_ms", "server_p99_ms", "non_2xx",
          "load1_before", "load1_after", "locust_cpu_s", "server_cpu_s", "seconds"]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the smallest value with ``pct`` % of values at or below it)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live children, from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _niced(nice: int):  # noqa: ANN202 - a preexec_fn
    """A child's priority raised (negative: root only) or lowered before it starts; its own
    children (gunicorn's workers) inherit it."""
    return (lambda: os.nice(nice)) if nice else None


def _git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    return result.stdout.strip() + ("+dirty" if dirty else "")


class Server:
    """gunicorn serving the project; its access log holds each request's time in the server."""

    def __init__(self, *, env: dict[str, str], port: int, workers: int, threads: int, log: Path,
                 nice: int = 0) -> None:
        self.port, self.log = port, log
        log.unlink(missing_ok=True)
        command = [str(BIN / "gunicorn"), "config.wsgi", "--workers", str(workers), "--threads", str(threads),
                   "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", str(log),
                   "--access-logformat", "%(t)s %(U)s %(s)s %(D)s"]
        self.process = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True,
                                        preexec_fn=_niced(nice))

    def wait_up(self, *, token: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/health/live/")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn exited")
            try:
                with urllib.request.urlopen(request, timeout=5):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise SystemExit("gunicorn did not answer")

    def cpu(self) -> float:
        return _process_cpu(self.process.pid)

    def log_mark(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def server_times(self, *, since: int, after: float) -> dict[str, list[float]]:
        """Server time (ms) of each request logged after byte ``since`` and at or after
        ``after`` (seconds since the epoch; the log's clock has whole seconds)."""
        paths = {"/api/v1/forecasts/": "forecast", "/api/v1/transactions/": "transactions",
                 "/api/v1/ml/categorize/": "categorise"}
        times: dict[str, list[float]] = defaultdict(list)
        with self.log.open("rb") as handle:
            handle.seek(since)
            for line in handle.read().decode(errors="replace").splitlines():
                try:
                    stamp, rest = line[1:].split("] ", 1)
                    path, _status, micros = rest.split()
                    when = dt.datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z").timestamp()
                except ValueError:
                    continue
                if when < math.floor(after):
                    continue
                for prefix, name in paths.items():
                    if path.startswith(prefix):
                        times[name].append(int(micros) / 1000)
        return times

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


def run_locust(*, env: dict[str, str], users: int, seconds: int, warmup: int, port: int, tasks: str,
               users_file: Path, samples: Path, wait: float, nice: int = 0) -> float:
    """Run locust headless; return its CPU seconds."""
    before = os.times()
    command = [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--users", str(users),
               "--spawn-rate", str(users), "--run-time", f"{warmup + seconds}s", "--stop-timeout", "10",
               "--host", f"http://127.0.0.1:{port}", "--only-summary", "--loglevel", "WARNING",
               "--exit-code-on-error", "0"]
    locust_env = env | {"LOAD_USERS_FILE": str(users_file), "LOAD_SAMPLES_FILE": str(samples),
                        "LOAD_WARMUP": str(warmup), "LOAD_TASKS": tasks, "LOAD_WAIT": str(wait)}
    subprocess.run(command, cwd=REPO, env=locust_env, check=True, stdout=subprocess.DEVNULL, preexec_fn=_niced(nice))
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def summarise(samples: Path, *, seconds: int) -> dict[str, dict[str, float]]:
    by_name: dict[str, list[float]] = defaultdict(list)
    bad: dict[str, int] = defaultdict(int)
    for line in samples.read_text().splitlines():
        if not line:
            continue
        name, _began, millis, status = line.split(",")
        by_name[name].append(float(millis))
        if not 200 <= int(status) < 300:
            bad[name] += 1
    return {
        name: {"requests": len(values), "rps": len(values) / seconds, "p50_ms": percentile(values, 50),
               "p95_ms": percentile(values, 95), "p99_ms": percentile(values, 99), "max_ms": max(values),
               "non_2xx": bad[name]}
        for name, values in by_name.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="8,32", help="concurrent users, one run each (default 8,32)")
    parser.add_argument("--seconds", type=int, default=60, help="measured seconds of each run")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured seconds at the start of each run")
    parser.add_argument("--scenarios", default="forecast,transactions,categorise,mixed",
                        help="each endpoint alone, and `mixed` (all three, equally likely), one run per users count")
    parser.add_argument("--wait", type=float, default=0.0, help="think time of each user between requests (s)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as the Procfile)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1, as the Procfile)")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness of the server and the load generator (e.g. -15, as root: ahead of other "
                             "work on a shared machine; PostgreSQL and Redis keep theirs)")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--label", default="", help="a name for this run in the results file")
    parser.add_argument("--results", default=str(HERE / "results.csv"), help="CSV the rows are appended to")
    parser.add_argument("--reseed", action="store_true", help="re-create the demo books first")
    args = parser.parse_args()

    env = {**os.environ}
    for name, value in DEFAULTS.items():
        env.setdefault(name, value)
    database = urlparse(env["DATABASE_URL"])
    if database.path.lstrip("/") == "test":
        raise SystemExit("DATABASE_URL names `test`, CI's database: give the benchmark its own.")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    users = [int(u) for u in args.users.split(",") if u]
    users_file = BENCH_DIR / "load-users.json"
    setup = [str(BIN / "python"), str(HERE / "setup_data.py"), "--out", str(users_file), "--users", str(max(users))]
    subprocess.run(setup + (["--reseed"] if args.reseed else []), cwd=REPO, env=env, check=True)

    token = json.loads(users_file.read_text())["users"][0]["token"]
    server_env = env | SERVER_ENV
    server = Server(env=server_env, port=args.port, workers=args.workers, threads=args.threads,
                    log=BENCH_DIR / "load-access.log", nice=args.nice)
    rows = []
    try:
        server.wait_up(token=token)
        for scenario, count in [(s, u) for s in args.scenarios.split(",") if s for u in users]:
            tasks = ",".join(ENDPOINTS) if scenario == "mixed" else scenario
            with tempfile.TemporaryDirectory() as tmp:
                samples = Path(tmp) / "samples.csv"
                load_before = os.getloadavg()[0]
                cpu_before, mark, started = server.cpu(), server.log_mark(), time.time()
                locust_cpu = run_locust(env=env, users=count, seconds=args.seconds, warmup=args.warmup,
                                        port=args.port, tasks=tasks, users_file=users_file, samples=samples,
                                        wait=args.wait, nice=args.nice)
                server_cpu = server.cpu() - cpu_before
                load_after = os.getloadavg()[0]
                stats = summarise(samples, seconds=args.seconds)
                server_times = server.server_times(since=mark, after=started + args.warmup)
            for name in ENDPOINTS:
                if name not in stats:
                    continue
                rows.append({
                    "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"), "commit": _git_commit(),
                    "label": args.label + (f" (nice {args.nice})" if args.nice else ""), "scenario": scenario, "database": database.scheme.replace("postgres", "postgresql"),
                    "cache": urlparse(env["CACHE_URL"]).scheme, "workers": args.workers,
                    "threads": args.threads, "users": count, "endpoint": name, **stats[name],
                    "server_p50_ms": percentile(server_times.get(name, []), 50),
                    "server_p99_ms": percentile(server_times.get(name, []), 99),
                    "load1_before": load_before, "load1_after": load_after,
                    "locust_cpu_s": locust_cpu, "server_cpu_s": server_cpu, "seconds": args.seconds,
                })
    finally:
        server.stop()

    results = Path(args.results)
    new = not results.exists()
    with results.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.2f}" if isinstance(v, float) else v) for k, v in row.items()})
    print(f"| load | users | endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | server p50 / p99 ms "
          f"| non-2xx | load avg (1 min) before → after | CPU s locust / server ({args.seconds + args.warmup} s) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {r['users']} | {r['endpoint']} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | "
              f"{r['p95_ms']:.1f} | **{r['p99_ms']:.1f}** | {r['max_ms']:.1f} | "
              f"{r['server_p50_ms']:.1f} / {r['server_p99_ms']:.1f} | {r['non_2xx']} | "
              f"{r['load1_before']:.2f} → {r['load1_after']:.2f} | {r['locust_cpu_s']:.0f} / {r['server_cpu_s']:.0f} |")


if __name__ == "__main__":
    main()
