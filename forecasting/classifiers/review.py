"""Reads of the Review page: the rows the classifiers want a person to look at, and the
rules the same correction made three times asks for.

* **Flagged** rows (``is_flagged``: the fraud or anomaly detector's verdict) nobody has
  labelled yet, with the reason in numbers (fraud probability, anomaly score).
* **Uncertain suggestions**: categories the categoriser suggested below the confidence
  at which a budget counts them (``BUDGET_SUGGESTION_MIN_CONFIDENCE``).
* **Rule suggestions**: when members corrected transactions of one merchant (or, without
  a merchant, one description) to the same category ``RULE_SUGGESTION_MIN_CORRECTIONS``
  times, "merchant contains 'X' → Category" — unless an active rule already does it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q

from finance.models import Category, CategoryRule, Transaction, Workspace
from finance.rules import text_matches
from finance.selectors import budget_unconfirmed_q, category_rule_list
from forecasting.serving.models import Feedback

REVIEW_ROWS_SHOWN = 100
RULE_SUGGESTION_MIN_CORRECTIONS = 3
RULE_SUGGESTIONS_SHOWN = 5
CORRECTIONS_READ = 2000  # the most recent corrections a rule suggestion is looked for in
ANOMALY_UNUSUAL = 0.6  # the anomaly score above which a row is unusual (the field's help text)
PATTERN_MAX_LENGTH = CategoryRule._meta.get_field("pattern").max_length


def _uncertain_q() -> Q:
    """Suggestions a person has to confirm: the ones budgets leave out (one notion of
    "unconfirmed", :func:`finance.selectors.budget_unconfirmed_q`)."""
    return budget_unconfirmed_q() & Q(category__isnull=False)


def _unlabelled_flag_q() -> Q:
    labelled = Feedback.objects.filter(transaction_id=OuterRef("pk"), kind=Feedback.Kind.FRAUD_LABEL)
    return Q(is_flagged=True) & ~Q(Exists(labelled))


@dataclass(frozen=True)
class Reason:
    """Why a row is in the queue, in words: ``kind`` is "flag" or "suggestion"."""

    text: str
    kind: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ReviewItem:
    """One row of the queue and why it is there."""

    transaction: Transaction
    flagged: bool
    uncertain: bool
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewQueue:
    items: list[ReviewItem]
    flagged_count: int
    uncertain_count: int
    min_confidence: float

    @property
    def total(self) -> int:
        return self.flagged_count + self.uncertain_count


def _percent(value: float) -> str:
    return f"{round(value * 100):d}\xa0%"


def _reasons(row: Transaction, *, flagged: bool, uncertain: bool) -> list[Reason]:
    reasons = []
    if flagged:
        if row.fraud_score is not None:
            reasons.append(Reason(f"Fraud probability {_percent(row.fraud_score)}", "flag"))
        if row.anomaly_score is not None:
            unusual = " (unusual)" if row.anomaly_score >= ANOMALY_UNUSUAL else ""
            reasons.append(Reason(f"Anomaly score {row.anomaly_score:.2f}{unusual}", "flag"))
        if not reasons:
            reasons.append(Reason("Flagged for review", "flag"))
    if uncertain:
        confidence = "" if row.category_confidence is None else f" at {_percent(row.category_confidence)}"
        reasons.append(Reason(f"Suggested {row.category.name}{confidence}", "suggestion"))
    return reasons


def review_queue_get(*, workspace: Workspace, limit: int = REVIEW_ROWS_SHOWN) -> ReviewQueue:
    """The workspace's flagged rows nobody labelled and its uncertain suggestions, newest
    first (at most ``limit``), with the counts of each (three queries)."""
    flag_q, uncertain_q = _unlabelled_flag_q(), _uncertain_q()
    rows = (
        Transaction.objects.filter(workspace=workspace).filter(flag_q | uncertain_q)
        .annotate(needs_label=ExpressionWrapper(flag_q, output_field=BooleanField()),
                  uncertain=ExpressionWrapper(uncertain_q, output_field=BooleanField()))
        .select_related("category").order_by("-date", "-id")[:limit]
    )
    items = [
        ReviewItem(transaction=row, flagged=row.needs_label, uncertain=row.uncertain,
                   reasons=_reasons(row, flagged=row.needs_label, uncertain=row.uncertain))
        for row in rows
    ]
    own = Transaction.objects.filter(workspace=workspace)
    return ReviewQueue(
        items=items, flagged_count=own.filter(flag_q).count(), uncertain_count=own.filter(uncertain_q).count(),
        min_confidence=settings.BUDGET_SUGGESTION_MIN_CONFIDENCE,
    )


@dataclass(frozen=True)
class RuleSuggestion:
    """"<field> contains '<pattern>' → category", asked for by ``corrections`` corrections."""

    field: str
    pattern: str
    category: Category
    corrections: int

    @property
    def field_label(self) -> str:
        return CategoryRule.Field(self.field).label.lower()


def category_rule_suggestion_list(
    *, workspace: Workspace, min_corrections: int = RULE_SUGGESTION_MIN_CORRECTIONS,
) -> list[RuleSuggestion]:
    """Rules the workspace's corrections ask for: the same merchant (or, for rows without
    a merchant, the same description) corrected to the same category on at least
    ``min_corrections`` transactions, not yet done by an active rule; most asked first."""
    corrections = (
        Feedback.objects.filter(workspace=workspace, kind=Feedback.Kind.CORRECTION, transaction__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("transaction_id", "transaction__merchant", "transaction__description", "actual")[:CORRECTIONS_READ]
    )
    seen: set[int] = set()
    counts: Counter[tuple[str, str, int]] = Counter()
    for transaction_id, merchant, description, actual in corrections:
        if transaction_id in seen or not isinstance(actual, int):
            continue  # the latest correction of a row is the one that counts
        seen.add(transaction_id)
        field_name, text = ("merchant", merchant.strip()) if merchant.strip() else ("description", description.strip())
        if text and len(text) <= PATTERN_MAX_LENGTH:
            counts[(field_name, text, actual)] += 1
    wanted = [(key, n) for key, n in counts.most_common() if n >= min_corrections]
    if not wanted:
        return []
    categories = Category.objects.in_bulk([category_id for (_, _, category_id), _ in wanted])
    rules = list(category_rule_list(workspace=workspace, active_only=True))
    out = []
    for (field_name, text, category_id), n in wanted:
        category = categories.get(category_id)
        if category is None or category.workspace_id != workspace.pk:
            continue
        if any(r.field == field_name and r.category_id == category_id
               and text_matches(operator=r.operator, pattern=r.pattern, text=text) for r in rules):
            continue
        out.append(RuleSuggestion(field=field_name, pattern=text, category=category, corrections=n))
        if len(out) == RULE_SUGGESTIONS_SHOWN:
            break
    return out
