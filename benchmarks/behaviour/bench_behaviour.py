"""Benchmark of the behaviour pipeline (issue 19): what recording costs a request, how fast
buffered events are written, and how often the change detection flags steady and
changed members.

    .venv/bin/python benchmarks/behaviour/bench_behaviour.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledgerwise_bench_behaviour \\
        CELERY_BROKER_URL=redis://127.0.0.1:6379/3 .venv/bin/python benchmarks/behaviour/bench_behaviour.py

1. **Middleware** — µs added to one request by :class:`coaching.behaviour.middleware.BehaviourMiddleware`:
   the middleware around a view that returns a rendered page at once, against the view
   alone (the same request object, runs interleaved, medians of ``--rounds``), for a page
   view, a page view with a filter and a search (three events), an API list with filters
   (two events) and an ignored path (``/static/``). The buffer is emptied between rounds
   and no flush happens inside the timed loop (a flush runs after the answer is sent).
2. **Flush, web side** — µs per event to prepare a full buffer (privacy filter, uid) and hand
   it to the task queue as one message (the configured broker; a private queue, purged).
3. **Flush, worker side** — events per second written by
   :func:`coaching.services.events.behavioral_events_write` (the Celery task's body), in
   batches of 200 (a full buffer) and of 1,000, and the INSERT statements per batch.
4. **Detection** — share of simulated members flagged by
   :func:`coaching.behaviour.changes.behaviour_changes`: steady members (Poisson sessions,
   1 + Poisson(2) events each, the same rate in baseline and window; any flag is a false
   one) and members whose sessions fell to 30 % in the last 30 days, at several rates (no
   database).

Without ``DATABASE_URL`` the script uses its own SQLite file (``var/bench/behaviour.sqlite3``).
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

own = use_database("behaviour")

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.signed_cookies import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import engines  # noqa: E402
from django.template.response import SimpleTemplateResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import resolve  # noqa: E402

from coaching.behaviour.buffer import (  # noqa: E402
    PendingEvent,
    behavioral_events_prepare,
    behavioral_events_send,
    buffer,
)
from coaching.behaviour.changes import behaviour_changes  # noqa: E402
from coaching.behaviour.context import SESSION_KEY  # noqa: E402
from coaching.behaviour.features import MemberEvents  # noqa: E402
from coaching.behaviour.middleware import BehaviourMiddleware  # noqa: E402
from coaching.models import BehavioralEvent  # noqa: E402
from coaching.services.events import behavioral_events_write  # noqa: E402
from config.celery import app as celery_app  # noqa: E402
from finance.models import Membership, Workspace  # noqa: E402

BENCH_USER = "bench-behaviour"


def member() -> tuple[Workspace, object]:
    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    workspace, _ = Workspace.objects.get_or_create(slug="bench-behaviour", defaults={"name": "Bench behaviour"})
    Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": "owner"})
    return workspace, user


def request_for(path: str, query: dict, user, workspace):  # noqa: ANN001, ANN201
    request = RequestFactory().get(path, query, HTTP_REFERER="http://testserver/budgets/")
    request.user = user
    request.session = SessionStore()
    request.session[SESSION_KEY] = ["0" * 32, int(time.time())]
    request.resolver_match = resolve(path)
    response = SimpleTemplateResponse(engines["django"].from_string("<p>ok</p>"), {"workspace": workspace})
    response.render()
    return request, response


def middleware_cost(*, user, workspace, iterations: int, rounds: int) -> list[tuple[str, int, float, float]]:
    cases = [
        ("page view", "/goals/", {}),
        ("page view + filter + search", "/transactions/", {"kind": "expense", "q": "rent", "page": "2"}),
        ("API list + filter + search", "/api/v1/transactions/", {"workspace": str(workspace.pk), "kind": "expense",
                                                                 "search": "rent"}),
        ("ignored path (/static/)", "/static/css/app.css", {}),
    ]
    rows = []
    for name, path, query in cases:
        request, response = request_for(path if not path.startswith("/static/") else "/goals/", query, user, workspace)
        if path.startswith("/static/"):
            request.path = request.path_info = path

        def view(_request, response=response):  # noqa: ANN001, ANN202
            return response

        wrapped = BehaviourMiddleware(view)
        events = 0
        plain, tracked = [], []
        for r in range(rounds):
            order = (False, True) if r % 2 == 0 else (True, False)
            for with_middleware in order:
                call = wrapped if with_middleware else view
                buffer.forget()
                start = time.perf_counter_ns()
                for _ in range(iterations):
                    call(request)
                elapsed = (time.perf_counter_ns() - start) / iterations / 1000
                (tracked if with_middleware else plain).append(elapsed)
                if with_middleware:
                    events = len(buffer) // iterations
        buffer.forget()
        rows.append((name, events, statistics.median(plain), statistics.median(tracked)))
    return rows


def pending(workspace, user, n: int) -> list[PendingEvent]:
    now = time.time()
    return [PendingEvent(workspace.pk, user.pk, "page_view",
                         {"view": "finance:transactions", "path": "/transactions/", "page": 2, "from_path": "/budgets/"},
                         "0" * 32, now - n + i) for i in range(n)]


def web_flush_cost(*, workspace, user, batches: int) -> tuple[float, float, str]:
    """µs per event to prepare a 200-event buffer, and to send it (one message)."""
    queue = f"bench-behaviour-{int(time.time())}"
    celery_app.conf.task_default_queue = queue
    size = settings.BEHAVIOUR_BUFFER_MAX_EVENTS
    prepare, send = [], []
    outcome = ""
    try:
        for _ in range(batches):
            events = pending(workspace, user, size)
            t0 = time.perf_counter()
            prepared = behavioral_events_prepare(events)
            t1 = time.perf_counter()
            outcome = behavioral_events_send(events=prepared)
            t2 = time.perf_counter()
            prepare.append((t1 - t0) / size * 1e6)
            send.append((t2 - t1) / size * 1e6)
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
    return statistics.median(prepare), statistics.median(send), outcome


def worker_throughput(*, workspace, user, total: int, batch: int) -> tuple[float, int]:
    BehavioralEvent.objects.filter(user=user).delete()
    batches = [behavioral_events_prepare(pending(workspace, user, batch)) for _ in range(total // batch)]
    with CaptureQueriesContext(connection) as queries:
        behavioral_events_write(events=batches[0])
    inserts = sum(q["sql"].lstrip().upper().startswith("INSERT") for q in queries.captured_queries)
    start = time.perf_counter()
    for events in batches[1:]:
        behavioral_events_write(events=events)
    elapsed = time.perf_counter() - start
    written = BehavioralEvent.objects.filter(user=user).count()
    assert written == total, (written, total)
    BehavioralEvent.objects.filter(user=user).delete()
    return (total - batch) / elapsed, inserts


def simulated_member(rng: np.random.Generator, *, rate: float, window_factor: float) -> MemberEvents:
    today = dt.date(2026, 6, 1)
    events = MemberEvents(today=today, window_days=settings.BEHAVIOUR_CHANGE_WINDOW_DAYS,
                          baseline_days=settings.BEHAVIOUR_BASELINE_DAYS)
    days = events.baseline_days + events.window_days
    n = 0
    for i in range(days):
        day = events.baseline_start + dt.timedelta(days=i)
        in_window = i >= events.baseline_days
        for _ in range(int(rng.poisson(rate * (window_factor if in_window else 1.0)))):
            n += 1
            at = dt.datetime.combine(day, dt.time(int(rng.integers(7, 23))), tzinfo=dt.UTC)
            for k in range(1 + int(rng.poisson(2))):
                events.events.append((at + dt.timedelta(minutes=k), "page_view", f"s{n}"))
    return events


def _flags(events: MemberEvents) -> set[str]:
    return {c.direction for c in behaviour_changes(events=events) if c.flagged}


def detection(*, members: int, seed: int) -> list[tuple[float, float, float, float]]:
    """Per rate: the shares of steady members flagged with a drop and with a rise, and of
    members down to 30 % flagged with a drop."""
    rng = np.random.default_rng(seed)
    rows = []
    for rate in (0.2, 0.5, 1.0, 2.0, 4.0):
        steady = [_flags(simulated_member(rng, rate=rate, window_factor=1)) for _ in range(members)]
        dropped = [_flags(simulated_member(rng, rate=rate, window_factor=0.3)) for _ in range(members)]
        rows.append((rate, sum("drop" in f for f in steady) / members, sum("rise" in f for f in steady) / members,
                     sum("drop" in f for f in dropped) / members))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000, help="requests per timed round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--events", type=int, default=10_000, help="events written per throughput run")
    parser.add_argument("--members", type=int, default=400, help="simulated members per rate (detection)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    database_ready(own=own)
    settings.DEBUG = False
    workspace, user = member()
    vendor = connection.vendor
    broker = settings.CELERY_BROKER_URL.split("://")[0]

    print(f"## Middleware ({vendor}; median of {args.rounds} rounds × {args.iterations:,} requests)\n")
    print("| request | events | view alone (µs) | with the middleware (µs) | added (µs) |")
    print("|---|---:|---:|---:|---:|")
    for name, events, plain, tracked in middleware_cost(user=user, workspace=workspace, iterations=args.iterations,
                                                        rounds=args.rounds):
        print(f"| {name} | {events} | {plain:.2f} | {tracked:.2f} | **{tracked - plain:.1f}** |")

    prepare, send, outcome = web_flush_cost(workspace=workspace, user=user, batches=20)
    print(f"\n## Flush, web side ({broker} broker, buffers of {settings.BEHAVIOUR_BUFFER_MAX_EVENTS}: {outcome})\n")
    print("| step | µs per event | events/s |")
    print("|---|---:|---:|")
    print(f"| prepare (privacy filter, uid) | {prepare:.1f} | {1e6 / prepare:,.0f} |")
    print(f"| send (one message per buffer) | {send:.1f} | {1e6 / send:,.0f} |")

    print(f"\n## Flush, worker side ({vendor}, {args.events:,} events)\n")
    print("| batch | INSERT statements per batch | events/s |")
    print("|---:|---:|---:|")
    for batch in (200, 1000):
        rate, inserts = worker_throughput(workspace=workspace, user=user, total=args.events, batch=batch)
        print(f"| {batch:,} | {inserts} | **{rate:,.0f}** |")

    print(f"\n## Detection (|z| ≥ {settings.BEHAVIOUR_CHANGE_Z:g}, moved ≥ {settings.BEHAVIOUR_CHANGE_MIN_RATIO:.0%};"
          f" {args.members} simulated members per rate)\n")
    print("| sessions a day | steady members flagged: drop | steady members flagged: rise | members down to 30 %: drop "
          "found |")
    print("|---:|---:|---:|---:|")
    for rate, false_drop, false_rise, found in detection(members=args.members, seed=args.seed):
        print(f"| {rate:g} | {false_drop:.1%} | {false_rise:.1%} | **{found:.1%}** |")


if __name__ == "__main__":
    main()
