"""ML API views. Thin: scoping and roles from the finance kit, work in services."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import BROKER_UNAVAILABLE_RESPONSE
from finance.api.kit import Conflict, WorkspaceRolePermission, WorkspaceScopedViewSet, workspace_for
from finance.models import Category, Membership
from finance.selectors import membership_role_get
from forecasting.api import filters, serializers
from forecasting.classifiers.feedback import (
    transaction_category_correct,
    transaction_fraud_label,
    transaction_suggestion_accept,
)
from forecasting.classifiers.loading import ClassificationError
from forecasting.classifiers.scoring import transactions_categorize
from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.inventory.policy import InventoryPlanningError
from forecasting.inventory.selectors import reorder_points_for_workspace
from forecasting.inventory.services import stock_plan_create
from forecasting.monitoring.alerts import alert_acknowledge
from forecasting.monitoring.health import health_check
from forecasting.monitoring.models import Alert
from forecasting.registry.models import ModelVersion
from forecasting.registry.rollouts import rollout_start
from forecasting.registry.services import (
    RegistryError,
    model_version_delete,
    model_version_deploy,
    model_version_rollback,
)
from forecasting.series.targets import InvalidTarget, Target
from forecasting.serving.feedback import FeedbackRefused, feedback_create
from forecasting.serving.models import Feedback
from forecasting.serving.predictions import ModelUnavailable, NoModel, forecast_predict
from forecasting.training.autolearn import (
    autolearn_check,
    next_eligible_at,
    should_retrain,
    target_retrain,
)
from forecasting.training.models import TrainingJob
from forecasting.training.selectors import (
    autolearn_states,
    model_status_for_user,
    training_jobs_active,
    training_queue_phrase,
    training_queue_positions,
)


class ServiceUnavailable(ValidationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


def _require_manager(user, workspace_id: int) -> None:  # noqa: ANN001
    if membership_role_get(user=user, workspace_id=workspace_id) not in Membership.MANAGE_ROLES:
        raise PermissionDenied("Deploying, rolling back, retraining and deleting models need the manager role.")


class ModelVersionViewSet(WorkspaceScopedViewSet):
    """Model versions of your workspaces. Managers deploy, retrain and delete."""

    model = ModelVersion
    filterset_class = filters.ModelVersionFilter
    ordering_fields = ["created_at", "version"]
    search_fields = ["target", "algorithm"]
    write_roles = Membership.MANAGE_ROLES
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_serializer_class(self):  # noqa: ANN201
        if self.action == "retrieve":
            return serializers.ModelVersionDetailSerializer
        if self.action in ("deploy", "retrain"):
            return serializers.ReasonSerializer
        if self.action == "rollout":
            return serializers.RolloutStartSerializer
        return serializers.ModelVersionSerializer

    def refine_queryset(self, queryset):  # noqa: ANN001, ANN201
        if self.action == "retrieve":
            return queryset.select_related("training_job")
        return queryset.defer("training_data", "backtest")

    @extend_schema(exclude=True)  # not an operation of the API: a POST here is answered 404 with the way
    def create(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        raise NotFound("Models are created by training: POST /api/v1/ml/train/.")

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="The deployed version is not deleted.")})
    def destroy(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: ModelVersion) -> None:
        try:
            model_version_delete(version=instance, user=self.request.user, reason="Deleted through the API.")
        except RegistryError as exc:
            raise Conflict({"detail": str(exc)}) from None

    @extend_schema(request=serializers.ReasonSerializer, responses={200: serializers.DeploymentSerializer, 409: (
        OpenApiResponse(description="The version's state refuses the deploy; `detail` says why."))})
    @action(detail=True, methods=["post"])
    def deploy(self, request: Request, pk: str | None = None) -> Response:
        """Deploy this version (the deployed one of its frequency is retired; both steps are
        in the history)."""
        version = self.get_object()
        body = serializers.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            deployment = model_version_deploy(version=version, user=request.user, reason=body.validated_data["reason"])
        except RegistryError as exc:
            raise Conflict({"detail": str(exc)}) from None
        return Response(serializers.DeploymentSerializer(deployment).data)

    @extend_schema(
        request=serializers.RolloutStartSerializer,
        responses={
            201: serializers.RolloutSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input; the body names the field "
                                                                  "(mode, share)."),
            403: OpenApiResponse(serializers.ErrorSerializer, description="Your role is not manager or owner."),
            404: OpenApiResponse(serializers.ErrorSerializer, description="No such version in your workspaces."),
            409: OpenApiResponse(serializers.ErrorSerializer, description=(
                "The version cannot be rolled out: it is deployed, failed or a classifier, nothing is deployed at its "
                "frequency, or a rollout of its target and frequency is already open.")),
        },
    )
    @action(detail=True, methods=["post"])
    def rollout(self, request: Request, pk: str | None = None) -> Response:
        """Serve this version beside the deployed one of its target and frequency: as a
        canary (``share`` of the request keys get its answers) or in shadow (computed and
        logged for ``share`` of the requests, never returned). Manager role."""
        version = self.get_object()
        body = serializers.RolloutStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            rollout = rollout_start(challenger=version, mode=data["mode"], share=data["share"], user=request.user,
                                    reason=data["reason"])
        except RegistryError as exc:
            raise Conflict({"detail": str(exc)}) from None
        return Response(serializers.RolloutSerializer(rollout).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.ReasonSerializer,
                   responses={202: serializers.TrainingJobSerializer, 200: serializers.TrainingJobSerializer,
                              503: BROKER_UNAVAILABLE_RESPONSE})
    @action(detail=True, methods=["post"])
    def retrain(self, request: Request, pk: str | None = None) -> Response:
        """Queue a new training of this version's target with every algorithm (202), or
        answer the job already queued or running for the target (200)."""
        version = self.get_object()
        retrain = target_retrain(workspace=version.workspace, target=version.target, user=request.user,
                                 frequency=version.frequency or None, horizon=version.horizon or None)
        return Response(serializers.TrainingJobSerializer(retrain.job).data,
                        status=status.HTTP_202_ACCEPTED if retrain.created else status.HTTP_200_OK)

    @extend_schema(responses={200: serializers.ModelPerformanceSerializer})
    @action(detail=True, methods=["get"])
    def performance(self, request: Request, pk: str | None = None) -> Response:
        """Backtest metrics and every performance snapshot of this version, newest first."""
        version = self.get_object()
        snapshots = version.snapshots.all()[:100]
        return Response({
            "model_version": version.pk,
            "backtest_metrics": version.metrics,
            "snapshots": serializers.PerformanceSnapshotSerializer(snapshots, many=True).data,
        })


class TrainView(APIView):
    """``POST /api/v1/ml/train/``: queue a training job for a target (manager role); a job
    already queued or running for the target is answered instead (200)."""

    @extend_schema(request=serializers.TrainRequestSerializer,
                   responses={202: serializers.TrainingJobSerializer, 200: serializers.TrainingJobSerializer,
                              503: BROKER_UNAVAILABLE_RESPONSE})
    def post(self, request: Request) -> Response:
        body = serializers.TrainRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        _require_manager(request.user, data["workspace"].pk)
        retrain = target_retrain(
            workspace=data["workspace"], target=data["target"], algorithms=data["algorithms"],
            frequency=data["frequency"], horizon=data.get("horizon"), user=request.user,
        )
        return Response(serializers.TrainingJobSerializer(retrain.job).data,
                        status=status.HTTP_202_ACCEPTED if retrain.created else status.HTTP_200_OK)


class TrainingJobViewSet(WorkspaceScopedViewSet):
    model = TrainingJob
    serializer_class = serializers.TrainingJobSerializer
    filterset_class = filters.TrainingJobFilter
    ordering_fields = ["created_at"]
    http_method_names = ["get", "head", "options"]


class RollbackView(APIView):
    """``POST /api/v1/ml/rollback/``: re-deploy the previously deployed version of a target
    at a frequency (monthly unless named); its other frequencies keep theirs."""

    @extend_schema(request=serializers.RollbackSerializer, responses={200: serializers.DeploymentSerializer})
    def post(self, request: Request) -> Response:
        body = serializers.RollbackSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        _require_manager(request.user, data["workspace"].pk)
        try:
            deployment = model_version_rollback(
                workspace_id=data["workspace"].pk, target=data["target"], frequency=data.get("frequency"),
                user=request.user, reason=data["reason"],
            )
        except RegistryError as exc:
            raise Conflict({"detail": str(exc)}) from None
        return Response(serializers.DeploymentSerializer(deployment).data)


class FeedbackViewSet(WorkspaceScopedViewSet):
    """Feedback on predictions: actual outcomes and corrections (any writing member)."""

    model = Feedback
    serializer_class = serializers.FeedbackSerializer
    ordering_fields = ["created_at"]
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer: serializers.FeedbackSerializer) -> None:
        data = dict(serializer.validated_data)
        self.check_workspace_write(data["workspace"].pk)
        row = data.get("transaction")
        kind = data["kind"]
        try:
            if row is not None and kind == Feedback.Kind.CORRECTION:
                # A correction sets the category as the user's and teaches the categoriser.
                serializer.instance = transaction_category_correct(
                    transaction=row, category=self._category(row, data["actual"]), user=self.request.user)
            elif row is not None and kind == Feedback.Kind.ACCEPTANCE:
                serializer.instance = transaction_suggestion_accept(transaction=row, user=self.request.user)
            elif row is not None and kind == Feedback.Kind.FRAUD_LABEL:
                if not isinstance(data["actual"], bool):
                    raise ValidationError({"actual": ["A fraud label is true (fraud) or false (legitimate)."]})
                serializer.instance = transaction_fraud_label(
                    transaction=row, is_fraud=data["actual"], user=self.request.user)
            else:
                serializer.instance = feedback_create(
                    workspace=data.pop("workspace"), user=self.request.user,
                    transaction_row=data.pop("transaction", None), **data,
                )
        except (FeedbackRefused, ClassificationError) as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None

    @staticmethod
    def _category(row, actual) -> Category:  # noqa: ANN001
        """The category a correction names (by id, in the transaction's workspace)."""
        if isinstance(actual, bool) or not isinstance(actual, int):
            raise ValidationError({"actual": ["A correction's actual value is the id of the right category."]})
        category = Category.objects.filter(pk=actual, workspace_id=row.workspace_id).first()
        if category is None:
            raise ValidationError({"actual": [f"Category {actual} is not a category of this workspace."]})
        return category


class AlertViewSet(WorkspaceScopedViewSet):
    model = Alert
    serializer_class = serializers.AlertSerializer
    filterset_class = filters.AlertFilter
    select_related = ("acknowledged_by",)
    ordering_fields = ["created_at", "severity"]
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(exclude=True)  # not an operation of the API: a POST here is answered 404 with the way
    def create(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        raise NotFound("Alerts are raised by monitoring.")

    @extend_schema(request=None, responses={200: serializers.AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        return Response(serializers.AlertSerializer(alert_acknowledge(alert=alert, user=request.user)).data)


class HealthView(APIView):
    """``GET /api/v1/ml/health/``: database, broker, cache and model store."""

    permission_classes = [WorkspaceRolePermission]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        report = health_check()
        return Response(report, status=status.HTTP_200_OK if report["healthy"] else status.HTTP_503_SERVICE_UNAVAILABLE)


class ForecastView(APIView):
    """``GET /api/v1/forecasts/{metric}/``: dates, point forecast, 80/95 % intervals, and
    the model version that made it with its backtest metrics — the target's deployed model
    of ``frequency`` (monthly by default; 404 when that frequency has none), or the
    challenger of an open canary for the request keys under its share (``key``, else the
    user). A deployed model whose artifact fails its integrity check is replaced by the
    previous intact one; 503 only when none is left."""

    @extend_schema(
        parameters=[serializers.ForecastQuerySerializer,
                    OpenApiParameter("metric", str, OpenApiParameter.PATH, enum=["revenue", "expense", "inventory"])],
        responses={200: serializers.ForecastSerializer, 503: OpenApiResponse(
            serializers.ErrorSerializer, description="No intact model is left to answer (integrity check).")},
    )
    def get(self, request: Request, metric: str) -> Response:
        query = serializers.ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        workspace = workspace_for(request, q["workspace"])
        try:
            target = Target(metric=metric, category_id=q.get("category"), product_id=q.get("product"),
                            warehouse_id=q.get("warehouse"))
        except InvalidTarget as exc:
            raise ValidationError({"detail": str(exc)}) from None
        if not target.is_forecast:
            raise ValidationError({"detail": f"'{metric}' is not a forecast metric."})
        try:
            output = forecast_predict(
                workspace=workspace, target=target, periods=q["periods"], frequency=q["frequency"],
                model_type=q.get("model_type"), user=request.user, key=q.get("key"),
            )
        except NoModel as exc:
            raise NotFound(str(exc)) from None
        except ModelUnavailable as exc:
            raise ServiceUnavailable({"detail": str(exc)}) from None
        return Response(output)


class AutoLearnStatusView(APIView):
    """``GET /api/v1/ml/auto-learn/status/?workspace=``: counters, last training and the
    next eligible time of every target of the workspace, and what the rule says now."""

    @extend_schema(parameters=[serializers.AutoLearnQuerySerializer],
                   responses={200: serializers.AutoLearnStatusSerializer})
    def get(self, request: Request) -> Response:
        query = serializers.AutoLearnQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        workspace = workspace_for(request, query.validated_data["workspace"])
        jobs = training_jobs_active(workspace=workspace)
        positions = training_queue_positions(
            job_ids={job.pk for job in jobs.values() if job.status == TrainingJob.Status.QUEUED})
        rows = []
        for state in autolearn_states(workspace=workspace):
            decision = should_retrain(state=state)
            state.next_eligible_at = next_eligible_at(state)
            state.would_train, state.reason = decision.train, decision.reason
            job = jobs.get(state.target)
            state.active_job = None if job is None else {
                "id": job.pk, "status": job.status, "progress": job.progress,
                "queue_position": positions.get(job.pk),
            }
            if job is not None:  # the rule's answer is moot: a training is on its way
                state.would_train = False
                state.reason = (f"Training job {job.pk} is running ({job.progress} %)."
                                if job.status == TrainingJob.Status.RUNNING else
                                training_queue_phrase(job_id=job.pk, position=positions.get(job.pk)))
            rows.append(state)
        return Response({
            "workspace": workspace.pk,
            "settings": {
                "min_new_rows": settings.ML_AUTO_LEARN_MIN_DATA,
                "cooldown_hours": settings.ML_AUTO_LEARN_COOLDOWN,
                "feedback_threshold": settings.ML_RETRAINING_FEEDBACK_THRESHOLD,
            },
            "targets": serializers.TargetStateSerializer(rows, many=True).data,
        })


class AutoLearnTriggerView(APIView):
    """``POST /api/v1/ml/auto-learn/{target}/?workspace=&force=true``: apply the auto-learn
    rule to one target now (``force`` skips counters and cooldown). Manager role."""

    @extend_schema(request=None, parameters=[serializers.AutoLearnQuerySerializer],
                   responses={202: serializers.TrainingJobSerializer, 200: OpenApiTypes.OBJECT,
                              503: BROKER_UNAVAILABLE_RESPONSE})
    def post(self, request: Request, target: str) -> Response:
        query = serializers.AutoLearnQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        workspace = workspace_for(request, query.validated_data["workspace"])
        try:
            parsed = Target.parse(target)
        except InvalidTarget as exc:
            raise ValidationError({"target": [str(exc)]}) from None
        _require_manager(request.user, workspace.pk)
        result = autolearn_check(workspace=workspace, target=parsed.key, force=query.validated_data["force"])
        if result.job is None:
            return Response({"queued": False, "reason": result.decision.reason})
        return Response(serializers.TrainingJobSerializer(result.job).data | {"queued": True,
                                                                               "reason": result.decision.reason},
                        status=status.HTTP_202_ACCEPTED)


class ModelStatusView(APIView):
    """``GET /api/v1/ml/status/?user=ID``: which models the user's workspaces have, with
    the categories they cover. Without ``user``: yourself. Another user: staff only."""

    @extend_schema(parameters=[serializers.ModelStatusQuerySerializer], responses={
        200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="Another user's status (staff only).")})
    def get(self, request: Request) -> Response:
        query = serializers.ModelStatusQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user_id = query.validated_data.get("user", request.user.pk)
        if user_id != request.user.pk and not request.user.is_staff:
            raise NotFound("No such user.")
        return Response({"user": user_id, "workspaces": model_status_for_user(user_id=user_id)})


class CategorizeView(APIView):
    """``POST /api/v1/ml/categorize/``: suggested categories, with calibrated confidence,
    for one description or a batch (any member of the workspace). Before the workspace
    has enough categorised transactions there is no model: every result is ``null`` and
    ``detail`` says why — no suggestion rather than a bad one."""

    @extend_schema(request=serializers.CategorizeRequestSerializer,
                   responses={200: serializers.CategorizeResponseSerializer})
    def post(self, request: Request) -> Response:
        body = serializers.CategorizeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workspace = workspace_for(request, body.validated_data["workspace"])
        try:
            output = transactions_categorize(workspace=workspace, records=body.validated_data["records"],
                                             user=request.user)
        except ClassificationError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(output)


# --- inventory planning ---------------------------------------------------------------------


class ReorderPointsView(APIView):
    """``GET /api/v1/inventory/reorder-points/?workspace=``: per active product × warehouse,
    the expected daily demand and its spread, the supplier's lead time, safety stock,
    reorder point, EOQ and whether to order now (any member of the workspace)."""

    @extend_schema(parameters=[serializers.ReorderPointQuerySerializer],
                   responses={200: serializers.ReorderPointSerializer(many=True)})
    def get(self, request: Request) -> Response:
        query = serializers.ReorderPointQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        workspace = workspace_for(request, q["workspace"])
        level, product, warehouse = q.get("service_level"), q.get("product"), q.get("warehouse")
        points = reorder_points_for_workspace(
            workspace=workspace, service_level=None if level is None else float(level), user=request.user,
            product_ids=None if product is None else [product],
            warehouse_ids=None if warehouse is None else [warehouse],
        )
        return Response(serializers.ReorderPointSerializer(points, many=True).data)


class StockPlanViewSet(WorkspaceScopedViewSet):
    """Stock plans of your workspaces, newest first. ``POST`` computes a new plan (owners,
    managers and members; viewers read): the orders per product × warehouse that keep the
    purchase within ``budget`` and the warehouses within their capacities, chosen by a
    mixed-integer program."""

    model = StockPlan
    filterset_class = filters.StockPlanFilter
    select_related = ("created_by",)
    ordering_fields = ["created_at", "purchase_cost", "budget"]
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):  # noqa: ANN201
        if self.action == "retrieve":
            return serializers.StockPlanDetailSerializer
        if self.action == "create":
            return serializers.StockPlanRequestSerializer
        return serializers.StockPlanSerializer

    def refine_queryset(self, queryset):  # noqa: ANN001, ANN201
        if self.action == "retrieve":
            return queryset.prefetch_related(_plan_lines())
        return queryset

    @extend_schema(request=serializers.StockPlanRequestSerializer,
                   responses={201: serializers.StockPlanDetailSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        body = serializers.StockPlanRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        workspace = workspace_for(request, data["workspace"])
        self.check_workspace_write(workspace.pk)
        try:
            plan = stock_plan_create(
                workspace=workspace, budget=data["budget"], service_level=data.get("service_level"),
                ordering_cost=data.get("ordering_cost"), holding_cost_rate=data.get("holding_cost_rate"),
                user=request.user,
            )
        except InventoryPlanningError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        plan = StockPlan.objects.select_related("created_by").prefetch_related(_plan_lines()).get(pk=plan.pk)
        return Response(serializers.StockPlanDetailSerializer(plan).data, status=status.HTTP_201_CREATED)


def _plan_lines() -> Prefetch:
    return Prefetch("lines", queryset=StockPlanLine.objects.select_related("product", "warehouse").order_by(
        "product__sku", "warehouse__code", "pk"))
