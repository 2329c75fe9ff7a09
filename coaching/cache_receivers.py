"""The coaching prediction cache forgets a workspace's answers when its books change
(:func:`coaching.services.prediction_cache.prediction_cache_books_changed`, after commit):
any saved transaction, budget, goal or category (``post_save``: the services, admin,
factories), a deletion the services announce (:data:`finance.signals.books_changed`;
``post_delete`` would cost the books Django's fast cascade deletes), an import
(:data:`finance.signals.rows_imported`) and rows the category rules recategorised
(:data:`finance.signals.rows_recategorised`)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from coaching.services.prediction_cache import prediction_cache_books_changed
from finance.models import Budget, Category, Goal, Transaction
from finance.signals import DELETE, books_changed, rows_imported, rows_recategorised


@receiver(post_save, sender=Transaction, dispatch_uid="coaching.cache.transaction_saved")
@receiver(post_save, sender=Budget, dispatch_uid="coaching.cache.budget_saved")
@receiver(post_save, sender=Goal, dispatch_uid="coaching.cache.goal_saved")
@receiver(post_save, sender=Category, dispatch_uid="coaching.cache.category_saved")
def book_row_saved(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        prediction_cache_books_changed(workspace_id=instance.workspace_id)


@receiver(books_changed, dispatch_uid="coaching.cache.book_row_deleted")
def book_row_deleted(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    if action == DELETE:
        prediction_cache_books_changed(workspace_id=instance.workspace_id)


@receiver(rows_imported, dispatch_uid="coaching.cache.rows_imported")
@receiver(rows_recategorised, dispatch_uid="coaching.cache.rows_recategorised")
def book_rows_written(sender: type, workspace: Any, **kwargs: Any) -> None:
    prediction_cache_books_changed(workspace_id=workspace.pk)
