"""Writes of category rules: one place for the rules of a rule, shared by the Rules page and
the API (same checks, same messages), and applying rules to rows already in the books.

New transactions get their rule's category when they are written
(:mod:`finance.services.transactions` asks :func:`finance.rules.category_rule_for`);
:func:`category_rules_apply` does the same for rows already written that no person and no
rule has categorised (uncategorised, or only suggested by the model).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.utils import timezone

from config.limits import amount_validate, text_problem
from finance.models import Category, CategoryRule, Transaction, Workspace
from finance.rules import PatternError, category_rule_for, regex_check
from finance.selectors import category_rule_list
from finance.services.transactions import CATEGORY_OF_ANOTHER_WORKSPACE
from finance.signals import rows_recategorised

CHOICE_INVALID = "Select a valid choice. %(value)s is not one of the available choices."
PATTERN_REQUIRED = "Enter the text to look for."
PATTERN_TOO_LONG = "Use at most %(limit)d characters (this has %(length)d)."
AMOUNT_NEGATIVE = "An amount bound cannot be negative."
MAX_BELOW_MIN = "The maximum (%(max)s) is below the minimum (%(min)s)."

#: What a caller may change; the workspace and the creator never change.
UPDATABLE_FIELDS = frozenset(
    {"field", "operator", "pattern", "amount_min", "amount_max", "category", "priority", "is_active"}
)
PATTERN_MAX_LENGTH = CategoryRule._meta.get_field("pattern").max_length
#: Rows read per pass when rules are applied to the books already written.
APPLY_BATCH = 2000


def _pattern_errors(*, operator: str | None, pattern: str | None) -> list[ValidationError]:
    if pattern is None:
        return []
    if not pattern.strip():
        return [ValidationError(PATTERN_REQUIRED, code="required")]
    if len(pattern) > PATTERN_MAX_LENGTH:
        return [ValidationError(PATTERN_TOO_LONG, code="max_length",
                                params={"limit": PATTERN_MAX_LENGTH, "length": len(pattern)})]
    problem = text_problem(pattern)
    if problem:
        return [ValidationError(problem, code="control_character")]
    if operator == CategoryRule.Operator.MATCHES:
        try:
            regex_check(pattern)
        except PatternError as exc:
            return [ValidationError(str(exc), code="invalid_regex")]
    return []


def _amount_errors(value: Decimal | None) -> list[ValidationError]:
    if value is None:
        return []
    if value < 0:
        return [ValidationError(AMOUNT_NEGATIVE, code="negative")]
    try:
        amount_validate(value)
    except ValidationError as exc:
        return exc.error_list
    return []


def category_rule_validate(
    *,
    workspace: Workspace,
    field: str | None,
    operator: str | None,
    pattern: str | None,
    category: Category | None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
) -> None:
    """Check the rules every category rule keeps, or raise ``ValidationError`` keyed by
    field: the field is description or merchant, the operator contains or matches, the
    pattern is one line of at most 100 characters (and, for "matches", a regular
    expression :func:`finance.rules.regex_check` accepts), the amount bounds are not
    negative and the maximum is not below the minimum, and the category belongs to
    ``workspace``. ``None`` values are skipped (the caller's field validation refused them).
    """
    errors: dict[str, list[ValidationError]] = {}
    for name, value, choices in (("field", field, CategoryRule.Field), ("operator", operator, CategoryRule.Operator)):
        if value is not None and value not in choices.values:
            errors[name] = [ValidationError(CHOICE_INVALID, code="invalid_choice", params={"value": value})]
    if "operator" not in errors and (problems := _pattern_errors(operator=operator, pattern=pattern)):
        errors["pattern"] = problems
    for name, value in (("amount_min", amount_min), ("amount_max", amount_max)):
        if problems := _amount_errors(value):
            errors[name] = problems
    if amount_min is not None and amount_max is not None and amount_max < amount_min and not errors.keys() & {
        "amount_min", "amount_max"
    }:
        errors["amount_max"] = [ValidationError(MAX_BELOW_MIN, code="max_below_min",
                                                params={"max": f"{amount_max:.2f}", "min": f"{amount_min:.2f}"})]
    if category is not None and category.workspace_id != workspace.pk:
        errors["category"] = [ValidationError(CATEGORY_OF_ANOTHER_WORKSPACE, code="other_workspace")]
    if errors:
        raise ValidationError(errors)


@db_transaction.atomic
def category_rule_create(
    *,
    workspace: Workspace,
    user: AbstractBaseUser | None,
    pattern: str,
    category: Category,
    field: str = CategoryRule.Field.MERCHANT,
    operator: str = CategoryRule.Operator.CONTAINS,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    priority: int = 100,
    is_active: bool = True,
) -> CategoryRule:
    """Add a rule to ``workspace``: transactions whose ``field`` ``operator`` ``pattern``
    (and whose amount is within the bounds) get ``category``. Raises ``ValidationError``
    (keyed by field, nothing written) when :func:`category_rule_validate` refuses it. The
    rule applies to rows written from now on; :func:`category_rules_apply` applies the
    workspace's rules to the rows already written."""
    pattern = pattern.strip()
    category_rule_validate(workspace=workspace, field=field, operator=operator, pattern=pattern,
                           category=category, amount_min=amount_min, amount_max=amount_max)
    rule = CategoryRule(
        workspace=workspace, field=field, operator=operator, pattern=pattern, category=category,
        amount_min=amount_min, amount_max=amount_max, priority=priority, is_active=is_active, created_by=user,
    )
    rule.save()
    return rule


@db_transaction.atomic
def category_rule_update(*, rule: CategoryRule, **fields: Any) -> CategoryRule:
    """Change ``fields`` (names in :data:`UPDATABLE_FIELDS`) of ``rule``; returns the saved
    row, read again under a lock and checked whole with the changes applied. Raises
    ``ValidationError`` (keyed by field, nothing written) when :func:`category_rule_validate`
    refuses the result, ``TypeError`` for a field that cannot be changed. Rows the rule
    categorised before keep their category."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"category_rule_update() cannot set {', '.join(sorted(unknown))}")
    row = CategoryRule.objects.select_for_update(of=("self",)).select_related("workspace", "category").get(pk=rule.pk)
    if isinstance(fields.get("pattern"), str):
        fields["pattern"] = fields["pattern"].strip()
    for name, value in fields.items():
        setattr(row, name, value)
    category_rule_validate(workspace=row.workspace, field=row.field, operator=row.operator, pattern=row.pattern,
                           category=row.category, amount_min=row.amount_min, amount_max=row.amount_max)
    row.save()
    return row


@db_transaction.atomic
def category_rule_delete(*, rule: CategoryRule) -> None:
    """Delete ``rule``; the rows it categorised keep their category."""
    rule.delete()


@db_transaction.atomic
def category_rules_apply(*, workspace: Workspace) -> int:
    """Give every row of ``workspace`` that no person and no rule has categorised (no
    category, or the model's suggestion) the category of the first active rule that
    applies to it; returns how many rows changed. A row a person categorises meanwhile is
    left alone (the update is conditional on the row still being open)."""
    rules = list(category_rule_list(workspace=workspace, active_only=True))
    if not rules:
        return 0
    open_sources = (Transaction.CategorySource.NONE, Transaction.CategorySource.MODEL)
    candidates = (
        Transaction.objects.filter(workspace=workspace, category_source__in=open_sources)
        .values_list("pk", "kind", "amount", "description", "merchant")
        .order_by("pk")
    )
    by_category: dict[int, list[int]] = {}
    for pk, kind, amount, description, merchant in candidates.iterator(chunk_size=APPLY_BATCH):
        rule = category_rule_for(rules=rules, kind=kind, amount=amount, description=description, merchant=merchant)
        if rule is not None:
            by_category.setdefault(rule.category_id, []).append(pk)
    changed, now = 0, timezone.now()
    for category_id, ids in by_category.items():
        for start in range(0, len(ids), APPLY_BATCH):
            changed += Transaction.objects.filter(
                pk__in=ids[start : start + APPLY_BATCH], category_source__in=open_sources
            ).update(category_id=category_id, category_source=Transaction.CategorySource.RULE,
                     category_confidence=None, updated_at=now)
    if changed:
        rows_recategorised.send(sender=Transaction, workspace=workspace, count=changed)
    return changed
