"""Behavioural data the coaching models learn from, the segments found in it, and the
bandit-chosen recommendations with their feedback."""

import math
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from finance.models import Workspace

#: The largest amount an event may carry (a goal's target is below 10^12: 14 digits, 2 decimals).
MAX_EVENT_AMOUNT = 10**12
AMOUNT_KEY_RE = re.compile(r"amount", re.IGNORECASE)


def validate_event_numbers(data: Any, _key: str = "") -> None:
    """Refuse event data holding a number that is not finite (``1e400`` parses as infinity)
    or an amount (a value under a key naming an amount) beyond :data:`MAX_EVENT_AMOUNT`:
    summed up by the coaching reads, such numbers overflow to infinity and NaN."""
    if isinstance(data, dict):
        for key, value in data.items():
            validate_event_numbers(value, str(key))
    elif isinstance(data, list):
        for value in data:
            validate_event_numbers(value, _key)
    elif isinstance(data, int | float) and not isinstance(data, bool):
        if isinstance(data, float) and not math.isfinite(data):
            raise ValidationError(f"“{_key}” must be a finite number.", code="not_finite")
        if AMOUNT_KEY_RE.search(_key) and abs(data) > MAX_EVENT_AMOUNT:
            raise ValidationError(f"“{_key}” must be at most {MAX_EVENT_AMOUNT:,} in absolute value.",
                                  code="too_large")


class BehavioralEvent(models.Model):
    """Something a user did (viewed a page, acted on a recommendation, changed a goal…).

    ``data`` has passed :func:`coaching.privacy.privacy_filter` before it is stored.
    """

    class Type(models.TextChoices):
        PAGE_VIEW = "page_view", "Page view"
        RECOMMENDATION_INTERACTION = "recommendation_interaction", "Recommendation interaction"
        PURCHASE = "purchase", "Purchase"
        GOAL_MODIFICATION = "goal_modification", "Goal modification"
        SEARCH = "search", "Search"
        FILTER = "filter", "Filter use"
        BUDGET_CHECK = "budget_check", "Budget check"
        LOGIN = "login", "Login"
        TRANSACTION_MODIFICATION = "transaction_modification", "Transaction modification"
        BUDGET_MODIFICATION = "budget_modification", "Budget modification"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="behavioral_events"
    )
    event_type = models.CharField(max_length=32, choices=Type.choices)
    data = models.JSONField(default=dict, blank=True)
    redacted_fields = models.PositiveSmallIntegerField(
        default=0, help_text="How many values the privacy filter removed before storage."
    )
    session_id = models.CharField(max_length=64, blank=True, default="")
    timestamp = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    uid = models.UUIDField(
        null=True, blank=True, unique=True, editable=False,
        help_text="Set on events recorded by the server (page views, writes): a batch written twice — sent to "
                  "the task queue and written directly after a failed send, or retried — stores each event once.",
    )

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["user", "event_type", "timestamp"], name="event_user_type_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_event_type_display()} at {self.timestamp:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        try:
            validate_event_numbers(self.data)
        except ValidationError as exc:
            raise ValidationError({"data": exc.messages}) from exc


class Segment(models.Model):
    """A group of similar members (a user in a workspace), found by k-means on features of
    their books and behaviour. Recomputed by the daily refresh, which replaces every row;
    ``key`` (derived from the name) is what the bandit's posteriors are keyed by, so the
    learning survives a refresh that finds the same kind of group again."""

    kind = models.CharField(max_length=12, choices=Workspace.Kind.choices)
    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=255, blank=True, default="")
    centroid = models.JSONField(default=dict, help_text="Feature name → the cluster centre, in the features' units.")
    size = models.PositiveIntegerField(default=0, help_text="Members (user × workspace) assigned.")
    workspace_count = models.PositiveIntegerField(default=0, help_text="Distinct workspaces among the members.")
    n_clusters = models.PositiveSmallIntegerField(default=1, help_text="k of the run that found this segment.")
    silhouette = models.FloatField(null=True, blank=True, help_text="Silhouette of that run (none when k = 1).")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()}, {self.size})"


class SegmentAssignment(models.Model):
    """Which segment a member of a workspace is in, with the features it was computed from."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="assignments")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="segment_assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="segment_assignments"
    )
    features = models.JSONField(default=dict)
    distance = models.FloatField(help_text="Distance to the segment's centre in standardised units.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["workspace", "user"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="unique_segment_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace}: {self.segment.name}"


class BanditArm(models.Model):
    """The Beta posterior of one recommendation (arm) for one segment: ``alpha`` is
    1 + rewards, ``beta`` 1 + misses (Thompson sampling draws from Beta(alpha, beta))."""

    segment_key = models.CharField(max_length=80)
    arm = models.CharField(max_length=40)
    alpha = models.FloatField(default=1.0)
    beta = models.FloatField(default=1.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["segment_key", "arm"]
        constraints = [
            models.UniqueConstraint(fields=["segment_key", "arm"], name="unique_bandit_arm"),
            models.CheckConstraint(condition=models.Q(alpha__gt=0) & models.Q(beta__gt=0), name="bandit_arm_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.segment_key} / {self.arm}: Beta({self.alpha:g}, {self.beta:g})"

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class RecommendationImpression(models.Model):
    """One recommendation shown to a user, chosen by the bandit, and what they did with it."""

    class Status(models.TextChoices):
        SHOWN = "shown", "Shown"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"
        COMPLETED = "completed", "Completed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="recommendation_impressions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommendation_impressions"
    )
    segment_key = models.CharField(max_length=80)
    arm = models.CharField(max_length=40)
    title = models.CharField(max_length=120)
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True, help_text="The figures the text was written from.")
    sampled_value = models.FloatField(
        null=True, blank=True,
        help_text="The score that ranked this arm: Thompson's draw, UCB1's index (none when infinite: an arm "
                  "never answered), ε-greedy's posterior mean.")
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SHOWN)
    reward = models.FloatField(null=True, blank=True)
    shown_at = models.DateTimeField(db_index=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    slate = models.UUIDField(null=True, blank=True, db_index=True,
                             help_text="The recommendations drawn together for one showing.")
    strategy = models.CharField(max_length=20, blank=True, default="",
                                help_text="The strategy that chose the slate (none before propensities were logged).")
    propensity = models.FloatField(
        null=True, blank=True,
        help_text="The probability the strategy had of putting this arm in the slate (its chance of being shown).")
    decision = models.JSONField(
        default=dict, blank=True,
        help_text="What the strategy chose from: {'arms': {arm: [alpha, beta]} for every arm on offer, 'k': the "
                  "slate size, 'params': the strategy's parameters} — offline evaluation replays it.")

    class Meta:
        ordering = ["-shown_at", "position", "-id"]
        indexes = [
            models.Index(fields=["workspace", "user", "shown_at"], name="impression_user_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.arm} ({self.get_status_display().lower()})"


class CoachingSettings(models.Model):
    """A workspace's coaching choices: the bandit strategy that picks its recommendations
    (Thompson sampling unless staff choose otherwise in admin)."""

    class Strategy(models.TextChoices):
        THOMPSON = "thompson", "Thompson sampling"
        EPSILON_GREEDY = "epsilon_greedy", "ε-greedy"
        UCB1 = "ucb1", "UCB1"

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="coaching_settings")
    strategy = models.CharField(max_length=20, choices=Strategy.choices, default=Strategy.THOMPSON)
    epsilon = models.FloatField(
        default=0.1, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="ε-greedy only: the chance that a slate is drawn at random (exploration).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "coaching settings"
        verbose_name_plural = "coaching settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(epsilon__gte=0) & models.Q(epsilon__lte=1),
                                   name="coaching_settings_epsilon_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.workspace}: {self.get_strategy_display()}"


class SegmentationRun(models.Model):
    """One segmentation of every member (the daily run, or one started from admin or a
    command): its quality (silhouette), k and members per kind, the features it clustered
    on, and its segments and assignments — so that the current run can be rolled back to
    the one before, as a model version can (:mod:`coaching.services.segment_runs`)."""

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        SUPERSEDED = "superseded", "Superseded"
        ROLLED_BACK = "rolled_back", "Rolled back"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command"

    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CURRENT)
    computed_at = models.DateTimeField(db_index=True)
    members = models.PositiveIntegerField(default=0)
    segment_count = models.PositiveIntegerField(default=0)
    silhouette = models.FloatField(
        null=True, blank=True,
        help_text="Silhouette of the kinds clustered with k > 1, weighted by their members (none when no kind was).")
    k = models.JSONField(default=dict, help_text="Kind → the number of segments found.")
    kinds = models.JSONField(
        default=dict, help_text="Kind → {'k', 'members', 'silhouette', 'scores': {k: silhouette of each k tried}}.")
    features = models.JSONField(default=list, help_text="The features clustered on, in order.")
    snapshot = models.JSONField(
        default=dict, help_text="{'segments': [...], 'assignments': [[segment index, workspace, user, features, "
                                "distance], ...]}: what a rollback restores.")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    restored_at = models.DateTimeField(null=True, blank=True, help_text="When a rollback made it current again.")
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rollback_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="current"),
                                    name="one_current_segmentation_run"),
        ]
        permissions = [("rollback_segmentationrun", "Can roll back a segmentation run")]

    def __str__(self) -> str:
        return f"Segmentation run {self.number} ({self.get_status_display().lower()})"
