"""Input/output serializers of the books' API."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from config.limits import currency_normalise
from finance.accounts.services import account_usable_check
from finance.api.kit import RowListSerializer, WorkspaceOwnedSerializer
from finance.holidays import holidays_region_errors
from finance.models import (
    Account,
    Budget,
    Category,
    Goal,
    Invitation,
    Membership,
    Product,
    Sale,
    StockLevel,
    Supplier,
    Transaction,
    Warehouse,
    Workspace,
)
from finance.services.budgets import (
    budget_create,
    budget_limit_validate,
    budget_update,
    budget_validate,
)
from finance.services.goals import (
    goal_create,
    goal_deadline_validate,
    goal_saved_validate,
    goal_target_validate,
    goal_update,
    goal_validate,
)
from finance.services.import_mapping import (
    ImportMappingError,
    import_mapping_validate,
    qif_options_validate,
)
from finance.services.transactions import (
    transaction_amount_validate,
    transaction_create,
    transaction_update,
    transaction_validate,
)


class CurrencyField(serializers.CharField):
    """An ISO 4217 currency code, any case in, upper case out: the rule of
    :func:`config.limits.currency_normalise`, which the CSV import and the forms apply too."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("help_text", "An ISO 4217 currency code such as USD or EUR.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return currency_normalise(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="invalid_currency") from None


class WorkspaceSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="Your role in this workspace.")
    currency = CurrencyField(default="USD")

    class Meta:
        model = Workspace
        fields = ["id", "name", "slug", "kind", "currency", "holidays_country", "holidays_region", "role",
                  "is_demo", "created_at"]
        read_only_fields = ["slug", "is_demo", "created_at"]

    def get_role(self, obj: Workspace) -> str | None:
        return getattr(obj, "user_role", None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        errors = holidays_region_errors(
            country=attrs.get("holidays_country", current.holidays_country if current else ""),
            region=attrs.get("holidays_region", current.holidays_region if current else ""),
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class MembershipSerializer(WorkspaceOwnedSerializer):
    """A member of one of your workspaces. Members join by accepting an invitation
    (``/api/v1/invitations/``); here owners change a role or remove a member."""

    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "workspace", "user", "username", "role", "joined_at"]
        read_only_fields = ["user", "joined_at"]  # a membership changes role, never person


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation as its workspace's owners and the invited user see it: who was named
    (as the owner typed it), the role and the state, never another user's name."""

    workspace_name = serializers.CharField(source="workspace.name", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="pending, accepted, declined, or expired (pending past expires_at)."
    )
    for_you = serializers.SerializerMethodField(help_text="Whether you are the invited user (you may accept).")
    # Not an e-mail field: empty when the invitation names a username.
    email = serializers.CharField(read_only=True, help_text="The e-mail address named, or empty.")

    class Meta:
        model = Invitation
        fields = [
            "id", "workspace", "workspace_name", "username", "email", "role", "status", "for_you",
            "created_at", "expires_at", "answered_at",
        ]
        read_only_fields = fields

    def get_status(self, obj: Invitation) -> str:
        if obj.status == Invitation.Status.PENDING and obj.expires_at <= timezone.now():
            return "expired"
        return obj.status

    def get_for_you(self, obj: Invitation) -> bool:
        request = self.context.get("request")
        return request is not None and obj.is_for(request.user)


class InvitationCreateSerializer(serializers.Serializer):
    """Input of ``POST /api/v1/invitations/``: one of ``username`` or ``email``."""

    workspace = serializers.PrimaryKeyRelatedField(
        queryset=Workspace.objects.none(), help_text="A workspace you own."
    )
    username = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)

    def __init__(self, *args: Any, workspaces: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if workspaces is not None:
            self.fields["workspace"].queryset = workspaces

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs["username"].strip()) == bool(attrs["email"].strip()):
            raise serializers.ValidationError({"username": ["Give either a username or an e-mail address."]})
        return attrs


class CategorySerializer(WorkspaceOwnedSerializer):
    class Meta:
        model = Category
        fields = ["id", "workspace", "name", "kind", "color"]

    def validate_color(self, value: str) -> str:
        if value and not re.match(r"^#[0-9a-fA-F]{6}$", value):
            raise serializers.ValidationError("Use a hex colour such as #1f77b4.")
        return value


class TransactionSerializer(WorkspaceOwnedSerializer):
    """A transaction of the books, in one account of its workspace (its default account
    when ``account`` is left out). The rules of writing one, and their messages, are the
    services' (:mod:`finance.services.transactions`), shared with the page form."""

    # Declared without the model's minimum so that the services' amount rule gives the message.
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Greater than zero.")
    currency = CurrencyField(required=False)

    class Meta:
        model = Transaction
        fields = [
            "id", "workspace", "kind", "amount", "currency", "date", "description", "merchant",
            "account", "account_label", "category", "category_source", "category_confidence", "anomaly_score", "fraud_score",
            "is_flagged", "needs_confirmation", "confirmed_at", "status", "source", "created_at", "updated_at",
        ]
        read_only_fields = [
            "account_label", "category_source", "category_confidence", "anomaly_score", "fraud_score", "is_flagged",
            "needs_confirmation", "confirmed_at", "source", "created_at", "updated_at",
        ]
        extra_kwargs = {"account": {"help_text": "An open account of the workspace; its default account when left "
                                                 "out."}}
        list_serializer_class = RowListSerializer  # a page of 50 rows is the hot path of the API

    def validate_amount(self, value: Decimal) -> Decimal:
        transaction_amount_validate(amount=value)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        workspace = attrs.get("workspace") or self.instance.workspace
        transaction_validate(
            workspace=workspace,
            kind=attrs.get("kind", getattr(self.instance, "kind", None)),
            amount=attrs.get("amount", getattr(self.instance, "amount", None)),
            category=attrs.get("category", getattr(self.instance, "category", None)),
            account=attrs["account"] if "account" in attrs and attrs["account"].pk != getattr(
                self.instance, "account_id", None) else None,
        )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Transaction:
        request = self.context.get("request")
        return transaction_create(
            user=getattr(request, "user", None), source=Transaction.Source.API, **validated_data
        )

    def update(self, instance: Transaction, validated_data: dict[str, Any]) -> Transaction:
        request = self.context.get("request")
        return transaction_update(transaction=instance, user=getattr(request, "user", None), **validated_data)


class CsvImportSerializer(serializers.Serializer):
    """Input of ``POST /transactions/import/`` and ``POST /sales/import/``."""

    workspace = serializers.PrimaryKeyRelatedField(queryset=Workspace.objects.none())
    file = serializers.FileField(help_text="A UTF-8 CSV file with a header row.")

    def __init__(self, *args: Any, workspaces: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if workspaces is not None:
            self.fields["workspace"].queryset = workspaces


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()


class TransactionImportSerializer(CsvImportSerializer):
    """Input of ``POST /transactions/import/``: the file, its format, a column mapping
    (a CSV's; a QIF's date format and separators) and whether to preview only."""

    file = serializers.FileField(help_text="A CSV (UTF-8), OFX (1.x SGML or 2.x XML) or QIF file.")
    format = serializers.ChoiceField(choices=["csv", "ofx", "qif"], default="csv", help_text="The file's format.")
    mapping = serializers.JSONField(
        required=False, binary=True,
        help_text=(
            "JSON object. For a CSV: the column (header name, or 1-based number with \"header\": false) of each "
            "role: date, amount — or debit and credit —, description, merchant, category, kind, account, currency; "
            "options date_format (YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, …), decimal_separator "
            "(. or ,), thousands_separator ('', ',', '.', ' ', \"'\"), delimiter (, ; tab |), header (true). "
            "For a QIF: date_format, decimal_separator, thousands_separator. None for an OFX file."
        ),
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check and preview only: nothing is written (200 with the preview)."
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.none(), required=False,
        help_text="An open account of the workspace for the rows whose own account (an OFX ACCTID, a QIF or CSV "
                  "account) names none of its accounts by name or number; the default account when left out.",
    )

    def __init__(self, *args: Any, workspaces: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, workspaces=workspaces, **kwargs)
        if workspaces is not None:
            self.fields["account"].queryset = Account.objects.filter(workspace__in=workspaces)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        account = attrs.get("account")
        if account is not None:
            try:
                account_usable_check(workspace=attrs["workspace"], account=account)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"account": exc.messages}) from None
        mapping = attrs.get("mapping")
        try:
            if attrs["format"] == "csv" and mapping is not None:
                import_mapping_validate(mapping)
            elif attrs["format"] == "qif":
                qif_options_validate(mapping or {})
            elif attrs["format"] == "ofx" and mapping:
                raise ImportMappingError({"mapping": "an OFX file names its own fields: send no mapping"})
        except ImportMappingError as exc:
            raise serializers.ValidationError({"mapping": exc.errors}) from None
        return attrs


class ImportRowSerializer(serializers.Serializer):
    """One row of a file as it is (or would be) stored; ``row`` is its line."""

    row = serializers.IntegerField()
    date = serializers.CharField(allow_null=True)
    kind = serializers.CharField(required=False)
    amount = serializers.CharField(allow_null=True)
    currency = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    merchant = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(required=False, allow_blank=True)
    account = serializers.CharField(required=False, help_text="The account the row goes to.")


class ImportPreviewRowSerializer(ImportRowSerializer):
    duplicate = serializers.BooleanField(help_text="Imported before: it would be skipped.")
    errors = serializers.ListField(child=serializers.DictField())


class TransactionImportResultSerializer(serializers.Serializer):
    """What an import wrote (201), or would write (200, ``dry_run``): the rows imported
    before are skipped, counted in ``duplicates`` and the first of them listed."""

    created = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="Rows skipped as imported before.")
    duplicate_rows = ImportRowSerializer(many=True, help_text="The first 50 of them, with their line.")
    dry_run = serializers.BooleanField(required=False)
    would_create = serializers.IntegerField(required=False, help_text="Dry run: the rows an import would write.")
    errors = serializers.ListField(child=serializers.DictField(), required=False)
    total_errors = serializers.IntegerField(required=False)
    rows = ImportPreviewRowSerializer(many=True, required=False, help_text="Dry run: the first 20 rows.")


class ImportErrorSerializer(serializers.Serializer):
    """A refused import: ``detail`` and one entry per bad row (``errors``) when the CSV
    is wrong; the form's fields with their messages (``workspace``, ``file``) when the
    request is."""

    detail = serializers.CharField(required=False)
    errors = serializers.ListField(child=serializers.DictField(), required=False)


class BudgetSerializer(WorkspaceOwnedSerializer):
    """A budget. The rules of writing one, and their messages, are the services'
    (:mod:`finance.services.budgets`), shared with the Budgets page."""

    # Declared without the model's minimum so that the services' rule gives the message.
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The limit per period, greater than zero."
    )

    class Meta:
        model = Budget
        fields = ["id", "workspace", "category", "amount", "period", "start_date", "end_date"]

    def validate_amount(self, value: Decimal) -> Decimal:
        budget_limit_validate(amount=value)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)

        def value(name: str) -> Any:
            return attrs.get(name, getattr(self.instance, name, None))

        budget_validate(
            workspace=value("workspace"), category=value("category"), amount=value("amount"),
            period=value("period") or Budget.Period.MONTHLY, start_date=value("start_date"),
            end_date=value("end_date"), budget=self.instance,
        )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Budget:
        return budget_create(**validated_data)

    def update(self, instance: Budget, validated_data: dict[str, Any]) -> Budget:
        validated_data.pop("workspace", None)
        return budget_update(budget=instance, **validated_data)


class GoalSerializer(WorkspaceOwnedSerializer):
    """A savings goal. The rules of writing one, and their messages, are the services'
    (:mod:`finance.services.goals`), shared with the Goals page; every change of the saved
    amount is kept in the goal's history."""

    # Declared without the model's bounds so that the services' rules give the messages.
    target_amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Greater than zero.")
    saved_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="Not negative; 0 when left out."
    )
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id", "workspace", "owner", "name", "target_amount", "saved_amount", "deadline",
            "progress", "created_at",
        ]
        read_only_fields = ["owner", "created_at"]

    def validate_target_amount(self, value: Decimal) -> Decimal:
        goal_target_validate(target_amount=value)
        return value

    def validate_saved_amount(self, value: Decimal) -> Decimal:
        goal_saved_validate(saved_amount=value)
        return value

    def validate_deadline(self, value: dt.date) -> dt.date:
        goal_deadline_validate(
            deadline=value, today=timezone.localdate(), previous_deadline=getattr(self.instance, "deadline", None)
        )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)

        def value(name: str) -> Any:
            return attrs.get(name, getattr(self.instance, name, None))

        goal_validate(
            name=value("name"), target_amount=value("target_amount"), saved_amount=value("saved_amount"),
            deadline=value("deadline"), today=timezone.localdate(),
            previous_deadline=getattr(self.instance, "deadline", None),
        )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Goal:
        return goal_create(owner=self.context["request"].user, **validated_data)

    def update(self, instance: Goal, validated_data: dict[str, Any]) -> Goal:
        validated_data.pop("workspace", None)
        return goal_update(goal=instance, **validated_data)


class SupplierSerializer(WorkspaceOwnedSerializer):
    class Meta:
        model = Supplier
        fields = [
            "id", "workspace", "name", "email", "lead_time_mean_days", "lead_time_std_days",
            "min_order_quantity",
        ]


class ProductSerializer(WorkspaceOwnedSerializer):
    class Meta:
        model = Product
        fields = [
            "id", "workspace", "sku", "name", "category", "unit_cost", "unit_price", "supplier",
            "shelf_life_days", "is_active",
        ]


class WarehouseSerializer(WorkspaceOwnedSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "workspace", "code", "name", "location", "capacity_units"]


class StockLevelSerializer(WorkspaceOwnedSerializer):
    class Meta:
        model = StockLevel
        fields = ["id", "workspace", "product", "warehouse", "quantity", "updated_at"]
        read_only_fields = ["updated_at"]


class SaleSerializer(WorkspaceOwnedSerializer):
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False,
        help_text="Defaults to the product's price.",
    )

    class Meta:
        model = Sale
        fields = ["id", "workspace", "product", "warehouse", "date", "quantity", "unit_price", "on_promotion",
                  "created_at"]
        read_only_fields = ["created_at"]

    def create(self, validated_data: dict[str, Any]) -> Sale:
        validated_data.setdefault("unit_price", validated_data["product"].unit_price)
        return super().create(validated_data)
