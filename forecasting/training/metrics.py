"""Prometheus metrics of training: how jobs end and how long they ran, by model kind."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from forecasting.training.models import TrainingJob

TRAINING_JOBS = Counter(
    "ledgerwise_training_jobs_total", "Training jobs finished, by model kind and status (succeeded, failed, skipped).",
    ["kind", "status"],
)
TRAINING_SECONDS = Histogram(
    "ledgerwise_training_duration_seconds", "Wall time of a training job from start to finish, by model kind and status.",
    ["kind", "status"], buckets=(1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600),
)


def training_job_observe(job: TrainingJob) -> None:
    """Count a finished job, and its duration when it started (a skipped job never did)."""
    TRAINING_JOBS.labels(job.kind, job.status).inc()
    if (seconds := job.duration_seconds) is not None:
        TRAINING_SECONDS.labels(job.kind, job.status).observe(seconds)
