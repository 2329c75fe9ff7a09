"""Stockout risk per product × warehouse, and the early warning that raises ``STOCKOUT``
alerts from it.

The risk of one pair comes from the distribution of its demand (the one rule of
:mod:`forecasting.inventory.demand`: its own model, its product's, its share of the total
model, else its sales history), taken as normal over a window as the inventory page
takes it: the chance that demand within the supplier's lead time — and within the
horizon asked for — exceeds the stock on hand, the days the stock lasts at the expected
rate, and the sales expected to be lost within the lead time (the normal partial
expectation ``E[max(D − stock, 0)]``) in units and in money at the product's price.
Every answer says how it was computed (``method``). Where the workspace has a deployed
learned stockout model (:mod:`forecasting.inventory.stockout_learning`), the two
probabilities are that model's instead, and each risk says so (``probability_source``
``model`` with the version, else ``forecast_distribution``); days of cover and lost sales
stay those of the demand distribution.

The early warning (:func:`stockout_alerts_raise`, run hourly by beat) opens one alert per
*episode*: a pair whose lead-time risk reaches ``INVENTORY_STOCKOUT_ALERT_PROBABILITY``
gets an alert, and no other while the episode lasts, acknowledged or not; when its risk
falls below half of that (hysteresis, so a risk hovering at the threshold does not
flap), the episode ends — the alert is marked resolved (and acknowledged, if nobody did)
— and a later rise opens a new one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from finance.models import Product, Warehouse, Workspace
from forecasting.inventory.demand import PairDemand
from forecasting.inventory.selectors import ReorderPoint, reorder_points_with_forecasts
from forecasting.inventory.stockout_learning import (
    DISTRIBUTION_SOURCE,
    MODEL_SOURCE,
    PairNow,
    StockoutModelAnswer,
    stockout_model_predict,
)
from forecasting.monitoring.alerts import alert_raise
from forecasting.monitoring.models import Alert
from forecasting.registry.models import ModelVersion
from forecasting.series.targets import Target
from forecasting.serving.forecasts import WindowForecast, risk_level

#: How every probability of this module is computed without a learned stockout model.
METHOD = DISTRIBUTION_SOURCE
METHOD_NOTE = ("From the demand forecast's distribution (normal over the window); a learned stockout model "
               "needs a history of stockouts the books do not record yet.")
#: Where the probabilities come from when the workspace's learned stockout model answers.
MODEL = MODEL_SOURCE
MODEL_NOTE = ("Probabilities from the workspace's learned stockout model ({label} v{version}, calibrated; backtest "
              "Brier score {brier:.3f} against {distribution:.3f} for the forecast distribution); days of cover and "
              "lost sales from the demand forecast's distribution (normal over the window).")


@dataclass(frozen=True)
class StockoutRisk:
    """The stockout risk of one product at one warehouse."""

    product: Product
    warehouse: Warehouse
    on_hand: int
    daily_demand: float
    demand_std: float
    demand_source: str
    lead_time_days: float
    lead_time_source: str  # where the lead time comes from: a LeadTime source (measured, typed or default)
    horizon_days: int
    probability_lead_time: float
    probability_horizon: float
    days_until_stockout: float | None  # None: no demand expected
    lost_units: float  # expected within the lead time
    currency: str
    probability_source: str = METHOD  # or MODEL: the learned stockout model's
    model_version: ModelVersion | None = None  # the stockout model that answered

    @property
    def target(self) -> str:
        return Target("inventory", product_id=self.product.pk, warehouse_id=self.warehouse.pk).key

    @property
    def lost_sales(self) -> Decimal:
        return (Decimal(str(round(self.lost_units, 2))) * self.product.unit_price).quantize(Decimal("0.01"))

    @property
    def severity(self) -> str:
        """``high``, ``medium`` or ``low``: the lead-time risk's level, raised to high when the
        stock runs out before an order placed today can arrive."""
        level = risk_level(self.probability_lead_time)
        if self.days_until_stockout is not None and self.days_until_stockout < self.lead_time_days and level != "low":
            return "high"
        return level


def _window(demand: PairDemand, days: float) -> WindowForecast:
    days = max(1, math.ceil(days))
    return WindowForecast(demand.daily * days, demand.spread * math.sqrt(days))


def expected_shortfall(window: WindowForecast, stock: float) -> float:
    """``E[max(D − stock, 0)]`` for a normal demand ``D`` (the sales a stock of ``stock``
    cannot serve, on average)."""
    if window.sigma <= 0:
        return max(window.mean - stock, 0.0)
    z = (stock - window.mean) / window.sigma
    density = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    tail = 0.5 * math.erfc(z / math.sqrt(2))
    return max(window.sigma * density - (stock - window.mean) * tail, 0.0)


def stockout_risk_of(*, point: ReorderPoint, demand: PairDemand, horizon_days: int, currency: str) -> StockoutRisk:
    lead = _window(demand, point.lead_time_days)
    stock = float(point.on_hand)
    return StockoutRisk(
        product=point.product, warehouse=point.warehouse, on_hand=point.on_hand, daily_demand=demand.daily,
        demand_std=demand.spread, demand_source=demand.source, lead_time_days=point.lead_time_days,
        lead_time_source=point.lead_time_source, horizon_days=horizon_days, probability_lead_time=lead.exceed_probability(stock),
        probability_horizon=_window(demand, horizon_days).exceed_probability(stock),
        days_until_stockout=round(stock / demand.daily, 1) if demand.daily > 0 else None,
        lost_units=expected_shortfall(lead, stock), currency=currency,
    )


def stockout_risks(
    *,
    workspace: Workspace,
    horizon_days: int = 30,
    product_ids: Collection[int] | None = None,
    warehouse_ids: Collection[int] | None = None,
    today: dt.date | None = None,
    log: bool = False,
    user: AbstractBaseUser | None = None,
) -> list[StockoutRisk]:
    """The risk of every active product at every warehouse that stocks or sold it (those of
    ``product_ids`` / ``warehouse_ids`` when given), riskiest first. ``log``: record the
    demand forecasts read in the prediction log (an API answer; not the scheduled task)."""
    found = reorder_points_with_forecasts(workspace=workspace, today=today, log=log, user=user,
                                          product_ids=product_ids, warehouse_ids=warehouse_ids)
    risks = [
        stockout_risk_of(point=point, demand=found.demand[(point.product.pk, point.warehouse.pk)],
                         horizon_days=horizon_days, currency=workspace.currency)
        for point in found.points
    ]
    learned = stockout_model_predict(
        workspace=workspace, horizon_days=horizon_days, today=today, log=log, user=user, performance=found.suppliers,
        asks=[PairNow((r.product.pk, r.warehouse.pk), r.on_hand, r.lead_time_days) for r in risks])
    risks = stockout_risks_learned(risks, learned) if learned is not None else risks
    return sorted(risks, key=lambda r: (-r.probability_lead_time, -r.probability_horizon, r.product.sku,
                                        r.warehouse.code))


def stockout_risks_learned(risks: list[StockoutRisk], learned: StockoutModelAnswer) -> list[StockoutRisk]:
    """``risks`` with the learned model's probabilities, labelled with its version."""
    return [
        dataclasses.replace(risk, probability_lead_time=answer.lead_time, probability_horizon=answer.horizon,
                            probability_source=MODEL, model_version=learned.version)
        if (answer := learned.risks.get((risk.product.pk, risk.warehouse.pk))) is not None else risk
        for risk in risks
    ]


def stockout_alerts_open(*, workspace: Workspace, limit: int = 20) -> list[Alert]:
    """The workspace's stockout alerts nobody acknowledged, newest first (one query)."""
    return list(Alert.objects.filter(workspace=workspace, kind=Alert.Kind.STOCKOUT, acknowledged_at__isnull=True)
                .order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class EarlyWarning:
    raised: list[Alert]
    resolved: list[Alert]


def _open_episodes(workspace: Workspace) -> dict[str, Alert]:
    """The newest stockout alert of each target whose episode has not ended."""
    episodes: dict[str, Alert] = {}
    for alert in Alert.objects.filter(workspace=workspace, kind=Alert.Kind.STOCKOUT).order_by("-created_at", "-id"):
        if alert.target not in episodes and not alert.data.get("resolved_at"):
            episodes[alert.target] = alert
    return episodes


def _message(risk: StockoutRisk) -> str:
    days = (f"stock lasts about {risk.days_until_stockout:g} days" if risk.days_until_stockout is not None
            else "no demand expected")
    return (f"{risk.product.name} at {risk.warehouse.name}: {risk.probability_lead_time:.0%} chance of running out "
            f"within the {risk.lead_time_days:g}-day lead time ({risk.on_hand} on hand, {days}; expected lost "
            f"sales {risk.lost_sales:,} {risk.currency}). Order now.")


def stockout_alerts_raise(*, workspace: Workspace, today: dt.date | None = None) -> EarlyWarning:
    """Open an alert for each pair entering a stockout episode; end the episodes whose risk
    has fallen below half the threshold. Idempotent within an episode."""
    threshold = settings.INVENTORY_STOCKOUT_ALERT_PROBABILITY
    risks = {risk.target: risk for risk in stockout_risks(workspace=workspace, today=today)}
    raised, resolved = [], []
    with transaction.atomic():
        episodes = _open_episodes(workspace)
        now = timezone.now()
        for target, risk in risks.items():
            if risk.probability_lead_time >= threshold and target not in episodes:
                raised.append(alert_raise(
                    workspace=workspace, kind=Alert.Kind.STOCKOUT, target=target, message=_message(risk),
                    severity=Alert.Severity.CRITICAL if risk.severity == "high" else Alert.Severity.WARNING,
                    dedupe=False, data={
                        "method": METHOD, "probability_source": risk.probability_source,
                        "model_version": risk.model_version.version if risk.model_version else None,
                        "probability_lead_time": round(risk.probability_lead_time, 4),
                        "days_until_stockout": risk.days_until_stockout, "on_hand": risk.on_hand,
                        "lost_sales": str(risk.lost_sales), "currency": risk.currency,
                    },
                ))
        for target, alert in episodes.items():
            risk = risks.get(target)
            if risk is None or risk.probability_lead_time < threshold / 2:
                alert.data = alert.data | {"resolved_at": now.isoformat()}
                fields = ["data"]
                if alert.acknowledged_at is None:
                    alert.acknowledged_at, fields = now, [*fields, "acknowledged_at"]
                alert.save(update_fields=fields)
                resolved.append(alert)
    return EarlyWarning(raised=raised, resolved=resolved)


def stockout_alerts_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """The early warning over every workspace that has products."""
    raised = resolved = 0
    for workspace in Workspace.objects.filter(products__isnull=False).distinct().order_by("pk"):
        warning = stockout_alerts_raise(workspace=workspace, today=today)
        raised, resolved = raised + len(warning.raised), resolved + len(warning.resolved)
    return {"raised": raised, "resolved": resolved}
