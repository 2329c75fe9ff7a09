"""What the admin's inspect page of a model version shows, gathered read-only: the
artifact's integrity, the metrics formatted with their units, the parameters as rows,
and the chart data (training history, backtest windows, forecast with 80/95 % bands).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from forecasting.registry.artifacts import (
    ArtifactIntegrityError,
    artifact_load,
    artifact_read_verified,
)
from forecasting.registry.models import Deployment, ModelKind, ModelVersion
from forecasting.series.frequency import Frequency

#: Lists of parameters up to this long are shown whole on the inspect page.
PARAMS_LIST_SHOWN = 12


NO_VALUE = "—"
NBSP = "\u00a0"

#: Metric names in the order the page lists them, with their labels; others follow by name.
METRIC_LABELS = {
    "mae": "MAE",
    "rmse": "RMSE",
    "mape": "MAPE",
    "smape": "sMAPE",
    "mase": "MASE",
    "r2": "R²",
    "n_windows": "Backtest windows",
    "aic": "AIC",
    "bic": "BIC",
    "accuracy": "Accuracy",
    "baseline_accuracy": "Baseline accuracy",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "macro_f1": "Macro F1",
    "weighted_f1": "Weighted F1",
    "ece": "Calibration error (ECE)",
    "mean_confidence": "Mean confidence",
    "roc_auc": "ROC AUC",
    "average_precision": "Average precision",
    "flagged_share": "Flagged share",
    "threshold": "Threshold",
    "score_p50": "Score median",
    "score_p99": "Score 99th percentile",
    "n": "Rows",
    "positives": "Positive rows",
    "holdout_rows": "Hold-out rows",
}
#: Errors in the series' own unit.
SCALE_METRICS = frozenset({"mae", "rmse"})
#: Already in percent (the engine's MAPE and sMAPE).
PERCENT_METRICS = frozenset({"mape", "smape"})
#: Shares between 0 and 1, shown as percentages.
SHARE_METRICS = frozenset({
    "accuracy", "baseline_accuracy", "precision", "recall", "f1", "macro_f1", "weighted_f1", "ece",
    "mean_confidence", "average_precision", "flagged_share",
})
COUNT_METRICS = frozenset({"n", "n_windows", "positives", "holdout_rows"})


@dataclass(frozen=True)
class SeriesUnit:
    """What a forecaster's values are measured in: money in the workspace's currency or stock units."""

    name: str
    decimals: int


@dataclass(frozen=True)
class MetricRow:
    name: str
    label: str
    value: str


@dataclass(frozen=True)
class CandidateRow:
    """One algorithm of the training job that made the version."""

    name: str
    status: str
    mae: str
    rmse: str
    smape: str
    seconds: str
    reason: str


@dataclass
class Inspection:
    """Everything the inspect page shows of one version."""

    version: ModelVersion
    integrity: str
    unit: SeriesUnit | None
    metrics: list[MetricRow]
    params: list[tuple[str, str]]
    chart: dict[str, Any] | None
    per_category: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reliability: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[CandidateRow] = field(default_factory=list)
    deployments: QuerySet | list = field(default_factory=list)
    snapshots: QuerySet | list = field(default_factory=list)

    @property
    def integrity_ok(self) -> bool:
        return self.integrity == "verified"


# --- formatting -----------------------------------------------------------------------------


def number_significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, without exponent, thousands separated."""
    if value == 0:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if rounded != 0:  # rounding may add a digit (9.996 → 10.0)
        decimals = digits - 1 - math.floor(math.log10(abs(rounded)))
        rounded = round(value, decimals)
    return f"{rounded:,.{max(decimals, 0)}f}"


def metric_format(*, name: str, value: Any, unit: SeriesUnit | None = None) -> str:
    """One metric for reading: MAE and RMSE rounded in the series' unit (``1,234.57 EUR``,
    ``12.3 units``), MAPE and sMAPE and the classifiers' shares as percentages, counts
    whole, everything else (MASE, R², AIC, AUC …) to 3 significant digits; "—" when
    undefined."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return NO_VALUE
    if name in COUNT_METRICS:
        return f"{round(value):,}"
    if name in SCALE_METRICS and unit is not None:
        return f"{value:,.{unit.decimals}f}{NBSP}{unit.name}"
    if name in PERCENT_METRICS:
        return f"{value:,.1f}{NBSP}%"
    if name in SHARE_METRICS:
        return f"{100 * value:,.1f}{NBSP}%"
    return number_significant(float(value))


def metric_rows(*, metrics: Mapping[str, Any], unit: SeriesUnit | None) -> list[MetricRow]:
    """The version's metrics in the page's order (known ones first, then by name), formatted;
    the per-category breakdown has its own table."""
    order = {name: i for i, name in enumerate(METRIC_LABELS)}
    names = sorted((n for n in metrics if n != "per_category"), key=lambda n: (order.get(n, len(order)), n))
    return [MetricRow(n, METRIC_LABELS.get(n, n), metric_format(name=n, value=metrics[n], unit=unit)) for n in names]


def model_version_unit(*, version: ModelVersion) -> SeriesUnit | None:
    """The unit of a forecaster's series: inventory targets count stock units, revenue and
    expense targets the workspace's currency; classifiers have none."""
    if version.kind != ModelKind.FORECASTER:
        return None
    if version.target.partition(":")[0] == "inventory":
        return SeriesUnit("units", 1)
    return SeriesUnit(version.workspace.currency, 2)


# --- parameters -----------------------------------------------------------------------------


def params_summary(params: Any) -> Any:
    """Parameters for reading: a long list of numbers (the group series a model
    borrowed its season from) shows as its length, at any depth (a combination's
    members)."""
    if isinstance(params, dict):
        return {key: params_summary(value) for key, value in params.items()}
    if isinstance(params, list) and len(params) > PARAMS_LIST_SHOWN:
        return f"[{len(params)} values]"
    if isinstance(params, list):
        return [params_summary(value) for value in params]
    return params


def _param_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def params_rows(params: Any) -> list[tuple[str, str]]:
    """Parameters as (name, value) rows: nested dicts flattened to dotted names sorted at
    each level (``member_params.ets.damped``), a short list of plain values joined by
    commas, a list holding dicts by index (``windows[0].size``), a long list as its length."""
    if not params:
        return []
    rows: list[tuple[str, str]] = []

    def walk(name: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key in sorted(value, key=str):
                walk(f"{name}.{key}" if name else str(key), value[key])
        elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
            for i, item in enumerate(value):
                walk(f"{name}[{i}]", item)
        elif isinstance(value, list | dict):
            rows.append((name, ", ".join(_param_value(item) for item in value) if value else NO_VALUE))
        else:
            rows.append((name, _param_value(value)))

    walk("", params_summary(params))
    return rows


# --- chart ----------------------------------------------------------------------------------


def _history_dates(version: ModelVersion, n: int, frequency: Frequency) -> list[str]:
    stored = (version.training_data or {}).get("dates") or []
    if len(stored) == n:
        return [str(d) for d in stored]
    if version.training_start is not None and n:
        return [d.isoformat() for d in (version.training_start, *frequency.dates_after(version.training_start, n - 1))]
    return [str(i + 1) for i in range(n)]


def model_version_chart(
    *, version: ModelVersion, forecast: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Chart data on one axis of labels: the training history, every backtest window's
    forecast at the points it forecast (its ``origin`` indexes the training series), and
    the forecast after the history with its bands, starting at the last actual value.
    Series are lists as long as ``labels``, ``None`` where they have no point."""
    frequency = Frequency.of(version.frequency or (version.training_data or {}).get("frequency"))
    history = [float(v) for v in (version.training_data or {}).get("values") or []]
    n_hist = len(history)
    labels = _history_dates(version, n_hist, frequency)
    forecast_dates: list[str] = []
    if forecast is not None and version.training_end is not None:
        forecast_dates = [d.isoformat() for d in frequency.dates_after(version.training_end, len(forecast["mean"]))]
    n_all = n_hist + len(forecast_dates)

    def at(offset: int, values: list[float]) -> list[float | None]:
        line: list[float | None] = [None] * n_all
        for i, value in enumerate(values):
            if 0 <= offset + i < n_all:
                line[offset + i] = float(value)
        return line

    def continued(values: list[float]) -> list[float | None]:
        line = at(n_hist, values)
        if n_hist:
            line[n_hist - 1] = history[-1]
        return line

    unit = model_version_unit(version=version)
    chart: dict[str, Any] = {
        "unit": unit.name if unit else "",
        "decimals": unit.decimals if unit else 2,
        "labels": [*labels, *forecast_dates],
        "history": at(0, history),
        "backtest": [
            {"origin": labels[w["origin"]] if 0 <= w["origin"] < n_hist else str(w["origin"]),
             "mean": at(w["origin"], w["mean"])}
            for w in (version.backtest or {}).get("windows", []) if w.get("mean")
        ],
    }
    if forecast_dates:
        chart |= {key: continued(forecast[key]) for key in ("mean", "lo80", "hi80", "lo95", "hi95")}
    return chart


# --- the page -------------------------------------------------------------------------------


def _verified_forecast(version: ModelVersion) -> tuple[str, dict[str, list[float]] | None]:
    """The artifact's integrity (the file is read and hashed every time, even when the
    model is in the LRU) and, for a verified forecaster, its forecast."""
    try:
        artifact_read_verified(path=version.artifact_path, sha256=version.artifact_sha256)
    except ArtifactIntegrityError as exc:
        return f"FAILED: {exc}", None
    if version.kind != ModelKind.FORECASTER:
        return "verified", None
    model = artifact_load(version_id=version.pk, path=version.artifact_path, sha256=version.artifact_sha256)
    result = model.predict(version.horizon or Frequency.of(version.frequency).default_horizon)
    return "verified", {key: [float(v) for v in getattr(result, key)] for key in ("mean", "lo80", "hi80", "lo95", "hi95")}


def _candidate_rows(results: list[dict[str, Any]], unit: SeriesUnit | None) -> list[CandidateRow]:
    return [
        CandidateRow(
            name=c.get("name", ""), status=c.get("status", ""),
            mae=metric_format(name="mae", value=(c.get("metrics") or {}).get("mae"), unit=unit),
            rmse=metric_format(name="rmse", value=(c.get("metrics") or {}).get("rmse"), unit=unit),
            smape=metric_format(name="smape", value=(c.get("metrics") or {}).get("smape"), unit=unit),
            seconds=f"{c['fit_seconds']:.2f}" if isinstance(c.get("fit_seconds"), int | float) else NO_VALUE,
            reason=c.get("reason", ""),
        )
        for c in results or []
    ]


def model_version_inspect(*, version: ModelVersion) -> Inspection:
    """The inspect page of ``version`` (loaded with its training data and backtest)."""
    integrity, forecast = _verified_forecast(version)
    unit = model_version_unit(version=version)
    forecaster = version.kind == ModelKind.FORECASTER
    job = version.training_job
    return Inspection(
        version=version,
        integrity=integrity,
        unit=unit,
        metrics=metric_rows(metrics=version.metrics or {}, unit=unit),
        params=params_rows(version.params),
        chart=model_version_chart(version=version, forecast=forecast) if forecaster else None,
        per_category=sorted((version.metrics or {}).get("per_category", {}).items()),
        reliability=[] if forecaster else (version.backtest or {}).get("reliability", []),
        candidates=_candidate_rows(job.results, unit) if job else [],
        deployments=Deployment.objects.filter(workspace_id=version.workspace_id, target=version.target)
        .select_related("user", "from_version", "to_version"),
        snapshots=version.snapshots.all()[:20],
    )
