"""Django loads an app's models from ``forecasting.models``; each feature package keeps its
own (``registry``, ``training``, ``serving``, ``monitoring``, ``inventory``) and this module
only gathers them under the ``forecasting`` app label, so the migrations stay as they were."""

from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.monitoring.models import Alert, NotificationChannel, PerformanceSnapshot
from forecasting.registry.models import (
    Deployment,
    ModelKind,
    ModelVersion,
    ModelVersionDeletion,
    TargetState,
)
from forecasting.serving.models import Feedback, Prediction
from forecasting.training.models import TrainingJob

__all__ = [
    "Alert", "Deployment", "Feedback", "ModelKind", "ModelVersion", "ModelVersionDeletion", "NotificationChannel",
    "PerformanceSnapshot", "Prediction", "StockPlan", "StockPlanLine", "TargetState", "TrainingJob",
]
