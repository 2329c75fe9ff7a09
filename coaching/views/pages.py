"""The Coaching page: your segment, recommendations chosen for you (with Accept and
Dismiss), next month's spending, your goals' chances, insights and how your spending
compares with your segment's — and the POSTs that record what the page showed and answer
a recommendation.

The page reads; it writes nothing while rendering. The recommendations it draws travel
with it as a signed *slate*: the browser posts the slate back once the page is shown
(the impressions are stored then), and an answer carries it too, so an answer to a
recommendation whose showing was not recorded (no script) still counts as shown."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from coaching.models import RecommendationImpression
from coaching.selectors import (
    coaching_context,
    impression_queryset_for_user,
    segment_assignment_get,
)
from coaching.services.budget_risk import budget_risks_all
from coaching.services.insights import insights_for
from coaching.services.peers import peer_comparison_for_assignment, segment_details_shown
from coaching.services.predictions import goals_predict, spending_predict
from coaching.services.recommendations import (
    FeedbackRefused,
    recommendation_feedback,
    recommendations_draw,
    recommendations_record,
    segment_key_of,
    slate_sign,
    slate_unsign,
)
from coaching.services.spending import spending_forecast
from finance.months import month_end
from finance.views.base import WorkspacePageMixin

SECTION_URL_NAME = "coaching:page"
SPENDING_ROWS = 8  # the largest categories of next month's (and this week's) forecast
WEEKS = 4  # the weekly view: this week and the next three
IN_PROGRESS_ROWS = 5  # accepted recommendations waiting for "done"


class CoachingView(WorkspacePageMixin, TemplateView):
    """Everything coaching knows about the current workspace, for the signed-in user."""

    template_name = "coaching/coaching.html"
    section = "coaching"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user, workspace, today = self.request.user, self.workspace, timezone.localdate()
        ctx = coaching_context(workspace=workspace, today=today)
        goals = goals_predict(ctx=ctx)
        spending = spending_predict(ctx=ctx, user=user, log=False)
        ranked = sorted((c for c in spending["categories"] if c["forecast"]),
                        key=lambda c: (-c["forecast"]["amount"], c["name"]))
        weekly = spending_forecast(workspace=workspace, frequency="W", horizon=WEEKS, today=today, log=False)
        uses, risks = budget_risks_all(workspace=workspace, today=today, uses=ctx.budgets)
        assignment = segment_assignment_get(workspace=workspace, user=user)
        recommendations = recommendations_draw(
            workspace=workspace, user=user, ctx=ctx, segment_key=segment_key_of(workspace=workspace, assignment=assignment),
        )
        context.update(
            section_url_name=SECTION_URL_NAME,
            assignment=assignment,
            segment_details=assignment is not None and segment_details_shown(segment=assignment.segment),
            recommendations=recommendations,
            slate=slate_sign(recommendations) if recommendations else "",
            in_progress=list(impression_queryset_for_user(user=user).filter(
                workspace=workspace, status=RecommendationImpression.Status.ACCEPTED)[:IN_PROGRESS_ROWS]),
            goals=goals,
            goal_charts=[(p, p.chart(currency=workspace.currency), f"goal-trajectory-data-{p.goal.pk}") for p in goals],
            today=today,
            month_end=month_end(today),
            currency=workspace.currency,
            insights=insights_for(ctx=ctx, goals=goals, user=user),
            spending=spending,
            spending_rows=ranked[:SPENDING_ROWS],
            weekly=weekly,
            weekly_rows=sorted((c for c in weekly["categories"] if c["forecast"]),
                               key=lambda c: (-c["forecast"][0]["amount"], c["name"]))[:SPENDING_ROWS],
            budget_rows=[(use, risks.get(use.budget.pk)) for use in uses],
            peers=peer_comparison_for_assignment(workspace=workspace, assignment=assignment, today=today),
        )
        return context


class RecommendationsShownView(WorkspacePageMixin, View):
    """``POST slate=<token>`` (the page's beacon once it is shown): store the page's
    recommendations as impressions, once. 204; a token not yours or too old is 400."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            slate = slate_unsign(request.POST.get("slate", ""), workspace=self.workspace, user=request.user)
        except FeedbackRefused as exc:
            return JsonResponse({"detail": str(exc)}, status=400)
        recommendations_record(impressions=slate)
        return HttpResponse(status=204)


class RecommendationAnswerView(WorkspacePageMixin, View):
    """``POST slate=<token>&position=<n>&action=accepted|dismissed``: the answer to one
    recommendation of the page (its slate is stored first if the beacon did not); back to
    the Coaching page with a message."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            slate = slate_unsign(request.POST.get("slate", ""), workspace=self.workspace, user=request.user)
            position = int(request.POST.get("position", ""))
            impression = next(i for i in recommendations_record(impressions=slate) if i.position == position)
        except (FeedbackRefused, ValueError, StopIteration) as exc:
            messages.error(request, str(exc) if isinstance(exc, FeedbackRefused) else "No such recommendation.")
            return redirect(SECTION_URL_NAME)
        return _answer(request, impression)


class RecommendationFeedbackView(WorkspacePageMixin, View):
    """``POST action=accepted|dismissed|completed`` on one of your own impressions (anyone
    else's is a 404); back to the Coaching page with a message."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        impression = get_object_or_404(impression_queryset_for_user(user=request.user), pk=pk)
        return _answer(request, impression)


def _answer(request: HttpRequest, impression: RecommendationImpression) -> HttpResponse:
    """Record the answer to ``impression`` and go back to the page with a message."""
    action = request.POST.get("action", "")
    try:
        recommendation_feedback(impression=impression, action=action, user=request.user)
    except FeedbackRefused as exc:
        messages.error(request, str(exc))
        return redirect(SECTION_URL_NAME)
    messages.success(request, {
        "accepted": f"Accepted: {impression.title}.",
        "completed": f"Done: {impression.title}. Well done!",
        "dismissed": f"Dismissed: {impression.title}. You will see it less often.",
    }[action])
    return redirect(SECTION_URL_NAME)
