"""``POST /api/v1/predictions/demand/``'s service: a product's demand (at one warehouse or
over all of them) for the periods ahead, with its intervals, the version that answered and
its backtest, under the promotions and prices a client plans.

Which model answers, in this order (one frequency, the one asked for):

1. ``model``: the deployed demand model of the product at the warehouse (of the product
   over all warehouses when no warehouse is named);
2. ``product``: with a warehouse named, the product's model × the warehouse's share of the
   product's units sold over the last ``INVENTORY_DEMAND_HISTORY_DAYS`` days (an even split
   over the warehouses that stock or sold it while it has sold nothing) — the rule of the
   inventory page (:mod:`forecasting.inventory.demand`).

The answer covers ``horizon`` periods from the one holding today (a model trained before it
forecasts the gap, which is not returned). A plan reaches a model that learned from the
drivers (:class:`~forecasting.series.drivers.DrivenForecaster`); any other model's
forecast does not move, and the answer says so (``plan_applied``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Sum

from finance.models import Product, Sale, Warehouse, Workspace
from finance.selectors import stock_quantities
from forecasting.series.drivers import DriverPlan
from forecasting.series.frequency import Frequency
from forecasting.series.targets import Target
from forecasting.serving.deployed import serving_versions
from forecasting.serving.forecasts import MAX_PERIODS
from forecasting.serving.predictions import NoModel, forecast_predict

BANDS = ("forecast", "lo80", "hi80", "lo95", "hi95")


@dataclass(frozen=True)
class DemandRequest:
    product: Product
    warehouse: Warehouse | None
    horizon: int
    frequency: Frequency
    plan: DriverPlan


def demand_plan_window(*, frequency: Frequency, horizon: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day the answer covers: a plan outside them changes nothing."""
    first = frequency.period_start(today)
    return first, frequency.add(first, horizon) - dt.timedelta(days=1)


def warehouse_share(*, workspace: Workspace, product_id: int, warehouse_id: int, today: dt.date) -> float:
    """The warehouse's share of the product's units sold over the recent history (two
    queries at most), or an even split over the product's stocked and selling warehouses
    while it has sold nothing."""
    since = today - dt.timedelta(days=settings.INVENTORY_DEMAND_HISTORY_DAYS)
    units = dict(
        Sale.objects.filter(workspace=workspace, product_id=product_id, date__gte=since, date__lt=today)
        .order_by().values("warehouse_id").annotate(units=Sum("quantity")).values_list("warehouse_id", "units")
    )
    total = float(sum(units.values()))
    if total > 0:
        return float(units.get(warehouse_id, 0)) / total
    warehouses = {w for _, w in stock_quantities(workspace=workspace, product_ids=[product_id])}
    warehouses.add(warehouse_id)
    return 1 / len(warehouses)


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
    deployed = serving_versions(workspace_id=workspace.pk, targets=[t.key for _, t in options],
                                frequencies=[ask.frequency.value])
    found = next(((source, target) for source, target in options if target.key in deployed), None)
    if found is None:
        where = f" at warehouse {ask.warehouse.code}" if ask.warehouse is not None else ""
        raise NoModel(
            f"No {ask.frequency.label.lower()} demand model (granularity={ask.frequency.value}) is deployed for "
            f"product {ask.product.sku}{where} or for the product as a whole; train one at that granularity first "
            f"(POST /api/v1/ml/train/ with target {options[0][1].key})."
        )
    source, target = found
    version = deployed[target.key]
    first = ask.frequency.period_start(today)
    gap = ask.frequency.periods_between(version.training_end, first) if version.training_end else 0
    periods = min(max(gap, 0) + ask.horizon, MAX_PERIODS[ask.frequency])
    output = forecast_predict(workspace=workspace, target=target, periods=periods, frequency=ask.frequency,
                              user=user, plan=ask.plan or None)
    keep = [i for i, d in enumerate(output["dates"]) if dt.date.fromisoformat(d) >= first][: ask.horizon]
    share = 1.0 if source == "model" else warehouse_share(
        workspace=workspace, product_id=product_id, warehouse_id=warehouse_id, today=today)
    answer = {name: [round(max(output[name][i], 0.0) * share, 4) for i in keep] for name in BANDS}
    drivers = output["model"].get("drivers", [])
    return {
        "dates": [output["dates"][i] for i in keep],
        **answer,
        "frequency": ask.frequency.value,
        "first_period_partial": first != today,
        "source": source,
        "warehouse_share": None if source == "model" else round(share, 4),
        "model": output["model"],
        "plan_applied": bool(ask.plan) and bool(drivers),
        "plan_note": _plan_note(ask.plan, drivers, output["model"]["algorithm"]),
        "prediction_id": output["prediction_id"],
        "cached": output["cached"],
    }


def _plan_note(plan: DriverPlan, drivers: list[str], algorithm: str) -> str:
    if not drivers:
        return (f"The deployed model ({algorithm}) did not learn from promotions or prices, so a plan does not "
                "change its forecast.")
    planned = "the planned promotions and prices" if plan else "no promotion and the last price"
    return f"Forecast with {planned} and the drivers the model learned from ({', '.join(drivers)})."
