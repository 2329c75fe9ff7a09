"""The arithmetic of stock policies: the service level and its z, safety stock, reorder
point and economic order quantity.

With daily demand ``d`` (standard deviation ``σ_d``), lead time ``L`` days (standard
deviation ``σ_L``) and ``z`` the standard normal quantile of the service level::

    safety stock   SS  = z · sqrt(L · σ_d² + d² · σ_L²)
    reorder point  ROP = d · L + SS
    EOQ                = sqrt(2 · D · S / H)   D = 365 · d units a year, S = cost of one
                                               order, H = holding rate × unit cost a year
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import ValidationError
from scipy import stats

DAYS_PER_YEAR = 365


class InventoryPlanningError(ValueError):
    """Input a reorder point or a stock plan cannot be computed from (the message says why)."""


Level = TypeVar("Level", Decimal, float)


# --- the arithmetic ----------------------------------------------------------------------------


def service_level_validate(service_level: Level) -> Level:
    """``service_level`` when it lies strictly between 0 and 1, else
    :class:`InventoryPlanningError` — the one check of the service level, whoever asks for
    one (the reorder points, the stock plan service, the plan form and the API)."""
    if not 0 < service_level < 1:
        raise InventoryPlanningError("The service level must be between 0 and 1 (for example 0.95).")
    return service_level


def service_level_validator(value: Decimal) -> None:
    """:func:`service_level_validate` as a form or serializer field's validator (Django's
    ``ValidationError``, which DRF reports too)."""
    try:
        service_level_validate(value)
    except InventoryPlanningError as exc:
        raise ValidationError(str(exc)) from None


def service_level_z(service_level: float) -> float:
    """The standard normal quantile of ``service_level`` (0.95 → 1.645)."""
    return float(stats.norm.ppf(service_level_validate(service_level)))


def safety_stock(*, z: float, daily_demand: float, demand_std: float, lead_time_days: float,
                 lead_time_std_days: float) -> float:
    """``z · sqrt(L · σ_d² + d² · σ_L²)``: stock that covers the lead time's demand with the
    service level's probability when both demand and lead time vary."""
    variance = lead_time_days * demand_std**2 + daily_demand**2 * lead_time_std_days**2
    return max(z * math.sqrt(variance), 0.0)


def reorder_point(*, daily_demand: float, lead_time_days: float, safety: float) -> float:
    """``d · L + SS``: order when the stock falls to this level."""
    return daily_demand * lead_time_days + safety


def economic_order_quantity(*, daily_demand: float, ordering_cost: float, unit_cost: float,
                            holding_cost_rate: float) -> float | None:
    """``sqrt(2 · D · S / H)`` with D the yearly demand and H the yearly holding cost of a
    unit; 0 without demand, ``None`` when holding costs nothing (no finite optimum)."""
    if daily_demand <= 0:
        return 0.0
    holding = holding_cost_rate * unit_cost
    if holding <= 0:
        return None
    return math.sqrt(2 * DAYS_PER_YEAR * daily_demand * ordering_cost / holding)
