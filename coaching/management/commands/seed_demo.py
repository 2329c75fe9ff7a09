"""``manage.py seed_demo``: replace the demo workspaces with generated books."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from coaching.demo import demo_seed
from coaching.models import SegmentationRun
from coaching.services.segments import segments_refresh
from finance.demo.seed import DemoSeedError, demo_workspaces_exist
from finance.demo.specs import USERS


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date (expected YYYY-MM-DD).") from None


def _password(value: str) -> tuple[str, str]:
    username, sep, password = value.partition("=")
    if not sep or not username.strip() or not password:
        # The value is not echoed: it may be a password.
        raise argparse.ArgumentTypeError("expected USER=PASSWORD")
    return username.strip(), password


def _passwords(given: list[tuple[str, str]]) -> dict[str, str]:
    """``DEMO_PASSWORDS`` (``user=password,…``) overridden by each ``--password``."""
    passwords = {}
    for item in os.environ.get("DEMO_PASSWORDS", "").split(","):
        if item.strip():
            try:
                username, password = _password(item.strip())
            except argparse.ArgumentTypeError:
                raise CommandError("DEMO_PASSWORDS: expected USER=PASSWORD,…") from None
            passwords[username] = password
    passwords.update(given)
    return passwords


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
        parser.add_argument(
            "--password", type=_password, action="append", default=[], metavar="USER=PASSWORD",
            help="Set a demo user's password (repeatable; also DEMO_PASSWORDS=user=password,…). "
            "Required for every demo user that logs in when DEBUG is off: the known demo/demo and "
            "admin/admin are only created in development.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and demo_workspaces_exist():
            self.stdout.write("Demo data already present; nothing to do (drop --if-empty to re-seed).")
            return
        if options["years"] < 1:
            raise CommandError("--years must be at least 1.")
        passwords = _passwords(options["password"])
        started = time.perf_counter()
        try:
            summary = demo_seed(
                seed=options["seed"], years=options["years"], end_date=options["end_date"],
                passwords=passwords, known_passwords_allowed=settings.DEBUG,
            )
        except DemoSeedError as exc:
            raise CommandError(str(exc)) from exc
        segments = segments_refresh(trigger=SegmentationRun.Trigger.COMMAND)  # a segment from the first page on
        elapsed = time.perf_counter() - started
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(f"Segments: {segments.segments} for {segments.members} members.")
        self.stdout.write(self.style.SUCCESS(f"Seeded in {elapsed:.1f} s."))
        self.stdout.write("Log in with (demo credentials, existing users keep their passwords unless given):")
        for user in USERS:
            if user.password is not None:
                role = "staff, owner of every demo workspace" if user.is_staff else ", ".join(
                    f"{role} of {slug}" for slug, role in user.roles.items()
                )
                password = "(the password given)" if user.username in passwords else user.password
                self.stdout.write(f"  {user.username} / {password}  ({role})")
