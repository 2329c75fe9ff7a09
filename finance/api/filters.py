"""django-filter FilterSets of the books' API: one per model."""

from typing import Any, ClassVar

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.template import loader
from django.utils import translation
from django_filters.fields import ModelChoiceField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError as DRFValidationError

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
from finance.selectors import workspace_scoped_queryset


def is_workspace_owned(model: type[models.Model]) -> bool:
    """A workspace, or a model whose rows belong to one."""
    return model is Workspace or any(f.name == "workspace" for f in model._meta.fields)


class WorkspaceScopedFilterBackend(DjangoFilterBackend):
    """django-filter's backend, whose filter dialog in the browsable API lists only the
    user's workspaces and their rows: a related filter's choices (``workspace``, ``category``,
    ``product`` …) are every row of the table, so the dialog showed other workspaces' names
    to any member. Filtering itself never used the choices to widen anything; only the
    rendered options change, and only when the HTML dialog is drawn (not on the JSON path)."""

    def to_html(self, request, queryset, view):  # noqa: ANN001, ANN201 - django-filter's signature
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for field in filterset.form.fields.values():
            choices = getattr(field, "queryset", None)
            if choices is not None and is_workspace_owned(choices.model):
                field.queryset = workspace_scoped_queryset(model=choices.model, user=request.user)
        return loader.get_template(self.template).render({"filter": filterset}, request)


class WorkspaceIdField(ModelChoiceField):
    """The ``workspace`` filter's field: the id as a whole number, not looked up. The
    lookup (``SELECT … FROM workspace WHERE id = …``) was a database round trip of every
    list request — one of the transactions list's four (benchmarks/load). Rows are filtered
    by the id on the user's already scoped rows, and a list that comes out empty asks then
    whether the workspace exists (:func:`workspace_filter_verify`): an unknown id is still the
    400 of a ModelChoiceField, another workspace's still an empty list."""

    def to_python(self, value: object) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return int(text)


class WorkspaceChoiceFilter(filters.ModelChoiceFilter):
    field_class = WorkspaceIdField


def workspace_filter_verify(filterset_class: type[filters.FilterSet] | None, value: str | None) -> None:
    """Raise the ``workspace`` filter's 400 when its id (already a valid whole number) names
    no workspace. Asked for a list that came out empty, the only answer an unknown id
    changes."""
    workspace_filter = getattr(filterset_class, "base_filters", {}).get("workspace")
    if not isinstance(workspace_filter, WorkspaceChoiceFilter) or not value:
        return
    if not Workspace.objects.filter(pk=int(value)).exists():
        raise DRFValidationError({"workspace": [WorkspaceIdField.default_error_messages["invalid_choice"]]})


def _form_of_named_fields(form_class: type[forms.Form], *, data: Any, prefix: str | None) -> forms.Form:
    """A bound ``form_class`` with only the fields ``data`` names (by the fields' own widgets'
    reading of the data) and the required ones: Django deep-copies and cleans only those."""

    def named(name: str, field: forms.Field) -> bool:
        return field.required or not field.widget.value_omitted_from_data(data, {}, f"{prefix}-{name}" if prefix else name)

    form = form_class.__new__(form_class)
    form.base_fields = {name: field for name, field in form_class.base_fields.items() if named(name, field)}
    form.__init__(data, prefix=prefix)
    return form


class FilterSet(filters.FilterSet):
    """django-filter's FilterSet with less work per request (benchmarks/api/bench_filterset.py):

    * its form class is built once per class (and language) instead of on every request,
      where it makes a form field with its translated label for every filter: 1.4 ms of CPU
      per transactions list request, 0.6 ms with the class kept (benchmarks/load). A filter
      whose queryset depends on the request (a callable) turns the caching off for its class;
    * the query is validated and applied by a form of the filters it names
      (:attr:`query_form`), not of all of them: Django deep-copies and cleans each field of a
      form, and a filter the query does not name is empty, so it neither fails nor filters.
      A bad value of a named filter is refused with the same message (a 400 naming it). A
      form class with its own ``clean`` (which may look at every field) keeps the full form.
      :attr:`form`, every filter's, stays what the browsable API's filter dialog shows.
    """

    _form_classes: ClassVar[dict[tuple[type, str | None], type]] = {}

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):  # noqa: ANN001, ANN206 - django-filter's signature
        if field_name == "workspace" and lookup_expr in (None, "exact"):
            return WorkspaceChoiceFilter(field_name=field_name, lookup_expr="exact", queryset=Workspace.objects.all())
        return super().filter_for_field(field, field_name, lookup_expr)

    def get_form_class(self) -> type:
        key = (type(self), translation.get_language())
        form_class = self._form_classes.get(key)
        if form_class is None:
            form_class = super().get_form_class()
            if not any(callable(getattr(f, "queryset", None)) for f in self.filters.values()):
                self._form_classes[key] = form_class
        return form_class

    @property
    def query_form(self) -> forms.Form:
        """The form that validates the query and whose cleaned data filters the rows."""
        if not hasattr(self, "_query_form"):
            form_class = self.get_form_class()
            self._query_form = (
                _form_of_named_fields(form_class, data=self.data, prefix=self.form_prefix)
                if self.is_bound and form_class.clean is forms.Form.clean else self.form
            )
        return self._query_form

    def is_valid(self) -> bool:
        return self.is_bound and self.query_form.is_valid()

    @property
    def errors(self) -> Any:
        return self.query_form.errors

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        for name, value in self.query_form.cleaned_data.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset


class WorkspaceFilter(FilterSet):
    class Meta:
        model = Workspace
        fields = {"kind": ["exact"], "name": ["icontains"]}


class MembershipFilter(FilterSet):
    class Meta:
        model = Membership
        fields = {"workspace": ["exact"], "role": ["exact"], "user": ["exact"]}


class InvitationFilter(FilterSet):
    class Meta:
        model = Invitation
        fields = {"workspace": ["exact"], "role": ["exact"]}


class CategoryFilter(FilterSet):
    class Meta:
        model = Category
        fields = {"workspace": ["exact"], "kind": ["exact"], "name": ["exact", "icontains"]}


class TransactionFilter(FilterSet):
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
            "account": ["exact"],
        }


class BudgetFilter(FilterSet):
    class Meta:
        model = Budget
        fields = {"workspace": ["exact"], "category": ["exact"], "period": ["exact"]}


class GoalFilter(FilterSet):
    class Meta:
        model = Goal
        fields = {"workspace": ["exact"], "deadline": ["gte", "lte"]}


class SupplierFilter(FilterSet):
    class Meta:
        model = Supplier
        fields = {"workspace": ["exact"], "name": ["icontains"]}


class ProductFilter(FilterSet):
    class Meta:
        model = Product
        fields = {
            "workspace": ["exact"], "sku": ["exact"], "category": ["exact"],
            "supplier": ["exact"], "is_active": ["exact"],
        }


class WarehouseFilter(FilterSet):
    class Meta:
        model = Warehouse
        fields = {"workspace": ["exact"], "code": ["exact"]}


class StockLevelFilter(FilterSet):
    class Meta:
        model = StockLevel
        fields = {
            "workspace": ["exact"], "product": ["exact"], "warehouse": ["exact"],
            "quantity": ["lte", "gte"],
        }


class SaleFilter(FilterSet):
    class Meta:
        model = Sale
        fields = {
            "workspace": ["exact"], "product": ["exact"], "warehouse": ["exact"],
            "date": ["exact", "gte", "lte"],
        }
