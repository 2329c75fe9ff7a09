"""Reads of accounts: balances on a day and month by month, and the transfers.

An account's balance on a day is its opening balance, plus its approved revenue, less its
approved expenses, plus the transfers into it, less the transfers out of it, all dated up
to that day. Transactions in a currency other than the account's are not added to it
(there is no exchange rate to add them with): they are counted apart, for the page to say
so. Pending transactions count once approved, as in every other total of the books.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from finance.accounts.models import Account, Transfer
from finance.models import Transaction, Workspace
from finance.months import add_months, month_end, month_start

ZERO = Decimal("0.00")
_MONEY = models.DecimalField(max_digits=16, decimal_places=2)


def account_list(*, workspace: Workspace, include_archived: bool = True) -> QuerySet[Account]:
    """The workspace's accounts: the open ones first, the default first among them, then by name."""
    accounts = Account.objects.filter(workspace=workspace)
    if not include_archived:
        accounts = accounts.filter(is_archived=False)
    return accounts.order_by("is_archived", "-is_default", "name", "pk")


def accounts_with_balances(queryset: QuerySet[Account], *, on: dt.date) -> QuerySet[Account]:
    """``queryset`` with what makes each account's balance on ``on`` (one query whatever
    the number of accounts or rows): ``sum_revenue``, ``sum_expense``, ``sum_in``,
    ``sum_out``, ``other_currency_count`` and ``balance``."""
    rows = Transaction.objects.filter(
        account_id=OuterRef("pk"), status=Transaction.Status.APPROVED, date__lte=on,
    ).order_by().values("account_id")
    same = rows.filter(currency=OuterRef("currency"))

    def total(found: QuerySet, field: str = "amount") -> Coalesce:
        summed = found.annotate(total=Sum(field)).values("total")
        return Coalesce(Subquery(summed, output_field=_MONEY), Value(ZERO), output_field=_MONEY)

    moved_in = Transfer.objects.filter(to_account_id=OuterRef("pk"), date__lte=on).order_by().values("to_account_id")
    moved_out = Transfer.objects.filter(from_account_id=OuterRef("pk"), date__lte=on).order_by().values(
        "from_account_id"
    )
    others = rows.exclude(currency=OuterRef("currency")).annotate(n=Count("pk")).values("n")
    return queryset.annotate(
        sum_revenue=total(same.filter(kind=Transaction.Kind.REVENUE)),
        sum_expense=total(same.filter(kind=Transaction.Kind.EXPENSE)),
        sum_in=total(moved_in),
        sum_out=total(moved_out),
        other_currency_count=Coalesce(Subquery(others, output_field=models.IntegerField()), Value(0)),
    ).annotate(
        balance=F("opening_balance") + F("sum_revenue") - F("sum_expense") + F("sum_in") - F("sum_out"),
    )


@dataclass(frozen=True)
class AccountBalance:
    """An account's balance on ``on`` and what makes it."""

    account: Account
    on: dt.date
    revenue: Decimal
    expense: Decimal
    transfers_in: Decimal
    transfers_out: Decimal
    other_currency_count: int  # approved transactions in another currency, not added

    @property
    def balance(self) -> Decimal:
        return self.account.opening_balance + self.revenue - self.expense + self.transfers_in - self.transfers_out


def account_balances(
    *, workspace: Workspace, on: dt.date, include_archived: bool = True
) -> list[AccountBalance]:
    """Every account of ``workspace`` (:func:`account_list`'s order) with its balance on ``on``. One query."""
    accounts = accounts_with_balances(account_list(workspace=workspace, include_archived=include_archived), on=on)
    return [
        AccountBalance(
            account=account, on=on, revenue=Decimal(account.sum_revenue).quantize(ZERO),
            expense=Decimal(account.sum_expense).quantize(ZERO), transfers_in=Decimal(account.sum_in).quantize(ZERO),
            transfers_out=Decimal(account.sum_out).quantize(ZERO), other_currency_count=account.other_currency_count,
        )
        for account in accounts
    ]


@dataclass(frozen=True)
class BalanceMonth:
    """An account's balance at the end of one calendar month (``month`` is its first day);
    the current month's is today's (``is_partial``: month to date)."""

    month: dt.date
    on: dt.date
    balance: Decimal
    is_partial: bool


def _monthly_flows(*, accounts: list[Account], until: dt.date) -> dict[tuple[int, dt.date], Decimal]:
    """``{(account id, month): what the month added}`` up to ``until``: approved rows in the
    account's currency, transfers in and out. Three queries."""
    ids = [account.pk for account in accounts]
    flows: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    signed = Case(When(kind=Transaction.Kind.REVENUE, then=F("amount")), default=-F("amount"), output_field=_MONEY)
    rows = (
        Transaction.objects.filter(account_id__in=ids, status=Transaction.Status.APPROVED, date__lte=until)
        .filter(currency=F("account__currency"))
        .annotate(month=TruncMonth("date")).order_by().values("account_id", "month").annotate(net=Sum(signed))
    )
    for row in rows:
        flows[(row["account_id"], row["month"])] += row["net"]
    for field, sign in (("to_account_id", 1), ("from_account_id", -1)):
        moved = (
            Transfer.objects.filter(**{f"{field}__in": ids}, date__lte=until).annotate(month=TruncMonth("date"))
            .order_by().values(field, "month").annotate(total=Sum("amount"))
        )
        for row in moved:
            flows[(row[field], row["month"])] += sign * row["total"]
    return flows


def account_balance_months(
    *, accounts: list[Account], today: dt.date, count: int = 12
) -> dict[int, list[BalanceMonth]]:
    """Each account's balance at the end of each of the last ``count`` calendar months,
    oldest first; the current month's is today's balance (partial, month to date). Three
    queries whatever the number of accounts or rows (none without accounts)."""
    if not accounts:
        return {}
    months = [add_months(month_start(today), -back) for back in range(count - 1, -1, -1)]
    flows = _monthly_flows(accounts=accounts, until=today)
    before: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (account_id, month), amount in flows.items():
        if month < months[0]:
            before[account_id] += amount
    history: dict[int, list[BalanceMonth]] = {}
    for account in accounts:
        balance = account.opening_balance + before[account.pk]
        history[account.pk] = []
        for month in months:
            balance += flows.get((account.pk, month), ZERO)
            partial = month == months[-1]
            history[account.pk].append(BalanceMonth(
                month=month, on=today if partial else month_end(month), balance=balance.quantize(ZERO),
                is_partial=partial,
            ))
    return history


def transfer_list(*, workspace: Workspace, account: Account | None = None) -> QuerySet[Transfer]:
    """The workspace's transfers, newest first, with both accounts (one query); only those
    in or out of ``account`` when given."""
    transfers = Transfer.objects.filter(workspace=workspace).select_related("from_account", "to_account")
    if account is not None:
        transfers = transfers.filter(Q(from_account=account) | Q(to_account=account))
    return transfers.order_by("-date", "-id")
