"""Reads behind the Models page.

Each function runs a fixed number of queries whatever the number of rows, so the pages'
query counts stay flat (pinned in tests/forecasting/test_pages.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from finance.models import Category, Product, Workspace
from forecasting.monitoring.models import Alert
from forecasting.registry.models import ModelVersion, TargetState
from forecasting.series.frequency import preference_rank
from forecasting.series.targets import InvalidTarget, Target
from forecasting.training.models import TrainingJob
from forecasting.training.selectors import training_jobs_active, training_queue_positions
from forecasting.training.sweeps import BASE_TARGETS

# --- the Models page ----------------------------------------------------------------------


@dataclass
class TargetStatus:
    """What the Models page shows for one target of the workspace."""

    target: Target
    label: str
    state: TargetState
    deployed: ModelVersion | None = None
    active_job: TrainingJob | None = None
    alerts: list[Alert] = field(default_factory=list)
    #: A queued job's place among every queued job of the installation (1: next to start).
    queue_position: int | None = None

    @property
    def key(self) -> str:
        return self.target.key

    @property
    def last_learned_at(self) -> dt.datetime | None:
        if self.state.last_trained_at is not None:
            return self.state.last_trained_at
        return self.deployed.created_at if self.deployed is not None else None


@dataclass
class ModelsOverview:
    targets: list[TargetStatus]
    open_alerts: list[Alert]


METRIC_LABELS = {
    "revenue": "Revenue",
    "expense": "Expenses",
    "inventory": "Inventory demand",
    "categorizer": "Transaction categoriser",
    "fraud": "Fraud detector",
    "anomaly": "Anomaly detector",
    "stockout": "Stockout risk",
}


def target_label(target: Target, *, categories: dict[int, str], products: dict[int, str],
                 warehouses: dict[int, str] | None = None) -> str:
    """A person's name for a target: "Expenses — Groceries", "Inventory demand — Croissant"."""
    label = METRIC_LABELS.get(target.metric, target.metric)
    parts = []
    if target.category_id is not None:
        parts.append(categories.get(target.category_id, f"category {target.category_id}"))
    if target.product_id is not None:
        parts.append(products.get(target.product_id, f"product {target.product_id}"))
    if target.warehouse_id is not None:
        parts.append((warehouses or {}).get(target.warehouse_id, f"warehouse {target.warehouse_id}"))
    return " — ".join([label, *parts])


def models_overview(*, workspace: Workspace, alert_limit: int = 50, has_products: bool = True) -> ModelsOverview:
    """Every target of the workspace (the base ones, those with a learning state and those
    with a deployed model), each with its deployed version, learning state, running or
    queued job and open alerts; plus the open alerts, newest first. Inventory demand is a
    base target only of a workspace ``has_products`` (a household has no inventory card).

    Five queries, plus one for category names and one for product names when targets
    name categories or products, and one for the place in line of queued jobs.
    """
    states = {s.target: s for s in TargetState.objects.filter(workspace=workspace)}
    deployed: dict[str, ModelVersion] = {}
    for v in (ModelVersion.objects.filter(workspace=workspace, status=ModelVersion.Status.DEPLOYED)
              .defer("training_data", "backtest").order_by(preference_rank())):
        deployed.setdefault(v.target, v)  # a target deployed at several frequencies: its monthly model
    jobs = training_jobs_active(workspace=workspace)
    positions = training_queue_positions(
        job_ids={job.pk for job in jobs.values() if job.status == TrainingJob.Status.QUEUED})
    open_alerts = list(
        Alert.objects.filter(workspace=workspace, acknowledged_at__isnull=True)
        .select_related("model_version")
        .order_by("-created_at", "-id")[:alert_limit]
    )
    base = {*BASE_TARGETS, "categorizer"} - (set() if has_products else {"inventory"})
    keys = set(states) | set(deployed) | set(jobs) | base
    targets: dict[str, Target] = {}
    for key in keys:
        try:
            targets[key] = Target.parse(key)
        except InvalidTarget:
            continue
    category_ids = {t.category_id for t in targets.values() if t.category_id is not None}
    product_ids = {t.product_id for t in targets.values() if t.product_id is not None}
    categories = dict(Category.objects.filter(workspace=workspace, pk__in=category_ids).values_list("pk", "name")) \
        if category_ids else {}
    products = dict(Product.objects.filter(workspace=workspace, pk__in=product_ids).values_list("pk", "name")) \
        if product_ids else {}

    by_target: dict[str, list[Alert]] = {}
    for alert in open_alerts:
        by_target.setdefault(alert.target, []).append(alert)

    def order(item: tuple[str, Target]) -> tuple:
        key, target = item
        metric_rank = list(METRIC_LABELS).index(target.metric) if target.metric in METRIC_LABELS else 99
        return (metric_rank, target.category_id is not None or target.product_id is not None, key)

    statuses = [
        TargetStatus(
            target=target,
            label=target_label(target, categories=categories, products=products),
            state=states.get(key) or TargetState(workspace=workspace, target=key, kind=target.kind),
            deployed=deployed.get(key),
            active_job=jobs.get(key),
            alerts=by_target.get(key, []),
            queue_position=positions.get(jobs[key].pk) if key in jobs else None,
        )
        for key, target in sorted(targets.items(), key=order)
    ]
    return ModelsOverview(targets=statuses, open_alerts=open_alerts)
