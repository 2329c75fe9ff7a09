"""``manage.py seed_demo``: replace the demo workspaces with generated books."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coaching.demo import demo_seed
from finance.demo.seed import DemoSeedError, demo_workspaces_exist
from finance.demo.specs import USERS


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date (expected YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Create (or re-create) the demo workspaces: a bakery, a hardware store and a household "
        "with years of transactions, sales, stock, budgets, goals and behavioural events. "
        "Deterministic for a given --seed and --end-date; running it again replaces the demo data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument("--years", type=int, default=3, help="Years of history (default 3).")
        parser.add_argument(
            "--end-date", type=_date, default=None, help="Last day of the books, YYYY-MM-DD (default today)."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when demo workspaces already exist."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and demo_workspaces_exist():
            self.stdout.write("Demo data already present; nothing to do (drop --if-empty to re-seed).")
            return
        if options["years"] < 1:
            raise CommandError("--years must be at least 1.")
        started = time.perf_counter()
        try:
            summary = demo_seed(seed=options["seed"], years=options["years"], end_date=options["end_date"])
        except DemoSeedError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Seeded in {elapsed:.1f} s."))
        self.stdout.write("Log in with (demo credentials, existing users keep their passwords):")
        for user in USERS:
            if user.password is not None:
                role = "staff, owner of every demo workspace" if user.is_staff else ", ".join(
                    f"{role} of {slug}" for slug, role in user.roles.items()
                )
                self.stdout.write(f"  {user.username} / {user.password}  ({role})")
