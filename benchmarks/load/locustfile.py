"""Locust users of the load benchmark: the three endpoints a mobile client calls most.

    .venv/bin/python benchmarks/load/run.py          # sets everything up and runs this file

Each simulated user takes its own API token (``load-01`` …, written by
``setup_data.py`` to ``LOAD_USERS_FILE``) and, one request after another with no think
time (``LOAD_WAIT`` seconds between them, default 0: a closed loop, so N users are N
requests in flight), picks one of:

* ``forecast`` — ``GET /api/v1/forecasts/revenue/?workspace=…&periods=12``: the deployed
  monthly revenue forecast, cached (the first request of each workspace fills the cache);
* ``transactions`` — ``GET /api/v1/transactions/?workspace=…``: the first page (50 rows);
* ``categorise`` — ``POST /api/v1/ml/categorize/`` with one description of the workspace's
  books: the deployed categoriser's suggestion.

The workspace of each request is one of the demo workspaces at random. ``LOAD_TASKS``
(comma-separated names) runs only some of the tasks.

Latencies are kept exactly (locust's own statistics round them to whole milliseconds):
every answer after the first ``LOAD_WARMUP`` seconds of the run is written to
``LOAD_SAMPLES_FILE`` as ``name,start (s since the epoch),milliseconds,status`` lines.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

from locust import FastHttpUser, constant, events

DATA = json.loads(Path(os.environ["LOAD_USERS_FILE"]).read_text())
TASKS = {name.strip() for name in os.environ.get("LOAD_TASKS", "forecast,transactions,categorise").split(",")}
WARMUP = float(os.environ.get("LOAD_WARMUP", "0"))
SAMPLES = Path(os.environ["LOAD_SAMPLES_FILE"]) if os.environ.get("LOAD_SAMPLES_FILE") else None

_tokens = iter(DATA["users"] * 100)
_state: dict = {"started": None, "rows": []}


@events.test_start.add_listener
def _started(**kwargs: object) -> None:
    _state["started"] = time.time()


@events.request.add_listener
def _record(*, name: str, response_time: float, response: object = None, exception: object = None,
            start_time: float | None = None, **kwargs: object) -> None:
    began = start_time if start_time is not None else time.time() - response_time / 1000
    if _state["started"] is None or began - _state["started"] < WARMUP:
        return
    status = getattr(response, "status_code", 0) or 0
    _state["rows"].append(f"{name},{began:.6f},{response_time:.3f},{status if exception is None else 0}")


@events.quitting.add_listener
def _write(**kwargs: object) -> None:
    if SAMPLES is not None:
        SAMPLES.write_text("\n".join(_state["rows"]) + "\n")


def _workspace() -> dict:
    return random.choice(DATA["workspaces"])


def forecast(user: FastHttpUser) -> None:
    workspace = _workspace()
    user.client.get(f"/api/v1/forecasts/revenue/?workspace={workspace['id']}&periods=12",
                    headers=user.headers, name="forecast")


def transactions(user: FastHttpUser) -> None:
    user.client.get(f"/api/v1/transactions/?workspace={_workspace()['id']}", headers=user.headers,
                    name="transactions")


def categorise(user: FastHttpUser) -> None:
    workspace = _workspace()
    user.client.post("/api/v1/ml/categorize/", headers=user.headers, name="categorise",
                     json={"workspace": workspace["id"], "description": random.choice(workspace["descriptions"])})


ALL_TASKS = {"forecast": forecast, "transactions": transactions, "categorise": categorise}
unknown = TASKS - set(ALL_TASKS)
if unknown:
    raise SystemExit(f"LOAD_TASKS: unknown task(s) {', '.join(sorted(unknown))}; known: {', '.join(ALL_TASKS)}")


class ApiUser(FastHttpUser):
    """One client with its own token; one task after another, equally likely."""

    tasks = [ALL_TASKS[name] for name in ALL_TASKS if name in TASKS]
    wait_time = constant(float(os.environ.get("LOAD_WAIT", "0")))

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Token {next(_tokens)['token']}"}
