"""The demand drivers of inventory series: promotions, prices and public holidays."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from forecasting.engine.registry import build_forecaster
from forecasting.series.drivers import series_drivers_build
from forecasting.series.selectors import series_build
from forecasting.series.targets import Target
from tests import factories as f

END = dt.date(2025, 1, 8)  # the series ends on 7 January 2025


@pytest.mark.django_db
class TestSeriesDrivers:
    def test_daily_promotion_share_price_and_german_holidays(self, workspace, other_workspace):
        # Given a Bavarian shop: sales on 30 Dec (one of two units on promotion, at 4 and 2),
        # none on 31 Dec, 1 Jan or 2 Jan, then a full-price sale on 6 Jan (Epiphany in Bavaria)
        workspace.holidays_country, workspace.holidays_region = "DE", "BY"
        workspace.save()
        product = f.ProductFactory(workspace=workspace)
        shop = f.WarehouseFactory(workspace=workspace)
        sale = {"workspace": workspace, "product": product, "warehouse": shop}
        f.SaleFactory(**sale, date=dt.date(2024, 12, 30), quantity=1, unit_price=Decimal("4.00"))
        f.SaleFactory(**sale, date=dt.date(2024, 12, 30), quantity=1, unit_price=Decimal("2.00"),
                      on_promotion=True)
        f.SaleFactory(**sale, date=dt.date(2025, 1, 3), quantity=4, unit_price=Decimal("2.50"), on_promotion=True)
        f.SaleFactory(**sale, date=dt.date(2025, 1, 6), quantity=2, unit_price=Decimal("5.00"))
        f.SaleFactory(workspace=other_workspace, date=dt.date(2025, 1, 3), quantity=9, on_promotion=True)
        target = Target("inventory", product_id=product.pk, warehouse_id=shop.pk)
        series = series_build(workspace=workspace, target=target, frequency="D", end=END)
        # When its drivers are built
        drivers = series_drivers_build(workspace=workspace, target=target, series=series)
        # Then each day has its promotion share, its price (carried over days without
        # sales) and its holidays (New Year's Day, Epiphany)
        assert series.dates[0] == dt.date(2024, 12, 30) and len(series) == 9
        assert drivers.names == ["promotion", "price", "holidays"]
        assert drivers.values[:, 0].tolist() == [0.5, 0, 0, 0, 1, 0, 0, 0, 0]
        assert drivers.values[:, 1].tolist() == [3.0, 3.0, 3.0, 3.0, 2.5, 2.5, 2.5, 5.0, 5.0]
        assert drivers.values[:, 2].tolist() == [0, 0, 1, 0, 0, 0, 0, 1, 0]
        # And the days ahead carry the planned promotion and price, and their holidays
        ahead = drivers.future([dt.date(2025, 4, 20), dt.date(2025, 4, 21)], promotion=[1, 0])
        assert ahead.tolist() == [[1.0, 5.0, 0.0], [0.0, 5.0, 1.0]]  # Easter Monday

    def test_weekly_without_a_country_has_no_holidays_column(self, workspace):
        product = f.ProductFactory(workspace=workspace)
        f.SaleFactory(workspace=workspace, product=product, date=dt.date(2024, 12, 23), quantity=3,
                      unit_price=Decimal("2.00"), on_promotion=True)
        f.SaleFactory(workspace=workspace, product=product, date=dt.date(2024, 12, 24), quantity=1,
                      unit_price=Decimal("6.00"))
        target = Target("inventory", product_id=product.pk)
        series = series_build(workspace=workspace, target=target, frequency="W", end=END)
        drivers = series_drivers_build(workspace=workspace, target=target, series=series)
        assert drivers.names == ["promotion", "price"]
        assert drivers.values.tolist() == [[0.75, 3.0], [0.0, 3.0]]
        with pytest.raises(ValueError, match="promotion needs one value per period ahead \\(2\\); got 1"):
            drivers.future([dt.date(2025, 1, 13), dt.date(2025, 1, 20)], promotion=[1])

    def test_other_targets_and_empty_series_have_none(self, workspace):
        revenue = series_build(workspace=workspace, target=Target("revenue"), frequency="M", end=END)
        assert series_drivers_build(workspace=workspace, target=Target("revenue"), series=revenue) is None
        empty = series_build(workspace=workspace, target=Target("inventory"), frequency="D", end=END)
        assert series_drivers_build(workspace=workspace, target=Target("inventory"), series=empty) is None

    def test_a_tree_model_learns_the_promotions_of_the_books(self, workspace):
        # Given 120 days of sales: 10 a day, 25 on a promotion day (a quarter of the days, at random)
        product = f.ProductFactory(workspace=workspace)
        start = dt.date(2024, 9, 10)
        promotions = np.random.default_rng(4).random(120) < 0.25
        for i, promoted in enumerate(promotions.tolist()):
            f.SaleFactory(workspace=workspace, product=product, date=start + dt.timedelta(days=i),
                          quantity=25 if promoted else 10, on_promotion=promoted)
        target = Target("inventory", product_id=product.pk)
        series = series_build(workspace=workspace, target=target, frequency="D", end=END)
        drivers = series_drivers_build(workspace=workspace, target=target, series=series)
        # When LightGBM learns from the series with its drivers and two promotions are planned
        model = build_forecaster("lightgbm", season_length=7).fit(series.values, drivers.values)
        ahead = drivers.future(series.future_dates(4), promotion=[1, 0, 0, 1])
        # Then the planned promotion days are forecast near 25 and the others near 10
        np.testing.assert_allclose(model.predict(4, ahead).mean, [25, 10, 10, 25], atol=2.5)
