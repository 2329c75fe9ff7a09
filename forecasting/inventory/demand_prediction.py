"""``POST /api/v1/predictions/demand/``'s service: a product's demand (at one warehouse or
over all of them) for the periods ahead, with its intervals, the version that answered and
its backtest, under the promotions and prices a client plans.

Which model answers, in this order — the rule of the inventory page
(:mod:`forecasting.inventory.demand`), shares over the last
``INVENTORY_DEMAND_HISTORY_DAYS`` days of units sold:

1. ``model``: the deployed demand model of the product at the warehouse (of the product
   over all warehouses when no warehouse is named);
2. ``product``: with a warehouse named, the product's model × the warehouse's share of the
   product's sales (an even split over the warehouses that stock or sold it while it has
   sold nothing);
3. ``share``: the workspace's total demand model × the product's (at the warehouse) share
   of all its sales.

The answer covers ``horizon`` periods (default: the model's horizon) from the one holding
today (a model trained before it forecasts the gap, which is not returned); without a
granularity the finest deployed model answers (daily, then weekly, then monthly). A plan
outside those days is refused (:class:`PlanOutsideForecast`) before anything is logged. A
plan reaches a product's model that learned from the drivers
(:class:`~forecasting.series.drivers.DrivenForecaster`); any other model's forecast does
not move (the total's drivers are the whole workspace's), and the answer says so
(``plan_applied``, ``plan_note``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from finance.models import Product, Warehouse, Workspace
from finance.selectors import units_sold_since
from forecasting.inventory.demand import DemandShares, Pair, demand_pairs, sales_history
from forecasting.series.drivers import DriverPlan
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.deployed import serving_versions
from forecasting.serving.forecasts import MAX_PERIODS
from forecasting.serving.predictions import NoModel, forecast_predict

BANDS = ("forecast", "lo80", "hi80", "lo95", "hi95")


#: The order a request without a granularity tries: the finest deployed model answers.
FINEST_FIRST = (Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY)


@dataclass(frozen=True)
class DemandRequest:
    product: Product
    warehouse: Warehouse | None
    horizon: int | None  # None: the answering model's horizon
    frequency: Frequency | None  # None: the finest deployed
    plan: DriverPlan


class PlanOutsideForecast(ValueError):
    """Planned ranges that lie outside the days the answer covers, by field and position."""

    def __init__(self, errors: dict[str, dict[str, dict[str, list[str]]]]) -> None:
        super().__init__("the plan lies outside the forecast")
        self.errors = errors


def demand_plan_window(*, frequency: Frequency, horizon: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day the answer covers: a plan outside them changes nothing."""
    first = frequency.period_start(today)
    return first, frequency.add(first, horizon) - dt.timedelta(days=1)


def _plan_check(plan: DriverPlan, *, frequency: Frequency, horizon: int, today: dt.date) -> None:
    first, last = demand_plan_window(frequency=frequency, horizon=horizon, today=today)
    outside = f"Outside the forecast ({first.isoformat()} to {last.isoformat()})."
    ranges = {"promotions": plan.promotions, "prices": [(p.start, p.end) for p in plan.prices]}
    errors = {}
    for name, items in ranges.items():
        wrong = {str(i): {"end": [outside]} if end < first else {"start": [outside]}
                 for i, (start, end) in enumerate(items) if end < first or start > last}
        if wrong:  # as DRF reports a list's items: by position
            errors[name] = wrong
    if errors:
        raise PlanOutsideForecast(errors)


def _shares(*, workspace: Workspace, product_id: int, pair: Pair | None, today: dt.date) -> DemandShares:
    """The inventory page's shares (:class:`~forecasting.inventory.demand.DemandShares`) of
    the product's pairs over the recent history, the pair asked for among them."""
    days = settings.INVENTORY_DEMAND_HISTORY_DAYS
    history = sales_history(workspace=workspace, product_ids=[product_id], today=today, history_days=days)
    pairs = set(demand_pairs(workspace=workspace, product_ids=[product_id], sold=list(history.daily)))
    if pair is not None:
        pairs.add(pair)
    return DemandShares(history=history, pairs=pairs, all_units=lambda: float(units_sold_since(
        workspace=workspace, since=today - dt.timedelta(days=days), until=today)))


def _share_of(source: str, shares: DemandShares, product_id: int, pair: Pair | None) -> float:
    """The part of the ``product`` or ``share`` source's forecast that is the answer's (the
    whole product's part of the total when no warehouse is named; 0 while nothing sold)."""
    if source == "product":
        return shares.of_product(pair)
    mine = [pair] if pair is not None else [p for p in shares.pairs if p[0] == product_id]
    return shares.of_total(mine) or 0.0


def demand_predict(
    *, workspace: Workspace, ask: DemandRequest, today: dt.date, user: AbstractBaseUser | None = None,
) -> dict[str, Any]:
    """The answer (see the module docstring); :class:`NoModel` when neither model serves
    ``ask.frequency``. Logs the prediction of the version that answered."""
    product_id = ask.product.pk
    warehouse_id = ask.warehouse.pk if ask.warehouse is not None else None
    options = [("model", Target("inventory", product_id=product_id, warehouse_id=warehouse_id))]
    if warehouse_id is not None:
        options.append(("product", Target("inventory", product_id=product_id)))
    options.append(("share", Target("inventory")))
    frequencies = [ask.frequency] if ask.frequency is not None else list(FINEST_FIRST)
    deployed = serving_versions(workspace_id=workspace.pk, targets=[t.key for _, t in options],
                                frequencies=[f.value for f in frequencies])
    found = next(((source, target) for source, target in options if target.key in deployed), None)
    if found is None:
        where = f" at warehouse {ask.warehouse.code}, for the product as a whole" if ask.warehouse else ""
        which = (f"{ask.frequency.label.lower()} demand model (granularity={ask.frequency.value})"
                 if ask.frequency is not None else "demand model")
        raise NoModel(
            f"No {which} is deployed for product {ask.product.sku}{where} or for the workspace's total demand; "
            f"train one first (POST /api/v1/ml/train/ with target {options[0][1].key})."
        )
    source, target = found
    version = deployed[target.key]
    frequency = Frequency.of(version.frequency)
    horizon = ask.horizon or version.horizon or frequency.default_horizon
    _plan_check(ask.plan, frequency=frequency, horizon=horizon, today=today)
    first = frequency.period_start(today)
    gap = frequency.periods_between(version.training_end, first) if version.training_end else 0
    periods = min(max(gap, 0) + horizon, MAX_PERIODS[frequency])
    # a plan is one product's: the total's drivers are the whole workspace's, so it does not apply there
    plan = ask.plan if ask.plan and source != "share" else None
    output = forecast_predict(workspace=workspace, target=target, periods=periods, frequency=frequency,
                              user=user, plan=plan)
    keep = [i for i, d in enumerate(output["dates"]) if dt.date.fromisoformat(d) >= first][:horizon]
    pair = (product_id, warehouse_id) if warehouse_id is not None else None
    share = 1.0 if source == "model" else _share_of(
        source, _shares(workspace=workspace, product_id=product_id, pair=pair, today=today), product_id, pair)
    answer = {name: [round(max(output[name][i], 0.0) * share, 4) for i in keep] for name in BANDS}
    drivers = output["model"].get("drivers", []) if source != "share" else []
    return {
        "dates": [output["dates"][i] for i in keep],
        **answer,
        "frequency": frequency.value,
        "horizon": horizon,
        "first_period_partial": first != today,
        "source": source,
        "share": None if source == "model" else round(share, 4),
        "model": output["model"],
        "plan_applied": bool(plan) and bool(drivers),
        "plan_note": _plan_note(ask.plan, drivers, output["model"]["algorithm"], source),
        "prediction_id": output["prediction_id"],
        "cached": output["cached"],
    }


def _plan_note(plan: DriverPlan, drivers: list[str], algorithm: str, source: str) -> str:
    if source == "share":
        return ("The workspace's total demand model answered (this product's share of its sales); a product's "
                "promotions and prices do not change it.")
    if not drivers:
        return (f"The deployed model ({algorithm}) did not learn from promotions or prices, so a plan does not "
                "change its forecast.")
    planned = "the planned promotions and prices" if plan else "no promotion and the last price"
    return f"Forecast with {planned} and the drivers the model learned from ({', '.join(drivers)})."
