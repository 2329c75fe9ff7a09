"""Rotate the key of the model artifacts (``ML_ARTIFACT_KEYS``: the first key encrypts,
every key decrypts).

    manage.py artifacts_rekey                    # rewrite every artifact with the current key
    manage.py artifacts_rekey --delete-replaced  # after every process has restarted: delete the old files

See the README (Encryption of the artifacts) for the whole procedure.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forecasting.registry.encryption import artifact_ciphers
from forecasting.registry.rekey import artifacts_rekey, artifacts_replaced_delete


class Command(BaseCommand):
    help = ("Rewrite every model artifact with the current key of ML_ARTIFACT_KEYS (in clear when it is empty); "
            "with --delete-replaced, delete the files a rewrite replaced.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete-replaced", action="store_true",
                            help="delete the artifact files no version points to that are not stored with the "
                                 "current key (run it once every web and worker process has restarted)")
        parser.add_argument("--dry-run", action="store_true", help="with --delete-replaced: only list them")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        if options["delete_replaced"]:
            paths = artifacts_replaced_delete(dry_run=options["dry_run"])
            verb = "would delete" if options["dry_run"] else "deleted"
            for path in paths:
                self.stdout.write(f"{verb}: {path}")
            self.stdout.write(f"{len(paths)} replaced artifact file{'s' if len(paths) != 1 else ''} {verb}.")
            return
        if options["dry_run"]:
            raise CommandError("--dry-run goes with --delete-replaced.")
        report = artifacts_rekey()
        how = "encrypted with the current key" if artifact_ciphers() else "in clear (ML_ARTIFACT_KEYS is empty)"
        self.stdout.write(f"{len(report.rewritten)} artifacts rewritten {how}, {report.unchanged} already were.")
        if report.rewritten:
            self.stdout.write("The old files stay readable for processes that remember them: once every web and "
                              "worker process has restarted, run: manage.py artifacts_rekey --delete-replaced")
        for pk, why in report.failed:
            self.stderr.write(f"version {pk}: {why}")
        if report.failed:
            raise CommandError(f"{len(report.failed)} artifacts could not be rewritten (listed above).")
