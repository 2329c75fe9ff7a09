from django.db.models import Q, QuerySet
from rest_framework import serializers

from coaching.api.filters import BehavioralEventFilter
from coaching.api.serializers import BehavioralEventSerializer
from coaching.models import BehavioralEvent
from coaching.services.events import behavioral_event_create
from finance.api.kit import WorkspaceScopedViewSet
from finance.models import Membership
from finance.selectors import workspace_list_for_user


class BehavioralEventViewSet(WorkspaceScopedViewSet):
    """Behavioural events. Every member (viewers too) records their own; owners and managers
    see everyone's in their workspaces, others only their own. Secrets and personal data in
    ``data`` are removed before storage (``redacted_fields`` counts them)."""

    model = BehavioralEvent
    serializer_class = BehavioralEventSerializer
    filterset_class = BehavioralEventFilter
    select_related = ("user",)
    ordering_fields = ["timestamp"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    write_roles = tuple(Membership.Role.values)

    def refine_queryset(self, queryset: QuerySet[BehavioralEvent]) -> QuerySet[BehavioralEvent]:
        user = self.request.user
        managed = workspace_list_for_user(user=user, roles=Membership.MANAGE_ROLES).values("pk")
        return queryset.filter(Q(user=user) | Q(workspace_id__in=managed))

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        self.check_workspace_write(data["workspace"].pk)
        serializer.instance = behavioral_event_create(user=self.request.user, **data)
