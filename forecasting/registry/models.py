"""The model registry: every fitted version with its verified artifact, the history of
deployments and rollbacks ("what served on date X"), rollouts (a challenger on a share
of the traffic, or in shadow), the deployment generation of each workspace (what every
process compares to know whether what it remembers still serves), and the state of each
target (new-data counters, last training, the lock that serialises its trainings and
deploys)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from finance.models import Workspace


class ModelKind(models.TextChoices):
    FORECASTER = "forecaster", "Forecaster"
    CATEGORIZER = "categorizer", "Transaction categoriser"
    FRAUD = "fraud", "Fraud detector"
    ANOMALY = "anomaly", "Anomaly detector"
    STOCKOUT = "stockout", "Stockout classifier"


class ModelVersion(models.Model):
    """One fitted model: its algorithm, metrics, lineage and a verified artifact."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        DEPLOYED = "deployed", "Deployed"
        RETIRED = "retired", "Retired"
        FAILED = "failed", "Failed"

    class CreatedBy(models.TextChoices):
        JOB = "job", "Training job"
        USER = "user", "User"
        SCHEDULE = "schedule", "Schedule"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="model_versions")
    target = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=ModelKind.choices, default=ModelKind.FORECASTER)
    algorithm = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text="Backtest metrics (MAE, RMSE, …).")
    backtest = models.JSONField(default=dict, blank=True, help_text="Backtest windows for charts.")
    drivers = models.JSONField(default=list, blank=True,
                               help_text="The demand drivers the model learned from (promotion, price, holidays); "
                                         "empty: none.")
    frequency = models.CharField(
        max_length=1, blank=True, default="", help_text="D, W or M for a forecaster; blank for a classifier."
    )
    horizon = models.PositiveSmallIntegerField(default=0)
    training_start = models.DateField(null=True, blank=True)
    training_end = models.DateField(null=True, blank=True)
    n_observations = models.PositiveIntegerField(default=0)
    data_hash = models.CharField(max_length=64, blank=True, default="")
    training_data = models.JSONField(default=dict, blank=True, help_text="The training series (for drift and charts).")
    artifact_path = models.CharField(max_length=255, blank=True, default="")
    artifact_sha256 = models.CharField(max_length=64, blank=True, default="")
    artifact_size = models.PositiveBigIntegerField(default=0)
    fit_seconds = models.FloatField(null=True, blank=True)
    created_by = models.CharField(max_length=8, choices=CreatedBy.choices, default=CreatedBy.JOB)
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    training_job = models.ForeignKey(
        "forecasting.TrainingJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="versions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deployed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "target", "version"], name="unique_model_version_number"
            ),
            # A forecaster target may serve one model per frequency (monthly and weekly
            # side by side); classifiers have a blank frequency, so still one each.
            models.UniqueConstraint(
                fields=["workspace", "target", "frequency"],
                condition=Q(status="deployed"),
                name="one_deployed_version_per_target_frequency",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "target", "status"], name="version_target_status_idx")]
        permissions = [
            ("deploy_modelversion", "Can deploy a model version"),
            ("rollback_modelversion", "Can roll back a deployment"),
            ("retrain_modelversion", "Can retrain a model"),
        ]

    def __str__(self) -> str:
        return f"{self.target} v{self.version} {self.algorithm} ({self.get_status_display().lower()})"

    @property
    def mae(self) -> float | None:
        return self.metrics.get("mae")


class Deployment(models.Model):
    """Every deploy and rollback: who, when, from which version to which, and why."""

    class Action(models.TextChoices):
        DEPLOY = "deploy", "Deploy"
        ROLLBACK = "rollback", "Roll back"
        AUTO_DEPLOY = "auto_deploy", "Automatic deploy (champion/challenger)"
        AUTO_FALLBACK = "auto_fallback", "Automatic fallback (artifact failed its integrity check)"
        ROLLOUT_START = "rollout_start", "Rollout started (canary or shadow)"
        ROLLOUT_PROMOTE = "rollout_promote", "Rollout promoted"
        ROLLOUT_ABORT = "rollout_abort", "Rollout ended without promotion"

    #: The actions by which someone (or champion/challenger) chose the ``to_version`` to
    #: serve: a rollback walks back past rollbacks and fallbacks to the last of these.
    CHOSEN = (Action.DEPLOY, Action.AUTO_DEPLOY, Action.ROLLOUT_PROMOTE)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="deployments")
    target = models.CharField(max_length=100)
    action = models.CharField(max_length=20, choices=Action.choices)
    from_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="deployments_from"
    )
    to_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="deployments_to"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target}: {self.from_version_id} → {self.to_version_id}"


class Rollout(models.Model):
    """A challenger served beside the deployed champion of one (workspace, target,
    frequency): on a share of the requests (canary, chosen by a hash of the request key so
    that one key always gets the same version) or in shadow (computed and logged for that
    share, never returned). Promote deploys the challenger; abort ends it."""

    class Mode(models.TextChoices):
        CANARY = "canary", "Canary (a share of the answers)"
        SHADOW = "shadow", "Shadow (computed and logged, never returned)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PROMOTED = "promoted", "Promoted"
        ABORTED = "aborted", "Aborted"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="rollouts")
    target = models.CharField(max_length=100)
    frequency = models.CharField(max_length=1, blank=True, default="")
    champion = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, related_name="rollouts_as_champion"
    )
    challenger = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, related_name="rollouts_as_challenger"
    )
    mode = models.CharField(max_length=6, choices=Mode.choices)
    share = models.FloatField(help_text="Share of the request keys the challenger answers (canary) or shadows.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField(blank=True, default="")
    end_reason = models.TextField(blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "target", "frequency"], condition=Q(status="open"),
                name="one_open_rollout_per_target_frequency",
            ),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=1), name="rollout_share_in_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.target} → version {self.challenger_id} ({self.share:.0%}, {self.status})"


class ServingGeneration(models.Model):
    """The deployment generation of a workspace: a counter bumped in the same transaction
    as every change of what serves it (deploy, rollback, fallback, rollout start, promote,
    abort) and mirrored in the shared cache after commit. A process compares it with the
    generation of what it remembers, on every request, and reloads when they differ."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, primary_key=True, related_name="serving_generation"
    )
    generation = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.workspace_id}: generation {self.generation}"


class TargetState(models.Model):
    """Learning state of one (workspace, target): new-data counters, last training, and the
    lock that lets only one training of the target run at a time."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="target_states")
    target = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=ModelKind.choices, default=ModelKind.FORECASTER)
    new_rows = models.PositiveIntegerField(default=0, help_text="Rows added since the last training.")
    new_feedback = models.PositiveIntegerField(default=0, help_text="Feedback since the last training.")
    retrain_requested = models.BooleanField(default=False, help_text="Set by a degradation alert.")
    last_trained_at = models.DateTimeField(null=True, blank=True)
    running_job = models.ForeignKey(
        "forecasting.TrainingJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The job holding the training lock, if any.",
    )
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workspace", "target"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "target"], name="unique_target_state"),
        ]

    def __str__(self) -> str:
        return f"{self.workspace} {self.target}: {self.new_rows} new rows"


class ModelVersionDeletion(models.Model):
    """A deleted model version: which one (its id, target, number, algorithm, status and
    artifact), who deleted it, when and why. Written in the transaction of the delete by
    :mod:`forecasting.registry.audit`, whatever deleted it; append-only. A workspace's
    versions deleted with the workspace itself leave no record (the records would go too)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="model_version_deletions")
    version_id = models.PositiveBigIntegerField(help_text="The id the deleted version had.")
    target = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=ModelKind.choices, default=ModelKind.FORECASTER)
    frequency = models.CharField(max_length=1, blank=True, default="")
    version = models.PositiveIntegerField(help_text="Its version number within the target.")
    algorithm = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=ModelVersion.Status.choices, help_text="Its status when deleted.")
    artifact_sha256 = models.CharField(max_length=64, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True, default="")
    deleted_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.target} v{self.version} {self.algorithm} deleted {self.deleted_at:%Y-%m-%d %H:%M}"
