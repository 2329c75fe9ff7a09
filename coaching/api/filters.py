import django_filters as filters

from coaching.models import BehavioralEvent
from config.filters import UTC_DATETIME_OVERRIDES


class BehavioralEventFilter(filters.FilterSet):
    class Meta:
        model = BehavioralEvent
        fields = {
            "workspace": ["exact"], "event_type": ["exact"], "user": ["exact"],
            "session_id": ["exact"], "timestamp": ["gte", "lte"],
        }
        filter_overrides = UTC_DATETIME_OVERRIDES
