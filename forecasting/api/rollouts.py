"""Rollouts in the API: ``GET /api/v1/ml/rollouts/?workspace=`` (and one with the
comparison of its two versions on realised actuals), ``POST …/{id}/promote/`` and
``POST …/{id}/abort/`` (manager role). A rollout starts from the challenger:
``POST /api/v1/ml/models/{id}/rollout/``. Thin: the work is in the registry's services."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from finance.api.kit import Conflict, WorkspaceScopedViewSet, workspace_for
from finance.models import Membership
from forecasting.api import filters, serializers
from forecasting.registry.models import Rollout
from forecasting.registry.rollouts import rollout_abort, rollout_promote
from forecasting.registry.services import RegistryError
from forecasting.serving.rollouts import rollout_compare

_NOT_YOURS = OpenApiResponse(serializers.ErrorSerializer, description="No such rollout in your workspaces.")
_CHANGE_ANSWERS = {
    200: serializers.DeploymentSerializer,
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input; the body names the field (reason)."),
    403: OpenApiResponse(serializers.ErrorSerializer, description="Your role is not manager or owner."),
    404: _NOT_YOURS,
    409: OpenApiResponse(serializers.ErrorSerializer, description="The rollout has ended already."),
}


class RolloutViewSet(WorkspaceScopedViewSet):
    """Rollouts of your workspaces, newest first (any member reads; managers and owners
    promote and abort). ``?workspace=`` of a workspace not yours answers 404."""

    model = Rollout
    filterset_class = filters.RolloutFilter
    select_related = ("champion", "challenger", "started_by", "ended_by")
    ordering_fields = ["started_at"]
    write_roles = Membership.MANAGE_ROLES
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):  # noqa: ANN201
        if self.action == "retrieve":
            return serializers.RolloutDetailSerializer
        if self.action in ("promote", "abort"):
            return serializers.ReasonSerializer
        return serializers.RolloutSerializer

    @extend_schema(exclude=True)  # not an operation of the API: a POST here is answered 404 with the way
    def create(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        raise NotFound("A rollout starts from its challenger: POST /api/v1/ml/models/{id}/rollout/.")

    @extend_schema(responses={200: serializers.RolloutSerializer(many=True), 400: OpenApiResponse(
        OpenApiTypes.OBJECT, description="Invalid filter; the body names the field."), 404: OpenApiResponse(
        serializers.ErrorSerializer, description="The workspace is not one of yours.")})
    def list(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        workspace = request.query_params.get("workspace", "")
        if workspace.isdigit():
            workspace_for(request, int(workspace))  # another workspace's rollouts: 404, not an empty list
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: serializers.RolloutDetailSerializer, 404: _NOT_YOURS})
    def retrieve(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        """The rollout, with its champion's and challenger's error on the same realised
        actuals (the periods both forecast under it that have an actual)."""
        rollout = self.get_object()
        rollout.comparison_dict = rollout_compare(rollout=rollout).as_dict()
        return Response(serializers.RolloutDetailSerializer(rollout).data)

    def refine_queryset(self, queryset):  # noqa: ANN001, ANN201
        if self.action == "retrieve":
            return queryset.select_related("workspace")
        return queryset

    @extend_schema(request=serializers.ReasonSerializer, responses=_CHANGE_ANSWERS)
    @action(detail=True, methods=["post"])
    def promote(self, request: Request, pk: str | None = None) -> Response:
        """Deploy the challenger (the champion is retired) and close the rollout."""
        return self._change(rollout_promote)

    @extend_schema(request=serializers.ReasonSerializer, responses=_CHANGE_ANSWERS)
    @action(detail=True, methods=["post"])
    def abort(self, request: Request, pk: str | None = None) -> Response:
        """Stop serving the challenger: the champion answers every request again."""
        return self._change(rollout_abort)

    def _change(self, service) -> Response:  # noqa: ANN001
        rollout = self.get_object()
        body = serializers.ReasonSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        try:
            deployment = service(rollout=rollout, user=self.request.user, reason=body.validated_data["reason"])
        except RegistryError as exc:
            raise Conflict({"detail": str(exc)}) from None
        return Response(serializers.DeploymentSerializer(deployment).data)
