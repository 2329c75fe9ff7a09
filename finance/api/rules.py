"""``/api/v1/rules/``: the workspace's category rules (the books' API kit, NetBox style).

The rules of a rule and their messages are :mod:`finance.services.rules`', shared with the
Rules page: a regular expression that is invalid or too complex, a maximum below the
minimum, another workspace's category — each is a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from finance.api.filters import FilterSet
from finance.api.kit import WorkspaceOwnedSerializer, WorkspaceScopedViewSet
from finance.models import CategoryRule, Workspace
from finance.selectors import workspace_list_for_user
from finance.services.rules import (
    category_rule_create,
    category_rule_delete,
    category_rule_update,
    category_rule_validate,
    category_rules_apply,
)


class CategoryRuleSerializer(WorkspaceOwnedSerializer):
    """A category rule: transactions whose ``field`` (description or merchant) ``operator``
    (contains, or matches as a regular expression) ``pattern``, with an amount within
    ``amount_min`` … ``amount_max`` when given, get ``category`` — before the categoriser
    sees them, and the categoriser never replaces it. Lower ``priority`` is tried first."""

    # Declared without the model's bounds so that the services' rules give the messages.
    amount_min = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    amount_max = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CategoryRule
        fields = [
            "id", "workspace", "field", "operator", "pattern", "amount_min", "amount_max", "category",
            "priority", "is_active", "created_by", "created_at",
        ]
        read_only_fields = ["created_by", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)

        def value(name: str) -> Any:
            return attrs.get(name, getattr(self.instance, name, None))

        pattern = value("pattern")
        category_rule_validate(
            workspace=value("workspace"), field=value("field") or CategoryRule.Field.MERCHANT,
            operator=value("operator") or CategoryRule.Operator.CONTAINS,
            pattern=pattern.strip() if isinstance(pattern, str) else pattern, category=value("category"),
            amount_min=value("amount_min"), amount_max=value("amount_max"),
        )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> CategoryRule:
        request = self.context.get("request")
        return category_rule_create(user=getattr(request, "user", None), **validated_data)

    def update(self, instance: CategoryRule, validated_data: dict[str, Any]) -> CategoryRule:
        validated_data.pop("workspace", None)
        return category_rule_update(rule=instance, **validated_data)


class CategoryRuleFilter(FilterSet):
    class Meta:
        model = CategoryRule
        fields = {"workspace": ["exact"], "category": ["exact"], "field": ["exact"], "operator": ["exact"],
                  "is_active": ["exact"]}


class RulesApplySerializer(serializers.Serializer):
    """Input of ``POST /rules/apply/``."""

    workspace = serializers.PrimaryKeyRelatedField(queryset=Workspace.objects.none())

    def __init__(self, *args: Any, workspaces: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if workspaces is not None:
            self.fields["workspace"].queryset = workspaces


class RulesAppliedSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="Rows that got a rule's category.")


class CategoryRuleViewSet(WorkspaceScopedViewSet):
    """Your workspaces' category rules; members write, viewers read."""

    model = CategoryRule
    serializer_class = CategoryRuleSerializer
    filterset_class = CategoryRuleFilter
    select_related = ("category", "created_by")
    ordering_fields = ["priority", "created_at", "pattern"]
    search_fields = ["pattern"]

    def refine_queryset(self, queryset):  # noqa: ANN001, ANN201
        return queryset.order_by("workspace_id", "priority", "id")

    def perform_destroy(self, instance: CategoryRule) -> None:
        category_rule_delete(rule=instance)

    @extend_schema(
        request=RulesApplySerializer,
        responses={200: RulesAppliedSerializer, 400: OpenApiResponse(description="No such workspace of yours."),
                   403: OpenApiResponse(description="Your role in this workspace does not allow changes.")},
    )
    @action(detail=False, methods=["post"])
    def apply(self, request: Request) -> Response:
        """Apply the workspace's active rules to the rows already written that no person and
        no rule categorised (uncategorised, or only suggested by the model)."""
        form = RulesApplySerializer(data=request.data, workspaces=workspace_list_for_user(user=request.user))
        form.is_valid(raise_exception=True)
        workspace = form.validated_data["workspace"]
        self.check_workspace_write(workspace.pk)
        return Response({"changed": category_rules_apply(workspace=workspace)}, status=status.HTTP_200_OK)

