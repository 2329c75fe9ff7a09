"""django-filter FilterSets of the books' API: one per model."""

import django_filters as filters

from finance.models import (
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


class WorkspaceFilter(filters.FilterSet):
    class Meta:
        model = Workspace
        fields = {"kind": ["exact"], "name": ["icontains"]}


class MembershipFilter(filters.FilterSet):
    class Meta:
        model = Membership
        fields = {"workspace": ["exact"], "role": ["exact"], "user": ["exact"]}


class InvitationFilter(filters.FilterSet):
    class Meta:
        model = Invitation
        fields = {"workspace": ["exact"], "role": ["exact"]}


class CategoryFilter(filters.FilterSet):
    class Meta:
        model = Category
        fields = {"workspace": ["exact"], "kind": ["exact"], "name": ["exact", "icontains"]}


class TransactionFilter(filters.FilterSet):
    uncategorised = filters.BooleanFilter(field_name="category", lookup_expr="isnull")

    class Meta:
        model = Transaction
        fields = {
            "workspace": ["exact"],
            "kind": ["exact"],
            "status": ["exact"],
            "source": ["exact"],
            "category": ["exact"],
            "category_source": ["exact"],
            "is_flagged": ["exact"],
            "date": ["exact", "gte", "lte"],
            "amount": ["gte", "lte"],
            "merchant": ["exact", "icontains"],
            "currency": ["exact"],
        }


class BudgetFilter(filters.FilterSet):
    class Meta:
        model = Budget
        fields = {"workspace": ["exact"], "category": ["exact"], "period": ["exact"]}


class GoalFilter(filters.FilterSet):
    class Meta:
        model = Goal
        fields = {"workspace": ["exact"], "deadline": ["gte", "lte"]}


class SupplierFilter(filters.FilterSet):
    class Meta:
        model = Supplier
        fields = {"workspace": ["exact"], "name": ["icontains"]}


class ProductFilter(filters.FilterSet):
    class Meta:
        model = Product
        fields = {
            "workspace": ["exact"], "sku": ["exact"], "category": ["exact"],
            "supplier": ["exact"], "is_active": ["exact"],
        }


class WarehouseFilter(filters.FilterSet):
    class Meta:
        model = Warehouse
        fields = {"workspace": ["exact"], "code": ["exact"]}


class StockLevelFilter(filters.FilterSet):
    class Meta:
        model = StockLevel
        fields = {
            "workspace": ["exact"], "product": ["exact"], "warehouse": ["exact"],
            "quantity": ["lte", "gte"],
        }


class SaleFilter(filters.FilterSet):
    class Meta:
        model = Sale
        fields = {
            "workspace": ["exact"], "product": ["exact"], "warehouse": ["exact"],
            "date": ["exact", "gte", "lte"],
        }
