"""``/api/v1/accounts/`` and ``/api/v1/transfers/``: a workspace's accounts with their
balances, and the transfers between them (the books' API kit, NetBox style).

The rules and their messages are :mod:`finance.accounts.services`', shared with the
Accounts page and the admin: a name taken, a currency that is not ISO 4217, archiving the
default account, a transfer between one account and itself or two currencies — each a
400 naming the field; another workspace's account in a body is a 400 naming the field,
another workspace's object in a URL a 404. Deleting an account that holds transactions or
transfers (or the default account) is a 409: archive it instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from config.limits import date_validate
from finance.accounts.models import Account, Transfer
from finance.accounts.selectors import accounts_with_balances
from finance.accounts.services import (
    AccountInUse,
    account_create,
    account_delete,
    account_update,
    account_validate,
    transfer_create,
    transfer_delete,
    transfer_validate,
)
from finance.api.filters import FilterSet
from finance.api.kit import Conflict, WorkspaceOwnedSerializer, WorkspaceScopedViewSet
from finance.api.serializers import CurrencyField

ON_PARAMETER = OpenApiParameter(
    "on", OpenApiTypes.DATE, description="The day of the balances (YYYY-MM-DD); today when left out.",
)
_BALANCE_HELP = (
    "On the day asked for (``on``, else today): the opening balance plus the approved revenue, less the approved "
    "expenses, plus the transfers in, less the transfers out, dated up to that day; transactions in another "
    "currency than the account's are not added (see ``other_currency_count``)."
)


class AccountSerializer(WorkspaceOwnedSerializer):
    """An account of a workspace: cash, a bank account, a card or savings, in one currency
    (the workspace's unless given). Exactly one account of a workspace is its default: it
    takes the transactions written without an account."""

    currency = CurrencyField(required=False, help_text="An ISO 4217 code; the workspace's currency when left out.")
    # Declared without the model's bounds so that the services' rules give the messages.
    opening_balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="What the account held before its first "
        "transaction (negative for a card's debt); 0 when left out.",
    )
    balance = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, help_text=_BALANCE_HELP)
    other_currency_count = serializers.IntegerField(
        read_only=True, help_text="Approved transactions of the account in another currency, not in the balance.",
    )

    class Meta:
        model = Account
        fields = ["id", "workspace", "name", "kind", "currency", "opening_balance", "number", "is_default",
                  "is_archived", "balance", "other_currency_count", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)

        def value(name: str, default: Any = None) -> Any:
            return attrs.get(name, getattr(self.instance, name, default))

        account_validate(
            workspace=value("workspace"), name=value("name"), currency=attrs.get("currency"),
            opening_balance=attrs.get("opening_balance"), is_default=value("is_default", False),
            is_archived=value("is_archived", False), account=self.instance,
        )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Account:
        return account_create(**validated_data)

    def update(self, instance: Account, validated_data: dict[str, Any]) -> Account:
        validated_data.pop("workspace", None)
        return account_update(account=instance, **validated_data)


class AccountFilter(FilterSet):
    class Meta:
        model = Account
        fields = {"workspace": ["exact"], "kind": ["exact"], "currency": ["exact"], "is_default": ["exact"],
                  "is_archived": ["exact"], "name": ["exact", "icontains"]}


def _balance_day(request: Request) -> dt.date:
    """The ``on`` query parameter, or today; a 400 naming it when it is no date in range."""
    text = request.query_params.get("on")
    if not text:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"on": ["Enter a valid date (YYYY-MM-DD)."]}) from None
    try:
        date_validate(day)
    except DjangoValidationError as exc:  # out of the input limits
        raise ValidationError({"on": exc.messages}) from None
    return day


_IN_USE = OpenApiResponse(description="The default account, or one with transactions or transfers: archive it instead.")


@extend_schema_view(
    list=extend_schema(parameters=[ON_PARAMETER]),
    retrieve=extend_schema(parameters=[ON_PARAMETER]),
    destroy=extend_schema(responses={204: None, 409: _IN_USE}),
)
class AccountViewSet(WorkspaceScopedViewSet):
    """Your workspaces' accounts with their balances; members write, viewers read."""

    model = Account
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["name", "kind", "created_at"]
    search_fields = ["name", "number"]

    def refine_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        on = _balance_day(self.request) if self.request.method == "GET" else timezone.localdate()
        return accounts_with_balances(queryset, on=on).order_by("workspace_id", "is_archived", "-is_default", "name",
                                                                 "pk")

    def _with_balance(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_create(self, serializer: AccountSerializer) -> None:
        super().perform_create(serializer)
        self._with_balance(serializer)

    def perform_update(self, serializer: AccountSerializer) -> None:
        super().perform_update(serializer)
        self._with_balance(serializer)

    def perform_destroy(self, instance: Account) -> None:
        try:
            account_delete(account=instance)
        except AccountInUse as exc:
            raise Conflict({"detail": exc.message}) from None


class TransferSerializer(WorkspaceOwnedSerializer):
    """Money moved from one account of a workspace to another of the same currency: neither
    revenue nor expense. A transfer is not changed: delete it and make another."""

    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Greater than zero.")
    currency = serializers.CharField(source="from_account.currency", read_only=True,
                                     help_text="Both accounts' currency.")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Transfer
        fields = ["id", "workspace", "from_account", "to_account", "amount", "currency", "date", "description",
                  "created_by", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        transfer_validate(
            workspace=attrs["workspace"], from_account=attrs.get("from_account"), to_account=attrs.get("to_account"),
            amount=attrs.get("amount"), date=attrs.get("date"), description=attrs.get("description"),
        )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Transfer:
        request = self.context.get("request")
        return transfer_create(user=getattr(request, "user", None), **validated_data)


class TransferFilter(FilterSet):
    account = filters.NumberFilter(method="filter_account", label="Account (either side)")

    class Meta:
        model = Transfer
        fields = {"workspace": ["exact"], "from_account": ["exact"], "to_account": ["exact"],
                  "date": ["exact", "gte", "lte"]}

    def filter_account(self, queryset: QuerySet[Transfer], name: str, value: Any) -> QuerySet[Transfer]:
        return queryset.filter(Q(from_account_id=value) | Q(to_account_id=value))


class TransferViewSet(WorkspaceScopedViewSet):
    """Your workspaces' transfers between accounts: list, create, read, delete (members;
    viewers read)."""

    http_method_names = ["get", "post", "delete", "head", "options"]
    model = Transfer
    serializer_class = TransferSerializer
    filterset_class = TransferFilter
    select_related = ("from_account", "created_by")
    ordering_fields = ["date", "amount", "created_at"]
    search_fields = ["description"]

    def refine_queryset(self, queryset: QuerySet[Transfer]) -> QuerySet[Transfer]:
        return queryset.order_by("-date", "-id")

    def perform_destroy(self, instance: Transfer) -> None:
        transfer_delete(transfer=instance)
