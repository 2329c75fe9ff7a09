"""The ML pages for end users, mounted at the site root (namespace ``forecasting``)."""

from django.urls import path

from forecasting.pages import inventory as inventory_planning
from forecasting.pages import models, suggestions

app_name = "forecasting"

urlpatterns = [
    path("models/", models.ModelsView.as_view(), name="models"),
    path("models/retrain/", models.RetrainView.as_view(), name="retrain"),
    path("inventory/plan/", inventory_planning.StockPlanCreateView.as_view(), name="stock-plan-create"),
    path(
        "transactions/<int:pk>/suggestion/accept/",
        suggestions.SuggestionAcceptView.as_view(),
        name="suggestion-accept",
    ),
    path(
        "transactions/<int:pk>/suggestion/correct/",
        suggestions.SuggestionCorrectView.as_view(),
        name="suggestion-correct",
    ),
]
