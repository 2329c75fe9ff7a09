"""Reads of the coaching app: the books per month, behaviour per member, segments and
impressions. Each function runs a fixed number of queries whatever the number of rows
(the API's and the page's query counts are pinned in tests/coaching)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from coaching.models import (
    MAX_EVENT_AMOUNT,
    BanditArm,
    BehavioralEvent,
    CoachingSettings,
    RecommendationImpression,
    Segment,
    SegmentAssignment,
)
from finance.models import Goal, GoalProgress, Membership, Transaction, Workspace
from finance.months import add_months, month_start
from finance.selectors import BudgetUse, budget_usage_for_month, workspace_scoped_queryset
from forecasting.series.frequency import Frequency

UNCATEGORISED = "Uncategorised"


def complete_months(*, today: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` complete months before the month of ``today``, oldest first."""
    current = month_start(today)
    return [add_months(current, -n) for n in range(count, 0, -1)]


@dataclass
class CategorySeries:
    """One expense category's spending per month (aligned with :attr:`MonthlyBooks.months`)."""

    category_id: int | None
    name: str
    values: np.ndarray


@dataclass
class MonthlyBooks:
    """A workspace's approved revenue and expenses per complete month, and expenses per category."""

    months: list[dt.date]
    revenue: np.ndarray
    expense: np.ndarray
    categories: dict[int | None, CategorySeries] = field(default_factory=dict)

    @classmethod
    def empty(cls, months: list[dt.date]) -> MonthlyBooks:
        return cls(months=months, revenue=np.zeros(len(months)), expense=np.zeros(len(months)))

    @property
    def has_data(self) -> bool:
        return bool(self.revenue.any() or self.expense.any())


def books_monthly(*, workspace_ids: Iterable[int], months: list[dt.date]) -> dict[int, MonthlyBooks]:
    """``{workspace_id: MonthlyBooks}`` over ``months`` (consecutive first days) for every
    given workspace, from **approved** transactions. One query."""
    ids = list(workspace_ids)
    result = {pk: MonthlyBooks.empty(months) for pk in ids}
    if not ids or not months:
        return result
    index = {m: i for i, m in enumerate(months)}
    rows = (
        Transaction.objects.filter(
            workspace_id__in=ids, status=Transaction.Status.APPROVED,
            date__gte=months[0], date__lt=add_months(months[-1], 1),
        )
        .annotate(month=TruncMonth("date"))
        .values("workspace_id", "kind", "category_id", "category__name", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
        books, i, total = result[row["workspace_id"]], index[month], float(row["total"])
        if row["kind"] == Transaction.Kind.REVENUE:
            books.revenue[i] += total
            continue
        books.expense[i] += total
        key = row["category_id"]
        series = books.categories.get(key)
        if series is None:
            series = books.categories[key] = CategorySeries(
                key, row["category__name"] or UNCATEGORISED, np.zeros(len(months)))
        series.values[i] += total
    return result


@dataclass
class PeriodBooks:
    """A workspace's approved expenses per period (weeks or months), in total and per
    category: ``dates`` are the starts of the complete periods, oldest first; ``current``
    holds what the period in progress (the one holding today) spent so far."""

    frequency: str
    dates: list[dt.date]
    total: np.ndarray
    categories: dict[int | None, CategorySeries]
    current_start: dt.date
    current_total: float = 0.0
    current_by_category: dict[int | None, float] = field(default_factory=dict)


def expense_by_period(*, workspace: Workspace, frequency: str, periods: int, today: dt.date) -> PeriodBooks:
    """The last ``periods`` complete periods of ``frequency`` (W: ISO weeks from Monday, M:
    calendar months) before the one holding ``today``, and that one so far (up to
    ``today``), from **approved** expenses. One query."""
    freq = Frequency(frequency)
    current = freq.period_start(today)
    dates = [freq.add(current, -n) for n in range(periods, 0, -1)]
    index = {d: i for i, d in enumerate(dates)}
    books = PeriodBooks(frequency=freq.value, dates=dates, total=np.zeros(periods), categories={},
                        current_start=current)
    rows = (
        Transaction.objects.filter(workspace=workspace, kind=Transaction.Kind.EXPENSE,
                                   status=Transaction.Status.APPROVED,
                                   date__gte=dates[0] if dates else current, date__lte=today)
        .annotate(period=freq.truncate("date"))
        .values("period", "category_id", "category__name").annotate(total=Sum("amount")).order_by()
    )
    for row in rows:
        start = row["period"].date() if isinstance(row["period"], dt.datetime) else row["period"]
        key, total = row["category_id"], float(row["total"])
        series = books.categories.get(key)
        if series is None:
            series = books.categories[key] = CategorySeries(key, row["category__name"] or UNCATEGORISED,
                                                            np.zeros(periods))
        if start == current:
            books.current_total += total
            books.current_by_category[key] = books.current_by_category.get(key, 0.0) + total
        elif start in index:
            books.total[index[start]] += total
            series.values[index[start]] += total
    return books


def goals_by_workspace(*, workspace_ids: Iterable[int]) -> dict[int, list[Goal]]:
    """Every goal of the given workspaces, by deadline. One query."""
    out: dict[int, list[Goal]] = defaultdict(list)
    for goal in Goal.objects.filter(workspace_id__in=list(workspace_ids)).order_by("deadline", "name", "pk"):
        out[goal.workspace_id].append(goal)
    return out


def event_counts(*, since: dt.datetime) -> dict[tuple[int, int], int]:
    """``{(workspace_id, user_id): events since since}`` over every workspace. One query."""
    rows = (
        BehavioralEvent.objects.filter(timestamp__gte=since)
        .values("workspace_id", "user_id").annotate(n=Count("pk")).order_by()
    )
    return {(row["workspace_id"], row["user_id"]): row["n"] for row in rows}


def goal_contributions_monthly(*, workspace: Workspace, months: list[dt.date]) -> dict[int, np.ndarray]:
    """``{goal_id: amount contributed per month}`` from the members' ``goal_modification``
    events with ``action = "contribute"`` (aligned with ``months``). Months are local (the
    current time zone's, like :func:`complete_months`' ``today``): an event belongs to the
    month of its local date. Amounts that are not finite or beyond
    :data:`~coaching.models.MAX_EVENT_AMOUNT` (refused when recorded, but older rows may
    hold them) are skipped. One query."""
    if not months:
        return {}
    index = {m: i for i, m in enumerate(months)}
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(months[0], dt.time(), tzinfo=tz)
    end = dt.datetime.combine(add_months(months[-1], 1), dt.time(), tzinfo=tz)
    rows = BehavioralEvent.objects.filter(
        workspace=workspace, event_type=BehavioralEvent.Type.GOAL_MODIFICATION,
        timestamp__gte=start, timestamp__lt=end, data__action="contribute",
    ).values_list("data", "timestamp")
    out: dict[int, np.ndarray] = {}
    for data, timestamp in rows:
        goal_id, amount = data.get("goal_id"), data.get("amount")
        if not isinstance(goal_id, int) or isinstance(amount, bool) or not isinstance(amount, int | float):
            continue
        if abs(amount) > MAX_EVENT_AMOUNT or not math.isfinite(amount):  # abs first: a huge int has no float
            continue
        i = index.get(month_start(timezone.localtime(timestamp).date()))
        if i is None:
            continue
        series = out.setdefault(goal_id, np.zeros(len(months)))
        series[i] += float(amount)
    return out


def goal_saved_month_ends(*, goal_ids: Iterable[int], months: list[dt.date]) -> dict[int, np.ndarray]:
    """``{goal_id: saved amount at the end of each of months}`` from the goals' history
    (:class:`~finance.models.GoalProgress`: the last amount recorded on or before each
    month's last day; NaN before the goal's first record). One query."""
    ids = list(goal_ids)
    if not ids or not months:
        return {}
    ends = [add_months(m, 1) for m in months]  # the first day after each month
    out: dict[int, np.ndarray] = {}
    rows = (GoalProgress.objects.filter(goal_id__in=ids, date__lt=ends[-1])
            .order_by("goal_id", "date").values_list("goal_id", "date", "saved_amount"))
    for goal_id, day, saved in rows:
        series = out.setdefault(goal_id, np.full(len(months), np.nan))
        first = next(i for i, end in enumerate(ends) if day < end)  # the month holding ``day`` (or the first)
        series[first:] = float(saved)
    return out


def memberships_for_segmentation() -> QuerySet[Membership]:
    """Every membership with its workspace (the units segmentation clusters). One query."""
    return Membership.objects.select_related("workspace").order_by("workspace_id", "user_id")


def segment_assignment_get(*, workspace: Workspace, user: AbstractBaseUser) -> SegmentAssignment | None:
    """The user's segment in the workspace (with the segment), or ``None``. One query."""
    return (
        SegmentAssignment.objects.select_related("segment")
        .filter(workspace=workspace, user=user).first()
    )


def segment_assignment_list(
    *, workspace: Workspace, user: AbstractBaseUser | AnonymousUser, everyone: bool
) -> QuerySet[SegmentAssignment]:
    """The workspace's assignments: every member's when ``everyone`` (managers), else the
    user's own. Segment and user joined. One query."""
    queryset = SegmentAssignment.objects.filter(workspace=workspace).select_related("segment", "user")
    if not everyone:
        queryset = queryset.filter(user=user)
    return queryset.order_by("user__username", "pk")


def segment_peer_workspaces(*, segment: Segment, exclude_workspace_id: int) -> list[int]:
    """The distinct workspaces with a member in ``segment`` other than the given one. One query."""
    return list(
        SegmentAssignment.objects.filter(segment=segment).exclude(workspace_id=exclude_workspace_id)
        .values_list("workspace_id", flat=True).distinct().order_by("workspace_id")
    )


def bandit_arms_for(*, segment_key: str) -> dict[str, BanditArm]:
    """``{arm: posterior}`` of a segment (arms never rewarded or missed have no row). One query."""
    return {arm.arm: arm for arm in BanditArm.objects.filter(segment_key=segment_key)}


def impression_queryset_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[RecommendationImpression]:
    """The user's own impressions in their workspaces: anybody else's is a 404."""
    if not user.is_authenticated:
        return RecommendationImpression.objects.none()
    return workspace_scoped_queryset(model=RecommendationImpression, user=user).filter(user=user)


HISTORY_MONTHS = 36
#: A category grows when last month's spending is at least GROWTH_RATIO × its average of
#: the three months before, and at least GROWTH_MIN_AMOUNT more (small amounts do not count).
GROWTH_RATIO = 1.3
GROWTH_MIN_AMOUNT = 50.0


@dataclass(frozen=True)
class CategoryGrowth:
    """An expense category whose spending grew last month (see :data:`GROWTH_RATIO`)."""

    series: CategorySeries
    last: float  # last month
    before: float  # the average of the three months before

    @property
    def growth(self) -> float:
        return self.last / self.before - 1


@dataclass
class CoachingContext:
    """What the recommendations, predictions and insights of one workspace read: the
    books of the last :data:`HISTORY_MONTHS` complete months, the goals, and the budgets'
    use this month. Three queries."""

    workspace: Workspace
    today: dt.date
    books: MonthlyBooks
    goals: list[Goal]
    budgets: list[BudgetUse]

    def recent(self, values: np.ndarray, months: int) -> np.ndarray:
        """The last ``months`` complete months of a series of :attr:`books`."""
        return values[-months:] if months else values[:0]

    def category_average(self, predicate, months: int = 3) -> tuple[float, list[str]]:  # noqa: ANN001
        """The monthly average over the last ``months`` of the expense categories whose
        name satisfies ``predicate``, and their names."""
        chosen = [s for s in self.books.categories.values() if predicate(s.name)]
        total = sum(float(self.recent(s.values, months).sum()) for s in chosen)
        names = sorted(s.name for s in chosen if self.recent(s.values, months).sum() > 0)
        return total / months, names

    def growing_categories(self) -> list[CategoryGrowth]:
        """The expense categories that grew last month (:data:`GROWTH_RATIO`,
        :data:`GROWTH_MIN_AMOUNT`), in the order of :attr:`MonthlyBooks.categories` — the
        rule of both the insights and the recommendations."""
        out = []
        for series in self.books.categories.values():
            if len(series.values) < 4:
                continue
            last, before = float(series.values[-1]), float(series.values[-4:-1].mean())
            if before > 0 and last >= before * GROWTH_RATIO and last - before >= GROWTH_MIN_AMOUNT:
                out.append(CategoryGrowth(series=series, last=last, before=before))
        return out


def coaching_context(*, workspace: Workspace, today: dt.date) -> CoachingContext:
    months = complete_months(today=today, count=HISTORY_MONTHS)
    books = books_monthly(workspace_ids=[workspace.pk], months=months)[workspace.pk]
    goals = goals_by_workspace(workspace_ids=[workspace.pk]).get(workspace.pk, [])
    budgets = budget_usage_for_month(workspace=workspace, month=today)
    return CoachingContext(workspace=workspace, today=today, books=books, goals=goals, budgets=budgets)


def coaching_settings_get(*, workspace: Workspace) -> CoachingSettings:
    """The workspace's coaching settings, or the defaults (Thompson sampling) unsaved. One query."""
    return CoachingSettings.objects.filter(workspace=workspace).first() or CoachingSettings(workspace=workspace)


def recommendation_arms_resting(*, workspace: Workspace, user: AbstractBaseUser, now: dt.datetime) -> set[str]:
    """The arms not to offer the user now: every one "In progress" (accepted, not done yet)
    and every one accepted or completed within ``COACHING_RECOMMENDATION_COOLDOWN_DAYS`` of
    ``now`` (by its last answer). One query."""
    since = now - dt.timedelta(days=settings.COACHING_RECOMMENDATION_COOLDOWN_DAYS)
    Status = RecommendationImpression.Status
    return set(
        RecommendationImpression.objects.filter(workspace=workspace, user=user)
        .filter(Q(status=Status.ACCEPTED) | Q(status=Status.COMPLETED, responded_at__gt=since))
        .values_list("arm", flat=True).distinct()
    )


@dataclass(frozen=True)
class CategorySpending:
    """One expense category's approved spending over a window: total and payments."""

    category_id: int | None
    name: str
    total: float
    count: int


def category_spending(*, workspace: Workspace, start: dt.date, end: dt.date) -> list[CategorySpending]:
    """The workspace's approved expenses of ``[start, end)`` per category (largest first,
    then by name). One query."""
    rows = (
        Transaction.objects.filter(workspace=workspace, kind=Transaction.Kind.EXPENSE,
                                   status=Transaction.Status.APPROVED, date__gte=start, date__lt=end)
        .values("category_id", "category__name").annotate(total=Sum("amount"), n=Count("pk")).order_by()
    )
    found = [CategorySpending(row["category_id"], row["category__name"] or UNCATEGORISED, float(row["total"]),
                              row["n"]) for row in rows]
    return sorted(found, key=lambda c: (-c.total, c.name.lower(), c.category_id or 0))


def expense_payee_totals(*, workspace: Workspace, start: dt.date, end: dt.date) -> list[tuple[int | None, str, str, float]]:
    """``(category_id, merchant, description, total)`` of the workspace's approved expenses
    of ``[start, end)``, summed per distinct payee text (recurring bills are matched on
    them). One query."""
    rows = (
        Transaction.objects.filter(workspace=workspace, kind=Transaction.Kind.EXPENSE,
                                   status=Transaction.Status.APPROVED, date__gte=start, date__lt=end)
        .values("category_id", "merchant", "description").annotate(total=Sum("amount")).order_by()
    )
    return [(row["category_id"], row["merchant"], row["description"], float(row["total"])) for row in rows]


def member_event_count(*, workspace: Workspace, user: AbstractBaseUser, since: dt.datetime) -> int:
    """The member's behavioural events in the workspace since ``since``. One query."""
    return BehavioralEvent.objects.filter(workspace=workspace, user=user, timestamp__gte=since).count()
