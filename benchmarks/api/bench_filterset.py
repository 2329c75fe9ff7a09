"""Benchmark: the CPU time of the transactions list's filters per request, in-process.

    .venv/bin/python benchmarks/api/bench_filterset.py [--requests 2000]

What DRF's ``DjangoFilterBackend.filter_queryset`` does on ``GET /api/v1/transactions/``
(the FilterSet built from the query, validated, its filters applied to the queryset; the
rows are not fetched), timed two ways on the same process and data:

* **full form** — what django-filter's own ``is_valid`` / ``qs`` do: a form of every filter
  is deep-copied and cleaned on each request (the form class is cached either way);
* **named filters** — ``finance.api.filters.FilterSet``: only the filters the query names.

Process CPU time (``time.process_time``, steadier than wall time on a shared machine), the
best of 7 runs of ``--requests`` requests, per query: none, the workspace only (as the
load benchmark's list; its check is one query), and four filters. Its own SQLite file under
``var/bench/`` unless ``DATABASE_URL`` is set.
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
from django_setup import database_ready, use_database  # noqa: E402

OWN = use_database("filterset")

from django.db.models import QuerySet  # noqa: E402
from django.http import QueryDict  # noqa: E402

from finance.api.filters import TransactionFilter  # noqa: E402
from finance.models import Transaction, Workspace  # noqa: E402


def full_form(data: QueryDict) -> QuerySet:
    """django-filter's own ``is_valid`` and ``qs`` (its ``BaseFilterSet``): the form of every
    filter validated, its cleaned data applied."""
    filterset = TransactionFilter(data, Transaction.objects.all())
    form = filterset.form
    assert form.is_valid()
    queryset = filterset.queryset.all()
    for name, value in form.cleaned_data.items():
        queryset = filterset.filters[name].filter(queryset, value)
    return queryset


def named_filters(data: QueryDict) -> QuerySet:
    filterset = TransactionFilter(data, Transaction.objects.all())
    assert filterset.is_valid()
    return filterset.qs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    database_ready(own=OWN)
    workspace = Workspace.objects.order_by("pk").first() or Workspace.objects.create(name="Bench", slug="bench")
    queries = {
        "none": "",
        "workspace": f"workspace={workspace.pk}",
        "4 filters": f"workspace={workspace.pk}&kind=expense&date__gte=2025-01-01&amount__lte=100",
    }
    print("| query | full form ms | named filters ms |\n|---|---:|---:|")
    for label, query in queries.items():
        data = QueryDict(query)
        assert str(named_filters(data).query) == str(full_form(data).query), label  # the same rows
        times = []
        for run in (full_form, named_filters):
            run(data)
            best = min(timeit.repeat(lambda run=run, data=data: run(data), number=args.requests, repeat=7, timer=time.process_time))
            times.append(best / args.requests * 1000)
        print(f"| {label} | {times[0]:.3f} | {times[1]:.3f} |")


if __name__ == "__main__":
    main()
