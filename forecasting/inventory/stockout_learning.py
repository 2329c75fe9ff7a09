"""The learned stockout model of a workspace: its history read from the books, when it can
be trained, its training (a classifier version of the registry, target ``stockout``,
trained, deployed and retrained through the classifiers' job lifecycle), and its answers.

The history (:func:`stockout_history_read`) is every active product × warehouse that sold
in the last ``INVENTORY_STOCKOUT_MODEL_HISTORY_DAYS`` days, from its first sale: the
units sold each day, the purchase orders with their receipts, and the stock at the end of
each day — replayed from today's stock, the sales and the receipts where the books allow,
simulated from the sales with a documented reorder policy otherwise
(:mod:`forecasting.inventory.stockout_history`). The lead time of a simulated pair is the
one the stock policy uses today (:func:`finance.purchasing.selectors.product_lead_time`:
measured from the receipts, else typed).

A workspace trains its model once that history holds ``INVENTORY_STOCKOUT_MODEL_MIN_EVENTS``
stockouts (and its time split has both outcomes in every part); before that, and whenever
no model is deployed, the stockout risk comes from the demand forecast's distribution, and
every answer says which (``probability_source``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import time
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, Sum
from django.utils import timezone

from finance.models import Product, Sale, StockLevel, Warehouse, Workspace
from finance.purchasing.models import PurchaseOrder
from finance.purchasing.selectors import (
    SupplierPerformance,
    product_lead_time,
    supplier_performance,
)
from forecasting.classifiers.loading import ColdStart
from forecasting.classifiers.selectors import Readiness
from forecasting.classifiers.training import ClassifierFit
from forecasting.inventory.demand import Demand
from forecasting.inventory.stockout_history import (
    REPLAYED,
    SIMULATED,
    WARMUP_DAYS,
    WINDOWS,
    Order,
    PairHistory,
    SupplierTable,
    SupplierTerms,
    features_many,
    samples_build,
    stock_replay,
    stock_simulate,
)
from forecasting.inventory.stockout_model import (
    ALGORITHM,
    NotEnoughHistory,
    stockout_backtest,
    stockout_model_fit,
)
from forecasting.registry.models import ModelVersion
from forecasting.serving.deployed import ModelUnavailable, served_model_load, serving_route
from forecasting.serving.forecasts import DEMAND_DAYS
from forecasting.serving.predictions import PredictionEntry, prediction_log

logger = logging.getLogger(__name__)

STOCKOUT = "stockout"
#: Where a stockout probability comes from: the learned model, or the demand forecast's distribution.
MODEL_SOURCE, DISTRIBUTION_SOURCE = "model", "forecast_distribution"
Pair = tuple[int, int]
#: Shortest sales history (days) a pair is sampled from: the warm-up and one window.
MIN_PAIR_DAYS = WARMUP_DAYS + min(WINDOWS) + 1
#: Days of the books an answer reads (demand windows, recent stockouts, orders on the way).
SERVING_HISTORY_DAYS = 120


@dataclass(frozen=True)
class StockoutHistory:
    """The pairs' histories and what they hold."""

    histories: list[PairHistory]
    start: dt.date | None
    end: dt.date

    @property
    def events(self) -> int:
        return sum(h.episodes for h in self.histories)

    def count(self, source: str) -> int:
        return sum(1 for h in self.histories if h.source == source)

    @property
    def summary(self) -> dict[str, Any]:
        return {"pairs": len(self.histories), "replayed": self.count(REPLAYED), "simulated": self.count(SIMULATED),
                "stockouts": self.events}


def _daily_sales(workspace: Workspace, product_ids: list[int], start: dt.date, today: dt.date) -> dict[Pair, dict]:
    rows = (Sale.objects.filter(workspace=workspace, product_id__in=product_ids, date__gte=start, date__lte=today)
            .order_by().values("product_id", "warehouse_id", "date").annotate(units=Sum("quantity")))
    sold: dict[Pair, dict[dt.date, float]] = defaultdict(dict)
    for row in rows:
        sold[(row["product_id"], row["warehouse_id"])][row["date"]] = float(row["units"])
    return sold


@dataclass(frozen=True)
class _Orders:
    """The orders read, each once, its days counted from ``origin``; by pair and by
    supplier, and the units each pair received each day."""

    origin: dt.date
    by_pair: dict[Pair, list[Order]]
    by_supplier: dict[int, list[Order]]
    received: dict[Pair, dict[dt.date, int]]
    tables: dict[int, SupplierTable] = field(default_factory=dict)

    def table(self, supplier_id: int) -> SupplierTable:
        """The supplier's orders as arrays, computed once for all its pairs."""
        if supplier_id not in self.tables:
            self.tables[supplier_id] = SupplierTable.of(self.by_supplier.get(supplier_id, []))
        return self.tables[supplier_id]


def _orders(workspace: Workspace, products: list[Product], since: dt.date) -> _Orders:
    """The orders placed since ``since`` of the products' suppliers (and of the products),
    with their receipts. One query."""
    supplier_ids = {p.supplier_id for p in products} - {None}
    rows = (PurchaseOrder.objects.filter(workspace=workspace, ordered_on__gte=since)
            .filter(Q(supplier_id__in=supplier_ids) | Q(product_id__in=[p.pk for p in products]))
            .order_by("pk").values_list("pk", "supplier_id", "product_id", "warehouse_id", "ordered_on", "expected_on",
                                        "status", "quantity_ordered", "last_received_on", "receipts__received_on",
                                        "receipts__quantity"))
    found: dict[int, tuple] = {}
    receipts: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for pk, *fields, received_on, units in rows:
        found.setdefault(pk, tuple(fields))
        if received_on is not None:
            receipts[pk].append((received_on, units))
    orders = _Orders(origin=since, by_pair=defaultdict(list), by_supplier=defaultdict(list),
                     received=defaultdict(lambda: defaultdict(int)))
    for pk, (supplier, product, warehouse, ordered, expected, status, quantity, last) in found.items():
        closed = {PurchaseOrder.Status.RECEIVED: last,
                  PurchaseOrder.Status.CANCELLED: last or ordered}.get(status)
        order = Order(ordered=(ordered - since).days, expected=(expected - since).days, quantity=quantity,
                      receipts=tuple(((day - since).days, units) for day, units in sorted(receipts[pk])),
                      closed=(closed - since).days if closed is not None else None)
        orders.by_pair[(product, warehouse)].append(order)
        orders.by_supplier[supplier].append(order)
        for day, units in receipts[pk]:
            orders.received[(product, warehouse)][day] += units
    return orders


def _seed(product: Product, warehouse_code: str) -> np.random.Generator:
    """The simulation's randomness of one pair: the same for the same SKU and warehouse code
    (whatever the rows' ids), so the same books give the same history."""
    return np.random.default_rng(zlib.crc32(f"{product.sku}@{warehouse_code}".encode()))


def _pair_history(*, pair: Pair, product: Product, warehouse_code: str, first: dt.date, today: dt.date,
                  sold: dict[dt.date, float], on_hand: int, orders: _Orders, terms: SupplierTerms,
                  fill_rate: float, serving: bool = False) -> PairHistory:
    """One pair's days ``first`` … ``today`` (today's sales and receipts only move the stock
    back to yesterday's end; the day is dropped). A simulated pair learns from its simulated
    orders; it is answered (``serving``) with the books' orders on their way."""
    n = (today - first).days + 1
    demand, received = np.zeros(n), np.zeros(n)
    for day, units in sold.items():
        demand[(day - first).days] += units
    for day, units in orders.received.get(pair, {}).items():
        if first <= day <= today:
            received[(day - first).days] += units
    stock = stock_replay(demand, received, float(on_hand)) if received.any() else None
    mine = orders.by_pair.get(pair, [])
    supplier = orders.by_supplier.get(product.supplier_id, []) if product.supplier_id else mine
    history = PairHistory(key=pair, demand=demand[:-1], stock=np.zeros(0), orders=mine, supplier_orders=supplier,
                          terms=terms, source=REPLAYED, min_receipts=settings.INVENTORY_LEAD_TIME_MIN_RECEIPTS,
                          origin=(first - orders.origin).days,
                          supplier=orders.table(product.supplier_id) if product.supplier_id else None)
    if stock is not None:
        history.stock = stock[:-1]
        return history
    history.stock, simulated = stock_simulate(history.demand, terms, fill_rate=fill_rate,
                                              rng=_seed(product, warehouse_code))
    if not serving:
        history.orders = history.supplier_orders = simulated
        history.origin, history.supplier = 0, None
    history.source = SIMULATED
    return history


def stockout_history_read(*, workspace: Workspace, today: dt.date | None = None, history_days: int | None = None,
                          pairs: set[Pair] | None = None, min_days: int = MIN_PAIR_DAYS,
                          serving: bool = False,
                          performance: Mapping[int, SupplierPerformance] | None = None) -> StockoutHistory:
    """The histories of the workspace's active products × warehouses with at least
    ``min_days`` days since their first sale in the window (those of ``pairs`` when given).
    Queries: products, stock, daily sales, orders with receipts, warehouses, and the
    suppliers' performance unless given (:func:`~finance.purchasing.selectors.supplier_performance`)."""
    today = today or timezone.localdate()
    history_days = history_days or settings.INVENTORY_STOCKOUT_MODEL_HISTORY_DAYS
    start = today - dt.timedelta(days=history_days)
    products = {p.pk: p for p in Product.objects.filter(workspace=workspace, is_active=True).select_related("supplier")}
    if pairs is not None:
        products = {pk: p for pk, p in products.items() if pk in {pair[0] for pair in pairs}}
    if not products:
        return StockoutHistory(histories=[], start=None, end=today)
    sold = _daily_sales(workspace, list(products), start, today)
    on_hand = {(p, w): q for p, w, q in StockLevel.objects.filter(workspace=workspace, product_id__in=list(products))
               .values_list("product_id", "warehouse_id", "quantity")}
    orders = _orders(workspace, list(products.values()), start - dt.timedelta(days=120))
    codes = dict(Warehouse.objects.filter(workspace=workspace).values_list("pk", "code"))
    if performance is None:
        performance = supplier_performance(workspace=workspace, today=today,
                                           supplier_ids={p.supplier_id for p in products.values()} - {None})
    histories = []
    for pair in sorted(sold):
        if pair[0] not in products or (pairs is not None and pair not in pairs):
            continue
        first = min(sold[pair])
        if (today - first).days < min_days:
            continue
        product = products[pair[0]]
        lead = product_lead_time(product=product, performance=performance)
        measured = performance.get(product.supplier_id) if product.supplier_id else None
        terms = SupplierTerms(lead_time_mean=lead.mean_days, lead_time_std=lead.std_days,
                              min_order_quantity=product.supplier.min_order_quantity if product.supplier else 1)
        histories.append(_pair_history(
            pair=pair, product=product, warehouse_code=codes.get(pair[1], ""), first=first, today=today,
            sold=sold[pair],
            on_hand=on_hand.get(pair, 0), orders=orders, terms=terms, serving=serving,
            fill_rate=measured.fill_rate if measured is not None and measured.fill_rate is not None else 1.0))
    starts = [today - dt.timedelta(days=h.n_days) for h in histories]
    return StockoutHistory(histories=histories, start=min(starts) if starts else None, end=today)


# --- readiness and training ----------------------------------------------------------------------


def _readiness_of(history: StockoutHistory) -> Readiness:
    needed = settings.INVENTORY_STOCKOUT_MODEL_MIN_EVENTS
    if not history.histories:
        return Readiness(False, f"Cold start: no active product has {MIN_PAIR_DAYS} days of sales yet.", 0)
    events = history.events
    where = (f"{history.count(REPLAYED)} product × warehouse stock histories replayed from the books, "
             f"{history.count(SIMULATED)} simulated from their sales")
    if events < needed:
        return Readiness(False, f"Cold start: {events} of {needed} stockouts in the stock history ({where}).", events)
    return Readiness(True, f"Never trained; {events} stockouts in the stock history ({where}).", events)


def stockout_readiness(*, workspace_id: int, today: dt.date | None = None) -> Readiness:
    """Whether the workspace's stock history holds enough stockouts to train on, and why not."""
    workspace = Workspace.objects.get(pk=workspace_id)
    return _readiness_of(stockout_history_read(workspace=workspace, today=today))


def _data_hash(history: StockoutHistory) -> str:
    digest = hashlib.sha256()
    for h in history.histories:
        digest.update(f"{h.key}:{h.source}:".encode())
        digest.update(np.ascontiguousarray(h.demand, dtype=float).tobytes())
        digest.update(np.ascontiguousarray(h.stock, dtype=float).tobytes())
    return digest.hexdigest()


def stockout_train(*, workspace: Workspace, today: dt.date | None = None) -> ClassifierFit:
    """Fit the workspace's stockout classifier on its stock history (see the module's
    docstring), judged on the time split of :func:`stockout_backtest`.
    :class:`ColdStart` with the reason when the history cannot train one."""
    started = time.perf_counter()
    history = stockout_history_read(workspace=workspace, today=today)
    readiness = _readiness_of(history)
    if not readiness.ready:
        raise ColdStart(readiness.reason)
    samples = samples_build(history.histories)
    try:
        backtest = stockout_backtest(samples)
        model = stockout_model_fit(samples)
    except NotEnoughHistory as exc:
        raise ColdStart(f"{exc} ({history.events} stockouts in the stock history).") from None
    return ClassifierFit(
        target=STOCKOUT, model=model, metrics=backtest.metrics,
        params={**model.get_params(), "calibration": model.calibration_, "windows": list(WINDOWS),
                "history_days": settings.INVENTORY_STOCKOUT_MODEL_HISTORY_DAYS},
        n_observations=len(samples), training_start=history.start, training_end=history.end - dt.timedelta(days=1),
        data_hash=_data_hash(history), fit_seconds=round(time.perf_counter() - started, 3),
        summary={"stock_history": history.summary, "feature_importances": model.feature_importances_,
                 "reliability_forecast_distribution": backtest.reliability_distribution},
        reliability=backtest.reliability,
    )


def stockout_deploy_decision(fit: ClassifierFit, champion: ModelVersion | None) -> tuple[bool, str]:
    """Deploy a new stockout model when its backtest Brier score beats both the constant base
    rate and the forecast distribution (what answers without it) on the same test days;
    otherwise it stays a candidate and what served goes on serving."""
    metrics = fit.metrics
    brier = metrics["brier"]
    rivals = {"the base rate": metrics["brier_base_rate"],
              "the forecast distribution": metrics["brier_forecast_distribution"]}
    lost = [f"{name} ({value:.4f})" for name, value in rivals.items() if brier >= value]
    if lost:
        return False, (f"Backtest Brier score {brier:.4f} does not beat {' or '.join(lost)}; the new version stays a "
                       "candidate.")
    beaten = " and ".join(f"{name} ({value:.4f})" for name, value in rivals.items())
    replaced = f"; it replaces v{champion.version}" if champion is not None else "; it is deployed"
    return True, f"Backtest Brier score {brier:.4f} beats {beaten}{replaced}."


def stockout_classifier_register() -> None:
    """Train ``stockout`` through the classifiers' lifecycle (called once at start-up)."""
    from forecasting.classifiers.training import classifier_register
    from forecasting.registry.models import ModelKind

    classifier_register(target=STOCKOUT, kind=ModelKind.STOCKOUT, algorithm=ALGORITHM,
                        label="Calibrated XGBoost (stockout)", trainer=stockout_train, readiness=stockout_readiness,
                        decide=stockout_deploy_decision)


# --- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRisk:
    """The model's chance of running out within the lead time and within the horizon."""

    lead_time: float
    horizon: float


@dataclass(frozen=True)
class StockoutModelAnswer:
    """The deployed stockout model's answer for some pairs."""

    version: ModelVersion
    risks: dict[Pair, ModelRisk]


@dataclass(frozen=True)
class PairNow:
    """What the model is asked about one pair: its stock now and its lead time (days)."""

    pair: Pair
    on_hand: int
    lead_time_days: float


def _history_now(found: PairHistory | None, ask: PairNow) -> PairHistory:
    if found is not None:
        return found
    return PairHistory(key=ask.pair, demand=np.zeros(1), stock=np.array([float(ask.on_hand)]), orders=[],
                       supplier_orders=[], terms=SupplierTerms(lead_time_mean=ask.lead_time_days), source=REPLAYED)


def stockout_model_predict(
    *, workspace: Workspace, asks: Sequence[PairNow], horizon_days: int, today: dt.date | None = None,
    log: bool = False, user: AbstractBaseUser | AnonymousUser | None = None,
    performance: Mapping[int, SupplierPerformance] | None = None,
) -> StockoutModelAnswer | None:
    """The deployed stockout model's risks of ``asks`` (``None``: no model serves, or its
    artifact and every earlier one failed their integrity check). Features from the last
    :data:`SERVING_HISTORY_DAYS` days of the books and the open orders (``performance``: the
    suppliers', when already read); ``log``: one entry in the prediction log."""
    route = serving_route(workspace_id=workspace.pk, target=STOCKOUT, frequency="")
    if route is None or not asks:
        return None
    try:
        version, model = served_model_load(version=route.version)
    except ModelUnavailable as exc:
        logger.error("Stockout model of workspace %s not loaded: %s", workspace.pk, exc)
        return None
    today = today or timezone.localdate()
    history = stockout_history_read(workspace=workspace, today=today, history_days=SERVING_HISTORY_DAYS,
                                    pairs={a.pair for a in asks}, min_days=1, serving=True, performance=performance)
    by_pair = {h.key: h for h in history.histories}
    parts = []
    for ask in asks:
        pair_history = _history_now(by_pair.get(ask.pair), ask)
        last = pair_history.n_days - 1
        parts.append((pair_history, np.array([last, last]), np.array([max(ask.lead_time_days, 1.0),
                                                                     float(horizon_days)]),
                      np.array([ask.on_hand, ask.on_hand], dtype=float)))
    p = model.predict_proba(features_many(parts))
    risks = {ask.pair: ModelRisk(float(p[2 * i]), float(p[2 * i + 1])) for i, ask in enumerate(asks)}
    if log:
        prediction_log(workspace=workspace, user=user, entries=[PredictionEntry(
            model_version_id=version.pk, target=STOCKOUT, request={"horizon_days": horizon_days, "today": str(today)},
            output={f"{p}:{w}": [round(r.lead_time, 4), round(r.horizon, 4)] for (p, w), r in risks.items()},
        )])
    return StockoutModelAnswer(version=version, risks=risks)


def product_demand_learned(*, workspace: Workspace, demand: dict[int, Demand], points: Sequence[Any],
                           today: dt.date, performance: Mapping[int, SupplierPerformance] | None = None,
                           ) -> dict[int, Demand]:
    """The inventory page's product demand (``points``: its reorder points) with the chance of
    a stockout within the lead time from the deployed stockout model when one serves — a
    product's is that of its riskiest warehouse — labelled; unchanged without one."""
    asks = [PairNow((p.product.pk, p.warehouse.pk), p.on_hand, p.lead_time_days) for p in points
            if p.product.pk in demand]
    answer = stockout_model_predict(workspace=workspace, asks=asks, horizon_days=DEMAND_DAYS, today=today,
                                    performance=performance)
    if answer is None:
        return demand
    riskiest: dict[int, float] = {}
    for (product_id, _), risk in answer.risks.items():
        riskiest[product_id] = max(riskiest.get(product_id, 0.0), risk.lead_time)
    return {
        pk: dataclasses.replace(shown, stockout_probability=riskiest[pk], stockout_source=MODEL_SOURCE,
                                stockout_model=answer.version) if pk in riskiest else shown
        for pk, shown in demand.items()
    }
