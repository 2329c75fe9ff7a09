"""Books with a stock history the learned stockout model can learn from: a few products at
one shop, sold every day for a year or more up to yesterday (the model's today is the real
one), with no receipts, so their stock is simulated from the sales."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.utils import timezone

from finance.models import Sale
from tests import factories as f


def synthetic_books(workspace, *, pairs: int = 6, days: int = 400, seed: int = 0, on_hand: int = 30):
    """``pairs`` products selling ``3 + 4 i`` units a day on average (Poisson × log-normal
    noise) over the ``days`` before today, each with ``on_hand`` units now; supplier lead
    time 5 ± 2 days. Returns the shop."""
    rng = np.random.default_rng(seed)
    today = timezone.localdate()
    supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("5.00"),
                                 lead_time_std_days=Decimal("2.00"))
    shop = f.WarehouseFactory(workspace=workspace, code="SHOP")
    rows = []
    for i in range(pairs):
        product = f.ProductFactory(workspace=workspace, sku=f"P{i}", supplier=supplier, unit_price=Decimal("2.00"))
        f.StockLevelFactory(workspace=workspace, product=product, warehouse=shop, quantity=on_hand)
        units = rng.poisson((3 + 4 * i) * rng.lognormal(0, 0.4, days))
        rows += [Sale(workspace=workspace, product=product, warehouse=shop, date=today - dt.timedelta(days=days - d),
                      quantity=int(q), unit_price=Decimal("2.00")) for d, q in enumerate(units) if q > 0]
    Sale.objects.bulk_create(rows)
    return shop
