"""Input/output serializers of the ML API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from config.openapi import ErrorSerializer  # noqa: F401 - the error body, named here for the views
from finance.api.kit import WorkspaceOwnedSerializer
from finance.models import Transaction
from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.inventory.policy import service_level_validator
from forecasting.monitoring.models import Alert, PerformanceSnapshot
from forecasting.registry.models import Deployment, ModelVersion, Rollout
from forecasting.registry.rollouts import rollout_share_check
from forecasting.series.frequency import Frequency
from forecasting.series.targets import InvalidTarget, Target
from forecasting.serving.models import Feedback
from forecasting.training.models import TrainingJob


def validate_target_key(value: str) -> str:
    try:
        return Target.parse(value).key
    except InvalidTarget as exc:
        raise serializers.ValidationError(str(exc)) from None


class DeploymentSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default=None, read_only=True)
    from_version_number = serializers.IntegerField(source="from_version.version", default=None, read_only=True)
    to_version_number = serializers.IntegerField(source="to_version.version", default=None, read_only=True)

    class Meta:
        model = Deployment
        fields = [
            "id", "workspace", "target", "action", "from_version", "from_version_number", "to_version",
            "to_version_number", "user", "reason", "created_at",
        ]


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = [
            "id", "workspace", "target", "kind", "algorithm", "version", "status", "metrics", "params",
            "frequency", "horizon", "training_start", "training_end", "n_observations", "data_hash",
            "artifact_sha256", "fit_seconds", "created_by", "training_job", "created_at", "deployed_at",
        ]
        read_only_fields = fields


class ModelVersionDetailSerializer(ModelVersionSerializer):
    lineage = serializers.SerializerMethodField()
    deployment_history = serializers.SerializerMethodField()

    class Meta(ModelVersionSerializer.Meta):
        fields = [*ModelVersionSerializer.Meta.fields, "backtest", "lineage", "deployment_history"]
        read_only_fields = fields

    def get_lineage(self, obj: ModelVersion) -> dict[str, Any]:
        job = obj.training_job
        return {
            "training_job": job.pk if job else None,
            "trigger": job.trigger if job else None,
            "data_hash": obj.data_hash,
            "training_window": [obj.training_start, obj.training_end],
            "n_observations": obj.n_observations,
            "artifact_path": obj.artifact_path,
            "artifact_sha256": obj.artifact_sha256,
            "artifact_size": obj.artifact_size,
        }

    def get_deployment_history(self, obj: ModelVersion) -> list[dict[str, Any]]:
        rows = Deployment.objects.filter(workspace_id=obj.workspace_id, target=obj.target).select_related(
            "user", "from_version", "to_version"
        )
        return DeploymentSerializer(rows, many=True).data


class TrainRequestSerializer(WorkspaceOwnedSerializer):
    """Input of ``POST /ml/train/``."""

    target = serializers.CharField(max_length=100, validators=[validate_target_key])
    algorithms = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    frequency = serializers.ChoiceField(choices=Frequency.choices, default=Frequency.MONTHLY)
    horizon = serializers.IntegerField(min_value=1, max_value=366, required=False)

    class Meta:
        model = TrainingJob
        fields = ["workspace", "target", "algorithms", "frequency", "horizon"]

    def validate_algorithms(self, value: list[str]) -> list[str]:
        from forecasting.engine.registry import ALGORITHMS

        unknown = sorted(set(value) - set(ALGORITHMS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown algorithm(s): {', '.join(unknown)}. Known: {', '.join(sorted(ALGORITHMS))}."
            )
        return list(dict.fromkeys(value))


class TrainingJobSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = TrainingJob
        fields = [
            "id", "workspace", "target", "kind", "status", "trigger", "algorithms", "params", "progress",
            "results", "decision", "error", "celery_task_id", "attempts", "winner", "deployed",
            "created_at", "started_at", "heartbeat_at", "finished_at", "duration_seconds",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RollbackSerializer(WorkspaceOwnedSerializer):
    target = serializers.CharField(max_length=100, validators=[validate_target_key])
    frequency = serializers.ChoiceField(
        choices=Frequency.choices, required=False,
        help_text="The forecaster's frequency to roll back (monthly when not given; classifiers have none).",
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class Meta:
        model = Deployment
        fields = ["workspace", "target", "frequency", "reason"]


class PerformanceSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = PerformanceSnapshot
        fields = ["id", "model_version", "metrics", "drift", "n_points", "status", "computed_at"]
        read_only_fields = fields


class FeedbackSerializer(WorkspaceOwnedSerializer):
    class Meta:
        model = Feedback
        fields = [
            "id", "workspace", "kind", "target", "prediction", "model_version", "transaction", "predicted",
            "actual", "is_correct", "comment", "created_at",
        ]
        read_only_fields = ["created_at", "is_correct", "predicted"]
        extra_kwargs = {"target": {"validators": [validate_target_key], "required": False}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        kind = attrs["kind"]
        if kind == Feedback.Kind.CORRECTION and attrs.get("transaction") is None:
            raise serializers.ValidationError({"transaction": ["A correction names the transaction."]})
        if kind == Feedback.Kind.ACCEPTANCE and attrs.get("transaction") is None:
            raise serializers.ValidationError({"transaction": ["Accepting a suggestion names the transaction."]})
        if kind in (Feedback.Kind.ACTUAL, Feedback.Kind.CORRECTION, Feedback.Kind.FRAUD_LABEL) and attrs.get("actual") is None:
            raise serializers.ValidationError({"actual": ["This kind of feedback needs the actual value."]})
        if attrs.get("prediction") is None and attrs.get("model_version") is None and attrs.get("transaction") is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Name the prediction, the model version or the transaction."]}
            )
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None, read_only=True,
                                            allow_null=True)

    class Meta:
        model = Alert
        fields = [
            "id", "workspace", "kind", "severity", "target", "model_version", "message", "data",
            "created_at", "acknowledged_at", "acknowledged_by",
        ]
        read_only_fields = fields


class ForecastQuerySerializer(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1)
    periods = serializers.IntegerField(min_value=1, max_value=366, default=6)
    model_type = serializers.CharField(max_length=40, required=False)
    category = serializers.IntegerField(min_value=1, required=False)
    product = serializers.IntegerField(min_value=1, required=False)
    warehouse = serializers.IntegerField(min_value=1, required=False)
    frequency = serializers.ChoiceField(
        choices=Frequency.choices, default=Frequency.MONTHLY,
        help_text="Served by the target's deployed model of this frequency (404 when it has none).",
    )
    key = serializers.CharField(
        max_length=200, required=False,
        help_text="Request key of an open rollout (default: your user): a canary answers the keys under its share "
                  "from the challenger; one key always gets the same version.",
    )


class ForecastSerializer(serializers.Serializer):
    prediction_id = serializers.UUIDField()
    workspace = serializers.IntegerField()
    target = serializers.CharField()
    frequency = serializers.CharField()
    dates = serializers.ListField(child=serializers.DateField())
    forecast = serializers.ListField(child=serializers.FloatField())
    lo80 = serializers.ListField(child=serializers.FloatField())
    hi80 = serializers.ListField(child=serializers.FloatField())
    lo95 = serializers.ListField(child=serializers.FloatField())
    hi95 = serializers.ListField(child=serializers.FloatField())
    model = serializers.DictField(help_text="The version that answered, with its backtest metrics.")
    cached = serializers.BooleanField()
    rollout = serializers.DictField(
        allow_null=True, required=False,
        help_text="The open rollout of the target, when one is: id, mode and the role of the version that answered "
                  "(champion or challenger).",
    )


class AutoLearnQuerySerializer(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1)
    force = serializers.BooleanField(default=False)


class ActiveJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["queued", "running"])
    progress = serializers.IntegerField()
    queue_position = serializers.IntegerField(
        allow_null=True, help_text="A queued job's place among every queued job (1: next to start); null when running.")


class TargetStateSerializer(serializers.Serializer):
    target = serializers.CharField()
    new_rows = serializers.IntegerField()
    new_feedback = serializers.IntegerField()
    retrain_requested = serializers.BooleanField()
    last_trained_at = serializers.DateTimeField(allow_null=True)
    next_eligible_at = serializers.DateTimeField(allow_null=True)
    running_job = serializers.IntegerField(allow_null=True, source="running_job_id")
    active_job = ActiveJobSerializer(allow_null=True, help_text="The target's queued or running training job.")
    would_train = serializers.BooleanField()
    reason = serializers.CharField()


class AutoLearnSettingsSerializer(serializers.Serializer):
    min_new_rows = serializers.IntegerField(help_text="ML_AUTO_LEARN_MIN_DATA")
    cooldown_hours = serializers.FloatField(help_text="ML_AUTO_LEARN_COOLDOWN")
    feedback_threshold = serializers.IntegerField(help_text="ML_RETRAINING_FEEDBACK_THRESHOLD")


class AutoLearnStatusSerializer(serializers.Serializer):
    """``GET /api/v1/ml/auto-learn/status/``: the rule's settings and every target's state."""

    workspace = serializers.IntegerField()
    settings = AutoLearnSettingsSerializer()
    targets = TargetStateSerializer(many=True)


class ModelPerformanceSerializer(serializers.Serializer):
    """``GET /api/v1/ml/models/{id}/performance/``: the backtest's metrics and the
    version's performance snapshots, newest first."""

    model_version = serializers.IntegerField()
    backtest_metrics = serializers.DictField()
    snapshots = PerformanceSnapshotSerializer(many=True)


class ModelStatusQuerySerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1, required=False)


# --- the categoriser -----------------------------------------------------------------------

MAX_CATEGORIZE_BATCH = 1000


class CategorizeItemSerializer(serializers.Serializer):
    """One transaction to categorise: a description (or a merchant), and optionally the
    other fields the categoriser reads."""

    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    merchant = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    account = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Transaction.Kind.choices, required=False,
                                   help_text="Limits the suggestion to categories of this kind.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    date = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("description", "").strip() and not attrs.get("merchant", "").strip():
            raise serializers.ValidationError({"description": ["Give a description or a merchant to categorise."]})
        return attrs


class CategorizeRequestSerializer(CategorizeItemSerializer):
    """Input of ``POST /api/v1/ml/categorize/``: exactly one of ``description`` (with the
    optional fields beside it), ``descriptions`` (a list of strings) or ``transactions``
    (a list of objects like the single form), at most 1000 in a batch."""

    workspace = serializers.IntegerField(min_value=1)
    descriptions = serializers.ListField(
        child=serializers.CharField(max_length=255, allow_blank=False), required=False, min_length=1,
        max_length=MAX_CATEGORIZE_BATCH,
    )
    transactions = serializers.ListField(
        child=CategorizeItemSerializer(), required=False, min_length=1, max_length=MAX_CATEGORIZE_BATCH,
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        single = bool(attrs.get("description", "").strip() or attrs.get("merchant", "").strip())
        given = [name for name, present in (("description", single), ("descriptions", "descriptions" in attrs),
                                            ("transactions", "transactions" in attrs)) if present]
        if len(given) != 1:
            raise serializers.ValidationError({"non_field_errors": [
                "Give exactly one of description (one transaction), descriptions (a list of strings) or "
                "transactions (a list of objects)" + (f"; got {', '.join(given)}." if given else ".")
            ]})
        if single:
            fields = ("description", "merchant", "account", "kind", "amount", "date")
            attrs["records"] = [{name: attrs[name] for name in fields if name in attrs}]
        elif "descriptions" in attrs:
            attrs["records"] = [{"description": text} for text in attrs["descriptions"]]
        else:
            attrs["records"] = [dict(item) for item in attrs["transactions"]]
        return attrs


class CategoryChoiceSerializer(serializers.Serializer):
    category = serializers.IntegerField()
    category_name = serializers.CharField()
    confidence = serializers.FloatField()


class CategorizeResultSerializer(serializers.Serializer):
    description = serializers.CharField()
    category = serializers.IntegerField(allow_null=True)
    category_name = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True, help_text="Calibrated probability that the category is right.")
    source = serializers.ChoiceField(choices=["model", "memory", "correction"], allow_null=True)
    alternatives = CategoryChoiceSerializer(many=True)


class CategorizeResponseSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    model = serializers.DictField(allow_null=True, help_text="The deployed categoriser; null before the first training.")
    detail = serializers.CharField(required=False, help_text="Why there are no suggestions (cold start).")
    prediction_id = serializers.UUIDField(required=False)
    results = CategorizeResultSerializer(many=True)


# --- inventory planning ---------------------------------------------------------------------


class ReorderPointQuerySerializer(serializers.Serializer):
    """Query of ``GET /api/v1/inventory/reorder-points/``."""

    workspace = serializers.IntegerField(min_value=1)
    service_level = serializers.DecimalField(
        max_digits=5, decimal_places=4, required=False, validators=[service_level_validator],
        help_text="Chance of not running out within a lead time, strictly between 0 and 1 (default "
                  "INVENTORY_SERVICE_LEVEL).",
    )
    product = serializers.IntegerField(min_value=1, required=False)
    warehouse = serializers.IntegerField(min_value=1, required=False)


class ReorderPointSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    sku = serializers.CharField(source="product.sku")
    warehouse = serializers.IntegerField(source="warehouse.pk")
    warehouse_code = serializers.CharField(source="warehouse.code")
    on_hand = serializers.IntegerField()
    on_order = serializers.IntegerField(help_text="Units on open purchase orders, not yet received.")
    daily_demand = serializers.FloatField(help_text="Expected units a day.")
    demand_std = serializers.FloatField(help_text="Standard deviation of a day's demand.")
    demand_source = serializers.ChoiceField(choices=StockPlanLine.DemandSource.choices)
    lead_time_days = serializers.FloatField()
    lead_time_std_days = serializers.FloatField()
    lead_time_source = serializers.ChoiceField(
        choices=StockPlanLine.LeadTimeSource.choices,
        help_text="measured (from the supplier's receipts, once it has INVENTORY_LEAD_TIME_MIN_RECEIPTS), typed (the "
                  "supplier's lead time) or default (no supplier).",
    )
    min_order_quantity = serializers.IntegerField()
    service_level = serializers.FloatField()
    safety_stock = serializers.FloatField()
    reorder_point = serializers.FloatField()
    eoq = serializers.FloatField(allow_null=True, help_text="Economic order quantity; null when holding is free.")
    order_now = serializers.BooleanField(help_text="Demand is expected and the stock position (on hand + on order) "
                                                   "is at or below the reorder point.")
    target_level = serializers.IntegerField(help_text="Reorder point + EOQ when an order is due, else 0.")


class StockPlanRequestSerializer(serializers.Serializer):
    """Input of ``POST /api/v1/inventory/plans/``."""

    workspace = serializers.IntegerField(min_value=1)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"),
                                      help_text="Most the orders may cost to buy.")
    service_level = serializers.DecimalField(max_digits=5, decimal_places=4, required=False,
                                             validators=[service_level_validator],
                                             help_text="Strictly between 0 and 1 (default INVENTORY_SERVICE_LEVEL).")
    ordering_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False,
                                             help_text="Fixed cost of one order (default INVENTORY_ORDERING_COST).")
    holding_cost_rate = serializers.DecimalField(
        max_digits=6, decimal_places=4, min_value=Decimal("0"), required=False,
        help_text="Yearly holding cost as a fraction of unit cost (default INVENTORY_HOLDING_COST_RATE).",
    )


class StockPlanLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = StockPlanLine
        fields = [
            "id", "product", "sku", "warehouse", "warehouse_code", "on_hand", "on_order", "daily_demand", "demand_std",
            "demand_source", "lead_time_days", "lead_time_std_days", "lead_time_source", "safety_stock",
            "reorder_point", "eoq",
            "target_level", "order_quantity", "shelf_life_cap", "unit_cost", "cost", "shortage_units",
        ]
        read_only_fields = fields


class StockPlanSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    total_cost = serializers.DecimalField(max_digits=15, decimal_places=2, read_only=True)

    class Meta:
        model = StockPlan
        fields = [
            "id", "workspace", "name", "created_at", "created_by", "budget", "service_level", "ordering_cost",
            "holding_cost_rate", "horizon_days", "promotion_uplift_pct", "price_change_pct", "price_elasticity",
            "scenario_products", "status", "solver_message", "purchase_cost", "ordering_cost_total", "total_cost",
            "holding_cost", "shortage_units", "expected_fill_rate", "expected_lost_sales",
        ]
        read_only_fields = fields


class StockPlanDetailSerializer(StockPlanSerializer):
    lines = StockPlanLineSerializer(many=True, read_only=True)

    class Meta(StockPlanSerializer.Meta):
        fields = [*StockPlanSerializer.Meta.fields, "lines"]
        read_only_fields = fields


# --- rollouts -------------------------------------------------------------------------------


class RolloutStartSerializer(serializers.Serializer):
    """Input of ``POST /api/v1/ml/models/{id}/rollout/``."""

    mode = serializers.ChoiceField(choices=Rollout.Mode.choices)
    share = serializers.FloatField(
        required=False, min_value=0.0, max_value=1.0,
        help_text="Canary: the share of request keys the challenger answers, strictly between 0 and 1 (required). "
                  "Shadow: the share of requests the challenger also computes (default 1).",
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "share" not in attrs:
            if attrs["mode"] == Rollout.Mode.CANARY:
                raise serializers.ValidationError({"share": ["A canary needs a share, e.g. 0.2 for 20 %."]})
            attrs["share"] = 1.0
        problem = rollout_share_check(mode=attrs["mode"], share=attrs["share"])
        if problem:
            raise serializers.ValidationError({"share": [problem]})
        return attrs


class RolloutSerializer(serializers.ModelSerializer):
    champion_version = serializers.IntegerField(source="champion.version", default=None, read_only=True)
    challenger_version = serializers.IntegerField(source="challenger.version", default=None, read_only=True)
    started_by = serializers.CharField(source="started_by.username", default=None, read_only=True)
    ended_by = serializers.CharField(source="ended_by.username", default=None, read_only=True)

    class Meta:
        model = Rollout
        fields = [
            "id", "workspace", "target", "frequency", "mode", "share", "status", "champion", "champion_version",
            "challenger", "challenger_version", "reason", "end_reason", "started_by", "started_at", "ended_by",
            "ended_at",
        ]
        read_only_fields = fields


class VersionScoreSerializer(serializers.Serializer):
    model_version = serializers.IntegerField(allow_null=True)
    mae = serializers.FloatField(allow_null=True, help_text="Mean absolute error on the compared periods.")
    answers = serializers.IntegerField(help_text="Predictions logged for this version under the rollout.")


class RolloutComparisonSerializer(serializers.Serializer):
    periods = serializers.ListField(child=serializers.DateField(), help_text=(
        "Periods forecast by both versions under the rollout that have an actual (books or actual feedback)."))
    champion = VersionScoreSerializer()
    challenger = VersionScoreSerializer()


class RolloutDetailSerializer(RolloutSerializer):
    comparison = RolloutComparisonSerializer(read_only=True, source="comparison_dict")

    class Meta(RolloutSerializer.Meta):
        fields = [*RolloutSerializer.Meta.fields, "comparison"]
        read_only_fields = fields


class RolloutQuerySerializer(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1, required=False)
    status = serializers.ChoiceField(choices=Rollout.Status.choices, required=False)
    target = serializers.CharField(max_length=100, required=False, validators=[validate_target_key])
