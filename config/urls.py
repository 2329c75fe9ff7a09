"""URLs: admin, the versioned API with its schema and docs, and the dashboards."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config.api import router
from config.auth import AuthTokenView
from forecasting.api import batch as ml_batch
from forecasting.api import demand as ml_demand
from forecasting.api import optimize as ml_optimize
from forecasting.api import predictions as ml_predictions
from forecasting.api import views as ml
from forecasting.monitoring import views as monitoring

urlpatterns = [
    # For machines, without a login: container probes and the Prometheus scrape.
    path("health/live/", monitoring.health_live, name="health-live"),
    path("health/ready/", monitoring.health_ready, name="health-ready"),
    path("metrics", monitoring.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", AuthTokenView.as_view(), name="api-token"),
    path("api/v1/ml/train/", ml.TrainView.as_view(), name="ml-train"),
    path("api/v1/ml/rollback/", ml.RollbackView.as_view(), name="ml-rollback"),
    path("api/v1/ml/predict/batch/", ml_batch.BatchPredictView.as_view(), name="ml-predict-batch"),
    path("api/v1/predictions/demand/", ml_demand.DemandPredictionView.as_view(), name="predictions-demand"),
    path("api/v1/predictions/stockout/", ml_predictions.StockoutPredictionView.as_view(), name="predictions-stockout"),
    path("api/v1/predictions/optimize/", ml_optimize.OptimizeView.as_view(), name="predictions-optimize"),
    path("api/v1/ml/categorize/", ml.CategorizeView.as_view(), name="ml-categorize"),
    path("api/v1/ml/health/", ml.HealthView.as_view(), name="ml-health"),
    path("api/v1/ml/status/", ml.ModelStatusView.as_view(), name="ml-status"),
    path("api/v1/ml/auto-learn/status/", ml.AutoLearnStatusView.as_view(), name="ml-autolearn-status"),
    path("api/v1/ml/auto-learn/<str:target>/", ml.AutoLearnTriggerView.as_view(), name="ml-autolearn"),
    path("api/v1/forecasts/<str:metric>/", ml.ForecastView.as_view(), name="forecast"),
    path("api/v1/inventory/reorder-points/", ml.ReorderPointsView.as_view(), name="inventory-reorder-points"),
    path("api/v1/coaching/", include("coaching.api.urls")),
    path("api/v1/financial/", include("coaching.api.financial_urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("coaching.urls")),
    path("", include("forecasting.urls")),
    path("", include("finance.urls")),
]


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 that Django answers before any view (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``,
    a suspicious request): JSON under ``/api/``, the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "The request could not be read (too large or malformed)."}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 of an address no route matches: JSON under ``/api/`` (as the API's own 404s,
    ``{"detail": ...}``), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


handler400 = bad_request
handler404 = not_found
