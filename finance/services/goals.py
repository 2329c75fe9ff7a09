"""Writes of savings goals: one place for the rules of a goal, shared by the Goals page
and the API (same checks, same messages). Every write that sets a goal's saved amount
records it for the day in the goal's history (:class:`~finance.models.GoalProgress`),
which the Goals page draws."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.utils import timezone

from config.limits import amount_validate, date_validate
from finance.models import Goal, GoalProgress, Workspace
from finance.signals import CREATE, DELETE, UPDATE, books_changed, changed_fields

NAME_BLANK = "Give the goal a name."
TARGET_NOT_POSITIVE = "The target must be greater than zero."
SAVED_NEGATIVE = "The saved amount cannot be negative."
DEADLINE_PASSED = "The deadline has passed: choose today or a later date."

#: What a caller may change; the workspace and the owner never change.
UPDATABLE_FIELDS = frozenset({"name", "target_amount", "saved_amount", "deadline"})


def goal_target_validate(*, target_amount: Decimal) -> None:
    """The target rule on its own (the API reports it with the other fields' errors)."""
    if target_amount <= 0:
        raise ValidationError(TARGET_NOT_POSITIVE, code="not_positive")
    amount_validate(target_amount)


def goal_saved_validate(*, saved_amount: Decimal) -> None:
    """The saved-amount rule on its own."""
    if saved_amount < 0:
        raise ValidationError(SAVED_NEGATIVE, code="negative")
    amount_validate(saved_amount)


def goal_deadline_validate(*, deadline: dt.date, today: dt.date, previous_deadline: dt.date | None = None) -> None:
    """The deadline rule on its own: not before ``today``, unless it is the one the goal
    already has (``previous_deadline``: an overdue goal can still be updated); within
    ``INPUT_DATE_MIN`` … ``INPUT_DATE_MAX``."""
    date_validate(deadline)
    if deadline < today and deadline != previous_deadline:
        raise ValidationError(DEADLINE_PASSED, code="passed")


def goal_validate(
    *,
    name: str | None,
    target_amount: Decimal | None,
    saved_amount: Decimal | None,
    deadline: dt.date | None,
    today: dt.date,
    previous_deadline: dt.date | None = None,
) -> None:
    """Check the rules every goal keeps, or raise ``ValidationError`` keyed by field: a
    name, a target greater than zero, a saved amount that is not negative (it may pass the
    target), and a deadline not before ``today`` unless unchanged
    (:func:`goal_deadline_validate`).

    ``None`` values are skipped: the caller's own field validation has refused them.
    """
    errors: dict[str, list[ValidationError]] = {}
    checks = (
        ("target_amount", target_amount, lambda: goal_target_validate(target_amount=target_amount)),
        ("saved_amount", saved_amount, lambda: goal_saved_validate(saved_amount=saved_amount)),
        ("deadline", deadline, lambda: goal_deadline_validate(
            deadline=deadline, today=today, previous_deadline=previous_deadline)),
    )
    if name is not None and not name.strip():
        errors["name"] = [ValidationError(NAME_BLANK, code="blank")]
    for field, value, check in checks:
        if value is None:
            continue
        try:
            check()
        except ValidationError as exc:
            errors[field] = exc.error_list
    if errors:
        raise ValidationError(errors)


def _progress_record(*, goal: Goal, day: dt.date) -> None:
    """The goal's saved amount as of ``day`` (one row per day: a later change the same day
    replaces it)."""
    GoalProgress.objects.update_or_create(
        goal=goal, date=day, defaults={"workspace_id": goal.workspace_id, "saved_amount": goal.saved_amount},
    )


@db_transaction.atomic
def goal_create(
    *,
    workspace: Workspace,
    owner: AbstractBaseUser | None,
    name: str,
    target_amount: Decimal,
    deadline: dt.date,
    saved_amount: Decimal = Decimal("0.00"),
) -> Goal:
    """Add a goal to ``workspace``: save ``target_amount`` by ``deadline``, ``saved_amount``
    saved so far (recorded as today's progress). Raises ``ValidationError`` (keyed by
    field, nothing written) when :func:`goal_validate` refuses it."""
    today = timezone.localdate()
    goal_validate(name=name, target_amount=target_amount, saved_amount=saved_amount, deadline=deadline, today=today)
    goal = Goal(
        workspace=workspace, owner=owner, name=name.strip(), target_amount=target_amount,
        saved_amount=saved_amount, deadline=deadline,
    )
    goal.save()
    _progress_record(goal=goal, day=today)
    books_changed.send(sender=Goal, instance=goal, action=CREATE, fields=[])
    return goal


@db_transaction.atomic
def goal_update(*, goal: Goal, **fields: Any) -> Goal:
    """Change ``fields`` (names in :data:`UPDATABLE_FIELDS`) of ``goal``; returns the saved
    row. The row is read again under a lock and checked whole with the changes applied; a
    changed saved amount is recorded as today's progress. Raises ``ValidationError``
    (keyed by field, nothing written) when :func:`goal_validate` refuses the result,
    ``TypeError`` for a field that cannot be changed."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"goal_update() cannot set {', '.join(sorted(unknown))}")
    today = timezone.localdate()
    row = Goal.objects.select_for_update().get(pk=goal.pk)
    previous_saved, previous_deadline = row.saved_amount, row.deadline
    changed = changed_fields(row, fields)
    for name, value in fields.items():
        setattr(row, name, value)
    goal_validate(
        name=row.name, target_amount=row.target_amount, saved_amount=row.saved_amount, deadline=row.deadline,
        today=today, previous_deadline=previous_deadline,
    )
    row.name = row.name.strip()
    row.save()
    if row.saved_amount != previous_saved:
        _progress_record(goal=row, day=today)
    books_changed.send(sender=Goal, instance=row, action=UPDATE, fields=changed)
    return row


@db_transaction.atomic
def goal_delete(*, goal: Goal) -> None:
    """Delete ``goal`` and its history."""
    books_changed.send(sender=Goal, instance=goal, action=DELETE, fields=[])
    goal.delete()
