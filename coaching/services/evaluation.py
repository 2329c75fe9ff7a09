"""Offline evaluation of the recommendation strategies on a workspace's logged impressions:
inverse propensity scoring (IPS) and self-normalised IPS (:func:`coaching.bandits.ips_evaluate`)
of ε-greedy, UCB1 and Thompson sampling against what the workspace's strategy really showed.

The rewards are what the answers record: accepted or completed 1, dismissed 0, and a
recommendation shown but not answered within ``COACHING_RECOMMENDATION_ANSWER_HOURS`` is
*ignored*, 0 (younger unanswered ones are left out: their answer may still come).
Impressions logged before propensities were (no strategy) are left out and counted.
Each target strategy is asked what it would have shown at each logged decision from the
same counts the logging strategy had (the ``decision`` stored with the impression).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from coaching.bandits import (
    STRATEGIES,
    ArmStats,
    Decision,
    Estimate,
    Strategy,
    ips_evaluate,
    strategy_build,
)
from coaching.models import RecommendationImpression
from finance.models import Workspace

CI_METHODS = ("bootstrap", "normal")


@dataclass(frozen=True)
class EvaluationRow:
    label: str  # "logged policy" or the target's name with its parameters
    strategy: str  # "" for the logged policy
    estimate: Estimate


@dataclass(frozen=True)
class EvaluationReport:
    workspace_ids: list[int]
    rows: list[EvaluationRow]
    logged_strategies: dict[str, int]  # strategy -> impressions it logged
    skipped_without_propensity: int
    pending: int  # shown, not answered yet, too young to count as ignored
    ci: str


def decisions_logged(
    *, workspace_ids: list[int], now: dt.datetime | None = None, since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> tuple[list[Decision], dict[str, int], int, int]:
    """The logged slates of the workspaces (shown in ``since``..``until``), oldest first,
    as :class:`~coaching.bandits.Decision`; with the impressions per logging strategy and
    how many were skipped (no propensity) or pending. One query."""
    now = now or timezone.now()
    answer_by = now - dt.timedelta(hours=settings.COACHING_RECOMMENDATION_ANSWER_HOURS)
    rows = RecommendationImpression.objects.filter(workspace_id__in=workspace_ids)
    if since is not None:
        rows = rows.filter(shown_at__gte=since)
    if until is not None:
        rows = rows.filter(shown_at__lt=until)
    slates: dict[object, list[tuple]] = defaultdict(list)
    per_strategy: dict[str, int] = defaultdict(int)
    skipped = pending = 0
    for r in rows.order_by("shown_at", "pk").values_list(
            "slate", "pk", "arm", "propensity", "reward", "shown_at", "decision", "strategy"):
        slate, pk, arm, propensity, reward, shown_at, decision, strategy = r
        if propensity is None or not strategy or not decision:
            skipped += 1
            continue
        if reward is None and shown_at > answer_by:
            pending += 1
            continue
        per_strategy[strategy] += 1
        slates[slate or pk].append((arm, propensity, 0.0 if reward is None else float(reward), decision))
    decisions = [
        Decision(arms={a: ArmStats(*ab) for a, ab in shown[0][3]["arms"].items()}, k=int(shown[0][3]["k"]),
                 shown=[(arm, p, reward) for arm, p, reward, _ in shown])
        for shown in slates.values()
    ]
    return decisions, dict(per_strategy), skipped, pending


def policy_evaluate(
    *, workspaces: list[Workspace], strategies: list[str] | None = None, epsilon: float = 0.1,
    ci: str = "bootstrap", rounds: int = 1000, seed: int = 0, since: dt.datetime | None = None,
    until: dt.datetime | None = None, now: dt.datetime | None = None,
) -> EvaluationReport:
    """IPS and SNIPS with 95 % intervals of each of ``strategies`` (default: all three;
    ε-greedy with ``epsilon``) on the workspaces' logged impressions, after the logged
    policy's own realised mean. ``ValueError`` naming the input for a bad one; a report
    without rows when nothing is logged."""
    strategies = list(strategies or STRATEGIES)
    unknown = [name for name in strategies if name not in STRATEGIES]
    if unknown:
        raise ValueError(f"strategy: unknown '{unknown[0]}'; use one of: {', '.join(STRATEGIES)}.")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon: must be between 0 and 1, not {epsilon}.")
    if ci not in CI_METHODS:
        raise ValueError(f"ci: unknown '{ci}'; use one of: {', '.join(CI_METHODS)}.")
    if rounds < 100:
        raise ValueError(f"rounds: at least 100 bootstrap rounds, not {rounds}.")
    ids = [w.pk for w in workspaces]
    decisions, per_strategy, skipped, pending = decisions_logged(workspace_ids=ids, now=now, since=since, until=until)
    rows: list[EvaluationRow] = []
    if decisions:
        rows.append(EvaluationRow("logged policy", "", ips_evaluate(decisions, None, ci=ci, rounds=rounds, seed=seed)))
        for name in strategies:
            target = strategy_build(name, epsilon=epsilon, samples=settings.COACHING_THOMPSON_PROPENSITY_SAMPLES)
            rows.append(EvaluationRow(strategy_label(target), name,
                                      ips_evaluate(decisions, target, ci=ci, rounds=rounds, seed=seed)))
    return EvaluationReport(workspace_ids=ids, rows=rows, logged_strategies=per_strategy,
                            skipped_without_propensity=skipped, pending=pending, ci=ci)


def strategy_label(strategy: Strategy) -> str:
    params = strategy.params()
    if "epsilon" in params:
        return f"{strategy.name} (ε = {params['epsilon']:g})"
    return strategy.name


def report_table(report: EvaluationReport) -> list[str]:
    """The report as markdown table lines (what the command prints and the benchmark's README holds)."""
    lines = ["| policy | IPS | 95 % CI | SNIPS | 95 % CI | mean weight | ESS | impressions |",
             "|---|---:|---|---:|---|---:|---:|---:|"]
    for row in report.rows:
        e = row.estimate
        lines.append(
            f"| {row.label} | {e.ips:.4f} | [{e.ips_ci[0]:.4f}, {e.ips_ci[1]:.4f}] | {e.snips:.4f} | "
            f"[{e.snips_ci[0]:.4f}, {e.snips_ci[1]:.4f}] | {e.mean_weight:.3f} | {e.effective_size:,.0f} | "
            f"{e.impressions:,} |")
    return lines
