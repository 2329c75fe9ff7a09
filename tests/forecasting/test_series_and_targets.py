"""Series selectors over approved rows, and target keys."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.series.selectors import series_build, series_group_build
from forecasting.series.targets import InvalidTarget, Target
from tests import factories as f

END = dt.date(2025, 5, 15)  # May 2025 is the incomplete period


@pytest.mark.django_db
class TestSeries:
    def test_monthly_revenue_sums_approved_rows_and_fills_gaps_with_zero(self, workspace):
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("10"), date=dt.date(2025, 1, 3))
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("5"), date=dt.date(2025, 1, 30))
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("7"), date=dt.date(2025, 3, 1))
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("99"), date=dt.date(2025, 3, 2),
                             status="pending")
        f.TransactionFactory(workspace=workspace, kind="expense", amount=Decimal("50"), date=dt.date(2025, 3, 2))
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("1"), date=dt.date(2025, 5, 2))
        series = series_build(workspace=workspace, target=Target("revenue"), frequency="M", end=END)
        assert series.dates == [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)]
        assert series.values.tolist() == [15.0, 0.0, 7.0, 0.0]

    def test_expense_per_category(self, workspace):
        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        f.TransactionFactory(workspace=workspace, amount=Decimal("800"), date=dt.date(2025, 2, 1), category=rent)
        f.TransactionFactory(workspace=workspace, amount=Decimal("30"), date=dt.date(2025, 2, 2))
        total = series_build(workspace=workspace, target=Target("expense"), frequency="M", end=END)
        only_rent = series_build(workspace=workspace, target=Target("expense", category_id=rent.pk), end=END)
        assert total.values.tolist() == [830.0, 0.0, 0.0]
        assert only_rent.values.tolist() == [800.0, 0.0, 0.0]

    def test_weekly_inventory_demand_per_product_and_warehouse(self, workspace):
        product = f.ProductFactory(workspace=workspace)
        north, south = f.WarehouseFactory(workspace=workspace), f.WarehouseFactory(workspace=workspace)
        f.SaleFactory(workspace=workspace, product=product, warehouse=north, date=dt.date(2025, 4, 28), quantity=3)
        f.SaleFactory(workspace=workspace, product=product, warehouse=south, date=dt.date(2025, 4, 29), quantity=2)
        f.SaleFactory(workspace=workspace, product=product, warehouse=north, date=dt.date(2025, 5, 7), quantity=4)
        both = series_build(workspace=workspace, target=Target("inventory", product_id=product.pk), frequency="W",
                            end=END)
        north_only = series_build(
            workspace=workspace, target=Target("inventory", product_id=product.pk, warehouse_id=north.pk),
            frequency="W", end=END,
        )
        assert both.dates == [dt.date(2025, 4, 28), dt.date(2025, 5, 5)]
        assert both.values.tolist() == [5.0, 4.0]
        assert north_only.values.tolist() == [3.0, 4.0]

    def test_the_group_of_a_category_is_all_expenses_over_the_categorys_periods(self, workspace, other_workspace):
        # Given expenses since January, rent only since March, and another workspace's rent
        rent = f.CategoryFactory(workspace=workspace, name="Rent")
        f.TransactionFactory(workspace=workspace, amount=Decimal("30"), date=dt.date(2025, 1, 5))
        f.TransactionFactory(workspace=workspace, amount=Decimal("800"), date=dt.date(2025, 3, 1), category=rent)
        f.TransactionFactory(workspace=workspace, amount=Decimal("20"), date=dt.date(2025, 3, 9))
        f.TransactionFactory(workspace=workspace, amount=Decimal("5"), date=dt.date(2025, 5, 2))
        f.TransactionFactory(workspace=other_workspace, amount=Decimal("999"), date=dt.date(2025, 4, 1))
        target = Target("expense", category_id=rent.pk)
        series = series_build(workspace=workspace, target=target, end=END)
        # When its group series is built
        group = series_group_build(workspace=workspace, target=target, series=series)
        # Then it is every expense of this workspace over rent's months (March, April)
        assert series.dates == [dt.date(2025, 3, 1), dt.date(2025, 4, 1)]
        assert group.tolist() == [820.0, 0.0]

    def test_the_group_of_a_product_in_a_warehouse_is_all_sales(self, workspace):
        product, other = f.ProductFactory(workspace=workspace), f.ProductFactory(workspace=workspace)
        north = f.WarehouseFactory(workspace=workspace)
        f.SaleFactory(workspace=workspace, product=product, warehouse=north, date=dt.date(2025, 3, 3), quantity=3)
        f.SaleFactory(workspace=workspace, product=other, date=dt.date(2025, 3, 4), quantity=7)
        f.SaleFactory(workspace=workspace, product=other, date=dt.date(2025, 4, 4), quantity=1)
        target = Target("inventory", product_id=product.pk, warehouse_id=north.pk)
        series = series_build(workspace=workspace, target=target, end=END)
        assert series_group_build(workspace=workspace, target=target, series=series).tolist() == [10.0, 1.0]

    def test_totals_and_empty_series_have_no_group(self, workspace):
        revenue = series_build(workspace=workspace, target=Target("revenue"), end=END)
        assert series_group_build(workspace=workspace, target=Target("revenue"), series=revenue) is None
        empty = series_build(workspace=workspace, target=Target("expense", category_id=1), end=END)
        assert series_group_build(workspace=workspace, target=Target("expense", category_id=1), series=empty) is None

    def test_other_workspaces_rows_are_not_counted(self, workspace, other_workspace):
        f.TransactionFactory(workspace=other_workspace, kind="revenue", amount=Decimal("10"), date=dt.date(2025, 1, 3))
        assert len(series_build(workspace=workspace, target=Target("revenue"), end=END)) == 0

    def test_data_hash_changes_with_the_data(self, workspace):
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("10"), date=dt.date(2025, 1, 3))
        first = series_build(workspace=workspace, target=Target("revenue"), end=END).data_hash
        f.TransactionFactory(workspace=workspace, kind="revenue", amount=Decimal("1"), date=dt.date(2025, 1, 4))
        assert series_build(workspace=workspace, target=Target("revenue"), end=END).data_hash != first


class TestTargets:
    @pytest.mark.parametrize(
        ("key", "target"),
        [
            ("revenue", Target("revenue")),
            ("expense:category=4", Target("expense", category_id=4)),
            ("inventory:product=5:warehouse=2", Target("inventory", product_id=5, warehouse_id=2)),
            ("categorizer", Target("categorizer")),
        ],
    )
    def test_round_trip(self, key, target):
        assert Target.parse(key) == target
        assert target.key == key

    @pytest.mark.parametrize(
        ("key", "group"),
        [
            ("revenue", None),
            ("expense", None),
            ("expense:category=4", Target("expense")),
            ("inventory:product=5", Target("inventory")),
            ("inventory:product=5:warehouse=2", Target("inventory")),
            ("fraud", None),
        ],
    )
    def test_the_group_is_the_aggregate_a_target_is_part_of(self, key, group):
        assert Target.parse(key).group == group

    @pytest.mark.parametrize(
        ("key", "message"),
        [
            ("weather", "Unknown target 'weather'"),
            ("revenue:category=3", "'revenue' cannot be filtered by category."),
            ("inventory:warehouse=3", "A warehouse filter needs a product."),
            ("expense:category=x", "'category=x' is not a valid target filter."),
            ("fraud:product=1", "'fraud' takes no filters."),
        ],
    )
    def test_invalid(self, key, message):
        with pytest.raises(InvalidTarget, match=message.replace("(", r"\(")):
            Target.parse(key)
