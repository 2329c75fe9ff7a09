"""Inputs and outputs of the financial analyses (``/api/v1/financial/``) and of the
segment insights and financial forecast (``/api/v1/coaching/``). Amounts are in the
workspace's ``currency``; shares are fractions (0.25 = 25 %)."""

from __future__ import annotations

from rest_framework import serializers

from coaching.api.serializers import PeerComparisonSerializer, WorkspaceQuerySerializer
from coaching.services import cash_forecast, patterns, preferences
from coaching.services.segments import FEATURES
from forecasting.series.frequency import Frequency

# --- inputs ------------------------------------------------------------------------------------


class SpendingPatternsQuerySerializer(WorkspaceQuerySerializer):
    months = serializers.IntegerField(
        min_value=patterns.MIN_MONTHS, max_value=patterns.MAX_MONTHS, default=patterns.DEFAULT_MONTHS,
        help_text="Complete months before the current one to analyse.")


class CategoryPreferencesQuerySerializer(WorkspaceQuerySerializer):
    months = serializers.IntegerField(
        min_value=preferences.MIN_MONTHS, max_value=preferences.MAX_MONTHS, default=preferences.DEFAULT_MONTHS,
        help_text="Complete months before the current one to add up.")


class FinancialForecastQuerySerializer(WorkspaceQuerySerializer):
    frequency = serializers.ChoiceField(
        choices=Frequency.choices, required=False,
        help_text="M, W or D: the forecasters' frequency (default: the first of M, W, D at which both a revenue "
                  "and an expense forecaster are deployed).")
    horizon = serializers.IntegerField(
        min_value=1, max_value=cash_forecast.MAX_HORIZON, required=False,
        help_text="Periods to show from the current one (default 6 months, 12 weeks or 30 days).")


# --- spending patterns -------------------------------------------------------------------------


class MonthAmountSerializer(serializers.Serializer):
    month = serializers.DateField()
    amount = serializers.FloatField()


class TrendSerializer(serializers.Serializer):
    slope = serializers.FloatField(help_text="Least-squares change a month, in the currency.")
    percent_per_month = serializers.FloatField(allow_null=True, help_text="The slope over the monthly average.")
    direction = serializers.ChoiceField(choices=["rising", "falling", "flat"])


class SeasonalitySerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="False with under 24 months of history.")
    history_months = serializers.IntegerField()
    strength = serializers.FloatField(allow_null=True, help_text="0 (none) to 1 (all variation is seasonal).")
    peak_month = serializers.IntegerField(allow_null=True, help_text="1 = January.")
    low_month = serializers.IntegerField(allow_null=True)
    indices = serializers.ListField(child=serializers.FloatField(), help_text="January first; 1 = average.")


class VolatilitySerializer(serializers.Serializer):
    coefficient_of_variation = serializers.FloatField()
    level = serializers.ChoiceField(choices=["low", "medium", "high"])


class RecurringSerializer(serializers.Serializer):
    amount = serializers.FloatField(help_text="Paid to recurring bills in the window.")
    share = serializers.FloatField()
    bills = serializers.IntegerField()


class PatternSerializer(serializers.Serializer):
    total = serializers.FloatField()
    monthly_average = serializers.FloatField()
    monthly = MonthAmountSerializer(many=True)
    trend = TrendSerializer()
    seasonality = SeasonalitySerializer()
    volatility = VolatilitySerializer()
    recurring = RecurringSerializer()


class CategoryPatternSerializer(PatternSerializer):
    category = serializers.IntegerField(allow_null=True, help_text="Null: uncategorised.")
    name = serializers.CharField()


class SpendingPatternsSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    currency = serializers.CharField()
    months = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    total = PatternSerializer()
    categories = CategoryPatternSerializer(many=True)


# --- category preferences -----------------------------------------------------------------------


class PeerShareSerializer(serializers.Serializer):
    median_share = serializers.FloatField()
    p25_share = serializers.FloatField()
    p75_share = serializers.FloatField()
    with_category = serializers.IntegerField(help_text="Peers spending on it (at least five).")
    peers = serializers.IntegerField()
    difference_points = serializers.FloatField(help_text="Your share minus the median, in percentage points.")


class CategoryPreferenceSerializer(serializers.Serializer):
    category = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    rank = serializers.IntegerField()
    spent = serializers.FloatField()
    share = serializers.FloatField()
    transactions = serializers.IntegerField()
    average_transaction = serializers.FloatField()
    discretionary = serializers.BooleanField()
    peers = PeerShareSerializer(allow_null=True, help_text="Null without enough peers spending on it.")


class SegmentRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class CategoryPreferencesSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    currency = serializers.CharField()
    months = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    spent = serializers.FloatField()
    discretionary_share = serializers.FloatField()
    segment = SegmentRefSerializer(allow_null=True)
    peers = serializers.IntegerField(help_text="Other workspaces in your segment.")
    comparison_available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    categories = CategoryPreferenceSerializer(many=True)


# --- financial personality ----------------------------------------------------------------------


class PersonalityScoreSerializer(serializers.Serializer):
    personality = serializers.CharField()
    label = serializers.CharField()
    score = serializers.FloatField(help_text="Share of its applicable rules that hold.")
    rules_met = serializers.IntegerField()
    rules_applicable = serializers.IntegerField()


class PersonalityReasonSerializer(serializers.Serializer):
    personality = serializers.CharField()
    feature = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    comparison = serializers.ChoiceField(choices=[">=", "<=", "<"])
    threshold = serializers.FloatField()
    met = serializers.BooleanField(allow_null=True, help_text="Null: the rule does not apply (no budgets, no goals).")
    text = serializers.CharField()


class PersonalityFeaturesSerializer(serializers.Serializer):
    savings_rate = serializers.FloatField()
    spending_volatility = serializers.FloatField()
    discretionary_share = serializers.FloatField()
    goal_progress = serializers.FloatField(allow_null=True)
    engagement = serializers.FloatField(help_text="Your events a week over 90 days.")
    spending_trend = serializers.FloatField(allow_null=True)
    recurring_share = serializers.FloatField(allow_null=True)
    budget_adherence = serializers.FloatField(allow_null=True)
    goals = serializers.IntegerField()


class FinancialPersonalitySerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    currency = serializers.CharField()
    months = serializers.IntegerField()
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    personality = serializers.ChoiceField(choices=["saver", "planner", "spender", "balanced"], allow_null=True)
    label = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    scores = PersonalityScoreSerializer(many=True)
    reasons = PersonalityReasonSerializer(many=True)
    features = PersonalityFeaturesSerializer()
    segment = SegmentRefSerializer(allow_null=True)


# --- segment insights ---------------------------------------------------------------------------


class SegmentInfoSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    size = serializers.IntegerField()
    workspace_count = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    assigned_at = serializers.DateTimeField()
    distance = serializers.FloatField()


class SegmentRunInfoSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    silhouette = serializers.FloatField(allow_null=True)
    k = serializers.DictField(child=serializers.IntegerField())


class ProfileRowSerializer(serializers.Serializer):
    feature = serializers.ChoiceField(choices=FEATURES)
    label = serializers.CharField()
    yours = serializers.FloatField(allow_null=True)
    segment = serializers.FloatField(allow_null=True, help_text="Null while the segment's centre is not shown.")
    difference = serializers.FloatField(allow_null=True)
    direction = serializers.ChoiceField(choices=["above", "below", "close"], allow_null=True)


class SegmentInsightSerializer(serializers.Serializer):
    feature = serializers.CharField()
    text = serializers.CharField()


class SegmentPeersSerializer(PeerComparisonSerializer):
    workspace = None
    months = serializers.IntegerField()
    currency = serializers.CharField()


class SegmentInsightsSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    currency = serializers.CharField()
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    segment = SegmentInfoSerializer(allow_null=True)
    run = SegmentRunInfoSerializer(allow_null=True)
    profile = ProfileRowSerializer(many=True)
    insights = SegmentInsightSerializer(many=True)
    peers = SegmentPeersSerializer()


# --- financial forecast -------------------------------------------------------------------------


class BandSerializer(serializers.Serializer):
    forecast = serializers.FloatField()
    lo80 = serializers.FloatField()
    hi80 = serializers.FloatField()
    lo95 = serializers.FloatField()
    hi95 = serializers.FloatField()


class CashPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    partial = serializers.BooleanField(help_text="The current period: part of it is in the books already.")
    revenue = BandSerializer()
    expense = BandSerializer()
    net = BandSerializer()


class CashTotalSerializer(serializers.Serializer):
    revenue = serializers.FloatField()
    expense = serializers.FloatField()
    net = serializers.FloatField()
    net_lo80 = serializers.FloatField()
    net_hi80 = serializers.FloatField()
    net_lo95 = serializers.FloatField()
    net_hi95 = serializers.FloatField()
    probability_negative = serializers.FloatField(help_text="The chance that the periods' net adds up below zero.")
    periods_negative = serializers.IntegerField()


class ForecastModelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    algorithm = serializers.CharField()
    trained_until = serializers.DateField(allow_null=True)


class ForecastModelsSerializer(serializers.Serializer):
    revenue = ForecastModelSerializer()
    expense = ForecastModelSerializer()


class FinancialForecastSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    currency = serializers.CharField()
    available = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices, allow_null=True)
    models = ForecastModelsSerializer(allow_null=True)
    total = CashTotalSerializer(allow_null=True)
    periods = CashPeriodSerializer(many=True)
