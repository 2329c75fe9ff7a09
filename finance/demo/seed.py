"""Writing the demo: :func:`demo_data_seed` replaces the demo workspaces with freshly
generated books (see :mod:`finance.demo`)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from finance.demo.accounts import demo_accounts_assign, demo_accounts_create, demo_transfers
from finance.demo.calendar import DemoCalendar, demo_period, months_later
from finance.demo.noise import Rng, component_rng
from finance.demo.purchasing import demo_purchases, demo_purchases_write
from finance.demo.sales import BusinessBooks, business_books
from finance.demo.specs import PALETTE, SLUGS, USERS, WORKSPACES, BusinessSpec, WorkspaceSpec
from finance.demo.stock import demo_stock_levels
from finance.demo.streams import BookRow, Random, stream_rows
from finance.models import (
    Budget,
    Category,
    Goal,
    GoalProgress,
    Membership,
    Product,
    Sale,
    StockLevel,
    Supplier,
    Transaction,
    Transfer,
    Warehouse,
    Workspace,
)
from finance.months import add_months, month_start
from finance.signals import rows_imported

BATCH_SIZE = 2000
UNCATEGORISED_SHARE = 0.05  # of the rows of the last UNCATEGORISED_DAYS
UNCATEGORISED_DAYS = 28
PENDING_DAYS = 3  # the rows of the last days are not cleared yet
#: what :class:`DemoSummary` counts, summed over the workspaces
TOTALS = (
    "categories", "transactions", "products", "warehouses", "stock_levels", "suppliers", "sales",
    "budgets", "goals", "purchase_orders", "receipts",
)


class DemoSeedError(Exception):
    """The demo data cannot be written (e.g. a real workspace holds a demo slug)."""


# --- the summary ------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceSummary:
    slug: str
    name: str
    kind: str
    transactions: int
    sales: int


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`demo_data_seed` wrote."""

    seed: int
    start_date: dt.date
    end_date: dt.date
    workspaces: tuple[WorkspaceSummary, ...]
    users: tuple[str, ...]
    categories: int
    transactions: int
    products: int
    warehouses: int
    stock_levels: int
    suppliers: int
    sales: int
    budgets: int
    goals: int
    purchase_orders: int
    receipts: int
    #: behavioural events, filled in by the coaching app's part of the demo seed
    events: int = 0

    def lines(self) -> list[str]:
        out = [
            f"Demo data (seed {self.seed}) from {self.start_date} to {self.end_date}:",
        ]
        for ws in self.workspaces:
            out.append(
                f"  {ws.name} [{ws.slug}, {ws.kind}]: {ws.transactions} transactions, {ws.sales} sales rows"
            )
        out.append(
            f"  {self.categories} categories, {self.transactions} transactions, {self.products} products, "
            f"{self.warehouses} warehouses, {self.stock_levels} stock levels, {self.suppliers} suppliers, "
            f"{self.sales} sales rows, {self.purchase_orders} purchase orders, {self.receipts} receipts, "
            f"{self.budgets} budgets, {self.goals} goals, {self.events} events"
        )
        return out


def demo_passwords_check(*, passwords: Mapping[str, str], known_allowed: bool) -> None:
    """Refuse passwords that would let anyone in (:class:`DemoSeedError`, before any write).

    ``passwords`` are the ones given explicitly (username → password). With
    ``known_allowed`` false (``DEBUG`` off), every demo user that logs in needs one, so
    that the well-known ``admin/admin`` or ``demo/demo`` are never created, and each must
    pass the password validators."""
    unknown = sorted(set(passwords) - {spec.username for spec in USERS})
    if unknown:
        raise DemoSeedError(f"No demo user called {', '.join(unknown)}.")
    if known_allowed:
        return
    missing = [spec.username for spec in USERS if spec.password is not None and spec.username not in passwords]
    if missing:
        raise DemoSeedError(
            "DEBUG is off: the demo's known passwords are not created. Give a password for "
            f"{', '.join(missing)} with --password USER=PASSWORD (or DEMO_PASSWORDS=USER=PASSWORD,…)."
        )
    problems = []
    for username, password in sorted(passwords.items()):
        try:
            validate_password(password, user=get_user_model()(username=username))
        except ValidationError as exc:
            problems.append(f"{username}: {' '.join(exc.messages)}")
    if problems:
        raise DemoSeedError("Passwords refused (DEBUG is off): " + "; ".join(problems))


def _users(passwords: Mapping[str, str], known_allowed: bool) -> dict[str, Any]:
    """The demo users. A password given explicitly is set whether the user is new or not;
    otherwise a new user gets the spec's known password (development only) and an existing
    one keeps its own."""
    user_model = get_user_model()
    users = {}
    for spec in USERS:
        user, created = user_model.objects.get_or_create(username=spec.username)
        changed = created
        if spec.username in passwords:
            user.set_password(passwords[spec.username])
            changed = True
        elif created:
            if spec.password is None or not known_allowed:
                user.set_unusable_password()
            else:
                user.set_password(spec.password)
        for flag in ("is_staff", "is_superuser"):
            if getattr(user, flag) != getattr(spec, flag):
                setattr(user, flag, getattr(spec, flag))
                changed = True
        if not user.is_active:
            user.is_active = True
            changed = True
        if changed:
            user.save()
        users[spec.username] = user
    return users


def _budgets(
    workspace: Workspace, spec: WorkspaceSpec, rows: list[BookRow], categories: dict[str, Category],
    start: dt.date, end: dt.date, rng: Rng,
) -> list[Budget]:
    """Monthly budgets for the categories with the most spending over the last year."""
    since = end - dt.timedelta(days=365)
    spent: dict[str, float] = {}
    for row in rows:
        if row.kind == Transaction.Kind.EXPENSE and row.date > since:
            spent[row.category] = spent.get(row.category, 0.0) + float(row.amount)
    top = sorted(spent, key=lambda name: (-spent[name], name))[: spec.budget_categories]
    budgets = []
    for name in top:
        monthly = spent[name] / 12 * rng.uniform(0.92, 1.15)
        amount = Decimal(max(50, int(math.ceil(monthly / 50.0)) * 50))
        budgets.append(
            Budget(workspace=workspace, category=categories[name], amount=amount,
                   period=Budget.Period.MONTHLY, start_date=start)
        )
    return budgets


def _transactions(
    workspace: Workspace, rows: list[BookRow], categories: dict[str, Category], end: dt.date, rng: Rng
) -> list[Transaction]:
    rows.sort(key=lambda r: (r.date, r.kind != Transaction.Kind.REVENUE, r.category, r.description))
    recent = end - dt.timedelta(days=UNCATEGORISED_DAYS)
    pending = end - dt.timedelta(days=PENDING_DAYS)
    objects = []
    for row in rows:
        uncategorised = row.date > recent and rng.random() < UNCATEGORISED_SHARE
        objects.append(
            Transaction(
                workspace=workspace,
                kind=row.kind,
                amount=row.amount,
                currency=workspace.currency,
                date=row.date,
                description=row.description,
                merchant=row.merchant[:120],
                account_label=row.account,
                category=None if uncategorised else categories[row.category],
                category_source="" if uncategorised else Transaction.CategorySource.USER,
                status=Transaction.Status.PENDING if row.date > pending else Transaction.Status.APPROVED,
                source=Transaction.Source.DEMO,
            )
        )
    return objects


def demo_workspaces_exist() -> bool:
    return Workspace.objects.filter(is_demo=True).exists()


@transaction.atomic
def demo_data_seed(
    *,
    seed: int = 42,
    years: int = 3,
    end_date: dt.date | None = None,
    passwords: Mapping[str, str] | None = None,
    known_passwords_allowed: bool = True,
) -> DemoSummary:
    """Replace the demo workspaces with ``years`` years of generated books ending ``end_date``
    (today by default). Same ``seed`` and ``end_date``, same rows. The demo users' passwords
    follow :func:`demo_passwords_check`."""
    if years < 1:
        raise DemoSeedError("years must be at least 1.")
    passwords = dict(passwords or {})
    demo_passwords_check(passwords=passwords, known_allowed=known_passwords_allowed)
    start, end = demo_period(end_date=end_date or timezone.localdate(), years=years)
    taken = Workspace.objects.filter(slug__in=SLUGS, is_demo=False).values_list("slug", flat=True)
    if taken:
        raise DemoSeedError(f"Workspace slug(s) {', '.join(sorted(taken))} belong to real workspaces.")
    Workspace.objects.filter(is_demo=True).delete()

    cal = DemoCalendar.build(start, end)
    users = _users(passwords, known_passwords_allowed)
    summaries: list[WorkspaceSummary] = []
    totals: Counter[str] = Counter()
    for spec in WORKSPACES:
        summary, counts = _workspace_seed(spec, cal=cal, seed=seed, users=users)
        summaries.append(summary)
        totals.update(counts)
    return DemoSummary(
        seed=seed, start_date=start, end_date=end, workspaces=tuple(summaries),
        users=tuple(u.username for u in USERS), **{name: totals[name] for name in TOTALS},
    )


def _workspace_seed(
    spec: WorkspaceSpec, *, cal: DemoCalendar, seed: int, users: dict[str, Any]
) -> tuple[WorkspaceSummary, Counter[str]]:
    """One demo workspace with its members, categories, books, budgets and goals; returns
    its summary and what it counts towards :data:`TOTALS`."""
    start, end = cal.days[0], cal.days[-1]
    rng = component_rng(seed, spec.slug)
    # the demo calendar's holidays are the US's: its demand models learn them (forecasting.series.drivers)
    workspace = Workspace.objects.create(name=spec.name, slug=spec.slug, kind=spec.kind, is_demo=True,
                                         holidays_country="US")
    Membership.objects.bulk_create(
        Membership(workspace=workspace, user=users[u.username], role=u.roles[spec.slug])
        for u in USERS if spec.slug in u.roles
    )
    categories = _categories(workspace, spec)
    counts: Counter[str] = Counter(categories=len(categories))
    rows: list[BookRow] = []
    revenue: np.ndarray | None = None
    sales: list[Sale] = []
    if spec.business is not None:
        books, business_counts = _business_seed(workspace, spec.business, cal=cal, seed=seed)
        rows.extend(books.rows)
        revenue = books.revenue
        sales = books.sales
        counts.update(business_counts)
    rows.extend(_stream_rows(spec, cal=cal, seed=seed, revenue=revenue))
    transactions = _transactions(workspace, rows, categories, end, rng)
    accounts = demo_accounts_create(workspace)
    demo_accounts_assign(workspace, accounts, transactions)
    Transaction.objects.bulk_create(transactions, batch_size=BATCH_SIZE)
    Transfer.objects.bulk_create(demo_transfers(workspace, accounts, transactions, end))
    # Announce the bulk writes like an import does, so whoever counts new data (the
    # auto-learning engine) sees the demo books arrive.
    rows_imported.send(sender=Transaction, workspace=workspace, rows=transactions)
    # _transactions sorted ``rows``: the budgets sum the spending in that order.
    budgets = Budget.objects.bulk_create(_budgets(workspace, spec, rows, categories, start, end, rng))
    goals = Goal.objects.bulk_create(_goals(workspace, spec, users, end, rng))
    GoalProgress.objects.bulk_create(_goal_history(goals, end, component_rng(seed, spec.slug, "goals")))
    counts.update(transactions=len(transactions), budgets=len(budgets), goals=len(goals))
    summary = WorkspaceSummary(spec.slug, spec.name, spec.kind, len(transactions), len(sales))
    return summary, counts


def _categories(workspace: Workspace, spec: WorkspaceSpec) -> dict[str, Category]:
    names = [(n, Category.Kind.REVENUE) for n in spec.revenue_categories]
    names += [(n, Category.Kind.EXPENSE) for n in spec.expense_categories]
    return {
        c.name: c for c in Category.objects.bulk_create(
            Category(workspace=workspace, name=n, kind=k, color=PALETTE[i % len(PALETTE)])
            for i, (n, k) in enumerate(names)
        )
    }


def _business_seed(
    workspace: Workspace, business: BusinessSpec, *, cal: DemoCalendar, seed: int
) -> tuple[BusinessBooks, Counter[str]]:
    """A business's suppliers, products, warehouses, sales, purchase orders and stock
    levels (where each pair stands in its reorder cycle, with the lead times the orders
    measure), written; the takings rows come back with the books for the transactions."""
    suppliers = Supplier.objects.bulk_create(
        Supplier(workspace=workspace, name=name, email=email, lead_time_mean_days=Decimal(f"{mean:.2f}"),
                 lead_time_std_days=Decimal(f"{sd:.2f}"), min_order_quantity=moq)
        for name, email, mean, sd, moq in business.suppliers
    )
    products = Product.objects.bulk_create(
        Product(workspace=workspace, sku=p.sku, name=p.name, category=p.category,
                unit_cost=Decimal(f"{p.cost:.2f}"), unit_price=Decimal(f"{p.price:.2f}"),
                supplier=suppliers[p.supplier], shelf_life_days=p.shelf_life_days)
        for p in business.products
    )
    warehouses = Warehouse.objects.bulk_create(
        Warehouse(workspace=workspace, code=w.code, name=w.name, location=w.location)
        for w in business.warehouses
    )
    books = business_books(business, workspace, cal, seed, products, warehouses)
    Sale.objects.bulk_create(books.sales, batch_size=BATCH_SIZE)
    rows_imported.send(sender=Sale, workspace=workspace, rows=books.sales)
    purchases = demo_purchases(business, workspace, cal, seed, suppliers=suppliers, products=products,
                               warehouses=warehouses, sales=books.sales)
    stock = StockLevel.objects.bulk_create(demo_stock_levels(
        workspace=workspace, seed=seed, cal=cal, products=products, warehouses=warehouses, sales=books.sales,
        purchases=purchases,
    ), batch_size=BATCH_SIZE)
    orders, receipts = demo_purchases_write(purchases, batch_size=BATCH_SIZE)
    counts = Counter(
        suppliers=len(suppliers), products=len(products), warehouses=len(warehouses),
        stock_levels=len(stock), sales=len(books.sales), purchase_orders=orders, receipts=receipts,
    )
    return books, counts


def _stream_rows(
    spec: WorkspaceSpec, *, cal: DemoCalendar, seed: int, revenue: np.ndarray | None
) -> list[BookRow]:
    """The rows of every stream of the workspace; a business takes no revenue and no random
    spending on the days it is closed (the bills still arrive)."""
    skip = cal.closed if spec.kind == Workspace.Kind.BUSINESS else None
    rows: list[BookRow] = []
    for index, stream in enumerate(spec.streams):
        stream_rng = component_rng(seed, spec.slug, "stream", str(index), stream.template)
        rows.extend(stream_rows(
            stream, cal, stream_rng, growth=spec.growth, revenue=revenue,
            skip=skip if stream.kind == Transaction.Kind.REVENUE or isinstance(stream.when, Random) else None,
        ))
    return rows


def _goals(
    workspace: Workspace, spec: WorkspaceSpec, users: dict[str, Any], end: dt.date, rng: Rng
) -> list[Goal]:
    return [
        Goal(
            workspace=workspace, owner=users[owner], name=name, target_amount=Decimal(f"{target:.2f}"),
            saved_amount=Decimal(f"{target * float(np.clip(progress + rng.normal(0, 0.04), 0, 1)):.2f}"),
            deadline=months_later(end, months),
        )
        for name, target, months, progress, owner in spec.goals
    ]


#: each goal was set up this many months before the last month (drawn per goal, both included)
GOAL_HISTORY_MONTHS = (6, 18)
#: the chance that a month adds nothing to a goal, and the spread of the months that do
GOAL_SKIPPED_MONTH, GOAL_CONTRIBUTION_SIGMA = 0.15, 0.45


def _goal_history(goals: list[Goal], end: dt.date, rng: Rng) -> list[GoalProgress]:
    """What each goal had saved on the first day of each month of its history and on
    ``end`` (the Goals page draws it, coaching learns its pace from it): set up some months
    ago, it got an irregular amount each month — about one month in seven nothing, the
    others lognormal around their mean — adding up to its saved amount on ``end``."""
    rows = []
    for goal in goals:
        months = int(rng.integers(GOAL_HISTORY_MONTHS[0], GOAL_HISTORY_MONTHS[1] + 1))
        weights = rng.lognormal(0.0, GOAL_CONTRIBUTION_SIGMA, months) * (rng.random(months) >= GOAL_SKIPPED_MONTH)
        if not weights.any():
            weights[-1] = 1.0
        shares = np.cumsum(weights) / weights.sum()
        days = [add_months(month_start(end), k - months + 1) for k in range(months - 1)] + [end]
        rows += [
            GoalProgress(workspace_id=goal.workspace_id, goal=goal, date=day,
                         saved_amount=(goal.saved_amount * Decimal(f"{share:.6f}")).quantize(Decimal("0.01")))
            for share, day in zip(shares, days, strict=True)
        ]
    return rows
