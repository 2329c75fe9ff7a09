"""Every deletion of a model version is recorded (:class:`ModelVersionDeletion`), in the
transaction that deletes it — through the registry's service (admin, API) with who and
why, or any other way (a shell's ``delete()``) without them.

Who and why travel from :func:`~forecasting.registry.services.model_version_delete` to
the ``post_delete`` receiver in a context variable, so that the one receiver writes every
record. Versions deleted with their workspace are not recorded: the records would be
deleted with it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete
from django.dispatch import receiver

from finance.models import Workspace
from forecasting.registry.models import ModelVersion, ModelVersionDeletion

#: What a record says when nothing told the receiver who deleted the version and why.
UNATTRIBUTED = "Deleted outside the registry's services (no user or reason was given)."

_deleted_by: ContextVar[tuple[Any, str] | None] = ContextVar("model_version_deleted_by", default=None)


@contextmanager
def model_version_deletion_by(*, user: Any, reason: str) -> Iterator[None]:
    """The versions deleted within this block are recorded as deleted by ``user`` for ``reason``."""
    token = _deleted_by.set((user if user is not None and user.is_authenticated else None, reason))
    try:
        yield
    finally:
        _deleted_by.reset(token)


def _with_its_workspace(origin: Any) -> bool:
    return isinstance(origin, Workspace) or (isinstance(origin, QuerySet) and origin.model is Workspace)


@receiver(post_delete, sender=ModelVersion, dispatch_uid="forecasting.registry.audit.deletion_record")
def model_version_deletion_record(sender: type, instance: ModelVersion, origin: Any = None, **kwargs: Any) -> None:
    if _with_its_workspace(origin):
        return
    user, reason = _deleted_by.get() or (None, UNATTRIBUTED)
    ModelVersionDeletion.objects.create(
        workspace_id=instance.workspace_id, version_id=instance.pk, target=instance.target, kind=instance.kind,
        frequency=instance.frequency, version=instance.version, algorithm=instance.algorithm,
        status=instance.status, artifact_sha256=instance.artifact_sha256, user=user, reason=reason,
    )
