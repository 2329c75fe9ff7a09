"""``manage.py forecast_csv`` (no database needed)."""

import io

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from tests.forecasting.engine.conftest import monthly_series, retail_aggregate, retail_part


def write_long(path, series: dict[str, list]) -> None:
    rows = []
    for uid, values in series.items():
        dates = pd.date_range("2021-01-01", periods=len(values), freq="MS")
        rows += [{"unique_id": uid, "ds": d.strftime("%Y-%m-%d"), "y": v} for d, v in zip(dates, values, strict=True)]
    pd.DataFrame(rows).to_csv(path, index=False)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("forecast_csv", *args, "--no-progress", "--jobs", "1", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_good_file_gets_a_forecast_per_series_with_future_dates(tmp_path):
    # Given two monthly series of 30 points (Jan 2021 – Jun 2023)
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_long(source, {"shop": list(monthly_series(30)), "cafe": list(monthly_series(30, seed=3))})
    # When forecasting 3 months with two algorithms
    out, err = run("--input", str(source), "--output", str(target), "--horizon", "3",
                   "--season", "12", "--algorithms", "naive,theta")
    # Then both series get Jul–Sep 2023 with ordered intervals and the winning algorithm
    frame = pd.read_csv(target)
    assert list(frame.columns) == ["unique_id", "ds", "yhat", "lo80", "hi80", "lo95", "hi95", "algorithm"]
    assert frame["unique_id"].tolist() == ["cafe"] * 3 + ["shop"] * 3
    assert frame["ds"].tolist()[:3] == ["2023-07-01", "2023-08-01", "2023-09-01"]
    assert set(frame["algorithm"]) <= {"naive", "theta", "combination"}
    assert (frame["lo95"] <= frame["lo80"]).all() and (frame["lo80"] <= frame["yhat"]).all()
    assert (frame["yhat"] <= frame["hi80"]).all() and (frame["hi80"] <= frame["hi95"]).all()
    assert out.strip() == f"Forecast 2 of 2 series (0 failed) → {target}"
    assert err == ""


def test_missing_columns_is_a_command_error_and_writes_nothing(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("id,date,value\na,2021-01-01,1\n")
    with pytest.raises(CommandError, match="missing the column\\(s\\) unique_id, ds, y"):
        run("--input", str(source), "--output", str(target), "--horizon", "3", "--season", "12")
    assert not target.exists()


def test_one_bad_series_is_reported_and_the_others_still_run(tmp_path):
    # Given a good series, one with a non-numeric value and one too short for anything
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    bad = list(monthly_series(30))
    bad[4] = "n/a"
    write_long(source, {"good": list(monthly_series(30)), "bad": bad, "tiny": [1.0, 2.0, 3.0]})
    # When forecasting with algorithms that need at least 10 points
    out, err = run("--input", str(source), "--output", str(target), "--horizon", "2",
                   "--season", "12", "--algorithms", "theta,ets")
    # Then the good series is forecast and each bad one explained on stderr
    frame = pd.read_csv(target)
    assert frame["unique_id"].tolist() == ["good", "good"]
    assert "series bad: 1 missing or non-numeric y value(s) (ds 2021-05-01)" in err
    assert "series tiny: no algorithm could be trained (theta: theta needs at least 10 points; " \
           "the series has 3.; ets: ets needs at least 10 points; the series has 3.)" in err
    assert out.strip() == f"Forecast 1 of 3 series (2 failed) → {target}"


def test_unknown_algorithm_is_a_command_error(tmp_path):
    source = tmp_path / "in.csv"
    write_long(source, {"a": list(monthly_series(20))})
    with pytest.raises(CommandError, match="unknown algorithm\\(s\\) magic"):
        run("--input", str(source), "--output", str(tmp_path / "o.csv"), "--horizon", "2",
            "--season", "12", "--algorithms", "magic")


STATISTICAL = "ets,theta,dynamic_theta"  # ARIMA left out for speed: the engine tests cover it


def test_with_a_group_the_parts_borrow_its_season(tmp_path):
    # Given a seasonal total and a part too noisy to show the season (Jan 2021 – Dec 2023)
    source = tmp_path / "in.csv"
    write_long(source, {"total": list(retail_aggregate()), "part": list(retail_part())})
    # When forecasting 2024 without and with --group total
    run("--input", str(source), "--output", str(tmp_path / "alone.csv"), "--horizon", "12",
        "--season", "12", "--algorithms", STATISTICAL)
    out, err = run("--input", str(source), "--output", str(tmp_path / "grouped.csv"), "--horizon", "12",
                   "--season", "12", "--algorithms", STATISTICAL, "--group", "total")
    alone, grouped = pd.read_csv(tmp_path / "alone.csv"), pd.read_csv(tmp_path / "grouped.csv")
    # Then alone the part is forecast flat, grouped it peaks in December 2024 and dips in February
    part_alone = alone[alone.unique_id == "part"].set_index("ds")["yhat"]
    part_grouped = grouped[grouped.unique_id == "part"].set_index("ds")["yhat"]
    assert part_alone["2024-12-01"] / part_alone["2024-02-01"] == pytest.approx(1.0, abs=0.05)
    assert (part_grouped.idxmax(), part_grouped.idxmin()) == ("2024-12-01", "2024-02-01")
    assert part_grouped["2024-12-01"] / part_grouped["2024-02-01"] == pytest.approx(1.94, abs=0.03)
    # And the total itself is forecast the same way with or without the option
    pd.testing.assert_frame_equal(alone[alone.unique_id == "total"], grouped[grouped.unique_id == "total"])
    assert out.strip() == f"Forecast 2 of 2 series (0 failed) → {tmp_path / 'grouped.csv'}"
    assert err == ""


def test_a_group_that_is_not_in_the_file_is_a_command_error_and_writes_nothing(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_long(source, {"total": list(retail_aggregate()), "part": list(retail_part())})
    with pytest.raises(CommandError, match="the group series 'everything' is not in the file"):
        run("--input", str(source), "--output", str(target), "--horizon", "3", "--season", "12",
            "--group", "everything")
    assert not target.exists()


def test_a_part_with_dates_the_group_lacks_is_reported_and_the_others_still_run(tmp_path):
    # Given a total that ends in June 2023 and a part that goes on to December
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_long(source, {"total": list(retail_aggregate(30)), "part": list(retail_part())})
    # When forecasting with the total as group
    out, err = run("--input", str(source), "--output", str(target), "--horizon", "3", "--season", "12",
                   "--algorithms", STATISTICAL, "--group", "total")
    # Then the part is reported with the first missing date and the total is still forecast
    assert err.strip() == "series part: the group series 'total' has no value for ds 2023-07-01"
    assert pd.read_csv(target)["unique_id"].unique().tolist() == ["total"]
    assert out.strip() == f"Forecast 1 of 2 series (1 failed) → {target}"
