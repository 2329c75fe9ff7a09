"""Celery's autodiscovery reads ``<app>.tasks``; each feature package keeps its own tasks
(``training.tasks``, ``classifiers.tasks``) and this module only imports them."""

from forecasting.classifiers.tasks import transactions_score_task, workspace_score_task
from forecasting.inventory.tasks import stockout_alerts_task
from forecasting.monitoring.tasks import alert_notification_deliver_task
from forecasting.training.tasks import (
    artifact_orphans_collect_task,
    autolearn_check_task,
    continuous_learning_sweep_task,
    full_retrain_task,
    models_evaluate_task,
    predictions_cleanup_task,
    training_job_run_task,
    training_jobs_reap_task,
)

__all__ = [
    "alert_notification_deliver_task", "artifact_orphans_collect_task", "autolearn_check_task",
    "continuous_learning_sweep_task", "full_retrain_task", "models_evaluate_task", "predictions_cleanup_task",
    "stockout_alerts_task",
    "training_job_run_task", "training_jobs_reap_task", "transactions_score_task", "workspace_score_task",
]
