import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from coaching.models import BehavioralEvent, validate_event_numbers
from coaching.services.peers import segment_details_shown
from coaching.services.recommendations import DEFAULT_COUNT, MAX_COUNT
from finance.api.kit import WorkspaceOwnedSerializer

MAX_EVENT_DATA_BYTES = 16_384
#: how far ahead of the server's clock a client's event time may be (its clock's drift)
MAX_EVENT_CLOCK_SKEW = dt.timedelta(hours=1)


class BehavioralEventSerializer(WorkspaceOwnedSerializer):
    timestamp = serializers.DateTimeField(required=False)

    class Meta:
        model = BehavioralEvent
        fields = [
            "id", "workspace", "user", "event_type", "data", "redacted_fields", "session_id",
            "timestamp", "created_at",
        ]
        read_only_fields = ["user", "redacted_fields", "created_at"]

    def validate_timestamp(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now() + MAX_EVENT_CLOCK_SKEW:
            raise serializers.ValidationError("Cannot be in the future.")
        return value

    def validate_data(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        if len(str(value)) > MAX_EVENT_DATA_BYTES:
            raise serializers.ValidationError(f"Must be under {MAX_EVENT_DATA_BYTES} characters.")
        try:
            validate_event_numbers(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


# --- coaching: inputs ------------------------------------------------------------------------


class WorkspaceQuerySerializer(serializers.Serializer):
    """``?workspace=<id>`` (one of yours; another workspace's id is a 404)."""

    workspace = serializers.IntegerField(min_value=1)


class RecommendationQuerySerializer(WorkspaceQuerySerializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_COUNT, default=DEFAULT_COUNT)


class RecommendationFeedbackSerializer(serializers.Serializer):
    """Your answer to a recommendation you were shown."""

    action = serializers.ChoiceField(choices=["accepted", "dismissed", "completed"])


# --- coaching: outputs -----------------------------------------------------------------------


class SegmentSerializer(serializers.Serializer):
    """A segment as its members see it: ``description`` and ``centroid`` are ``null``
    unless enough other workspaces share it (see
    :func:`coaching.services.peers.segment_details_shown`) — with few, the centre and
    your own features give the others' away."""

    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    centroid = serializers.DictField(child=serializers.FloatField(), allow_null=True)
    size = serializers.IntegerField()
    workspace_count = serializers.IntegerField()
    n_clusters = serializers.IntegerField()
    silhouette = serializers.FloatField(allow_null=True)
    computed_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not segment_details_shown(segment=instance):
            data["description"] = data["centroid"] = None
        return data


class SegmentAssignmentSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    segment = SegmentSerializer()
    features = serializers.DictField(child=serializers.FloatField())
    distance = serializers.FloatField()
    computed_at = serializers.DateTimeField()


class SegmentListSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    assignments = SegmentAssignmentSerializer(many=True)


class ImpressionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    workspace = serializers.IntegerField(source="workspace_id")
    arm = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    data = serializers.DictField()
    segment_key = serializers.CharField()
    position = serializers.IntegerField()
    sampled_value = serializers.FloatField(
        allow_null=True, help_text="The score that ranked it (null: UCB1's infinite index of an arm never answered).")
    strategy = serializers.CharField(help_text="The bandit strategy that chose it (thompson, epsilon_greedy, ucb1).")
    propensity = serializers.FloatField(
        allow_null=True, help_text="The chance the strategy had of showing this recommendation in this slate.")
    status = serializers.CharField()
    reward = serializers.FloatField(allow_null=True)
    shown_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class RecommendationListSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    segment_key = serializers.CharField()
    recommendations = ImpressionSerializer(many=True)


class PosteriorSerializer(serializers.Serializer):
    segment_key = serializers.CharField()
    arm = serializers.CharField()
    alpha = serializers.FloatField()
    beta = serializers.FloatField()
    mean = serializers.FloatField()


class FeedbackResultSerializer(serializers.Serializer):
    impression = ImpressionSerializer()
    posterior = PosteriorSerializer(allow_null=True)


class SpendingForecastSerializer(serializers.Serializer):
    amount = serializers.FloatField()
    lo80 = serializers.FloatField()
    hi80 = serializers.FloatField()
    method = serializers.ChoiceField(choices=["model", "engine"])
    algorithm = serializers.CharField()
    history_months = serializers.IntegerField()


class CategorySpendingSerializer(serializers.Serializer):
    category = serializers.IntegerField()
    name = serializers.CharField()
    last_month = serializers.FloatField()
    average_3_months = serializers.FloatField()
    trend = serializers.ChoiceField(choices=["rising", "falling", "steady"], allow_null=True, help_text=(
        "The forecast against the average of the last three months: rising or falling from 10 % apart."))
    forecast = SpendingForecastSerializer(allow_null=True)


class SpendingSerializer(serializers.Serializer):
    month = serializers.DateField()
    currency = serializers.CharField()
    total = SpendingForecastSerializer(allow_null=True)
    categories = CategorySpendingSerializer(many=True)


class GoalPredictionSerializer(serializers.Serializer):
    goal = serializers.IntegerField()
    name = serializers.CharField()
    target_amount = serializers.FloatField()
    saved_amount = serializers.FloatField()
    deadline = serializers.DateField()
    remaining = serializers.FloatField()
    basis = serializers.ChoiceField(choices=["history", "contributions", "net_savings_share"], help_text=(
        "Where the observed monthly contributions come from: the goal's recorded history, its members' recorded "
        "contributions, or the workspace's net savings shared among its open goals."))
    monthly_mean = serializers.FloatField(help_text="Average observed monthly contribution.")
    monthly_std = serializers.FloatField()
    months_left = serializers.FloatField()
    required_monthly = serializers.FloatField(allow_null=True)
    probability = serializers.FloatField(
        help_text="Share of the simulated futures that reach the target by the deadline.")
    expected_date = serializers.DateField(allow_null=True, help_text=(
        "The simulated futures' median date of reaching the target; null: not within fifty years at this pace."))
    reached = serializers.BooleanField()
    on_track = serializers.BooleanField()


class PredictionsSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    spending = SpendingSerializer()
    goals = GoalPredictionSerializer(many=True)


class InsightSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["over_budget", "category_growth", "goal_off_track", "behaviour_change"])
    severity = serializers.ChoiceField(choices=["warning", "info"])
    title = serializers.CharField()
    text = serializers.CharField()
    data = serializers.DictField()


class InsightListSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    insights = InsightSerializer(many=True)


class BudgetRiskSerializer(serializers.Serializer):
    """One budget this month: what its category spent (unconfirmed model suggestions below
    the confidence threshold apart, not counted) and, where a forecast covers the rest of
    the month, the projection by month end and the chance of going over it."""

    budget = serializers.IntegerField()
    category = serializers.IntegerField()
    name = serializers.CharField()
    limit = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="The budget for one month.")
    spent = serializers.DecimalField(max_digits=14, decimal_places=2)
    unconfirmed_count = serializers.IntegerField()
    unconfirmed_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    projected = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                         help_text="Spent plus the rest of the month's forecast; null without one.")
    probability = serializers.FloatField(allow_null=True)
    level = serializers.CharField(allow_null=True)
    source = serializers.CharField(allow_null=True, help_text=(
        "category: the category's deployed forecaster; share: the total expense forecaster × the category's share; "
        "engine: the forecasting engine's forecast of the category (no model deployed); null: too little history."))
    bills_paid = serializers.DecimalField(max_digits=14, decimal_places=2,
                                          help_text="The category's recurring bills paid this month (not projected again).")
    bills_due = serializers.DecimalField(max_digits=14, decimal_places=2,
                                         help_text="Its recurring bills still due by month end (in the projection).")


class BudgetRiskListSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    month = serializers.DateField()
    currency = serializers.CharField()
    budgets = BudgetRiskSerializer(many=True)


class PeerFigureSerializer(serializers.Serializer):
    yours = serializers.FloatField()
    peer_median = serializers.FloatField()
    peer_p25 = serializers.FloatField()
    peer_p75 = serializers.FloatField()
    your_percentile = serializers.IntegerField()
    peers = serializers.IntegerField()


class PeerCategorySerializer(PeerFigureSerializer):
    name = serializers.CharField()


class PeerComparisonSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    segment = serializers.DictField(allow_null=True)
    peers = serializers.IntegerField()
    total = PeerFigureSerializer(allow_null=True)
    categories = PeerCategorySerializer(many=True)
