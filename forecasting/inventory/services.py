"""Stock plans: how many units of each product to order for each warehouse now, chosen by
a mixed-integer linear program (:func:`scipy.optimize.milp`, HiGHS).

For every product × warehouse ``i`` with its reorder point (see
:mod:`forecasting.inventory.selectors`) the program chooses an integer order
``q_i``, a binary "an order is placed" ``y_i`` and the units ``s_i`` still short of the
target level ``T_i`` (reorder point + EOQ for a pair at or below its reorder point, 0
otherwise) so as to minimise::

    Σ (unit cost_i + holding_i) · q_i  +  ordering cost · Σ y_i  +  Σ price_i · s_i

    subject to  Σ unit cost_i · q_i ≤ budget                      (the purchase budget)
                Σ_{i in w} q_i ≤ capacity_w − stock held in w     (warehouses with a capacity)
                MOQ_i · y_i ≤ q_i ≤ M_i · y_i                     (nothing, or at least the MOQ)
                q_i ≤ C_i                                         (perishables: what sells in time)
                s_i ≥ T_i − on hand_i − q_i,  s_i ≥ 0             (the shortfall)

``holding_i`` is the unit's holding cost for the plan's horizon (holding rate × unit cost
× horizon / 365). A unit short is penalised at the product's price: the margin that is
lost plus the unit cost that a bought-and-sold unit pays back — so a unit is worth
ordering exactly when its margin exceeds its holding cost, and a tight budget goes to the
orders that save the most. ``M_i`` is the larger of what reaches the target and the MOQ.
``C_i`` is, for a product with a shelf life, what the expected demand sells before the order
expires (:attr:`~forecasting.inventory.selectors.ReorderPoint.shelf_life_cap`): a pair whose
cap is below its supplier's minimum order is not ordered at all.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from finance.models import Workspace
from forecasting.inventory.models import StockPlan, StockPlanLine
from forecasting.inventory.policy import (
    DAYS_PER_YEAR,
    InventoryPlanningError,
    service_level_validate,
)
from forecasting.inventory.scenarios import ScenarioChange, plan_outcome, scenario_points
from forecasting.inventory.selectors import (
    PolicyInputs,
    ReorderPoint,
    ReorderPointsWithForecasts,
    reorder_points_with_forecasts,
    warehouse_room,
)

SOLVER_TIME_LIMIT_SECONDS = 20.0
CENT = Decimal("0.01")

__all__ = [
    "InventoryPlanningError", "PlanSolution", "stock_plan_compute", "stock_plan_create", "stock_plan_scenarios",
    "stock_plan_solve",
]


@dataclass(frozen=True)
class PlanSolution:
    """The order quantity of each reorder point (same order) and how the solver ended."""

    quantities: list[int]
    status: str  # a StockPlan.Status value
    message: str


def _decimal(value: Decimal | float | int | str, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InventoryPlanningError(f"The {name} must be a number.") from None
    if not number.is_finite():
        raise InventoryPlanningError(f"The {name} must be a number.")
    return number


def stock_plan_solve(
    *,
    points: Sequence[ReorderPoint],
    budget: float,
    ordering_cost: float,
    holding_cost_rate: float,
    horizon_days: int,
    room: Mapping[int, int | None],
) -> PlanSolution:
    """Solve the program above for ``points``; ``room`` maps warehouse ids to the units that
    still fit (``None`` or missing: no limit). Raises :class:`InventoryPlanningError` when
    the solver finds no plan."""
    n = len(points)
    if n == 0:
        raise InventoryPlanningError("There is nothing to plan.")
    cost = np.array([float(p.product.unit_cost) for p in points])
    price = np.array([float(p.product.unit_price) for p in points])
    holding = cost * holding_cost_rate * horizon_days / DAYS_PER_YEAR
    need = np.array([max(p.target_level - p.position, 0) for p in points], dtype=float)
    moq = np.array([p.min_order_quantity for p in points], dtype=float)
    cap = np.array([np.inf if p.shelf_life_cap is None else p.shelf_life_cap for p in points], dtype=float)
    upper = np.where(need > 0, np.maximum(need, moq), 0.0)
    upper = np.where(cap < moq, 0.0, np.minimum(upper, cap))

    # Variables: q (0..n-1), y (n..2n-1), s (2n..3n-1).
    objective = np.concatenate([cost + holding, np.full(n, ordering_cost), price])
    integrality = np.concatenate([np.ones(n), np.ones(n), np.zeros(n)])
    bounds = Bounds(
        np.zeros(3 * n),
        np.concatenate([upper, np.where(upper > 0, 1.0, 0.0), np.full(n, np.inf)]),
    )
    rows, cols, values, lower, upper_rows = [], [], [], [], []

    def add_row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        row = len(lower)
        for col, value in entries:
            rows.append(row)
            cols.append(col)
            values.append(value)
        lower.append(lo)
        upper_rows.append(hi)

    add_row([(i, cost[i]) for i in range(n)], -np.inf, budget)
    by_warehouse: dict[int, list[int]] = defaultdict(list)
    for i, point in enumerate(points):
        by_warehouse[point.warehouse.pk].append(i)
    for warehouse_id, members in sorted(by_warehouse.items()):
        limit = room.get(warehouse_id)
        if limit is not None:
            add_row([(i, 1.0) for i in members], -np.inf, float(limit))
    for i in range(n):
        add_row([(i, 1.0), (n + i, -moq[i])], 0.0, np.inf)  # q ≥ MOQ · y
        add_row([(i, 1.0), (n + i, -upper[i])], -np.inf, 0.0)  # q ≤ M · y
        add_row([(i, 1.0), (2 * n + i, 1.0)], need[i], np.inf)  # q + s ≥ T − on hand
    matrix = sparse.csr_array((values, (rows, cols)), shape=(len(lower), 3 * n))
    result = milp(
        objective,
        integrality=integrality,
        bounds=bounds,
        constraints=LinearConstraint(matrix, lower, upper_rows),
        options={"time_limit": SOLVER_TIME_LIMIT_SECONDS, "mip_rel_gap": 1e-9},
    )
    if result.x is None or result.status not in (0, 1):
        raise InventoryPlanningError(f"The optimiser found no plan: {result.message}")
    quantities = [int(q) for q in np.rint(result.x[:n])]
    status = StockPlan.Status.OPTIMAL if result.status == 0 else StockPlan.Status.TIME_LIMIT
    return PlanSolution(quantities=quantities, status=status, message=str(result.message)[:255])


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _units(value: float, places: str = "0.01") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), ROUND_HALF_UP)


# --- what the columns hold ---------------------------------------------------------------------

# Django's portable integer ranges (a PositiveIntegerField holds 0..2,147,483,647): SQLite
# would take 64 bits, PostgreSQL would refuse the row — a plan must fit both.
_INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges
_LABELS = {"eoq": "economic order quantity"}
_SMALLER_EOQ = " A lower ordering cost or a higher holding cost rate gives a smaller economic order quantity."
_HINTS = {"eoq": _SMALLER_EOQ, "target_level": _SMALLER_EOQ}


def _column_range(field: models.Field) -> tuple[Decimal, Decimal]:
    """The smallest and largest number ``field``'s column holds: ±(10^(max_digits −
    decimal_places) − 10^−decimal_places) for a decimal, Django's portable range for an
    integer."""
    if isinstance(field, models.DecimalField):
        largest = Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(1).scaleb(-field.decimal_places)
        return -largest, largest
    low, high = _INTEGER_RANGES[field.get_internal_type()]
    return Decimal(low), Decimal(high)


def _check_storable(instance: StockPlan | StockPlanLine, *, of: str) -> None:
    """Raise :class:`InventoryPlanningError` unless every number of ``instance`` fits its
    column (``of`` names the instance in the message: "BOLT at N", "the plan")."""
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.is_relation or not isinstance(field, (models.DecimalField, models.IntegerField)):
            continue
        value = getattr(instance, field.attname)
        if value is None:
            continue
        low, high = _column_range(field)
        if low <= value <= high:
            continue
        label = _LABELS.get(field.name, str(field.verbose_name))
        size, bound = ("large", f"at most {high:,}") if value > high else ("small", f"at least {low:,}")
        raise InventoryPlanningError(
            f"The {label} of {of} ({value:,}) is too {size} to store in a stock plan ({bound})."
            f"{_HINTS.get(field.name, '')}"
        )


def _finite(point: ReorderPoint) -> ReorderPoint:
    numbers = (point.daily_demand, point.demand_std, point.safety_stock, point.reorder_point, point.eoq or 0.0)
    if not all(map(math.isfinite, numbers)):
        raise InventoryPlanningError(
            f"The demand of {point.product.sku} at {point.warehouse.code} is too large to plan for."
        )
    return point


def _line(point: ReorderPoint, quantity: int, ordering_cost: Decimal) -> StockPlanLine:
    """The (unsaved) line of ``point`` ordering ``quantity`` units."""
    return StockPlanLine(
        product=point.product, warehouse=point.warehouse, on_hand=point.on_hand, on_order=point.on_order,
        daily_demand=_units(point.daily_demand, "0.001"), demand_std=_units(point.demand_std, "0.001"),
        demand_source=point.demand_source, lead_time_days=_units(point.lead_time_days),
        lead_time_std_days=_units(point.lead_time_std_days), lead_time_source=point.lead_time_source,
        shelf_life_cap=point.shelf_life_cap,
        safety_stock=_units(point.safety_stock),
        reorder_point=_units(point.reorder_point), eoq=None if point.eoq is None else _units(point.eoq),
        target_level=point.target_level, order_quantity=quantity, unit_cost=point.product.unit_cost,
        cost=_money(point.product.unit_cost * quantity + (ordering_cost if quantity > 0 else 0)),
        shortage_units=Decimal(max(point.target_level - point.position - quantity, 0)),
    )


# --- the plan ------------------------------------------------------------------------------------


def _percent(value: Any, name: str, low: Decimal, high: Decimal) -> Decimal:
    number = _decimal(value or 0, name)
    if not low <= number <= high:
        raise InventoryPlanningError(f"The {name} must be between {low:g} and {high:g}.")
    return number.quantize(CENT, ROUND_HALF_UP)


def _plan_inputs(*, budget: Any, service_level: Any, ordering_cost: Any, holding_cost_rate: Any,
                 scenario: Mapping[str, Any] | None = None) -> StockPlan:
    """The plan's settings, checked, defaulted from the environment and rounded as their
    columns store them (the plan is computed with the numbers it will show). ``scenario``:
    ``name``, ``promotion_uplift_pct`` (0 … 1,000), ``price_change_pct`` (−90 … 500),
    ``price_elasticity`` (−10 … 0, default ``INVENTORY_PRICE_ELASTICITY``) and ``products``
    (ids the changes apply to; none: all)."""
    scenario = scenario or {}
    budget = _decimal(budget, "budget")
    if budget < 0:
        raise InventoryPlanningError("The budget cannot be negative.")
    level = _decimal(settings.INVENTORY_SERVICE_LEVEL if service_level is None else service_level, "service level")
    level = service_level_validate(level.quantize(Decimal("0.0001"), ROUND_HALF_UP))
    fixed = _decimal(settings.INVENTORY_ORDERING_COST if ordering_cost is None else ordering_cost, "ordering cost")
    rate = _decimal(
        settings.INVENTORY_HOLDING_COST_RATE if holding_cost_rate is None else holding_cost_rate,
        "holding cost rate",
    )
    if fixed < 0 or rate < 0:
        raise InventoryPlanningError("The ordering cost and the holding cost rate cannot be negative.")
    elasticity = scenario.get("price_elasticity")
    inputs = StockPlan(
        budget=_money(budget), service_level=level, ordering_cost=_money(fixed),
        holding_cost_rate=rate.quantize(Decimal("0.0001"), ROUND_HALF_UP),
        horizon_days=settings.INVENTORY_PLAN_HORIZON_DAYS, name=str(scenario.get("name") or "")[:60],
        promotion_uplift_pct=_percent(scenario.get("promotion_uplift_pct"), "promotion uplift", Decimal(0),
                                      Decimal(1000)),
        price_change_pct=_percent(scenario.get("price_change_pct"), "price change", Decimal(-90), Decimal(500)),
        price_elasticity=_percent(settings.INVENTORY_PRICE_ELASTICITY if elasticity is None else elasticity,
                                  "price elasticity", Decimal(-10), Decimal(0)),
        scenario_products=sorted({int(pk) for pk in scenario.get("products") or ()}),
    )
    _check_storable(inputs, of="the plan")
    return inputs


def _plan_of(*, inputs: StockPlan, points: list[ReorderPoint], solution: Any) -> tuple[StockPlan, list[StockPlanLine]]:
    """The plan (its settings, the solver's status, the totals and the outcome) and its
    lines, unsaved."""
    lines, purchase, orders, holding, short = [], Decimal(0), 0, Decimal(0), Decimal(0)
    holding_share = inputs.holding_cost_rate * inputs.horizon_days / DAYS_PER_YEAR
    for point, quantity in zip(points, solution.quantities, strict=True):
        line = _line(point, quantity, inputs.ordering_cost)
        _check_storable(line, of=f"{point.product.sku} at {point.warehouse.code}")
        lines.append(line)
        purchase += line.unit_cost * quantity
        orders += quantity > 0
        holding += line.unit_cost * holding_share * (point.position + quantity)
        short += line.shortage_units
    outcome = plan_outcome(points=points, quantities=solution.quantities, horizon_days=inputs.horizon_days)
    plan = StockPlan(
        budget=inputs.budget, service_level=inputs.service_level, ordering_cost=inputs.ordering_cost,
        holding_cost_rate=inputs.holding_cost_rate, horizon_days=inputs.horizon_days, name=inputs.name,
        promotion_uplift_pct=inputs.promotion_uplift_pct, price_change_pct=inputs.price_change_pct,
        price_elasticity=inputs.price_elasticity, scenario_products=inputs.scenario_products,
        status=solution.status, solver_message=solution.message, purchase_cost=_money(purchase),
        ordering_cost_total=_money(inputs.ordering_cost * orders), holding_cost=_money(holding),
        shortage_units=_money(short), expected_lost_sales=outcome.lost_sales,
        expected_fill_rate=None if outcome.fill_rate is None else _units(outcome.fill_rate, "0.0001"),
    )
    return plan, lines


def _read_demand(*, workspace: Workspace, today: dt.date | None, user: Any, log: bool) -> ReorderPointsWithForecasts:
    found = reorder_points_with_forecasts(workspace=workspace, today=today or timezone.localdate(), user=user, log=log)
    if not found.points:
        raise InventoryPlanningError(
            "Nothing to plan: the workspace has no active product that a warehouse stocks or has sold."
        )
    return found


def stock_plan_compute(*, inputs: StockPlan, found: ReorderPointsWithForecasts, room: Mapping[int, int | None],
                       ) -> tuple[StockPlan, list[StockPlanLine]]:
    """The plan of ``inputs`` (from :func:`_plan_inputs`: a scenario's settings) over the
    demand ``found``, unsaved: its reorder points under the scenario, the orders chosen
    within the budget and ``room``, the totals and the outcome."""
    change = ScenarioChange(
        promotion_uplift_pct=float(inputs.promotion_uplift_pct), price_change_pct=float(inputs.price_change_pct),
        price_elasticity=float(inputs.price_elasticity),
        product_ids=frozenset(inputs.scenario_products) if inputs.scenario_products else None,
    )
    policy = PolicyInputs.of(service_level=inputs.service_level, ordering_cost=inputs.ordering_cost,
                             holding_cost_rate=inputs.holding_cost_rate)
    points = scenario_points(found=found, change=change, policy=policy)
    # Every line must fit before the solver sees it (its target level bounds its order).
    for point in map(_finite, points):
        _check_storable(_line(point, 0, inputs.ordering_cost), of=f"{point.product.sku} at {point.warehouse.code}")
    solution = stock_plan_solve(
        points=points, budget=float(inputs.budget), ordering_cost=float(inputs.ordering_cost),
        holding_cost_rate=float(inputs.holding_cost_rate), horizon_days=inputs.horizon_days, room=room,
    )
    plan, lines = _plan_of(inputs=inputs, points=points, solution=solution)
    _check_storable(plan, of="the plan")
    return plan, lines


def stock_plan_scenarios(
    *, workspace: Workspace, scenarios: Sequence[Mapping[str, Any]], user: AbstractBaseUser | AnonymousUser | None = None,
    today: dt.date | None = None, log: bool = False,
) -> list[tuple[StockPlan, list[StockPlanLine]]]:
    """Each scenario's plan (``budget``, ``service_level``, ``ordering_cost``,
    ``holding_cost_rate`` and the changes :func:`_plan_inputs` takes), computed from one
    read of the demand and stored nowhere — to compare them side by side; keep one with
    :func:`stock_plan_create`. ``log``: record the demand forecasts read (an API answer).
    Raises :class:`InventoryPlanningError` like :func:`stock_plan_create`."""
    inputs = [
        _plan_inputs(budget=s.get("budget"), service_level=s.get("service_level"), ordering_cost=s.get("ordering_cost"),
                     holding_cost_rate=s.get("holding_cost_rate"), scenario=s)
        for s in scenarios
    ]
    found = _read_demand(workspace=workspace, today=today, user=user, log=log)
    room = warehouse_room(workspace=workspace)
    results = []
    for scenario in inputs:
        plan, lines = stock_plan_compute(inputs=scenario, found=found, room=room)
        plan.workspace = workspace
        results.append((plan, lines))
    return results


def stock_plan_create(
    *,
    workspace: Workspace,
    budget: Decimal | float | int | str,
    service_level: Decimal | float | str | None = None,
    ordering_cost: Decimal | float | str | None = None,
    holding_cost_rate: Decimal | float | str | None = None,
    scenario: Mapping[str, Any] | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    today: dt.date | None = None,
) -> StockPlan:
    """Compute the reorder points of the workspace, choose the orders within ``budget``
    and the warehouses' capacities, and store the plan with one line per product ×
    warehouse — all of it or, on any error, nothing. ``scenario`` keeps a what-if as the
    plan (see :func:`_plan_inputs`): the same numbers :func:`stock_plan_scenarios` gives.

    Defaults: ``INVENTORY_SERVICE_LEVEL``, ``INVENTORY_ORDERING_COST``,
    ``INVENTORY_HOLDING_COST_RATE``; the holding cost is counted for
    ``INVENTORY_PLAN_HORIZON_DAYS``. Raises :class:`InventoryPlanningError` for a negative
    budget or cost, a service level outside (0, 1), a scenario's change out of its range,
    a workspace with nothing to plan, or a number of the plan or of a line (an economic
    order quantity, say, from a large ordering cost and a tiny holding cost rate) that
    does not fit its column.
    """
    inputs = _plan_inputs(budget=budget, service_level=service_level, ordering_cost=ordering_cost,
                          holding_cost_rate=holding_cost_rate, scenario=scenario)
    found = _read_demand(workspace=workspace, today=today, user=user, log=True)
    plan, lines = stock_plan_compute(inputs=inputs, found=found, room=warehouse_room(workspace=workspace))
    plan.workspace = workspace
    plan.created_by = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        plan.save(force_insert=True)
        for line in lines:
            line.plan = plan
        StockPlanLine.objects.bulk_create(lines)
    return plan
