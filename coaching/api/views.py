"""Coaching API: behavioural events (the per-model kit) and the coaching commands under
``/api/v1/coaching/`` — thin views over :mod:`coaching.services` and :mod:`coaching.selectors`."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coaching.api import serializers as s
from coaching.api.filters import BehavioralEventFilter
from coaching.api.serializers import BehavioralEventSerializer
from coaching.models import BehavioralEvent
from coaching.selectors import (
    coaching_context,
    impression_queryset_for_user,
    segment_assignment_list,
)
from coaching.services.answers import coaching_answer
from coaching.services.budget_risk import budget_risks_all
from coaching.services.events import behavioral_event_create
from coaching.services.predictions import goals_predict, spending_predict
from coaching.services.recommendations import (
    FeedbackRefused,
    recommendation_feedback,
    recommendations_choose,
    segment_key_for,
)
from finance.api.kit import Conflict, WorkspaceScopedViewSet, workspace_for
from finance.models import Membership
from finance.months import month_start
from finance.selectors import (
    membership_role_get,
    workspace_list_for_user,
)


class BehavioralEventViewSet(WorkspaceScopedViewSet):
    """Behavioural events. Every member (viewers too) records their own; owners and managers
    see everyone's in their workspaces, others only their own. Secrets and personal data in
    ``data`` are removed before storage (``redacted_fields`` counts them)."""

    model = BehavioralEvent
    serializer_class = BehavioralEventSerializer
    filterset_class = BehavioralEventFilter
    select_related = ("user",)
    ordering_fields = ["timestamp"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    write_roles = tuple(Membership.Role.values)

    def refine_queryset(self, queryset: QuerySet[BehavioralEvent]) -> QuerySet[BehavioralEvent]:
        user = self.request.user
        managed = workspace_list_for_user(user=user, roles=Membership.MANAGE_ROLES).values("pk")
        return queryset.filter(Q(user=user) | Q(workspace_id__in=managed))

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        self.check_workspace_write(data["workspace"].pk)
        serializer.instance = behavioral_event_create(user=self.request.user, **data)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class SegmentListView(APIView):
    """``GET /api/v1/coaching/segments/?workspace=``: the segments of the workspace's members
    with the features each was assigned from. Owners and managers see every member, the
    others their own assignment."""

    @extend_schema(parameters=[s.WorkspaceQuerySerializer], responses={200: s.SegmentListSerializer})
    def get(self, request: Request) -> Response:
        workspace = workspace_for(request, _query(s.WorkspaceQuerySerializer, request)["workspace"])
        everyone = membership_role_get(user=request.user, workspace_id=workspace.pk) in Membership.MANAGE_ROLES
        rows = segment_assignment_list(workspace=workspace, user=request.user, everyone=everyone)
        return Response(s.SegmentListSerializer({"workspace": workspace.pk, "assignments": rows}).data)


class RecommendationListView(APIView):
    """``GET /api/v1/coaching/recommendations/?workspace=&count=3``: recommendations for
    you, chosen for your segment by the workspace's bandit strategy (Thompson sampling unless
    set otherwise) and written from the workspace's books; none you have in progress or
    accepted or completed within the cooldown. Each one is recorded as an impression with
    its strategy and propensity; answer it with ``POST
    /api/v1/coaching/recommendations/{id}/feedback/``."""

    @extend_schema(parameters=[s.RecommendationQuerySerializer], responses={200: s.RecommendationListSerializer})
    def get(self, request: Request) -> Response:
        query = _query(s.RecommendationQuerySerializer, request)
        workspace = workspace_for(request, query["workspace"])
        key = segment_key_for(workspace=workspace, user=request.user)
        impressions = recommendations_choose(workspace=workspace, user=request.user, count=query["count"],
                                             segment_key=key)
        return Response(s.RecommendationListSerializer(
            {"workspace": workspace.pk, "segment_key": key, "recommendations": impressions}).data)


class RecommendationFeedbackView(APIView):
    """``POST /api/v1/coaching/recommendations/{id}/feedback/`` with ``action`` accepted,
    dismissed or completed: the first answer is the bandit's reward (1, 0, 1); ``completed``
    may follow ``accepted``. Only your own impressions (anyone else's is a 404); an answer
    the impression no longer takes is a 409."""

    @extend_schema(request=s.RecommendationFeedbackSerializer, responses={200: s.FeedbackResultSerializer})
    def post(self, request: Request, pk: int) -> Response:
        impression = get_object_or_404(impression_queryset_for_user(user=request.user), pk=pk)
        body = s.RecommendationFeedbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            impression, arm = recommendation_feedback(
                impression=impression, action=body.validated_data["action"], user=request.user)
        except FeedbackRefused as exc:
            raise Conflict({"detail": str(exc)}) from None
        posterior = None if arm is None else {
            "segment_key": arm.segment_key, "arm": arm.arm, "alpha": arm.alpha, "beta": arm.beta, "mean": arm.mean}
        return Response(s.FeedbackResultSerializer({"impression": impression, "posterior": posterior}).data)


class PredictionsView(APIView):
    """``GET /api/v1/coaching/predictions/?workspace=``: next month's spending, in total and
    per category (the deployed forecaster where there is one, else the forecasting
    engine's baselines), and the chance and expected date of reaching each goal."""

    @extend_schema(parameters=[s.WorkspaceQuerySerializer], responses={200: s.PredictionsSerializer})
    def get(self, request: Request) -> Response:
        workspace = workspace_for(request, _query(s.WorkspaceQuerySerializer, request)["workspace"])
        ctx = coaching_context(workspace=workspace, today=timezone.localdate())
        return Response(s.PredictionsSerializer({
            "workspace": workspace.pk,
            "spending": spending_predict(ctx=ctx, user=request.user),
            "goals": [p.as_dict() for p in goals_predict(ctx=ctx)],
        }).data)


class InsightListView(APIView):
    """``GET /api/v1/coaching/insights/?workspace=``: over-budget categories this month,
    categories growing fast against the three months before, goals off track, and marked
    changes in how often you use Ledgerwise (``behaviour_change``, details at
    ``/api/v1/coaching/behavioral-insights/``). Served from the prediction cache (forgotten
    when your books, the segments or the deployed models change; at most
    ``COACHING_CACHE_TTLS['insights']`` seconds old otherwise)."""

    @extend_schema(parameters=[s.WorkspaceQuerySerializer], responses={200: s.InsightListSerializer})
    def get(self, request: Request) -> Response:
        workspace = workspace_for(request, _query(s.WorkspaceQuerySerializer, request)["workspace"])
        answer = coaching_answer(kind="insights", workspace=workspace, user=request.user)  # cached
        return Response(s.InsightListSerializer(answer).data)


class BudgetRiskView(APIView):
    """``GET /api/v1/coaching/budget-risk/?workspace=``: each budget's spending this month
    and its chance of going over by month end — the Overview's and the Budgets page's rule
    (:func:`forecasting.serving.budgets.budget_risks`) where a deployed forecaster covers
    the budget, else the forecasting engine's forecast of its category; either way recurring
    bills already paid this month are not projected again."""

    @extend_schema(parameters=[s.WorkspaceQuerySerializer], responses={200: s.BudgetRiskListSerializer})
    def get(self, request: Request) -> Response:
        workspace = workspace_for(request, _query(s.WorkspaceQuerySerializer, request)["workspace"])
        today = timezone.localdate()
        uses, risks = budget_risks_all(workspace=workspace, today=today)
        rows = []
        for use in uses:
            risk = risks.get(use.budget.pk)
            rows.append({
                "budget": use.budget.pk, "category": use.budget.category_id, "name": use.budget.category.name,
                "limit": use.limit, "spent": use.spent, "unconfirmed_count": use.unconfirmed_count,
                "unconfirmed_amount": use.unconfirmed_amount,
                "projected": risk.projected if risk else None, "probability": risk.probability if risk else None,
                "level": risk.level if risk else None, "source": risk.source if risk else None,
                "bills_paid": risk.bills_paid if risk else 0, "bills_due": risk.bills_due if risk else 0,
            })
        return Response(s.BudgetRiskListSerializer({
            "workspace": workspace.pk, "month": month_start(today), "currency": workspace.currency, "budgets": rows,
        }).data)


class PeerComparisonView(APIView):
    """``GET /api/v1/coaching/peer-comparison/?workspace=``: your workspace's monthly
    spending, in total and per category, against the median and quartiles of the other
    workspaces of your segment — aggregates only, and only with at least five of them.
    Served from the prediction cache (forgotten when your books or the segments change;
    the peers' own books: at most ``COACHING_CACHE_TTLS['peer_comparison']`` seconds old)."""

    @extend_schema(parameters=[s.WorkspaceQuerySerializer], responses={200: s.PeerComparisonSerializer})
    def get(self, request: Request) -> Response:
        workspace = workspace_for(request, _query(s.WorkspaceQuerySerializer, request)["workspace"])
        answer = coaching_answer(kind="peer_comparison", workspace=workspace, user=request.user)  # cached
        return Response(s.PeerComparisonSerializer(answer).data)
