"""Which models make up the competition's default winner (the anchor combination), on
validation data only: the classical Theta method and the Dynamic Optimised Theta Model
inside the median of ETS, Theta and ARIMA, and seasonal naive as a fifth opinion.

    .venv/bin/python benchmarks/forecasting/anchor_members.py            # all three data sets
    .venv/bin/python benchmarks/forecasting/anchor_members.py --sample 300

Data sets (the M3 test window — the last 18 points — is never read):
- **M3 validation**: every series without its last 18 points; the 18 before them are the
  actuals, everything before those trains (horizon 18);
- **M3 short**: the 12 points before the test window are the actuals and only the 36 before
  them train (horizon 12) — a small business's three years;
- **Superstore validation**: the 21 monthly Sales series trained on the first 24 months and
  scored on months 25–36 (2017 is never read).

Each model is fitted once per series with the engine's defaults (ETS, ARIMA, seasonal naive,
the classic ``theta`` and ``dynamic_theta``); the combinations are formed offline from those
forecasts. Printed: sMAPE / MASE of each model and each combination. The
forecasts are kept in ``out/anchor_members.pkl``.
"""

from __future__ import annotations

import argparse
import pickle
import warnings
from collections.abc import Callable

import numpy as np
from common import OUT, REPO
from m3_benchmark import HORIZON, SHORT_HORIZON, short_split
from m3_benchmark import load as load_m3
from superstore_benchmark import load as load_superstore

from forecasting.engine.baselines import SeasonalNaiveForecaster
from forecasting.engine.metrics import mase, smape
from forecasting.engine.seasonality import is_seasonal
from forecasting.engine.statistical import (
    ARIMAForecaster,
    DynamicThetaForecaster,
    ETSForecaster,
    ThetaForecaster,
)

M = 12
MODELS: dict[str, Callable[[], object]] = {
    "ets": ETSForecaster,
    "theta classic": ThetaForecaster,
    "theta dynamic": DynamicThetaForecaster,
    "arima": ARIMAForecaster,
    "seasonal naive": SeasonalNaiveForecaster,
}


def _median(*names: str) -> Callable[[dict, np.ndarray], np.ndarray]:
    return lambda fc, train: np.median([fc[n] for n in names], axis=0)


def _median_snaive_when_seasonal(*names: str) -> Callable[[dict, np.ndarray], np.ndarray]:
    def pick(fc: dict, train: np.ndarray) -> np.ndarray:
        extra = ["seasonal naive"] if is_seasonal(train, M) else []
        return np.median([fc[n] for n in (*names, *extra)], axis=0)
    return pick


COMBINATIONS = {
    "median of ets, theta classic, arima (before)": _median("ets", "theta classic", "arima"),
    "median of ets, theta dynamic, arima": _median("ets", "theta dynamic", "arima"),
    "median of ets, both thetas, arima": _median("ets", "theta classic", "theta dynamic", "arima"),
    "median of ets, theta dynamic, arima + seasonal naive when seasonal":
        _median_snaive_when_seasonal("ets", "theta dynamic", "arima"),
    "median of ets, both thetas, arima + seasonal naive when seasonal":
        _median_snaive_when_seasonal("ets", "theta classic", "theta dynamic", "arima"),
}


def fit_all(train: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    warnings.filterwarnings("ignore")
    return {name: build().fit(train).predict(horizon).mean for name, build in MODELS.items()}


def datasets(sample: int, seed: int) -> dict[str, tuple[dict, dict, int]]:
    full = load_m3(str(REPO.parent / "shared" / "data" / "m3_monthly.csv"), sample, seed)
    validation_train = {u: y[: -2 * HORIZON] for u, y in full.items()}
    validation_actual = {u: y[-2 * HORIZON : -HORIZON] for u, y in full.items()}
    short_train, short_actual = short_split(full)
    store = load_superstore(str(REPO.parent / "shared" / "data" / "superstore_orders.csv"))
    return {
        "M3 validation (h 18)": (validation_train, validation_actual, HORIZON),
        "M3 short (36 → 12)": (short_train, short_actual, SHORT_HORIZON),
        "Superstore validation (24 → 12)": ({u: y[:24] for u, y in store.items()},
                                            {u: y[24:36] for u, y in store.items()}, 12),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=0, help="M3 series to sample (0 = all 1,428)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    from joblib import Parallel, delayed
    from tqdm import tqdm

    results = {}
    for label, (train, actual, horizon) in datasets(args.sample, args.seed).items():
        ids = list(train)
        fitted = Parallel(n_jobs=args.jobs, backend="loky")(
            delayed(fit_all)(train[u], horizon) for u in tqdm(ids, desc=label))
        results[label] = {"train": train, "actual": actual, "forecasts": dict(zip(ids, fitted, strict=True))}

    OUT.mkdir(exist_ok=True)
    with open(OUT / "anchor_members.pkl", "wb") as fh:
        pickle.dump(results, fh)

    rows = list(MODELS) + list(COMBINATIONS)
    labels = list(results)
    print("| method | " + " | ".join(f"{label}: sMAPE / MASE" for label in labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for row in rows:
        cells = []
        for label in labels:
            r = results[label]
            pick = (lambda fc, tr, row=row: fc[row]) if row in MODELS else COMBINATIONS[row]
            s = np.mean([smape(r["actual"][u], pick(fc, r["train"][u])) for u, fc in r["forecasts"].items()])
            m = np.nanmean([mase(r["actual"][u], pick(fc, r["train"][u]), r["train"][u], M)
                            for u, fc in r["forecasts"].items()])
            cells.append(f"{s:.2f} / {m:.3f}")
        print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
