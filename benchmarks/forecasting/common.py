"""Shared helpers of the forecasting benchmarks: running our competition on many series
in parallel, the statsforecast peer, scoring and writing RESULTS.md sections."""

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

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
OUT = Path(__file__).resolve().parent / "out"
PEERS = ("AutoETS", "DynamicOptimizedTheta", "SeasonalNaive")


def run_one(uid: str, train: np.ndarray, horizon: int, season_length: int) -> dict[str, Any]:
    """Our competition on one series (sequential inside: the series run in parallel)."""
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    result = run_competition(train, horizon=horizon, season_length=season_length, n_jobs=1)
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


def run_ours(series: dict[str, np.ndarray], horizon: int, season_length: int, jobs: int) -> list[dict]:
    """The competition on every series, ``jobs`` series at a time."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    items = list(series.items())
    if jobs == 1:
        return [run_one(uid, y, horizon, season_length) for uid, y in tqdm(items, desc="ours")]
    return list(
        Parallel(n_jobs=jobs, backend="loky", return_as="generator")(
            delayed(run_one)(uid, y, horizon, season_length)
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
