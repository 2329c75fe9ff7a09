"""Formatting for forecasting's templates (the panels it adds to the finance pages, the
Models page). Filters only format what a view gathered; none reads the database.

    {% load forecasting_pages %}
    {{ risk.probability|percent }}                 → "87 %"
    {% with risk=ml.risks|lookup:use.budget.pk %}  → a panel's entry for a row
    {{ version.algorithm|algorithm_label }}        → "Dynamic Theta"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.conf import settings

from finance.models import Transaction
from forecasting.classifiers.loading import model_label

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.873 → "87 %" (with a no-break space)."""
    if value is None:
        return ""
    return f"{round(value * 100):d}\xa0%"


@register.filter
def lookup(mapping: Mapping[Any, Any] | None, key: Any) -> Any:
    """``mapping[key]``, or None: a panel's entry for one row of a finance table."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def algorithm_label(name: str) -> str:
    return model_label(name)


@register.filter
def is_suggestion(transaction: Transaction) -> bool:
    """The row's category is the model's suggestion, not yet accepted."""
    return transaction.category_source == Transaction.CategorySource.MODEL and transaction.category_id is not None


@register.simple_tag
def inventory_service_level() -> str:
    """The service level reorder points are computed for ("95 %")."""
    return percent(settings.INVENTORY_SERVICE_LEVEL)
