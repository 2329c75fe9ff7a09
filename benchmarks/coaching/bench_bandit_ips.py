"""Benchmark: offline evaluation (IPS and SNIPS, 95 % intervals) of the three recommendation
strategies against a logging policy, on the demo books' members.

    .venv/bin/python benchmarks/coaching/bench_bandit_ips.py                 # Thompson logs
    .venv/bin/python benchmarks/coaching/bench_bandit_ips.py --logging epsilon_greedy --epsilon 1

What is real and what is simulated:

- **Real**: the demo data (``seed_demo``'s generator, seed 42, three years ending on
  ``--end``), its segments (``segments_refresh``), and every recommendation written from
  each workspace's books as they stood on the day of the visit (``coaching_context`` of
  that day: no peeking), drawn, stored, answered and cooled down by the app's own services
  (``recommendations_choose``, ``recommendation_feedback``) with the logging strategy set
  in the workspaces' ``CoachingSettings``.
- **From the demo's own logged behaviour**: when members visit (a member visits on each day
  of the last ``--days`` days on which the demo logged a session of theirs in that
  workspace) and how a segment answers: the demo's ``recommendation_interaction`` events
  of the segment's members give its shares of *clicked* + *implemented* (accepting), *dismissed*
  and *shown* (ignored).
- **Simulated** (the demo's events name no arm of the catalogue): the arms' differences. The
  chance that a member of segment ``s`` accepts arm ``a`` is
  ``sigmoid(logit(accepting share of s) + δ[s, a])`` with ``δ ~ N(0, --spread²)`` drawn once
  (seed ``--seed``); the rest is split between dismissing and ignoring in the segment's
  proportions. An accepted recommendation is completed ``--complete-after`` days later (it
  is "In progress" until then, then rests for the cooldown). Knowing these chances, the
  script also gives each strategy's **true** value at the logged decisions, which the
  estimates should find.

The value of a policy is the expected reward per recommendation shown (accepted or
completed 1; dismissed or ignored 0), had it chosen each logged slate from the same counts.
The script uses its own SQLite file (``var/bench/coaching_bandit.sqlite3``) and replaces
the demo data in it on each run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.django_setup import database_ready, use_database  # noqa: E402

OWN_DATABASE = use_database("coaching_bandit")

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from coaching.bandits import strategy_build, true_value  # noqa: E402
from coaching.demo import demo_seed  # noqa: E402
from coaching.models import (  # noqa: E402
    BanditArm,
    BehavioralEvent,
    CoachingSettings,
    RecommendationImpression,
    SegmentAssignment,
)
from coaching.selectors import coaching_context  # noqa: E402
from coaching.services.evaluation import decisions_logged, policy_evaluate, strategy_label  # noqa: E402
from coaching.services.recommendations import recommendation_feedback, recommendations_choose  # noqa: E402
from coaching.services.segments import segments_refresh  # noqa: E402
from finance.demo.specs import SLUGS  # noqa: E402
from finance.models import Membership, Workspace  # noqa: E402

ACCEPTING, DISMISSING, IGNORING = ("clicked", "implemented"), ("dismissed",), ("shown",)


def segment_behaviour(members: list[tuple[Workspace, object, str]]) -> dict[str, tuple[float, float, float]]:
    """Per segment: the shares of accepting, dismissing and ignoring answers in the demo's
    recommendation_interaction events of its members."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for workspace, user, key in members:
        for data in BehavioralEvent.objects.filter(
                workspace=workspace, user=user, event_type="recommendation_interaction").values_list("data", flat=True):
            counts[key][data.get("action", "")] += 1
    out = {}
    for key, c in counts.items():
        total = sum(c[a] for a in ACCEPTING + DISMISSING + IGNORING)
        out[key] = tuple(sum(c[a] for a in group) / total for group in (ACCEPTING, DISMISSING, IGNORING))
    return out


def visit_days(workspace: Workspace, user: object, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days in ``start``..``end`` on which the demo logged a session of the member."""
    stamps = BehavioralEvent.objects.filter(workspace=workspace, user=user, timestamp__date__gte=start,
                                            timestamp__date__lte=end).values_list("timestamp", flat=True)
    return sorted({stamp.date() for stamp in stamps})


def simulate(args: argparse.Namespace, end: dt.date) -> tuple[dict, int]:
    """Log the visits with the logging strategy; returns {segment: {arm: chance}} and the slates."""
    workspaces = list(Workspace.objects.filter(slug__in=SLUGS, is_demo=True).order_by("pk"))
    for workspace in workspaces:
        CoachingSettings.objects.update_or_create(
            workspace=workspace, defaults={"strategy": args.logging, "epsilon": args.epsilon})
    members = []
    for m in Membership.objects.filter(workspace__in=workspaces).select_related("workspace", "user").order_by("pk"):
        assignment = SegmentAssignment.objects.filter(workspace=m.workspace, user=m.user).select_related(
            "segment").first()
        members.append((m.workspace, m.user, assignment.segment.key if assignment else f"{m.workspace.kind}-unsegmented"))
    behaviour = segment_behaviour(members)
    rng = np.random.default_rng(args.seed)
    arms = ("cut_dining_out", "review_subscriptions", "automate_savings", "build_emergency_fund", "stick_to_budget",
            "curb_category_growth")
    rates: dict[str, dict[str, float]] = {}
    for key in sorted(behaviour):
        accept = behaviour[key][0]
        logit = math.log(accept / (1 - accept))
        rates[key] = {arm: 1 / (1 + math.exp(-(logit + float(rng.normal(0, args.spread))))) for arm in arms}
    start = end - dt.timedelta(days=args.days - 1)
    visits = sorted(
        (day, i) for i, (workspace, user, _) in enumerate(members) for day in visit_days(workspace, user, start, end))
    contexts: dict[tuple[int, dt.date], object] = {}
    answer_rng, bandit_rng = np.random.default_rng(args.seed + 1), np.random.default_rng(args.seed + 2)
    slates = 0
    for day, i in visits:
        workspace, user, key = members[i]
        now = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        waiting = RecommendationImpression.objects.filter(
            workspace=workspace, user=user, status="accepted",
            responded_at__lte=now - dt.timedelta(days=args.complete_after))
        for impression in waiting:
            recommendation_feedback(impression=impression, action="completed", user=user, now=now)
        ctx = contexts.get((workspace.pk, day))
        if ctx is None:
            ctx = contexts[(workspace.pk, day)] = coaching_context(workspace=workspace, today=day)
        shown = recommendations_choose(workspace=workspace, user=user, count=args.k, rng=bandit_rng, now=now,
                                       ctx=ctx, segment_key=key)
        slates += bool(shown)
        _, dismiss, ignore = behaviour[key]
        for impression in shown:
            q = rates[key][impression.arm]
            u = answer_rng.random()
            if u < q:
                action = "accepted"
            elif u < q + (1 - q) * dismiss / (dismiss + ignore):
                action = "dismissed"
            else:
                continue  # ignored: never answered
            recommendation_feedback(impression=impression, action=action, user=user, now=now)
    return {"rates": rates, "behaviour": behaviour, "workspaces": workspaces}, slates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logging", default="thompson", choices=["thompson", "epsilon_greedy", "ucb1"])
    parser.add_argument("--epsilon", type=float, default=0.1, help="ε of an ε-greedy logging policy")
    parser.add_argument("--target-epsilon", type=float, default=0.1, help="ε of the ε-greedy target")
    parser.add_argument("--days", type=int, default=365, help="days of visits logged (the last of the demo)")
    parser.add_argument("--k", type=int, default=3, help="recommendations per slate")
    parser.add_argument("--spread", type=float, default=1.0, help="sd of the arms' logit shifts")
    parser.add_argument("--complete-after", type=int, default=14, help="days from accepted to completed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30),
                        help="last day of the demo books")
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds")
    args = parser.parse_args()
    if not OWN_DATABASE:
        sys.exit("This benchmark replaces the demo data: run it on its own SQLite file (no DATABASE_URL).")
    database_ready(own=True)
    began = time.perf_counter()
    demo_seed(seed=42, years=3, end_date=args.end)
    RecommendationImpression.objects.all().delete()
    BanditArm.objects.all().delete()
    segments_refresh()
    seeded = time.perf_counter()
    world, slates = simulate(args, args.end)
    simulated = time.perf_counter()
    now = timezone.make_aware(dt.datetime.combine(args.end + dt.timedelta(days=3), dt.time()))
    report = policy_evaluate(workspaces=world["workspaces"], epsilon=args.target_epsilon, ci="bootstrap",
                             rounds=args.rounds, seed=0, now=now)
    decisions, *_ = decisions_logged(workspace_ids=[w.pk for w in world["workspaces"]], now=now)
    keys = {}
    for slate, key in RecommendationImpression.objects.order_by("shown_at", "pk").values_list("slate", "segment_key"):
        keys.setdefault(slate, key)
    rates = [world["rates"][key] for key in keys.values()]
    assert len(rates) == len(decisions)
    samples = settings.COACHING_THOMPSON_PROPENSITY_SAMPLES
    logger = strategy_build(args.logging, epsilon=args.epsilon, samples=samples)
    truths = {"": true_value(decisions, logger, rates)} | {
        name: true_value(decisions, strategy_build(name, epsilon=args.target_epsilon, samples=samples), rates)
        for name in ("thompson", "epsilon_greedy", "ucb1")}
    evaluated = time.perf_counter()
    print(f"Logging policy {strategy_label(logger)}; {len(decisions):,} slates of up to {args.k} "
          f"({report.rows[0].estimate.impressions:,} impressions) over {args.days} days, seed {args.seed}; "
          f"demo seeded in {seeded - began:.0f} s, logged in {simulated - seeded:.0f} s, "
          f"evaluated in {evaluated - simulated:.0f} s.")
    print("Segments (accepting / dismissing / ignoring shares from the demo's events; arms' chances):")
    for key, (accept, dismiss, ignore) in sorted(world["behaviour"].items()):
        chances = ", ".join(f"{arm} {p:.2f}" for arm, p in world["rates"][key].items())
        print(f"- {key}: {accept:.2f} / {dismiss:.2f} / {ignore:.2f}; {chances}")
    print()
    print("| policy | IPS | 95 % CI | SNIPS | 95 % CI | true value | ESS | impressions |")
    print("|---|---:|---|---:|---|---:|---:|---:|")
    for row in report.rows:
        e = row.estimate
        label = f"logged: {strategy_label(logger)} (realised)" if not row.strategy else row.label
        print(f"| {label} | {e.ips:.4f} | [{e.ips_ci[0]:.4f}, {e.ips_ci[1]:.4f}] | {e.snips:.4f} | "
              f"[{e.snips_ci[0]:.4f}, {e.snips_ci[1]:.4f}] | {truths[row.strategy]:.4f} | "
              f"{e.effective_size:,.0f} | {e.impressions:,} |")


if __name__ == "__main__":
    main()
