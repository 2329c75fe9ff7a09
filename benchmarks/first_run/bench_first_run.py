"""The first run: from ``make run`` to the first forecast on the Overview, as a new user
meets it.

    .venv/bin/python benchmarks/first_run/bench_first_run.py            # the installed checkout
    .venv/bin/python benchmarks/first_run/bench_first_run.py --write    # and append to README.md

``make run`` is started in this checkout with a fresh ``LEDGERWISE_VAR_DIR`` (an empty
SQLite database, broker folder and model store: a first run; the virtualenv is the
checkout's, so ``pip install`` is not timed — a clean clone adds the install, measured
apart in the README) on a free port. Then, as the demo user would: log in, open the
Overview every 2 s and look for a forecast chart. The clock starts when ``make run``
starts; the figures are

- *first page*: the first Overview answered 200 (migrate, the demo books, collectstatic,
  the web server up);
- *first forecast*: the first Overview showing a forecast (the worker trained and
  deployed the demo workspace's revenue or expense model);
- *all totals*: every total the demo user's Overview shows (revenue and expense) has one;
- *all models*: every auto-learned target of every demo workspace has a deployed
  version or a finished job (read from the run's database).

Target (issue 20): the first forecast within 2 minutes of the first page.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = Path(__file__).resolve().parent / "README.md"
TIMEOUT = 1200
TOTALS = ("revenue", "expense")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A session with cookies, as the demo user's browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def login(self, username: str, password: str) -> bool:
        status, page = self.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            return False
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": username,
                                       "password": password}).encode()
        request = urllib.request.Request(self.base + "/login/", data=body, headers={"Referer": self.base + "/login/"})
        with self.opener.open(request, timeout=30) as response:
            return "/login/" not in response.url


def deployed(db: Path) -> set[tuple[int, str]]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        rows = conn.execute("SELECT workspace_id, target FROM forecasting_modelversion WHERE status='deployed'")
        return set(rows.fetchall())


def open_work(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        return conn.execute("SELECT count(*) FROM forecasting_trainingjob WHERE status IN ('queued','running')"
                            ).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="append the result to README.md's table")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-first-run-") as tmp:
        var = Path(tmp) / "var"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")}
        env |= {"LEDGERWISE_VAR_DIR": str(var), "WEB_PORT": str(port), "PYTHONUNBUFFERED": "1"}
        log = (Path(tmp) / "run.log").open("wb")
        started = time.monotonic()
        run = subprocess.Popen(["make", "run"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
        marks: dict[str, float] = {}
        try:
            browser = Browser(base)
            while time.monotonic() - started < TIMEOUT:
                if run.poll() is not None:
                    sys.exit(f"make run stopped:\n{(Path(tmp) / 'run.log').read_text(errors='replace')[-3000:]}")
                now = time.monotonic() - started
                if "login" not in marks:
                    with contextlib.suppress(OSError):
                        if browser.login("demo", "demo"):
                            marks["login"] = now
                    time.sleep(1)
                    continue
                status, page = browser.get("/")
                if status == 200:
                    marks.setdefault("first page", now)
                    shown = set(re.findall(r'data-forecast-chart="(\w+)"', page))
                    if shown:
                        marks.setdefault("first forecast", now)
                    if set(TOTALS) <= shown:
                        marks.setdefault("all totals", now)
                db = var / "db.sqlite3"
                if "all totals" in marks and open_work(db) == 0:
                    marks["all models"] = now
                    models = len(deployed(db))
                    break
                time.sleep(2)
            else:
                sys.exit(f"not done after {TIMEOUT} s: {marks}")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)
            log.close()
    first = marks["first page"]
    row = (f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {marks['first page']:.0f} | {marks['first forecast']:.0f} "
           f"(+{marks['first forecast'] - first:.0f}) | {marks['all totals']:.0f} (+{marks['all totals'] - first:.0f}) | "
           f"{marks['all models']:.0f} | {models} | {os.getloadavg()[0]:.1f} |")
    print(row)
    if args.write:
        with README.open("a") as handle:
            handle.write(row + "\n")


if __name__ == "__main__":
    main()
