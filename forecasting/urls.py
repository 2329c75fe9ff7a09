"""The ML pages for end users, mounted at the site root (namespace ``forecasting``)."""

from django.urls import path

from forecasting.pages import inventory as inventory_planning
from forecasting.pages import models, product, review, suggestions

app_name = "forecasting"

urlpatterns = [
    path("models/", models.ModelsView.as_view(), name="models"),
    path("models/retrain/", models.RetrainView.as_view(), name="retrain"),
    path("review/", review.ReviewView.as_view(), name="review"),
    path("review/accept-above/", review.ReviewAcceptAboveView.as_view(), name="review-accept-above"),
    path("review/<int:pk>/fraud/", review.ReviewFraudView.as_view(), name="review-fraud"),
    path("inventory/plan/", inventory_planning.StockPlanCreateView.as_view(), name="stock-plan-create"),
    path("inventory/scenarios/", inventory_planning.ScenarioCompareView.as_view(), name="stock-plan-scenarios"),
    path("inventory/products/<int:pk>/", product.ProductAnalysisView.as_view(), name="product-analysis"),
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
