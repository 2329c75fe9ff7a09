"""One ARIMA fit inside a real Celery worker against the same fit in a plain process.

    .venv/bin/python benchmarks/worker/bench_arima_in_worker.py                  # filesystem broker
    .venv/bin/python benchmarks/worker/bench_arima_in_worker.py --broker redis://127.0.0.1:6379/15
    .venv/bin/python benchmarks/worker/bench_arima_in_worker.py --unpinned       # as before the pinning

The fit: ``ARIMAForecaster(season_length=12).fit(y)`` on the 48 monthly Sales totals of
``../shared/data/superstore_orders.csv`` (the ARIMA of every competition: KPSS, nine
orders and the drift by AIC). Every process makes one untimed fit first (imports and
first-use costs are not the fit's), then ``--fits`` timed fits; the figure is the median.

- **worker**: ``celery -A benchmarks.worker.worker_app worker --pool prefork
  --concurrency 2`` — the project's Celery app and its signal handlers, as the Procfile
  starts it, on a queue of its own and a broker folder (or Redis database) of its own.
  *alone*: one task at a time (the other pool process idle); *both busy*: two tasks at
  once, one per pool process — the worker's normal state during a retrain sweep.
  ``--unpinned`` disconnects the handlers that pin the thread pools (the worker as it
  was before them).
- **plain process**: ``python -c`` in the caller's environment: *default threads*
  (nothing set: OpenBLAS starts one thread per core) and *one thread*
  (``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1``), alone and two at
  once (the plain counterpart of the worker's *both busy*).

The target (issue 17): the fit in the worker within 1.5× of the plain process.
Results go to stdout and, with ``--write``, to the table of ``benchmarks/worker/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "superstore_orders.csv"
README = Path(__file__).resolve().parent / "README.md"
CELERY = Path(sys.executable).with_name("celery")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
START_TIMEOUT = 180


def monthly_sales() -> list[float]:
    import pandas as pd

    orders = pd.read_csv(DATA)
    month = pd.to_datetime(orders["Order Date"], format="%m/%d/%Y").dt.to_period("M")
    return [float(v) for v in orders.groupby(month)["Sales"].sum().to_numpy()]


def plain(values: list[float], fits: int, env: dict[str, str], at_once: int = 1) -> list[dict]:
    """The fits in ``at_once`` fresh ``python`` processes started together with ``env``
    (the worker task's own code)."""
    code = ("import json, sys; sys.path.insert(0, 'benchmarks/worker');"
            "from fit import fit_seconds;"
            f"print(json.dumps(fit_seconds(json.loads(sys.stdin.read()), 12, {fits})))")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=REPO, env=env) for _ in range(at_once)]
    results = []
    for proc in procs:
        out, _ = proc.communicate(json.dumps(values))
        if proc.returncode != 0:
            sys.exit("a plain process failed")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


class Worker:
    """A real Celery worker on a queue and broker of its own; stopped with its process group."""

    def __init__(self, folder: Path, broker: str | None, unpinned: bool = False, queue: str | None = None) -> None:
        self.queue = queue or f"bench-worker-{uuid.uuid4().hex[:10]}"
        self.log_path = folder / "worker.log"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
               "LEDGERWISE_VAR_DIR": str(folder / "var"), "CELERY_TASK_DEFAULT_QUEUE": self.queue,
               "CELERY_TASK_ALWAYS_EAGER": "false",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(name, None)  # the worker starts as the Procfile starts it: nothing set
        if broker:
            env["CELERY_BROKER_URL"] = broker
        if unpinned:
            env["LEDGERWISE_BENCH_UNPINNED"] = "1"
        self.env = env
        command = [str(CELERY), "-A", "benchmarks.worker.worker_app", "worker", "--loglevel", "INFO",
                   "--pool", "prefork", "--concurrency", "2", "--queues", self.queue,
                   "--hostname", f"{self.queue}@%h", "--without-heartbeat", "--without-gossip",
                   "--without-mingle"]
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while " ready." not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"The worker did not start:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def sender(folder: Path, broker: str | None):
    """The project's Celery app configured for the worker's broker, in this process."""
    os.environ["LEDGERWISE_VAR_DIR"] = str(folder / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if broker:
        os.environ["CELERY_BROKER_URL"] = broker
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from config.celery import app

    return app


def run_tasks(app, worker: Worker, out: Path, values: list[float], fits: int, at_once: int) -> list[dict]:
    """``at_once`` tasks sent together; their results once all have finished."""
    tags = [uuid.uuid4().hex for _ in range(at_once)]
    for tag in tags:
        app.send_task("bench.arima_fit", args=[str(out), tag, values, 12, fits], queue=worker.queue)
    return wait_for(out, tags, worker)


def wait_for(out: Path, tags: list[str], worker: Worker) -> list[dict]:
    """The result lines of the tasks ``tags``, once every one has written its line."""
    deadline = time.monotonic() + 600
    while True:
        # only whole lines: a task may be writing its own at this moment
        lines = [json.loads(x) for x in out.read_text().split("\n")[:-1]] if out.exists() else []
        done = [x for x in lines if x["tag"] in tags]
        if len(done) == len(tags):
            return done
        if time.monotonic() > deadline or worker.process.poll() is not None:
            worker.stop()
            sys.exit(f"The tasks did not finish:\n{worker.log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def forget_queue(app, queue: str) -> None:
    """Delete the run's queue and its bindings from the broker (a Redis database keeps them)."""
    try:
        with app.connection_for_write() as conn:
            bound = app.amqp.queues[queue](conn.default_channel)
            bound.declare()
            bound.delete()
    except Exception as exc:  # noqa: BLE001 - best effort: the name is unique to this run
        print(f"could not delete the queue {queue}: {exc!r}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", default=None, help="CELERY_BROKER_URL (default: the filesystem broker)")
    parser.add_argument("--fits", type=int, default=5, help="timed fits per task and per plain process")
    parser.add_argument("--rounds", type=int, default=3, help="tasks per scenario (each a fresh measurement)")
    parser.add_argument("--unpinned", action="store_true", help="the worker without the thread-pinning handlers")
    parser.add_argument("--write", action="store_true", help="append the rows to README.md's table")
    args = parser.parse_args()

    values = monthly_sales()
    rows: list[tuple[str, list[float], str]] = []
    clean = {k: v for k, v in os.environ.items() if k not in ONE_THREAD}
    scenarios = (("plain process, default threads", clean, 1), ("plain process, one thread", clean | ONE_THREAD, 1),
                 ("two plain processes at once, one thread each", clean | ONE_THREAD, 2))
    for label, env, at_once in scenarios:
        seconds, pools = [], ""
        for _ in range(args.rounds):
            for result in plain(values, args.fits, env, at_once):
                seconds += result["seconds"]
                pools = result["thread_pools"]
        rows.append((label, seconds, str(pools)))
        print(f"{label}: median {statistics.median(seconds):.3f} s", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        folder = Path(tmp)
        app = sender(folder, args.broker)
        worker = Worker(folder, args.broker, args.unpinned)
        mode = "unpinned (before)" if args.unpinned else "pinned"
        try:
            out = folder / "results.jsonl"
            tag = uuid.uuid4().hex
            app.send_task("bench.competition_mode", args=[str(out), tag], queue=worker.queue)
            mode_line = wait_for(out, [tag], worker)[0]
            print(f"a competition asking for n_jobs=2 in a pool process: {mode_line}", flush=True)
            for label, at_once in (("alone", 1), ("both busy", 2)):
                seconds, pools = [], ""
                for _ in range(args.rounds):
                    for result in run_tasks(app, worker, out, values, args.fits, at_once):
                        seconds += result["seconds"]
                        pools = result["thread_pools"]
                rows.append((f"Celery worker ({mode}), {label}", seconds, str(pools)))
                print(f"worker {mode}, {label}: median {statistics.median(seconds):.3f} s", flush=True)
        finally:
            worker.stop()
            forget_queue(app, worker.queue)

    load = os.getloadavg()
    broker = args.broker.split("://")[0] if args.broker else "filesystem"
    base = statistics.median(rows[1][1])
    lines = []
    for label, seconds, pools in rows:
        median = statistics.median(seconds)
        lines.append(f"| {datetime.now(tz=UTC):%Y-%m-%d %H:%M} | {broker} | {label} | {len(seconds)} | "
                     f"**{median:.2f}** | {min(seconds):.2f}–{max(seconds):.2f} | {median / base:.2f}× | "
                     f"{pools} | {load[0]:.1f} / {load[1]:.1f} |")
    print("\n".join(lines))
    if args.write:
        text = README.read_text()
        marker = "<!-- rows:end -->"
        README.write_text(text.replace(marker, "\n".join(lines) + "\n" + marker))


if __name__ == "__main__":
    main()
