"""Prophet on the series' real calendar with a country's public holidays."""

import numpy as np
import pandas as pd
import pytest

from forecasting.engine.registry import build_forecaster

GERMAN_HOLIDAYS_2023 = ["2023-01-01", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-18", "2023-05-29",
                        "2023-10-03", "2023-12-25", "2023-12-26"]


@pytest.mark.slow
def test_prophet_learns_the_public_holidays_of_its_country_on_the_real_calendar():
    # Given daily sales of 100 (± weekday) from 2023 to 20 Dec 2024, 5 on German holidays
    dates = pd.date_range("2023-01-01", "2024-12-20", freq="D")
    holidays = set(GERMAN_HOLIDAYS_2023) | {"2024-01-01", "2024-03-29", "2024-04-01", "2024-05-01",
                                            "2024-05-09", "2024-05-20", "2024-10-03"}
    y = np.array([5.0 if d.strftime("%Y-%m-%d") in holidays else 100.0 + d.dayofweek for d in dates])
    # When Prophet fits with the real start and Germany's holidays, and without them
    with_holidays = build_forecaster("prophet", {"start": "2023-01-01", "holidays_country": "DE"},
                                     season_length=7).fit(y)
    without = build_forecaster("prophet", {"start": "2023-01-01"}, season_length=7).fit(y)
    # Then Christmas Day 2024 (day 5 of the horizon) is forecast low only with them
    assert with_holidays.predict(7).mean[4] < 40
    assert without.predict(7).mean[4] > 80


def test_prophet_needs_the_real_start_to_place_the_holidays():
    with pytest.raises(ValueError, match="prophet needs the series' first date \\(start\\) to place the holidays of DE"):
        build_forecaster("prophet", {"holidays_country": "DE"}, season_length=7).fit(np.arange(60.0))
