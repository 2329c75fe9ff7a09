"""Champion against challenger on the same realised actuals.

Every answer of a rollout's target while it is open is logged with the rollout (the
champion's, a canary's challenger's, a shadow's). A version's forecast of one period is
the same in each of its answers (it is fixed when the version is trained), so each version
has one predicted value per period. The actual of a period is the books' total for it
(the series the models learn from, complete periods only), replaced by an ``actual``
feedback on one of the rollout's predictions where one was given: a number (the first
forecast period's actual) or ``{"YYYY-MM-DD": value, …}``. Both versions are scored on
the periods that have an actual and a forecast by both, so neither is judged on periods
the other was not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from forecasting.registry.models import Rollout
from forecasting.series.selectors import series_build
from forecasting.series.targets import Target
from forecasting.serving.models import Feedback, Prediction


@dataclass(frozen=True)
class VersionScore:
    """One version's realised error over the compared periods."""

    version_id: int | None
    mae: float | None
    answers: int  # predictions logged for it under the rollout


@dataclass(frozen=True)
class RolloutComparison:
    periods: list[str]  # the compared periods (start dates), oldest first
    champion: VersionScore
    challenger: VersionScore

    def as_dict(self) -> dict[str, Any]:
        def score(s: VersionScore) -> dict[str, Any]:
            return {"model_version": s.version_id, "mae": s.mae, "answers": s.answers}

        return {"periods": self.periods, "champion": score(self.champion), "challenger": score(self.challenger)}


def _feedback_actuals(rollout: Rollout) -> dict[str, float]:
    actuals: dict[str, float] = {}
    rows = (Feedback.objects.filter(prediction__rollout=rollout, kind=Feedback.Kind.ACTUAL)
            .order_by("created_at", "id").values_list("actual", "prediction__output"))
    for actual, output in rows:
        if isinstance(actual, dict):
            for date, value in actual.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    actuals[str(date)] = float(value)
        elif isinstance(actual, int | float) and not isinstance(actual, bool) and (output or {}).get("dates"):
            actuals[output["dates"][0]] = float(actual)
    return actuals


def _book_actuals(rollout: Rollout, today: dt.date | None) -> dict[str, float]:
    target = Target.parse(rollout.target)
    if not target.is_forecast:
        return {}
    series = series_build(workspace=rollout.workspace, target=target, frequency=rollout.frequency or "M", end=today)
    return {date.isoformat(): float(value) for date, value in zip(series.dates, series.values, strict=True)}


def rollout_compare(*, rollout: Rollout, today: dt.date | None = None) -> RolloutComparison:
    """The champion's and the challenger's MAE on the periods both forecast under the
    rollout that have an actual. Queries: the predictions (1), the feedback (1), the books (1)."""
    versions = (rollout.champion_id, rollout.challenger_id)
    forecasts: dict[int, dict[str, float]] = {pk: {} for pk in versions if pk is not None}
    answers: dict[int, int] = dict.fromkeys(forecasts, 0)
    rows = (Prediction.objects.filter(rollout=rollout, model_version_id__in=list(forecasts))
            .order_by("created_at").values_list("model_version_id", "output"))
    for version_id, output in rows:
        answers[version_id] += 1
        forecasts[version_id].update(zip(output.get("dates", []), output.get("forecast", []), strict=False))
    actuals = _book_actuals(rollout, today) | _feedback_actuals(rollout)
    both = [set(forecasts.get(pk, {})) for pk in versions]
    periods = sorted(both[0] & both[1] & set(actuals)) if all(pk is not None for pk in versions) else []

    def score(version_id: int | None) -> VersionScore:
        if version_id is None:
            return VersionScore(None, None, 0)
        errors = [abs(forecasts[version_id][d] - actuals[d]) for d in periods]
        mae = round(sum(errors) / len(errors), 6) if errors else None
        return VersionScore(version_id, mae, answers.get(version_id, 0))

    return RolloutComparison(periods=periods, champion=score(rollout.champion_id),
                             challenger=score(rollout.challenger_id))
