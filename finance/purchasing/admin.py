"""Admin of purchase orders and receipts (imported by :mod:`finance.admin`): written through
:mod:`finance.purchasing.services`, as the API writes them, so a receipt typed in by staff
adds to the stock too and the order's figures follow."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from finance.admin import WorkspaceScopedAdmin
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

ORDER_FIELDS = ["supplier", "product", "warehouse", "reference", "quantity_ordered", "unit_cost", "ordered_on",
                "expected_on", "status"]


class PurchaseOrderAdminForm(forms.ModelForm):
    class Meta:
        model = PurchaseOrder
        fields = ["workspace", *ORDER_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        values = {name: cleaned[name] for name in ORDER_FIELDS if name in cleaned}
        try:
            purchase_order_validate(values=values, instance=self.instance if self.instance.pk else None)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


class ReceiptInline(admin.TabularInline):
    model = Receipt
    fields = ["received_on", "quantity", "note", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(WorkspaceScopedAdmin):
    form = PurchaseOrderAdminForm
    list_display = ["pk", "product", "supplier", "warehouse", "quantity_ordered", "quantity_received", "ordered_on",
                    "expected_on", "last_received_on", "status", "workspace"]
    list_filter = ["status", "workspace", "supplier", "warehouse"]
    search_fields = ["reference", "product__sku", "product__name", "supplier__name"]
    list_select_related = ["product", "supplier", "warehouse", "workspace"]
    date_hierarchy = "ordered_on"
    inlines = [ReceiptInline]

    def get_readonly_fields(self, request: HttpRequest, obj: PurchaseOrder | None = None) -> list[str]:
        fixed = ["quantity_received", "last_received_on", "created_by", "created_at"]
        return ["workspace", *fixed] if obj is not None else fixed

    def save_model(self, request: HttpRequest, obj: PurchaseOrder, form: forms.Form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in ORDER_FIELDS if name in form.cleaned_data}
        if change:
            saved = purchase_order_update(purchase_order=obj, **fields)
        else:
            fields.pop("status", None)
            saved = purchase_order_create(workspace=form.cleaned_data["workspace"], user=request.user, **fields)
        for field in PurchaseOrder._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))

    def delete_model(self, request: HttpRequest, obj: PurchaseOrder) -> None:
        try:
            purchase_order_delete(purchase_order=obj)
        except PurchasingConflict as exc:
            messages.error(request, exc.message)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        for order in queryset:
            self.delete_model(request, order)


class ReceiptAdminForm(forms.ModelForm):
    class Meta:
        model = Receipt
        fields = ["purchase_order", "received_on", "quantity", "note"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        order, quantity, day = (cleaned.get(name) for name in ("purchase_order", "quantity", "received_on"))
        if order is not None and quantity is not None and day is not None:
            try:
                receipt_validate(purchase_order=order, quantity=quantity, received_on=day)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        return cleaned

    def _post_clean(self) -> None:
        """The workspace is the order's, set by the service (the model's own checks would ask for it)."""


@admin.register(Receipt)
class ReceiptAdmin(WorkspaceScopedAdmin):
    """Receipts are recorded and taken back, never edited."""

    form = ReceiptAdminForm
    list_display = ["pk", "purchase_order", "received_on", "quantity", "workspace", "created_by"]
    list_filter = ["workspace", "received_on"]
    search_fields = ["purchase_order__product__sku", "purchase_order__reference", "note"]
    list_select_related = ["purchase_order__product", "purchase_order__warehouse", "workspace", "created_by"]
    date_hierarchy = "received_on"

    def has_change_permission(self, request: HttpRequest, obj: Receipt | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Receipt, form: forms.Form, change: bool) -> None:
        saved = receipt_create(purchase_order=form.cleaned_data["purchase_order"], quantity=form.cleaned_data["quantity"],
                               received_on=form.cleaned_data["received_on"], note=form.cleaned_data["note"],
                               user=request.user)
        for field in Receipt._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))

    def delete_model(self, request: HttpRequest, obj: Receipt) -> None:
        try:
            receipt_delete(receipt=obj)
        except PurchasingConflict as exc:
            messages.error(request, exc.message)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Receipt]) -> None:
        for receipt in queryset:
            self.delete_model(request, receipt)
