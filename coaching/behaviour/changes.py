"""Behaviour-change detection: the last ``BEHAVIOUR_CHANGE_WINDOW_DAYS`` (30) complete days
of a member against their own ``BEHAVIOUR_BASELINE_DAYS`` (90) before them.

Three daily measures — events, sessions started, writes to the books — are compared by
the z-score of the window's mean against the baseline's, in units of the baseline's own
day-to-day spread::

    z = (mean_window − mean_baseline) / (sd_baseline · √(1/n_window + 1/n_baseline))

The baseline's standard deviation carries the member's own burstiness (a Poisson test
would take a person who uses the product in bursts for one who changed); it is taken as at
least the Poisson spread √mean, so a perfectly regular baseline is not infinitely sure.
A measure the baseline never saw (a mean of 0) is not judged. A measure has
**changed** when ``|z| ≥ BEHAVIOUR_CHANGE_Z`` (3: a steady member is flagged by chance
about 0.3 % of the time per measure) *and* it moved by at least
``BEHAVIOUR_CHANGE_MIN_RATIO`` (30 %) of the baseline; it is judged only when the baseline
has ``BEHAVIOUR_BASELINE_MIN_ACTIVE_DAYS`` active days (a new member has no baseline yet).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings

from coaching.behaviour.features import MemberEvents

MEASURES = {  # in the order an insight prefers them when they changed as surely
    "sessions": "sessions a day",
    "events": "events a day",
    "writes": "changes to transactions, budgets and goals a day",
}
DROP, RISE, STEADY = "drop", "rise", "steady"


@dataclass(frozen=True)
class BehaviourChange:
    """One measure of a member, window against baseline."""

    measure: str
    label: str
    window_mean: float
    baseline_mean: float
    change: float | None  # relative to the baseline (None when the baseline is 0)
    z: float | None  # None when not judged (too little history, or none of it in the baseline)
    direction: str
    flagged: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _z(window: np.ndarray, baseline: np.ndarray) -> float:
    """The z-score of the window's mean (the baseline's mean is above 0)."""
    mean = float(baseline.mean())
    sd = max(float(baseline.std(ddof=1)), math.sqrt(mean))
    return float(window.mean() - mean) / (sd * math.sqrt(1 / len(window) + 1 / len(baseline)))


def behaviour_changes(*, events: MemberEvents) -> list[BehaviourChange]:
    """Each measure of :data:`MEASURES` for the member whose events are given."""
    daily = events.daily()
    split = events.baseline_days
    active = np.array(daily["events"][:split]) > 0
    judged = int(active.sum()) >= settings.BEHAVIOUR_BASELINE_MIN_ACTIVE_DAYS
    out = []
    for measure, label in MEASURES.items():
        series = np.array(daily[measure])
        baseline, window = series[:split], series[split:]
        base_mean, window_mean = float(baseline.mean()), float(window.mean())
        change = (window_mean - base_mean) / base_mean if base_mean > 0 else None
        z = _z(window, baseline) if judged and base_mean > 0 else None
        moved = change is not None and abs(change) >= settings.BEHAVIOUR_CHANGE_MIN_RATIO
        flagged = z is not None and moved and abs(z) >= settings.BEHAVIOUR_CHANGE_Z
        direction = STEADY if not flagged else (DROP if window_mean < base_mean else RISE)
        out.append(BehaviourChange(
            measure=measure, label=label, window_mean=round(window_mean, 4), baseline_mean=round(base_mean, 4),
            change=None if change is None else round(change, 4),
            z=None if z is None else round(z, 3), direction=direction, flagged=flagged,
        ))
    return out
