"""Every periodic schedule, declared once, from the settings. ``manage.py setup_schedules``
installs them into django-celery-beat's tables (staff edit them in admin afterwards)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

DAYS = {"mon": "1", "tue": "2", "wed": "3", "thu": "4", "fri": "5", "sat": "6", "sun": "0"}


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    minute: str
    hour: str
    day_of_week: str = "*"
    enabled: bool = True
    description: str = ""


def declared_schedules() -> list[Schedule]:
    day = settings.ML_SCHEDULER_DAY.lower()[:3]
    if day not in DAYS and day != "*":
        raise ValueError(f"ML_SCHEDULER_DAY must be one of {', '.join(DAYS)}; got {settings.ML_SCHEDULER_DAY!r}")
    return [
        Schedule("ml: weekly full retrain", "forecasting.tasks.full_retrain_task",
                 minute=str(settings.ML_SCHEDULER_MINUTE), hour=str(settings.ML_SCHEDULER_HOUR),
                 day_of_week=DAYS.get(day, "*"), enabled=settings.ML_SCHEDULER_ENABLED,
                 description="Retrain every deployed target and every base target with enough data."),
        Schedule("ml: daily continuous-learning sweep", "forecasting.tasks.continuous_learning_sweep_task",
                 minute="30", hour="3", description="Train never-trained targets with enough data; retrain stale "
                 "ones with enough new rows."),
        Schedule("ml: scoring sweep of unscored transactions", "forecasting.tasks.unscored_transactions_sweep_task",
                 minute="*/5", hour="*", description="Every deployed categoriser, fraud and anomaly detector looks "
                 "at the transactions it has not scored yet (rows written while none was deployed, or missed by "
                 "a process that had not heard of a deploy); bounded batches, idempotent."),
        Schedule("ml: training job reaper", "forecasting.tasks.training_jobs_reap_task",
                 minute="*", hour="*", description="Fail running jobs whose worker stopped (no heartbeat for "
                 "ML_TRAINING_STALE_SECONDS), send again queued jobs whose message was lost, free every training "
                 "lock without a live job."),
        Schedule("ml: daily clean-up of orphan artifacts", "forecasting.tasks.artifact_orphans_collect_task",
                 minute="45", hour="4", description="Delete model files no version refers to, once older than "
                 "ML_ARTIFACT_ORPHAN_GRACE_HOURS (left by trainings killed between writing and recording them)."),
        Schedule("inventory: hourly stockout early warning", "forecasting.tasks.stockout_alerts_task",
                 minute="15", hour="*", description="Open a STOCKOUT alert for each product and warehouse whose "
                 "chance of running out within the lead time reaches INVENTORY_STOCKOUT_ALERT_PROBABILITY (one "
                 "per episode); end the episodes whose risk has fallen below half of it."),
        Schedule("ml: daily performance and drift evaluation", "forecasting.tasks.models_evaluate_task",
                 minute="0", hour="4", description="Realised error, accuracy and drift of deployed models."),
        Schedule("ml: daily clean-up of old predictions", "forecasting.tasks.predictions_cleanup_task",
                 minute="30", hour="4", description="Delete prediction logs past retention; free memory."),
        # Declared by name: forecasting must not import coaching (coaching → forecasting → finance).
        Schedule("coaching: daily segment refresh", "coaching.tasks.segments_refresh_task",
                 minute="0", hour="5", description="Recompute the coaching segments of every member (k-means)."),
        Schedule("coaching: hourly prediction cache warm-up", "coaching.tasks.prediction_cache_warm_task",
                 minute="10", hour="*", description="Compute the coaching answers (spending patterns, personality, "
                 "segment insights, cash-flow forecast…) not cached yet for members active within "
                 "COACHING_CACHE_WARM_ACTIVE_DAYS; only with a shared cache (CACHE_URL)."),
        Schedule("coaching: daily budget overrun alerts", "coaching.tasks.budget_alerts_task",
                 minute="20", hour="7", description="Open a budget alert for each budget whose chance of going over "
                 "by month end reaches COACHING_BUDGET_ALERT_PROBABILITY (one per budget per month; recurring bills "
                 "paid this month are not projected again)."),
    ]


@transaction.atomic
def schedules_install() -> list[tuple[str, bool]]:
    """Create or update every declared schedule; returns (name, created) pairs.

    A schedule's timing and task are reset to the declaration; whether staff disabled it
    in admin is kept unless the settings disable it.
    """
    results = []
    for schedule in declared_schedules():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=schedule.minute, hour=schedule.hour, day_of_week=schedule.day_of_week,
            day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE,
        )
        task, created = PeriodicTask.objects.get_or_create(
            name=schedule.name,
            defaults={"task": schedule.task, "crontab": crontab, "enabled": schedule.enabled,
                      "description": schedule.description},
        )
        if not created:
            task.task, task.crontab, task.description = schedule.task, crontab, schedule.description
            if not schedule.enabled:
                task.enabled = False
            task.save()
        results.append((schedule.name, created))
    return results
