"""What ``/metrics`` shows: the counters every process (gunicorn and Celery workers) wrote
to the shared multiprocess folder, added up, and the depth of the Celery queues, read from
the broker at scrape time.

The counters themselves live with what they count: ``config.middleware`` (requests),
``serving.metrics`` (predictions, cache hits), ``training.metrics`` (jobs),
``monitoring.notifications`` (alert notifications).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from config.celery import app as celery_app

logger = logging.getLogger(__name__)
UNKNOWN_DEPTH = -1


def queue_names() -> list[str]:
    """The queues tasks are sent to: the default one and any declared in the settings."""
    names = {celery_app.conf.task_default_queue}
    names.update(celery_app.amqp.queues.keys())
    return sorted(name for name in names if name)


def _depth(channel: Any, queue: str) -> int:
    # kombu's virtual transports know their size: Redis by LLEN over the priority lists,
    # the filesystem broker by counting the queue's message files. AMQP brokers report it
    # through their management API, which is not asked here.
    size = getattr(channel, "_size", None)
    return int(size(queue)) if callable(size) else UNKNOWN_DEPTH


def queue_depths() -> dict[str, int]:
    """Messages waiting in each queue; -1 for every queue when the broker cannot tell or
    cannot be reached."""
    names = queue_names()
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            return {name: _depth(channel, name) for name in names}
    except Exception:  # a scrape must answer whatever the broker does
        logger.warning("Could not read the Celery queue lengths from the broker", exc_info=True)
        return dict.fromkeys(names, UNKNOWN_DEPTH)


class QueueDepthCollector:
    """``ledgerwise_celery_queue_length{queue}``, read when scraped (no process owns it)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "ledgerwise_celery_queue_length", "Messages waiting in a Celery queue (-1: the broker cannot tell).",
            labels=["queue"],
        )
        for queue, depth in queue_depths().items():
            gauge.add_metric([queue], depth)
        yield gauge


def metrics_exposition() -> bytes:
    """The text a Prometheus scrape reads."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(QueueDepthCollector())
    return generate_latest(registry)
