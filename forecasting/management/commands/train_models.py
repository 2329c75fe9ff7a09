"""Train the models of one, some or all workspaces now, in this process.

    manage.py train_models --all [--min-transactions 50] [--target revenue,expense]
    manage.py train_models --workspace 3
    manage.py train_models --user 7          # every workspace the user belongs to
    manage.py train_models                   # interactive menu (in a terminal)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q
from tqdm import tqdm

from finance.models import Category, Membership, Sale, Transaction, Workspace
from forecasting.engine.registry import ALGORITHMS
from forecasting.registry.models import ModelVersion
from forecasting.series.targets import InvalidTarget, Target
from forecasting.training.jobs import training_job_create, training_job_run
from forecasting.training.models import TrainingJob

LINE = "=" * 60


@dataclass
class Summary:
    trained: list[str] = field(default_factory=list)
    insufficient: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = "Train forecasting models for workspaces with enough data, with progress and a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--all", action="store_true", help="every workspace")
        who.add_argument("--workspace", type=int, help="one workspace id")
        who.add_argument("--user", type=int, help="every workspace of this user id")
        parser.add_argument("--min-transactions", type=int, default=settings.MIN_TRANSACTIONS_FOR_TRAINING,
                            help="approved transactions a workspace needs (default %(default)s)")
        parser.add_argument("--target", default="revenue,expense,inventory",
                            help="comma-separated targets (default %(default)s; the classifiers are "
                                 "categorizer, fraud and anomaly)")
        parser.add_argument("--per-category", action="store_true",
                            help="also train an expense forecaster per category with enough rows")
        parser.add_argument("--algorithms", default="", help="comma-separated algorithms (default: all)")
        parser.add_argument("--frequency", choices=["D", "W", "M"], default="M")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        if options["min_transactions"] < 1:
            raise CommandError("--min-transactions must be at least 1.")
        targets = self._targets(options["target"])
        algorithms = [a for a in options["algorithms"].split(",") if a]
        unknown = sorted(set(algorithms) - set(ALGORITHMS))
        if unknown:
            raise CommandError(f"Unknown algorithm(s): {', '.join(unknown)}. Known: {', '.join(sorted(ALGORITHMS))}.")
        workspaces = self._workspaces(options)
        summary = Summary()
        self.stdout.write(f"{LINE}\nTRAINING MODELS FOR {len(workspaces)} WORKSPACE(S)\n{LINE}")
        for workspace in workspaces:
            self._train_workspace(workspace, targets, algorithms, options, summary)
        self.stdout.write(
            f"\n{LINE}\nTRAINING SUMMARY\n{LINE}\n"
            f"Successfully trained: {len(summary.trained)} workspace(s)\n"
            f"Insufficient data: {len(summary.insufficient)} workspace(s)\n"
            f"Failed: {len(summary.failed)} workspace(s)\n"
            f"Total workspaces: {len(workspaces)}\n{LINE}"
        )

    # --- choosing --------------------------------------------------------------------

    def _targets(self, raw: str) -> list[Target]:
        try:
            targets = [Target.parse(key) for key in raw.split(",") if key.strip()]
        except InvalidTarget as exc:
            raise CommandError(str(exc)) from exc
        if not targets:
            raise CommandError("--target takes targets such as revenue, expense, inventory, categorizer.")
        return targets

    def _workspaces(self, options: dict) -> list[Workspace]:
        if options["all"]:
            return list(Workspace.objects.order_by("pk"))
        if options["workspace"] is not None:
            workspace = Workspace.objects.filter(pk=options["workspace"]).first()
            if workspace is None:
                raise CommandError(f"Workspace {options['workspace']} does not exist.")
            return [workspace]
        if options["user"] is not None:
            ids = Membership.objects.filter(user_id=options["user"]).values("workspace_id")
            workspaces = list(Workspace.objects.filter(pk__in=ids).order_by("pk"))
            if not workspaces:
                raise CommandError(f"User {options['user']} does not exist or belongs to no workspace.")
            return workspaces
        return self._menu()

    def _menu(self) -> list[Workspace]:
        if not sys.stdin.isatty():
            raise CommandError("Say what to train: --all, --workspace ID or --user ID (or run in a terminal).")
        self.stdout.write("1. Train models for a specific workspace\n2. Train models for all workspaces\n3. Exit")
        choice = input("Choose 1-3: ").strip()
        if choice == "1":
            for workspace in Workspace.objects.order_by("pk"):
                self.stdout.write(f"  {workspace.pk}: {workspace.name}")
            raw = input("Workspace id: ").strip()
            if not raw.isdigit() or not Workspace.objects.filter(pk=int(raw)).exists():
                raise CommandError(f"No workspace {raw!r}.")
            return [Workspace.objects.get(pk=int(raw))]
        if choice == "2":
            return list(Workspace.objects.order_by("pk"))
        raise SystemExit(0)

    # --- training --------------------------------------------------------------------

    def _train_workspace(self, workspace: Workspace, targets: list[Target], algorithms: list[str], options: dict,
                         summary: Summary) -> None:
        self.stdout.write(f"\n{LINE}\nTraining models for workspace: {workspace} (id {workspace.pk})\n{LINE}")
        approved = Transaction.objects.filter(workspace=workspace, status=Transaction.Status.APPROVED).count()
        if approved < options["min_transactions"]:
            self.stdout.write(f"Insufficient data: {approved} approved transactions, {options['min_transactions']} needed")
            summary.insufficient.append(workspace.name)
            return
        self.stdout.write(f"Found {approved} transactions")
        work = list(targets)
        if not Sale.objects.filter(workspace=workspace).exists():
            work = [t for t in work if t.metric != "inventory"]
        if options["per_category"]:
            busy = Category.objects.filter(workspace=workspace, kind=Category.Kind.EXPENSE).annotate(
                n=Count("transactions", filter=Q(transactions__status=Transaction.Status.APPROVED))
            ).filter(n__gte=options["min_transactions"])
            work += [Target("expense", category_id=c.pk) for c in busy]
        failures = 0
        for target in tqdm(work, desc=workspace.name[:30], unit="target", file=self.stderr):
            job = training_job_create(workspace=workspace, target=target.key, algorithms=algorithms,
                                      frequency=options["frequency"], enqueue=False)
            job = training_job_run(job_id=job.pk)
            if job.status == TrainingJob.Status.SUCCEEDED:
                winner = job.winner
                self.stdout.write(f"  {target.key}: {winner.algorithm} v{winner.version} "
                                  f"({_quality(winner)}) — {job.decision}")
            elif job.status == TrainingJob.Status.SKIPPED:
                self.stdout.write(f"  {target.key}: skipped — {job.decision}")
            else:
                failures += 1
                self.stdout.write(f"  {target.key}: FAILED — {job.error.splitlines()[0] if job.error else ''}")
        (summary.failed if failures else summary.trained).append(workspace.name)


def _quality(version: ModelVersion) -> str:
    """Backtest MAE of a forecaster; hold-out accuracy (or F1) of a classifier."""
    if version.mae is not None:
        return f"MAE {version.mae:.4g}"
    if version.metrics.get("accuracy") is not None:
        return f"accuracy {version.metrics['accuracy']:.1%}"
    return "unsupervised"
