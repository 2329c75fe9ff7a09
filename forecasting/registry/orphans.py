"""Orphan artifacts: model files in the store that no model version refers to.

A training writes its candidates' files before it records their versions, so a training
killed in between (a SIGKILLed worker, a job the reaper failed) leaves files nobody
loads. They are deleted once older than ``ML_ARTIFACT_ORPHAN_GRACE_HOURS`` — a training
in flight has written its files minutes ago, and so has an artifact re-key whose version
does not point to the new file yet. Files outside ``models/`` (backups, anything else in
the storage) are never looked at.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from forecasting.registry.artifacts import ARTIFACT_DIR, artifact_delete
from forecasting.registry.models import ModelVersion

logger = logging.getLogger(__name__)


@dataclass
class OrphanReport:
    deleted: list[str] = field(default_factory=list)
    kept_young: int = 0
    referenced: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"deleted": self.deleted, "kept_young": self.kept_young, "referenced": self.referenced}


def _artifact_paths(directory: str = ARTIFACT_DIR) -> Iterator[str]:
    if not default_storage.exists(directory):
        return
    folders, files = default_storage.listdir(directory)
    for name in files:
        yield f"{directory}/{name}"
    for folder in folders:
        yield from _artifact_paths(f"{directory}/{folder}")


def artifact_orphans_collect(*, now: dt.datetime | None = None) -> OrphanReport:
    """Delete every file under ``models/`` that no :class:`ModelVersion` refers to and
    that is older than the grace period; report what was deleted and kept."""
    now = now or timezone.now()
    grace = now - dt.timedelta(hours=settings.ML_ARTIFACT_ORPHAN_GRACE_HOURS)
    report = OrphanReport()
    referenced = set(ModelVersion.objects.exclude(artifact_path="").values_list("artifact_path", flat=True))
    for path in _artifact_paths():
        if path in referenced:
            report.referenced += 1
        elif default_storage.get_modified_time(path) >= grace:
            report.kept_young += 1
        elif ModelVersion.objects.filter(artifact_path=path).exists():  # recorded since the walk began
            report.referenced += 1
        else:
            artifact_delete(path=path)
            report.deleted.append(path)
    if report.deleted:
        logger.warning("Deleted %d orphan artifact(s): %s", len(report.deleted), ", ".join(report.deleted[:20]))
    return report
