"""``POST /api/v1/predictions/optimize/``: the seed's stock optimisation as a what-if — the
stock plan of a scenario (budget, service level, a promotion's uplift, a price change, for
some products or all) with its costs and expected fill rate, computed and **not stored**;
``keep: true`` stores it as the workspace's plan (owners, managers and members; a viewer
may compare scenarios but not keep one: 403). See :mod:`forecasting.inventory.scenarios`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finance.api.kit import StrictSerializer, WorkspaceRolePermission, workspace_for
from finance.models import Membership, Product
from finance.selectors import membership_role_get
from forecasting.api.batch import ErrorDetailSerializer
from forecasting.api.serializers import (
    StockPlanLineSerializer,
    StockPlanRequestSerializer,
    StockPlanSerializer,
)
from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.inventory.policy import InventoryPlanningError
from forecasting.inventory.services import stock_plan_create, stock_plan_scenarios

SCENARIO_FIELDS = ("name", "promotion_uplift_pct", "price_change_pct", "price_elasticity", "products")


class OptimizeRequestSerializer(StrictSerializer, StockPlanRequestSerializer):
    """A stock plan's request (workspace, budget, service level, costs) and the scenario."""

    name = serializers.CharField(max_length=60, required=False, allow_blank=True, help_text="A name to tell it by.")
    promotion_uplift_pct = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("1000"), default=Decimal("0"),
        help_text="A promotion's extra demand over the plan's horizon, in % (20: a fifth more).")
    price_change_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("-90"), max_value=Decimal("500"), default=Decimal("0"),
        help_text="Change of the selling price, in % (−10: a tenth cheaper); demand follows the elasticity.")
    price_elasticity = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=Decimal("-10"), max_value=Decimal("0"), required=False,
        help_text="Demand × (1 + price change) ^ elasticity (default INVENTORY_PRICE_ELASTICITY).")
    products = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_empty=True, max_length=1000,
        help_text="The products the promotion and the price change apply to (default: every one).")
    keep = serializers.BooleanField(default=False, help_text="Store the scenario as the workspace's stock plan.")


class ScenarioSerializer(StockPlanSerializer):
    """A plan as a scenario: its settings, status, costs and outcome, and the lines that order."""

    lines = serializers.SerializerMethodField()

    class Meta(StockPlanSerializer.Meta):
        fields = [name for name in StockPlanSerializer.Meta.fields if name not in ("id", "created_at", "created_by")]
        fields = [*fields, "lines"]
        read_only_fields = fields

    @extend_schema_field(StockPlanLineSerializer(many=True))
    def get_lines(self, plan: StockPlan) -> list[dict[str, Any]]:
        ordered = [line for line in self.context["lines"] if line.order_quantity > 0]
        return StockPlanLineSerializer(ordered, many=True).data


class OptimizeResponseSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    currency = serializers.CharField()
    kept = serializers.BooleanField(help_text="Whether the scenario was stored as the workspace's plan.")
    plan = serializers.IntegerField(allow_null=True, help_text="The stored plan's id when kept, else null.")
    scenario = ScenarioSerializer()


def _check_products(workspace: Any, ids: list[int]) -> None:
    found = set(Product.objects.filter(workspace=workspace, pk__in=ids).values_list("pk", flat=True))
    missing = sorted(set(ids) - found)
    if missing:
        raise NotFound(f"No product {missing[0]} in this workspace.")


class OptimizeView(APIView):
    """``POST /api/v1/predictions/optimize/``: a stock plan as a scenario."""

    parser_classes = [JSONParser]  # with the input limits (config/parsers.py)

    @extend_schema(
        request=OptimizeRequestSerializer,
        responses={
            200: OptimizeResponseSerializer,
            201: OpenApiResponse(OptimizeResponseSerializer, description="Kept: stored as the workspace's plan."),
            400: OpenApiResponse(description="The body names each invalid field; `detail` when there is nothing "
                                             "to plan or a number of the plan is too large to store."),
            403: OpenApiResponse(ErrorDetailSerializer, description="keep: your role does not allow changes."),
            404: OpenApiResponse(ErrorDetailSerializer, description="The workspace or a product is not one of "
                                                                    "yours."),
        },
    )
    def post(self, request: Request) -> Response:
        body = OptimizeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        workspace = workspace_for(request, data["workspace"])
        if data["keep"] and membership_role_get(user=request.user, workspace_id=workspace.pk) not in (
                Membership.WRITE_ROLES):
            raise PermissionDenied(WorkspaceRolePermission.message)
        _check_products(workspace, data.get("products") or [])
        settings = {name: data.get(name) for name in ("budget", "service_level", "ordering_cost", "holding_cost_rate")}
        scenario = {name: data[name] for name in SCENARIO_FIELDS if name in data}
        try:
            if data["keep"]:
                plan = stock_plan_create(workspace=workspace, scenario=scenario, user=request.user, **settings)
                lines: list[StockPlanLine] = list(plan.lines.select_related("product", "warehouse"))
            else:
                [(plan, lines)] = stock_plan_scenarios(workspace=workspace, scenarios=[settings | scenario],
                                                       user=request.user, log=True)
        except InventoryPlanningError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        answer = OptimizeResponseSerializer({
            "workspace": workspace.pk, "currency": workspace.currency, "kept": data["keep"],
            "plan": plan.pk if data["keep"] else None, "scenario": plan,
        }, context={"lines": lines})
        return Response(answer.data, status=status.HTTP_201_CREATED if data["keep"] else status.HTTP_200_OK)
