"""``GET /api/v1/coaching/behavioral-insights/?workspace=[&user=]``: a member's behaviour
features, the change of the last 30 days against their own baseline, and the insights it
gives. Yourself at any role; another member of the workspace: owners and managers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coaching.behaviour.changes import DROP, MEASURES, RISE, STEADY, behaviour_changes
from coaching.behaviour.features import behaviour_features, member_events
from coaching.services.insights import behaviour_change_insights
from finance.api.kit import workspace_for
from finance.models import Membership
from finance.selectors import membership_role_get

#: A flagged change is of high priority when it moved by twice BEHAVIOUR_CHANGE_MIN_RATIO (60 %) or more.
HIGH_PRIORITY_FACTOR = 2


class BehaviourQuerySerializer(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1, help_text="One of your workspaces.")
    user = serializers.IntegerField(min_value=1, required=False, help_text="A member of the workspace (default: you).")


class BehaviourPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First local day.")
    end = serializers.DateField(help_text="Last local day (the window ends yesterday: today is not complete).")
    days = serializers.IntegerField()


class EngagementSerializer(serializers.Serializer):
    events = serializers.IntegerField(help_text="Events in the window.")
    sessions = serializers.IntegerField(help_text="Browsing sessions in the window.")
    sessions_per_week = serializers.FloatField()
    events_per_session = serializers.FloatField(allow_null=True)
    active_days = serializers.IntegerField(help_text="Days of the window with at least one event.")


class TemporalSerializer(serializers.Serializer):
    hour_histogram = serializers.ListField(child=serializers.IntegerField(), min_length=24, max_length=24,
                                           help_text="Events by local hour of day (0-23), baseline and window.")
    weekday_histogram = serializers.ListField(child=serializers.IntegerField(), min_length=7, max_length=7,
                                              help_text="Events by weekday, Monday first.")
    peak_hour = serializers.IntegerField(allow_null=True)
    peak_weekday = serializers.CharField(allow_null=True)
    last_event_at = serializers.DateTimeField(allow_null=True)
    days_since_last_event = serializers.IntegerField(allow_null=True)


class BudgetAdherenceSerializer(serializers.Serializer):
    months = serializers.IntegerField(help_text="Complete months looked at.")
    budget_months = serializers.IntegerField(help_text="Budgets × months active in them.")
    within_limit = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="within_limit / budget_months; null without budgets.")


class GoalConsistencySerializer(serializers.Serializer):
    months = serializers.IntegerField(help_text="Complete months looked at.")
    goal_months = serializers.IntegerField(help_text="Goals × months in which the goal was open.")
    contributed = serializers.IntegerField(help_text="Of those, the months in which its saved amount grew.")
    rate = serializers.FloatField(allow_null=True, help_text="contributed / goal_months; null without open goals.")


class FeaturesSerializer(serializers.Serializer):
    engagement = EngagementSerializer()
    temporal = TemporalSerializer()
    budget_adherence = BudgetAdherenceSerializer()
    goal_consistency = GoalConsistencySerializer()


class ChangeSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=list(MEASURES))
    label = serializers.CharField()
    window_mean = serializers.FloatField(help_text="Per day, in the window.")
    baseline_mean = serializers.FloatField(help_text="Per day, in the baseline.")
    change = serializers.FloatField(allow_null=True, help_text="Relative to the baseline; null when it is 0.")
    z = serializers.FloatField(allow_null=True, help_text="Null when not judged (too little history).")
    direction = serializers.ChoiceField(choices=[DROP, RISE, STEADY])
    flagged = serializers.BooleanField()


class BehaviourInsightSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["behaviour_change"])
    severity = serializers.ChoiceField(choices=["warning", "info"])
    priority = serializers.ChoiceField(choices=["high", "medium"], help_text=(
        "high: the measure moved by twice BEHAVIOUR_CHANGE_MIN_RATIO or more (60 % by default)."))
    title = serializers.CharField()
    text = serializers.CharField()
    data = serializers.DictField()


class BehaviouralInsightsSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    user = serializers.IntegerField()
    window = BehaviourPeriodSerializer()
    baseline = BehaviourPeriodSerializer()
    threshold_z = serializers.FloatField(help_text="|z| from which a change is flagged (BEHAVIOUR_CHANGE_Z).")
    features = FeaturesSerializer()
    changes = ChangeSerializer(many=True)
    insights = BehaviourInsightSerializer(many=True)


def _period(start: dt.date, days: int) -> dict:
    return {"start": start, "end": start + dt.timedelta(days=days - 1), "days": days}


class BehaviouralInsightsView(APIView):
    @extend_schema(
        parameters=[BehaviourQuerySerializer],
        responses={200: BehaviouralInsightsSerializer,
                   403: OpenApiResponse(description="Another member's behaviour needs the owner or manager role."),
                   404: OpenApiResponse(description="The workspace is not one of yours, or the user is not one of "
                                                    "its members.")},
    )
    def get(self, request: Request) -> Response:
        """A member's engagement, temporal patterns, budget adherence and goal consistency,
        and whether their use of Ledgerwise changed in the last 30 complete days against
        the 90 before (a z-score per daily measure), with the insights that gives."""
        query = BehaviourQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        workspace = workspace_for(request, query.validated_data["workspace"])
        user_id = query.validated_data.get("user", request.user.pk)
        member = Membership.objects.filter(workspace=workspace, user_id=user_id).select_related("user").first()
        if member is None:
            raise NotFound(f"User {user_id} is not a member of this workspace.")
        if user_id != request.user.pk and (
                membership_role_get(user=request.user, workspace_id=workspace.pk) not in Membership.MANAGE_ROLES):
            raise PermissionDenied("Another member's behaviour needs the owner or manager role.")
        events = member_events(user=member.user, workspace=workspace, today=timezone.localdate())
        changes = behaviour_changes(events=events)
        high = settings.BEHAVIOUR_CHANGE_MIN_RATIO * HIGH_PRIORITY_FACTOR
        insights = [{**i.as_dict(), "priority": "high" if abs(i.data["change"]) >= high else "medium"}
                    for i in behaviour_change_insights(changes)]
        return Response(BehaviouralInsightsSerializer({
            "workspace": workspace.pk, "user": user_id,
            "window": _period(events.window_start, events.window_days),
            "baseline": _period(events.baseline_start, events.baseline_days),
            "threshold_z": settings.BEHAVIOUR_CHANGE_Z,
            "features": behaviour_features(user=member.user, workspace=workspace, today=events.today, events=events),
            "changes": [c.as_dict() for c in changes],
            "insights": insights,
        }).data)
