from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from coaching.bandits import STRATEGIES
from coaching.models import (
    BanditArm,
    BehavioralEvent,
    CoachingSettings,
    RecommendationImpression,
    Segment,
    SegmentAssignment,
    SegmentationRun,
)
from coaching.privacy import privacy_filter
from coaching.services.evaluation import CI_METHODS, policy_evaluate
from coaching.services.segment_runs import SegmentationRunError, segmentation_run_rollback
from coaching.services.segments import segments_refresh
from finance.admin import WorkspaceScopedAdmin
from finance.models import Workspace
from finance.selectors import workspace_list_for_user
from forecasting.admin import confirm_action


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
        report = segments_refresh(trigger=SegmentationRun.Trigger.ADMIN, user=request.user)
        self.message_user(
            request, f"Segmented {report.members} member(s) into {report.segments} segment(s).", messages.SUCCESS
        )
        return redirect("admin:coaching_segment_changelist")


@admin.register(SegmentationRun)
class SegmentationRunAdmin(admin.ModelAdmin):
    """Every segmentation run with its quality, read-only; the action rolls the current run
    back to the one before it (:func:`coaching.services.segment_runs.segmentation_run_rollback`),
    for staff with the ``rollback_segmentationrun`` permission. A run's snapshot holds every
    member's features, so only superusers see it."""

    list_display = ["number", "status", "computed_at", "members", "segment_count", "silhouette", "k_display",
                    "trigger", "created_by"]
    list_filter = ["status", "trigger"]
    search_fields = ["rollback_reason", "created_by__username", "rolled_back_by__username"]
    readonly_fields = ["number", "status", "computed_at", "members", "segment_count", "silhouette", "k", "kinds",
                       "features", "segments_display", "trigger", "created_by", "restored_at", "rolled_back_at",
                       "rolled_back_by", "rollback_reason", "snapshot"]
    actions = ["rollback_current"]

    def get_fields(self, request, obj=None) -> list[str]:  # noqa: ANN001
        fields = list(self.readonly_fields)
        return fields if request.user.is_superuser else [name for name in fields if name != "snapshot"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:  # noqa: ANN001
        return self.get_fields(request, obj)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_rollback_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("coaching.rollback_segmentationrun")

    @admin.display(description="k")
    def k_display(self, obj: SegmentationRun) -> str:
        return ", ".join(f"{kind} {k}" for kind, k in sorted(obj.k.items())) or "—"

    @admin.display(description="segments")
    def segments_display(self, obj: SegmentationRun) -> str:
        return "; ".join(f"{s['name']} ({s['kind']}, {s['size']})" for s in obj.snapshot.get("segments", [])) or "—"

    @admin.action(description="Roll back the current run to the one before it", permissions=["rollback"])
    def rollback_current(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if list(queryset.values_list("status", flat=True)) != [SegmentationRun.Status.CURRENT]:
            self.message_user(request, "Select the current run (only) to roll it back.", messages.ERROR)
            return None

        def perform(qs: QuerySet) -> None:
            try:
                run = segmentation_run_rollback(user=request.user, reason=request.POST.get("reason", "").strip())
            except SegmentationRunError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Run {run.number} of {run.computed_at:%Y-%m-%d %H:%M} is current again.")

        return confirm_action(self, request, queryset, title="Roll back the segmentation",
                              question="Restore the segments and assignments of the run before this one? New "
                                       "members since then are placed in its nearest segment.",
                              perform=perform, with_reason=True)


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


@admin.register(CoachingSettings)
class CoachingSettingsAdmin(WorkspaceScopedAdmin):
    """Which bandit strategy picks each workspace's recommendations (a workspace without a
    row uses Thompson sampling); the action evaluates the strategies offline on its logs."""

    list_display = ["workspace", "strategy", "epsilon", "updated_at"]
    list_filter = ["strategy"]
    search_fields = ["workspace__name"]
    list_select_related = ["workspace"]
    actions = ["evaluate_selected"]

    @admin.action(description="Evaluate the strategies offline on the selected workspaces' impressions",
                  permissions=["view"])
    def evaluate_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        ids = "&".join(f"workspace={pk}" for pk in queryset.values_list("workspace_id", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:coaching_recommendationimpression_evaluate')}?{ids}")


class EvaluationForm(forms.Form):
    workspace = forms.ModelMultipleChoiceField(queryset=Workspace.objects.none())
    strategy = forms.MultipleChoiceField(choices=[(s, s) for s in STRATEGIES], initial=list(STRATEGIES),
                                         required=False, widget=forms.CheckboxSelectMultiple)
    epsilon = forms.FloatField(min_value=0.0, max_value=1.0, initial=0.1, help_text="ε of the ε-greedy target.")
    ci = forms.ChoiceField(choices=[(c, c) for c in CI_METHODS], initial="bootstrap", label="Interval")

    def __init__(self, *args, user, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = (
            Workspace.objects.all() if user.is_superuser else workspace_list_for_user(user=user))


@admin.register(RecommendationImpression)
class RecommendationImpressionAdmin(WorkspaceScopedAdmin):
    """What was shown to whom and what they answered: a record, read-only; with the offline
    evaluation of the strategies on it (IPS / SNIPS, ``evaluate/``)."""

    change_list_template = "admin/coaching/recommendationimpression/change_list.html"
    list_display = ["shown_at", "user", "workspace", "arm", "segment_key", "position", "status", "reward",
                    "strategy", "propensity"]
    list_filter = ["status", "arm", "strategy", "workspace"]
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

    def get_urls(self) -> list:
        extra = [path("evaluate/", self.admin_site.admin_view(self.evaluate_view),
                      name="coaching_recommendationimpression_evaluate")]
        return extra + super().get_urls()

    def evaluate_view(self, request: HttpRequest) -> HttpResponse:
        """``GET ?workspace=<id>&…``: the IPS / SNIPS table of each strategy on the chosen
        workspaces' logged impressions (staff see their own workspaces only)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = EvaluationForm(request.GET or None, user=request.user)
        report = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            report = policy_evaluate(workspaces=list(data["workspace"]), strategies=data["strategy"] or None,
                                     epsilon=data["epsilon"], ci=data["ci"])
        context = {**self.admin_site.each_context(request), "title": "Offline evaluation of the strategies",
                   "opts": self.model._meta, "form": form, "report": report}
        return TemplateResponse(request, "admin/coaching/evaluate.html", context)
