"""The financial analyses under ``/api/v1/financial/`` (spending patterns, category
preferences, financial personality) and the segment insights and financial forecast under
``/api/v1/coaching/``: thin views over :func:`coaching.services.answers.coaching_answer`,
which serves them from the prediction cache (forgotten when the books or the segments
change). Each reads ``?workspace=`` (one of yours; any other is a 404)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from coaching.api import financial_serializers as s
from coaching.api.serializers import WorkspaceQuerySerializer
from coaching.services.answers import coaching_answer
from finance.api.kit import workspace_for


class CachedAnswerView(APIView):
    """``GET``: the cached answer of :attr:`kind` for the query's workspace and you."""

    kind: str
    query_serializer: type[serializers.Serializer] = WorkspaceQuerySerializer
    output_serializer: type[serializers.Serializer]

    def get(self, request: Request) -> Response:
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        workspace = workspace_for(request, params.pop("workspace"))
        answer = coaching_answer(kind=self.kind, workspace=workspace, user=request.user, params=params)
        return Response(self.output_serializer(answer).data)


def _documented(view: type[CachedAnswerView]) -> type[CachedAnswerView]:
    """The view's ``get`` documented with its query and answer (the 4xx come from
    config/openapi.py: 400 for the query, 401, 404 for another workspace, 429)."""
    def get(self: CachedAnswerView, request: Request) -> Response:  # a function of its own: the schema is its
        return CachedAnswerView.get(self, request)

    view.get = extend_schema(parameters=[view.query_serializer], responses={200: view.output_serializer},
                             description=view.__doc__)(get)
    return view


@_documented
class SpendingPatternsView(CachedAnswerView):
    """Your workspace's spending, in total and per category, over the last ``months``
    complete months: each month's amount, the trend (slope a month and direction), the
    seasonality (from two years of history on), the volatility (coefficient of variation)
    and the share paid to recurring bills."""

    kind = "spending_patterns"
    query_serializer = s.SpendingPatternsQuerySerializer
    output_serializer = s.SpendingPatternsSerializer


@_documented
class CategoryPreferencesView(CachedAnswerView):
    """Where your workspace's spending goes over the last ``months`` complete months: each
    category's amount, share, payments and rank, against the shares of the other
    workspaces of your segment (smoothed median and quartiles, only with at least five
    of them spending on the category)."""

    kind = "category_preferences"
    query_serializer = s.CategoryPreferencesQuerySerializer
    output_serializer = s.CategoryPreferencesSerializer


@_documented
class FinancialPersonalityView(CachedAnswerView):
    """Your financial personality (saver, planner, spender, or balanced when none stands
    out) from rules over the features of your books and activity, with every rule's value,
    threshold and verdict, each profile's score and your segment."""

    kind = "financial_personality"
    output_serializer = s.FinancialPersonalitySerializer


@_documented
class SegmentInsightsView(CachedAnswerView):
    """Your segment, how your workspace's features stand against its centre (shown once
    five other workspaces share it), the peers' spending aggregates (five peers at least)
    and what stands out, with the segmentation run it comes from."""

    kind = "segment_insights"
    output_serializer = s.SegmentInsightsSerializer


@_documented
class FinancialForecastView(CachedAnswerView):
    """The net cash flow (revenue − expenses) of the coming periods from your deployed
    revenue and expense forecasters, with 80 % and 95 % intervals, the total over the
    periods and the chance that it is negative; ``available: false`` with the reason when
    either forecaster is missing."""

    kind = "financial_forecast"
    query_serializer = s.FinancialForecastQuerySerializer
    output_serializer = s.FinancialForecastSerializer
