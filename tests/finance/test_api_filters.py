"""The API's FilterSets (finance/api/filters.py) validate and apply only the filters a query
names: the same rows and the same 400s as django-filter's form of every filter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import django_filters
import pytest
from django import forms
from django.http import QueryDict

from finance.api.filters import FilterSet, TransactionFilter
from finance.models import Transaction
from tests import factories as f

URL = "/api/v1/transactions/"

pytestmark = pytest.mark.django_db


def full_form_result(filterset):
    """What django-filter's own FilterSet does: the form of every filter, validated, its
    cleaned data applied."""
    form = filterset.form
    if not form.is_valid():
        return dict(form.errors), None
    queryset = filterset.queryset.all()
    for name, value in form.cleaned_data.items():
        queryset = filterset.filters[name].filter(queryset, value)
    return {}, str(queryset.query)


@pytest.mark.parametrize("query", [
    "",
    "workspace={ws}",
    "workspace={ws}&kind=expense&date__gte=2025-01-01&date__lte=2025-12-31&amount__gte=5&amount__lte=1000.50",
    "uncategorised=true&is_flagged=false&merchant__icontains=shop&currency=USD&status=approved",
    "category={category}&category_source=model&source=manual&merchant=Corner+Shop&date=2025-03-14",
    "workspace={ws}&unknown=1&ordering=-date&search=x&page=2",
    "date__gte=2025-13-01",
    "amount__lte=abc&kind=gift",
    "workspace=999999",
    "category=x&is_flagged=maybe",
])
def test_named_filters_give_what_the_full_form_gives(workspace, query):
    # Given a query of the transactions list (valid, with other parameters, or with bad values)
    category = f.CategoryFactory(workspace=workspace)
    data = QueryDict(query.format(ws=workspace.pk, category=category.pk))
    # When the FilterSet validates and applies it, and django-filter's full form does
    ours = TransactionFilter(data, Transaction.objects.all())
    valid = ours.is_valid()
    theirs = full_form_result(TransactionFilter(data, Transaction.objects.all()))
    # Then the errors and the SQL are the same, and only the named filters were in the form
    assert (dict(ours.errors), str(ours.qs.query) if valid else None) == theirs
    assert set(ours.query_form.fields) == {key for key in data if key in ours.filters}


def test_bad_values_are_400_naming_the_filter(workspace, owner, client_for):
    response = client_for(owner).get(URL, {"workspace": workspace.pk, "date__gte": "2025-13-01", "kind": "gift",
                                           "amount__lte": "abc"})
    assert response.status_code == 400
    assert response.json() == {
        "date__gte": ["Enter a valid date."],
        "kind": ["Select a valid choice. gift is not one of the available choices."],
        "amount__lte": ["Enter a number."],
    }


def test_the_list_filters_by_what_the_query_names(workspace, owner, client_for):
    # Given rows of both kinds, dates and amounts
    keep = f.TransactionFactory(workspace=workspace, kind="expense", date=dt.date(2025, 6, 1), amount=Decimal("40"))
    f.TransactionFactory(workspace=workspace, kind="revenue", date=dt.date(2025, 6, 1), amount=Decimal("40"))
    f.TransactionFactory(workspace=workspace, kind="expense", date=dt.date(2024, 6, 1), amount=Decimal("40"))
    f.TransactionFactory(workspace=workspace, kind="expense", date=dt.date(2025, 6, 1), amount=Decimal("400"))
    # When the list is asked for this year's expenses up to 100
    response = client_for(owner).get(URL, {"workspace": workspace.pk, "kind": "expense", "date__gte": "2025-01-01",
                                           "amount__lte": "100"})
    # Then only that row is listed
    assert [row["id"] for row in response.json()["results"]] == [keep.pk]


def test_the_browsable_apis_form_still_has_every_filter():
    filterset = TransactionFilter(QueryDict("kind=expense"), Transaction.objects.none())
    assert list(filterset.form.fields) == list(TransactionFilter.base_filters)
    assert list(filterset.query_form.fields) == ["kind"]


class RequiredKindFilter(FilterSet):
    kind = django_filters.ChoiceFilter(choices=Transaction.Kind.choices, required=True)

    class Meta:
        model = Transaction
        fields = {"status": ["exact"]}


class CrossFieldForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == "pending" and not cleaned.get("kind"):
            raise forms.ValidationError("Name a kind with the pending status.")
        return cleaned


class CrossFieldFilter(FilterSet):
    class Meta:
        model = Transaction
        fields = {"kind": ["exact"], "status": ["exact"]}
        form = CrossFieldForm


def test_a_required_filter_is_checked_when_the_query_leaves_it_out():
    filterset = RequiredKindFilter(QueryDict("status=approved"), Transaction.objects.none())
    assert (filterset.is_valid(), dict(filterset.errors)) == (False, {"kind": ["This field is required."]})


def test_a_form_with_its_own_clean_validates_every_filter():
    filterset = CrossFieldFilter(QueryDict("status=pending"), Transaction.objects.none())
    assert filterset.query_form is filterset.form
    assert (filterset.is_valid(), dict(filterset.errors)) == (False, {"__all__": ["Name a kind with the pending status."]})
