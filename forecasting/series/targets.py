"""What a model predicts, as a value object with a stable string key.

Keys: ``revenue``, ``expense``, ``expense:category=12``, ``inventory``,
``inventory:product=5``, ``inventory:product=5:warehouse=2`` for forecasters, and
``categorizer``, ``fraud``, ``anomaly`` and ``stockout`` for the classifiers.
"""

from __future__ import annotations

from dataclasses import dataclass

from forecasting.registry.models import ModelKind

FORECAST_METRICS = ("revenue", "expense", "inventory")
CLASSIFIER_METRICS = {
    "categorizer": ModelKind.CATEGORIZER,
    "fraud": ModelKind.FRAUD,
    "anomaly": ModelKind.ANOMALY,
    "stockout": ModelKind.STOCKOUT,
}
_ALLOWED_FILTERS = {
    "revenue": set(),
    "expense": {"category"},
    "inventory": {"product", "warehouse"},
}


class InvalidTarget(ValueError):
    """The target key or its parts are not understood."""


@dataclass(frozen=True)
class Target:
    metric: str
    category_id: int | None = None
    product_id: int | None = None
    warehouse_id: int | None = None

    def __post_init__(self) -> None:
        if self.metric in CLASSIFIER_METRICS:
            if self.category_id or self.product_id or self.warehouse_id:
                raise InvalidTarget(f"'{self.metric}' takes no filters.")
            return
        if self.metric not in FORECAST_METRICS:
            allowed = ", ".join((*FORECAST_METRICS, *CLASSIFIER_METRICS))
            raise InvalidTarget(f"Unknown target '{self.metric}'; use one of: {allowed}.")
        given = {
            name for name, value in
            (("category", self.category_id), ("product", self.product_id), ("warehouse", self.warehouse_id))
            if value is not None
        }
        if not given <= _ALLOWED_FILTERS[self.metric]:
            raise InvalidTarget(f"'{self.metric}' cannot be filtered by {', '.join(sorted(given))}.")
        if self.warehouse_id is not None and self.product_id is None:
            raise InvalidTarget("A warehouse filter needs a product.")

    @property
    def kind(self) -> str:
        return CLASSIFIER_METRICS.get(self.metric, ModelKind.FORECASTER)

    @property
    def is_forecast(self) -> bool:
        return self.kind == ModelKind.FORECASTER

    @property
    def group(self) -> Target | None:
        """The aggregate this target is a part of — all expenses for one category's,
        all sales for one product's (or one product in one warehouse) — whose seasonal
        pattern its forecasters borrow; None for the totals and the classifiers."""
        if not self.is_forecast or (self.category_id is None and self.product_id is None):
            return None
        return Target(metric=self.metric)

    @property
    def key(self) -> str:
        parts = [self.metric]
        for name, value in (
            ("category", self.category_id), ("product", self.product_id), ("warehouse", self.warehouse_id)
        ):
            if value is not None:
                parts.append(f"{name}={value}")
        return ":".join(parts)

    def __str__(self) -> str:
        return self.key

    @classmethod
    def parse(cls, key: str) -> Target:
        metric, *filters = key.strip().split(":")
        values: dict[str, int] = {}
        for item in filters:
            name, _, raw = item.partition("=")
            if name not in {"category", "product", "warehouse"} or not raw.isdigit():
                raise InvalidTarget(f"'{item}' is not a valid target filter.")
            values[f"{name}_id"] = int(raw)
        return cls(metric=metric, **values)
