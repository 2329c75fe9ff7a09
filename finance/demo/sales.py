"""A business's sales and daily takings: demand per product and warehouse from footfall,
seasons and holidays, and the deposits the takings make on the statement (today's stock
is :mod:`finance.demo.stock`'s)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from finance.demo.calendar import DemoCalendar, seasonal_peak, yearly_profile
from finance.demo.noise import Rng, ar1_noise, component_rng, lognormal_noise
from finance.demo.specs import BusinessSpec
from finance.demo.streams import BookRow, money_at_least_50_cents, render
from finance.models import Product, Sale, Transaction, Warehouse, Workspace


@dataclass
class BusinessBooks:
    revenue: np.ndarray  # total takings a day (channels + other revenue streams)
    rows: list[BookRow]
    sales: list[Sale]


def _traffic(spec: BusinessSpec, cal: DemoCalendar, rng: Rng) -> tuple[np.ndarray, np.ndarray]:
    """Footfall without the yearly season (trend × weekday × holidays × noise), and the
    business's own yearly season (for what is not tracked as stock)."""
    base = (1 + spec.growth) ** cal.t_years
    base = base * np.asarray(spec.weekdays)[cal.weekday]
    holiday = np.ones(len(cal))
    for i, day in enumerate(cal.days):
        name = cal.holidays.get(day)
        if name in spec.holidays:
            holiday[i] = spec.holidays[name]
        if day.month == 12:
            if spec.runup_from <= day.day <= 23:
                holiday[i] *= 1 + spec.runup * (day.day - spec.runup_from + 1) / (24 - spec.runup_from)
            elif day.day >= 26:
                holiday[i] *= spec.after_christmas
    traffic = base * holiday * ar1_noise(rng, len(cal), spec.noise)
    traffic[cal.closed] = 0.0
    return traffic, yearly_profile(cal, spec.months)


def business_books(
    spec: BusinessSpec,
    workspace: Workspace,
    cal: DemoCalendar,
    seed: int,
    products: list[Product],
    warehouses: list[Warehouse],
) -> BusinessBooks:
    """The sales rows and the daily takings (as revenue rows) of a business whose
    ``products`` and ``warehouses`` are already written."""
    rng = component_rng(seed, workspace.slug, "sales")
    traffic, season = _traffic(spec, cal, rng)
    takings, sales = _sales(spec, workspace, cal, rng, traffic, products, warehouses)
    revenue, rows = _takings_rows(spec, cal, rng, traffic, season, takings)
    return BusinessBooks(revenue=revenue, rows=rows, sales=sales)


def _sales(
    spec: BusinessSpec,
    workspace: Workspace,
    cal: DemoCalendar,
    rng: Rng,
    traffic: np.ndarray,
    products: list[Product],
    warehouses: list[Warehouse],
) -> tuple[dict[str, np.ndarray], list[Sale]]:
    """Units sold a day per product and warehouse (a day without sales has no row) and the
    takings they make per warehouse."""
    weekend = cal.weekday >= 5
    names = [cal.holidays.get(d) for d in cal.days]
    end_year = cal.days[-1].year
    black_friday = np.array([n in ("black_friday", "cyber_monday") for n in names])
    promotion = black_friday & (spec.black_friday_discount > 0)  # a discount is a promotion
    takings = {w.code: np.zeros(len(cal)) for w in spec.warehouses}
    sales: list[Sale] = []
    # This generator once drew today's stock between the pairs' sales too; it still makes
    # those draws, so that a seed's sales (which benchmarks and READMEs quote) stay the same.
    legacy_low = {int(i) for i in rng.choice(len(products) * len(warehouses), 2, replace=False)}
    for p_index, (pspec, product) in enumerate(zip(spec.products, products, strict=True)):
        demand = pspec.per_day * traffic * seasonal_peak(cal, pspec.peak_doy, pspec.kappa, pspec.floor)
        demand = demand * np.where(weekend, pspec.weekend, 1.0)
        for name, factor in pspec.holidays.items():
            demand = demand * np.where([n == name for n in names], factor, 1.0)
        # Prices go up 3 % a year; the product's price is today's.
        yearly_price = {
            year: (pspec.price / 1.03 ** (end_year - year)) for year in range(cal.days[0].year, end_year + 1)
        }
        price = np.array([yearly_price[y] for y in cal.year])
        price = np.round(np.where(black_friday, price * (1 - spec.black_friday_discount), price), 2)
        for w_index, (wspec, warehouse) in enumerate(zip(spec.warehouses, warehouses, strict=True)):
            quantity = rng.poisson(demand * wspec.share)
            takings[wspec.code] += quantity * price
            for i in np.flatnonzero(quantity):
                sales.append(
                    Sale(
                        workspace=workspace,
                        product=product,
                        warehouse=warehouse,
                        date=cal.days[i],
                        quantity=int(quantity[i]),
                        unit_price=Decimal(f"{price[i]:.2f}"),
                        on_promotion=bool(promotion[i]),
                    )
                )
            if p_index * len(warehouses) + w_index in legacy_low:
                rng.integers(0, 3)
            else:
                rng.uniform(0.15, 1.5)
                rng.integers(0, 6)
    return takings, sales


def _takings_rows(
    spec: BusinessSpec,
    cal: DemoCalendar,
    rng: Rng,
    traffic: np.ndarray,
    season: np.ndarray,
    takings: dict[str, np.ndarray],
) -> tuple[np.ndarray, list[BookRow]]:
    """Each warehouse's takings (stock sales plus what is not tracked as stock) as the
    day's deposits of its channels; returns the total takings a day and the rows."""
    rows: list[BookRow] = []
    revenue = np.zeros(len(cal))
    for wspec in spec.warehouses:
        daily = takings[wspec.code] + wspec.other_revenue * traffic * season * lognormal_noise(rng, 0.05, len(cal))
        revenue += daily
        counter = int(rng.integers(1000, 5000))
        weights = np.array([c.share for c in wspec.channels])
        for i in np.flatnonzero(daily > 1):
            day = cal.days[i]
            split = rng.dirichlet(weights * 60) if len(weights) > 1 else weights
            counter += 1
            for channel, part in zip(wspec.channels, split, strict=True):
                amount = daily[i] * part
                if amount < 1:
                    continue
                values = {"n": str(counter), "store": "", "STORE": ""}
                rows.append(
                    BookRow(
                        date=day,
                        kind=Transaction.Kind.REVENUE,
                        amount=money_at_least_50_cents(amount),
                        category=channel.category,
                        merchant=channel.merchant,
                        description=render(channel.template, day, rng, values),
                        account=channel.account,
                    )
                )
    return revenue, rows
