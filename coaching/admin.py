from django.contrib import admin

from coaching.models import BehavioralEvent
from coaching.privacy import privacy_filter
from finance.admin import WorkspaceScopedAdmin


@admin.register(BehavioralEvent)
class BehavioralEventAdmin(WorkspaceScopedAdmin):
    list_display = ["timestamp", "user", "event_type", "session_id", "redacted_fields", "workspace"]
    list_filter = ["event_type", "workspace"]
    search_fields = ["user__username", "session_id"]
    date_hierarchy = "timestamp"
    list_select_related = ["user", "workspace"]
    readonly_fields = ["redacted_fields", "created_at"]

    def save_model(self, request, obj: BehavioralEvent, form, change: bool) -> None:  # noqa: ANN001
        """Events typed in by staff pass the same privacy filter as the API's."""
        obj.data, obj.redacted_fields = privacy_filter(obj.data)
        super().save_model(request, obj, form, change)
