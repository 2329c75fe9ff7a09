"""The month arithmetic shared by the books, the forecasts and coaching."""

from __future__ import annotations

import datetime as dt

import pytest

from finance.months import add_months, month_end, month_start


class TestMonths:
    @pytest.mark.parametrize(("day", "start", "end"), [
        (dt.date(2025, 3, 17), dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
        (dt.date(2024, 2, 29), dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        (dt.date(2025, 2, 1), dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
    ])
    def test_first_and_last_day_of_the_month(self, day, start, end):
        assert (month_start(day), month_end(day)) == (start, end)

    @pytest.mark.parametrize(("month", "count", "expected"), [
        (dt.date(2025, 3, 17), 0, dt.date(2025, 3, 1)),
        (dt.date(2025, 11, 1), 1, dt.date(2025, 12, 1)),
        (dt.date(2025, 12, 31), 1, dt.date(2026, 1, 1)),
        (dt.date(2025, 1, 31), -1, dt.date(2024, 12, 1)),
        (dt.date(2025, 3, 1), -27, dt.date(2022, 12, 1)),
        (dt.date(2025, 3, 1), 36, dt.date(2028, 3, 1)),
    ])
    def test_add_months_gives_the_first_day_of_the_month_count_months_away(self, month, count, expected):
        assert add_months(month, count) == expected
