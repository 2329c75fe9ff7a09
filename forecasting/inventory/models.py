"""Stock plans: what to order now, per product × warehouse, within a budget."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from finance.models import Product, Warehouse, Workspace


class StockPlan(models.Model):
    """What to order now, per product × warehouse, chosen by a mixed-integer program
    (:mod:`forecasting.inventory.services`) within a budget and the warehouses'
    capacities. Computed, never typed in: the inputs and assumptions are kept with it,
    including the scenario it was kept from (a promotion, a price change; see
    :mod:`forecasting.inventory.scenarios`)."""

    class Status(models.TextChoices):
        OPTIMAL = "optimal", "Optimal"
        TIME_LIMIT = "time_limit", "Best found within the time limit"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="stock_plans")
    name = models.CharField(max_length=60, blank=True, default="", help_text="The scenario's name, if it had one.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    budget = models.DecimalField(max_digits=14, decimal_places=2, help_text="Most the orders may cost to buy.")
    service_level = models.DecimalField(
        max_digits=5, decimal_places=4, help_text="Chance of not running out within a lead time (0-1)."
    )
    ordering_cost = models.DecimalField(max_digits=12, decimal_places=2, help_text="Fixed cost of one order.")
    holding_cost_rate = models.DecimalField(
        max_digits=6, decimal_places=4, help_text="Yearly cost of holding a unit, as a fraction of its cost."
    )
    horizon_days = models.PositiveSmallIntegerField(help_text="Days the holding cost is counted for.")
    promotion_uplift_pct = models.DecimalField(
        max_digits=6, decimal_places=2, default=0, help_text="Extra demand of a promotion, in % (0: none).")
    price_change_pct = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, help_text="Change of the selling price, in % (0: none).")
    price_elasticity = models.DecimalField(
        max_digits=4, decimal_places=2, default=0,
        help_text="Demand changes by (1 + price change) to this power.")
    scenario_products = models.JSONField(
        default=list, blank=True, help_text="Ids of the products the promotion and price change apply to (empty: all).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPTIMAL)
    solver_message = models.CharField(max_length=255, blank=True, default="")
    purchase_cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    ordering_cost_total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    holding_cost = models.DecimalField(
        max_digits=14, decimal_places=2, default=0,
        help_text="Expected cost of holding the stock after ordering for the horizon.",
    )
    shortage_units = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="Units still short of the target levels."
    )
    expected_fill_rate = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True,
        help_text="Share of the horizon's expected demand the stock after ordering serves (no later order).",
    )
    expected_lost_sales = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="Sales the stock after ordering is expected to miss.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        if self.pk is None:
            return f"Scenario {self.name or '(unnamed)'}: budget {self.budget}"
        return f"Stock plan {self.pk} of {self.workspace} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def total_cost(self) -> Decimal:
        """Purchase plus the fixed cost of the orders."""
        return self.purchase_cost + self.ordering_cost_total


class StockPlanLine(models.Model):
    """One product × warehouse of a plan: its demand, reorder point, EOQ and the order."""

    class DemandSource(models.TextChoices):
        MODEL = "model", "Demand model of the product at the warehouse"
        PRODUCT = "product", "Product demand model × warehouse share"
        SHARE = "share", "Total demand model × share of sales"
        HISTORY = "history", "Sales history"

    class LeadTimeSource(models.TextChoices):
        MEASURED = "measured", "Measured from the supplier's receipts"
        TYPED = "typed", "The supplier's typed lead time"
        DEFAULT = "default", "Default (no supplier)"

    plan = models.ForeignKey(StockPlan, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    on_hand = models.PositiveIntegerField()
    on_order = models.PositiveIntegerField(default=0, help_text="Units ordered and not yet received when planned.")
    daily_demand = models.DecimalField(max_digits=12, decimal_places=3)
    demand_std = models.DecimalField(max_digits=12, decimal_places=3, help_text="Standard deviation per day.")
    demand_source = models.CharField(max_length=8, choices=DemandSource.choices)
    lead_time_days = models.DecimalField(max_digits=6, decimal_places=2)
    lead_time_std_days = models.DecimalField(max_digits=6, decimal_places=2)
    lead_time_source = models.CharField(max_length=8, choices=LeadTimeSource.choices, default=LeadTimeSource.TYPED)
    safety_stock = models.DecimalField(max_digits=12, decimal_places=2)
    reorder_point = models.DecimalField(max_digits=12, decimal_places=2)
    eoq = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                              help_text="Economic order quantity; empty when holding costs nothing.")
    target_level = models.PositiveIntegerField(help_text="Reorder point + EOQ, when at or below the reorder point.")
    order_quantity = models.PositiveIntegerField()
    shelf_life_cap = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="For a product with a shelf life: the most units an order can sell before they expire.",
    )
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)
    cost = models.DecimalField(max_digits=14, decimal_places=2, help_text="Purchase plus the fixed ordering cost.")
    shortage_units = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["plan", "product__sku", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "product", "warehouse"], name="unique_stock_plan_line"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}: order {self.order_quantity}"
