"""The Budgets pages: list, one budget's months, add / edit / delete, and the same rules
through the API.

Each test reads given / when / then. Failure paths assert that nothing was written; the
query counts are pinned and shown not to grow with the number of budgets and rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance.models import Budget, Membership
from finance.selectors import BudgetMonth
from tests import factories as f
from tests.finance.test_pages import month_day, month_start

pytestmark = pytest.mark.django_db

LOGIN = reverse("finance:login")
LIST = reverse("finance:budgets")
CREATE = reverse("finance:budget-create")
NBSP = "\u00a0"


def detail_url(budget: Budget) -> str:
    return reverse("finance:budget-detail", args=[budget.pk])


def edit_url(budget: Budget) -> str:
    return reverse("finance:budget-edit", args=[budget.pk])


def delete_url(budget: Budget) -> str:
    return reverse("finance:budget-delete", args=[budget.pk])


@pytest.fixture
def euro(workspace):
    workspace.currency = "EUR"
    workspace.save(update_fields=["currency"])
    return workspace


@pytest.fixture
def groceries(workspace):
    return f.CategoryFactory(workspace=workspace, name="Groceries", kind="expense")


@pytest.fixture
def rent(workspace):
    return f.CategoryFactory(workspace=workspace, name="Rent", kind="expense")


@pytest.fixture
def sales(workspace):
    return f.CategoryFactory(workspace=workspace, name="Sales", kind="revenue")


@pytest.fixture
def theirs(other_workspace):
    return f.BudgetFactory(workspace=other_workspace, amount=Decimal("999.00"))


def payload(**overrides) -> dict:
    data = {"category": "", "amount": "400.00", "period": "monthly", "start_date": "2025-01-01", "end_date": ""}
    data.update(overrides)
    return data


def snapshot() -> list[tuple]:
    return list(Budget.objects.order_by("pk").values_list("pk", "category_id", "amount", "period", "start_date", "end_date"))


# --- who may see what --------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("url", [LIST, CREATE])
    def test_anonymous_is_sent_to_login(self, client, url):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={url}")

    @pytest.mark.parametrize("url_of", [detail_url, edit_url, delete_url])
    def test_anonymous_is_sent_to_login_from_object_pages(self, client, theirs, url_of):
        before = snapshot()
        response = client.post(url_of(theirs), payload(amount="1.00"))
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")
        assert snapshot() == before

    @pytest.mark.parametrize(("url_of", "method"), [
        (detail_url, "get"), (edit_url, "get"), (edit_url, "post"), (delete_url, "get"), (delete_url, "post"),
    ])
    def test_another_workspaces_budget_is_404_and_unchanged(self, logged_in, member, theirs, url_of, method):
        # Given a budget of a workspace the member does not belong to
        before = snapshot()
        # When they open or post its pages
        response = getattr(logged_in(member), method)(url_of(theirs), payload(amount="1.00"))
        # Then it does not exist for them, and nothing changed
        assert response.status_code == 404
        assert "999.00" not in response.content.decode()
        assert snapshot() == before

    def test_viewer_reads_but_sees_no_write_buttons(self, logged_in, viewer, workspace, groceries):
        budget = f.BudgetFactory(workspace=workspace, category=groceries)
        client = logged_in(viewer)
        for url in (LIST, detail_url(budget)):
            response = client.get(url)
            html = response.content.decode()
            assert response.status_code == 200
            assert "Groceries" in html
            assert (CREATE in html, edit_url(budget) in html, delete_url(budget) in html) == (False, False, False)

    @pytest.mark.parametrize("url_of", [lambda b: CREATE, edit_url, delete_url])
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_viewer_gets_403_and_nothing_changes(self, logged_in, viewer, workspace, groceries, url_of, method):
        budget = f.BudgetFactory(workspace=workspace, category=groceries)
        before = snapshot()
        response = getattr(logged_in(viewer), method)(url_of(budget), payload(category=groceries.pk, amount="5.00"))
        assert response.status_code == 403
        assert snapshot() == before

    def test_budget_of_another_own_workspace_switches_to_it(self, logged_in, member):
        second = f.WorkspaceFactory(name="Zeta Household", currency="GBP")
        f.MembershipFactory(workspace=second, user=member, role=Membership.Role.MEMBER)
        budget = f.BudgetFactory(workspace=second)
        response = logged_in(member).get(detail_url(budget))
        assert (response.status_code, response.context["workspace"]) == (200, second)

    def test_forms_are_csrf_protected(self, member, workspace, groceries):
        budget = f.BudgetFactory(workspace=workspace, category=groceries)
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        before = snapshot()
        for url in (CREATE, edit_url(budget), delete_url(budget)):
            assert client.post(url, payload(category=groceries.pk)).status_code == 403
        assert snapshot() == before


# --- the list and one budget ----------------------------------------------------------------------


@pytest.fixture
def books(euro, other_workspace, groceries, rent, sales):
    """Groceries: 400 a month for a year; Rent: 100 a week from last month; an ended budget.
    Rows that must not count: pending, revenue, another category, another workspace."""
    make = f.TransactionFactory
    make(workspace=euro, amount=Decimal("1100.00"), date=month_day(0, 2), category=groceries)
    make(workspace=euro, amount=Decimal("134.50"), date=month_day(0, 3), category=groceries)
    make(workspace=euro, amount=Decimal("250.00"), date=month_day(2), category=groceries)
    make(workspace=euro, amount=Decimal("300.00"), date=month_day(0), category=rent)
    make(workspace=euro, amount=Decimal("30.00"), date=month_day(0), category=groceries, status="pending")
    make(workspace=euro, kind="revenue", amount=Decimal("5000.00"), date=month_day(0), category=sales)
    make(workspace=other_workspace, amount=Decimal("7777.00"), date=month_day(0))
    make(workspace=euro, amount=Decimal("60.00"), date=month_day(13), category=groceries)  # before the window
    ended = f.CategoryFactory(workspace=euro, name="Old plan", kind="expense")
    return {
        "groceries": f.BudgetFactory(workspace=euro, category=groceries, amount=Decimal("400.00"), start_date=month_start(11)),
        "rent": f.BudgetFactory(workspace=euro, category=rent, amount=Decimal("100.00"), period="weekly", start_date=month_start(1)),
        "ended": f.BudgetFactory(workspace=euro, category=ended, amount=Decimal("50.00"), start_date=month_start(6),
                                 end_date=month_day(4, 28)),
    }


class TestList:
    def test_every_budget_with_this_months_use_in_the_workspace_currency(self, logged_in, member, books):
        # Given the books above, in euros
        # When a member opens the Budgets page
        response = logged_in(member).get(LIST)
        # Then each budget shows this month's limit and spending (approved expenses of its category)
        assert response.status_code == 200
        rows = {row.budget.category.name: row.current for row in response.context["rows"]}
        assert rows == {
            "Groceries": BudgetMonth(month=month_start(0), limit=Decimal("400.00"), spent=Decimal("1234.50"), is_partial=True),
            "Old plan": BudgetMonth(month=month_start(0), limit=None, spent=Decimal("0.00"), is_partial=True),
            "Rent": BudgetMonth(month=month_start(0), limit=Decimal("433.33"), spent=Decimal("300.00"), is_partial=True),
        }
        # And every amount carries the currency, thousands grouped
        html = response.content.decode()
        assert f'data-spent>1,234.50{NBSP}EUR</td>' in html
        assert f'data-stat="limit">833.33{NBSP}EUR</p>' in html
        assert f'data-stat="spent">1,534.50{NBSP}EUR</p>' in html
        assert f'data-stat="left">-701.17{NBSP}EUR</p>' in html
        assert "309&nbsp;%" in html and "not running this month" in html
        assert html.count("month to date") >= 2

    def test_chart_of_all_budgets_over_twelve_months_with_this_month_partial(self, logged_in, member, books):
        response = logged_in(member).get(LIST)
        chart = response.context["chart"]
        assert chart["currency"] == "EUR"
        assert chart["labels"] == [month_start(back).strftime("%b %Y") for back in range(11, -1, -1)]
        assert chart["partial"] == [False] * 11 + [True]
        assert chart["partialLabel"] == "month to date"
        # Groceries all year, the ended budget for months 6..4 back, Rent from last month
        assert chart["limit"] == [400.0] * 5 + [450.0] * 3 + [400.0] * 2 + [833.33] * 2
        assert chart["spent"] == [0.0] * 9 + [250.0, 0.0, 1534.5]
        html = response.content.decode()
        assert '<canvas id="budget-chart" data-budget-chart="budget-chart-data"' in html
        assert '<script id="budget-chart-data" type="application/json">' in html
        assert "vendor/chartjs/chart.umd.min.js" in html and "js/planning.js" in html

    def test_empty_state(self, logged_in, member):
        response = logged_in(member).get(LIST)
        assert response.context["rows"] == []
        assert "No budgets yet." in response.content.decode()

    def test_navigation_marks_the_page(self, logged_in, member):
        html = logged_in(member).get(LIST).content.decode()
        assert f'<a href="{LIST}" aria-current="page">Budgets</a>' in html
        assert f'<a href="{reverse("finance:goals")}">Goals</a>' in html


class TestDetail:
    def test_one_budgets_twelve_months(self, logged_in, member, books):
        response = logged_in(member).get(detail_url(books["rent"]))
        assert response.status_code == 200
        months = response.context["months"]
        assert [m.month for m in months] == [month_start(back) for back in range(11, -1, -1)]
        assert [m.limit for m in months] == [None] * 10 + [Decimal("433.33")] * 2
        assert months[-1] == BudgetMonth(month=month_start(0), limit=Decimal("433.33"), spent=Decimal("300.00"), is_partial=True)
        html = response.content.decode()
        assert f"100.00{NBSP}EUR weekly (≈ 433.33{NBSP}EUR a month)" in html
        assert f'data-stat="left">133.33{NBSP}EUR</p>' in html
        assert html.count('data-partial="true"') == 1
        assert response.context["chart"]["limit"] == [None] * 10 + [433.33, 433.33]


# --- add, edit, delete ----------------------------------------------------------------------------


class TestCreate:
    def test_form_offers_only_this_workspaces_expense_categories(self, logged_in, member, groceries, sales, other_workspace):
        f.CategoryFactory(workspace=other_workspace, name="Their costs")
        response = logged_in(member).get(CREATE)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in html
        assert [c.name for c in response.context["form"].fields["category"].queryset] == ["Groceries"]
        assert response.context["form"].initial["start_date"] == month_start(0)
        assert 'inputmode="decimal"' in html and 'type="number"' not in html

    def test_member_adds_a_budget_typed_with_thousands_separators(self, logged_in, member, euro, groceries):
        # Given a member of a workspace in euros
        client = logged_in(member)
        # When they add a budget of "1,234.50" a month
        response = client.post(CREATE, payload(category=groceries.pk, amount="1,234.50", end_date="2025-12-31"))
        # Then it is saved and they land on its page, told so
        budget = Budget.objects.get()
        assert (response.status_code, response["Location"]) == (302, detail_url(budget))
        assert (budget.workspace, budget.category, budget.amount, budget.period, budget.start_date, budget.end_date) == (
            euro, groceries, Decimal("1234.50"), "monthly", dt.date(2025, 1, 1), dt.date(2025, 12, 31),
        )
        page = client.get(response["Location"])
        assert [str(m) for m in page.context["messages"]] == ["Added the Groceries budget."]

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"amount": "0"}, "amount", "The limit must be greater than zero."),
            ({"amount": "-5"}, "amount", "The limit must be greater than zero."),
            ({"amount": "lots"}, "amount", "Enter the amount as a number, e.g. 12.50."),
            ({"amount": "1,23,4"}, "amount", "Enter the amount as a number, e.g. 12.50."),
            ({"amount": "12.345"}, "amount", "Ensure that there are no more than 2 decimal places."),
            ({"amount": ""}, "amount", "This field is required."),
            ({"period": "daily"}, "period", "Select a valid choice. daily is not one of the available choices."),
            ({"start_date": "2025-02-30"}, "start_date", "Enter a valid date (YYYY-MM-DD)."),
            ({"end_date": "2024-12-31"}, "end_date", "The end date is before the start date."),
            ({"category": ""}, "category", "This field is required."),
        ],
    )
    def test_invalid_input_shows_the_message_and_saves_nothing(self, logged_in, member, groceries, overrides, field, message):
        response = logged_in(member).post(CREATE, payload(**{"category": groceries.pk, **overrides}))
        assert response.status_code == 200
        assert response.context["form"].errors == {field: [message]}
        assert message in response.content.decode().replace("&#x27;", "'")
        assert "Nothing was saved." in response.content.decode()
        assert Budget.objects.count() == 0

    @pytest.mark.parametrize("which", ["revenue", "other workspace"])
    def test_category_must_be_an_expense_category_of_this_workspace(self, logged_in, member, sales, other_workspace, which):
        category = sales if which == "revenue" else f.CategoryFactory(workspace=other_workspace, kind="expense")
        response = logged_in(member).post(CREATE, payload(category=category.pk))
        assert response.context["form"].errors == {"category": ["Choose an expense category of this workspace."]}
        assert Budget.objects.count() == 0

    def test_a_second_budget_for_the_same_dates_is_refused(self, logged_in, member, workspace, groceries):
        f.BudgetFactory(workspace=workspace, category=groceries, start_date=dt.date(2025, 1, 1))
        before = snapshot()
        response = logged_in(member).post(CREATE, payload(category=groceries.pk, start_date="2025-06-01"))
        assert response.context["form"].errors == {"category": [
            "“Groceries” already has a budget for these dates (from 2025-01-01, no end date). "
            "End that one first or choose other dates."
        ]}
        assert snapshot() == before

    def test_a_budget_after_the_previous_one_ends_is_fine(self, logged_in, member, workspace, groceries):
        f.BudgetFactory(workspace=workspace, category=groceries, start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 12, 31))
        response = logged_in(member).post(CREATE, payload(category=groceries.pk, start_date="2025-01-01"))
        assert response.status_code == 302
        assert Budget.objects.count() == 2


class TestEditDelete:
    @pytest.fixture
    def mine(self, workspace, groceries):
        return f.BudgetFactory(workspace=workspace, category=groceries, amount=Decimal("400.00"), start_date=dt.date(2025, 1, 1))

    def test_edit_form_shows_the_budget(self, logged_in, member, mine):
        response = logged_in(member).get(edit_url(mine))
        html = response.content.decode()
        assert response.status_code == 200
        assert 'value="400.00"' in html and 'value="2025-01-01"' in html

    def test_member_edits_a_budget(self, logged_in, member, mine, rent):
        client = logged_in(member)
        response = client.post(edit_url(mine), payload(category=rent.pk, amount="1 234,50", period="yearly"))
        assert (response.status_code, response["Location"]) == (302, detail_url(mine))
        mine.refresh_from_db()
        assert (mine.category, mine.amount, mine.period) == (rent, Decimal("1234.50"), "yearly")
        assert [str(m) for m in client.get(detail_url(mine)).context["messages"]] == ["Saved the Rent budget."]

    def test_invalid_edit_changes_nothing(self, logged_in, member, mine):
        before = snapshot()
        response = logged_in(member).post(edit_url(mine), payload(category=mine.category_id, amount="0"))
        assert response.context["form"].errors == {"amount": ["The limit must be greater than zero."]}
        assert snapshot() == before

    def test_delete_asks_then_deletes(self, logged_in, member, mine):
        client = logged_in(member)
        confirm = client.get(delete_url(mine))
        assert confirm.status_code == 200
        assert "Delete the Groceries budget?" in confirm.content.decode()
        assert Budget.objects.filter(pk=mine.pk).exists()
        response = client.post(delete_url(mine))
        assert (response.status_code, response["Location"]) == (302, LIST)
        assert not Budget.objects.filter(pk=mine.pk).exists()
        assert mine.category.__class__.objects.filter(pk=mine.category_id).exists()  # the category stays
        assert [str(m) for m in client.get(LIST).context["messages"]] == ["Deleted the Groceries budget."]


# --- the API keeps the same rules, with the same messages -------------------------------------------


class TestApiSameRules:
    def test_end_before_start(self, client_for, member, workspace, groceries):
        response = client_for(member).post("/api/v1/budgets/", {
            "workspace": workspace.pk, "category": groceries.pk, "amount": "10.00", "period": "monthly",
            "start_date": "2025-02-01", "end_date": "2025-01-31",
        }, format="json")
        assert (response.status_code, response.json()) == (400, {"end_date": ["The end date is before the start date."]})
        assert Budget.objects.count() == 0

    @pytest.mark.parametrize(("amount", "category", "errors"), [
        ("0", "groceries", {"amount": ["The limit must be greater than zero."]}),
        ("10.00", "sales", {"category": ["Budgets are for expense categories."]}),
    ])
    def test_zero_limit_and_revenue_category(self, client_for, member, workspace, request, amount, category, errors):
        response = client_for(member).post("/api/v1/budgets/", {
            "workspace": workspace.pk, "category": request.getfixturevalue(category).pk, "amount": amount,
            "period": "monthly", "start_date": "2025-02-01",
        }, format="json")
        assert (response.status_code, response.json()) == (400, errors)
        assert Budget.objects.count() == 0

    def test_overlap_on_update(self, client_for, member, workspace, groceries, rent):
        f.BudgetFactory(workspace=workspace, category=groceries, start_date=dt.date(2025, 1, 1))
        other = f.BudgetFactory(workspace=workspace, category=rent, start_date=dt.date(2025, 1, 1))
        before = snapshot()
        response = client_for(member).patch(f"/api/v1/budgets/{other.pk}/", {"category": groceries.pk}, format="json")
        assert response.status_code == 400
        assert response.json() == {"category": [
            "“Groceries” already has a budget for these dates (from 2025-01-01, no end date). "
            "End that one first or choose other dates."
        ]}
        assert snapshot() == before


# --- reads only, and a fixed number of queries ------------------------------------------------------


def test_the_pages_write_nothing_while_rendering(logged_in, member, books):
    client = logged_in(member)
    client.get(LIST)
    budget = books["groceries"]
    for url in (LIST, CREATE, detail_url(budget), edit_url(budget), delete_url(budget)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert (url, writes) == (url, [])


# Every page: session (1) + user (1) + the user's memberships with workspaces (1), then
#   list    budgets with categories (1) + approved expenses per category and month (1)
#           + the recurring bills (1) + the deployed forecasters for the risk column (1) = 7
#   detail  the budget with its category (1) + its category's expenses per month (1)   = 5


@pytest.mark.parametrize(("budgets", "transactions"), [(2, 20), (8, 120)])
class TestQueryCounts:
    @pytest.fixture
    def client(self, logged_in, member, workspace, budgets, transactions):
        categories = [f.CategoryFactory(workspace=workspace, name=f"Cost {n}") for n in range(budgets)]
        for n, category in enumerate(categories):
            f.BudgetFactory(workspace=workspace, category=category, start_date=month_start(11),
                            period=["weekly", "monthly", "yearly"][n % 3])
        for i in range(transactions):
            f.TransactionFactory(workspace=workspace, category=categories[i % budgets], amount=Decimal(10 + i),
                                 date=month_day(i % 12, 1 + i % 27))
        return logged_in(member)

    def test_list(self, client, django_assert_num_queries, budgets):
        with django_assert_num_queries(7):
            response = client.get(LIST)
        assert len(response.context["rows"]) == budgets

    def test_detail(self, client, django_assert_num_queries, workspace):
        budget = Budget.objects.filter(workspace=workspace).first()
        with django_assert_num_queries(5):
            response = client.get(detail_url(budget))
        assert len(response.context["months"]) == 12
