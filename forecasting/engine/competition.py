"""The competition: backtest every algorithm on the same rolling origins, refit each on
the full series, rank them, and optionally combine the best ones.

Ranking rule: lowest backtest MAE, RMSE breaks ties (then the name, for determinism).
An algorithm with too little data is recorded as ``skipped`` with the reason; one that
raises is recorded as ``failed`` with the error — nothing is dropped silently.

Combination and the winner: when at least two of the ``anchor`` algorithms (by default
ETS, the classic Theta, the dynamic optimised Theta and ARIMA) were trained, their
``anchor_method`` combination (the median) enters as the candidate ``combination`` and is
the default winner: a single algorithm wins only if its backtest MAE is below
``1 − anchor_margin`` (half, by default) of the combination's. Backtests of a few windows
are noisy, and on the M3 validation window picking the lowest backtest error per series
was clearly worse than this fixed robust combination (``benchmarks/forecasting/README.md``,
which also shows why both Thetas are members). Given known-future drivers (``X``), a
candidate that uses them needs only ``driver_margin``: it knows what the combination
cannot (``benchmarks/inventory/README.md``). Without the anchor algorithms the
``combine_top_k`` best candidates are combined instead (each method of
``combine_methods``) and the best combination wins only if its backtest is better by
the ranking rule. Either way the combination is scored on the backtest windows its
members share, and its fitted forecaster wraps the members already refit on the full
series, so what is deployed is what was backtested.

Parallel candidates: with ``n_jobs`` above 1 the backtest windows and refits run in that
many worker processes (joblib's loky backend: fresh interpreters, safe for PyTorch and
Prophet/cmdstanpy, unlike ``fork``), each with one BLAS/OpenMP thread. ``n_jobs=None``
reads the environment variable ``ML_COMPETITION_JOBS`` and otherwise uses one process
per core but one (at least 1: on two cores, one after the other in this process), so a
competition leaves a core to the web process and the other workers. Inside a daemonic
process — a Celery prefork pool process, a multiprocessing pool worker — which may not
start processes of its own, the candidates run **one after the other in this process**
(not in threads: the LSTM and Prophet seed process-wide random generators, so threads
could not give the sequential run's results); there the worker's own concurrency is
what runs trainings side by side. Whatever the route, every fit runs with one
BLAS/OpenMP thread (:func:`~forecasting.engine.parallel.one_thread`) and the results are identical: the same
windows, the same seeds, the same thread count.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecasting.engine.backtest import (
    BacktestResult,
    BacktestWindow,
    backtest_metrics,
    window_origins,
)
from forecasting.engine.base import (
    BaseForecaster,
    SeriesTooShortError,
    validate_covariates,
    validate_series,
)
from forecasting.engine.combination import ANCHOR, Combination, combine_forecasts
from forecasting.engine.metrics import json_number
from forecasting.engine.parallel import default_jobs, in_daemon_process, one_thread
from forecasting.engine.registry import ALGORITHMS, COMBINATION, build_forecaster

OK, SKIPPED, FAILED = "ok", "skipped", "failed"
DEFAULT_ALGORITHMS: tuple[str, ...] = tuple(ALGORITHMS)
#: Rough relative cost, used to start the slowest tasks first.
_COST = {"lstm": 2, "sarima": 2, "arima": 2, "prophet": 1.5, "ets": 1, "xgboost": 0.5, "lightgbm": 0.5,
         "theta": 0.2, "dynamic_theta": 0.2, "naive": 0.05, "seasonal_naive": 0.05,
         "linear_regression": 0.1}
#: Which heavy library each algorithm imports, and that import's rough cost in seconds
#: (dynamic Theta needs only scipy, which statsmodels imports anyway).
_FAMILY = {"arima": "statsmodels", "sarima": "statsmodels", "ets": "statsmodels",
           "theta": "statsmodels", "dynamic_theta": "statsmodels", "lstm": "torch",
           "prophet": "prophet", "xgboost": "boosting",
           "lightgbm": "boosting", "naive": "numpy", "seasonal_naive": "numpy",
           "linear_regression": "numpy"}
_IMPORT_COST = {"statsmodels": 2.5, "torch": 2.5, "prophet": 1.5, "boosting": 2.0}
#: The margin a single algorithm must beat the default winner (the median of
#: :data:`~forecasting.engine.combination.ANCHOR`) by, decided on the M3 validation window
#: (see the module docstring).
ANCHOR_MARGIN = 0.5
#: The margin a candidate that uses the drivers given (``X``) must beat the anchor by:
#: it knows the promotions and closing days ahead, which the anchor cannot
#: (decided on the Rossmann validation window, ``benchmarks/inventory/README.md``).
DRIVER_MARGIN = 0.1


class _Pickled:
    """A fitted forecaster handed back by a worker process as pickle bytes."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def load(self) -> BaseForecaster:
        return pickle.loads(self.blob)


class _LazyCombination:
    """The combination of candidates' fitted forecasters, built on first use."""

    def __init__(self, members: list[Candidate], method: str, season_length: int, random_state: int) -> None:
        self.members, self.method = members, method
        self.season_length, self.random_state = season_length, random_state

    def load(self) -> BaseForecaster:
        return Combination.from_fitted([c.forecaster for c in self.members], method=self.method,
                                       season_length=self.season_length, random_state=self.random_state)


@dataclass
class Candidate:
    """One algorithm's result in a competition."""

    name: str
    status: str
    reason: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    fit_seconds: float = 0.0
    backtest_seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    #: The fitted model as it came back: a worker process hands it back pickled, and a
    #: combination is built from its members' models on first use (see ``forecaster``).
    fitted: BaseForecaster | _Pickled | _LazyCombination | None = field(default=None, repr=False)
    backtest: BacktestResult | None = None

    @property
    def forecaster(self) -> BaseForecaster | None:
        """The fitted forecaster (None unless status is ok), loaded on first access:
        unpickling imports the model's library (statsmodels, torch, Prophet, the boosting
        libraries — seconds in a fresh process), which a caller that uses only the winner
        never pays for the others."""
        if isinstance(self.fitted, _Pickled | _LazyCombination):
            self.fitted = self.fitted.load()
        return self.fitted

    @property
    def sort_key(self) -> tuple[float, float, str]:
        mae = self.metrics.get("mae")
        rmse = self.metrics.get("rmse")
        return (np.inf if mae is None else mae, np.inf if rmse is None else rmse, self.name)

    def backtest_dict(self, dates: Sequence[Any] | None = None) -> dict[str, Any]:
        """Backtest windows for storage/plots; with ``dates`` (one per training point)
        each window also lists the dates it forecast."""
        if self.backtest is None:
            return {"horizon": None, "windows": []}
        out = self.backtest.to_dict()
        if dates is not None:
            for window in out["windows"]:
                span = dates[window["origin"] : window["origin"] + len(window["actual"])]
                window["dates"] = [d.isoformat() if hasattr(d, "isoformat") else str(d) for d in span]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no fitted model, no window arrays)."""
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "metrics": {k: (v if isinstance(v, int) else json_number(v)) for k, v in self.metrics.items()},
            "fit_seconds": round(self.fit_seconds, 4),
            "backtest_seconds": round(self.backtest_seconds, 4),
            "params": _jsonable(self.params),
            "backtest_origins": self.backtest.origins if self.backtest else [],
        }


@dataclass
class CompetitionResult:
    """Every candidate, the winner (``None`` if nothing could be trained) and the setup."""

    candidates: list[Candidate]
    winner: Candidate | None
    horizon: int
    season_length: int
    n_obs: int
    n_windows: int
    step: int
    seconds: float
    #: How many processes ran the candidates (1: one after the other in this process).
    n_jobs: int = 1

    def ranking(self) -> list[Candidate]:
        """Candidates with status ok: the winner first, then the others by the ranking rule."""
        ranked = sorted((c for c in self.candidates if c.status == OK), key=lambda c: c.sort_key)
        if self.winner is None:
            return ranked
        return [self.winner] + [c for c in ranked if c is not self.winner]

    def get(self, name: str) -> Candidate:
        for candidate in self.candidates:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "winner": self.winner.name if self.winner else None,
            "horizon": self.horizon,
            "season_length": self.season_length,
            "n_obs": self.n_obs,
            "n_windows": self.n_windows,
            "step": self.step,
            "seconds": round(self.seconds, 4),
            "ranking": [c.name for c in self.ranking()],
            "candidates": [c.to_dict() for c in self.candidates],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


# --- tasks (run in worker processes) ----------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    name: str
    cls: type[BaseForecaster]
    params: dict[str, Any]

    def build(self) -> BaseForecaster:
        return self.cls(**self.params)


def _run_task(spec: _Spec, y: np.ndarray, X: np.ndarray | None, origin: int | None, horizon: int,
              serialise: bool = False) -> dict[str, Any]:
    """Fit on ``y[:origin]`` (and its covariates) and forecast with the window's
    covariates (a backtest window), or fit on all of ``y`` (``origin`` None) and return
    the fitted forecaster — as pickle bytes when ``serialise`` (in a worker process).
    Never raises."""
    started = time.perf_counter()
    try:
        model = spec.build()
        if origin is None:
            model.fit(y, X)
            seconds = time.perf_counter() - started
            fitted: Any = _Pickled(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) if serialise else model
            return {"ok": True, "forecaster": fitted, "aic": model.aic_, "bic": model.bic_,
                    "seconds": seconds}
        model.fit(y[:origin], None if X is None else X[:origin])
        forecast = model.predict(horizon, None if X is None else X[origin : origin + horizon])
        window = BacktestWindow(origin, forecast, y[origin : origin + horizon].copy())
        return {"ok": True, "window": window, "seconds": time.perf_counter() - started}
    except Exception as exc:  # recorded as a failed candidate, with the message
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - started}


def _run_bundle(bundle: list[tuple[_Spec, int | None]], y: np.ndarray, X: np.ndarray | None,
                horizon: int, serialise: bool = False) -> list[dict[str, Any]]:
    return [_run_task(spec, y, X, origin, horizon, serialise) for spec, origin in bundle]


def _bundles(tasks: list[tuple[_Spec, int | None]], workers: int) -> list[list[int]]:
    """Split task indices into at most ``workers`` bundles, keeping each library family
    in one bundle (a worker then imports only the libraries it uses — imports dominate a
    cold start) and balancing the estimated cost (longest-processing-time first)."""
    families: dict[str, list[int]] = {}
    for i, (spec, _) in enumerate(tasks):
        families.setdefault(_FAMILY.get(spec.name, spec.name), []).append(i)
    if len(families) <= workers:  # enough workers: one algorithm per bundle
        families = {}
        for i, (spec, _) in enumerate(tasks):
            families.setdefault(spec.name, []).append(i)

    def cost(indices: list[int]) -> float:
        family = _FAMILY.get(tasks[indices[0]][0].name, "")
        return _IMPORT_COST.get(family, 0.0) + sum(_COST.get(tasks[i][0].name, 1) for i in indices)

    bins: list[tuple[float, list[int]]] = [(0.0, []) for _ in range(min(workers, len(families)))]
    for indices in sorted(families.values(), key=cost, reverse=True):
        load, members = min(bins, key=lambda b: b[0])
        bins.remove((load, members))
        bins.append((load + cost(indices), members + indices))
    return [members for _, members in bins if members]


def _execute(tasks: list[tuple[_Spec, int | None]], y: np.ndarray, X: np.ndarray | None,
             horizon: int, n_jobs: int) -> tuple[list[dict[str, Any]], int]:
    """Every task's output, and the number of processes that ran them."""
    if n_jobs == 1 or len(tasks) <= 1 or in_daemon_process():
        with one_thread():
            return _run_bundle(tasks, y, X, horizon), 1
    from joblib import Parallel, delayed, parallel_config

    bundles = _bundles(tasks, n_jobs)
    # The workers start with one BLAS/OpenMP thread each (set in their environment).
    with parallel_config(backend="loky", inner_max_num_threads=1):
        results = Parallel(n_jobs=len(bundles))(
            delayed(_run_bundle)([tasks[i] for i in bundle], y, X, horizon, True) for bundle in bundles
        )
    outputs: list[dict[str, Any]] = [{}] * len(tasks)
    for bundle, result in zip(bundles, results, strict=True):
        for i, out in zip(bundle, result, strict=True):
            outputs[i] = out
    return outputs, len(bundles)


def _resolve(algorithms: Iterable[str | type[BaseForecaster]] | None) -> list[tuple[str, type[BaseForecaster]]]:
    resolved = []
    for item in DEFAULT_ALGORITHMS if algorithms is None else algorithms:
        if isinstance(item, str):
            if item not in ALGORITHMS:
                raise ValueError(f"unknown algorithm {item!r}; known: {', '.join(sorted(ALGORITHMS))}")
            resolved.append((item, ALGORITHMS[item]))
        elif isinstance(item, type) and issubclass(item, BaseForecaster):
            resolved.append((item.name, item))
        else:
            raise ValueError(f"algorithms must be registry names or forecaster classes; got {item!r}")
    names = [name for name, _ in resolved]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate algorithms in {names}")
    return resolved


def _spec(name: str, cls: type[BaseForecaster], season_length: int, random_state: int,
          clip_outliers: bool, params: dict[str, Any] | None = None,
          group_series: tuple[float, ...] | None = None) -> _Spec:
    common = {"season_length": season_length, "random_state": random_state,
              "clip_outliers": clip_outliers, "group_series": group_series, **(params or {})}
    accepted = set(cls._param_names())
    model = cls(**{k: v for k, v in common.items() if k in accepted})
    return _Spec(name, cls, model.get_params())


# --- the competition --------------------------------------------------------------------


def run_competition(
    y: Any,
    *,
    horizon: int,
    season_length: int,
    algorithms: Iterable[str | type[BaseForecaster]] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    n_windows: int = 3,
    step: int | None = None,
    n_jobs: int | None = None,
    clip_outliers: bool = False,
    random_state: int = 0,
    combine: bool = True,
    combine_top_k: int = 3,
    combine_methods: Sequence[str] = ("mean", "median"),
    anchor: Sequence[str] | None = ANCHOR,
    anchor_method: str = "median",
    anchor_margin: float = ANCHOR_MARGIN,
    driver_margin: float = DRIVER_MARGIN,
    group_series: Any = None,
    X: Any = None,
    extra: Sequence[Candidate] = (),
) -> CompetitionResult:
    """Backtest, refit and rank ``algorithms`` (default: every registered one) on ``y``.

    ``n_jobs``: worker processes (1 → in this process; None or below 1 →
    :func:`~forecasting.engine.parallel.default_jobs`: ``ML_COMPETITION_JOBS``, else the cores but one); in a daemonic
    process (a Celery prefork worker) always in this process, one candidate after the other.
    ``group_series``: the aggregate ``y`` belongs to, over the same periods (all expenses
    for one category's expenses); the algorithms that accept it borrow its seasonal
    pattern (:func:`~forecasting.engine.seasonality.group_seasonal_indices`).
    ``X``: known-future covariates, one row per point of ``y``: each window trains on its
    rows and forecasts with the window's; the algorithms without ``supports_covariates``
    ignore them. ``extra``: candidates backtested elsewhere on this competition's windows
    (the global model across a panel of series), ranked with the others.
    ``anchor``: algorithms whose ``anchor_method`` combination is the default winner
    (None or empty: the lowest backtest error wins); ``combine=False`` disables every
    combination, the anchor included. With ``X``, a candidate that uses drivers beats the
    anchor by ``driver_margin`` instead of ``anchor_margin``.
    """
    started = time.perf_counter()
    series = validate_series(y)
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer; got {horizon!r}")
    horizon, n = int(horizon), len(series)
    covariates = None if X is None else validate_covariates(X, n)
    step_ = horizon if step is None else int(step)
    resolved = _resolve(algorithms)
    params = params or {}
    group: tuple[float, ...] | None = None
    if group_series is not None:
        try:
            checked = validate_series(group_series)
        except ValueError as exc:
            raise ValueError(f"the group series is not usable: {exc}") from exc
        if len(checked) != n:
            raise ValueError(f"the group series must cover the same {n} periods as the series; it has {len(checked)}")
        group = tuple(float(v) for v in checked)

    candidates: dict[str, Candidate] = {}
    tasks: list[tuple[_Spec, int | None]] = []
    origins_of: dict[str, list[int]] = {}
    for name, cls in resolved:
        needed = cls.min_points(season_length)
        if n < needed:
            candidates[name] = Candidate(
                name, SKIPPED, f"{name} needs at least {needed} points; the series has {n}.")
            continue
        origins = window_origins(n, horizon, n_windows=n_windows, step=step_, min_train=needed)
        if not origins:
            candidates[name] = Candidate(
                name, SKIPPED,
                f"{name} needs {needed} training points plus a {horizon}-point backtest window "
                f"({needed + horizon} points); the series has {n}.")
            continue
        spec = _spec(name, cls, season_length, random_state, clip_outliers, params.get(name), group)
        candidates[name] = Candidate(name, OK, params=spec.params)
        origins_of[name] = origins
        tasks += [(spec, o) for o in origins] + [(spec, None)]

    workers = default_jobs() if n_jobs is None or n_jobs < 1 else int(n_jobs)
    outputs, processes = _execute(tasks, series, covariates, horizon, workers)

    collected: dict[str, dict[str, Any]] = {name: {"windows": [], "errors": []} for name in origins_of}
    for (spec, origin), out in zip(tasks, outputs, strict=True):
        bucket = collected[spec.name]
        if not out["ok"]:
            where = "the full series" if origin is None else f"the backtest window at {origin}"
            bucket["errors"].append(f"fitting on {where}: {out['error']}")
        elif origin is None:
            bucket["forecaster"] = out["forecaster"]
            bucket["aic"], bucket["bic"] = out["aic"], out["bic"]
            bucket["fit_seconds"] = out["seconds"]
        else:
            bucket["windows"].append(out["window"])
            bucket["backtest_seconds"] = bucket.get("backtest_seconds", 0.0) + out["seconds"]

    for name, bucket in collected.items():
        candidate = candidates[name]
        candidate.fit_seconds = bucket.get("fit_seconds", 0.0)
        candidate.backtest_seconds = bucket.get("backtest_seconds", 0.0)
        if bucket["errors"]:
            candidate.status, candidate.reason = FAILED, bucket["errors"][0]
            continue
        windows = sorted(bucket["windows"], key=lambda w: w.origin)
        candidate.backtest = BacktestResult(horizon, windows, backtest_metrics(series, windows, season_length))
        candidate.fitted = bucket["forecaster"]
        candidate.metrics = dict(candidate.backtest.metrics)
        candidate.metrics["aic"] = bucket["aic"]
        candidate.metrics["bic"] = bucket["bic"]

    clash = sorted({c.name for c in extra} & set(candidates))
    if clash:
        raise ValueError(f"extra candidates named like registered algorithms: {clash}")
    ordered = [candidates[name] for name, _ in resolved] + list(extra)
    anchored = None
    if combine and anchor:
        anchored = _anchor_combination(ordered, series, horizon, season_length, random_state,
                                       list(anchor), anchor_method, anchor_margin)
    if anchored is not None:
        ordered.append(anchored)
    elif combine:
        combo = _best_combination(ordered, series, horizon, season_length, random_state,
                                  combine_top_k, combine_methods)
        if combo is not None:
            ordered.append(combo)
    ranked = sorted((c for c in ordered if c.status == OK), key=lambda c: c.sort_key)
    winner = ranked[0] if ranked else None
    if anchored is not None:
        driven = set() if covariates is None else (
            {name for name, cls in resolved if cls.supports_covariates} | {c.name for c in extra})
        winner = _anchor_winner(ranked, anchored, {name: driver_margin for name in driven}, anchor_margin)
    return CompetitionResult(
        candidates=ordered, winner=winner, horizon=horizon,
        season_length=season_length, n_obs=n, n_windows=n_windows, step=step_,
        seconds=time.perf_counter() - started, n_jobs=processes,
    )


def _anchor_winner(ranked: list[Candidate], anchored: Candidate, margins: dict[str, float],
                   anchor_margin: float) -> Candidate:
    """The anchor combination, unless a candidate's backtest MAE is below ``1 − margin``
    of the combination's (its margin in ``margins``, else ``anchor_margin``): the best
    ranked such candidate."""
    anchor_mae = anchored.metrics.get("mae")
    for candidate in ranked:
        mae = candidate.metrics.get("mae")
        if candidate is anchored or mae is None or anchor_mae is None:
            continue
        if mae < (1.0 - margins.get(candidate.name, anchor_margin)) * anchor_mae:
            return candidate
    return anchored


def _combination_candidate(
    members: list[Candidate], y: np.ndarray, horizon: int, season_length: int,
    random_state: int, method: str, reason: str,
) -> Candidate | None:
    """The ``method`` combination of ``members``, scored on the backtest windows they all
    share (None when they share none)."""
    shared = set.intersection(*(set(c.backtest.origins) for c in members))
    if not shared:
        return None
    windows = []
    for origin in sorted(shared):
        parts = [next(w for w in c.backtest.windows if w.origin == origin) for c in members]
        windows.append(BacktestWindow(origin, combine_forecasts([w.forecast for w in parts], method),
                                      parts[0].actual))
    result = BacktestResult(horizon, windows, backtest_metrics(y, windows, season_length))
    skip = {"season_length", "random_state"}
    params = Combination(
        members=[c.name for c in members], method=method,
        member_params={c.name: {k: v for k, v in c.params.items() if k not in skip} for c in members},
        season_length=season_length, random_state=random_state,
    ).get_params()
    return Candidate(
        COMBINATION, OK, reason=reason,
        metrics=dict(result.metrics) | {"aic": None, "bic": None},
        fit_seconds=sum(c.fit_seconds for c in members),
        backtest_seconds=sum(c.backtest_seconds for c in members),
        params=params, fitted=_LazyCombination(members, method, season_length, random_state),
        backtest=result,
    )


def _anchor_combination(
    candidates: list[Candidate], y: np.ndarray, horizon: int, season_length: int,
    random_state: int, anchor: list[str], method: str, margin: float,
) -> Candidate | None:
    """The default winner: the ``method`` combination of the anchor algorithms that were
    trained (at least two), or None."""
    by_name = {c.name: c for c in candidates if c.status == OK}
    members = [by_name[name] for name in anchor if name in by_name]
    if len(members) < 2:
        return None
    names = ", ".join(c.name for c in members)
    return _combination_candidate(
        members, y, horizon, season_length, random_state, method,
        f"{method} of {names} (the default: a single algorithm wins only with a backtest MAE"
        f" below {1 - margin:.0%} of this combination's)",
    )


def _best_combination(
    candidates: list[Candidate], y: np.ndarray, horizon: int, season_length: int,
    random_state: int, top_k: int, methods: Sequence[str],
) -> Candidate | None:
    """The best mean/median combination of the ``top_k`` ranked candidates, scored on
    the backtest windows they all share."""
    ranked = sorted((c for c in candidates if c.status == OK), key=lambda c: c.sort_key)[:top_k]
    if len(ranked) < 2 or not methods:
        return None
    best: Candidate | None = None
    for method in methods:
        candidate = _combination_candidate(ranked, y, horizon, season_length, random_state, method,
                                           f"{method} of {', '.join(c.name for c in ranked)}")
        if candidate is None:
            return None
        if best is None or candidate.sort_key < best.sort_key:
            best = candidate
    return best


def backtest_score(
    y: Any,
    *,
    algorithm: str,
    params: dict[str, Any] | None = None,
    horizon: int,
    season_length: int,
    n_windows: int = 3,
    step: int | None = None,
    X: Any = None,
) -> float | None:
    """Backtest MAE of one algorithm (or ``combination``) with stored ``params`` on the
    competition's windows (with the competition's covariates ``X``), or ``None`` when it
    cannot be backtested on this series."""
    from forecasting.engine.backtest import backtest

    series = validate_series(y)
    try:
        model = build_forecaster(algorithm, params, season_length=season_length)
        result = backtest(model, series, horizon=horizon, n_windows=n_windows, step=step,
                          season_length=season_length, X=X)
    except (SeriesTooShortError, KeyError):
        return None
    except Exception:  # an algorithm that cannot fit the new data cannot be compared
        return None
    return result.metrics.get("mae") if result.windows else None
