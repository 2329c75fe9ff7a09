"""No row left unscored: the passes that let each deployed classifier look at the rows it
has not seen (:data:`~forecasting.classifiers.scoring.BACKLOG`).

A new row is scored after its commit by the classifiers its writer's process knows of
(:func:`~forecasting.classifiers.scoring.transactions_score_committed`). What that misses
— rows written while nothing was deployed, rows committed by a process that had not yet
heard of a deploy, a scoring that failed — is found here: a pass queued by every deploy
and a periodic sweep (beat, ``forecasting.training.schedules``) over every deployed
classifier. Both read the deployed versions from the database, never from a process's
memory or cache, so they cannot be stale themselves.

A pass is idempotent (a scored row leaves the backlog; a second pass finds nothing to
do) and bounded: batches of ``SCORING_BATCH`` rows, at most ``SWEEP_MAX_ROWS`` per
classifier per pass; the next pass carries on from where this one stopped (a cursor in
the cache), so rows the categoriser cannot suggest anything for never hold up the others.

Alerts: a row older than the deploy is backlog — flagged for review, not announced. A
row written after the deploy that its writer missed is announced as its writer would
have done, once it is ``WRITER_GRACE`` old (before that its writer may still be scoring
it: an import's Celery batches, a slow commit).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from finance.models import Transaction, Workspace
from forecasting.classifiers.loading import LoadedModel, _summary
from forecasting.classifiers.scoring import BACKLOG, SCORING_BATCH, ScoreReport, transactions_score
from forecasting.classifiers.selectors import CLASSIFIER_TARGETS
from forecasting.registry.artifacts import ArtifactIntegrityError, artifact_load
from forecasting.registry.models import ModelVersion

logger = logging.getLogger(__name__)

SWEEP_MAX_ROWS = 10_000  # per deployed classifier and pass
WRITER_GRACE = dt.timedelta(minutes=2)
_SWEEP_LOCK = "classifier-sweep:running"
_CURSOR_SECONDS = 7 * 24 * 3600


@dataclass
class SweepReport:
    """What a sweep did, per ``"<workspace id>:<target>"`` whose pass changed rows."""

    classifiers: dict[str, ScoreReport] = field(default_factory=dict)
    skipped: str = ""

    @property
    def suggested(self) -> int:
        return sum(report.suggested for report in self.classifiers.values())

    @property
    def scored(self) -> int:
        return sum(report.scored for report in self.classifiers.values())

    @property
    def flagged(self) -> list[int]:
        return [pk for report in self.classifiers.values() for pk in report.flagged]


def deployed_classifiers_read(
    *, workspace_ids: list[int] | None = None, targets: tuple[str, ...] = CLASSIFIER_TARGETS,
) -> list[ModelVersion]:
    """The deployed classifier versions (of every workspace, or of ``workspace_ids``), read
    from the database. One query."""
    versions = ModelVersion.objects.filter(target__in=targets, status=ModelVersion.Status.DEPLOYED)
    if workspace_ids is not None:
        versions = versions.filter(workspace_id__in=workspace_ids)
    return list(versions.select_related("workspace").defer("training_data", "backtest")
                .order_by("workspace_id", "target"))


def classifier_version_load(*, version: ModelVersion) -> LoadedModel | None:
    """``version``'s model, integrity-checked; ``None`` when its artifact fails the check
    (monitoring raises the alert)."""
    try:
        model = artifact_load(version_id=version.pk, path=version.artifact_path, sha256=version.artifact_sha256)
    except ArtifactIntegrityError as exc:
        logger.error("Classifier %s of workspace %s not loaded: %s", version.target, version.workspace_id, exc)
        return None
    return LoadedModel(version.pk, version.version, version.target, model, _summary(version.metrics),
                       version.training_end, version.created_at)


def classifier_backlog_score(
    *, version: ModelVersion, now: dt.datetime | None = None, max_rows: int = SWEEP_MAX_ROWS,
) -> ScoreReport:
    """Let the deployed ``version`` look at up to ``max_rows`` rows of its workspace it has
    not seen (see the module docstring for batches, the cursor and alerts)."""
    now = now or timezone.now()
    deployed_at = version.deployed_at or now
    backlog = Transaction.objects.filter(BACKLOG[version.target], workspace_id=version.workspace_id).filter(
        Q(created_at__lt=deployed_at) | Q(created_at__lte=now - WRITER_GRACE))
    cursor_key = f"classifier-sweep:{version.pk}"
    after = start = cache.get(cursor_key, 0)
    report, model, looked_at = ScoreReport(), None, 0
    while looked_at < max_rows:
        size = min(SCORING_BATCH, max_rows - looked_at)
        ids = list(backlog.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:size])
        if ids and model is None:
            model = classifier_version_load(version=version)
        if not ids or model is None:
            after = 0  # the end of the backlog (or no usable model): the next pass starts again
            break
        rows = list(Transaction.objects.filter(pk__in=ids).order_by("date", "id"))
        for alert in (False, True):
            part = [row for row in rows if (row.created_at >= deployed_at) is alert]
            if part:
                _add(report, transactions_score(workspace=version.workspace, transactions=part, alert=alert,
                                                targets=(version.target,), models={version.target: model}))
        looked_at += len(ids)
        after = ids[-1] if len(ids) == size else 0
        if not after:
            break
    if after != start:
        cache.set(cursor_key, after, timeout=_CURSOR_SECONDS)
    return report


def unscored_transactions_sweep(
    *, now: dt.datetime | None = None, max_rows: int = SWEEP_MAX_ROWS,
) -> SweepReport:
    """Periodic: every deployed classifier of every workspace looks at the rows it has not
    seen (:func:`classifier_backlog_score`), one sweep at a time. Idempotent; cheap when
    there is nothing to do (one query for the versions, one per deployed classifier)."""
    now = now or timezone.now()
    sweep = SweepReport()
    # Two sweeps at once would score the same rows twice (and announce new ones twice).
    if not cache.add(_SWEEP_LOCK, 1, timeout=settings.ML_TRAINING_TIMEOUT_MINUTES * 60 + 60):  # the task's limit
        sweep.skipped = "another sweep is running"
        return sweep
    try:
        for version in deployed_classifiers_read():
            try:
                report = classifier_backlog_score(version=version, now=now, max_rows=max_rows)
            except Exception:  # one workspace's failure must not starve the others
                logger.exception("Sweep of %s for workspace %s failed", version.target, version.workspace_id)
                continue
            if report.scored or report.suggested:
                sweep.classifiers[f"{version.workspace_id}:{version.target}"] = report
    finally:
        cache.delete(_SWEEP_LOCK)
    return sweep


def workspace_transactions_score(*, workspace: Workspace, target: str) -> ScoreReport:
    """After a deploy of ``target``: let the version deployed now (read from the database,
    whatever this process remembers) look at the workspace's rows it has not seen."""
    deployed = deployed_classifiers_read(workspace_ids=[workspace.pk], targets=(target,))
    return classifier_backlog_score(version=deployed[0]) if deployed else ScoreReport()


def _add(total: ScoreReport, report: ScoreReport) -> None:
    total.suggested += report.suggested
    total.scored += report.scored
    total.flagged += report.flagged
