"""The one Frequency type: aliases, defaults, period starts and stepping periods."""

import datetime as dt

import pandas as pd
import pytest

from forecasting.series.frequency import PREFERENCE, Frequency

D, W, M = Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY


class TestWhatEachGranularityCarries:
    def test_codes_labels_and_choices(self):
        assert Frequency.choices == [("D", "Daily"), ("W", "Weekly"), ("M", "Monthly")]
        assert PREFERENCE == (M, W, D)

    @pytest.mark.parametrize(
        ("frequency", "alias", "horizon", "season"),
        [(D, "D", 30, 7), (W, "W-MON", 12, 52), (M, "MS", 6, 12)],
    )
    def test_pandas_alias_default_horizon_and_season_length(self, frequency, alias, horizon, season):
        assert (frequency.pandas_alias, frequency.default_horizon, frequency.season_length) == (alias, horizon, season)

    def test_a_code_reads_as_its_frequency_and_a_blank_one_as_monthly(self):
        assert [Frequency.of(code) for code in ("D", "W", "M", "", None)] == [D, W, M, M, M]

    def test_an_unknown_code_is_refused(self):
        with pytest.raises(ValueError, match="Unknown frequency 'Y'; use D, W or M."):
            Frequency.of("Y")


class TestPeriodStart:
    @pytest.mark.parametrize(
        ("frequency", "day", "start"),
        [
            (D, dt.date(2025, 3, 19), dt.date(2025, 3, 19)),
            (W, dt.date(2025, 3, 19), dt.date(2025, 3, 17)),  # a Wednesday → its Monday
            (W, dt.date(2025, 3, 17), dt.date(2025, 3, 17)),  # a Monday is its own start
            (W, dt.date(2025, 1, 1), dt.date(2024, 12, 30)),  # the week crosses the year
            (M, dt.date(2025, 3, 19), dt.date(2025, 3, 1)),
            (M, dt.date(2024, 2, 29), dt.date(2024, 2, 1)),
        ],
    )
    def test_the_first_day_of_the_period_holding_a_day(self, frequency, day, start):
        assert frequency.period_start(day) == start


class TestStepping:
    @pytest.mark.parametrize(
        ("frequency", "day", "count", "expected"),
        [
            (D, dt.date(2025, 2, 27), 2, dt.date(2025, 3, 1)),
            (D, dt.date(2025, 3, 1), -1, dt.date(2025, 2, 28)),
            (W, dt.date(2025, 12, 29), 1, dt.date(2026, 1, 5)),
            (W, dt.date(2025, 3, 19), 0, dt.date(2025, 3, 17)),  # from inside a week: its start
            (W, dt.date(2025, 3, 17), -2, dt.date(2025, 3, 3)),
            (M, dt.date(2025, 11, 1), 3, dt.date(2026, 2, 1)),
            (M, dt.date(2025, 1, 31), 1, dt.date(2025, 2, 1)),  # from inside a month: the next start
            (M, dt.date(2025, 1, 1), -13, dt.date(2023, 12, 1)),
        ],
    )
    def test_add_counts_periods_from_the_period_holding_the_day(self, frequency, day, count, expected):
        assert frequency.add(day, count) == expected

    @pytest.mark.parametrize(
        ("frequency", "first", "last", "periods"),
        [
            (D, dt.date(2025, 2, 27), dt.date(2025, 3, 2), 3),
            (W, dt.date(2025, 3, 19), dt.date(2025, 3, 31), 2),  # Wednesday → Monday two weeks on
            (M, dt.date(2024, 11, 30), dt.date(2025, 2, 1), 3),
            (M, dt.date(2025, 2, 1), dt.date(2024, 11, 30), -3),
        ],
    )
    def test_periods_between(self, frequency, first, last, periods):
        assert frequency.periods_between(first, last) == periods

    def test_dates_after_are_the_next_period_starts(self):
        assert M.dates_after(dt.date(2024, 11, 1), 3) == [dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1)]
        assert W.dates_after(dt.date(2025, 3, 17), 2) == [dt.date(2025, 3, 24), dt.date(2025, 3, 31)]
        assert D.dates_after(dt.date(2025, 2, 28), 2) == [dt.date(2025, 3, 1), dt.date(2025, 3, 2)]
        assert M.dates_after(dt.date(2024, 11, 1), 0) == []

    def test_dates_between_include_both_ends_and_start_at_the_first_period(self):
        assert M.dates_between(dt.date(2024, 11, 15), dt.date(2025, 1, 1)) == [
            dt.date(2024, 11, 1), dt.date(2024, 12, 1), dt.date(2025, 1, 1)
        ]
        assert W.dates_between(dt.date(2025, 3, 17), dt.date(2025, 3, 30)) == [dt.date(2025, 3, 17), dt.date(2025, 3, 24)]
        assert M.dates_between(dt.date(2025, 2, 1), dt.date(2025, 1, 1)) == []

    @pytest.mark.parametrize("frequency", [D, W, M])
    def test_the_same_period_starts_as_pandas_with_the_alias(self, frequency):
        # Given the start of a period (what series and models record)
        first = frequency.period_start(dt.date(2023, 10, 18))
        # When 400 periods are stepped by the type and by pandas with its alias
        ours = frequency.dates_after(first, 400)
        theirs = [d.date() for d in pd.date_range(first, periods=401, freq=frequency.pandas_alias)[1:]]
        # Then they agree, and so do the ranges between the two ends
        assert ours == theirs
        assert frequency.dates_between(first, ours[-1]) == [first, *ours]


@pytest.mark.django_db
class TestReadersOfTheDeployedVersion:
    """A target may have one deployed model per frequency: readers that show one per
    target take the monthly one first; those that need months take only monthly ones."""

    def test_pages_take_the_monthly_model_first_and_another_frequency_when_it_is_the_only_one(self, workspace):
        from forecasting.serving.forecasts import deployed_forecasters
        from tests.factories import fitted_version

        # Given revenue deployed monthly and weekly, expense deployed only weekly
        monthly = fitted_version(workspace=workspace, status="deployed")
        fitted_version(workspace=workspace, status="deployed", frequency="W")
        weekly_expense = fitted_version(workspace=workspace, target="expense", status="deployed", frequency="W")
        # When the deployed forecasters are read with the default order, then monthly only
        chosen = deployed_forecasters(workspace=workspace, targets=["revenue", "expense"])
        monthly_only = deployed_forecasters(workspace=workspace, targets=["revenue", "expense"], frequencies=(M,))
        # Then
        assert {target: v.pk for target, v in chosen.items()} == {"revenue": monthly.pk, "expense": weekly_expense.pk}
        assert {target: v.pk for target, v in monthly_only.items()} == {"revenue": monthly.pk}

    def test_a_retrain_takes_the_shape_of_the_monthly_model_first(self, workspace):
        from forecasting.registry.models import ModelVersion
        from forecasting.training.autolearn import target_training_shape
        from tests.factories import fitted_version

        # Given nothing deployed, then a weekly model, then also a monthly one
        assert target_training_shape(workspace_id=workspace.pk, target="revenue") == (M, None)
        weekly = fitted_version(workspace=workspace, status="deployed", frequency="W")
        ModelVersion.objects.filter(pk=weekly.pk).update(horizon=8)
        assert target_training_shape(workspace_id=workspace.pk, target="revenue") == (W, 8)
        fitted_version(workspace=workspace, status="deployed")
        assert target_training_shape(workspace_id=workspace.pk, target="revenue") == (M, 6)
