"""The coaching commands, mounted at ``/api/v1/coaching/``."""

from django.urls import path

from coaching.api import financial, predictions, segments, views
from coaching.behaviour.api import BehaviouralInsightsView

urlpatterns = [
    path("segments/", views.SegmentListView.as_view(), name="coaching-segments"),
    path("refresh-segment/", segments.SegmentRefreshView.as_view(), name="coaching-refresh-segment"),
    path("recommendations/", views.RecommendationListView.as_view(), name="coaching-recommendations"),
    path("recommendations/<int:pk>/feedback/", views.RecommendationFeedbackView.as_view(),
         name="coaching-recommendation-feedback"),
    path("predictions/", views.PredictionsView.as_view(), name="coaching-predictions"),
    path("insights/", views.InsightListView.as_view(), name="coaching-insights"),
    path("budget-risk/", views.BudgetRiskView.as_view(), name="coaching-budget-risk"),
    path("spending-prediction/", predictions.SpendingPredictionView.as_view(), name="coaching-spending-prediction"),
    path("goal-prediction/", predictions.GoalPredictionView.as_view(), name="coaching-goal-prediction"),
    path("peer-comparison/", views.PeerComparisonView.as_view(), name="coaching-peer-comparison"),
    path("segment-insights/", financial.SegmentInsightsView.as_view(), name="coaching-segment-insights"),
    path("financial-forecast/", financial.FinancialForecastView.as_view(), name="coaching-financial-forecast"),
    path("behavioral-insights/", BehaviouralInsightsView.as_view(), name="coaching-behavioral-insights"),
]
