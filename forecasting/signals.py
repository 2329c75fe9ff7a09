"""The one cross-app signal of the design: new finance rows schedule an auto-learn check
of their targets after commit. Bulk imports announce themselves once. New transactions
are also scored by the deployed classifiers once their transaction commits.

The retrain counters themselves are bumped by the database, in the writer's own INSERT
(:mod:`forecasting.training.counters`), which costs the writer no round trip.
They run on every single write, so they are kept lean: a new transaction costs one
after-commit callback that does both the check and the scoring.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from finance.models import Sale, StockLevel, Transaction
from finance.signals import amounts_confirmed, rows_imported
from forecasting.classifiers.scoring import (
    transactions_score_committed,
    transactions_score_on_commit,
)
from forecasting.training.autolearn import autolearn_check_on_commit, targets_for_row


@receiver(post_save, sender=Transaction, dispatch_uid="forecasting.transaction_saved")
def transaction_saved(sender: type, instance: Transaction, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """A new transaction (already counted by the database): once committed, check
    auto-learning and let the deployed classifiers score it (nothing happens, at the
    cost of one cache read a second, while none is deployed)."""
    if raw or not created:
        return
    workspace_id, ids = instance.workspace_id, [instance.pk]
    autolearn_check_on_commit(workspace_id=workspace_id, targets=targets_for_row(instance),
                              also=lambda: transactions_score_committed(workspace_id=workspace_id, ids=ids))


@receiver(post_save, sender=Sale, dispatch_uid="forecasting.sale_saved")
@receiver(post_save, sender=StockLevel, dispatch_uid="forecasting.stocklevel_saved")
def inventory_row_saved(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created:
        return
    autolearn_check_on_commit(workspace_id=instance.workspace_id, targets=targets_for_row(instance))


@receiver(rows_imported, dispatch_uid="forecasting.rows_imported")
def rows_imported_check(sender: type, workspace: Any, rows: list, **kwargs: Any) -> None:
    """A bulk import (counted by the database, row by row): one check per target it touched."""
    targets = tuple(dict.fromkeys(target for row in rows for target in targets_for_row(row)))
    if targets:
        autolearn_check_on_commit(workspace_id=workspace.pk, targets=targets)


@receiver(rows_imported, dispatch_uid="forecasting.imported_transactions_scored")
def score_imported_transactions(sender: type, workspace: Any, rows: list, **kwargs: Any) -> None:
    if sender is Transaction:
        transactions_score_on_commit(workspace_id=workspace.pk, ids=[row.pk for row in rows])


@receiver(amounts_confirmed, dispatch_uid="forecasting.amounts_confirmed")
def amounts_confirmed_check(sender: type, workspace: Any, rows: list, **kwargs: Any) -> None:
    """Confirmed amounts join the training series: check auto-learning of their kinds (the
    check also forgets the cached forecasts, which were made without them)."""
    targets = tuple(dict.fromkeys(row.kind for row in rows))
    if targets:
        autolearn_check_on_commit(workspace_id=workspace.pk, targets=targets)
