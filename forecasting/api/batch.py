"""``POST /api/v1/ml/predict/batch/``: many forecasts of one workspace in one call.

The request is refused (400, naming the field) only when it is malformed as a whole — no
workspace id, no list of items, an empty one or more than ``ML_BATCH_MAX_ITEMS``. Each
item is then validated and answered on its own: a bad item, or one no model answers, gets
its error object in its place while the others get their forecasts (200 overall).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.parsers import JSONParser
from finance.api.kit import StrictSerializer, workspace_for
from forecasting.api.serializers import ForecastSerializer
from forecasting.series.frequency import Frequency
from forecasting.series.targets import InvalidTarget, Target
from forecasting.serving.batch import ForecastRequest, ItemError, forecasts_predict_batch

DEFAULT_PERIODS = 6  # as GET /api/v1/forecasts/{metric}/
FILTERS = (("category", "category_id"), ("product", "product_id"), ("warehouse", "warehouse_id"))


class BatchForecastItemSerializer(StrictSerializer):
    """One forecast to make: the fields of ``GET /api/v1/forecasts/{metric}/``, with the
    target as a key (``expense:category=12``) or a metric and its filters."""

    target = serializers.CharField(max_length=100, help_text=(
        "revenue, expense, inventory, or a key with filters: expense:category=12, inventory:product=5, "
        "inventory:product=5:warehouse=2."))
    category = serializers.IntegerField(min_value=1, required=False)
    product = serializers.IntegerField(min_value=1, required=False)
    warehouse = serializers.IntegerField(min_value=1, required=False)
    frequency = serializers.ChoiceField(
        choices=Frequency.choices, default=Frequency.MONTHLY,
        help_text="Served by the target's deployed model of this frequency (the item gets a 404 when it has none).",
    )
    periods = serializers.IntegerField(min_value=1, max_value=366, required=False,
                                       help_text=f"Periods to forecast (default {DEFAULT_PERIODS}).")
    horizon = serializers.IntegerField(min_value=1, max_value=366, required=False, help_text="Another name of periods.")
    model_type = serializers.CharField(max_length=40, required=False,
                                       help_text="An algorithm: its newest model answers instead of the deployed one.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        periods, horizon = attrs.get("periods"), attrs.get("horizon")
        if periods is not None and horizon is not None and periods != horizon:
            raise serializers.ValidationError({"horizon": ["Give periods or horizon, not two different numbers."]})
        try:
            key = Target.parse(attrs["target"])
            filters = {attr: attrs.get(name, getattr(key, attr)) for name, attr in FILTERS}
            clash = [name for name, attr in FILTERS if name in attrs and getattr(key, attr) not in (None, attrs[name])]
            if clash:
                raise InvalidTarget(f"The target key already names another {clash[0]}.")
            target = Target(metric=key.metric, **filters)
        except InvalidTarget as exc:
            raise serializers.ValidationError({"target": [str(exc)]}) from None
        if not target.is_forecast:
            raise serializers.ValidationError({"target": [f"'{target}' is not a forecast target."]})
        attrs["request"] = ForecastRequest(
            target=target, periods=periods or horizon or DEFAULT_PERIODS, frequency=Frequency(attrs["frequency"]),
            model_type=attrs.get("model_type") or None,
        )
        return attrs


def batch_item_parse(item: object) -> ForecastRequest | ItemError:
    """One item of the request, validated: what to forecast, or its 400 error."""
    if not isinstance(item, dict):
        message = 'An item is an object such as {"target": "revenue", "periods": 6}.'
        return ItemError(400, f"non_field_errors: {message}", {"non_field_errors": [message]})
    body = BatchForecastItemSerializer(data=item)
    if body.is_valid():
        return body.validated_data["request"]
    errors = {name: [str(message) for message in messages] for name, messages in body.errors.items()}
    name, messages = next(iter(errors.items()))
    return ItemError(400, f"{name}: {messages[0]}", errors)


@extend_schema_field(BatchForecastItemSerializer(many=True))
class BatchItemsField(serializers.ListField):
    """The items, checked here only for being a list of the allowed length: each is
    validated on its own (a bad item gets its error in the answer, not a 400)."""


class BatchPredictSerializer(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1)
    items = BatchItemsField(child=serializers.JSONField(), allow_empty=False,
                            help_text="At most ML_BATCH_MAX_ITEMS (default 100) forecasts.")

    def validate_items(self, value: list[object]) -> list[ForecastRequest | ItemError]:
        limit = settings.ML_BATCH_MAX_ITEMS
        if len(value) > limit:
            raise serializers.ValidationError(f"At most {limit} items in one batch; got {len(value)}.")
        return [batch_item_parse(item) for item in value]


class BatchForecastAnswerSerializer(ForecastSerializer):
    index = serializers.IntegerField(help_text="Position of the item in the request.")
    status = serializers.IntegerField(help_text="200.")


class BatchItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request.")
    status = serializers.IntegerField(help_text="400 invalid item, 404 no model, 503 model refused (integrity), "
                                                "500 model failed.")
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="For a 400: the messages of each invalid field.")


@extend_schema_field(PolymorphicProxySerializer(
    component_name="BatchPredictAnswer", serializers=[BatchForecastAnswerSerializer, BatchItemErrorSerializer],
    resource_type_field_name=None, many=True,
))
class BatchAnswersField(serializers.ListField):
    pass


class BatchPredictResponseSerializer(serializers.Serializer):
    workspace = serializers.IntegerField()
    results = BatchAnswersField(help_text="One answer per item, in the order of the items.")


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class BatchPredictView(APIView):
    """``POST /api/v1/ml/predict/batch/``: forecasts for many targets, frequencies and
    horizons of one workspace (any member) in one call; each item is answered by its
    forecast — the shape of ``GET /api/v1/forecasts/{metric}/`` — or its own error."""

    parser_classes = [JSONParser]  # with the input limits (config/parsers.py)

    @extend_schema(
        request=BatchPredictSerializer,
        responses={
            200: BatchPredictResponseSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Malformed request: the body names each invalid field (workspace, "
                                             "items: not a list, empty, or over ML_BATCH_MAX_ITEMS)."),
            404: OpenApiResponse(ErrorDetailSerializer, description="The workspace is not one of yours."),
        },
    )
    def post(self, request: Request) -> Response:
        body = BatchPredictSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workspace = workspace_for(request, body.validated_data["workspace"])
        results = forecasts_predict_batch(workspace=workspace, items=body.validated_data["items"], user=request.user)
        return Response({"workspace": workspace.pk, "results": results})
