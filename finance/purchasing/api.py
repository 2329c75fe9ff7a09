"""``/api/v1/purchase-orders/`` and ``/api/v1/purchase-receipts/`` (the books' API kit,
NetBox style): scoped to the user's workspaces (another workspace's order or receipt is
404), members write and viewers read. The rules of an order or a receipt, and their
messages, are :mod:`finance.purchasing.services`': each is a 400 naming the field; a
request the object's state refuses (deleting an order units arrived for, taking back a
receipt whose units have left the warehouse) is a 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from finance.api.filters import FilterSet
from finance.api.kit import Conflict, WorkspaceOwnedSerializer, WorkspaceScopedViewSet
from finance.models import Supplier
from finance.purchasing.models import PurchaseOrder, Receipt
from finance.purchasing.services import (
    PurchasingConflict,
    purchase_order_create,
    purchase_order_delete,
    purchase_order_update,
    purchase_order_validate,
    receipt_create,
    receipt_delete,
    receipt_validate,
)


def _service_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class PurchaseOrderSerializer(WorkspaceOwnedSerializer):
    """An order of ``quantity_ordered`` units of ``product`` from ``supplier`` (default: the
    product's) for ``warehouse``, placed on ``ordered_on`` and expected on ``expected_on``
    (default: the supplier's typed lead time later), at ``unit_cost`` (default: the
    product's). The received figures follow the receipts; ``status`` can be set to
    ``cancelled``, or back to ``open`` to reopen a cancelled order."""

    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.none(), required=False,
                                                  help_text="Defaults to the product's supplier.")
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                         help_text="Defaults to the product's unit cost.")
    expected_on = serializers.DateField(required=False, help_text="Defaults to the supplier's lead time later.")
    status = serializers.ChoiceField(choices=PurchaseOrder.Status.choices, required=False)
    quantity_due = serializers.IntegerField(read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id", "workspace", "supplier", "product", "warehouse", "reference", "quantity_ordered", "unit_cost",
            "ordered_on", "expected_on", "status", "quantity_received", "quantity_due", "last_received_on",
            "created_at",
        ]
        read_only_fields = ["quantity_received", "last_received_on", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is None and attrs.get("status", PurchaseOrder.Status.OPEN) != PurchaseOrder.Status.OPEN:
            raise serializers.ValidationError({"status": ["A new order is open."]})
        purchase_order_validate(values={k: v for k, v in attrs.items() if k != "workspace"}, instance=self.instance)
        return attrs

    def create(self, validated_data: dict[str, Any]) -> PurchaseOrder:
        validated_data.pop("status", None)
        request = self.context.get("request")
        try:
            return purchase_order_create(user=getattr(request, "user", None), **validated_data)
        except DjangoValidationError as exc:
            raise _service_errors(exc) from None

    def update(self, instance: PurchaseOrder, validated_data: dict[str, Any]) -> PurchaseOrder:
        validated_data.pop("workspace", None)
        try:
            return purchase_order_update(purchase_order=instance, **validated_data)
        except DjangoValidationError as exc:
            raise _service_errors(exc) from None


class PurchaseOrderFilter(FilterSet):
    class Meta:
        model = PurchaseOrder
        fields = {"workspace": ["exact"], "supplier": ["exact"], "product": ["exact"], "warehouse": ["exact"],
                  "status": ["exact"], "ordered_on": ["gte", "lte"], "expected_on": ["gte", "lte"]}


_CONFLICT = OpenApiResponse(description="The object's state refuses the request (the body says why).")


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: _CONFLICT}))
class PurchaseOrderViewSet(WorkspaceScopedViewSet):
    """Your workspaces' purchase orders, newest first. An order nothing has arrived for can
    be deleted; otherwise cancel it."""

    model = PurchaseOrder
    serializer_class = PurchaseOrderSerializer
    filterset_class = PurchaseOrderFilter
    ordering_fields = ["ordered_on", "expected_on", "quantity_ordered"]
    search_fields = ["reference"]

    def perform_destroy(self, instance: PurchaseOrder) -> None:
        try:
            purchase_order_delete(purchase_order=instance)
        except PurchasingConflict as exc:
            raise Conflict({"detail": exc.message}) from None


class ReceiptSerializer(WorkspaceOwnedSerializer):
    """``quantity`` units of ``purchase_order`` that arrived on ``received_on``: they are added
    to the order's warehouse's stock at once. The workspace is the order's."""

    workspace = serializers.PrimaryKeyRelatedField(read_only=True)
    lead_time_days = serializers.IntegerField(read_only=True, help_text="Days from the order date.")

    class Meta:
        model = Receipt
        fields = ["id", "workspace", "purchase_order", "received_on", "quantity", "note", "lead_time_days",
                  "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        receipt_validate(purchase_order=attrs["purchase_order"], quantity=attrs["quantity"],
                         received_on=attrs["received_on"])
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Receipt:
        request = self.context.get("request")
        try:
            return receipt_create(user=getattr(request, "user", None), **validated_data)
        except DjangoValidationError as exc:
            raise _service_errors(exc) from None


class ReceiptFilter(FilterSet):
    class Meta:
        model = Receipt
        fields = {"workspace": ["exact"], "purchase_order": ["exact"], "purchase_order__product": ["exact"],
                  "purchase_order__supplier": ["exact"], "received_on": ["gte", "lte"]}


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: _CONFLICT}))
class ReceiptViewSet(WorkspaceScopedViewSet):
    """Your workspaces' receipts of purchase orders, newest first. Recording one adds its
    units to the stock; deleting one takes them back out (409 when the stock no longer
    holds them). A receipt is not edited: delete it and record the right one."""

    http_method_names = ["get", "post", "delete", "head", "options"]
    model = Receipt
    serializer_class = ReceiptSerializer
    filterset_class = ReceiptFilter
    select_related = ("purchase_order",)
    ordering_fields = ["received_on", "quantity"]

    def perform_create(self, serializer: ReceiptSerializer) -> None:
        self.check_workspace_write(serializer.validated_data["purchase_order"].workspace_id)
        serializer.save()

    def perform_destroy(self, instance: Receipt) -> None:
        try:
            receipt_delete(receipt=instance)
        except PurchasingConflict as exc:
            raise Conflict({"detail": exc.message}) from None
