"""The one cross-app signal of the design: new finance rows bump the retrain counters of
their targets (inside the writer's transaction) and schedule an auto-learn check after
commit. Bulk imports announce themselves once, with their row count. New transactions
are also scored by the deployed classifiers once their transaction commits.

These receivers run on every single write, so they are kept lean (see
benchmarks/signals): a new transaction costs one counter UPDATE and one after-commit
callback that does both the check and the scoring.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from finance.models import Sale, StockLevel, Transaction
from finance.signals import rows_imported
from forecasting.services.autolearn import new_data_record, targets_for_row
from forecasting.services.classification import (
    transactions_score_committed,
    transactions_score_on_commit,
)


@receiver(post_save, sender=Transaction, dispatch_uid="forecasting.transaction_saved")
def transaction_saved(sender: type, instance: Transaction, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """A new transaction: count it for its targets now; once committed, check
    auto-learning and let the deployed classifiers score it (nothing happens, at the
    cost of one cache read a second, while none is deployed)."""
    if raw or not created:
        return
    workspace_id, ids = instance.workspace_id, [instance.pk]
    new_data_record(workspace_id=workspace_id, targets=targets_for_row(instance),
                    also=lambda: transactions_score_committed(workspace_id=workspace_id, ids=ids))


@receiver(post_save, sender=Sale, dispatch_uid="forecasting.sale_saved")
@receiver(post_save, sender=StockLevel, dispatch_uid="forecasting.stocklevel_saved")
def count_new_row(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created:
        return
    new_data_record(workspace_id=instance.workspace_id, targets=targets_for_row(instance))


@receiver(rows_imported, dispatch_uid="forecasting.rows_imported")
def count_imported_rows(sender: type, workspace: Any, rows: list, **kwargs: Any) -> None:
    counts = Counter(targets_for_row(row) for row in rows)
    for targets, count in counts.items():
        new_data_record(workspace_id=workspace.pk, targets=targets, count=count)


@receiver(rows_imported, dispatch_uid="forecasting.imported_transactions_scored")
def score_imported_transactions(sender: type, workspace: Any, rows: list, **kwargs: Any) -> None:
    if sender is Transaction:
        transactions_score_on_commit(workspace_id=workspace.pk, ids=[row.pk for row in rows])
