import django_filters as filters

from coaching.models import BehavioralEvent


class BehavioralEventFilter(filters.FilterSet):
    class Meta:
        model = BehavioralEvent
        fields = {
            "workspace": ["exact"], "event_type": ["exact"], "user": ["exact"],
            "session_id": ["exact"], "timestamp": ["gte", "lte"],
        }
