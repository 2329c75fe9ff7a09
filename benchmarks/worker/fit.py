"""The measured work, shared by the worker's task and the plain process (no Django here)."""

from __future__ import annotations

import os
import time


def fit_seconds(values: list[float], season_length: int, repeats: int) -> dict:
    """Seconds of one ARIMA fit, ``repeats`` times, after one untimed fit (imports and
    first-use costs are not the fit's), and the thread pools this process ran them with."""
    from threadpoolctl import threadpool_info

    from forecasting.engine.statistical import ARIMAForecaster

    ARIMAForecaster(season_length=season_length).fit(values)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        ARIMAForecaster(season_length=season_length).fit(values)
        seconds.append(time.perf_counter() - started)
    pools = sorted({f"{p['internal_api']}:{p['num_threads']}" for p in threadpool_info()})
    return {"seconds": seconds, "pid": os.getpid(), "thread_pools": pools}
