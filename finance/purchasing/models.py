"""Purchase orders and their receipts: what was ordered from a supplier for a warehouse,
when it was expected, and what arrived when (an order may arrive in several receipts).

The lead times and the reliability of suppliers are measured from these rows
(:mod:`finance.purchasing.selectors`); receiving adds to the warehouse's stock in the same
transaction (:mod:`finance.purchasing.services`). The rows live in the ``finance`` app
(:mod:`finance.models` imports them).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from config.limits import AmountValidator, DateRangeValidator, TextValidator

LINE = TextValidator()
IN_RANGE = DateRangeValidator()
MONEY = AmountValidator()
AT_LEAST_ONE = MinValueValidator(1)


class PurchaseOrder(models.Model):
    """Units of one product ordered from a supplier for one warehouse.

    ``quantity_received``, ``last_received_on`` and the status follow the receipts (written
    only by the receipt services); a person may only cancel an order or reopen a cancelled
    one."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PARTIAL = "partial", "Partially received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    #: The statuses of an order whose units are still to come (on order).
    OPEN_STATUSES = (Status.OPEN, Status.PARTIAL)

    workspace = models.ForeignKey("finance.Workspace", on_delete=models.CASCADE, related_name="purchase_orders")
    supplier = models.ForeignKey("finance.Supplier", on_delete=models.CASCADE, related_name="purchase_orders")
    product = models.ForeignKey("finance.Product", on_delete=models.CASCADE, related_name="purchase_orders")
    warehouse = models.ForeignKey("finance.Warehouse", on_delete=models.CASCADE, related_name="purchase_orders")
    reference = models.CharField(max_length=40, blank=True, default="", validators=[LINE],
                                 help_text="The order's number at the supplier (optional).")
    quantity_ordered = models.PositiveIntegerField(validators=[AT_LEAST_ONE])
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0), MONEY],
                                    help_text="Price of one unit on this order (the workspace's currency).")
    ordered_on = models.DateField(validators=[IN_RANGE])
    expected_on = models.DateField(validators=[IN_RANGE], help_text="When the supplier promised delivery.")
    quantity_received = models.PositiveIntegerField(default=0, editable=False)
    last_received_on = models.DateField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ordered_on", "-id"]
        indexes = [
            models.Index(fields=["workspace", "supplier", "ordered_on"], name="po_supplier_idx"),
            models.Index(fields=["workspace", "product", "ordered_on"], name="po_product_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_ordered__gte=1), name="po_quantity_positive"),
            models.CheckConstraint(condition=Q(expected_on__gte=F("ordered_on")), name="po_expected_after_ordered"),
            models.CheckConstraint(condition=Q(quantity_received__lte=F("quantity_ordered")),
                                   name="po_received_within_ordered"),
        ]

    def __str__(self) -> str:
        return f"PO {self.pk}: {self.quantity_ordered}× {self.product.sku} for {self.warehouse.code} ({self.ordered_on})"

    @property
    def total_cost(self) -> Decimal:
        """What the units ordered cost (the workspace's currency)."""
        return self.unit_cost * self.quantity_ordered

    @property
    def quantity_due(self) -> int:
        """Units still to arrive (none on a cancelled order)."""
        if self.status == self.Status.CANCELLED:
            return 0
        return self.quantity_ordered - self.quantity_received


class Receipt(models.Model):
    """Units of a purchase order that arrived at its warehouse on a day."""

    workspace = models.ForeignKey("finance.Workspace", on_delete=models.CASCADE, related_name="receipts")
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="receipts")
    received_on = models.DateField(validators=[IN_RANGE])
    quantity = models.PositiveIntegerField(validators=[AT_LEAST_ONE])
    note = models.CharField(max_length=200, blank=True, default="", validators=[LINE])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["workspace", "received_on"], name="receipt_date_idx")]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="receipt_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} received on {self.received_on} (PO {self.purchase_order_id})"

    @property
    def lead_time_days(self) -> int:
        return (self.received_on - self.purchase_order.ordered_on).days
