"""The financial analyses, mounted at ``/api/v1/financial/``."""

from django.urls import path

from coaching.api import financial

urlpatterns = [
    path("spending-patterns/", financial.SpendingPatternsView.as_view(), name="financial-spending-patterns"),
    path("category-preferences/", financial.CategoryPreferencesView.as_view(),
         name="financial-category-preferences"),
    path("financial-personality/", financial.FinancialPersonalityView.as_view(),
         name="financial-financial-personality"),
]
