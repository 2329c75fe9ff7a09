"""Input/output serializers of the ML API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from finance.api.kit import WorkspaceOwnedSerializer
from forecasting.models import (
    Alert,
    Deployment,
    Feedback,
    ModelVersion,
    PerformanceSnapshot,
    TrainingJob,
)
from forecasting.selectors.series import FREQUENCIES
from forecasting.targets import InvalidTarget, Target


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
    frequency = serializers.ChoiceField(choices=list(FREQUENCIES), default="M")
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
    duration_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = TrainingJob
        fields = [
            "id", "workspace", "target", "kind", "status", "trigger", "algorithms", "params", "progress",
            "results", "decision", "error", "celery_task_id", "attempts", "winner", "deployed",
            "created_at", "started_at", "finished_at", "duration_seconds",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RollbackSerializer(WorkspaceOwnedSerializer):
    target = serializers.CharField(max_length=100, validators=[validate_target_key])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class Meta:
        model = Deployment
        fields = ["workspace", "target", "reason"]


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
        if kind in (Feedback.Kind.ACTUAL, Feedback.Kind.CORRECTION, Feedback.Kind.FRAUD_LABEL) and attrs.get("actual") is None:
            raise serializers.ValidationError({"actual": ["This kind of feedback needs the actual value."]})
        if attrs.get("prediction") is None and attrs.get("model_version") is None and attrs.get("transaction") is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Name the prediction, the model version or the transaction."]}
            )
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None, read_only=True)

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
    frequency = serializers.ChoiceField(choices=list(FREQUENCIES), default="M")


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
    model = serializers.DictField()
    cached = serializers.BooleanField()


class AutoLearnQuerySerializer(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1)
    force = serializers.BooleanField(default=False)


class TargetStateSerializer(serializers.Serializer):
    target = serializers.CharField()
    new_rows = serializers.IntegerField()
    new_feedback = serializers.IntegerField()
    retrain_requested = serializers.BooleanField()
    last_trained_at = serializers.DateTimeField(allow_null=True)
    next_eligible_at = serializers.DateTimeField(allow_null=True)
    running_job = serializers.IntegerField(allow_null=True, source="running_job_id")
    would_train = serializers.BooleanField()
    reason = serializers.CharField()


class ModelStatusQuerySerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1, required=False)
