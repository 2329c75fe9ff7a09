"""Django admin for the books: every model with filters, search, dates and CSV import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from finance.admin_import import CsvImportAdminMixin, TransactionImportAdminMixin
from finance.forms import MoneyField, category_rule_form_check
from finance.models import (
    Budget,
    Category,
    CategoryRule,
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
from finance.selectors import workspace_scoped_queryset
from finance.services.rules import (
    category_rule_create,
    category_rule_delete,
    category_rule_update,
    category_rules_apply,
)
from finance.services.sales import sale_import_csv
from finance.services.transactions import NothingToConfirm, transaction_confirm


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Superusers see every workspace; other staff only the workspaces they belong to —
    in the rows and in the sidebar filters, whose related choices (workspace, warehouse,
    category …) come from those rows only instead of every row of the related table."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=workspace_scoped_queryset(model=self.model, user=request.user).values("pk"))

    def get_list_filter(self, request: HttpRequest) -> Sequence[Any]:
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [
            (name, admin.RelatedOnlyFieldListFilter)
            if isinstance(name, str) and "__" not in name and self.model._meta.get_field(name).is_relation else name
            for name in filters
        ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        owned = related is Workspace or any(f.name == "workspace" for f in related._meta.fields)
        if owned and not request.user.is_superuser:
            kwargs["queryset"] = workspace_scoped_queryset(model=related, user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "kind", "currency", "holidays_country", "is_demo", "created_at"]
    list_filter = ["kind", "is_demo", "currency"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "created_at"
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(WorkspaceScopedAdmin):
    """Invitations to join a workspace, answered by the invited user (read-only here)."""

    list_display = ["workspace", "username", "email", "role", "status", "invited_by", "created_at", "expires_at"]
    list_filter = ["status", "role", "workspace"]
    search_fields = ["username", "email", "workspace__name"]
    list_select_related = ["workspace", "invited_by"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an owner invites through the API; staff add members directly


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    list_display = ["user", "workspace", "role", "joined_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__username", "workspace__name"]
    list_select_related = ["user", "workspace"]
    autocomplete_fields = ["user", "workspace"]
    date_hierarchy = "joined_at"


@admin.register(Category)
class CategoryAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "kind", "workspace"]
    list_filter = ["kind", "workspace"]
    search_fields = ["name"]
    list_select_related = ["workspace"]


@admin.register(Transaction)
class TransactionAdmin(TransactionImportAdminMixin, WorkspaceScopedAdmin):
    list_display = [
        "date", "kind", "amount", "currency", "description", "merchant", "account", "category",
        "category_source", "category_confidence", "fraud_score", "anomaly_score", "is_flagged",
        "needs_confirmation", "status", "workspace",
    ]
    list_filter = ["kind", "status", "source", "category_source", "is_flagged", "needs_confirmation", "workspace",
                   "account"]
    search_fields = ["description", "merchant", "account_label", "account__name"]
    date_hierarchy = "date"
    list_select_related = ["category", "account", "workspace"]
    autocomplete_fields = ["category", "account"]
    readonly_fields = [
        "created_at", "updated_at", "created_by", "anomaly_score", "fraud_score", "needs_confirmation",
        "confirmed_by", "confirmed_at",
    ]
    actions = ["confirm_amounts"]
    csv_columns_help = (
        "A CSV, OFX (or QFX) or QIF file; one bad row and nothing is written, rows imported before are "
        "skipped and listed. A CSV's columns: date (YYYY-MM-DD) and amount are required; kind (revenue/expense; "
        "without it a negative amount is an expense), description, merchant, account, "
        "category (a category name of the workspace), currency and status are optional. "
        "A CSV with other columns: map them below."
    )

    @admin.action(description="Confirm the selected amounts (they count for forecasts from then on)")
    def confirm_amounts(self, request: HttpRequest, queryset: QuerySet) -> None:
        confirmed = 0
        for transaction in queryset.filter(needs_confirmation=True):
            try:
                transaction_confirm(transaction=transaction, user=request.user)
            except NothingToConfirm:
                continue  # confirmed meanwhile
            confirmed += 1
        skipped = queryset.count() - confirmed
        messages.success(
            request, f"Confirmed {confirmed} amount{'s' if confirmed != 1 else ''}"
            + (f"; {skipped} awaited no confirmation." if skipped else "."),
        )


class CategoryRuleAdminForm(forms.ModelForm):
    """A category rule typed in by staff, checked by
    :func:`finance.services.rules.category_rule_validate` (the Rules page's and the API's
    messages). The workspace is chosen when the rule is added and never changes."""

    amount_min = MoneyField(label="Amount from", required=False)
    amount_max = MoneyField(label="Amount up to", required=False)

    class Meta:
        model = CategoryRule
        fields = ["workspace", "field", "operator", "pattern", "amount_min", "amount_max", "category", "priority",
                  "is_active"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        workspace = self.instance.workspace if self.instance.pk is not None else cleaned.get("workspace")
        if workspace is None:
            return cleaned  # the workspace field has said why
        category_rule_form_check(self, workspace=workspace)
        return cleaned

    def _post_clean(self) -> None:
        """The service checks the whole rule (:meth:`clean`) and the admin writes through it
        (:meth:`CategoryRuleAdmin.save_model`); the model's own checks would repeat the
        amount range's with another message."""


@admin.register(CategoryRule)
class CategoryRuleAdmin(WorkspaceScopedAdmin):
    """Category rules, written through :mod:`finance.services.rules` as the Rules page and
    the API write them."""

    form = CategoryRuleAdminForm
    list_display = ["pattern", "field", "operator", "amount_min", "amount_max", "category", "priority", "is_active",
                    "workspace", "created_by", "created_at"]
    list_filter = ["is_active", "field", "operator", "workspace", "category"]
    search_fields = ["pattern", "category__name"]
    list_select_related = ["category", "workspace", "created_by"]
    date_hierarchy = "created_at"
    actions = ["apply_rules"]

    def get_readonly_fields(self, request: HttpRequest, obj: CategoryRule | None = None) -> list[str]:
        return ["workspace", "created_by", "created_at"] if obj is not None else ["created_by", "created_at"]

    def save_model(self, request: HttpRequest, obj: CategoryRule, form: forms.Form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data if name != "workspace"}
        if change:
            saved = category_rule_update(rule=obj, **fields)
        else:
            saved = category_rule_create(workspace=form.cleaned_data["workspace"], user=request.user, **fields)
        for field in CategoryRule._meta.concrete_fields:  # the admin logs and links the object it passed in
            setattr(obj, field.attname, getattr(saved, field.attname))

    def delete_model(self, request: HttpRequest, obj: CategoryRule) -> None:
        category_rule_delete(rule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for rule in queryset:
            category_rule_delete(rule=rule)

    @admin.action(description="Apply the active rules of these rules' workspaces to rows nobody categorised",
                  permissions=["change"])
    def apply_rules(self, request: HttpRequest, queryset: QuerySet) -> None:
        workspaces = Workspace.objects.filter(pk__in=queryset.values("workspace_id")).order_by("name")
        for workspace in workspaces:
            changed = category_rules_apply(workspace=workspace)
            messages.success(request, f"{workspace}: {changed} row{'s' if changed != 1 else ''} got a rule's category.")


@admin.register(Budget)
class BudgetAdmin(WorkspaceScopedAdmin):
    list_display = ["category", "amount", "period", "start_date", "end_date", "workspace"]
    list_filter = ["period", "workspace"]
    search_fields = ["category__name"]
    date_hierarchy = "start_date"
    list_select_related = ["category", "workspace"]


@admin.register(Goal)
class GoalAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "target_amount", "saved_amount", "deadline", "workspace"]
    list_filter = ["workspace"]
    search_fields = ["name"]
    date_hierarchy = "deadline"
    list_select_related = ["workspace"]


@admin.register(Supplier)
class SupplierAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "lead_time_mean_days", "lead_time_std_days", "min_order_quantity", "workspace"]
    list_filter = ["workspace"]
    search_fields = ["name", "email"]
    list_select_related = ["workspace"]


@admin.register(Product)
class ProductAdmin(WorkspaceScopedAdmin):
    list_display = ["sku", "name", "category", "unit_cost", "unit_price", "supplier", "shelf_life_days", "is_active",
                    "workspace"]
    list_filter = ["is_active", "category", "workspace"]
    search_fields = ["sku", "name"]
    list_select_related = ["supplier", "workspace"]


@admin.register(Warehouse)
class WarehouseAdmin(WorkspaceScopedAdmin):
    list_display = ["code", "name", "location", "capacity_units", "workspace"]
    list_filter = ["workspace"]
    search_fields = ["code", "name", "location"]
    list_select_related = ["workspace"]


@admin.register(StockLevel)
class StockLevelAdmin(WorkspaceScopedAdmin):
    list_display = ["product", "warehouse", "quantity", "updated_at", "workspace"]
    list_filter = ["warehouse", "workspace"]
    search_fields = ["product__sku", "product__name", "warehouse__code"]
    date_hierarchy = "updated_at"
    list_select_related = ["product", "warehouse", "workspace"]


@admin.register(Sale)
class SaleAdmin(CsvImportAdminMixin, WorkspaceScopedAdmin):
    list_display = ["date", "product", "warehouse", "quantity", "unit_price", "on_promotion", "workspace"]
    list_filter = ["on_promotion", "warehouse", "workspace"]
    search_fields = ["product__sku", "product__name"]
    date_hierarchy = "date"
    list_select_related = ["product", "warehouse", "workspace"]
    csv_importer = sale_import_csv
    csv_columns_help = (
        "Columns: date (YYYY-MM-DD), sku, warehouse (code), quantity (≥ 1) and optionally "
        "unit_price (defaults to the product's price)."
    )


# Accounts and transfers, purchase orders and receipts register their own admin
# (finance/accounts/admin.py, finance/purchasing/admin.py).
from finance.accounts import admin as _accounts_admin  # noqa: E402, F401
from finance.purchasing import admin as _purchasing_admin  # noqa: E402, F401
