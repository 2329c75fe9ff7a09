from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path

from coaching.models import (
    BanditArm,
    BehavioralEvent,
    RecommendationImpression,
    Segment,
    SegmentAssignment,
)
from coaching.privacy import privacy_filter
from coaching.services.segments import segments_refresh
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


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Segments are computed, not typed in: read-only, with a button (superusers) that
    recomputes them all. A segment's description and centroid describe its members'
    books (with two workspaces in it, each one's features follow from the centre), so
    only superusers see them; other staff see the name, kind and sizes."""

    superuser_only_fields = ("description", "centroid")

    change_list_template = "admin/coaching/segment/change_list.html"
    list_display = ["name", "kind", "size", "workspace_count", "n_clusters", "silhouette", "computed_at"]
    list_filter = ["kind"]
    search_fields = ["name", "key"]
    readonly_fields = [f.name for f in Segment._meta.fields]

    def get_fields(self, request, obj=None) -> list[str]:  # noqa: ANN001
        fields = list(super().get_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return [name for name in fields if name not in self.superuser_only_fields]

    def get_readonly_fields(self, request, obj=None) -> list[str]:  # noqa: ANN001
        fields = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return [name for name in fields if name not in self.superuser_only_fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def get_urls(self) -> list:
        extra = [path("refresh/", self.admin_site.admin_view(self.refresh_view), name="coaching_segment_refresh")]
        return extra + super().get_urls()

    def refresh_view(self, request: HttpRequest) -> HttpResponse:
        """``POST``: recompute every segment now (superusers: it reads every workspace)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.is_superuser:
            raise PermissionDenied
        report = segments_refresh()
        self.message_user(
            request, f"Segmented {report.members} member(s) into {report.segments} segment(s).", messages.SUCCESS
        )
        return redirect("admin:coaching_segment_changelist")


@admin.register(SegmentAssignment)
class SegmentAssignmentAdmin(WorkspaceScopedAdmin):
    list_display = ["user", "workspace", "segment", "distance", "computed_at"]
    list_filter = ["segment__kind", "segment"]
    search_fields = ["user__username", "workspace__name"]
    list_select_related = ["user", "workspace", "segment"]
    readonly_fields = ["segment", "workspace", "user", "features", "distance", "computed_at"]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(BanditArm)
class BanditArmAdmin(admin.ModelAdmin):
    """The bandit's posteriors; staff may reset one by setting alpha and beta back to 1."""

    list_display = ["segment_key", "arm", "alpha", "beta", "posterior_mean", "updated_at"]
    list_filter = ["arm"]
    search_fields = ["segment_key", "arm"]
    readonly_fields = ["segment_key", "arm", "updated_at"]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    @admin.display(description="mean")
    def posterior_mean(self, obj: BanditArm) -> str:
        return f"{obj.mean:.3f}"


@admin.register(RecommendationImpression)
class RecommendationImpressionAdmin(WorkspaceScopedAdmin):
    """What was shown to whom and what they answered: a record, read-only."""

    list_display = ["shown_at", "user", "workspace", "arm", "segment_key", "position", "status", "reward"]
    list_filter = ["status", "arm", "workspace"]
    search_fields = ["user__username", "arm", "segment_key"]
    date_hierarchy = "shown_at"
    list_select_related = ["user", "workspace"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:  # noqa: ANN001
        return [f.name for f in RecommendationImpression._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
