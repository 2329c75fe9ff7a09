"""The server-rendered pages: sign-in, workspace switcher, overview, transactions, inventory.

Each test reads given / when / then. Failure paths assert that nothing changed, and the
dashboards' query counts are pinned and shown not to grow with the number of rows.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finance.models import Membership, Transaction
from finance.selectors import MonthTotals
from finance.views.base import SESSION_KEY
from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = reverse("finance:login")
OVERVIEW = reverse("finance:overview")
TRANSACTIONS = reverse("finance:transactions")
CREATE = reverse("finance:transaction-create")
IMPORT = reverse("finance:transaction-import")
INVENTORY = reverse("finance:inventory")
SWITCH = reverse("finance:workspace-switch")


def edit_url(transaction: Transaction) -> str:
    return reverse("finance:transaction-edit", args=[transaction.pk])


def delete_url(transaction: Transaction) -> str:
    return reverse("finance:transaction-delete", args=[transaction.pk])


def month_day(months_back: int, day: int = 10) -> dt.date:
    """A day in the month ``months_back`` months before the current one."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, day)


def month_start(months_back: int) -> dt.date:
    return month_day(months_back, 1)


@pytest.fixture
def groceries(workspace):
    return f.CategoryFactory(workspace=workspace, name="Groceries", kind="expense")


@pytest.fixture
def sales_category(workspace):
    return f.CategoryFactory(workspace=workspace, name="Sales", kind="revenue")


@pytest.fixture
def their_transaction(other_workspace):
    return f.TransactionFactory(
        workspace=other_workspace, amount=Decimal("99.00"), description="Their secret purchase"
    )


def valid_payload(**overrides) -> dict:
    payload = {
        "kind": "expense",
        "amount": "19.99",
        "date": "2025-04-01",
        "category": "",
        "description": "COSTCO WHSE #0113",
        "merchant": "Costco",
        "account": "",
        "status": "approved",
    }
    payload.update(overrides)
    return payload


def csv_upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("import.csv", text.encode(), content_type="text/csv")


def snapshot(transaction: Transaction) -> tuple:
    transaction.refresh_from_db()
    return (transaction.amount, transaction.description, transaction.date, transaction.category_id)


# --- sign-in, sign-out and scoping of every page ------------------------------------------


PAGES = ["overview", "transactions", "transaction-create", "transaction-import", "inventory"]


class TestLoginRequired:
    @pytest.mark.parametrize("name", PAGES)
    def test_anonymous_user_is_sent_to_login(self, client, name):
        # Given an anonymous visitor
        url = reverse(f"finance:{name}")
        # When they open a page
        response = client.get(url)
        # Then they are redirected to the login page, coming back afterwards
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={url}"

    @pytest.mark.parametrize("url_of", [edit_url, delete_url])
    def test_anonymous_user_is_sent_to_login_from_object_pages(self, client, their_transaction, url_of):
        response = client.post(url_of(their_transaction), valid_payload())
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")
        assert Transaction.objects.count() == 1

    def test_anonymous_cannot_switch_workspace(self, client, workspace):
        response = client.post(SWITCH, {"workspace": workspace.pk})
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")

    def test_user_without_workspace_sees_empty_state(self, logged_in):
        # Given a user who belongs to no workspace
        client = logged_in(f.UserFactory())
        # When they open the overview
        response = client.get(OVERVIEW)
        # Then they are told so instead of seeing anyone's books
        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == "finance/no_workspace.html"
        assert "You are not a member of any workspace." in response.content.decode()


class TestLogin:
    def test_login_page_renders_with_csrf_token(self, client):
        response = client.get(LOGIN)
        assert response.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in response.content.decode()
        assert response.templates[0].name == "registration/login.html"

    def test_good_credentials_go_to_overview(self, client, member):
        response = client.post(LOGIN, {"username": member.username, "password": "pass-1234"})
        assert response.status_code == 302
        assert response["Location"] == OVERVIEW
        assert client.get(OVERVIEW).status_code == 200

    def test_good_credentials_follow_next(self, client, member):
        response = client.post(
            LOGIN, {"username": member.username, "password": "pass-1234", "next": TRANSACTIONS}
        )
        assert response["Location"] == TRANSACTIONS

    def test_bad_credentials_show_error_and_do_not_log_in(self, client, member):
        response = client.post(LOGIN, {"username": member.username, "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password." in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_logout_is_post_only_and_returns_to_login(self, logged_in, member):
        client = logged_in(member)
        assert client.get(reverse("finance:logout")).status_code == 405
        response = client.post(reverse("finance:logout"))
        assert response.status_code == 302
        assert response["Location"] == LOGIN
        assert "_auth_user_id" not in client.session

    def test_login_form_is_csrf_protected(self, member):
        client = Client(enforce_csrf_checks=True)
        response = client.post(LOGIN, {"username": member.username, "password": "pass-1234"})
        assert response.status_code == 403
        assert "_auth_user_id" not in client.session


class TestWorkspaceSwitch:
    @pytest.fixture
    def second_workspace(self, member):
        second = f.WorkspaceFactory(name="Zeta Household")
        f.MembershipFactory(workspace=second, user=member, role=Membership.Role.VIEWER)
        return second

    def test_switcher_lists_only_own_workspaces(self, logged_in, member, second_workspace, other_workspace):
        response = logged_in(member).get(OVERVIEW)
        options = [m.workspace.name for m in response.context["ws"].memberships]
        assert options == ["Bakery A", "Zeta Household"]
        assert response.context["workspace"].name == "Bakery A"
        assert "Bakery B" not in response.content.decode()

    def test_switch_to_own_workspace(self, logged_in, member, second_workspace):
        # Given a member of two workspaces
        client = logged_in(member)
        # When they switch to the second one
        response = client.post(SWITCH, {"workspace": second_workspace.pk, "next": TRANSACTIONS})
        # Then it is kept in the session and the pages show it
        assert response.status_code == 302
        assert response["Location"] == TRANSACTIONS
        assert client.session[SESSION_KEY] == second_workspace.pk
        page = client.get(OVERVIEW)
        assert page.context["workspace"] == second_workspace
        assert page.context["can_write"] is False

    def test_switch_to_someone_elses_workspace_is_404(self, logged_in, member, other_workspace):
        client = logged_in(member)
        response = client.post(SWITCH, {"workspace": other_workspace.pk})
        assert response.status_code == 404
        assert SESSION_KEY not in client.session
        assert client.get(OVERVIEW).context["workspace"].name == "Bakery A"

    @pytest.mark.parametrize("value", ["", "abc", "999999"])
    def test_switch_to_garbage_is_404(self, logged_in, member, value):
        client = logged_in(member)
        assert client.post(SWITCH, {"workspace": value}).status_code == 404
        assert SESSION_KEY not in client.session

    def test_switch_ignores_offsite_next(self, logged_in, member, second_workspace):
        response = logged_in(member).post(
            SWITCH, {"workspace": second_workspace.pk, "next": "https://evil.example.com/"}
        )
        assert response["Location"] == OVERVIEW

    def test_stale_workspace_in_session_falls_back_to_first_own(self, logged_in, member, other_workspace):
        # Given a session that names a workspace the user is not (or no longer) in
        client = logged_in(member)
        session = client.session
        session[SESSION_KEY] = other_workspace.pk
        session.save()
        # When they open the overview
        response = client.get(OVERVIEW)
        # Then they see their own workspace
        assert response.context["workspace"].name == "Bakery A"

    def test_switch_is_csrf_protected(self, member, second_workspace):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        assert client.post(SWITCH, {"workspace": second_workspace.pk}).status_code == 403
        assert SESSION_KEY not in client.session


# --- overview ---------------------------------------------------------------------------


class TestOverview:
    @pytest.fixture
    def books(self, workspace, other_workspace, groceries, sales_category):
        """Two months of books plus rows that must not count."""
        make = f.TransactionFactory
        make(workspace=workspace, kind="revenue", amount=Decimal("1000.00"), date=month_day(0), category=sales_category)
        make(workspace=workspace, kind="expense", amount=Decimal("100.00"), date=month_day(0, 2), category=groceries)
        make(workspace=workspace, kind="expense", amount=Decimal("50.00"), date=month_day(0, 3), category=groceries)
        make(workspace=workspace, kind="revenue", amount=Decimal("400.00"), date=month_day(2))
        make(workspace=workspace, kind="expense", amount=Decimal("20.00"), date=month_day(2), category=groceries)
        # not counted: pending, another workspace, before the 12-month window
        make(workspace=workspace, kind="expense", amount=Decimal("30.00"), date=month_day(0), category=groceries, status="pending")
        make(workspace=other_workspace, kind="revenue", amount=Decimal("7777.00"), date=month_day(0))
        make(workspace=workspace, kind="revenue", amount=Decimal("5000.00"), date=month_day(12))
        f.BudgetFactory(workspace=workspace, category=groceries, amount=Decimal("400.00"), start_date=month_start(6))
        rent = f.CategoryFactory(workspace=workspace, name="Rent", kind="expense")
        f.BudgetFactory(workspace=workspace, category=rent, amount=Decimal("100.00"), period="weekly", start_date=month_start(1))
        ended = f.CategoryFactory(workspace=workspace, name="Old budget", kind="expense")
        f.BudgetFactory(workspace=workspace, category=ended, start_date=month_start(6), end_date=month_day(2, 28))

    def test_monthly_totals_of_approved_rows_of_this_workspace(self, logged_in, member, books):
        # Given the books above
        # When a member opens the overview
        response = logged_in(member).get(OVERVIEW)
        # Then the last 12 months are listed, with only approved rows of this workspace
        assert response.status_code == 200
        months = response.context["months"]
        assert len(months) == 12
        assert months[0].month == month_start(11)
        assert months[-1] == MonthTotals(month=month_start(0), revenue=Decimal("1000.00"), expense=Decimal("150.00"))
        assert months[-3] == MonthTotals(month=month_start(2), revenue=Decimal("400.00"), expense=Decimal("20.00"))
        assert [m.net for m in months if m.net] == [Decimal("380.00"), Decimal("850.00")]
        assert response.context["totals"] == {
            "revenue": Decimal("1400.00"), "expense": Decimal("170.00"), "net": Decimal("1230.00"),
        }

    def test_chart_data_and_vendored_chart_library(self, logged_in, member, books):
        response = logged_in(member).get(OVERVIEW)
        html = response.content.decode()
        chart = response.context["chart"]
        assert chart["currency"] == "USD"
        assert chart["labels"][-1] == month_start(0).strftime("%b %Y")
        assert chart["revenue"][-1] == 1000.0
        assert chart["expense"][-1] == 150.0
        assert chart["net"][-3:] == [380.0, 0.0, 850.0]
        assert '<canvas id="cashflow-chart"' in html
        assert '<script id="cashflow-data" type="application/json">' in html
        assert "/static/vendor/chartjs/chart.umd.min.js" in html
        assert "cdn" not in html.lower()

    def test_period_can_be_chosen(self, logged_in, member, books):
        response = logged_in(member).get(OVERVIEW, {"months": "24"})
        assert len(response.context["months"]) == 24
        assert response.context["totals"]["revenue"] == Decimal("6400.00")

    def test_unknown_period_falls_back_to_twelve_months(self, logged_in, member):
        assert len(logged_in(member).get(OVERVIEW, {"months": "x"}).context["months"]) == 12
        assert len(logged_in(member).get(OVERVIEW, {"months": "5"}).context["months"]) == 12

    def test_budget_use_this_month(self, logged_in, member, books):
        response = logged_in(member).get(OVERVIEW)
        uses = [
            (u.budget.category.name, u.spent, u.limit, u.percent, u.is_over)
            for u in response.context["budgets"]
        ]
        # Groceries: 100 + 50 approved this month (the pending 30 and last months' 20 do not count);
        # Rent: a weekly 100 is 433.33 a month; the ended budget is not listed.
        assert uses == [
            ("Groceries", Decimal("150.00"), Decimal("400.00"), 38, False),
            ("Rent", Decimal("0.00"), Decimal("433.33"), 0, False),
        ]

    def test_overspent_budget_is_flagged(self, logged_in, member, workspace, groceries):
        f.BudgetFactory(workspace=workspace, category=groceries, amount=Decimal("100.00"), start_date=month_start(1))
        f.TransactionFactory(workspace=workspace, amount=Decimal("125.00"), date=month_day(0, 1), category=groceries)
        response = logged_in(member).get(OVERVIEW)
        [use] = response.context["budgets"]
        assert (use.percent, use.is_over, use.remaining) == (125, True, Decimal("-25.00"))
        assert '<span class="badge danger">over</span>' in response.content.decode()

    def test_forecast_panel_without_models_says_so(self, logged_in, member, books):
        # Given books but no trained model (the charts themselves: tests/forecasting/test_pages.py)
        html = logged_in(member).get(OVERVIEW).content.decode()
        # Then the forecast panel is there and says that no model is deployed for either metric
        assert 'data-slot="forecast"' in html
        assert "No revenue model is deployed yet." in html
        assert "No expenses model is deployed yet." in html
        assert "data-forecast-chart" not in html

    def test_viewer_sees_overview(self, logged_in, viewer, books):
        response = logged_in(viewer).get(OVERVIEW)
        assert response.status_code == 200
        assert response.context["totals"]["net"] == Decimal("1230.00")


# --- transactions: list -------------------------------------------------------------------


class TestTransactionList:
    @pytest.fixture
    def rows(self, workspace, other_workspace, groceries, sales_category):
        make = f.TransactionFactory
        return {
            "bread": make(workspace=workspace, description="Bread flour", merchant="Mill & Co", date=dt.date(2025, 3, 1), category=groceries),
            "rent": make(workspace=workspace, description="Shop rent", merchant="Landlord", date=dt.date(2025, 3, 5), status="pending"),
            "cake": make(workspace=workspace, kind="revenue", description="Cake order", merchant="Café Nord", date=dt.date(2025, 4, 2), category=sales_category),
            "bank": make(workspace=workspace, kind="revenue", description="Interest", account_label="Savings", date=dt.date(2025, 2, 27)),
            "theirs": make(workspace=other_workspace, description="Bread for them", date=dt.date(2025, 3, 2)),
        }

    def descriptions(self, response) -> list[str]:
        return [t.description for t in response.context["transactions"]]

    def test_lists_own_rows_newest_first(self, logged_in, member, rows):
        response = logged_in(member).get(TRANSACTIONS)
        assert response.status_code == 200
        assert self.descriptions(response) == ["Cake order", "Shop rent", "Bread flour", "Interest"]
        assert "Bread for them" not in response.content.decode()

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"kind": "revenue"}, ["Cake order", "Interest"]),
            ({"status": "pending"}, ["Shop rent"]),
            ({"category": "none"}, ["Shop rent", "Interest"]),
            ({"date_from": "2025-03-01", "date_to": "2025-03-31"}, ["Shop rent", "Bread flour"]),
            ({"q": "bread"}, ["Bread flour"]),
            ({"q": "café"}, ["Cake order"]),
            ({"q": "savings"}, ["Interest"]),
            ({"kind": "expense", "q": "rent", "status": "pending"}, ["Shop rent"]),
        ],
    )
    def test_filters(self, logged_in, member, rows, params, expected):
        response = logged_in(member).get(TRANSACTIONS, params)
        assert self.descriptions(response) == expected
        assert response.context["is_filtered"] is True

    def test_filter_by_category(self, logged_in, member, rows, groceries):
        response = logged_in(member).get(TRANSACTIONS, {"category": str(groceries.pk)})
        assert self.descriptions(response) == ["Bread flour"]

    def test_other_workspaces_category_is_not_a_filter_choice(self, logged_in, member, rows, other_workspace):
        theirs = f.CategoryFactory(workspace=other_workspace, name="Their category")
        response = logged_in(member).get(TRANSACTIONS, {"category": str(theirs.pk)})
        form = response.context["filter_form"]
        assert form.errors == {
            "category": [f"Select a valid choice. {theirs.pk} is not one of the available choices."]
        }
        assert self.descriptions(response) == ["Cake order", "Shop rent", "Bread flour", "Interest"]

    def test_reversed_date_range_is_reported(self, logged_in, member, rows):
        response = logged_in(member).get(TRANSACTIONS, {"date_from": "2025-04-01", "date_to": "2025-03-01"})
        assert response.context["filter_form"].errors == {"date_to": ["The end date is before the start date."]}
        assert self.descriptions(response) == ["Cake order"]

    def test_pagination_keeps_the_filters(self, logged_in, member, workspace):
        # Given 30 expenses and 2 revenues
        for day in range(1, 31):
            f.TransactionFactory(workspace=workspace, description=f"Expense {day:02d}", date=dt.date(2025, 1, day))
        f.TransactionFactory.create_batch(2, workspace=workspace, kind="revenue")
        client = logged_in(member)
        # When the expenses are listed
        first = client.get(TRANSACTIONS, {"kind": "expense"})
        second = client.get(TRANSACTIONS, {"kind": "expense", "page": "2"})
        # Then they come 25 to a page and the page links keep the filter
        assert first.context["page_obj"].paginator.count == 30
        assert len(first.context["transactions"]) == 25
        assert self.descriptions(second) == [f"Expense {day:02d}" for day in range(5, 0, -1)]
        assert 'href="?kind=expense&amp;page=2"' in first.content.decode()

    def test_member_sees_write_buttons(self, logged_in, member, rows):
        html = logged_in(member).get(TRANSACTIONS).content.decode()
        assert f'href="{CREATE}"' in html
        assert f'href="{IMPORT}"' in html
        assert f'href="{edit_url(rows["bread"])}"' in html
        assert f'href="{delete_url(rows["bread"])}"' in html

    def test_viewer_sees_rows_but_no_write_buttons(self, logged_in, viewer, rows):
        response = logged_in(viewer).get(TRANSACTIONS)
        html = response.content.decode()
        assert self.descriptions(response) == ["Cake order", "Shop rent", "Bread flour", "Interest"]
        assert CREATE not in html
        assert IMPORT not in html
        assert "/edit/" not in html
        assert "/delete/" not in html


# --- transactions: add, edit, delete ----------------------------------------------------------


class TestTransactionCreate:
    def test_form_renders_with_csrf_and_own_categories(self, logged_in, member, groceries, other_workspace):
        f.CategoryFactory(workspace=other_workspace, name="Their category")
        response = logged_in(member).get(CREATE)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in html
        assert [str(c) for c in response.context["form"].fields["category"].queryset] == ["Groceries (expense)"]

    def test_member_adds_a_transaction(self, logged_in, member, workspace, groceries):
        # Given a member and a category of their workspace
        client = logged_in(member)
        # When they submit a valid form
        response = client.post(CREATE, valid_payload(category=groceries.pk))
        # Then the transaction is saved in their workspace and they return to the list
        assert response.status_code == 302
        assert response["Location"] == TRANSACTIONS
        saved = Transaction.objects.get()
        assert (
            saved.workspace, saved.kind, saved.amount, saved.date, saved.category, saved.currency,
            saved.source, saved.category_source, saved.created_by, saved.status,
        ) == (
            workspace, "expense", Decimal("19.99"), dt.date(2025, 4, 1), groceries, "USD",
            "manual", "user", member, "approved",
        )
        messages = [str(m) for m in client.get(TRANSACTIONS).context["messages"]]
        assert messages == ["Added 2025-04-01 -19.99 USD COSTCO WHSE #0113."]

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"amount": "0"}, "amount", "Amount must be greater than zero."),
            ({"amount": "-5"}, "amount", "Amount must be greater than zero."),
            ({"amount": "abc"}, "amount", "Enter the amount as a number, e.g. 12.50."),
            ({"amount": ""}, "amount", "This field is required."),
            ({"date": "2025-02-30"}, "date", "Enter a valid date (YYYY-MM-DD)."),
            ({"date": "tomorrow"}, "date", "Enter a valid date (YYYY-MM-DD)."),
            ({"kind": "gift"}, "kind", "Select a valid choice. gift is not one of the available choices."),
        ],
    )
    def test_invalid_input_shows_message_and_saves_nothing(self, logged_in, member, overrides, field, message):
        response = logged_in(member).post(CREATE, valid_payload(**overrides))
        assert response.status_code == 200
        assert response.context["form"].errors == {field: [message]}
        assert message in response.content.decode().replace("&#x27;", "'")
        assert Transaction.objects.count() == 0

    def test_category_of_another_workspace_is_refused(self, logged_in, member, other_workspace):
        theirs = f.CategoryFactory(workspace=other_workspace, name="Their category")
        response = logged_in(member).post(CREATE, valid_payload(category=theirs.pk))
        assert response.context["form"].errors == {"category": ["Choose a category of this workspace."]}
        assert Transaction.objects.count() == 0

    def test_category_must_match_the_kind(self, logged_in, member, sales_category):
        response = logged_in(member).post(CREATE, valid_payload(kind="expense", category=sales_category.pk))
        assert response.context["form"].errors == {
            "category": ["“Sales” is a revenue category; this transaction is expense."]
        }
        assert Transaction.objects.count() == 0

    def test_viewer_gets_403_and_nothing_is_saved(self, logged_in, viewer):
        client = logged_in(viewer)
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, valid_payload()).status_code == 403
        assert Transaction.objects.count() == 0

    def test_form_is_csrf_protected(self, member):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        assert client.post(CREATE, valid_payload()).status_code == 403
        assert Transaction.objects.count() == 0


class TestTransactionEditDelete:
    @pytest.fixture
    def mine(self, workspace, groceries):
        return f.TransactionFactory(
            workspace=workspace, amount=Decimal("12.50"), description="Flour", category=groceries,
            category_source="model", category_confidence=0.71, date=dt.date(2025, 3, 14),
        )

    def test_member_edits_a_transaction(self, logged_in, member, mine, groceries):
        other = f.CategoryFactory(workspace=mine.workspace, name="Supplies")
        response = logged_in(member).post(
            edit_url(mine), valid_payload(amount="13.75", description="Flour, 25 kg", category=other.pk)
        )
        assert response.status_code == 302
        mine.refresh_from_db()
        assert (mine.amount, mine.description, mine.category, mine.category_source, mine.category_confidence) == (
            Decimal("13.75"), "Flour, 25 kg", other, "user", None,
        )

    def test_edit_form_shows_the_row(self, logged_in, member, mine):
        response = logged_in(member).get(edit_url(mine))
        assert response.status_code == 200
        assert response.context["form"].initial["amount"] == Decimal("12.50")
        assert 'value="2025-03-14"' in response.content.decode()

    def test_invalid_edit_changes_nothing(self, logged_in, member, mine):
        before = snapshot(mine)
        response = logged_in(member).post(edit_url(mine), valid_payload(amount="-1"))
        assert response.context["form"].errors == {"amount": ["Amount must be greater than zero."]}
        assert snapshot(mine) == before

    def test_delete_asks_then_deletes(self, logged_in, member, mine):
        client = logged_in(member)
        confirm = client.get(delete_url(mine))
        assert confirm.status_code == 200
        assert "Delete this transaction?" in confirm.content.decode()
        assert Transaction.objects.filter(pk=mine.pk).exists()
        response = client.post(delete_url(mine))
        assert response.status_code == 302
        assert response["Location"] == TRANSACTIONS
        assert not Transaction.objects.filter(pk=mine.pk).exists()

    @pytest.mark.parametrize("url_of", [edit_url, delete_url])
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_another_workspaces_transaction_is_404_and_unchanged(
        self, logged_in, member, their_transaction, url_of, method
    ):
        # Given a transaction of a workspace the member does not belong to
        before = snapshot(their_transaction)
        # When they open or post its edit or delete URL
        response = getattr(logged_in(member), method)(url_of(their_transaction), valid_payload(amount="1.00"))
        # Then it does not exist for them and nothing changed
        assert response.status_code == 404
        assert "Their secret purchase" not in response.content.decode()
        assert snapshot(their_transaction) == before

    @pytest.mark.parametrize("url_of", [edit_url, delete_url])
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_viewer_gets_403_and_nothing_changes(self, logged_in, viewer, mine, url_of, method):
        before = snapshot(mine)
        response = getattr(logged_in(viewer), method)(url_of(mine), valid_payload(amount="1.00"))
        assert response.status_code == 403
        assert snapshot(mine) == before

    def test_object_of_another_own_workspace_switches_to_it(self, logged_in, member, workspace):
        # Given a member of two workspaces, looking at the first
        second = f.WorkspaceFactory(name="Zeta Household")
        f.MembershipFactory(workspace=second, user=member, role=Membership.Role.MEMBER)
        theirs = f.TransactionFactory(workspace=second, description="Zeta groceries")
        client = logged_in(member)
        # When they open a transaction of the second one
        response = client.get(edit_url(theirs))
        # Then the page works in that workspace
        assert response.status_code == 200
        assert response.context["workspace"] == second
        assert client.session[SESSION_KEY] == second.pk

    def test_viewer_in_that_workspace_cannot_edit_even_if_member_elsewhere(self, logged_in, member):
        second = f.WorkspaceFactory(name="Zeta Household")
        f.MembershipFactory(workspace=second, user=member, role=Membership.Role.VIEWER)
        theirs = f.TransactionFactory(workspace=second)
        before = snapshot(theirs)
        assert logged_in(member).post(edit_url(theirs), valid_payload()).status_code == 403
        assert snapshot(theirs) == before

    def test_delete_is_csrf_protected(self, member, mine):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        assert client.post(delete_url(mine)).status_code == 403
        assert Transaction.objects.filter(pk=mine.pk).exists()


# --- transactions: CSV import ------------------------------------------------------------

GOOD_CSV = (
    "date,kind,amount,description,merchant,category\n"
    "2025-01-02,expense,12.50,Flour,Mill & Co,Groceries\n"
    "2025-01-03,revenue,1200.00,Invoice 118,ACME Ltd,\n"
)
BAD_CSV = GOOD_CSV + "2025-01-04,expense,abc,Broken,Shop,\n"


class TestTransactionImport:
    def test_page_renders_with_csrf(self, logged_in, member):
        response = logged_in(member).get(IMPORT)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in html
        assert 'enctype="multipart/form-data"' in html
        assert "data-async-import" in html

    def test_good_file_imports_every_row(self, logged_in, member, workspace, groceries):
        client = logged_in(member)
        response = client.post(IMPORT, {"file": csv_upload(GOOD_CSV)})
        assert response.status_code == 302
        assert response["Location"] == TRANSACTIONS
        rows = list(
            Transaction.objects.order_by("date").values_list("workspace", "amount", "category__name", "source", "created_by")
        )
        assert rows == [
            (workspace.pk, Decimal("12.50"), "Groceries", "import", member.pk),
            (workspace.pk, Decimal("1200.00"), None, "import", member.pk),
        ]
        assert [str(m) for m in client.get(TRANSACTIONS).context["messages"]] == ["Imported 2 transactions."]

    def test_one_bad_row_is_named_and_nothing_is_written(self, logged_in, member, groceries):
        # Given a file whose fourth row has a bad amount
        # When it is uploaded with the plain form
        response = logged_in(member).post(IMPORT, {"file": csv_upload(BAD_CSV)})
        # Then the page names row, column and problem, and no row was written
        assert response.status_code == 200
        assert response.context["errors"] == [{"row": 4, "column": "amount", "message": "'abc' is not a number"}]
        html = response.content.decode()
        assert "Nothing was imported." in html
        assert '<tr data-row="4">' in html
        assert "<td>4</td>" in html
        assert "<td><code>amount</code></td>" in html
        assert "<td>&#x27;abc&#x27; is not a number</td>" in html
        assert Transaction.objects.count() == 0

    def test_fetch_import_answers_json(self, logged_in, member, groceries):
        response = logged_in(member).post(
            IMPORT, {"file": csv_upload(GOOD_CSV)}, headers={"accept": "application/json"}
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["ok"], body["created"], body["redirect"]) == (True, 2, TRANSACTIONS)
        assert "Imported 2 transactions." in body["html"]
        assert Transaction.objects.count() == 2

    def test_fetch_import_with_bad_row_answers_400_with_errors(self, logged_in, member, groceries):
        bad = GOOD_CSV + "2025-01-04,expense,5.00,Mystery,Shop,Unknown\n"
        response = logged_in(member).post(IMPORT, {"file": csv_upload(bad)}, headers={"accept": "application/json"})
        assert response.status_code == 400
        body = response.json()
        assert body["errors"] == [
            {"row": 4, "column": "category", "message": "'Unknown' is not a category of this workspace"}
        ]
        assert body["total_errors"] == 1
        assert '<tr data-row="4">' in body["html"]
        assert Transaction.objects.count() == 0

    def test_missing_file(self, logged_in, member):
        response = logged_in(member).post(IMPORT, {})
        assert response.context["form"].errors == {"file": ["Choose a file to import."]}
        json_response = logged_in(member).post(IMPORT, {}, headers={"accept": "application/json"})
        assert json_response.status_code == 400
        assert json_response.json()["errors"] == [
            {"row": None, "column": "file", "message": "Choose a file to import."}
        ]

    def test_viewer_gets_403_and_nothing_is_written(self, logged_in, viewer):
        client = logged_in(viewer)
        assert client.get(IMPORT).status_code == 403
        assert client.post(IMPORT, {"file": csv_upload(GOOD_CSV)}).status_code == 403
        assert Transaction.objects.count() == 0

    def test_import_is_csrf_protected(self, member):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        assert client.post(IMPORT, {"file": csv_upload(GOOD_CSV)}).status_code == 403
        assert Transaction.objects.count() == 0


# --- inventory ----------------------------------------------------------------------------


class TestInventory:
    @pytest.fixture
    def stock(self, workspace, other_workspace):
        today = timezone.localdate()
        north = f.WarehouseFactory(workspace=workspace, code="N", name="North")
        south = f.WarehouseFactory(workspace=workspace, code="S", name="South")
        supplier = f.SupplierFactory(workspace=workspace, lead_time_mean_days=Decimal("10.00"))
        flour = f.ProductFactory(workspace=workspace, sku="FLOUR", name="Flour", supplier=supplier)
        sugar = f.ProductFactory(workspace=workspace, sku="SUGAR", name="Sugar")
        f.ProductFactory(workspace=workspace, sku="YEAST", name="Yeast")
        f.ProductFactory(workspace=workspace, sku="OLD", name="Discontinued", is_active=False)
        f.StockLevelFactory(workspace=workspace, product=flour, warehouse=north, quantity=20)
        f.StockLevelFactory(workspace=workspace, product=flour, warehouse=south, quantity=10)
        f.StockLevelFactory(workspace=workspace, product=sugar, warehouse=north, quantity=300)
        # flour: 60 sold in the window (2 a day) -> 30 units cover 15 days > 10 days lead time
        f.SaleFactory(workspace=workspace, product=flour, warehouse=north, date=today, quantity=40)
        f.SaleFactory(workspace=workspace, product=flour, warehouse=south, date=today - dt.timedelta(days=29), quantity=20)
        f.SaleFactory(workspace=workspace, product=flour, warehouse=north, date=today - dt.timedelta(days=30), quantity=500)
        # sugar: 900 sold -> 300 cover 10 days < 14 days default lead time -> low
        f.SaleFactory(workspace=workspace, product=sugar, warehouse=north, date=today - dt.timedelta(days=3), quantity=900)
        f.StockLevelFactory(workspace=other_workspace, quantity=999)

    def test_stock_per_warehouse_recent_sales_and_low_stock(self, logged_in, member, stock):
        response = logged_in(member).get(INVENTORY)
        assert response.status_code == 200
        assert [w.code for w in response.context["warehouses"]] == ["N", "S"]
        rows = [
            (r.product.sku, r.quantities, r.total, r.units_recent, r.days_of_cover, r.covers_less_than_lead_time)
            for r in response.context["rows"]
        ]
        assert rows == [
            ("FLOUR", [20, 10], 30, 60, Decimal("15.0"), False),
            ("SUGAR", [300, 0], 300, 900, Decimal("10.0"), True),
            ("YEAST", [0, 0], 0, 0, None, False),
        ]
        # the statuses are the stock planner's (its reorder points from the sales history:
        # FLOUR's north sold 500 a month ago, SUGAR 900 three days ago), the counts theirs
        assert [(r.product.sku, r.status.value) for r in response.context["rows"]] == [
            ("FLOUR", "order_now"), ("SUGAR", "order_now"), ("YEAST", "out")]
        assert [(s.value, n) for s, n in response.context["status_counts"]] == [
            ("out", 1), ("order_now", 2), ("low", 0), ("ok", 0)]
        html = response.content.decode()
        assert '<tr class="status-order_now" data-sku="SUGAR" data-status="order_now">' in html
        assert '<tr class="status-out" data-sku="YEAST" data-status="out">' in html
        assert "Discontinued" not in html

    def test_without_a_stock_planner_low_is_the_cover_of_recent_sales(self, logged_in, member, stock):
        # Given the page's own rows, before any panel's signals
        from finance.views.inventory import rows_with_statuses

        rows = logged_in(member).get(INVENTORY).context["rows"]
        own = rows_with_statuses([row.with_status(None) for row in rows], None)
        # Then SUGAR (10 days of cover < 14 days of lead time) is low, YEAST out, FLOUR OK
        assert [(r.product.sku, r.status.value) for r in own] == [("FLOUR", "ok"), ("SUGAR", "low"), ("YEAST", "out")]

    def test_viewer_sees_inventory(self, logged_in, viewer, stock):
        assert logged_in(viewer).get(INVENTORY).status_code == 200

    def test_empty_inventory(self, logged_in, member):
        response = logged_in(member).get(INVENTORY)
        assert response.context["rows"] == []
        assert "No products in this workspace." in response.content.decode()


# --- query counts (Zulip-style): pinned, and flat in the number of rows -----------------------
# Every page: session (1) + user (1) + the user's memberships with workspaces (1), then:
#   overview      monthly totals (1) + budget use (1) + deployed forecasters (1)          = 6
#   transactions  categories (1) + count (1) + page of rows with category (1)             = 6
#   inventory     warehouses (1) + count (1) + products page (1) + stock (1)
#                 + reorder points: stock per pair (1) + first sales (1) + daily sales (1)
#                 + deployed demand forecasters (1, once for the forecast and reorder
#                   columns) + latest stock plan (1)                                      = 12
# (No model is deployed here; with models, see tests/forecasting/test_pages.py.)


def realistic_books(workspace, *, transactions: int, products: int) -> None:
    categories = [
        f.CategoryFactory(workspace=workspace, name=name, kind=kind)
        for name, kind in [("Sales", "revenue"), ("Groceries", "expense"), ("Rent", "expense")]
    ]
    for i in range(transactions):
        category = categories[i % 3]
        f.TransactionFactory(
            workspace=workspace, kind=category.kind, category=category, amount=Decimal(10 + i),
            date=month_day(i % 12, 1 + i % 27),
        )
    for category in categories[1:]:
        f.BudgetFactory(workspace=workspace, category=category, start_date=month_start(12))
    warehouses = [f.WarehouseFactory(workspace=workspace, code=f"W{n}") for n in range(2)]
    supplier = f.SupplierFactory(workspace=workspace)
    for n in range(products):
        product = f.ProductFactory(workspace=workspace, sku=f"P{n:03d}", supplier=supplier if n % 2 else None)
        for warehouse in warehouses:
            f.StockLevelFactory(workspace=workspace, product=product, warehouse=warehouse, quantity=n * 3)
            f.SaleFactory(workspace=workspace, product=product, warehouse=warehouse, date=month_day(0, 1), quantity=2)


@pytest.mark.parametrize(("transactions", "products"), [(30, 5), (90, 15)])
class TestQueryCounts:
    @pytest.fixture
    def client(self, logged_in, member, workspace, transactions, products):
        realistic_books(workspace, transactions=transactions, products=products)
        return logged_in(member)

    def test_overview(self, client, django_assert_num_queries):
        # 7: and the recurring bills (one read of the expenses, finance.services.recurring)
        with django_assert_num_queries(7):
            response = client.get(OVERVIEW)
        assert response.status_code == 200
        assert len(response.context["budgets"]) == 2

    def test_transactions_list(self, client, django_assert_num_queries, transactions):
        # 7: and the workspace's accounts (the Account filter; each row's account is joined)
        with django_assert_num_queries(7):
            response = client.get(TRANSACTIONS)
        assert response.context["page_obj"].paginator.count == transactions
        assert len(response.context["transactions"]) == 25

    def test_transactions_list_filtered(self, client, django_assert_num_queries):
        with django_assert_num_queries(7):
            response = client.get(TRANSACTIONS, {"kind": "expense", "q": "purchase", "date_from": "2000-01-01"})
        assert response.status_code == 200

    def test_inventory(self, client, django_assert_num_queries, products):
        # 16: with the open stockout warnings, the suppliers' receipts, the scenario form's
        # product choices, the learned stockout model and the units on order (forecasting's panel)
        with django_assert_num_queries(17):
            response = client.get(INVENTORY)
        assert len(response.context["rows"]) == products
        assert all(len(row.quantities) == 2 for row in response.context["rows"])


def test_chart_payload_is_valid_json(logged_in, member):
    """The chart data is embedded with json_script (escaped, parseable)."""
    html = logged_in(member).get(OVERVIEW).content.decode()
    start = html.index('<script id="cashflow-data" type="application/json">') + len(
        '<script id="cashflow-data" type="application/json">'
    )
    payload = json.loads(html[start : html.index("</script>", start)])
    assert set(payload) == {"currency", "labels", "revenue", "expense", "net", "partial", "partialLabel"}
    assert len(payload["labels"]) == 12
