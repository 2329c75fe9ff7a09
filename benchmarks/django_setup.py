"""What the Django benchmarks share: their own SQLite file unless ``DATABASE_URL`` is set,
and a database that is migrated before a run.

Import it before anything of Django's: ``own = use_database("signals")`` sets up Django.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def use_database(name: str) -> bool:
    """Point ``DATABASE_URL`` at ``var/bench/<name>.sqlite3`` unless it is set, then set
    Django up. True when the benchmark owns its database (and may migrate it)."""
    own = not os.environ.get("DATABASE_URL")
    if own:
        path = REPO / "var" / "bench" / f"{name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    return own


def database_ready(*, own: bool) -> None:
    """Migrate a database the benchmark owns; refuse to touch anyone else's unmigrated one."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not unapplied:
        return
    if own:
        call_command("migrate", verbosity=0)
        return
    sys.exit(f"The database has {len(unapplied)} unapplied migrations: run `manage.py migrate` on it first.")
