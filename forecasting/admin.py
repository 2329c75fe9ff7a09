"""Django admin for the model registry: deploy, roll back, retrain and compare versions
(each behind a permission and a confirmation page), inspect a version, watch jobs and
acknowledge alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from finance.admin import WorkspaceScopedAdmin
from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.monitoring.alerts import alert_acknowledge
from forecasting.monitoring.models import Alert, NotificationChannel, PerformanceSnapshot
from forecasting.pages.inspect import (
    metric_format,
    model_version_inspect,
    model_version_unit,
    params_summary,
)
from forecasting.registry.models import (
    Deployment,
    ModelKind,
    ModelVersion,
    ModelVersionDeletion,
    Rollout,
    TargetState,
)
from forecasting.registry.rollouts import rollout_abort, rollout_promote, rollout_start
from forecasting.registry.services import (
    RegistryError,
    model_version_delete,
    model_version_deploy,
    model_version_rollback,
)
from forecasting.serving.models import Feedback, Prediction
from forecasting.serving.rollouts import rollout_compare
from forecasting.training.autolearn import target_retrain
from forecasting.training.models import TrainingJob


def confirm_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    title: str,
    question: str,
    perform: Callable[[QuerySet], None],
    with_reason: bool = False,
    share: tuple[str, float] | None = None,
) -> HttpResponse | None:
    """Show a confirmation page first; on confirmation run ``perform`` and return to the list.
    ``share``: ask for a rollout's share too (its label and default)."""
    if request.POST.get("confirmed") == "yes":
        perform(queryset)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "objects": queryset,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "with_reason": with_reason,
        "with_share": share is not None,
        "share_label": share[0] if share else "",
        "share_default": share[1] if share else "",
    }
    return TemplateResponse(request, "admin/forecasting/confirm_action.html", context)


@admin.register(ModelVersion)
class ModelVersionAdmin(WorkspaceScopedAdmin):
    # Few, merged columns so that the list fits a 1366 px screen beside both sidebars, the
    # Inspect link next to the model it opens (the date hierarchy covers created_at).
    list_display = ["model_display", "inspect_link", "status", "backtest_display", "training_end", "workspace"]
    list_display_links = ["model_display"]
    list_filter = ["status", "kind", "algorithm", "target", "workspace"]
    search_fields = ["target", "algorithm", "data_hash", "artifact_sha256"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]
    actions = ["deploy_selected", "rollback_selected", "start_canary_selected", "start_shadow_selected",
               "retrain_selected", "compare_selected", "delete_versions"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    delete_confirmation_template = "admin/forecasting/modelversion/delete_confirmation.html"
    params_summary = staticmethod(params_summary)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("training_data", "backtest")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions are made by training

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only record; lifecycle changes go through the actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == ModelVersion.Status.DEPLOYED:
            return False  # deploy another version (or roll back) first
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # ``delete_versions`` asks why and refuses a deployed one
        return actions

    def delete_model(self, request: HttpRequest, obj: ModelVersion) -> None:
        try:
            model_version_delete(version=obj, user=request.user, reason=request.POST.get("reason", "").strip())
        except RegistryError as exc:  # deployed since the confirmation page was shown
            raise PermissionDenied(str(exc)) from exc

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for version in queryset:
            self.delete_model(request, version)

    def has_deploy_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("forecasting.deploy_modelversion")

    def has_rollback_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("forecasting.rollback_modelversion")

    def has_retrain_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("forecasting.retrain_modelversion")

    @admin.display(description="Model", ordering="target")
    def model_display(self, obj: ModelVersion) -> str:
        return format_html('{} v{}<br><span class="quiet">{}</span>', obj.target, obj.version, obj.algorithm)

    @admin.display(description="Backtest", ordering="metrics__mae")
    def backtest_display(self, obj: ModelVersion) -> str:
        """Forecasters: backtest MAE in the series' unit; classifiers: hold-out accuracy and
        macro F1 (or cross-validated F1 for fraud); the stockout model: its backtest Brier
        score beside the forecast distribution's."""
        if obj.kind == ModelKind.FORECASTER:
            if obj.mae is None:
                return "—"
            return f"MAE {metric_format(name='mae', value=obj.mae, unit=model_version_unit(version=obj))}"
        if obj.kind == ModelKind.STOCKOUT and "brier" in obj.metrics:
            return f"Brier {obj.metrics['brier']:.3f} (forecast distribution {obj.metrics['brier_forecast_distribution']:.3f})"
        accuracy, f1 = obj.metrics.get("accuracy"), obj.metrics.get("f1")
        if accuracy is None and f1 is None:
            return "—"
        parts = [f"{accuracy:.1%}" if accuracy is not None else "—", f"F1 {f1:.3f}" if f1 is not None else ""]
        return " / ".join(p for p in parts if p)

    @admin.display(description="")
    def inspect_link(self, obj: ModelVersion) -> str:
        return format_html('<a href="{}">Inspect</a>', reverse("admin:forecasting_modelversion_inspect", args=[obj.pk]))

    @admin.action(description="Deploy the selected version", permissions=["deploy"])
    def deploy_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to deploy.", messages.ERROR)
            return None

        def perform(qs: QuerySet) -> None:
            version = qs.get()
            try:
                model_version_deploy(version=version, user=request.user, reason=request.POST.get("reason", ""))
            except RegistryError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Deployed {version.target} v{version.version} ({version.algorithm}).")

        return confirm_action(self, request, queryset, title="Deploy model version",
                              question="Deploy this version? The currently deployed one will be retired.",
                              perform=perform, with_reason=True)

    @admin.action(description="Roll back the selected targets to their previous version", permissions=["rollback"])
    def rollback_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        def perform(qs: QuerySet) -> None:
            # A target deployed at several frequencies rolls back the selected versions' ones.
            for workspace_id, target, frequency in sorted(set(qs.values_list("workspace_id", "target", "frequency"))):
                try:
                    d = model_version_rollback(workspace_id=workspace_id, target=target, frequency=frequency,
                                               user=request.user, reason=request.POST.get("reason", ""))
                except RegistryError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                else:
                    self.message_user(request, f"Rolled back {target} to v{d.to_version.version}.")

        return confirm_action(self, request, queryset, title="Roll back",
                              question="Re-deploy the previously deployed version of each selected target?",
                              perform=perform, with_reason=True)

    @admin.action(description="Start a canary of the selected version (a share of the answers)",
                  permissions=["deploy"])
    def start_canary_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._rollout_start(request, queryset, mode=Rollout.Mode.CANARY)

    @admin.action(description="Start a shadow of the selected version (computed and logged, never returned)",
                  permissions=["deploy"])
    def start_shadow_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._rollout_start(request, queryset, mode=Rollout.Mode.SHADOW)

    def _rollout_start(self, request: HttpRequest, queryset: QuerySet, *, mode: str) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to roll out.", messages.ERROR)
            return None
        label = Rollout.Mode(mode).label.split(" (")[0].lower()

        def perform(qs: QuerySet) -> None:
            version = qs.get()
            try:
                share = float(request.POST.get("share", ""))
                rollout_start(challenger=version, mode=mode, share=share, user=request.user,
                              reason=request.POST.get("reason", ""))
            except ValueError:
                self.message_user(request, "The share is a number between 0 and 1.", messages.ERROR)
            except RegistryError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Started a {label} of {version.target} v{version.version} at {share:.0%}.")

        share = (("Share of the request keys the challenger answers (0 to 1, e.g. 0.2):", 0.2)
                 if mode == Rollout.Mode.CANARY else ("Share of the requests it also computes (0 to 1):", 1.0))
        return confirm_action(self, request, queryset, title=f"Start a {label}",
                              question=f"Serve this version as a {label} beside the deployed one of its target?",
                              perform=perform, with_reason=True, share=share)

    @admin.action(description="Retrain the selected targets", permissions=["retrain"])
    def retrain_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        def perform(qs: QuerySet) -> None:
            for version in qs.select_related("workspace"):
                retrain = target_retrain(workspace=version.workspace, target=version.target, user=request.user,
                                         frequency=version.frequency or None, horizon=version.horizon or None)
                self.message_user(request, (f"Queued training job {retrain.job.pk} for {version.target}."
                                            if retrain.created else
                                            f"{version.target} is already being retrained (job {retrain.job.pk})."))

        return confirm_action(self, request, queryset, title="Retrain",
                              question="Queue a new training (all algorithms) for each selected target?",
                              perform=perform)

    @admin.action(description="Delete the selected versions", permissions=["delete"])
    def delete_versions(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        deployed = [str(v) for v in queryset.filter(status=ModelVersion.Status.DEPLOYED)]
        if deployed:
            self.message_user(request, f"Nothing was deleted: {', '.join(deployed)} "
                                       f"{'is' if len(deployed) == 1 else 'are'} deployed; deploy another version "
                                       "or roll back first.", messages.ERROR)
            return None

        def perform(qs: QuerySet) -> None:
            reason = request.POST.get("reason", "").strip()
            deleted = 0
            for version in qs:
                try:
                    model_version_delete(version=version, user=request.user, reason=reason)
                except RegistryError as exc:
                    self.message_user(request, f"{version}: {exc}", messages.ERROR)
                else:
                    deleted += 1
            self.message_user(request, f"Deleted {deleted} version{'s' if deleted != 1 else ''} "
                                       "(recorded under Model version deletions).")

        return confirm_action(self, request, queryset, title="Delete model versions",
                              question="Delete these versions and their artifacts? The deletion is recorded "
                                       "with your name and the reason.",
                              perform=perform, with_reason=True)

    @admin.action(description="Compare the selected versions")
    def compare_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        versions = list(queryset.order_by("target", "version"))
        metric_names = sorted({name for v in versions for name in v.metrics})
        rows = [(v, [v.metrics.get(name) for name in metric_names]) for v in versions]
        context = {**self.admin_site.each_context(request), "title": "Compare model versions",
                   "opts": self.model._meta, "metric_names": metric_names, "rows": rows}
        return TemplateResponse(request, "admin/forecasting/compare.html", context)

    def get_urls(self) -> list:
        return [
            path("<int:pk>/inspect/", self.admin_site.admin_view(self.inspect_view),
                 name="forecasting_modelversion_inspect"),
            *super().get_urls(),
        ]

    def inspect_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(
            self.get_queryset(request).defer(None).select_related("workspace", "training_job"), pk=pk
        )
        inspection = model_version_inspect(version=version)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{version.target} v{version.version} ({version.algorithm})",
            "opts": self.model._meta,
            "version": version,
            "job": version.training_job,
            "inspection": inspection,
        }
        return TemplateResponse(request, "admin/forecasting/inspect.html", context)


@admin.register(TrainingJob)
class TrainingJobAdmin(WorkspaceScopedAdmin):
    list_display = ["pk", "target", "status", "progress_bar", "heartbeat_at", "trigger", "winner", "deployed",
                    "workspace", "created_at", "finished_at"]
    list_filter = ["status", "trigger", "kind", "workspace"]
    search_fields = ["target", "celery_task_id", "error"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace", "winner"]
    readonly_fields = [f.name for f in TrainingJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Progress")
    def progress_bar(self, obj: TrainingJob) -> str:
        return format_html('<progress value="{}" max="100"></progress> {}%', obj.progress, obj.progress)


@admin.register(ModelVersionDeletion)
class ModelVersionDeletionAdmin(WorkspaceScopedAdmin):
    """Who deleted which model version, when and why (append-only)."""

    list_display = ["deleted_at", "target", "version", "algorithm", "status", "user", "reason", "workspace"]
    list_filter = ["status", "kind", "workspace"]
    search_fields = ["target", "algorithm", "reason", "user__username", "artifact_sha256"]
    date_hierarchy = "deleted_at"
    list_select_related = ["user", "workspace"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Deployment)
class DeploymentAdmin(WorkspaceScopedAdmin):
    list_display = ["created_at", "action", "target", "from_version", "to_version", "user", "reason", "workspace"]
    list_filter = ["action", "workspace"]
    search_fields = ["target", "reason", "user__username"]
    date_hierarchy = "created_at"
    list_select_related = ["from_version", "to_version", "user", "workspace"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history is append-only


@admin.register(Rollout)
class RolloutAdmin(WorkspaceScopedAdmin):
    """Canaries and shadows (started from a model version's actions): promote deploys the
    challenger, abort ends the rollout; both are written to the deployment history."""

    list_display = ["started_at", "target", "frequency", "mode", "share", "status", "champion", "challenger",
                    "ended_at", "workspace"]
    list_filter = ["status", "mode", "workspace"]
    search_fields = ["target", "reason", "end_reason"]
    date_hierarchy = "started_at"
    list_select_related = ["champion", "challenger", "workspace"]
    readonly_fields = [*(f.name for f in Rollout._meta.fields), "comparison"]
    actions = ["promote_selected", "abort_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a rollout starts from its challenger (model version actions)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # part of the deployment history

    def has_deploy_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("forecasting.deploy_modelversion")

    @admin.display(description="Champion vs challenger on realised actuals")
    def comparison(self, obj: Rollout) -> str:
        result = rollout_compare(rollout=obj)
        if not result.periods:
            return "No period forecast by both has an actual yet."
        return (f"{len(result.periods)} periods ({result.periods[0]} … {result.periods[-1]}): champion MAE "
                f"{result.champion.mae:.4g}, challenger MAE {result.challenger.mae:.4g}")

    @admin.action(description="Promote the selected rollouts (deploy their challengers)", permissions=["deploy"])
    def promote_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._change(request, queryset, rollout_promote, title="Promote",
                            question="Deploy the challenger of each selected rollout?")

    @admin.action(description="Abort the selected rollouts", permissions=["deploy"])
    def abort_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._change(request, queryset, rollout_abort, title="Abort",
                            question="Stop serving the challenger of each selected rollout?")

    def _change(self, request: HttpRequest, queryset: QuerySet, service: Callable[..., Deployment], *,
                title: str, question: str) -> HttpResponse | None:
        def perform(qs: QuerySet) -> None:
            for rollout in qs:
                try:
                    deployment = service(rollout=rollout, user=request.user, reason=request.POST.get("reason", ""))
                except RegistryError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                else:
                    self.message_user(request, f"{deployment.get_action_display()}: {rollout.target}.")

        return confirm_action(self, request, queryset, title=title, question=question, perform=perform,
                              with_reason=True)


@admin.register(Alert)
class AlertAdmin(WorkspaceScopedAdmin):
    list_display = ["created_at", "severity", "kind", "target", "message", "acknowledged_at", "workspace"]
    list_filter = ["severity", "kind", ("acknowledged_at", admin.EmptyFieldListFilter), "workspace"]
    search_fields = ["message", "target"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]
    actions = ["acknowledge_selected"]
    readonly_fields = ["created_at", "acknowledged_at", "acknowledged_by"]

    @admin.action(description="Acknowledge the selected alerts", permissions=["change"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for alert in queryset.filter(acknowledged_at__isnull=True):
            alert_acknowledge(alert=alert, user=request.user)
            count += 1
        self.message_user(request, f"Acknowledged {count} alert{'s' if count != 1 else ''}.")


@admin.register(NotificationChannel)
class NotificationChannelAdmin(WorkspaceScopedAdmin):
    """Where each workspace's new alerts are sent (e-mail, signed webhook)."""

    list_display = ["workspace", "kind", "target", "min_severity", "enabled", "created_at"]
    list_filter = ["kind", "enabled", "min_severity", "workspace"]
    search_fields = ["target", "workspace__name"]
    list_select_related = ["workspace"]
    fields = ["workspace", "kind", "target", "min_severity", "enabled", "secret"]


@admin.register(Prediction)
class PredictionAdmin(WorkspaceScopedAdmin):
    list_display = ["created_at", "target", "model_version", "from_cache", "rollout", "shadow", "user", "workspace"]
    list_filter = ["from_cache", "shadow", "workspace"]
    search_fields = ["target", "id"]
    date_hierarchy = "created_at"
    list_select_related = ["model_version", "rollout", "user", "workspace"]


@admin.register(Feedback)
class FeedbackAdmin(WorkspaceScopedAdmin):
    list_display = ["created_at", "kind", "target", "model_version", "is_correct", "user", "workspace"]
    list_filter = ["kind", "is_correct", "workspace"]
    search_fields = ["target", "comment"]
    date_hierarchy = "created_at"
    list_select_related = ["model_version", "user", "workspace"]


@admin.register(PerformanceSnapshot)
class PerformanceSnapshotAdmin(WorkspaceScopedAdmin):
    list_display = ["computed_at", "model_version", "status", "n_points", "workspace"]
    list_filter = ["status", "workspace"]
    search_fields = ["model_version__target"]
    date_hierarchy = "computed_at"
    list_select_related = ["model_version", "workspace"]


@admin.register(TargetState)
class TargetStateAdmin(WorkspaceScopedAdmin):
    list_display = ["target", "new_rows", "new_feedback", "retrain_requested", "last_trained_at", "running_job",
                    "workspace"]
    list_filter = ["retrain_requested", "kind", "workspace"]
    search_fields = ["target"]
    list_select_related = ["running_job", "workspace"]


class StockPlanLineInline(admin.TabularInline):
    """The plan's lines, read-only: they are what the optimiser chose."""

    model = StockPlanLine
    extra = 0
    can_delete = False
    fields = ["product", "warehouse", "on_hand", "on_order", "daily_demand", "demand_std", "demand_source", "lead_time_days",
              "safety_stock", "reorder_point", "eoq", "target_level", "order_quantity", "unit_cost", "cost",
              "shortage_units"]
    readonly_fields = fields
    ordering = ["product__sku", "warehouse__code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("product", "warehouse")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StockPlan)
class StockPlanAdmin(WorkspaceScopedAdmin):
    """Stock plans are computed (inventory page, ``POST /api/v1/inventory/plans/``), never
    typed in: staff look at them and may delete them."""

    list_display = ["pk", "created_at", "workspace", "created_by", "budget", "service_level", "status",
                    "purchase_cost", "ordering_cost_total", "holding_cost", "shortage_units"]
    list_filter = ["status", "workspace"]
    search_fields = ["workspace__name", "created_by__username", "solver_message"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace", "created_by"]
    readonly_fields = [f.name for f in StockPlan._meta.fields]
    inlines = [StockPlanLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # plans are computed

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
