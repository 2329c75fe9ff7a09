"""The transactions list, the API's hot read (benchmarks/load): a fixed number of queries
whatever the rows, and rows rendered by :class:`~finance.api.kit.RowListSerializer`
exactly as DRF's own field-by-field path renders them (the detail endpoint)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import serializers

from finance.api.kit import RowListSerializer
from finance.api.serializers import TransactionSerializer
from finance.models import Transaction
from tests import factories as f

URL = "/api/v1/transactions/"

pytestmark = pytest.mark.django_db


def _varied_rows(workspace) -> list[Transaction]:
    """Rows that exercise every field's conversions: with and without a category, scores
    and flags set and unset, both kinds, amounts with and without cents."""
    category = f.CategoryFactory(workspace=workspace, name="Supplies")
    return [
        f.TransactionFactory(workspace=workspace, category=category, amount=Decimal("1234.50"),
                             category_source=Transaction.CategorySource.MODEL, category_confidence=0.8125,
                             anomaly_score=-0.25, fraud_score=0.03, is_flagged=True),
        f.TransactionFactory(workspace=workspace, kind=Transaction.Kind.REVENUE, amount=Decimal("7"),
                             date=dt.date(2024, 12, 31), merchant="", account_label="Checking"),
        f.TransactionFactory(workspace=workspace, amount=Decimal("0.01"), description="Café ☕ «x»"),
    ]


class TestQueries:
    def test_a_page_runs_two_queries_whatever_the_rows(self, workspace, owner, client_for,
                                                        django_assert_num_queries):
        """Given a workspace's rows, when its page is listed, then two queries run (the
        count, the page; the workspace filter looks nothing up) — also with 40 more rows in
        5 more categories (no query per row or per category)."""
        client = client_for(owner)
        _varied_rows(workspace)
        with django_assert_num_queries(2):
            assert client.get(URL, {"workspace": workspace.pk}).json()["count"] == 3
        for i in range(5):
            f.TransactionFactory.create_batch(8, workspace=workspace,
                                              category=f.CategoryFactory(workspace=workspace, name=f"C{i}"))
        with django_assert_num_queries(2):
            body = client.get(URL, {"workspace": workspace.pk}).json()
        assert (body["count"], len(body["results"])) == (43, 43)

    def test_the_page_query_joins_nothing(self, workspace, owner, client_for, django_assert_num_queries):
        """Given rows with a category, when listed, the page's query reads the transactions
        table alone (the category is shown by id)."""
        _varied_rows(workspace)
        with django_assert_num_queries(2) as queries:
            client_for(owner).get(URL)
        assert "JOIN" not in queries.captured_queries[-1]["sql"].upper()


class TestRowsAsDrfRendersThem:
    def test_each_listed_row_is_the_detail_endpoints_answer(self, workspace, owner, client_for):
        """Given varied rows, when listed, then every row is exactly what the detail endpoint
        (DRF's generic path) answers for it."""
        client = client_for(owner)
        rows = _varied_rows(workspace)
        listed = client.get(URL, {"workspace": workspace.pk}).json()["results"]
        assert [row["id"] for row in listed] == sorted((r.pk for r in rows), key=lambda pk: (
            -Transaction.objects.get(pk=pk).date.toordinal(), -pk))
        for row in listed:
            assert row == client.get(f"{URL}{row['id']}/").json()

    @pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
    def test_datetimes_in_the_current_time_zone(self, zone, workspace, settings):
        """Given a time zone, when rows are rendered as a list, then their datetimes are
        what DRF renders for one row (offset, or Z for UTC)."""
        settings.TIME_ZONE = zone
        rows = _varied_rows(workspace)
        Transaction.objects.filter(pk=rows[0].pk).update(
            created_at=dt.datetime(2025, 6, 30, 23, 30, 15, 123456, tzinfo=dt.UTC))
        rows = list(Transaction.objects.filter(workspace=workspace).order_by("pk"))
        listed = TransactionSerializer(rows, many=True).data
        assert isinstance(TransactionSerializer(many=True), RowListSerializer)
        assert list(listed) == [TransactionSerializer(row).data for row in rows]
        expected = timezone.localtime(rows[0].created_at).isoformat().replace("+00:00", "Z")
        assert listed[0]["created_at"] == expected

    def test_fields_it_cannot_read_directly_go_drfs_way(self, workspace):
        """Given a serializer with a dotted source, a method field, a nested serializer, a
        datetime with its own format and a writable relation shown by another field, when
        it renders a list through RowListSerializer, then each row is DRF's own answer."""

        class CategoryBrief(serializers.ModelSerializer):
            class Meta:
                model = f.CategoryFactory._meta.model
                fields = ["id", "name"]

        class Probe(serializers.ModelSerializer):
            category_name = serializers.CharField(source="category.name", default=None)
            label = serializers.SerializerMethodField()
            nested = CategoryBrief(source="category", read_only=True)
            stamp = serializers.DateTimeField(source="created_at", format="%Y-%m-%d")
            by_name = serializers.SlugRelatedField(source="category", slug_field="name", read_only=True)

            class Meta:
                model = Transaction
                fields = ["id", "amount", "category", "category_name", "label", "nested", "stamp", "by_name"]
                list_serializer_class = RowListSerializer

            def get_label(self, obj: Transaction) -> str:
                return f"{obj.kind}:{obj.amount}"

        rows = list(Transaction.objects.filter(pk__in=[r.pk for r in _varied_rows(workspace)]).order_by("pk"))
        assert list(Probe(rows, many=True).data) == [Probe(row).data for row in rows]
        assert Probe(rows, many=True).data[1]["category_name"] is None


class TestWorkspaceFilter:
    """The ``workspace`` filter reads the id without looking it up; an id that names no
    workspace is still a 400, asked only when the list comes out empty."""

    def test_an_unknown_workspace_is_a_400_naming_it(self, workspace, owner, client_for,
                                                     django_assert_num_queries):
        # given a member, and a workspace id that exists nowhere
        unknown = workspace.pk + 1000
        # when the list is filtered by it
        with django_assert_num_queries(2):  # the count (0: no page to read), then whether the workspace exists
            response = client_for(owner).get(URL, {"workspace": unknown})
        # then it is refused naming the filter, as a lookup would have
        assert response.status_code == 400
        assert response.json() == {
            "workspace": ["Select a valid choice. That choice is not one of the available choices."]}

    @pytest.mark.parametrize("value", ["abc", "-1", "1.5", "１", "9" * 19])
    def test_an_id_that_is_not_a_whole_number_is_a_400(self, value, workspace, owner, client_for):
        response = client_for(owner).get(URL, {"workspace": value})
        assert response.status_code == 400
        assert response.json() == {
            "workspace": ["Select a valid choice. That choice is not one of the available choices."]}

    def test_an_empty_list_of_an_existing_workspace_is_a_200(self, workspace, owner, client_for):
        # given my workspace without rows: when listed, then an empty page, not an error
        response = client_for(owner).get(URL, {"workspace": workspace.pk})
        assert (response.status_code, response.json()["count"], response.json()["results"]) == (200, 0, [])

    def test_the_budgets_list_and_invitations_list_check_the_same_way(self, workspace, owner, client_for):
        unknown = workspace.pk + 1000
        for url in ("/api/v1/budgets/", "/api/v1/invitations/"):
            response = client_for(owner).get(url, {"workspace": unknown})
            assert (url, response.status_code) == (url, 400)
            assert list(response.json()) == ["workspace"]
