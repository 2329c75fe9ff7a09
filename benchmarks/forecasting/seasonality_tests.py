"""Seasonality tests compared on short series, on validation data only: which series
ETS, Theta and ARIMA should deseasonalise when there are only two or three years.

    .venv/bin/python benchmarks/forecasting/seasonality_tests.py                 # M3, 300 series
    .venv/bin/python benchmarks/forecasting/seasonality_tests.py --superstore    # first 24 months

M3: the test window (last 18 points) is dropped, the 12 points before it are the actuals
(horizon 12), the 36 points before those the training series — the length of
Superstore's training data. Superstore: trained on the first 24 months, scored on the next
12 (the test window, 2017, is never read). For every series ETS, Theta and ARIMA are fitted
twice, without seasonal adjustment and with it (classical decomposition, multiplicative
when positive), so each test only chooses between the two fitted forecasts. Printed:
mean sMAPE / MASE of each model and of the median of the three (the competition's
default winner), plus that median with seasonal naive as a fourth member (for every series,
and only for the series the test finds seasonal). About 2.5 s per
series on one core (the ARIMA grid).
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable

import numpy as np
from common import REPO
from m3_benchmark import SHORT_HORIZON, short_split
from m3_benchmark import load as load_m3
from superstore_benchmark import load as load_superstore

from forecasting.engine.baselines import NaiveForecaster, SeasonalNaiveForecaster
from forecasting.engine.metrics import mase, smape
from forecasting.engine.seasonality import acf, acf_seasonal, seasonal_dummies_pvalue
from forecasting.engine.statistical import ARIMAForecaster, ETSForecaster, ThetaForecaster

M, H = 12, SHORT_HORIZON
MODELS = {"ets": ETSForecaster, "theta": ThetaForecaster, "arima": ARIMAForecaster}


def acf_test(y: np.ndarray, tcrit: float = 1.645, diff: bool = False) -> bool:
    """The 90 % ACF test (``tcrit`` 1.645), optionally on first differences."""
    x = np.diff(y) if diff else np.asarray(y, dtype=float)
    if len(x) < 2 * M + 1:
        return False
    r = acf(x, M)
    return bool(abs(r[M]) > tcrit * np.sqrt((1 + 2 * np.sum(r[1:M] ** 2)) / len(x)))


def anova_diff_pvalue(y: np.ndarray) -> float:
    """One-way ANOVA of the month on first differences (of the logs when positive)."""
    from scipy.stats import f_oneway

    x = np.log(y) if np.all(y > 0) else np.asarray(y, dtype=float)
    d, pos = np.diff(x), np.arange(1, len(x)) % M
    groups = [d[pos == k] for k in range(M)]
    return 1.0 if min(len(g) for g in groups) < 2 else float(f_oneway(*groups).pvalue)


TESTS: dict[str, Callable[[np.ndarray], bool]] = {
    "never": lambda y: False,
    "always": lambda y: True,
    "ACF 90 % (before)": lambda y: acf_seasonal(y, M),
    "ACF 90 % on differences": lambda y: acf_test(y, diff=True),
    "ACF 80 %": lambda y: acf_test(y, tcrit=1.2816),
    "ANOVA on differences p<.05": lambda y: anova_diff_pvalue(y) < 0.05,
    "ANOVA on differences p<.10": lambda y: anova_diff_pvalue(y) < 0.10,
    "dummies F p<.01": lambda y: seasonal_dummies_pvalue(y, M) < 0.01,
    "dummies F p<.05": lambda y: seasonal_dummies_pvalue(y, M) < 0.05,
    "dummies F p<.10": lambda y: seasonal_dummies_pvalue(y, M) < 0.10,
    "ACF 90 % or dummies F p<.05 (after)": lambda y: acf_seasonal(y, M) or seasonal_dummies_pvalue(y, M) < 0.05,
}


def m3_short(path: str, sample: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    train, actual = short_split(load_m3(path, sample, seed))
    return {u: (train[u], actual[u]) for u in train}


def forecasts(train: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    mode = "multiplicative" if np.all(train > 0) else "additive"
    for name, cls in MODELS.items():
        out[f"{name}/none"] = cls(deseasonalize="none").fit(train).predict(H).mean
        out[f"{name}/seasonal"] = cls(deseasonalize=mode).fit(train).predict(H).mean
    out["seasonal_naive"] = SeasonalNaiveForecaster().fit(train).predict(H).mean
    out["naive"] = NaiveForecaster().fit(train).predict(H).mean
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--superstore", action="store_true", help="Superstore, first 24 months (else M3)")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from tqdm import tqdm

    if args.superstore:
        full = load_superstore(str(REPO.parent / "shared" / "data" / "superstore_orders.csv"))
        data = {u: (y[:24], y[24:36]) for u, y in full.items()}
    else:
        data = m3_short(str(REPO.parent / "shared" / "data" / "m3_monthly.csv"), args.sample, args.seed)
    fc = {u: forecasts(tr) for u, (tr, _) in tqdm(data.items())}

    def score(pick: Callable[[str], np.ndarray]) -> str:
        s = np.mean([smape(data[u][1], pick(u)) for u in data])
        m = np.nanmean([mase(data[u][1], pick(u), data[u][0], M) for u in data])
        return f"{s:.2f} / {m:.3f}"

    print(f"{len(data)} series; seasonal naive {score(lambda u: fc[u]['seasonal_naive'])},"
          f" naive {score(lambda u: fc[u]['naive'])}\n")
    print("| test | share seasonal | ETS | Theta | ARIMA | median of the three | median with seasonal naive "
          "| median with seasonal naive when seasonal |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, test in TESTS.items():
        seasonal = {u: test(tr) for u, (tr, _) in data.items()}

        def model(u: str, name: str, seasonal: dict = seasonal) -> np.ndarray:
            return fc[u][f"{name}/{'seasonal' if seasonal[u] else 'none'}"]

        cells = [score(lambda u, n=n: model(u, n)) for n in MODELS]
        med3 = score(lambda u: np.median([model(u, n) for n in MODELS], axis=0))
        med4 = score(lambda u: np.median([model(u, n) for n in MODELS] + [fc[u]["seasonal_naive"]], axis=0))
        med4s = score(lambda u, seasonal=seasonal: np.median(
            [model(u, n) for n in MODELS] + ([fc[u]["seasonal_naive"]] if seasonal[u] else []), axis=0))
        share = np.mean(list(seasonal.values()))
        print(f"| {label} | {share:.0%} | " + " | ".join(cells) + f" | {med3} | {med4} | {med4s} |")


if __name__ == "__main__":
    main()
