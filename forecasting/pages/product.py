"""A product's order analysis page (``/inventory/products/<id>/``, any member): its stock,
its supplier's measured reliability, the seasonal pattern of its sales, the anomalies in
its daily sales, whether its ordering has drifted, and its latest purchase orders
(:mod:`forecasting.inventory.analysis`). Reads only; another workspace's product is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.views.generic import DetailView

from finance.models import Product
from finance.purchasing.selectors import (
    product_lead_time,
    purchase_order_list,
    supplier_performance,
)
from finance.views.base import WorkspaceObjectMixin
from forecasting.inventory.analysis import ANALYSIS_DAYS, RECENT_DAYS, product_order_analysis

LATEST_ORDERS = 10


class ProductAnalysisView(WorkspaceObjectMixin, DetailView):
    model = Product
    object_related = ("supplier",)
    template_name = "forecasting/product.html"
    context_object_name = "product"
    section = "inventory"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        product, today = self.object, timezone.localdate()
        performance = supplier_performance(workspace=self.workspace, today=today,
                                           supplier_ids=[product.supplier_id] if product.supplier_id else [])
        context.update(
            today=today,
            analysis=product_order_analysis(product=product, today=today),
            stock=product.stock_levels.aggregate(total=Sum("quantity"))["total"] or 0,
            lead_time=product_lead_time(product=product, performance=performance),
            supplier_performance=performance.get(product.supplier_id),
            orders=list(purchase_order_list(workspace=self.workspace, product_id=product.pk)[:LATEST_ORDERS]),
            analysis_days=ANALYSIS_DAYS,
            recent_days=RECENT_DAYS,
        )
        return context
