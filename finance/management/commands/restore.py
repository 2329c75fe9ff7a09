"""Restore a backup of ``manage.py backup`` into the configured (empty) database and storage.

    manage.py restore --input /backups/ledgerwise-20261207T020000Z.tar.gz
    manage.py restore --input ARCHIVE --force      # replace everything in a database that is not empty

Every checksum is checked before anything is written; afterwards every table's row count,
the new-data counters and every model version's artifact are checked against the backup.
Stop the web, worker and beat processes first.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from finance.services.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup archive into the configured empty database and the artifact storage, then check it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="the archive written by manage.py backup")
        parser.add_argument("--force", action="store_true",
                            help="restore into a database that is not empty: everything in it is replaced "
                                 "(and artifact files at the backup's paths)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default %(default)s)")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        archive = Path(options["input"])
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        try:
            result = backup_restore(archive=archive, using=options["database"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored the backup of {result.manifest['created_at']}: {result.tables} tables, {result.rows} rows "
            f"and {result.artifacts_verified} verified artifacts ({result.artifacts_written} files written)."
        )
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        if result.unapplied_migrations:
            self.stdout.write(f"The backup predates {len(result.unapplied_migrations)} migrations of this "
                              "installation: run manage.py migrate.")
