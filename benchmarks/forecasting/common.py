"""Shared helpers of the forecasting benchmarks: the data, running our competition on
many series in parallel, the statsforecast peer, scoring and writing the generated
sections of README.md."""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from forecasting.engine.competition import run_competition  # noqa: E402
from forecasting.engine.metrics import mase, smape  # noqa: E402

#: The generated sections (between ``<!-- key:start/end -->`` markers) live in the README.
RESULTS = Path(__file__).resolve().parent / "README.md"
OUT = Path(__file__).resolve().parent / "out"
PEERS = ("AutoETS", "DynamicOptimizedTheta", "SeasonalNaive")


def superstore_frame(path: str | Path) -> pd.DataFrame:
    """The orders with their month (``Order Date`` is ``M/D/YYYY``)."""
    frame = pd.read_csv(path)
    frame["month"] = pd.to_datetime(frame["Order Date"], format="%m/%d/%Y").dt.to_period("M")
    return frame


def superstore_monthly(path: str | Path, column: str = "Sales") -> np.ndarray:
    """Monthly totals of ``column`` over all orders (48 months, 2014-01..2017-12)."""
    frame = superstore_frame(path)
    months = pd.period_range(frame["month"].min(), frame["month"].max(), freq="M")
    return frame.groupby("month")[column].sum().reindex(months, fill_value=0.0).to_numpy(dtype=float)


def acf_test_only() -> None:
    """Reproduce the engine as it was before the seasonal-dummies F-test (a level of 0
    never rejects, leaving the 90 % ACF tests alone): the "before" runs of the README."""
    from forecasting.engine import seasonality

    seasonality.SEASONAL_DUMMIES_ALPHA = 0.0


def run_one(uid: str, train: np.ndarray, horizon: int, season_length: int,
            acf_only: bool = False, group: np.ndarray | None = None) -> dict[str, Any]:
    """Our competition on one series (sequential inside: the series run in parallel);
    ``group``: the aggregate the series belongs to (its seasonal pattern is borrowed)."""
    warnings.filterwarnings("ignore")
    if acf_only:
        acf_test_only()
    started = time.perf_counter()
    result = run_competition(train, horizon=horizon, season_length=season_length, n_jobs=1,
                             group_series=group)
    seconds = time.perf_counter() - started
    forecasts, backtests, fit_seconds = {}, {}, {}
    for c in result.candidates:
        if c.status != "ok":
            continue
        forecasts[c.name] = c.forecaster.predict(horizon).mean
        fit_seconds[c.name] = c.fit_seconds
        backtests[c.name] = {
            "origins": c.backtest.origins,
            "means": [w.forecast.mean for w in c.backtest.windows],
            "actuals": [w.actual for w in c.backtest.windows],
            "mae": c.metrics.get("mae"),
            "rmse": c.metrics.get("rmse"),
        }
    return {
        "id": uid,
        "winner": result.winner.name if result.winner else None,
        "winner_reason": result.winner.reason if result.winner else "",
        "forecasts": forecasts,
        "backtests": backtests,
        "fit_seconds": fit_seconds,
        "statuses": {c.name: c.status for c in result.candidates},
        "seconds": seconds,
    }


def run_ours(series: dict[str, np.ndarray], horizon: int, season_length: int, jobs: int,
             acf_only: bool = False, groups: dict[str, np.ndarray] | None = None) -> list[dict]:
    """The competition on every series, ``jobs`` series at a time (``acf_only``: the
    engine before the seasonal-dummies test, see :func:`acf_test_only`; ``groups``: the
    aggregate of each series that has one, by id)."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    groups = groups or {}
    items = list(series.items())
    if jobs == 1:
        return [run_one(uid, y, horizon, season_length, acf_only, groups.get(uid))
                for uid, y in tqdm(items, desc="ours")]
    return list(
        Parallel(n_jobs=jobs, backend="loky", return_as="generator")(
            delayed(run_one)(uid, y, horizon, season_length, acf_only, groups.get(uid))
            for uid, y in tqdm(items, desc="ours")
        )
    )


def run_peer(series: dict[str, np.ndarray], horizon: int, season_length: int) -> tuple[dict, dict]:
    """statsforecast's AutoETS, DynamicOptimizedTheta and SeasonalNaive, timed per model."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, DynamicOptimizedTheta, SeasonalNaive

    frame = pd.concat(
        [pd.DataFrame({"unique_id": uid, "ds": np.arange(len(y)), "y": y}) for uid, y in series.items()]
    )
    models = {
        "AutoETS": AutoETS(season_length=season_length),
        "DynamicOptimizedTheta": DynamicOptimizedTheta(season_length=season_length),
        "SeasonalNaive": SeasonalNaive(season_length=season_length),
    }
    forecasts: dict[str, dict[str, np.ndarray]] = {}
    seconds: dict[str, float] = {}
    for name, model in models.items():
        # warm the numba JIT on one series so compile time is not charged per series
        first = next(iter(series))
        StatsForecast(models=[model], freq=1, n_jobs=1).forecast(
            df=frame[frame.unique_id == first], h=horizon)
        started = time.perf_counter()
        out = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=frame, h=horizon)
        seconds[name] = (time.perf_counter() - started) / len(series)
        out = out.reset_index() if "unique_id" not in out.columns else out
        col = [c for c in out.columns if c not in ("unique_id", "ds")][0]
        forecasts[name] = {uid: g[col].to_numpy() for uid, g in out.groupby("unique_id")}
    return forecasts, seconds


def score(actual: dict[str, np.ndarray], train: dict[str, np.ndarray],
          forecasts: dict[str, np.ndarray], season_length: int) -> tuple[float, float, int]:
    """Mean sMAPE and MASE over the series that have a forecast, and their count."""
    s, m = [], []
    for uid, fc in forecasts.items():
        s.append(smape(actual[uid], fc))
        m.append(mase(actual[uid], fc, train[uid], season_length))
    return float(np.mean(s)), float(np.nanmean(m)), len(s)


def result_rows(ours: list[dict], peer_forecasts: dict[str, dict[str, np.ndarray]],
                peer_seconds: dict[str, float], actual: dict[str, np.ndarray],
                train: dict[str, np.ndarray], season_length: int) -> tuple[list[tuple], float]:
    """Table rows (selection, each of our algorithms, each peer) and the selection's sMAPE."""
    rows = []
    selection = {r["id"]: r["forecasts"][r["winner"]] for r in ours if r["winner"]}
    s, m, k = score(actual, train, selection, season_length)
    rows.append(("**our selection** (run_competition winner)", s, m,
                 float(np.mean([r["seconds"] for r in ours])), k))
    names = sorted({name for r in ours for name in r["forecasts"]})
    for name in names:
        fc = {r["id"]: r["forecasts"][name] for r in ours if name in r["forecasts"]}
        secs = [r["fit_seconds"][name] for r in ours if name in r["fit_seconds"]]
        s_, m_, k_ = score(actual, train, fc, season_length)
        label = "combination (when built)" if name == "combination" else name
        rows.append((f"ours: {label}", s_, m_, float(np.mean(secs)), k_))
    for name in PEERS:
        s_, m_, k_ = score(actual, train, peer_forecasts[name], season_length)
        rows.append((f"statsforecast {name}", s_, m_, peer_seconds[name], k_))
    return rows, s


def winner_counts(ours: list[dict]) -> str:
    """``name count`` of the winners, most frequent first."""
    counts = pd.Series([r["winner"] for r in ours]).value_counts()
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def table(rows: list[tuple[str, float, float, float, int]], total: int) -> str:
    """Markdown table: method, sMAPE, MASE, seconds per series, series scored."""
    lines = ["| method | sMAPE | MASE | seconds / series | series |", "|---|---:|---:|---:|---:|"]
    for name, s, m, sec, count in rows:
        note = "" if count == total else f" (of {total})"
        lines.append(f"| {name} | {s:.2f} | {m:.3f} | {sec:.3f} | {count}{note} |")
    return "\n".join(lines)


def write_section(key: str, text: str) -> None:
    """Replace (or append) the section between ``<!-- key:start -->`` and ``<!-- key:end -->``."""
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    body = RESULTS.read_text() if RESULTS.exists() else "# Forecasting benchmark results\n\n"
    block = f"{start}\n{text.strip()}\n{end}"
    if start in body and end in body:
        before, rest = body.split(start, 1)
        _, after = rest.split(end, 1)
        body = before + block + after
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(body)


def machine() -> str:
    return f"{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}"
