"""Query filters shared by the apps' FilterSets.

An instant in a query is compared in UTC: ISO 8601 allows offsets to ±23:59, PostgreSQL
only to ±15:59 (it answered such a filter with a 500); an instant that is past year 9999
once in UTC is invalid (400)."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django_filters.fields import IsoDateTimeField


class _InUtc:
    def to_python(self, value):  # noqa: ANN001, ANN201 - Django's signature
        instant = super().to_python(value)
        if instant is None:
            return None
        try:
            return instant.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(f"{value} is out of range.", code="invalid") from None


class UtcDateTimeField(_InUtc, forms.DateTimeField):
    pass


class UtcIsoDateTimeField(_InUtc, IsoDateTimeField):
    pass


class UtcDateTimeFilter(filters.DateTimeFilter):
    field_class = UtcDateTimeField


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


#: ``Meta.filter_overrides`` of a FilterSet whose generated filters include datetimes.
UTC_DATETIME_OVERRIDES = {models.DateTimeField: {"filter_class": UtcDateTimeFilter}}
