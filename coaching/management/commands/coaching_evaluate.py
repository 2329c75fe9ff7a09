"""``manage.py coaching_evaluate --workspace N [--strategy ucb1 ...]``: offline IPS and SNIPS
of recommendation strategies on a workspace's logged impressions, as a table."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from coaching.bandits import STRATEGIES
from coaching.services.evaluation import CI_METHODS, policy_evaluate, report_table
from finance.models import Workspace


def _date(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since/--until: '{value}' is not a date (YYYY-MM-DD).") from None
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class Command(BaseCommand):
    help = ("Estimate offline (IPS and self-normalised IPS, 95 % intervals) how ε-greedy, UCB1 and Thompson "
            "sampling would have done on a workspace's logged recommendations.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", action="append", required=True,
                            help="Workspace id (repeat for several: their impressions are pooled).")
        parser.add_argument("--strategy", action="append", default=None,
                            help=f"Target strategy, repeatable: {', '.join(STRATEGIES)} (default: all three).")
        parser.add_argument("--epsilon", default="0.1", help="ε of the ε-greedy target (0..1, default 0.1).")
        parser.add_argument("--ci", default="bootstrap", help=f"Interval: {' or '.join(CI_METHODS)}.")
        parser.add_argument("--rounds", default="1000", help="Bootstrap rounds (default 1000).")
        parser.add_argument("--seed", default="0", help="Seed of the bootstrap (default 0).")
        parser.add_argument("--since", help="Only impressions shown on or after this date (YYYY-MM-DD).")
        parser.add_argument("--until", help="Only impressions shown before this date (YYYY-MM-DD).")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = [self._workspace(value) for value in options["workspace"]]
        try:
            epsilon, rounds, seed = float(options["epsilon"]), int(options["rounds"]), int(options["seed"])
        except ValueError:
            raise CommandError("--epsilon must be a number, --rounds and --seed whole numbers.") from None
        since = _date(options["since"]) if options["since"] else None
        until = _date(options["until"]) if options["until"] else None
        try:
            report = policy_evaluate(workspaces=workspaces, strategies=options["strategy"], epsilon=epsilon,
                                     ci=options["ci"], rounds=rounds, seed=seed, since=since, until=until)
        except ValueError as exc:
            raise CommandError(f"--{exc}") from None
        if options["json"]:
            self.stdout.write(json.dumps({
                "workspaces": report.workspace_ids, "ci": report.ci, "logged": report.logged_strategies,
                "skipped_without_propensity": report.skipped_without_propensity, "pending": report.pending,
                "rows": [{"policy": r.label, "strategy": r.strategy, **vars(r.estimate)} for r in report.rows],
            }, indent=2))
            return
        logged = ", ".join(f"{n:,} by {s}" for s, n in sorted(report.logged_strategies.items())) or "none"
        self.stdout.write(f"Workspaces {', '.join(map(str, report.workspace_ids))}: impressions logged {logged}; "
                          f"{report.skipped_without_propensity:,} without a propensity and "
                          f"{report.pending:,} awaiting an answer left out. Intervals: {report.ci}.")
        if not report.rows:
            self.stdout.write("Nothing to evaluate: no answered or ignored impressions with a propensity.")
            return
        for line in report_table(report):
            self.stdout.write(line)

    @staticmethod
    def _workspace(value: str) -> Workspace:
        try:
            return Workspace.objects.get(pk=int(value))
        except (ValueError, Workspace.DoesNotExist):
            raise CommandError(f"--workspace: no workspace with id '{value}'.") from None
