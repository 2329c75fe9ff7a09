"""``manage.py forecast_csv --covariates … --holidays-country …`` (no database needed)."""

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError

from tests.forecasting.engine.test_forecast_csv import run

HORIZON = 14
FAST = "naive,seasonal_naive,lightgbm"


def write_daily(path, *, shops: int = 2, days: int = 150, horizon_rows: int = HORIZON, drop=None) -> pd.DataFrame:
    """Daily sales of a few shops, +80 % on promotion days, with a categorical display
    column; the last ``horizon_rows`` rows of each shop have an empty y."""
    rng = np.random.default_rng(5)
    dates = pd.date_range("2024-01-01", periods=days + horizon_rows, freq="D")
    rows = []
    for i in range(shops):
        promo = (rng.random(len(dates)) < 0.3).astype(int)
        y = (80 + 20 * i) * (1 + 0.8 * promo) * rng.lognormal(0, 0.05, len(dates))
        text = [f"{v:.0f}" for v in y[:days]] + [""] * horizon_rows
        rows.append(pd.DataFrame({"unique_id": f"shop{i}", "ds": dates.strftime("%Y-%m-%d"), "y": text,
                                  "promo": promo, "display": np.where(promo == 1, "front", "shelf")}))
    frame = pd.concat(rows, ignore_index=True)
    if drop is not None:
        frame = drop(frame)
    frame.to_csv(path, index=False)
    return frame


def test_the_horizon_rows_carry_the_promotions_and_the_forecast_follows_them(tmp_path):
    # Given two shops with promotions planned for the 14 days after their last sales
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    frame = write_daily(source)
    # When forecasting with the promotion flag and the categorical display as covariates
    out, err = run("--input", str(source), "--output", str(target), "--horizon", str(HORIZON), "--season", "7",
                   "--algorithms", FAST, "--covariates", "promo,display")
    # Then each shop is forecast on the dates of its empty rows, output as before
    result = pd.read_csv(target)
    assert list(result.columns) == ["unique_id", "ds", "yhat", "lo80", "hi80", "lo95", "hi95", "algorithm"]
    assert result[result.unique_id == "shop0"]["ds"].tolist() == [
        d.strftime("%Y-%m-%d") for d in pd.date_range("2024-05-30", periods=HORIZON)]
    # And the promotion days of the horizon are forecast well above the others
    planned = frame[frame.y == ""]["promo"].to_numpy() == 1
    yhat = result["yhat"].to_numpy()
    shop0 = result["unique_id"].to_numpy() == "shop0"
    assert yhat[shop0 & planned].min() > 1.3 * yhat[shop0 & ~planned].max()
    assert out.strip() == f"Forecast 2 of 2 series (0 failed) → {target}"
    assert err == ""


def test_the_global_model_competes_across_the_shops(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_daily(source, shops=3)
    out, _ = run("--input", str(source), "--output", str(target), "--horizon", str(HORIZON), "--season", "7",
                 "--algorithms", "naive,global_lightgbm", "--covariates", "promo")
    result = pd.read_csv(target)
    assert set(result["algorithm"]) == {"global_lightgbm"}
    assert len(result) == 3 * HORIZON
    assert out.strip() == f"Forecast 3 of 3 series (0 failed) → {target}"


@pytest.mark.parametrize(
    ("horizon", "rows", "message"),
    [
        (HORIZON, 10, "series shop0 has 10 row\\(s\\) after its last observed y .*--horizon is 14: give exactly 14"),
        (7, HORIZON, "series shop0 has 14 row\\(s\\) after its last observed y .*--horizon is 7: give exactly 7"),
        (HORIZON, 0, "series shop0 has 0 row\\(s\\) after its last observed y"),
    ],
)
def test_a_horizon_that_does_not_match_the_empty_rows_is_a_command_error(tmp_path, horizon, rows, message):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_daily(source, horizon_rows=rows)
    with pytest.raises(CommandError, match=message):
        run("--input", str(source), "--output", str(target), "--horizon", str(horizon), "--season", "7",
            "--algorithms", FAST, "--covariates", "promo")
    assert not target.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--covariates", "promo,price"], "the covariate column\\(s\\) price are not in the file"),
        (["--covariates", "y"], "y cannot be a covariate"),
        (["--holidays-country", "XX"], "unknown holidays country 'XX': use an ISO 3166-1 code"),
        (["--holidays-country", "DE-ZZ"], "unknown region 'ZZ' of DE; known: "),
        (["--covariates", "promo", "--algorithms", "naive,magic"], "unknown algorithm\\(s\\) magic"),
    ],
)
def test_bad_driver_options_are_command_errors_and_write_nothing(tmp_path, options, message):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_daily(source)
    with pytest.raises(CommandError, match=message):
        run("--input", str(source), "--output", str(target), "--horizon", str(HORIZON), "--season", "7", *options)
    assert not target.exists()


def test_a_series_with_a_missing_driver_value_is_reported_and_the_others_still_run(tmp_path):
    # Given shop1's promotion left empty on one planned day
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"

    def blank(frame):
        frame["promo"] = frame["promo"].astype(str)
        frame.loc[(frame.unique_id == "shop1") & (frame.ds == "2024-06-02"), "promo"] = ""
        return frame

    write_daily(source, drop=blank)
    out, err = run("--input", str(source), "--output", str(target), "--horizon", str(HORIZON), "--season", "7",
                   "--algorithms", FAST, "--covariates", "promo")
    assert err.strip() == "series shop1: driver promo is empty at ds 2024-06-02"
    assert pd.read_csv(target)["unique_id"].unique().tolist() == ["shop0"]
    assert out.strip() == f"Forecast 1 of 2 series (1 failed) → {target}"


def test_public_holidays_alone_are_a_driver_and_the_horizon_follows_the_frequency(tmp_path):
    # Given a shop that sells 100 a day and almost nothing on German public holidays, up
    # to 2024-12-20 (no rows after it)
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    dates = pd.date_range("2023-01-01", "2024-12-20", freq="D")
    holiday = {"2023-01-01", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-18", "2023-05-29",
               "2023-10-03", "2023-12-25", "2023-12-26", "2024-01-01", "2024-03-29", "2024-04-01",
               "2024-05-01", "2024-05-09", "2024-05-20", "2024-10-03"}
    y = [5 if d.strftime("%Y-%m-%d") in holiday else 100 + (i % 7) for i, d in enumerate(dates)]
    pd.DataFrame({"unique_id": "shop", "ds": dates.strftime("%Y-%m-%d"), "y": y}).to_csv(source, index=False)
    # When forecasting the next 14 days with Germany's holidays
    run("--input", str(source), "--output", str(target), "--horizon", "14", "--season", "7",
        "--algorithms", "naive,lightgbm", "--holidays-country", "DE")
    # Then Christmas Day and Boxing Day are forecast low, the days around them as usual
    result = pd.read_csv(target).set_index("ds")["yhat"]
    assert result.index.tolist()[0] == "2024-12-21" and len(result) == 14
    assert result["2024-12-25"] < 30 and result["2024-12-26"] < 30
    assert result["2024-12-23"] > 80 and result["2024-12-27"] > 80
