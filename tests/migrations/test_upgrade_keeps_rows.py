"""Upgrading from the previous release keeps every row.

The previous main (:data:`PREVIOUS_RELEASE`) is exported from git into a temporary
folder, migrated and seeded with the demo data (``manage.py seed_demo``) in a fresh
SQLite file; then this tree's ``manage.py migrate`` runs on the same file. No table may
disappear or lose or gain rows, except where listed below with the reason. Both trees
run with this virtualenv's Python, an in-memory Celery broker and a local cache: the
seed announces its rows to the auto-learning engine, which only queues checks, so no
broker or worker is needed (and ``CELERY_TASK_ALWAYS_EAGER`` stays off — eager, those
checks would train models inside the seed).
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

PREVIOUS_RELEASE = "1a4cead"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_END_DATE = "2025-11-20"  # a fixed end date: the same demo rows whenever the test runs
COMMAND_TIMEOUT = 600  # seconds

#: tables an upgrade may grow, never shrink: table -> why
MAY_GROW = {
    "django_migrations": "one row per migration the upgrade applies",
    "django_content_type": "Django adds the content types of new models after migrating",
    "auth_permission": "and the default permissions of new models",
}
#: new tables that a data migration fills: table -> the migration that documents it
FILLED_BY_MIGRATION: dict[str, str] = {
    "finance_account": "finance 0011_accounts: every workspace's default account",
}
#: what the settings read from the environment; replaced so neither tree touches the
#: developer's or CI's database, broker, cache or files
ISOLATED = ("DATABASE_URL", "CACHE_URL", "CELERY_", "LEDGERWISE_", "MEDIA_ROOT", "PYTHONPATH",
            "DJANGO_SETTINGS_MODULE")


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, timeout=COMMAND_TIMEOUT)


def _previous_release_or_skip() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot export the previous release")
    if _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip(f"{REPO_ROOT} is not a git checkout: cannot export the previous release")
    if _git("cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}").returncode != 0:
        shallow = _git("rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
        why = "this is a shallow clone" if shallow else "the history does not contain it"
        pytest.skip(f"commit {PREVIOUS_RELEASE} (the previous release) is not available: {why}; "
                    "fetch the full history (git fetch --unshallow) to run this test")


def _export(commit: str, into: Path) -> None:
    archive = _git("archive", "--format=tar", commit)
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def _manage(tree: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=tree, env=env, capture_output=True, text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} in {tree} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _row_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        return {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.mark.slow
def test_upgrading_from_the_previous_release_keeps_every_row(tmp_path):
    # given the previous release, migrated and seeded with the demo data
    _previous_release_or_skip()
    previous = tmp_path / "previous"
    previous.mkdir()
    _export(PREVIOUS_RELEASE, previous)
    database = tmp_path / "upgrade.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith(ISOLATED)}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        CACHE_URL="locmemcache://upgrade-test",
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER="false",
        LEDGERWISE_VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "var" / "media"),
    )
    _manage(previous, env, "migrate", "--noinput", "-v0")
    _manage(previous, env, "seed_demo", "--end-date", DEMO_END_DATE)
    before = _row_counts(database)
    assert before["finance_transaction"] > 0 and before["coaching_behavioralevent"] > 0  # the seed wrote

    # when this tree migrates the same database
    _manage(REPO_ROOT, env, "migrate", "--noinput", "-v0")
    after = _row_counts(database)

    # then no table disappeared, and every table kept its rows
    assert sorted(before.keys() - after.keys()) == []
    changed = {
        table: (count, after[table]) for table, count in before.items()
        if after[table] != count and not (table in MAY_GROW and after[table] > count)
    }
    assert changed == {}, "row counts changed (before, after)"
    # new tables start empty unless a data migration documents what it writes into them
    filled = {t: after[t] for t in after.keys() - before.keys() if after[t] and t not in FILLED_BY_MIGRATION}
    assert filled == {}
    # and each transaction is in its workspace's default account (finance 0011), one per workspace
    with sqlite3.connect(database) as connection:
        defaults = dict(connection.execute(
            "SELECT workspace_id, COUNT(*) FROM finance_account WHERE is_default GROUP BY workspace_id"))
        misplaced = connection.execute(
            "SELECT COUNT(*) FROM finance_transaction t JOIN finance_account a ON a.id = t.account_id "
            "WHERE NOT a.is_default OR a.workspace_id != t.workspace_id").fetchone()[0]
        triggers = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert defaults == {pk: 1 for (pk,) in sqlite3.connect(database).execute("SELECT id FROM finance_workspace")}
    assert after["finance_account"] == len(defaults) and misplaced == 0
    # and the new-data counting triggers survived the table rebuilds (forecasting 0017)
    assert "forecasting_count_new_transactions" in triggers
