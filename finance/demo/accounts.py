"""The demo workspaces' accounts and transfers: an operating (or joint checking) account
that is the default, a card paid off from it each month, and savings fed from it each
month. Which account a row is in follows its merchant; the transfers follow the rows, so
the same seed gives the same accounts, rows and transfers (no randomness here)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from finance.accounts.models import Account, Transfer
from finance.models import Transaction, Workspace
from finance.months import add_months, month_start

CARD_PAYMENT_DAY = 5  # the card of last month is paid off on the 5th
SAVINGS_DAY = 2


@dataclass(frozen=True)
class AccountSpec:
    name: str
    kind: str
    opening_balance: str
    merchants: tuple[str, ...] = ()  # rows of these merchants are in this account
    monthly_saving: str | None = None  # savings: moved in from the default account each month
    pays_off: bool = False  # a card: last month's spending moved in from the default account


@dataclass(frozen=True)
class WorkspaceAccounts:
    default: AccountSpec
    others: tuple[AccountSpec, ...] = field(default_factory=tuple)


_BUSINESS_CARD = ("Amazon", "Meta", "Google Ads", "Shell", "Chevron", "Canva", "Adobe", "Vistaprint", "Uline",
                  "U-Haul", "Microsoft", "WebstaurantStore")

ACCOUNTS = {
    "demo-sunrise-bakery": WorkspaceAccounts(
        AccountSpec("Operating account", Account.Kind.BANK, "24000.00"),
        (AccountSpec("Business card", Account.Kind.CARD, "0.00", _BUSINESS_CARD, pays_off=True),
         AccountSpec("Tax reserve", Account.Kind.SAVINGS, "8000.00", monthly_saving="1500.00")),
    ),
    "demo-northside-hardware": WorkspaceAccounts(
        AccountSpec("Operating account", Account.Kind.BANK, "31000.00"),
        (AccountSpec("Business card", Account.Kind.CARD, "0.00", _BUSINESS_CARD, pays_off=True),
         AccountSpec("Reserve savings", Account.Kind.SAVINGS, "12000.00", monthly_saving="2000.00")),
    ),
    "demo-rivera-household": WorkspaceAccounts(
        AccountSpec("Joint checking", Account.Kind.BANK, "4200.00"),
        (AccountSpec("Credit card", Account.Kind.CARD, "-640.00",
                     ("Starbucks", "Chipotle", "DoorDash", "Trader Joe's", "Safeway", "Whole Foods", "Shell",
                      "Chevron", "Uber", "Amazon", "Luigis Trattoria", "Harbor Grill", "Blue Door Cafe"),
                     pays_off=True),
         AccountSpec("High-yield savings", Account.Kind.SAVINGS, "9500.00", ("Ally Bank",), monthly_saving="600.00")),
    ),
}


def demo_accounts_create(workspace: Workspace) -> list[Account]:
    """The workspace's demo accounts, the default first (only a default one for a slug
    without accounts here)."""
    spec = ACCOUNTS.get(workspace.slug, WorkspaceAccounts(AccountSpec("Main account", Account.Kind.BANK, "0.00")))
    return Account.objects.bulk_create(
        Account(workspace=workspace, name=a.name, kind=a.kind, currency=workspace.currency,
                opening_balance=Decimal(a.opening_balance), is_default=a is spec.default)
        for a in (spec.default, *spec.others)
    )


def _specs(workspace: Workspace) -> dict[str, AccountSpec]:
    spec = ACCOUNTS.get(workspace.slug)
    return {a.name: a for a in (spec.default, *spec.others)} if spec else {}


def demo_accounts_assign(workspace: Workspace, accounts: Sequence[Account], rows: Sequence[Transaction]) -> None:
    """Put each (unsaved) row in the account its merchant belongs to, else the default."""
    specs = _specs(workspace)
    by_merchant = {m: a for a in accounts for m in (specs[a.name].merchants if a.name in specs else ())}
    for row in rows:
        row.account = by_merchant.get(row.merchant, accounts[0])


def demo_transfers(
    workspace: Workspace, accounts: Sequence[Account], rows: Sequence[Transaction], end: dt.date
) -> list[Transfer]:
    """Each month up to ``end``: last month's approved card spending paid off from the
    default account on the 5th, and the savings amount moved there on the 2nd."""
    specs = _specs(workspace)
    default = accounts[0]
    spent: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.kind == Transaction.Kind.EXPENSE and row.status == Transaction.Status.APPROVED:
            spent[(row.account.pk, month_start(row.date))] += row.amount
    if not rows:
        return []
    first, transfers = month_start(min(row.date for row in rows)), []
    month = add_months(first, 1)
    while month <= end:
        for account in accounts[1:]:
            spec = specs[account.name]
            if spec.pays_off and (amount := spent.get((account.pk, add_months(month, -1)))):
                day, note = month.replace(day=CARD_PAYMENT_DAY), f"{account.name} bill for {add_months(month, -1):%B}"
            elif spec.monthly_saving:
                amount, day, note = Decimal(spec.monthly_saving), month.replace(day=SAVINGS_DAY), "Monthly saving"
            else:
                continue
            if day <= end:
                transfers.append(Transfer(workspace=workspace, from_account=default, to_account=account,
                                          amount=amount, date=day, description=note))
        month = add_months(month, 1)
    return transfers
