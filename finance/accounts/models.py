"""Accounts and transfers: where a workspace's money is (cash, a bank account, a card,
savings) and the money moved between its accounts.

Every transaction belongs to one account of its workspace; each workspace has one
default account, which takes the transactions written without one (the forms', the
API's and the imports' default, and any older writer's). A transfer moves money from one
account to another of the same workspace: it is its own row, not a transaction, so no
revenue or expense total, budget, training series, classifier or new-data counter ever
sees it. Balances are :mod:`finance.accounts.selectors`'; writes are
:mod:`finance.accounts.services`'. The rows live in the ``finance`` app
(:mod:`finance.models` imports them).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from config.limits import AmountValidator, DateRangeValidator, TextValidator, currency_validate

if TYPE_CHECKING:  # pragma: no cover
    from finance.models import Workspace

LINE = TextValidator()
IN_RANGE = DateRangeValidator()
MONEY = AmountValidator()
POSITIVE = MinValueValidator(Decimal("0.01"))
DEFAULT_ACCOUNT_NAME = "Main account"


class AccountQuerySet(models.QuerySet):
    def default_for(self, *, workspace: Workspace) -> Account:
        """The workspace's default account, created (a bank account named
        :data:`DEFAULT_ACCOUNT_NAME`, in the workspace's currency) if it has none yet."""
        return self.defaults_for(workspaces={workspace.pk: workspace})[workspace.pk]

    def defaults_for(self, *, workspaces: dict[int, Workspace | None]) -> dict[int, Account]:
        """``{workspace id: its default account}`` for the given workspaces (a ``None``
        value: read the workspace if its account must be created). One query when every
        one has its default account."""
        found = {a.workspace_id: a for a in self.filter(workspace_id__in=workspaces, is_default=True)}
        for workspace_id in workspaces.keys() - found.keys():
            workspace = workspaces[workspace_id]
            if workspace is None:
                from finance.models import Workspace  # this module is imported by finance.models

                workspace = Workspace.objects.get(pk=workspace_id)
            currency = workspace.currency
            found[workspace_id], _ = self.get_or_create(
                workspace_id=workspace_id, is_default=True,
                defaults={"name": DEFAULT_ACCOUNT_NAME, "kind": Account.Kind.BANK, "currency": currency},
            )
        return found


class Account(models.Model):
    """Where money is kept: cash, a bank account, a card or savings, in one currency. Its
    balance on a day is its opening balance plus the approved revenue, less the approved
    expenses, plus the transfers in, less the transfers out, up to that day."""

    class Kind(models.TextChoices):
        CASH = "cash", "Cash"
        BANK = "bank", "Bank account"
        CARD = "card", "Card"
        SAVINGS = "savings", "Savings"

    workspace = models.ForeignKey("finance.Workspace", on_delete=models.CASCADE, related_name="accounts")
    name = models.CharField(max_length=80, validators=[LINE])
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.BANK)
    currency = models.CharField(max_length=3, validators=[currency_validate])
    opening_balance = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0.00"), validators=[MONEY],
        help_text="What the account held before its first transaction (negative for a card's debt).",
    )
    number = models.CharField(
        max_length=60, blank=True, default="", validators=[LINE],
        help_text="Its number or id at the bank as its bank files name it (an OFX file's ACCTID), or its last "
                  "four digits or more: an import puts the file's rows of that account here. Optional.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Takes the transactions written without an account (one per workspace)."
    )
    is_archived = models.BooleanField(default=False, help_text="Closed: kept with its history, takes no new rows.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["workspace", "is_archived", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="unique_account_name"),
            models.UniqueConstraint(fields=["workspace"], condition=Q(is_default=True), name="one_default_account"),
            models.CheckConstraint(condition=~(Q(is_default=True) & Q(is_archived=True)),
                                   name="default_account_not_archived"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


def transactions_account_fill(rows: Iterable[Any]) -> None:
    """Put every row of ``rows`` (unsaved transactions) written without an account in its
    workspace's default account (one query when the defaults exist)."""
    missing = [row for row in rows if row.account_id is None]
    if not missing:
        return
    workspaces: dict[int, Any] = {}
    for row in missing:
        cached = row._state.fields_cache.get("workspace")
        if workspaces.get(row.workspace_id) is None:
            workspaces[row.workspace_id] = cached
    defaults = Account.objects.defaults_for(workspaces=workspaces)
    for row in missing:
        row.account = defaults[row.workspace_id]


class Transfer(models.Model):
    """Money moved from one account of a workspace to another of the same currency: the
    first's balance goes down, the second's up, and it is neither revenue nor expense."""

    workspace = models.ForeignKey("finance.Workspace", on_delete=models.CASCADE, related_name="transfers")
    from_account = models.ForeignKey(Account, on_delete=models.RESTRICT, related_name="transfers_out")
    to_account = models.ForeignKey(Account, on_delete=models.RESTRICT, related_name="transfers_in")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[POSITIVE, MONEY])
    date = models.DateField(validators=[IN_RANGE])
    description = models.CharField(max_length=255, blank=True, default="", validators=[LINE])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["workspace", "date"], name="transfer_date_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(from_account=F("to_account")), name="transfer_two_accounts"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} from {self.from_account.name} to {self.to_account.name}"
