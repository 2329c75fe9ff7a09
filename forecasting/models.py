"""The model registry and lifecycle: versions, deployments, jobs, predictions, feedback,
performance and alerts. Every row belongs to a workspace and a *target* (what a model
predicts, see :mod:`forecasting.targets`)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from finance.models import Product, Transaction, Warehouse, Workspace


class ModelKind(models.TextChoices):
    FORECASTER = "forecaster", "Forecaster"
    CATEGORIZER = "categorizer", "Transaction categoriser"
    FRAUD = "fraud", "Fraud detector"
    ANOMALY = "anomaly", "Anomaly detector"


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
    error = models.TextField(blank=True, default="")
    celery_task_id = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    winner = models.ForeignKey(
        "ModelVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deployed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "target", "status"], name="job_target_status_idx")]

    def __str__(self) -> str:
        return f"Job {self.pk} {self.target} ({self.get_status_display().lower()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


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
    frequency = models.CharField(max_length=1, blank=True, default="")
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
        TrainingJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="versions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deployed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "target", "version"], name="unique_model_version_number"
            ),
            models.UniqueConstraint(
                fields=["workspace", "target"],
                condition=Q(status="deployed"),
                name="one_deployed_version_per_target",
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

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="deployments")
    target = models.CharField(max_length=100)
    action = models.CharField(max_length=12, choices=Action.choices)
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


class Prediction(models.Model):
    """A logged prediction: which version answered what, so feedback can be tied to it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, related_name="predictions"
    )
    target = models.CharField(max_length=100)
    request = models.JSONField(default=dict, blank=True)
    output = models.JSONField(default=dict, blank=True)
    from_cache = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Prediction {self.id} for {self.target}"


class Feedback(models.Model):
    """An actual outcome or a user correction of a prediction."""

    class Kind(models.TextChoices):
        ACTUAL = "actual", "Actual outcome"
        CORRECTION = "correction", "Category correction"
        ACCEPTANCE = "acceptance", "Suggestion accepted"
        FRAUD_LABEL = "fraud_label", "Fraud label"
        RATING = "rating", "Rating"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    target = models.CharField(max_length=100, blank=True, default="")
    prediction = models.ForeignKey(
        Prediction, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback"
    )
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback"
    )
    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, null=True, blank=True, related_name="ml_feedback"
    )
    predicted = models.JSONField(null=True, blank=True)
    actual = models.JSONField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.target or self.model_version_id}"


class PerformanceSnapshot(models.Model):
    """Realised performance and drift of a version at a point in time."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        DEGRADED = "degraded", "Degraded"
        DRIFT = "drift", "Drift"
        INSUFFICIENT = "insufficient", "Not enough actuals"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="performance_snapshots")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="snapshots")
    metrics = models.JSONField(default=dict, blank=True)
    drift = models.JSONField(default=dict, blank=True)
    n_points = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OK)
    computed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-computed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_version} {self.get_status_display()} at {self.computed_at:%Y-%m-%d}"


class Alert(models.Model):
    """Something staff should look at: degradation, drift, a tampered artifact, stockout risk."""

    class Kind(models.TextChoices):
        DEGRADATION = "degradation", "Degradation"
        DRIFT = "drift", "Data drift"
        INTEGRITY = "integrity", "Artifact integrity"
        STOCKOUT = "stockout", "Stockout risk"
        FRAUD = "fraud", "Fraud"
        ANOMALY = "anomaly", "Anomaly"
        TRAINING = "training", "Training failure"

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    target = models.CharField(max_length=100, blank=True, default="")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "acknowledged_at"], name="alert_open_idx")]

    def __str__(self) -> str:
        return f"[{self.get_severity_display()}] {self.get_kind_display()}: {self.message[:60]}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


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
        TrainingJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
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


class StockPlan(models.Model):
    """What to order now, per product × warehouse, chosen by a mixed-integer program
    (:mod:`forecasting.services.inventory_planning`) within a budget and the warehouses'
    capacities. Computed, never typed in: the inputs and assumptions are kept with it."""

    class Status(models.TextChoices):
        OPTIMAL = "optimal", "Optimal"
        TIME_LIMIT = "time_limit", "Best found within the time limit"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="stock_plans")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    budget = models.DecimalField(max_digits=14, decimal_places=2, help_text="Most the orders may cost to buy.")
    service_level = models.DecimalField(
        max_digits=5, decimal_places=4, help_text="Chance of not running out within a lead time (0-1)."
    )
    ordering_cost = models.DecimalField(max_digits=12, decimal_places=2, help_text="Fixed cost of one order.")
    holding_cost_rate = models.DecimalField(
        max_digits=6, decimal_places=4, help_text="Yearly cost of holding a unit, as a fraction of its cost."
    )
    horizon_days = models.PositiveSmallIntegerField(help_text="Days the holding cost is counted for.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPTIMAL)
    solver_message = models.CharField(max_length=255, blank=True, default="")
    purchase_cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    ordering_cost_total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    holding_cost = models.DecimalField(
        max_digits=14, decimal_places=2, default=0,
        help_text="Expected cost of holding the stock after ordering for the horizon.",
    )
    shortage_units = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="Units still short of the target levels."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Stock plan {self.pk} of {self.workspace} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def total_cost(self) -> Decimal:
        """Purchase plus the fixed cost of the orders."""
        return self.purchase_cost + self.ordering_cost_total


class StockPlanLine(models.Model):
    """One product × warehouse of a plan: its demand, reorder point, EOQ and the order."""

    class DemandSource(models.TextChoices):
        MODEL = "model", "Demand model of the product at the warehouse"
        PRODUCT = "product", "Product demand model × warehouse share"
        SHARE = "share", "Total demand model × share of sales"
        HISTORY = "history", "Sales history"

    plan = models.ForeignKey(StockPlan, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    on_hand = models.PositiveIntegerField()
    daily_demand = models.DecimalField(max_digits=12, decimal_places=3)
    demand_std = models.DecimalField(max_digits=12, decimal_places=3, help_text="Standard deviation per day.")
    demand_source = models.CharField(max_length=8, choices=DemandSource.choices)
    lead_time_days = models.DecimalField(max_digits=6, decimal_places=2)
    lead_time_std_days = models.DecimalField(max_digits=6, decimal_places=2)
    safety_stock = models.DecimalField(max_digits=12, decimal_places=2)
    reorder_point = models.DecimalField(max_digits=12, decimal_places=2)
    eoq = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                              help_text="Economic order quantity; empty when holding costs nothing.")
    target_level = models.PositiveIntegerField(help_text="Reorder point + EOQ, when at or below the reorder point.")
    order_quantity = models.PositiveIntegerField()
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)
    cost = models.DecimalField(max_digits=14, decimal_places=2, help_text="Purchase plus the fixed ordering cost.")
    shortage_units = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["plan", "product__sku", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "product", "warehouse"], name="unique_stock_plan_line"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}: order {self.order_quantity}"
