import datetime as dt

import django_filters as filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

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


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, in UTC: ISO 8601 allows offsets to ±23:59, PostgreSQL only to
    ±15:59 (a 500 otherwise); an instant past year 9999 in UTC is invalid (400)."""

    def to_python(self, value):  # noqa: ANN001, ANN201 - Django's signature
        instant = super().to_python(value)
        if instant is None:
            return None
        try:
            return instant.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(f"{value} is out of range.", code="invalid") from None


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


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
