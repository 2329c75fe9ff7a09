"""Prophet (additive trend + Fourier seasonalities) with its native simulated intervals.

The engine works on plain arrays: the calendar is laid out from the season length (12 →
month starts, 52 → weeks, 7 → days) from ``start`` — the series' real first date when the
caller knows it, else a synthetic origin. With a real start, ``holidays_country`` (ISO
code, e.g. ``DE``) adds that country's public holidays from the ``holidays`` package as
Prophet holidays. Known-future covariates ``X`` enter as extra regressors (one per
column). Yearly seasonality is enabled only with at least two years of data; weekly
seasonality only for daily series.
Pickling stores Prophet's own JSON serialisation, never the Stan backend.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np

from forecasting.engine.base import BaseForecaster, Forecast

#: Synthetic calendar per season length: (pandas frequency, periods per year).
CALENDARS: dict[int, tuple[str, float]] = {12: ("MS", 12), 52: ("W-MON", 52.18), 7: ("D", 365.25),
                                            4: ("QS", 4)}
ORIGIN = "2000-01-01"


def _silence() -> None:
    """Keep Prophet and cmdstanpy quiet (cmdstanpy installs an INFO handler lazily)."""
    logging.getLogger("prophet.plot").disabled = True
    logging.getLogger("prophet").setLevel(logging.WARNING)
    try:
        from cmdstanpy.utils import get_logger
    except ImportError:  # pragma: no cover - prophet always installs cmdstanpy
        return
    get_logger().setLevel(logging.ERROR)


class ProphetForecaster(BaseForecaster):
    """Facebook Prophet on a synthetic calendar built from the season length."""

    name: ClassVar[str] = "prophet"
    monthly_min_points: ClassVar[int] = 36
    supports_covariates: ClassVar[bool] = True

    def __init__(
        self,
        *,
        season_length: int = 12,
        changepoint_prior_scale: float = 0.05,
        seasonality_mode: str = "additive",
        uncertainty_samples: int = 300,
        random_state: int = 0,
        clip_outliers: bool = False,
        start: str | None = None,
        holidays_country: str | None = None,
    ) -> None:
        self.season_length = season_length
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seasonality_mode = seasonality_mode
        self.uncertainty_samples = uncertainty_samples
        self.random_state = random_state
        self.clip_outliers = clip_outliers
        self.start = start
        self.holidays_country = holidays_country

    def _calendar(self) -> tuple[str, float]:
        return CALENDARS.get(int(self.season_length), ("D", 365.25))

    @staticmethod
    def _regressors(frame: Any, X: np.ndarray | None) -> Any:
        for k in range(0 if X is None else X.shape[1]):
            frame[f"x{k}"] = X[:, k]
        return frame

    def _fit(self, y: np.ndarray, X: np.ndarray | None = None) -> None:
        import pandas as pd

        _silence()
        from prophet import Prophet

        if self.holidays_country and not self.start:
            raise ValueError("prophet needs the series' first date (start) to place the holidays of "
                             f"{self.holidays_country}")
        freq, per_year = self._calendar()
        dates = pd.date_range(self.start or ORIGIN, periods=len(y), freq=freq)
        self.freq_ = freq
        self.last_date_ = dates[-1]
        self.yearly_ = len(y) >= 2 * per_year
        model = Prophet(
            yearly_seasonality=self.yearly_,
            weekly_seasonality=freq == "D" and len(y) >= 14,
            daily_seasonality=False,
            changepoint_prior_scale=self.changepoint_prior_scale,
            seasonality_mode=self.seasonality_mode,
            uncertainty_samples=self.uncertainty_samples,
        )
        if self.holidays_country:
            model.add_country_holidays(country_name=self.holidays_country)
        for k in range(0 if X is None else X.shape[1]):
            # a driver that never changes in the training data carries nothing to learn
            model.add_regressor(f"x{k}", standardize=bool(np.ptp(X[:, k]) > 0))
        frame = self._regressors(pd.DataFrame({"ds": dates, "y": y}), X)
        model.fit(frame, seed=int(self.random_state))
        self.model_ = model

    def _predict(self, horizon: int, X: np.ndarray | None = None) -> Forecast:
        import pandas as pd

        model = self.model_
        future = self._regressors(pd.DataFrame(
            {"ds": pd.date_range(self.last_date_, periods=horizon + 1, freq=self.freq_)[1:]}
        ), X)
        samples_n = model.uncertainty_samples
        state = np.random.get_state()
        try:
            model.uncertainty_samples = 0
            mean = model.predict(future)["yhat"].to_numpy(dtype=float)
            model.uncertainty_samples = samples_n
            np.random.seed(int(self.random_state))
            samples = np.asarray(model.predictive_samples(future)["yhat"], dtype=float)
        finally:
            model.uncertainty_samples = samples_n
            np.random.set_state(state)
        return Forecast.from_samples(mean, samples, axis=1)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if "model_" in state:
            from prophet.serialize import model_to_json

            state["model_"] = model_to_json(state["model_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("model_"), str):
            _silence()
            from prophet.serialize import model_from_json

            state = state | {"model_": model_from_json(state["model_"])}
        self.__dict__.update(state)
