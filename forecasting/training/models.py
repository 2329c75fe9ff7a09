"""Training jobs (one lifecycle for forecasters and classifiers) and the learning
state of each target: new-data counters, last training and the training lock."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from finance.models import Workspace
from forecasting.registry.models import ModelKind


class TrainingJob(models.Model):
    """One training run for a target: the competition, its candidates and the decision."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual (user)"
        AUTO = "auto", "Auto-learning (new data)"
        SCHEDULE = "schedule", "Schedule"
        FEEDBACK = "feedback", "Feedback"
        DEGRADATION = "degradation", "Degradation alert"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="training_jobs")
    target = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=ModelKind.choices, default=ModelKind.FORECASTER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.MANUAL)
    algorithms = models.JSONField(default=list, blank=True, help_text="Requested algorithms; empty = all.")
    params = models.JSONField(default=dict, blank=True, help_text="Frequency, horizon and other options.")
    progress = models.PositiveSmallIntegerField(default=0)
    results = models.JSONField(default=list, blank=True, help_text="Per-algorithm status, reason, metrics.")
    decision = models.TextField(blank=True, default="", help_text="Why the winner was or was not deployed.")
    error = models.TextField(
        blank=True, default="", help_text="Why it failed, in one line for the workspace's members."
    )
    error_detail = models.TextField(
        blank=True, default="", help_text="The traceback of a failure: staff only (admin and logs), never the API."
    )
    celery_task_id = models.CharField(
        max_length=64, blank=True, default="",
        help_text="The id of the message that may run this job (a re-sent job's older messages are ignored).",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    winner = models.ForeignKey(
        "ModelVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deployed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the job's message was last handed to the broker (empty: never)."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True,
        help_text="The running job's last sign of life (refreshed while it runs; a pending retry counts until due).",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "target", "status"], name="job_target_status_idx"),
            # the reaper's every-minute look at the queued and running jobs of every workspace
            models.Index(fields=["status", "created_at"], name="job_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} {self.target} ({self.get_status_display().lower()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
