"""Coaching's predictions under ``/api/v1/coaching/``: ``spending-prediction`` (weekly or
monthly spending with 80/95 % intervals, :mod:`coaching.services.spending`) and
``goal-prediction`` (each goal's chance by simulation, trajectory, expected date, risk
factors and adjustments, :mod:`coaching.services.predictions`) — thin views over the
services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coaching.api.serializers import GoalPredictionSerializer, WorkspaceQuerySerializer
from coaching.selectors import coaching_context
from coaching.services.predictions import goals_predict
from coaching.services.spending import (
    DEFAULT_HORIZON,
    FREQUENCY_CHOICES,
    MAX_HORIZON,
    METHOD_CHOICES,
    spending_categories_named,
    spending_forecast,
)
from finance.api.kit import StrictSerializer, workspace_for
from finance.services.recurring import BILL_PERIOD_CHOICES

MAX_CATEGORIES = 50


class SpendingPredictionQuerySerializer(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1)
    frequency = serializers.ChoiceField(choices=FREQUENCY_CHOICES, default="M",
                                        help_text="W: weeks from Monday; M: calendar months.")
    horizon = serializers.IntegerField(
        min_value=1, required=False,
        help_text=f"Periods from the current one: weekly at most {MAX_HORIZON['W']} (default "
                  f"{DEFAULT_HORIZON['W']}), monthly at most {MAX_HORIZON['M']} (default {DEFAULT_HORIZON['M']}).")
    category = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_empty=False, max_length=MAX_CATEGORIES,
        help_text="Only these expense categories of the workspace (repeat the parameter); default: every "
                  "category with spending in the last three years.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        most = MAX_HORIZON[attrs["frequency"]]
        if attrs.get("horizon", 1) > most:
            name = {"W": "weekly", "M": "monthly"}[attrs["frequency"]]
            raise serializers.ValidationError({"horizon": [f"At most {most} {name} periods."]})
        return attrs


class SpendingPredictionBodySerializer(StrictSerializer, SpendingPredictionQuerySerializer):
    """The query's fields as a JSON body (a typo is refused, not ignored)."""


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    current = serializers.BooleanField(help_text="The period in progress (partial: see elapsed_share).")
    elapsed_share = serializers.FloatField(help_text="Share of the current period's days gone, today included.")


class PeriodForecastSerializer(serializers.Serializer):
    start = serializers.DateField()
    amount = serializers.FloatField()
    lo80 = serializers.FloatField()
    hi80 = serializers.FloatField()
    lo95 = serializers.FloatField()
    hi95 = serializers.FloatField()
    bills = serializers.FloatField(
        allow_null=True,
        help_text="Recurring bills counted in this period's amount and bands (the engine path): those due in it, "
                  "and in the current period those already paid so far (a bill paid is not projected again); the "
                  "engine forecast the rest of the spending without them. null: a deployed model answered (its "
                  "forecast holds the bills as it learnt them).")


class ScheduledBillSerializer(serializers.Serializer):
    payee = serializers.CharField()
    period = serializers.ChoiceField(choices=BILL_PERIOD_CHOICES, help_text="How often the bill is paid.")
    amount = serializers.FloatField(help_text="Expected per payment (the median of its last payments).")
    next_date = serializers.DateField(help_text="Its next payment after the last one seen.")


class SeriesSpendingSerializer(serializers.Serializer):
    category = serializers.IntegerField(allow_null=True, help_text="null for the total.")
    name = serializers.CharField()
    history_periods = serializers.IntegerField(help_text="Complete periods the forecast learnt from.")
    last_period = serializers.FloatField()
    recent_average = serializers.FloatField(help_text="Average of the last recent_periods complete periods.")
    spent_so_far = serializers.FloatField(help_text="Spent in the current period up to today.")
    trend = serializers.ChoiceField(choices=["rising", "falling", "steady"], allow_null=True)
    method = serializers.ChoiceField(choices=METHOD_CHOICES, allow_null=True,
                                     help_text="model: the deployed forecaster; engine: the forecasting engine's race.")
    algorithm = serializers.CharField(allow_null=True)
    forecast = PeriodForecastSerializer(many=True, allow_null=True, help_text="null: not enough history.")
    bills = ScheduledBillSerializer(
        many=True,
        help_text="The recurring bills counted by their due dates in this series' forecast (method engine; the "
                  "total takes every one, a category its own): those that make the periods uneven (in weekly "
                  "forecasts the bills paid every other week, twice a month, monthly or yearly; in monthly "
                  "forecasts the yearly ones). "
                  "Empty when a deployed model answered or no such bill was found.")


class SpendingPredictionSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    frequency = serializers.CharField()
    horizon = serializers.IntegerField()
    currency = serializers.CharField()
    today = serializers.DateField()
    recent_periods = serializers.IntegerField()
    periods = PeriodSerializer(many=True)
    total = SeriesSpendingSerializer()
    categories = SeriesSpendingSerializer(many=True)


class SpendingPredictionView(APIView):
    """Spending of the current and the next periods, weekly or monthly, in total and per
    expense category, with 80 % and 95 % intervals: the deployed forecaster of each series
    where one covers the periods, else the forecasting engine's race. ``GET`` takes the
    query, ``POST`` the same fields as JSON; both only read (the answer is logged as a
    prediction)."""

    @extend_schema(parameters=[SpendingPredictionQuerySerializer], responses={200: SpendingPredictionSerializer})
    def get(self, request: Request) -> Response:
        return self._answer(request, SpendingPredictionQuerySerializer(data=request.query_params))

    @extend_schema(request=SpendingPredictionBodySerializer, responses={200: SpendingPredictionSerializer})
    def post(self, request: Request) -> Response:
        return self._answer(request, SpendingPredictionBodySerializer(data=request.data))

    def _answer(self, request: Request, query: serializers.Serializer) -> Response:
        query.is_valid(raise_exception=True)
        data = query.validated_data
        workspace = workspace_for(request, data["workspace"])
        try:
            categories = (spending_categories_named(workspace=workspace, ids=data["category"])
                          if "category" in data else None)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        answer = spending_forecast(workspace=workspace, frequency=data["frequency"], horizon=data.get("horizon"),
                                   categories=categories, today=timezone.localdate(), user=request.user)
        return Response(SpendingPredictionSerializer(answer).data)


# --- goals ---------------------------------------------------------------------------------


class GoalPredictionQuerySerializer(WorkspaceQuerySerializer):
    goal = serializers.IntegerField(min_value=1, required=False,
                                    help_text="One goal of the workspace (default: every goal).")


class TrajectoryPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    median = serializers.FloatField()
    lo80 = serializers.FloatField(help_text="10th percentile of the simulated amounts saved.")
    hi80 = serializers.FloatField(help_text="90th percentile.")


class RiskFactorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["contributions_falling", "spending_rising", "deadline_near",
                                            "deadline_passed", "pace_short"])
    text = serializers.CharField()
    data = serializers.DictField()


class AdjustmentsSerializer(serializers.Serializer):
    target_probability = serializers.FloatField()
    monthly_amount = serializers.FloatField(allow_null=True, help_text=(
        "A monthly contribution that reaches the target by the deadline with target_probability; null when the "
        "goal is already that likely, or its deadline has passed."))
    deadline = serializers.DateField(allow_null=True, help_text=(
        "The nearest deadline the current pace meets with target_probability; null when already that likely, "
        "or not within fifty years."))


class GoalPredictionDetailSerializer(GoalPredictionSerializer):
    history_months = serializers.IntegerField(help_text="Months of observed contributions (the simulation's pool).")
    contributions = serializers.ListField(child=serializers.FloatField(), help_text="Those months, oldest first.")
    simulations = serializers.IntegerField()
    trajectory = TrajectoryPointSerializer(many=True, help_text="From today to the deadline, month by month.")
    risk_factors = RiskFactorSerializer(many=True)
    adjustments = AdjustmentsSerializer()


class GoalPredictionListSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    currency = serializers.CharField()
    goals = GoalPredictionDetailSerializer(many=True)


class GoalPredictionView(APIView):
    """Each goal's chance of being reached by its deadline, by a Monte Carlo simulation of
    its observed monthly contributions (its recorded history, else its members' recorded
    contributions, else a share of the workspace's net savings), with the median
    trajectory and its 80 % band, the expected date, risk factors and the adjustments
    (monthly amount or deadline) that reach an 80 % chance. Another workspace's goal is
    a 404."""

    @extend_schema(parameters=[GoalPredictionQuerySerializer], responses={200: GoalPredictionListSerializer})
    def get(self, request: Request) -> Response:
        query = GoalPredictionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        workspace = workspace_for(request, query.validated_data["workspace"])
        ctx = coaching_context(workspace=workspace, today=timezone.localdate())
        goals = ctx.goals
        if "goal" in query.validated_data:
            goals = [g for g in ctx.goals if g.pk == query.validated_data["goal"]]
            if not goals:
                raise NotFound("No such goal in this workspace.")
        predictions = goals_predict(ctx=ctx, goals=goals)
        return Response(GoalPredictionListSerializer({
            "workspace": workspace.pk, "currency": workspace.currency, "goals": [p.details() for p in predictions],
        }).data)
