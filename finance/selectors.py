"""Reads of the books. Tenancy lives here: every queryset served to a user goes through
:func:`workspace_scoped_queryset`, so another workspace's rows are never visible and
their ids answer 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from config.limits import amount_review_ceiling, percentile_rank
from finance.models import (
    Budget,
    Category,
    CategoryRule,
    Goal,
    GoalProgress,
    Membership,
    Product,
    Sale,
    StockLevel,
    Transaction,
    Warehouse,
    Workspace,
)
from finance.months import add_months, month_end, month_start

M = TypeVar("M", bound=models.Model)


def membership_queryset_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Membership]:
    """The memberships of ``user`` (empty for anonymous users)."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user)


def workspace_list_for_user(
    *, user: AbstractBaseUser | AnonymousUser, roles: tuple[str, ...] | None = None
) -> QuerySet[Workspace]:
    """Workspaces ``user`` belongs to, optionally only those where the role is in ``roles``."""
    memberships = membership_queryset_for_user(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return Workspace.objects.filter(pk__in=memberships.values("workspace_id"))


def workspace_scoped_queryset(
    *, model: type[M], user: AbstractBaseUser | AnonymousUser, roles: tuple[str, ...] | None = None
) -> QuerySet[M]:
    """All rows of ``model`` that belong to a workspace ``user`` is a member of."""
    if model is Workspace:
        return workspace_list_for_user(user=user, roles=roles)  # type: ignore[return-value]
    workspaces = workspace_list_for_user(user=user, roles=roles).values("pk")
    return model._default_manager.filter(workspace_id__in=workspaces)


def membership_role_get(*, user: AbstractBaseUser | AnonymousUser, workspace_id: int) -> str | None:
    """The role of ``user`` in the workspace, or ``None`` when not a member."""
    return (
        membership_queryset_for_user(user=user)
        .filter(workspace_id=workspace_id)
        .values_list("role", flat=True)
        .first()
    )


# --- dashboards (server-rendered pages) -------------------------------------------------
# Each read below runs a fixed number of queries whatever the number of rows, so the
# pages' query counts stay flat (pinned in tests/finance/test_pages.py).


def membership_list_with_workspaces(
    *, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[Membership]:
    """The memberships of ``user`` with their workspaces, by workspace name, each annotated
    ``workspace_has_products`` (whether the workspace has an active product: its Inventory
    page and model show only then). One query."""
    products = Product.objects.filter(workspace_id=OuterRef("workspace_id"), is_active=True)
    return membership_queryset_for_user(user=user).select_related("workspace").annotate(
        workspace_has_products=Exists(products)
    ).order_by("workspace__name", "workspace_id")


@dataclass(frozen=True)
class MonthTotals:
    """Approved revenue and expenses of one calendar month (``month`` is its first day)."""

    month: dt.date
    revenue: Decimal
    expense: Decimal

    @property
    def net(self) -> Decimal:
        return self.revenue - self.expense


def transaction_monthly_totals(
    *, workspace: Workspace, start: dt.date, end: dt.date
) -> list[MonthTotals]:
    """Revenue, expenses and net per month of the workspace's **approved** transactions.

    Covers every calendar month from the month of ``start`` to the month of ``end``
    inclusive, in order; a month without rows is reported as zeros. One query.
    """
    first, last = month_start(start), month_end(end)
    if first > last:
        return []
    rows = (
        Transaction.objects.filter(
            workspace=workspace,
            status=Transaction.Status.APPROVED,
            date__gte=first,
            date__lte=last,
        )
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(
            revenue=Sum("amount", filter=Q(kind=Transaction.Kind.REVENUE)),
            expense=Sum("amount", filter=Q(kind=Transaction.Kind.EXPENSE)),
        )
        .order_by("month")
    )
    found = {row["month"]: row for row in rows}
    zero = Decimal("0.00")
    months: list[MonthTotals] = []
    month = first
    while month <= last:
        row = found.get(month, {})
        months.append(
            MonthTotals(
                month=month,
                revenue=row.get("revenue") or zero,
                expense=row.get("expense") or zero,
            )
        )
        month = add_months(month, 1)
    return months


# A budget's amount per month, whatever its period.
_MONTHLY_FACTOR = {
    Budget.Period.WEEKLY: Decimal(52) / Decimal(12),
    Budget.Period.MONTHLY: Decimal(1),
    Budget.Period.YEARLY: Decimal(1) / Decimal(12),
}


_CENT = Decimal("0.01")


def budget_limit_per_month(*, budget: Budget) -> Decimal:
    """The budget's amount converted to one month (weekly × 52/12, yearly ÷ 12), to the cent."""
    return (budget.amount * _MONTHLY_FACTOR[budget.period]).quantize(_CENT, ROUND_HALF_UP)


def budget_counted_q() -> Q:
    """The expenses a budget counts: all but the model's category suggestions still
    unconfirmed below ``BUDGET_SUGGESTION_MIN_CONFIDENCE`` (a member's accept makes the
    category theirs, and the row counts from then on)."""
    return ~Q(category_source=Transaction.CategorySource.MODEL) | Q(
        category_confidence__gte=settings.BUDGET_SUGGESTION_MIN_CONFIDENCE
    )


def budget_unconfirmed_q() -> Q:
    """The complement of :func:`budget_counted_q`: suggestions a budget leaves out (shown apart)."""
    return Q(category_source=Transaction.CategorySource.MODEL) & (
        Q(category_confidence__lt=settings.BUDGET_SUGGESTION_MIN_CONFIDENCE) | Q(category_confidence__isnull=True)
    )


@dataclass(frozen=True)
class BudgetUse:
    """How much of a budget one month's approved expenses of its category used; the
    model's unconfirmed low-confidence suggestions for the category are counted apart."""

    budget: Budget
    limit: Decimal  # the budget converted to one month
    spent: Decimal
    unconfirmed_count: int = 0
    unconfirmed_amount: Decimal = Decimal("0.00")

    @property
    def percent(self) -> int:
        return int((self.spent * 100 / self.limit).to_integral_value(ROUND_HALF_UP))

    @property
    def remaining(self) -> Decimal:
        return self.limit - self.spent

    @property
    def is_over(self) -> bool:
        return self.spent > self.limit


def budget_usage_for_month(*, workspace: Workspace, month: dt.date) -> list[BudgetUse]:
    """Every budget of the workspace active during the month of ``month``, with what its
    category's approved expenses of that month spent against it (weekly and yearly
    budgets converted to a monthly amount; unconfirmed suggestions apart, see
    :func:`budget_counted_q`), by category name. One query."""
    first, last = month_start(month), month_end(month)
    rows = Transaction.objects.filter(
        workspace_id=OuterRef("workspace_id"),
        category_id=OuterRef("category_id"),
        kind=Transaction.Kind.EXPENSE,
        status=Transaction.Status.APPROVED,
        date__gte=first,
        date__lte=last,
    ).order_by().values("category_id")
    money = models.DecimalField(max_digits=14, decimal_places=2)

    def total(condition: Q, aggregate: type[Sum] | type[Count], field: models.Field) -> Coalesce:
        found = rows.filter(condition).annotate(total=aggregate("amount" if aggregate is Sum else "pk"))
        return Coalesce(Subquery(found.values("total"), output_field=field), Value(0), output_field=field)

    budgets = (
        Budget.objects.filter(workspace=workspace, start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .select_related("category")
        .annotate(
            spent=total(budget_counted_q(), Sum, money),
            unconfirmed_amount=total(budget_unconfirmed_q(), Sum, money),
            unconfirmed_count=total(budget_unconfirmed_q(), Count, models.IntegerField()),
        )
        .order_by("category__name", "pk")
    )
    return [
        BudgetUse(
            budget=budget, limit=budget_limit_per_month(budget=budget), spent=Decimal(budget.spent).quantize(_CENT),
            unconfirmed_count=budget.unconfirmed_count,
            unconfirmed_amount=Decimal(budget.unconfirmed_amount).quantize(_CENT),
        )
        for budget in budgets
    ]


# --- the Budgets and Goals pages ------------------------------------------------------------


@dataclass(frozen=True)
class BudgetMonth:
    """One calendar month of a budget (or of all budgets together): its limit for the
    month and what its category's approved expenses of that month spent."""

    month: dt.date  # the first day
    limit: Decimal | None  # None: no budget was active during the month
    spent: Decimal
    is_partial: bool  # the current month: spending to date
    unconfirmed_count: int = 0  # unconfirmed suggestions, not counted (budget_counted_q)
    unconfirmed_amount: Decimal = Decimal("0.00")

    @property
    def percent(self) -> int | None:
        if not self.limit:
            return None
        return int((self.spent * 100 / self.limit).to_integral_value(ROUND_HALF_UP))

    @property
    def remaining(self) -> Decimal | None:
        return None if self.limit is None else self.limit - self.spent

    @property
    def is_over(self) -> bool:
        return self.limit is not None and self.spent > self.limit


def budget_is_active(*, budget: Budget, month: dt.date) -> bool:
    """Whether the budget runs on any day of the month of ``month``."""
    return budget.start_date <= month_end(month) and (budget.end_date is None or budget.end_date >= month_start(month))


def budget_list(*, workspace: Workspace) -> QuerySet[Budget]:
    """The workspace's budgets with their categories, by category name and start date."""
    return (
        Budget.objects.filter(workspace=workspace).select_related("category")
        .order_by("category__name", "start_date", "pk")
    )


def budget_months(
    *, workspace: Workspace, budgets: list[Budget], today: dt.date, count: int = 12
) -> dict[int, list[BudgetMonth]]:
    """Each budget's last ``count`` calendar months up to today's (the current one
    partial), oldest first: its monthly limit where it was active and its category's
    approved expenses (unconfirmed suggestions apart, see :func:`budget_counted_q`). One
    query whatever the number of budgets, none without budgets."""
    months = [add_months(today, -back) for back in range(count - 1, -1, -1)]
    if not budgets:
        return {}
    rows = (
        Transaction.objects.filter(
            workspace=workspace,
            kind=Transaction.Kind.EXPENSE,
            status=Transaction.Status.APPROVED,
            category_id__in={budget.category_id for budget in budgets},
            date__gte=months[0],
            date__lte=month_end(today),
        )
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values("category_id", "month")
        .annotate(
            total=Sum("amount", filter=budget_counted_q()),
            unconfirmed=Sum("amount", filter=budget_unconfirmed_q()),
            unconfirmed_n=Count("pk", filter=budget_unconfirmed_q()),
        )
    )
    found = {(row["category_id"], row["month"]): row for row in rows}
    current = months[-1]

    def month_of(budget: Budget, month: dt.date) -> BudgetMonth:
        row = found.get((budget.category_id, month), {})
        return BudgetMonth(
            month=month,
            limit=budget_limit_per_month(budget=budget) if budget_is_active(budget=budget, month=month) else None,
            spent=Decimal(row.get("total") or 0).quantize(_CENT),
            is_partial=month == current,
            unconfirmed_count=row.get("unconfirmed_n") or 0,
            unconfirmed_amount=Decimal(row.get("unconfirmed") or 0).quantize(_CENT),
        )

    return {budget.pk: [month_of(budget, month) for month in months] for budget in budgets}


def budget_months_total(*, histories: list[list[BudgetMonth]]) -> list[BudgetMonth]:
    """All budgets together, month by month: the limits of the budgets active in the month
    and what their categories spent (a budget counts only in the months it was active)."""
    if not histories:
        return []
    totals = []
    for months in zip(*histories, strict=True):
        active = [m for m in months if m.limit is not None]
        totals.append(BudgetMonth(
            month=months[0].month,
            limit=sum((m.limit for m in active), Decimal("0.00")) if active else None,
            spent=sum((m.spent for m in active), Decimal("0.00")),
            is_partial=months[0].is_partial,
            unconfirmed_count=sum(m.unconfirmed_count for m in active),
            unconfirmed_amount=sum((m.unconfirmed_amount for m in active), Decimal("0.00")),
        ))
    return totals


DAYS_PER_MONTH = Decimal("30.4375")


@dataclass(frozen=True)
class GoalStatus:
    """Where a goal stands on ``today``."""

    goal: Goal
    today: dt.date

    @property
    def remaining(self) -> Decimal:
        return max(self.goal.target_amount - self.goal.saved_amount, Decimal("0.00"))

    @property
    def percent(self) -> int:
        """Saved as a percentage of the target (above 100 once passed)."""
        return int((self.goal.saved_amount * 100 / self.goal.target_amount).to_integral_value(ROUND_HALF_UP))

    @property
    def days_left(self) -> int:
        return (self.goal.deadline - self.today).days

    @property
    def is_reached(self) -> bool:
        return self.goal.saved_amount >= self.goal.target_amount

    @property
    def is_overdue(self) -> bool:
        return not self.is_reached and self.days_left < 0

    @property
    def needed_per_month(self) -> Decimal | None:
        """What is left to save divided by the months left (all of it with less than a
        month to go); ``None`` once reached or overdue."""
        if self.is_reached or self.days_left < 0:
            return None
        months_left = max(Decimal(self.days_left) / DAYS_PER_MONTH, Decimal(1))
        return (self.remaining / months_left).quantize(_CENT, ROUND_HALF_UP)


def goal_list(*, workspace: Workspace) -> QuerySet[Goal]:
    """The workspace's goals by deadline and name."""
    return Goal.objects.filter(workspace=workspace).order_by("deadline", "name", "pk")


def goal_progress_list(*, goal: Goal) -> QuerySet[GoalProgress]:
    """The goal's recorded saved amounts, oldest first. One query."""
    return GoalProgress.objects.filter(goal=goal).order_by("date")


def category_list(*, workspace: Workspace) -> QuerySet[Category]:
    """The workspace's categories by kind and name."""
    return Category.objects.filter(workspace=workspace).order_by("kind", "name")


def transaction_list(
    *,
    workspace: Workspace,
    kind: str = "",
    category_id: int | None = None,
    uncategorised: bool = False,
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    search: str = "",
    account_id: int | None = None,
) -> QuerySet[Transaction]:
    """The workspace's transactions, newest first, narrowed by the given filters.

    ``search`` matches description, merchant or the account as the source named it
    (case-insensitive); empty filters are ignored. The category and the account are
    joined in the same query.
    """
    queryset = Transaction.objects.filter(workspace=workspace).select_related("category", "account")
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if uncategorised:
        queryset = queryset.filter(category__isnull=True)
    elif category_id is not None:
        queryset = queryset.filter(category_id=category_id)
    if status:
        queryset = queryset.filter(status=status)
    if date_from is not None:
        queryset = queryset.filter(date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(date__lte=date_to)
    if search:
        queryset = queryset.filter(
            Q(description__icontains=search) | Q(merchant__icontains=search) | Q(account_label__icontains=search)
        )
    return queryset.order_by("-date", "-id")


def _amount_reference(*, workspace: Workspace, kind: str) -> QuerySet[Transaction]:
    """The rows whose amounts say what is usual for ``kind`` in ``workspace``: all but those
    still awaiting confirmation."""
    return Transaction.objects.filter(workspace=workspace, kind=kind, needs_confirmation=False)


def transaction_amount_ceiling(*, workspace: Workspace, kind: str, exclude_id: int | None = None) -> Decimal:
    """The largest amount of ``kind`` that ``workspace`` takes without a member's
    confirmation: :func:`config.limits.amount_review_ceiling` over its other amounts of
    that kind (``exclude_id``: the row being changed). Two queries: a count, then the
    99th percentile's row."""
    rows = _amount_reference(workspace=workspace, kind=kind)
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    count = rows.count()
    p99 = None
    if count >= settings.INPUT_AMOUNT_REVIEW_MIN_HISTORY:
        p99 = rows.order_by("amount").values_list("amount", flat=True)[percentile_rank(count) - 1]
    return amount_review_ceiling(reference_count=count, reference_p99=p99)


def transaction_amounts_sorted(*, workspace: Workspace, kind: str) -> list[Decimal]:
    """The workspace's amounts of ``kind``, ascending (those awaiting confirmation left out),
    for an import to judge its rows against (:func:`config.limits.amount_review_ceiling_among`)."""
    return list(_amount_reference(workspace=workspace, kind=kind).order_by("amount").values_list("amount", flat=True))


DEFAULT_LEAD_TIME_DAYS = Decimal(14)  # when a product has no supplier


def product_lead_time_days(*, product: Product) -> Decimal:
    """Days a restock of ``product`` takes: its supplier's mean lead time, or
    :data:`DEFAULT_LEAD_TIME_DAYS` without a supplier (the supplier loaded: no query)."""
    supplier = product.supplier
    return supplier.lead_time_mean_days if supplier is not None else DEFAULT_LEAD_TIME_DAYS


def warehouse_list(*, workspace: Workspace) -> QuerySet[Warehouse]:
    """The workspace's warehouses by code."""
    return Warehouse.objects.filter(workspace=workspace).order_by("code")


def product_stock_list(
    *, workspace: Workspace, since: dt.date
) -> QuerySet[Product]:
    """The workspace's active products by SKU, with their supplier and two annotations:
    ``stock_total`` (units held over all warehouses) and ``units_recent`` (units sold
    from ``since`` on). One query."""
    integer = models.IntegerField()
    stock = (
        StockLevel.objects.filter(product_id=OuterRef("pk"))
        .order_by()
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    sold = (
        Sale.objects.filter(product_id=OuterRef("pk"), date__gte=since)
        .order_by()
        .values("product_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return (
        Product.objects.filter(workspace=workspace, is_active=True)
        .select_related("supplier")
        .annotate(
            stock_total=Coalesce(Subquery(stock, output_field=integer), Value(0)),
            units_recent=Coalesce(Subquery(sold, output_field=integer), Value(0)),
        )
        .order_by("sku", "pk")
    )


def stock_quantities(
    *, workspace: Workspace, product_ids: list[int]
) -> dict[tuple[int, int], int]:
    """``{(product_id, warehouse_id): quantity}`` for the given products. One query."""
    rows = StockLevel.objects.filter(workspace=workspace, product_id__in=product_ids).values_list(
        "product_id", "warehouse_id", "quantity"
    )
    return {(product_id, warehouse_id): quantity for product_id, warehouse_id, quantity in rows}


# --- shares and totals that forecasts are split or scaled by --------------------------


def expense_shares_by_category(*, workspace: Workspace, today: dt.date, months: int = 12) -> dict[int, float]:
    """Each category's share of the workspace's approved expenses over the last
    ``months`` complete months (uncategorised rows count in the total). One query."""
    this_month = month_start(today)
    rows = (
        Transaction.objects.filter(
            workspace=workspace,
            kind=Transaction.Kind.EXPENSE,
            status=Transaction.Status.APPROVED,
            date__gte=add_months(this_month, -months),
            date__lt=this_month,
        )
        .order_by()
        .values_list("category_id")
        .annotate(total=Sum("amount"))
    )
    totals = {category_id: total or Decimal(0) for category_id, total in rows}
    grand = sum(totals.values(), Decimal(0))
    if grand <= 0:
        return {}
    return {category_id: float(total / grand) for category_id, total in totals.items() if category_id is not None}


def units_sold_since(*, workspace: Workspace, since: dt.date, until: dt.date | None = None) -> int:
    """Units of every product sold from ``since`` on (before ``until`` if given). One query."""
    sales = Sale.objects.filter(workspace=workspace, date__gte=since)
    if until is not None:
        sales = sales.filter(date__lt=until)
    total = sales.aggregate(total=Sum("quantity"))["total"]
    return int(total or 0)


# --- category rules ---------------------------------------------------------------------


def category_rule_list(*, workspace: Workspace, active_only: bool = False) -> QuerySet[CategoryRule]:
    """The workspace's category rules in the order they are tried (priority, then age),
    with their categories (one query)."""
    rules = CategoryRule.objects.filter(workspace=workspace).select_related("category")
    if active_only:
        rules = rules.filter(is_active=True)
    return rules.order_by("priority", "id")
