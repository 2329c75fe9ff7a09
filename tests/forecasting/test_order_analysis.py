"""Order analysis of a product: seasonal pattern, sales anomalies, ordering drift, and the
product page that shows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from forecasting.inventory.analysis import ordering_drift, sales_anomalies, seasonality_of
from tests import factories as f

TODAY = dt.date(2025, 6, 30)


class TestSeasonality:
    def test_a_december_peak(self):
        # Given three years from January: 100 units a month, 250 each December, a little noise
        rng = np.random.default_rng(0)
        units = [(250.0 if m % 12 == 11 else 100.0) * rng.uniform(0.97, 1.03) for m in range(36)]
        found = seasonality_of(first_month=dt.date(2022, 1, 1), units=units)
        assert (found.months, found.level, found.peaks, found.peak_names) == (36, "strong", [12], ["December"])
        assert found.indices[12] == pytest.approx(250 / 112.5, rel=0.05)  # December over the average month
        assert found.rows[0][0] == "Jan" and found.rows[11] == ("Dec", found.indices[12], True)

    def test_the_months_follow_the_first_month(self):
        # The same pattern starting in July: the peak is still December
        units = [(250.0 if (m + 6) % 12 == 11 else 100.0) for m in range(30)]
        assert seasonality_of(first_month=dt.date(2022, 7, 1), units=units).peaks == [12]

    def test_a_flat_series_has_no_peak(self):
        rng = np.random.default_rng(1)
        found = seasonality_of(first_month=dt.date(2022, 1, 1), units=list(rng.uniform(95, 105, 36)))
        assert (found.level, found.peaks) == ("none", [])

    def test_fewer_than_two_years_is_unknown(self):
        found = seasonality_of(first_month=dt.date(2024, 1, 1), units=[100.0] * 23)
        assert (found.months, found.strength, found.level, found.peaks) == (23, None, "unknown", [])


class TestSalesAnomalies:
    def test_a_spike_and_a_drop_among_ordinary_days(self):
        # Given 200 days of 20 ± 2 units, 90 units on day 150 and none on day 170 (a Tuesday
        # among Tuesdays of 20)
        rng = np.random.default_rng(2)
        units = list(rng.integers(18, 23, 200).astype(float))
        units[150], units[170] = 90.0, 0.0
        first = dt.date(2025, 1, 1)
        found = sales_anomalies(first_day=first, units=units)
        # Then both are flagged, the spike first, with the usual units of their weekday
        by_day = {a.day: a for a in found}
        spike, drop = by_day[first + dt.timedelta(days=150)], by_day[first + dt.timedelta(days=170)]
        assert found[0] is spike
        assert (spike.direction, spike.units, drop.direction, drop.units) == ("spike", 90.0, "drop", 0.0)
        assert 18 <= spike.usual <= 22 and 18 <= drop.usual <= 22
        assert len(found) <= 10

    def test_a_series_is_fitted_once_and_a_new_sale_fits_again(self, monkeypatch):
        # Given the flagged days of a series, found once
        from forecasting.inventory import analysis

        units = [20.0] * 199 + [90.0]
        first = dt.date(2031, 1, 1)  # (a series no other test writes: the cache may be shared)
        found = sales_anomalies(first_day=first, units=units)
        assert found[0].day == first + dt.timedelta(days=199)
        # When it is asked again, the forest is not fitted again; a changed series is
        fitted = []
        monkeypatch.setattr(analysis, "_anomalies", lambda *args: fitted.append(args) or [])
        assert sales_anomalies(first_day=first, units=units) == found
        assert fitted == []
        assert sales_anomalies(first_day=first, units=[*units[:-1], 91.0]) == []
        assert len(fitted) == 1

    def test_too_few_days_finds_nothing(self):
        assert sales_anomalies(first_day=dt.date(2025, 1, 1), units=[5.0] * 115) == []


def weekly(start: dt.date, end: dt.date, every: int, quantity: int) -> list[tuple[dt.date, int]]:
    days = []
    day = start
    while day <= end:
        days.append((day, quantity))
        day += dt.timedelta(days=every)
    return days


class TestOrderingDrift:
    def test_smaller_more_frequent_orders_are_a_change(self):
        # Given 50 units every 7 days until April, then 20 every 3 days
        orders = weekly(dt.date(2024, 7, 1), dt.date(2025, 3, 31), 7, 50) + weekly(
            dt.date(2025, 4, 3), TODAY, 3, 20)
        found = ordering_drift(orders=orders, today=TODAY)
        assert (found.reference.mean_interval_days, found.reference.mean_quantity) == (7.0, 50.0)
        assert found.recent.mean_quantity == 20.0
        assert found.recent.mean_interval_days == pytest.approx(3.0, abs=0.1)
        assert (found.measured, found.changed, found.interval_changed, found.quantity_changed) == (
            True, True, True, True)

    def test_the_same_rhythm_is_steady(self):
        found = ordering_drift(orders=weekly(dt.date(2024, 7, 1), TODAY, 7, 50), today=TODAY)
        assert (found.measured, found.changed) == (True, False)
        assert found.recent.orders == 13

    def test_too_few_orders_cannot_tell(self):
        found = ordering_drift(orders=weekly(dt.date(2025, 5, 1), TODAY, 14, 50), today=TODAY)
        assert (found.measured, found.changed, found.reference.orders) == (False, False, 0)


@pytest.mark.django_db
class TestProductPage:
    @pytest.fixture
    def bread(self, workspace, monkeypatch):
        monkeypatch.setattr(timezone, "localdate", lambda *a: TODAY)
        supplier = f.SupplierFactory(workspace=workspace, name="Mill", lead_time_mean_days=Decimal("2.00"),
                                     lead_time_std_days=Decimal("0.50"))
        product = f.ProductFactory(workspace=workspace, sku="BREAD", name="Bread", supplier=supplier,
                                   shelf_life_days=2)
        north = f.WarehouseFactory(workspace=workspace, code="N")
        f.StockLevelFactory(workspace=workspace, product=product, warehouse=north, quantity=12)
        for back in range(1, 200):
            f.SaleFactory(workspace=workspace, product=product, warehouse=north,
                          date=TODAY - dt.timedelta(days=back), quantity=90 if back == 40 else 10)
        for order_day, arrived in ((dt.date(2025, 6, 2), dt.date(2025, 6, 4)), (dt.date(2025, 6, 9), None)):
            order = f.PurchaseOrderFactory(workspace=workspace, supplier=supplier, product=product, warehouse=north,
                                           quantity_ordered=70, unit_cost=Decimal("1.50"), ordered_on=order_day,
                                           expected_on=order_day + dt.timedelta(days=2))
            if arrived:
                f.ReceiptFactory(purchase_order=order, received_on=arrived, quantity=70)
        return product

    def test_a_member_sees_the_analysis(self, bread, member, logged_in, django_assert_max_num_queries):
        url = reverse("forecasting:product-analysis", args=[bread.pk])
        client = logged_in(member)
        # the session, the user, the memberships, the product; the receipts, the monthly and
        # daily sales, the orders for the drift; the stock; the latest orders
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        analysis = response.context["analysis"]
        assert [a.day for a in analysis.anomalies][:1] == [TODAY - dt.timedelta(days=40)]
        assert f'data-anomaly="{TODAY - dt.timedelta(days=40):%Y-%m-%d}"' in html
        assert analysis.seasonality.strength is None and "Not enough history" in html
        assert 'data-drift="unknown"' in html
        assert "105.00<span" in html and "Cost (USD)" in html  # 70 × 1.50 with the currency
        assert 'data-lead-time-source="typed"' in html and "the supplier&#x27;s typed lead time (1 receipt so far)" in html
        assert "12 units in stock" in html and "shelf life 2&nbsp;days" in html

    def test_another_workspaces_product_is_404(self, workspace, other_workspace, member, logged_in):
        theirs = f.ProductFactory(workspace=other_workspace)
        response = logged_in(member).get(reverse("forecasting:product-analysis", args=[theirs.pk]))
        assert response.status_code == 404

    def test_a_viewer_reads_it(self, bread, viewer, logged_in):
        assert logged_in(viewer).get(reverse("forecasting:product-analysis", args=[bread.pk])).status_code == 200

    def test_the_inventory_page_links_to_it(self, bread, member, logged_in):
        html = logged_in(member).get(reverse("finance:inventory")).content.decode()
        assert f'href="{reverse("forecasting:product-analysis", args=[bread.pk])}" data-analysis-link' in html
