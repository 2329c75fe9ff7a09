import django_filters as filters

from config.filters import UtcIsoDateTimeFilter
from forecasting.inventory.models import StockPlan
from forecasting.monitoring.models import Alert
from forecasting.registry.models import ModelVersion, Rollout
from forecasting.training.models import TrainingJob


class ModelVersionFilter(filters.FilterSet):
    class Meta:
        model = ModelVersion
        fields = {
            "workspace": ["exact"], "target": ["exact", "startswith"], "algorithm": ["exact"],
            "status": ["exact"], "kind": ["exact"], "frequency": ["exact"],
        }


class TrainingJobFilter(filters.FilterSet):
    class Meta:
        model = TrainingJob
        fields = {"workspace": ["exact"], "target": ["exact"], "status": ["exact"], "trigger": ["exact"]}


class AlertFilter(filters.FilterSet):
    open = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull")

    class Meta:
        model = Alert
        fields = {"workspace": ["exact"], "kind": ["exact"], "severity": ["exact"], "target": ["exact"]}


class StockPlanFilter(filters.FilterSet):
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockPlan
        fields = {"workspace": ["exact"], "status": ["exact"]}


class RolloutFilter(filters.FilterSet):
    class Meta:
        model = Rollout
        fields = {"workspace": ["exact"], "target": ["exact"], "frequency": ["exact"], "mode": ["exact"],
                  "status": ["exact"]}
