"""Key rotation of the artifacts: rewrite every artifact with the current key of
``ML_ARTIFACT_KEYS`` (or in clear when it is empty), then delete the files replaced.

Two steps, because a process may remember a version's artifact path and sha256 (the
serving state, the classifiers' cache) until it restarts or the deployment changes: the
first step writes each new file beside the old one and points the version at it, the
old file stays readable; the second, run once every process has restarted, deletes the
artifact files that no version points to any more and that are not stored as new
artifacts are (those are the replaced ones — a training in progress writes with the
current key, so its file, not yet referenced, is never taken for one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files.storage import default_storage

from forecasting.registry.artifacts import (
    ARTIFACT_DIR,
    ArtifactIntegrityError,
    artifact_delete,
    artifact_rekey,
)
from forecasting.registry.encryption import artifact_is_current
from forecasting.registry.models import ModelVersion


@dataclass
class RekeyReport:
    rewritten: list[int] = field(default_factory=list)  # version ids
    unchanged: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (version id, why)


def artifacts_rekey() -> RekeyReport:
    """Rewrite every version's artifact that is not stored with the current key; each
    version is switched to its new file only if its artifact did not change meanwhile."""
    report = RekeyReport()
    versions = ModelVersion.objects.exclude(artifact_path="").order_by("pk")
    for pk, path, sha256 in versions.values_list("pk", "artifact_path", "artifact_sha256").iterator():
        try:
            new = artifact_rekey(path=path, sha256=sha256)
        except ArtifactIntegrityError as exc:
            report.failed.append((pk, str(exc)))
            continue
        if new is None:
            report.unchanged += 1
            continue
        switched = ModelVersion.objects.filter(pk=pk, artifact_path=path, artifact_sha256=sha256).update(
            artifact_path=new.path, artifact_sha256=new.sha256, artifact_size=new.size
        )
        if switched:
            report.rewritten.append(pk)
        else:  # deleted or rewritten meanwhile: the new file serves nobody
            artifact_delete(path=new.path)
            report.failed.append((pk, "the version changed while its artifact was rewritten; run again"))
    return report


def _artifact_files(folder: str = ARTIFACT_DIR) -> list[str]:
    if not default_storage.exists(folder):
        return []
    folders, files = default_storage.listdir(folder)
    paths = [f"{folder}/{name}" for name in files]
    for name in folders:
        paths += _artifact_files(f"{folder}/{name}")
    return paths


def artifacts_replaced_delete(*, dry_run: bool = False) -> list[str]:
    """Delete (or with ``dry_run`` only list) the artifact files that no version points to
    and that are not stored with the current key: the files :func:`artifacts_rekey`
    replaced. Run it once every process has restarted after the rekey."""
    referenced = set(ModelVersion.objects.exclude(artifact_path="").values_list("artifact_path", flat=True))
    replaced = []
    for path in sorted(_artifact_files()):
        if path in referenced:
            continue
        with default_storage.open(path, "rb") as handle:
            stored = handle.read()
        if artifact_is_current(stored):
            continue
        replaced.append(path)
        if not dry_run:
            artifact_delete(path=path)
    return replaced
