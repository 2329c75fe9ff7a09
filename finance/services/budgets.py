"""Writes of budgets: one place for the rules of a budget, shared by the Budgets page and
the API (same checks, same messages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.db.models import Q

from config.limits import amount_validate, date_validate
from finance.models import Budget, Category, Workspace
from finance.services.transactions import CATEGORY_OF_ANOTHER_WORKSPACE
from finance.signals import CREATE, DELETE, UPDATE, books_changed, changed_fields

LIMIT_NOT_POSITIVE = "The limit must be greater than zero."
CATEGORY_NOT_EXPENSE = "Budgets are for expense categories."
PERIOD_INVALID = "Select a valid choice. %(value)s is not one of the available choices."
END_BEFORE_START = "The end date is before the start date."
OVERLAP = "“%(name)s” already has a budget for these dates (%(dates)s). End that one first or choose other dates."

#: What a caller may change; the workspace never changes.
UPDATABLE_FIELDS = frozenset({"category", "amount", "period", "start_date", "end_date"})


def _dates_label(budget: Budget) -> str:
    start = budget.start_date.isoformat()
    return f"{start} to {budget.end_date.isoformat()}" if budget.end_date else f"from {start}, no end date"


def _budget_overlapping(
    *, category: Category, start_date: dt.date, end_date: dt.date | None, budget: Budget | None
) -> Budget | None:
    """Another budget of ``category`` whose dates meet ``start_date``–``end_date``. One query."""
    others = Budget.objects.filter(category=category).filter(Q(end_date__isnull=True) | Q(end_date__gte=start_date))
    if end_date is not None:
        others = others.filter(start_date__lte=end_date)
    if budget is not None and budget.pk is not None:
        others = others.exclude(pk=budget.pk)
    return others.order_by("start_date", "pk").first()


def budget_limit_validate(*, amount: Decimal) -> None:
    """The limit rule on its own (the API reports it with the other fields' errors)."""
    if amount <= 0:
        raise ValidationError(LIMIT_NOT_POSITIVE, code="not_positive")
    amount_validate(amount)


def budget_validate(
    *,
    workspace: Workspace,
    category: Category | None,
    amount: Decimal | None,
    period: str | None,
    start_date: dt.date | None,
    end_date: dt.date | None,
    budget: Budget | None = None,
) -> None:
    """Check the rules every budget keeps, or raise ``ValidationError`` keyed by field: the
    limit is greater than zero, the period is weekly, monthly or yearly, the category is an
    expense category of ``workspace`` with no other budget (``budget`` itself aside) for
    the same dates, and the end date, if any, is not before the start date.

    ``None`` values are skipped: the caller's own field validation has refused them.
    """
    errors: dict[str, list[ValidationError]] = {}
    if amount is not None:
        try:
            budget_limit_validate(amount=amount)
        except ValidationError as exc:
            errors["amount"] = exc.error_list
    if period is not None and period not in Budget.Period.values:
        errors["period"] = [ValidationError(PERIOD_INVALID, code="invalid_choice", params={"value": period})]
    for name, day in (("start_date", start_date), ("end_date", end_date)):
        if day is not None:
            try:
                date_validate(day)
            except ValidationError as exc:
                errors[name] = exc.error_list
    if start_date is not None and end_date is not None and end_date < start_date and "end_date" not in errors:
        errors["end_date"] = [ValidationError(END_BEFORE_START, code="end_before_start")]
    if category is not None:
        if category.workspace_id != workspace.pk:
            errors["category"] = [ValidationError(CATEGORY_OF_ANOTHER_WORKSPACE, code="other_workspace")]
        elif category.kind != Category.Kind.EXPENSE:
            errors["category"] = [ValidationError(CATEGORY_NOT_EXPENSE, code="not_expense")]
        elif start_date is not None and "end_date" not in errors:
            clash = _budget_overlapping(category=category, start_date=start_date, end_date=end_date, budget=budget)
            if clash is not None:
                errors["category"] = [ValidationError(
                    OVERLAP, code="overlap", params={"name": category.name, "dates": _dates_label(clash)},
                )]
    if errors:
        raise ValidationError(errors)


@db_transaction.atomic
def budget_create(
    *,
    workspace: Workspace,
    category: Category,
    amount: Decimal,
    start_date: dt.date,
    period: str = Budget.Period.MONTHLY,
    end_date: dt.date | None = None,
) -> Budget:
    """Add a budget to ``workspace``: ``amount`` per ``period`` for the expenses of
    ``category`` from ``start_date`` (to ``end_date``, or open-ended). Raises
    ``ValidationError`` (keyed by field, nothing written) when :func:`budget_validate`
    refuses it."""
    budget_validate(
        workspace=workspace, category=category, amount=amount, period=period, start_date=start_date,
        end_date=end_date,
    )
    budget = Budget(
        workspace=workspace, category=category, amount=amount, period=period, start_date=start_date,
        end_date=end_date,
    )
    budget.save()
    books_changed.send(sender=Budget, instance=budget, action=CREATE, fields=[])
    return budget


@db_transaction.atomic
def budget_update(*, budget: Budget, **fields: Any) -> Budget:
    """Change ``fields`` (names in :data:`UPDATABLE_FIELDS`) of ``budget``; returns the saved
    row. The row is read again under a lock and checked whole with the changes applied.
    Raises ``ValidationError`` (keyed by field, nothing written) when :func:`budget_validate`
    refuses the result, ``TypeError`` for a field that cannot be changed."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"budget_update() cannot set {', '.join(sorted(unknown))}")
    row = Budget.objects.select_for_update(of=("self",)).select_related("workspace", "category").get(pk=budget.pk)
    changed = changed_fields(row, fields)
    for name, value in fields.items():
        setattr(row, name, value)
    budget_validate(
        workspace=row.workspace, category=row.category, amount=row.amount, period=row.period,
        start_date=row.start_date, end_date=row.end_date, budget=row,
    )
    row.save()
    books_changed.send(sender=Budget, instance=row, action=UPDATE, fields=changed)
    return row


@db_transaction.atomic
def budget_delete(*, budget: Budget) -> None:
    """Delete ``budget`` (its category and the transactions stay)."""
    books_changed.send(sender=Budget, instance=budget, action=DELETE, fields=[])
    budget.delete()
