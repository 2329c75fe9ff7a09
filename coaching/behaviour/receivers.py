"""Events of the writes people make to the books, and the flush after each request.

The finance services announce each transaction, budget and goal they create, change or
delete (:data:`finance.signals.books_changed`); when a signed-in person's request made the
write, a ``transaction_modification``, ``budget_modification`` or ``goal_modification``
event is buffered once the write's transaction commits (a write rolled back records
nothing). Writes made by no request — the demo seed, imports, Celery jobs — record nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished
from django.db import models, transaction
from django.dispatch import receiver

from coaching.behaviour.buffer import PendingEvent, behavioral_event_buffer, flush_when_due
from coaching.behaviour.context import actor_current, signed_in
from coaching.models import BehavioralEvent
from finance.models import Budget, Goal, Transaction
from finance.signals import books_changed


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _transaction(row: Transaction) -> dict[str, Any]:
    return {"transaction_id": row.pk, "kind": row.kind, "amount": _money(row.amount), "category": row.category_id,
            "status": row.status}


def _budget(row: Budget) -> dict[str, Any]:
    return {"budget_id": row.pk, "category": row.category_id, "amount": _money(row.amount), "period": row.period}


def _goal(row: Goal) -> dict[str, Any]:
    return {"goal_id": row.pk, "target_amount": _money(row.target_amount), "saved_amount": _money(row.saved_amount),
            "deadline": row.deadline.isoformat() if row.deadline else None}


WRITES: dict[type[models.Model], tuple[str, Callable[[Any], dict[str, Any]]]] = {
    Transaction: (BehavioralEvent.Type.TRANSACTION_MODIFICATION.value, _transaction),
    Budget: (BehavioralEvent.Type.BUDGET_MODIFICATION.value, _budget),
    Goal: (BehavioralEvent.Type.GOAL_MODIFICATION.value, _goal),
}


@receiver(books_changed, dispatch_uid="coaching.behaviour.books_changed")
def books_changed_record(sender: type[models.Model], instance: Any, action: str, fields: list[str],
                         **kwargs: Any) -> None:
    described = WRITES.get(sender)
    actor = actor_current()
    if described is None or actor is None:
        return
    event_type, describe = described
    data = {"action": action, **describe(instance)}
    if fields:
        data["fields"] = fields
    event = PendingEvent(instance.workspace_id, actor.user_id, event_type, data, actor.session_id, time.time())
    transaction.on_commit(lambda: behavioral_event_buffer(event))


user_logged_in.connect(signed_in, dispatch_uid="coaching.behaviour.signed_in")
request_finished.connect(flush_when_due, dispatch_uid="coaching.behaviour.flush")
