"""``POST /api/v1/predictions/demand/``: the seed's demand prediction — a product's demand
at one warehouse (or over all of them) for ``horizon`` periods of a granularity, with 80/95 %
intervals, under planned promotions and prices, and the model version that answered with
its backtest metrics (:mod:`forecasting.inventory.demand_prediction`). Any member may ask;
it writes only the prediction log."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finance.api.kit import StrictSerializer, workspace_for, workspace_object_or_404
from finance.models import Product, Warehouse
from forecasting.api.batch import ErrorDetailSerializer
from forecasting.api.predictions import _Product, _Warehouse
from forecasting.api.views import ServiceUnavailable
from forecasting.inventory.demand_prediction import (
    DemandRequest,
    PlanOutsideForecast,
    demand_predict,
)
from forecasting.series.drivers import DriverPlan, PlannedPrice
from forecasting.series.frequency import Frequency
from forecasting.serving.deployed import ModelUnavailable
from forecasting.serving.predictions import NoModel

MAX_RANGES = 100


class _Range(StrictSerializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Inclusive.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["Must not be before start."]})
        return attrs


class _Price(_Range):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                     help_text="Unit price on those days, in the workspace's currency.")


class DemandRequestSerializer(StrictSerializer):
    workspace = serializers.IntegerField(min_value=1)
    product = serializers.IntegerField(min_value=1)
    warehouse = serializers.IntegerField(min_value=1, required=False,
                                         help_text="One warehouse (default: the product over all of them).")
    horizon = serializers.IntegerField(min_value=1, max_value=366, required=False,
                                       help_text="Periods ahead, from the one holding today (default: the model's "
                                                 "horizon).")
    granularity = serializers.ChoiceField(choices=Frequency.choices, required=False,
                                          help_text="D, W or M: the deployed model of this frequency answers "
                                                    "(default: the finest deployed, daily first).")
    promotions = _Range(many=True, required=False, max_length=MAX_RANGES,
                        help_text="Days the product will be on promotion (inclusive ranges).")
    prices = _Price(many=True, required=False, max_length=MAX_RANGES,
                    help_text="Planned unit prices (inclusive ranges; the last range wins where they overlap; "
                              "elsewhere the last price sold at).")


class DemandModelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    algorithm = serializers.CharField()
    status = serializers.CharField()
    trained_until = serializers.DateField(allow_null=True)
    backtest_metrics = serializers.DictField(help_text="MAE, RMSE, MAPE, sMAPE, MASE, R² of the backtest.")
    drivers = serializers.ListField(child=serializers.CharField(),
                                    help_text="The drivers the model learned from (promotion, price, holidays).")


class DemandResponseSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    product = _Product()
    warehouse = _Warehouse(allow_null=True)
    unit = serializers.CharField(help_text="What the numbers count: units of the product.")
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    horizon = serializers.IntegerField()
    first_period_partial = serializers.BooleanField(help_text="The first period began before today; its forecast "
                                                              "is the whole period's.")
    dates = serializers.ListField(child=serializers.DateField(), help_text="Start of each period.")
    forecast = serializers.ListField(child=serializers.FloatField())
    lo80 = serializers.ListField(child=serializers.FloatField())
    hi80 = serializers.ListField(child=serializers.FloatField())
    lo95 = serializers.ListField(child=serializers.FloatField())
    hi95 = serializers.ListField(child=serializers.FloatField())
    source = serializers.ChoiceField(
        choices=["model", "product", "share"],
        help_text="model: the product's (at the warehouse) own model; product: the product's model × the warehouse's "
                  "share of its sales; share: the workspace's total demand model × the product's share of all sales.")
    share = serializers.FloatField(allow_null=True, help_text="The share of the answering model's forecast (null for "
                                                              "source model).")
    model = DemandModelSerializer()
    plan_applied = serializers.BooleanField(help_text="Whether the plan reached a model that learned from drivers.")
    plan_note = serializers.CharField()
    prediction_id = serializers.UUIDField()
    cached = serializers.BooleanField()


def _plan(data: dict[str, Any]) -> DriverPlan:
    return DriverPlan(
        promotions=tuple((p["start"], p["end"]) for p in data.get("promotions", [])),
        prices=tuple(PlannedPrice(p["start"], p["end"], float(p["price"])) for p in data.get("prices", [])),
    )


class DemandPredictionView(APIView):
    """``POST /api/v1/predictions/demand/``: a product's demand ahead, with its intervals."""

    parser_classes = [JSONParser]  # with the input limits (config/parsers.py)

    @extend_schema(
        request=DemandRequestSerializer,
        responses={
            200: DemandResponseSerializer,
            400: OpenApiResponse(description="The body names each invalid field."),
            404: OpenApiResponse(ErrorDetailSerializer, description="The workspace, product or warehouse is not one "
                                 "of yours, or no demand model serves that granularity."),
            503: OpenApiResponse(ErrorDetailSerializer, description="No intact model is left to answer "
                                                                    "(integrity check)."),
        },
    )
    def post(self, request: Request) -> Response:
        body = DemandRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        workspace = workspace_for(request, data["workspace"])
        product = workspace_object_or_404(Product, workspace=workspace, pk=data["product"], name="product")
        warehouse = workspace_object_or_404(Warehouse, workspace=workspace, pk=data["warehouse"], name="warehouse") \
            if "warehouse" in data else None
        ask = DemandRequest(product=product, warehouse=warehouse, horizon=data.get("horizon"),
                            frequency=Frequency(data["granularity"]) if "granularity" in data else None,
                            plan=_plan(data))
        try:
            answer = demand_predict(workspace=workspace, ask=ask, today=timezone.localdate(), user=request.user)
        except PlanOutsideForecast as exc:
            raise ValidationError(exc.errors) from None
        except NoModel as exc:
            raise NotFound(str(exc)) from None
        except ModelUnavailable as exc:
            raise ServiceUnavailable({"detail": str(exc)}) from None
        return Response(DemandResponseSerializer({
            "workspace": workspace.pk, "unit": "units",
            "product": {"id": product.pk, "sku": product.sku, "name": product.name},
            "warehouse": None if warehouse is None else {"id": warehouse.pk, "code": warehouse.code,
                                                         "name": warehouse.name},
            **answer,
        }).data)

