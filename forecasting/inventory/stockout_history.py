"""The stock history a stockout classifier learns from, and the features it reads.

Per product × warehouse (a *pair*), day by day over a window of the books:

* **demand**: the units sold each day (the books' sales; a day without sales is 0);
* **stock**: the units left at the end of each day. *Replayed* from the books when they
  allow it — today's stock plus what was sold after a day, less what was received after
  it (:func:`stock_replay`) — and *simulated* otherwise (:func:`stock_simulate`), when the
  books hold no receipts of the pair or the replay goes below zero (receipts missing);
* **orders**: what was on order (ordered, expected, received), for the pipeline features,
  and the supplier's orders, for its lead time and reliability as they were known on each
  day (the rule of :mod:`finance.purchasing.selectors`: measured from
  ``min_receipts`` receipts on, the typed lead time before).

A sample is a pair on one day ``t`` and a window of ``W`` days; its label says whether the
stock hit 0 on a day of ``(t, t + W]``. The features are what was known at the end of
``t`` (:data:`FEATURES`). No Django here: the selectors of
:mod:`forecasting.inventory.stockout_learning` read the books into these structures, and
the benchmark builds them from the demo generator.

The simulation's reorder policy (documented, with noise so that it runs out now and then,
as a small business does): a continuous review of the stock position (on hand + on order)
each day against a reorder point ``μ₂₈ · L + z · σ₂₈ · √L`` (the last 28 days' demand,
the typed lead time ``L``, a service level drawn once per pair in [0.5, 0.98]); an order
covers a cycle of 7, 14 or 28 days (drawn once per pair) of the recent rate × a
log-normal noise (σ 0.25), rounded up to the supplier's minimum order; it arrives after
a lead time drawn from N(L, σ_L) (at least a day), short by 10–50 % with the chance the
supplier's fill rate leaves. Demand the shelf cannot serve is lost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import ndtr

#: Windows (days) every pair is labelled for, beside its own lead time.
WINDOWS = (7, 14, 30, 60)
#: Days of history before the first sample (the demand features need them).
WARMUP_DAYS = 28
#: Days an open order still counts as on its way after its expected date.
STALE_ORDER_DAYS = 28
#: Days back the recent stockouts are counted over.
STOCKOUT_LOOKBACK_DAYS = 90
#: Cap of the ratio features (days of cover, cover of the window) when demand is ~0.
RATIO_CAP = 365.0

FEATURES = (
    "window_days", "on_hand", "demand_mean_7", "demand_mean_28", "demand_mean_90", "demand_std_28",
    "demand_std_90", "zero_share_28", "cover_days", "cover_ratio", "stock_z", "on_order", "on_order_due",
    "position_ratio", "lead_time_mean", "lead_time_std", "lead_time_measured", "lead_over_window", "on_time_rate",
    "fill_rate", "recent_stockouts", "days_since_stockout", "position_z", "distribution_probability",
)
#: +1: more of it, more risk; -1: less. XGBoost keeps the fit monotone in these.
MONOTONE = {"window_days": 1, "on_hand": -1, "cover_ratio": -1, "stock_z": -1, "position_ratio": -1,
            "lead_over_window": 1, "position_z": -1, "distribution_probability": 1}

REPLAYED, SIMULATED = "replayed", "simulated"


@dataclass(frozen=True)
class Order:
    """One purchase order, its days counted from an origin (the history's first day, or
    ``origin`` days before it: see :class:`PairHistory`)."""

    ordered: int
    expected: int
    quantity: int
    receipts: tuple[tuple[int, int], ...] = ()  # (day, units)
    closed: int | None = None  # the day it stopped being on its way (fully received, cancelled)


@dataclass(frozen=True)
class SupplierTerms:
    """What is typed about the pair's supplier (the default lead time without one)."""

    lead_time_mean: float
    lead_time_std: float = 0.0
    min_order_quantity: int = 1


@dataclass
class PairHistory:
    """One pair's days: demand, end-of-day stock, its orders and its supplier's (their day
    ``t + origin`` is the history's day ``t``: the orders of a workspace are counted once
    from a common origin)."""

    key: tuple[int, int]
    demand: np.ndarray
    stock: np.ndarray
    orders: list[Order]
    supplier_orders: list[Order]
    terms: SupplierTerms
    source: str  # REPLAYED or SIMULATED
    min_receipts: int = 3
    origin: int = 0
    supplier: SupplierTable | None = None  # of ``supplier_orders``, when shared by several pairs
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_days(self) -> int:
        return len(self.demand)

    @property
    def stockout_days(self) -> np.ndarray:
        return self.stock <= 0

    @property
    def episodes(self) -> int:
        """Stockouts that began inside the history (days the stock hit 0 after a day above it)."""
        out = self.stockout_days
        return int(np.sum(out[1:] & ~out[:-1]))


@dataclass(frozen=True)
class SupplierTable:
    """A supplier's orders as arrays (days in the orders' own count): its receipts sorted by
    day (day, lead time, on time), the units ordered by the day each order fell due (the day
    after its expected date) and the units received counted from that day on."""

    receipts: np.ndarray  # (k, 3)
    due: np.ndarray  # (m, 2): day due, units ordered
    got: np.ndarray  # (r, 2): day counted, units received

    @classmethod
    def of(cls, orders: Sequence[Order]) -> SupplierTable:
        receipts = sorted((day, day - o.ordered, day <= o.expected) for o in orders for day, _ in o.receipts)
        due = [(o.expected + 1, o.quantity) for o in orders]
        got = [(max(day, o.expected + 1), units) for o in orders for day, units in o.receipts]
        return cls(np.array(receipts, dtype=float).reshape(-1, 3), np.array(due, dtype=float).reshape(-1, 2),
                   np.array(got, dtype=float).reshape(-1, 2))


# --- the stock path ------------------------------------------------------------------------------


def stock_replay(demand: np.ndarray, received: np.ndarray, on_hand_end: float) -> np.ndarray | None:
    """End-of-day stock from the last day's stock backwards: ``s[t] = s[t+1] + sold[t+1] −
    received[t+1]``. ``None`` when it goes below zero (the books miss receipts)."""
    after = np.concatenate([np.cumsum((demand - received)[::-1])[::-1][1:], [0.0]])
    stock = on_hand_end + after
    if len(stock) and stock.min() < 0:
        return None
    return stock


@dataclass(frozen=True)
class ReorderPolicy:
    """The simulated business's ordering habits (see the module's docstring)."""

    service_levels: tuple[float, float] = (0.5, 0.98)
    cycles: tuple[int, ...] = (7, 14, 28)
    order_noise: float = 0.25
    short_range: tuple[float, float] = (0.5, 0.9)


def _trailing(values: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample std of ``values[max(0, t−days+1) … t]`` for every ``t``."""
    csum = np.concatenate([[0.0], np.cumsum(values)])
    csq = np.concatenate([[0.0], np.cumsum(values * values)])
    idx = np.arange(len(values))
    lo = np.maximum(idx - days + 1, 0)
    count = (idx - lo + 1).astype(float)
    total, squares = csum[idx + 1] - csum[lo], csq[idx + 1] - csq[lo]
    mean = total / count
    var = np.where(count > 1, (squares - count * mean * mean) / np.maximum(count - 1, 1), 0.0)
    return mean, np.sqrt(np.maximum(var, 0.0))


def stock_simulate(demand: np.ndarray, terms: SupplierTerms, *, fill_rate: float, rng: np.random.Generator,
                   policy: ReorderPolicy | None = None) -> tuple[np.ndarray, list[Order]]:
    """End-of-day stock and the orders of :class:`ReorderPolicy` serving ``demand``."""
    policy = policy or ReorderPolicy()
    z = _normal_quantile(rng.uniform(*policy.service_levels))
    cycle = int(rng.choice(policy.cycles))
    lead, lead_std = max(terms.lead_time_mean, 1.0), max(terms.lead_time_std, 0.0)
    moq = max(terms.min_order_quantity, 1)
    mean, std = _trailing(demand.astype(float), 28)
    n = len(demand)
    stock = np.zeros(n)
    arrivals: dict[int, int] = {}
    pending: list[tuple[int, int]] = []  # (arrival day, units)
    orders: list[Order] = []
    on_hand = float(math.ceil(mean[min(n - 1, WARMUP_DAYS)] * (lead + cycle))) if n else 0.0
    for t in range(n):
        on_hand += arrivals.pop(t, 0)
        pending = [(day, units) for day, units in pending if day > t]
        on_hand = max(on_hand - float(demand[t]), 0.0)
        stock[t] = on_hand
        if mean[t] <= 0 or on_hand + sum(u for _, u in pending) > mean[t] * lead + z * std[t] * math.sqrt(lead):
            continue
        quantity = int(math.ceil(mean[t] * cycle * rng.lognormal(0.0, policy.order_noise) / moq) * moq)
        arrive = t + max(1, int(round(rng.normal(lead, lead_std))))
        units = quantity if rng.random() < fill_rate else max(1, int(quantity * rng.uniform(*policy.short_range)))
        arrivals[arrive] = arrivals.get(arrive, 0) + units
        pending.append((arrive, units))
        orders.append(Order(ordered=t, expected=t + int(round(lead)), quantity=quantity,
                            receipts=((arrive, units),) if arrive < n else (), closed=arrive))
    return stock, orders


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


# --- what was known on each day -------------------------------------------------------------------


def _lead_timeline(history: PairHistory) -> dict[str, np.ndarray]:
    """Per day: the supplier's lead time (mean, std, measured or typed), on-time and fill rate
    from the receipts and due orders known by the end of that day."""
    if "lead" in history._cache:
        return history._cache["lead"]
    n, terms = history.n_days, history.terms
    table = history.supplier if history.supplier is not None else SupplierTable.of(history.supplier_orders)
    days, lead = table.receipts[:, 0] - history.origin, table.receipts[:, 1]
    count = np.searchsorted(days, np.arange(n), side="right")
    csum = np.concatenate([[0.0], np.cumsum(lead)])
    csq = np.concatenate([[0.0], np.cumsum(lead * lead)])
    ontime = np.concatenate([[0.0], np.cumsum(table.receipts[:, 2])])
    safe = np.maximum(count, 1)
    mean = csum[count] / safe
    var = np.where(count > 1, (csq[count] - safe * mean * mean) / np.maximum(count - 1, 1), 0.0)
    measured = count >= history.min_receipts
    timeline = {
        "lead_time_mean": np.where(measured, mean, terms.lead_time_mean),
        "lead_time_std": np.where(measured, np.sqrt(np.maximum(var, 0.0)), terms.lead_time_std),
        "lead_time_measured": measured.astype(float),
        "on_time_rate": np.where(count > 0, ontime[count] / safe, 1.0),
        "fill_rate": _fill_timeline(table, n, history.origin),
    }
    history._cache["lead"] = timeline
    return timeline


def _fill_timeline(table: SupplierTable, n: int, origin: int) -> np.ndarray:
    """Units received ÷ units ordered over the orders past their expected date on each day (1
    before any)."""

    def by_day(rows: np.ndarray) -> np.ndarray:
        day = np.maximum(rows[:, 0] - origin, 0).astype(int)
        inside = day < n
        return np.cumsum(np.bincount(day[inside], weights=rows[inside, 1], minlength=n))[:n]

    ordered, received = by_day(table.due), by_day(table.got)
    return np.where(ordered > 0, np.minimum(received / np.maximum(ordered, 1), 1.0), 1.0)


def _pipeline(orders: Sequence[Order], days: np.ndarray, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Units on order at the end of each of ``days``, and those of them expected within its window."""
    on_order, due = np.zeros(len(days)), np.zeros(len(days))
    for order in orders:
        end = order.closed if order.closed is not None else order.expected + STALE_ORDER_DAYS
        got = np.zeros(len(days))
        for day, units in order.receipts:
            got += np.where(days >= day, units, 0)
        outstanding = np.where((days >= order.ordered) & (days < end), np.maximum(order.quantity - got, 0), 0)
        on_order += outstanding
        due += np.where(order.expected <= days + windows, outstanding, 0)
    return on_order, due


def _demand_stats(history: PairHistory) -> dict[str, np.ndarray]:
    if "demand" not in history._cache:
        demand = history.demand.astype(float)
        mean7, _ = _trailing(demand, 7)
        mean28, std28 = _trailing(demand, 28)
        mean90, std90 = _trailing(demand, 90)
        zero28, _ = _trailing((demand <= 0).astype(float), 28)
        history._cache["demand"] = {"demand_mean_7": mean7, "demand_mean_28": mean28, "demand_std_28": std28,
                                    "demand_mean_90": mean90, "demand_std_90": std90, "zero_share_28": zero28}
    return history._cache["demand"]


def _stockout_stats(history: PairHistory) -> tuple[np.ndarray, np.ndarray]:
    """Per day: stockouts begun in the last :data:`STOCKOUT_LOOKBACK_DAYS` days, and days
    since the stock was last at 0 (capped)."""
    out = history.stockout_days
    began = np.concatenate([[bool(out[0])] if len(out) else [], out[1:] & ~out[:-1]]).astype(float)
    csum = np.concatenate([[0.0], np.cumsum(began)])
    idx = np.arange(len(out))
    recent = csum[idx + 1] - csum[np.maximum(idx + 1 - STOCKOUT_LOOKBACK_DAYS, 0)]
    last = np.maximum.accumulate(np.where(out, idx, -1)) if len(out) else np.array([], dtype=int)
    since = np.where(last >= 0, idx - last, RATIO_CAP)
    return recent, np.minimum(since, RATIO_CAP)


def features_at(history: PairHistory, days: np.ndarray, windows: np.ndarray,
                on_hand: np.ndarray | None = None) -> pd.DataFrame:
    """The :data:`FEATURES` of ``history`` at the end of each of ``days`` for the window of
    the same position (``on_hand``: the stock then, default the history's)."""
    return pd.DataFrame(_features(history, days, windows, on_hand), columns=list(FEATURES))


def features_many(parts: Sequence[tuple[PairHistory, np.ndarray, np.ndarray, np.ndarray | None]]) -> pd.DataFrame:
    """The rows of :func:`features_at` of several ``(history, days, windows, on_hand)`` in one frame."""
    if not parts:
        return pd.DataFrame(columns=list(FEATURES))
    columns = [_features(*part) for part in parts]
    return pd.DataFrame({name: np.concatenate([c[name] for c in columns]) for name in FEATURES},
                        columns=list(FEATURES))


def _features(history: PairHistory, days: np.ndarray, windows: np.ndarray,
              on_hand: np.ndarray | None = None) -> dict[str, np.ndarray]:
    days, windows = np.asarray(days, dtype=int), np.asarray(windows, dtype=float)
    stock = history.stock[days] if on_hand is None else np.asarray(on_hand, dtype=float)
    frame = {"window_days": windows, "on_hand": stock}
    frame |= {name: values[days] for name, values in _demand_stats(history).items()}
    frame |= {name: values[days] for name, values in _lead_timeline(history).items()}
    recent, since = _stockout_stats(history)
    frame["recent_stockouts"], frame["days_since_stockout"] = recent[days], since[days]
    frame["on_order"], frame["on_order_due"] = _pipeline(history.orders, days + history.origin, windows)
    rate, spread = frame["demand_mean_28"], frame["demand_std_90"]
    expected = rate * windows
    frame["cover_days"] = np.where(rate > 0, np.minimum(stock / np.maximum(rate, 1e-9), RATIO_CAP), RATIO_CAP)
    frame["cover_ratio"] = np.where(expected > 0, np.minimum(stock / np.maximum(expected, 1e-9), RATIO_CAP),
                                    RATIO_CAP)
    frame["position_ratio"] = np.where(
        expected > 0, np.minimum((stock + frame["on_order_due"]) / np.maximum(expected, 1e-9), RATIO_CAP), RATIO_CAP)
    sigma = spread * np.sqrt(windows)
    frame["stock_z"] = np.clip(np.where(sigma > 0, (stock - frame["demand_mean_90"] * windows)
                                        / np.maximum(sigma, 1e-9), np.sign(stock + 1e-9) * 10), -10, 10)
    frame["position_z"] = np.clip(np.where(sigma > 0, (stock + frame["on_order_due"] - frame["demand_mean_90"] * windows)
                                           / np.maximum(sigma, 1e-9), 10.0), -10, 10)
    frame["lead_over_window"] = frame["lead_time_mean"] / windows
    frame["distribution_probability"] = distribution_probability(stock, frame["demand_mean_90"],
                                                                 frame["demand_std_90"], windows)
    return frame


def distribution_probability(on_hand: np.ndarray, mean: np.ndarray, std: np.ndarray,
                             windows: np.ndarray) -> np.ndarray:
    """``P(D > on hand)`` with ``D ~ N(μ · W, σ² · W)`` (``W`` rounded up to whole days), row
    by row: the forecast-distribution probability of :mod:`forecasting.inventory.stockout`
    with the daily mean and spread given (here the last 90 days')."""
    days = np.maximum(np.ceil(np.asarray(windows, float)), 1)
    mean, sigma = np.asarray(mean, float) * days, np.asarray(std, float) * np.sqrt(days)
    stock = np.asarray(on_hand, float)
    tail = ndtr(-(stock - mean) / np.where(sigma > 0, sigma, 1.0))
    return np.where(sigma > 0, tail, (mean > stock).astype(float))


# --- samples -------------------------------------------------------------------------------------


@dataclass
class Samples:
    """Labelled rows of many pairs: features, label, the day observed and the day its
    window ends (for a time split that never learns from the future)."""

    X: pd.DataFrame
    y: np.ndarray
    day: np.ndarray
    end: np.ndarray
    pair: np.ndarray  # index of the pair in the list sampled

    def subset(self, mask: np.ndarray) -> Samples:
        return Samples(self.X[mask].reset_index(drop=True), self.y[mask], self.day[mask], self.end[mask],
                       self.pair[mask])

    def __len__(self) -> int:
        return len(self.y)


def pair_windows(history: PairHistory) -> tuple[int, ...]:
    """:data:`WINDOWS` and the pair's typed lead time (rounded up)."""
    return tuple(sorted({*WINDOWS, max(1, math.ceil(history.terms.lead_time_mean))}))


def samples_build(histories: Sequence[PairHistory], *, step: int = 3, offset: int = 0) -> Samples:
    """Every ``step``-th day of every pair (after :data:`WARMUP_DAYS`) × each of its windows
    that ends inside its history, labelled by whether the stock hit 0 within the window."""
    parts: list[tuple[PairHistory, np.ndarray, np.ndarray, None]] = []
    ys, days_, ends, pairs = [], [], [], []
    for index, history in enumerate(histories):
        n = history.n_days
        out = history.stockout_days.astype(np.int8)
        for window in pair_windows(history):
            days = np.arange(WARMUP_DAYS + offset, n - window, step)
            if not len(days):
                continue
            hit = sliding_window_view(out[1:], window).max(axis=1)[days] > 0
            parts.append((history, days, np.full(len(days), window), None))
            ys.append(hit)
            days_.append(days)
            ends.append(days + window)
            pairs.append(np.full(len(days), index))
    if not parts:
        return Samples(features_many([]), np.zeros(0, bool), np.zeros(0, int), np.zeros(0, int), np.zeros(0, int))
    return Samples(features_many(parts), np.concatenate(ys), np.concatenate(days_), np.concatenate(ends),
                   np.concatenate(pairs))
