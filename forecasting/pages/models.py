"""The Models page: what is deployed for each target of the workspace, when it last
learned, whether a retrain is pending, open alerts — and a Retrain button for managers
whose progress the page follows by polling ``/api/v1/ml/jobs/<id>/`` without reloading."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from finance.views.base import WorkspacePageMixin
from forecasting.classifiers.loading import CLASSIFIER_LABELS, model_label
from forecasting.engine.registry import ALGORITHM_LABELS
from forecasting.pages.selectors import TargetStatus, models_overview
from forecasting.series.targets import InvalidTarget, Target
from forecasting.training.autolearn import (
    RetrainDecision,
    next_eligible_at,
    should_retrain,
    target_retrain,
)
from forecasting.training.models import TrainingJob
from forecasting.training.selectors import training_queue_phrase

SECTION_URL_NAME = "forecasting:models"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def job_payload(job: TrainingJob) -> dict[str, Any]:
    """What the page's script needs about a job (the API answers the same fields)."""
    return {
        "id": job.pk,
        "target": job.target,
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": job.progress,
        "url": reverse("ml-job-detail", args=[job.pk]),
    }


@dataclass
class ModelRow:
    """One target's line on the Models page."""

    status: TargetStatus
    decision: RetrainDecision
    now: dt.datetime

    @property
    def pending(self) -> str:
        """``running``, ``queued``, ``requested`` (an alert asked), ``due`` or ``no``."""
        job = self.status.active_job
        if job is not None:
            return job.status
        if self.status.state.retrain_requested:
            return "requested"
        return "due" if self.decision.train else "no"

    @property
    def algorithm_label(self) -> str:
        deployed = self.status.deployed
        return model_label(deployed.algorithm) if deployed is not None else ""

    @property
    def badge(self) -> str:
        """The CSS modifier of the pending badge (``waiting``: never trained, not due)."""
        if self.pending == "no" and self.status.deployed is None:
            return "waiting"
        return self.pending

    @property
    def cooling_down_with_data(self) -> bool:
        """Enough new rows for a retrain, held back by the cooldown after the last one."""
        eligible = next_eligible_at(self.status.state)
        return (eligible is not None and self.now < eligible
                and self.status.state.new_rows >= settings.ML_AUTO_LEARN_MIN_DATA)

    @property
    def pending_label(self) -> str:
        """The badge, in words that agree with the counters beside it."""
        if self.pending == TrainingJob.Status.QUEUED and self.status.queue_position:
            return f"Queued · {ordinal(self.status.queue_position)} in line"
        label = {
            TrainingJob.Status.RUNNING: "Training now",
            TrainingJob.Status.QUEUED: "Queued",
            "requested": "Retrain requested",
            "due": "Retrain due",
        }.get(self.pending)
        if label:
            return label
        if self.status.deployed is None:
            return "Waiting for data"
        return "New data waiting" if self.cooling_down_with_data else "Up to date"

    @property
    def retrain_line(self) -> str:
        """When the target learns next, in plain words (the rule's own reason otherwise)."""
        state, job = self.status.state, self.status.active_job
        if job is not None and job.status == TrainingJob.Status.RUNNING:
            return f"Training now (job {job.pk})."
        if job is not None:
            return training_queue_phrase(job_id=job.pk, position=self.status.queue_position)
        if self.cooling_down_with_data:
            eligible = timezone.localtime(next_eligible_at(state))
            when = f"{eligible:%H:%M}" if eligible.date() == timezone.localdate(self.now) else f"{eligible:%Y-%m-%d %H:%M}"
            return (f"{state.new_rows} new rows; retrains after the cooldown, at {when} "
                    f"({settings.TIME_ZONE}).")
        return self.decision.reason

    @property
    def metrics(self) -> list[tuple[str, str]]:
        """The deployed version's headline metrics, as (name, value) for the page."""
        deployed = self.status.deployed
        if deployed is None:
            return []
        m = deployed.metrics or {}
        shown: list[tuple[str, str]] = []
        if self.status.target.is_forecast:
            for key, name in (("mae", "MAE"), ("rmse", "RMSE")):
                if m.get(key) is not None:
                    shown.append((name, f"{m[key]:,.2f}"))
            if m.get("mape") is not None:
                shown.append(("MAPE", f"{m['mape']:.1f}\xa0%"))
        else:
            for key, name in (("accuracy", "Accuracy"), ("macro_f1", "Macro F1")):
                if m.get(key) is not None:
                    shown.append((name, f"{100 * m[key]:.1f}\xa0%"))
        return shown


class ModelsView(WorkspacePageMixin, TemplateView):
    """Every target of the current workspace with its deployed model, learning state,
    pending retrain and open alerts (any member may look; managers may retrain)."""

    template_name = "forecasting/models.html"
    section = "models"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        overview = models_overview(workspace=self.workspace, has_products=self.ws.has_inventory)
        now = timezone.now()
        rows = [ModelRow(status=s, decision=should_retrain(state=s.state, now=now), now=now)
                for s in overview.targets]
        membership = self.ws.membership
        labels = {row.status.key: row.status.label for row in rows}
        context.update(
            section_url_name=SECTION_URL_NAME,
            rows=rows,
            alerts=[(alert, labels.get(alert.target, alert.target or "Workspace")) for alert in overview.open_alerts],
            can_manage=membership is not None and membership.can_manage,
            deployed_count=sum(1 for r in rows if r.status.deployed is not None),
            algorithm_labels=ALGORITHM_LABELS | CLASSIFIER_LABELS,
        )
        return context


class RetrainView(WorkspacePageMixin, View):
    """``POST workspace=<id>&target=<key>``: queue a training of that target with every
    algorithm (owners and managers only). A target that already has a queued or running
    job gets that job back instead of a second one.

    Answers JSON for the page's script — ``{"job": {...}, "created": bool}`` (202, or 200
    for the existing job) — or redirects to the Models page with a message.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            workspace_id = int(request.POST.get("workspace", ""))
        except ValueError:
            raise Http404("No such workspace.") from None
        membership = self.ws.membership_for(workspace_id)
        if membership is None:
            raise Http404("No such workspace.")
        if not membership.can_manage:
            raise PermissionDenied("Retraining models needs the owner or manager role.")
        self.use_workspace_of(workspace_id)
        try:
            target = Target.parse(request.POST.get("target", ""))
        except InvalidTarget as exc:
            return self.refuse(str(exc))

        retrain = target_retrain(workspace=membership.workspace, target=target.key, user=request.user)
        job, created = retrain.job, retrain.created
        message = (
            f"Retraining {target.key}: job {job.pk} is queued."
            if created else f"{target.key} is already being retrained (job {job.pk}, {job.get_status_display().lower()})."
        )
        if wants_json(request):
            return JsonResponse({"job": job_payload(job), "created": created, "message": message},
                                status=202 if created else 200)
        messages.success(request, message)
        return redirect(SECTION_URL_NAME)

    def refuse(self, message: str) -> HttpResponse:
        if wants_json(self.request):
            return JsonResponse({"job": None, "created": False, "message": message}, status=400)
        messages.error(self.request, message)
        return redirect(SECTION_URL_NAME)
