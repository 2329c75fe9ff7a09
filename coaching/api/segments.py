"""``POST /api/v1/coaching/refresh-segment/``: place one member in a segment now, between
two daily runs (:func:`coaching.services.segments.segment_assign`): the nearest of the
current segments of its kind, or a starter segment when there is none yet. Yourself at
any role; another member of the workspace: owners and managers. Rate-limited (scope
``segment_refresh``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from coaching.api.serializers import SegmentAssignmentSerializer
from coaching.services.segments import NEAREST, STARTER, segment_assign
from finance.api.kit import StrictSerializer, workspace_for
from finance.models import Membership
from finance.selectors import membership_role_get


class SegmentRefreshSerializer(StrictSerializer):
    workspace = serializers.IntegerField(min_value=1)
    user = serializers.IntegerField(min_value=1, required=False, help_text="A member of the workspace (default: you).")


class SegmentPlacementSerializer(SegmentAssignmentSerializer):
    workspace = serializers.IntegerField(source="workspace_id")
    method = serializers.ChoiceField(choices=[NEAREST, STARTER], help_text=(
        "nearest: the nearest centre of the current segments of the workspace's kind; starter: that kind has no "
        "segment yet, so a starter one named from the savings rate (the daily run replaces it)."))


class SegmentRefreshView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "segment_refresh"

    @extend_schema(
        request=SegmentRefreshSerializer,
        responses={200: SegmentPlacementSerializer,
                   403: OpenApiResponse(description="Placing another member needs the owner or manager role."),
                   404: OpenApiResponse(description="The workspace is not one of yours, or the user is not one of "
                                                    "its members.")},
    )
    def post(self, request: Request) -> Response:
        body = SegmentRefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workspace = workspace_for(request, body.validated_data["workspace"])
        user_id = body.validated_data.get("user", request.user.pk)
        if not Membership.objects.filter(workspace=workspace, user_id=user_id).exists():
            raise NotFound(f"User {user_id} is not a member of this workspace.")
        if user_id != request.user.pk and (
                membership_role_get(user=request.user, workspace_id=workspace.pk) not in Membership.MANAGE_ROLES):
            raise PermissionDenied("Placing another member in a segment needs the owner or manager role.")
        placement = segment_assign(workspace_id=workspace.pk, user_id=user_id)
        placement.assignment.method = placement.method
        return Response(SegmentPlacementSerializer(placement.assignment).data)
