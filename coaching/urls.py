"""The coaching pages, mounted at the site root (namespace ``coaching``)."""

from django.urls import path

from coaching.views import pages

app_name = "coaching"

urlpatterns = [
    path("coaching/", pages.CoachingView.as_view(), name="page"),
    path("coaching/recommendations/shown/", pages.RecommendationsShownView.as_view(), name="recommendations-shown"),
    path("coaching/recommendations/answer/", pages.RecommendationAnswerView.as_view(), name="recommendation-answer"),
    path("coaching/recommendations/<int:pk>/feedback/", pages.RecommendationFeedbackView.as_view(),
         name="recommendation-feedback"),
]
