"""``POST /api/v1/predictions/stockout/``: the seed's stockout prediction — per product ×
warehouse of a workspace, the chance of running out within the supplier's lead time and
within a horizon, the days the stock lasts, the severity and the sales expected to be
lost (:mod:`forecasting.inventory.stockout`). Every answer says how the probabilities
were computed: ``probability_source`` ``model`` (the workspace's deployed learned stockout
model, its version in ``model``) or ``forecast_distribution`` (``method``: the demand
forecast's distribution, which also gives the days of cover and the lost sales). Each
result says where its lead time comes from (``lead_time_source``: the rule of the reorder
points, :func:`finance.purchasing.selectors.product_lead_time`). Any member may ask; it
writes only the prediction log of the forecasts and models it read."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finance.api.kit import StrictSerializer, workspace_for, workspace_object_or_404
from finance.models import Product, Warehouse
from forecasting.api.batch import ErrorDetailSerializer
from forecasting.classifiers.loading import model_label
from forecasting.inventory.models import StockPlanLine
from forecasting.inventory.stockout import (
    METHOD,
    METHOD_NOTE,
    MODEL,
    MODEL_NOTE,
    StockoutRisk,
    stockout_risks,
)
from forecasting.registry.models import ModelVersion


class StockoutRequestSerializer(StrictSerializer):
    workspace = serializers.IntegerField(min_value=1)
    product = serializers.IntegerField(min_value=1, required=False, help_text="One product (default: every one).")
    warehouse = serializers.IntegerField(min_value=1, required=False, help_text="One warehouse (default: every one).")
    horizon_days = serializers.IntegerField(min_value=1, max_value=365, default=30,
                                            help_text="Days of the second window the risk is given for.")


class _Named(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _Product(_Named):
    sku = serializers.CharField()


class _Warehouse(_Named):
    code = serializers.CharField()


class StockoutRiskSerializer(serializers.Serializer):
    product = _Product()
    warehouse = _Warehouse()
    on_hand = serializers.IntegerField()
    daily_demand = serializers.FloatField(help_text="Expected units a day.")
    demand_std = serializers.FloatField(help_text="Standard deviation of a day's demand.")
    demand_source = serializers.CharField(help_text="model, product, share (of the total model) or history.")
    lead_time_days = serializers.FloatField(help_text="The lead time the safety stock uses, in days.")
    lead_time_source = serializers.ChoiceField(
        choices=StockPlanLine.LeadTimeSource.choices,
        help_text="Where lead_time_days comes from, as for the reorder points: measured (from the supplier's "
                  "received purchase orders, once it has INVENTORY_LEAD_TIME_MIN_RECEIPTS receipts in the last "
                  "INVENTORY_LEAD_TIME_HISTORY_DAYS days), typed (the supplier's lead time) or default (no supplier).",
    )
    probability_lead_time = serializers.FloatField(help_text="Chance of running out before an order placed now arrives.")
    probability_horizon = serializers.FloatField(help_text="Chance of running out within horizon_days.")
    days_until_stockout = serializers.FloatField(allow_null=True, help_text="At the expected rate; null: no demand.")
    severity = serializers.ChoiceField(choices=["low", "medium", "high"])
    expected_lost_units = serializers.FloatField(help_text="Within the lead time.")
    expected_lost_sales = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="At the unit price.")
    probability_source = serializers.ChoiceField(
        choices=[MODEL, METHOD], help_text="model: the learned stockout model's probabilities; forecast_distribution: "
                                           "the demand forecast's distribution.")
    model_version = serializers.IntegerField(allow_null=True, help_text="The stockout model's version that answered.")


class StockoutModelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    algorithm = serializers.CharField()
    trained_until = serializers.DateField(allow_null=True)
    brier = serializers.FloatField(help_text="Backtest Brier score (time split).")
    brier_forecast_distribution = serializers.FloatField(help_text="The forecast distribution's, same test days.")


class StockoutResponseSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    currency = serializers.CharField()
    horizon_days = serializers.IntegerField()
    method = serializers.ChoiceField(choices=[METHOD])
    method_note = serializers.CharField()
    probability_source = serializers.ChoiceField(choices=[MODEL, METHOD])
    model = StockoutModelSerializer(allow_null=True, help_text="The learned stockout model that answered, if any.")
    results = StockoutRiskSerializer(many=True)


def _risk(risk: StockoutRisk) -> dict[str, Any]:
    return {
        "product": {"id": risk.product.pk, "sku": risk.product.sku, "name": risk.product.name},
        "warehouse": {"id": risk.warehouse.pk, "code": risk.warehouse.code, "name": risk.warehouse.name},
        "on_hand": risk.on_hand, "daily_demand": round(risk.daily_demand, 4), "demand_std": round(risk.demand_std, 4),
        "demand_source": risk.demand_source, "lead_time_days": risk.lead_time_days,
        "lead_time_source": risk.lead_time_source,
        "probability_lead_time": round(risk.probability_lead_time, 4),
        "probability_horizon": round(risk.probability_horizon, 4),
        "days_until_stockout": risk.days_until_stockout, "severity": risk.severity,
        "expected_lost_units": round(risk.lost_units, 2), "expected_lost_sales": risk.lost_sales,
        "probability_source": risk.probability_source,
        "model_version": risk.model_version.version if risk.model_version is not None else None,
    }


def _source(risks: list[StockoutRisk]) -> dict[str, Any]:
    """How the answer's probabilities were computed: the learned model's, if it answered."""
    version: ModelVersion | None = next((r.model_version for r in risks if r.model_version is not None), None)
    if version is None:
        return {"probability_source": METHOD, "method_note": METHOD_NOTE, "model": None}
    metrics = version.metrics
    return {
        "probability_source": MODEL, "model": {
            "id": version.pk, "version": version.version, "algorithm": version.algorithm,
            "trained_until": version.training_end, "brier": metrics["brier"],
            "brier_forecast_distribution": metrics["brier_forecast_distribution"]},
        "method_note": MODEL_NOTE.format(label=model_label(version.algorithm), version=version.version,
                                         brier=metrics["brier"], distribution=metrics["brier_forecast_distribution"]),
    }


class StockoutPredictionView(APIView):
    """``POST /api/v1/predictions/stockout/``: stockout risk of the workspace's products,
    riskiest first."""

    parser_classes = [JSONParser]  # with the input limits (config/parsers.py)

    @extend_schema(
        request=StockoutRequestSerializer,
        responses={
            200: StockoutResponseSerializer,
            400: OpenApiResponse(description="The body names each invalid field."),
            404: OpenApiResponse(ErrorDetailSerializer, description="The workspace, product or warehouse is not "
                                                                    "one of yours."),
        },
    )
    def post(self, request: Request) -> Response:
        body = StockoutRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        workspace = workspace_for(request, data["workspace"])
        for name, model in (("product", Product), ("warehouse", Warehouse)):
            if name in data:
                workspace_object_or_404(model, workspace=workspace, pk=data[name], name=name)
        risks = stockout_risks(
            workspace=workspace, horizon_days=data["horizon_days"], log=True, user=request.user,
            product_ids=[data["product"]] if "product" in data else None,
            warehouse_ids=[data["warehouse"]] if "warehouse" in data else None,
        )
        return Response(StockoutResponseSerializer({
            "workspace": workspace.pk, "currency": workspace.currency, "horizon_days": data["horizon_days"],
            "method": METHOD, **_source(risks), "results": [_risk(risk) for risk in risks],
        }).data)
