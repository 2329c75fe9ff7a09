"""Empty the folder where every process keeps its Prometheus metrics
(``PROMETHEUS_MULTIPROC_DIR``): run it before starting web, workers and beat (``make run``
does), never while they run — their files would be lost with the counts in them.

    manage.py metrics_reset
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Empty the Prometheus multiprocess folder before the processes start."

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(settings.PROMETHEUS_MULTIPROC_DIR)
        removed = 0
        for path in folder.glob("*.db"):
            path.unlink(missing_ok=True)
            removed += 1
        if options["verbosity"]:
            self.stdout.write(f"Removed {removed} metrics file{'s' if removed != 1 else ''} from {folder}.")
