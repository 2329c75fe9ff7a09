"""Back up the database and every model artifact into one archive with a manifest of checksums.

    manage.py backup --output /backups/                      # /backups/ledgerwise-<UTC time>.tar.gz
    manage.py backup --output /backups/nightly.tar           # that file (gzipped when it ends in .gz/.tgz)

Restore with ``manage.py restore --input ARCHIVE`` (see the README, Backups).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from finance.services.backups import BackupError, backup_create


class Command(BaseCommand):
    help = ("Back up the database (PostgreSQL: pg_dump; SQLite: the online backup API) and every model artifact "
            "into one archive with a manifest of checksums.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True,
                            help="the archive to write, or a folder to write ledgerwise-<UTC time>.tar.gz in")
        parser.add_argument("--allow-damaged", action="store_true",
                            help="back up even when artifacts are missing or do not match their sha256 "
                                 "(the manifest lists them)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias (default %(default)s)")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        try:
            result = backup_create(output=options["output"], using=options["database"],
                                   allow_damaged=options["allow_damaged"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        database = manifest["database"]
        self.stdout.write(
            f"Backed up {database['vendor']}: {len(database['row_counts'])} tables, "
            f"{sum(database['row_counts'].values())} rows, {len(manifest['artifacts'])} artifacts "
            f"→ {result.path} ({result.path.stat().st_size} bytes)"
        )
        for damaged in manifest["damaged_artifacts"]:
            self.stderr.write(f"damaged artifact {damaged['path']} (versions {damaged['versions']}): "
                              f"{damaged['problem']}")
