"""Formatting of the books' numbers on the pages (formatting only: no reads, no writes)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def money(value: Decimal | float | int | None, currency: str = "") -> str:
    """An amount with two decimals, thousands grouped, and its currency code after a
    no-break space: ``1234.5|money:"EUR"`` → ``1,234.50 EUR``; ``None`` → ``—``."""
    if value is None or value == "":
        return "—"
    number = floatformat(value, "2g")
    return f"{number}\u00a0{currency}" if currency else number
