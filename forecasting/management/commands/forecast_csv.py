"""``manage.py forecast_csv``: batch forecasts for every series of a long CSV."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecasting.engine.batch import BatchInputError, forecast_csv


class Command(BaseCommand):
    help = (
        "Forecast every series of a long CSV (unique_id,ds,y) with the algorithm competition and "
        "write unique_id,ds,yhat,lo80,hi80,lo95,hi95,algorithm. With --covariates or "
        "--holidays-country the rows of a series after its last observed y (y empty) are the horizon "
        "and carry the drivers known in advance."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="long CSV with columns unique_id,ds,y")
        parser.add_argument("--output", required=True, help="where to write the forecasts (CSV)")
        parser.add_argument("--horizon", type=int, required=True, help="periods to forecast")
        parser.add_argument("--season", type=int, required=True,
                            help="season length: 12 monthly, 7 daily, 52 weekly, 1 none")
        parser.add_argument("--algorithms", default="",
                            help="comma-separated algorithms (default: all registered, and with drivers "
                                 "global_lightgbm: one model across every series of the file)")
        parser.add_argument("--jobs", type=int, default=None,
                            help="worker processes per competition (default: ML_COMPETITION_JOBS, else the cores but one)")
        parser.add_argument("--group", default=None, metavar="UNIQUE_ID",
                            help="the series the others are parts of (e.g. total): they borrow its seasonal pattern")
        parser.add_argument("--covariates", default="", metavar="COL1,COL2,…",
                            help="columns of the input that drive demand (numeric, or categorical: one "
                                 "0/1 column per value), known for the horizon's rows too")
        parser.add_argument("--holidays-country", default=None, metavar="CC",
                            help="public holidays of this country (ISO code, e.g. DE; a region as DE-BY) "
                                 "as a driver, from the holidays package")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        algorithms = [a.strip() for a in options["algorithms"].split(",") if a.strip()] or None
        covariates = [c.strip() for c in options["covariates"].split(",") if c.strip()]

        def report(uid: str, message: str) -> None:
            self.stderr.write(f"series {uid}: {message}")

        try:
            result = forecast_csv(
                options["input"], options["output"], horizon=options["horizon"],
                season_length=options["season"], algorithms=algorithms, n_jobs=options["jobs"],
                on_error=report, progress=not options["no_progress"], group_id=options["group"],
                covariates=covariates, holidays_country=options["holidays_country"],
            )
        except BatchInputError as exc:
            raise CommandError(str(exc)) from exc
        if result.n_series and result.n_ok == 0:
            raise CommandError(f"none of the {result.n_series} series could be forecast")
        self.stdout.write(
            f"Forecast {result.n_ok} of {result.n_series} series "
            f"({len(result.errors)} failed) → {options['output']}"
        )
