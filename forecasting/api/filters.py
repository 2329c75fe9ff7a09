import django_filters as filters

from forecasting.models import Alert, ModelVersion, TrainingJob


class ModelVersionFilter(filters.FilterSet):
    class Meta:
        model = ModelVersion
        fields = {
            "workspace": ["exact"], "target": ["exact", "startswith"], "algorithm": ["exact"],
            "status": ["exact"], "kind": ["exact"],
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
