"""Inventory books the planning and stockout tests share: a fixed today and sales by days ago."""

from __future__ import annotations

import datetime as dt

from tests import factories as f

TODAY = dt.date(2025, 6, 30)


def sell(workspace, product, warehouse, units_by_days_ago: dict[int, int], today: dt.date = TODAY) -> None:
    for days_ago, units in units_by_days_ago.items():
        f.SaleFactory(workspace=workspace, product=product, warehouse=warehouse,
                      date=today - dt.timedelta(days=days_ago), quantity=units)
