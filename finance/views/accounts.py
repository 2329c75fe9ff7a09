"""Accounts: every account with its balance and twelve months of balances, the transfers
between them, add / edit / archive an account and make or delete a transfer (not for
viewers)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import CreateView, DeleteView, FormView, TemplateView, UpdateView, View

from finance.accounts.forms import AccountForm, TransferForm
from finance.accounts.models import Account, Transfer
from finance.accounts.selectors import (
    AccountBalance,
    BalanceMonth,
    account_balance_months,
    account_balances,
    transfer_list,
)
from finance.accounts.services import account_update, transfer_delete
from finance.selectors import workspace_scoped_queryset
from finance.views.base import WorkspaceObjectMixin, WorkspacePageMixin

PARTIAL_LABEL = "month to date"
RECENT_TRANSFERS = 20


def balance_chart(
    *, balances: list[AccountBalance], months: dict[int, list[BalanceMonth]], currency: str
) -> dict[str, Any]:
    """What static/js/accounts.js draws: one line per open account in ``currency`` (the
    others have their own currency: the table lists them), the current month flagged partial."""
    drawn = [b.account for b in balances if not b.account.is_archived and b.account.currency == currency]
    first = next(iter(months.values()), [])
    return {
        "currency": currency,
        "labels": [m.month.strftime("%b %Y") for m in first],
        "partial": [m.is_partial for m in first],
        "partialLabel": PARTIAL_LABEL,
        "accounts": [
            {"name": account.name, "kind": account.kind, "balances": [float(m.balance) for m in months[account.pk]]}
            for account in drawn
        ],
    }


class AccountListView(WorkspacePageMixin, TemplateView):
    """The current workspace's accounts with today's balances, their balances at each month's
    end over the last twelve months (this month to date), the transfer form and the last
    transfers."""

    template_name = "finance/accounts/list.html"
    section = "accounts"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        balances = account_balances(workspace=self.workspace, on=today)
        months = account_balance_months(accounts=[b.account for b in balances], today=today)
        open_balances = [b for b in balances if not b.account.is_archived]
        totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for b in open_balances:
            totals[b.account.currency] += b.balance
        currency = self.workspace.currency
        context.update(
            today=today,
            balances=open_balances,
            archived=[b for b in balances if b.account.is_archived],
            months=months,
            month_rows=[
                (month, [(b.account, months[b.account.pk][i]) for b in open_balances])
                for i, month in enumerate(months[open_balances[0].account.pk] if open_balances else [])
            ],
            totals=sorted(totals.items(), key=lambda item: (item[0] != currency, item[0])),
            chart=balance_chart(balances=balances, months=months, currency=currency),
            other_currencies=sorted({b.account.currency for b in open_balances} - {currency}),
            partial_label=PARTIAL_LABEL,
            transfer_form=TransferForm(workspace=self.workspace, user=self.request.user)
            if self.ws.can_write and len(open_balances) >= 2 else None,
            transfers=list(transfer_list(workspace=self.workspace)[:RECENT_TRANSFERS]),
        )
        return context


class _AccountFormMixin(WorkspacePageMixin):
    model = Account
    form_class = AccountForm
    template_name = "finance/object_form.html"
    section = "accounts"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(workspace=self.workspace)
        return kwargs

    def get_success_url(self) -> str:
        return reverse("finance:accounts")


class AccountCreateView(_AccountFormMixin, CreateView):
    """Add an account to the current workspace (not for viewers)."""

    write_required = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(heading="Add an account", submit_label="Add account", cancel_url=reverse("finance:accounts"))
        return context

    def form_valid(self, form: AccountForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"Added the account {self.object.name}.")
        return response


class AccountUpdateView(WorkspaceObjectMixin, _AccountFormMixin, UpdateView):
    """Edit an account (not for viewers)."""

    object_write = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(heading=f"Edit the account {self.object.name}", submit_label="Save",
                       cancel_url=reverse("finance:accounts"))
        return context

    def form_valid(self, form: AccountForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, f"Saved the account {self.object.name}.")
        return response


class AccountArchiveView(WorkspacePageMixin, View):
    """``POST``: archive an open account, or reopen an archived one (not for viewers). An
    archived account keeps its history and takes no new transactions or transfers."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = get_object_or_404(workspace_scoped_queryset(model=Account, user=request.user), pk=pk)
        self.use_workspace_of(account.workspace_id)
        self.require_write(self.ws.membership)
        try:
            account = account_update(account=account, is_archived=not account.is_archived)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            state = "archived: it keeps its history and takes no new rows" if account.is_archived else "open again"
            messages.success(request, f"{account.name} is {state}.")
        return redirect("finance:accounts")


class TransferCreateView(WorkspacePageMixin, FormView):
    """Move money between two accounts of the current workspace (not for viewers): the
    Accounts page's form posts here; with a problem the form comes back on its own page."""

    form_class = TransferForm
    template_name = "finance/object_form.html"
    section = "accounts"
    write_required = True

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(workspace=self.workspace, user=self.request.user)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(heading="Move money between accounts", submit_label="Transfer",
                       cancel_url=reverse("finance:accounts"))
        return context

    def form_valid(self, form: TransferForm) -> HttpResponse:
        transfer = form.save()
        messages.success(
            self.request,
            f"Moved {transfer.amount:,.2f} {transfer.from_account.currency} from {transfer.from_account.name} "
            f"to {transfer.to_account.name}: neither revenue nor expense.",
        )
        return redirect("finance:accounts")


class TransferDeleteView(WorkspaceObjectMixin, DeleteView):
    """Confirm (GET), then delete (POST) a transfer (not for viewers): both balances go back."""

    model = Transfer
    object_related = ("from_account", "to_account")
    object_write = True
    template_name = "finance/accounts/transfer_confirm_delete.html"
    context_object_name = "transfer"
    section = "accounts"

    def form_valid(self, form: Any) -> HttpResponse:
        label = str(self.object)
        transfer_delete(transfer=self.object)
        messages.success(self.request, f"Deleted the transfer {label}.")
        return HttpResponseRedirect(reverse("finance:accounts"))
