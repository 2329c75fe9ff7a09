"""A global gradient-boosted demand model: one LightGBM across every series of a panel
(products × warehouses, stores), what wins retail forecasting competitions.

Input: a long frame ``unique_id, ds, y`` plus numeric driver columns (promotion flags,
prices, opening days, holidays), each series on the same regular calendar. Features
of a period, all known when the forecast is made:

* the series (a categorical feature, so every series has its own level and pattern);
* the calendar of ``ds`` (day of week, of month and of year, week, month, year — those
  that vary at the panel's frequency);
* each driver at the period, ``lead_lag`` periods before and after it, and for an on/off
  driver the periods since and until it last changed (capped at ``RUN_CAP``): demand
  moves before a closing day, after a holiday, through a promotion's first days;
* the series' recent level: the mean over one year (``year_periods``) of the
  transformed target, ending ``horizon`` periods before the period — so the whole
  horizon is forecast directly, never recursively, and no lag reaches into it.

The target is ``log1p(y)`` when no value is negative (demand: multiplicative effects,
zeros allowed) and ``y`` otherwise. Intervals: split conformal per series, from the
errors of a fit that held out each series' last ``horizon`` periods (quantiles in the
target's space, so they are multiplicative for demand).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from forecasting.engine.backtest import BacktestResult, BacktestWindow, backtest_metrics
from forecasting.engine.base import BaseForecaster, Forecast, NotFittedError
from forecasting.engine.competition import FAILED, OK, SKIPPED, Candidate
from forecasting.engine.intervals import conformal_quantile

#: Periods since / until an on/off driver changed, counted up to this many.
RUN_CAP = 14
#: Calendar features that vary at each panel frequency (median spacing in days).
CALENDAR = {"daily": ("dow", "dom", "doy", "woy", "month", "year"),
            "weekly": ("woy", "month", "year"), "monthly": ("month", "year")}
YEAR_PERIODS = {"daily": 364, "weekly": 52, "monthly": 12}


class PanelInputError(ValueError):
    """The panel cannot be used (missing columns, bad values, gaps in a series)."""


def panel_frequency(ds: pd.Series) -> str:
    """``daily``, ``weekly`` or ``monthly`` from the spacing of the dates."""
    spacing = ds.sort_values().diff().dt.days.dropna()
    days = float(spacing.median()) if len(spacing) else 1.0
    return "daily" if days <= 1 else "weekly" if days <= 7 else "monthly"


def _calendar(ds: pd.Series, frequency: str) -> pd.DataFrame:
    values = {"dow": ds.dt.dayofweek, "dom": ds.dt.day, "doy": ds.dt.dayofyear,
              "woy": ds.dt.isocalendar().week.astype(int), "month": ds.dt.month, "year": ds.dt.year}
    return pd.DataFrame({f"cal_{k}": values[k].to_numpy() for k in CALENDAR[frequency]}, index=ds.index)


def _runs(values: pd.Series, groups: pd.Series, *, reverse: bool) -> np.ndarray:
    """Periods since (or until, ``reverse``) the value last changed within each series."""
    frame = pd.DataFrame({"v": values.to_numpy(), "g": groups.to_numpy()})
    if reverse:
        frame = frame.iloc[::-1]
    changed = (frame["v"] != frame.groupby("g")["v"].shift()).cumsum()
    counts = frame.groupby(changed).cumcount().clip(upper=RUN_CAP)
    return counts.sort_index().to_numpy(dtype=float)


class GlobalGBMForecaster:
    """LightGBM on the features above, fitted on every series of a panel at once.

    ``fit(panel, drivers)`` learns; ``predict(future)`` takes the rows that follow each
    series (``unique_id, ds`` and the same drivers) and returns ``{unique_id: Forecast}``.
    """

    name: ClassVar[str] = "global_lightgbm"

    def __init__(
        self,
        *,
        horizon: int,
        n_estimators: int = 1000,
        learning_rate: float = 0.05,
        num_leaves: int = 63,
        lead_lag: int = 2,
        random_state: int = 0,
    ) -> None:
        self.horizon = horizon
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.lead_lag = lead_lag
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("horizon", "n_estimators", "learning_rate", "num_leaves",
                                              "lead_lag", "random_state")}

    # --- features ----------------------------------------------------------------------

    def _features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Features of every row of ``frame`` (sorted by series and date, history first)."""
        groups = frame["unique_id"]
        by_series = frame.groupby("unique_id", sort=False)
        parts = [pd.DataFrame({"series": pd.Categorical(groups.map(self.codes_), categories=range(len(self.codes_)))},
                              index=frame.index), _calendar(frame["ds"], self.frequency_)]
        drivers = {}
        for name in self.drivers_:
            drivers[f"x_{name}"] = frame[name].to_numpy(dtype=float)
            for k in range(1, self.lead_lag + 1):
                drivers[f"x_{name}_lag{k}"] = by_series[name].shift(k).to_numpy(dtype=float)
                drivers[f"x_{name}_lead{k}"] = by_series[name].shift(-k).to_numpy(dtype=float)
            if name in self.on_off_:
                drivers[f"x_{name}_since"] = _runs(frame[name], groups, reverse=False)
                drivers[f"x_{name}_until"] = _runs(frame[name], groups, reverse=True)
        target = pd.Series(self._transform(frame["y"].to_numpy(dtype=float)), index=frame.index)
        by_target = target.groupby(groups.to_numpy())
        drivers["level_year"] = by_target.transform(
            lambda s: s.shift(self.horizon).rolling(self.year_, min_periods=1).mean()).to_numpy(dtype=float)
        # the level of the periods that sold at all (a closed day or a stockout is not demand)
        drivers["level_year_sold"] = target.where(frame["y"] > 0).groupby(groups.to_numpy()).transform(
            lambda s: s.shift(self.horizon).rolling(self.year_, min_periods=1).mean()).to_numpy(dtype=float)
        parts.append(pd.DataFrame(drivers, index=frame.index))
        return pd.concat(parts, axis=1)

    def _transform(self, y: np.ndarray) -> np.ndarray:
        return np.log1p(y) if self.log_target_ else y

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(np.expm1(z), 0.0) if self.log_target_ else z

    # --- fit / predict -----------------------------------------------------------------

    def _booster(self, kind: str) -> Any:
        from lightgbm import LGBMClassifier, LGBMRegressor

        # whether anything sells is an easier question than how much: a quarter of the trees
        trees = self.n_estimators if kind == "size" else max(50, self.n_estimators // 4)
        return (LGBMRegressor if kind == "size" else LGBMClassifier)(
            n_estimators=trees, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            subsample=0.8, subsample_freq=1, colsample_bytree=0.8, min_child_samples=10,
            random_state=self.random_state, n_jobs=1, verbose=-1, deterministic=True, force_row_wise=True,
        )

    def _train(self, frame: pd.DataFrame) -> tuple[Any, Any]:
        """The size model (on the periods that sold, for demand with zeros) and the
        any-sale classifier (None when every period sold or the target is not demand)."""
        features = self._features(frame)
        y = frame["y"].to_numpy(dtype=float)
        known = np.isfinite(y)
        hurdle = self.log_target_ and bool((y[known] == 0).any()) and bool((y[known] > 0).any())
        sold = known & (y > 0) if hurdle else known
        size = self._booster("size").fit(features[sold], self._transform(y[sold]))
        if not hurdle or len(np.unique(y[known] > 0)) < 2:
            return size, None
        return size, self._booster("sale").fit(features[known], (y[known] > 0).astype(int))

    def _expected(self, models: tuple[Any, Any], features: pd.DataFrame) -> np.ndarray:
        """The forecast in the target's space: P(any sale) × size for demand with zeros."""
        size, sale = models
        z = size.predict(features)
        if sale is None:
            return z
        return self._transform(sale.predict_proba(features)[:, 1] * self._inverse(z))

    def fit(self, panel: pd.DataFrame, drivers: Sequence[str] = (), *, intervals: bool = True) -> Self:
        """Learn from every row of ``panel`` (``unique_id, ds, y`` and ``drivers``);
        ``intervals=False`` skips the held-out fit (point forecasts only)."""
        frame = check_panel(panel, drivers, target=True)
        if int(self.horizon) < 1:
            raise PanelInputError(f"the horizon must be positive; got {self.horizon}")
        self.drivers_ = list(drivers)
        self.on_off_ = {d for d in self.drivers_ if frame[d].nunique() == 2}
        self.codes_ = {uid: i for i, uid in enumerate(sorted(frame["unique_id"].unique()))}
        self.frequency_ = panel_frequency(frame.loc[frame["unique_id"] == frame["unique_id"].iloc[0], "ds"])
        self.year_ = YEAR_PERIODS[self.frequency_]
        self.log_target_ = bool((frame["y"] >= 0).all())
        self.scores_: dict[Any, np.ndarray] = {}
        if intervals:
            self.scores_ = self._holdout_scores(frame)
        self.models_ = self._train(frame)
        self.history_ = frame
        return self

    def _holdout_scores(self, frame: pd.DataFrame) -> dict[Any, np.ndarray]:
        """Absolute errors (target space) of a fit without each series' last horizon."""
        held = frame.groupby("unique_id").cumcount(ascending=False) < self.horizon
        hidden = frame.assign(y=frame["y"].where(~held))
        pred = self._expected(self._train(hidden), self._features(hidden)[held])
        errors = np.abs(self._transform(frame.loc[held, "y"].to_numpy(dtype=float)) - pred)
        return {uid: errs.to_numpy() for uid, errs in
                pd.Series(errors, index=frame.loc[held, "unique_id"].to_numpy()).groupby(level=0)}

    def predict(self, future: pd.DataFrame) -> dict[Any, Forecast]:
        """Forecasts for the rows of ``future`` (at most ``horizon`` per series, right
        after its last observed period), by series."""
        if not hasattr(self, "models_"):
            raise NotFittedError("this global_lightgbm model is not fitted yet; call fit(panel) first")
        rows = check_panel(future, self.drivers_, target=False)
        unknown = sorted(set(rows["unique_id"]) - set(self.codes_), key=str)
        if unknown:
            raise PanelInputError(f"series {', '.join(map(str, unknown[:3]))} were not in the training panel")
        counts = rows.groupby("unique_id").size()
        if (counts > self.horizon).any():
            raise PanelInputError(f"series {counts[counts > self.horizon].index[0]} has "
                                  f"{counts.max()} future rows; the model forecasts {self.horizon}")
        combined = pd.concat([self.history_, rows.assign(y=np.nan)], ignore_index=True)
        combined = combined.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        wanted = combined["y"].isna().to_numpy()
        z = self._expected(self.models_, self._features(combined)[wanted])
        out: dict[Any, Forecast] = {}
        by_series = pd.Series(np.arange(len(z)), index=combined.loc[wanted, "unique_id"].to_numpy())
        for uid, positions in by_series.groupby(level=0):
            mean_z = z[positions.to_numpy()]
            scores = self.scores_.get(uid, np.array([]))
            r80, r95 = conformal_quantile(scores, 0.80), conformal_quantile(scores, 0.95)
            out[uid] = Forecast.from_bounds(*(self._inverse(mean_z + r) for r in (0, -r80, r80, -r95, r95)))
        return out


def check_panel(panel: pd.DataFrame, drivers: Sequence[str], *, target: bool) -> pd.DataFrame:
    """The panel sorted by series and date with parsed dates and float drivers, or
    :class:`PanelInputError` naming the column and the first bad row."""
    needed = ["unique_id", "ds", *(["y"] if target else []), *drivers]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise PanelInputError(f"the panel is missing the column(s) {', '.join(missing)}")
    frame = panel[needed].copy()
    frame["ds"] = pd.to_datetime(frame["ds"])
    for column in [*(["y"] if target else []), *drivers]:
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        if not np.isfinite(values).all():
            bad = frame.loc[~np.isfinite(values), ["unique_id", "ds"]].iloc[0]
            raise PanelInputError(f"{column} is missing or not a number for series {bad['unique_id']} "
                                  f"at {bad['ds'].date()}")
        frame[column] = values
    if frame.duplicated(["unique_id", "ds"]).any():
        bad = frame.loc[frame.duplicated(["unique_id", "ds"]), ["unique_id", "ds"]].iloc[0]
        raise PanelInputError(f"series {bad['unique_id']} has the date {bad['ds'].date()} twice")
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


class PanelSlice(BaseForecaster):
    """One series' forecast from the global model, as a fitted forecaster of the
    competition (it cannot be refit alone: the global model learns from the panel)."""

    name: ClassVar[str] = GlobalGBMForecaster.name
    supports_covariates: ClassVar[bool] = True
    native_intervals: ClassVar[bool] = False

    def __init__(self, *, season_length: int = 12, random_state: int = 0, clip_outliers: bool = False) -> None:
        self.season_length = season_length
        self.random_state = random_state
        self.clip_outliers = clip_outliers

    @classmethod
    def of(cls, forecast: Forecast, *, n_obs: int, n_covariates: int, season_length: int) -> PanelSlice:
        piece = cls(season_length=season_length)
        piece.forecast_, piece.n_obs_, piece.n_covariates_ = forecast, n_obs, n_covariates
        piece.aic_ = piece.bic_ = None
        piece.n_clipped_, piece.is_fitted_ = 0, True
        return piece

    def _fit(self, y: np.ndarray, X: np.ndarray | None = None) -> None:
        raise ValueError("the global model learns from every series of a panel at once; "
                         "fit GlobalGBMForecaster on the panel instead")

    def _predict(self, horizon: int, X: np.ndarray | None = None) -> Forecast:
        if horizon > len(self.forecast_):
            raise ValueError(f"the global model forecast {len(self.forecast_)} periods; {horizon} asked")
        f = self.forecast_
        return Forecast.from_bounds(f.mean[:horizon], f.lo80[:horizon], f.hi80[:horizon],
                                    f.lo95[:horizon], f.hi95[:horizon])


def _window(observed: pd.DataFrame, origin_back: int, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Training rows before each series' origin (its length − ``origin_back``), the
    ``horizon`` rows after it, and each series' origin (series without room are left out)."""
    position = observed.groupby("unique_id").cumcount()
    length = observed.groupby("unique_id")["y"].transform("size")
    origin = length - origin_back
    usable = origin >= 2
    train = observed[usable & (position < origin)]
    ahead = observed[usable & (position >= origin) & (position < origin + horizon)]
    origins = dict(zip(observed.loc[usable, "unique_id"], origin[usable], strict=False))
    return train, ahead, origins


def panel_candidates(
    observed: pd.DataFrame, future: pd.DataFrame, drivers: Sequence[str], *, horizon: int,
    season_length: int, n_windows: int = 3, step: int | None = None, params: dict[str, Any] | None = None,
) -> dict[Any, Candidate]:
    """The global model as one competition candidate per series: backtested on the
    competition's windows (each series' last ``horizon`` periods, then ``step`` earlier,
    ``n_windows`` times; one fit of the panel per window), then refit on every row and
    forecast for ``future``."""
    step = horizon if step is None else int(step)
    observed = check_panel(observed, drivers, target=True)
    model = GlobalGBMForecaster(horizon=horizon, **(params or {}))
    name = GlobalGBMForecaster.name
    values = {uid: rows["y"].to_numpy(dtype=float) for uid, rows in observed.groupby("unique_id", sort=False)}
    windows: dict[Any, list[BacktestWindow]] = {uid: [] for uid in values}
    started = time.perf_counter()
    try:
        for k in reversed(range(n_windows)):
            train, ahead, origins = _window(observed, horizon + k * step, horizon)
            if ahead.empty:
                continue
            forecasts = GlobalGBMForecaster(**model.get_params()).fit(train, drivers, intervals=False).predict(ahead)
            for uid, forecast in forecasts.items():
                o = int(origins[uid])
                windows[uid].append(BacktestWindow(o, forecast, values[uid][o : o + horizon].copy()))
        backtest_seconds = time.perf_counter() - started
        final = model.fit(observed, drivers).predict(future)
    except (ValueError, ArithmeticError) as exc:  # recorded on every series, as a failed candidate
        return {uid: Candidate(name, FAILED, f"{type(exc).__name__}: {exc}") for uid in values}
    share = 1 / max(len(values), 1)
    out: dict[Any, Candidate] = {}
    for uid, y in values.items():
        if not windows[uid] or uid not in final:
            out[uid] = Candidate(name, SKIPPED, f"{name} needs {horizon + 2} points for a backtest window; "
                                                f"the series has {len(y)}.")
            continue
        result = BacktestResult(horizon, windows[uid], backtest_metrics(y, windows[uid], season_length))
        fitted = PanelSlice.of(final[uid], n_obs=len(y), n_covariates=len(drivers), season_length=season_length)
        out[uid] = Candidate(name, OK, metrics=dict(result.metrics) | {"aic": None, "bic": None},
                             fit_seconds=(time.perf_counter() - started - backtest_seconds) * share,
                             backtest_seconds=backtest_seconds * share, params=model.get_params(),
                             fitted=fitted, backtest=result)
    return out
