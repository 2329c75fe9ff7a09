"""Category rules: what a pattern may be, the services, rules applied when transactions are
written (page, API, CSV import) and to the rows already written, the API and the pages."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from finance.models import CategoryRule, Transaction
from finance.rules import PatternError, category_rule_for, regex_check, text_matches
from finance.services.rules import (
    category_rule_create,
    category_rule_update,
    category_rules_apply,
)
from finance.services.transactions import transaction_create
from tests import factories as f

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def fuel(workspace):
    return f.CategoryFactory(workspace=workspace, name="Fuel", kind="expense")


@pytest.fixture
def bank_fees(workspace):
    return f.CategoryFactory(workspace=workspace, name="Bank fees", kind="expense")


def rule(workspace, category, pattern="shell", **kwargs):
    return category_rule_create(workspace=workspace, user=None, pattern=pattern, category=category, **kwargs)


class TestPatterns:
    @pytest.mark.parametrize("pattern", [r"^amzn\s*mktp", r"shell|chevron", r"[0-9]{4}$", r"(?:fuel)+ station"])
    def test_simple_regular_expressions_are_accepted(self, pattern):
        assert regex_check(pattern).pattern == pattern

    @pytest.mark.parametrize(("pattern", "message"), [
        ("(a+)+x", "a repeated group may not contain another repetition"),
        ("(a|ab)*c", "a repeated group may not contain alternatives"),
        ("(?=shell)s", "look-ahead and look-behind are not allowed"),
        (r"(s)\1", "back-references"),
        ("a*b*c*", "use at most 2 repetitions (*, +, ?, {m,n}); it has 3"),
        ("shell(", "This is not a valid regular expression: missing ), unterminated subpattern at position 5."),
        ("x" * 101, "Use at most 100 characters (this has 101)."),
    ])
    def test_invalid_or_catastrophic_expressions_are_refused_with_the_reason(self, pattern, message):
        with pytest.raises(PatternError) as refused:
            regex_check(pattern)
        assert message in str(refused.value)

    def test_contains_is_case_insensitive_and_matches_searches(self):
        assert text_matches(operator="contains", pattern="SHELL", text="Shell Oil 57442") is True
        assert text_matches(operator="contains", pattern="shell", text="Chevron") is False
        assert text_matches(operator="matches", pattern=r"^shell\s+oil", text="SHELL  OIL 1") is True
        assert text_matches(operator="matches", pattern=r"^oil", text="SHELL OIL") is False


@pytest.mark.django_db
class TestServices:
    def test_create_strips_the_pattern_and_records_the_creator(self, workspace, fuel, member):
        # When a member adds a rule
        made = category_rule_create(workspace=workspace, user=member, pattern="  Shell ", category=fuel)
        # Then it is stored with its defaults
        stored = CategoryRule.objects.get()
        assert (stored.pk, stored.pattern, stored.field, stored.operator, stored.priority, stored.is_active,
                stored.created_by) == (made.pk, "Shell", "merchant", "contains", 100, True, member)

    @pytest.mark.parametrize(("fields", "errors"), [
        ({"operator": "matches", "pattern": "(a+)+"}, {"pattern": [
            "This regular expression is too complex: a repeated group may not contain another repetition "
            "(such as (a+)+), which can take very long to match."]}),
        ({"pattern": "   "}, {"pattern": ["Enter the text to look for."]}),
        ({"amount_min": Decimal("50"), "amount_max": Decimal("10")},
         {"amount_max": ["The maximum (10.00) is below the minimum (50.00)."]}),
        ({"amount_min": Decimal("-1")}, {"amount_min": ["An amount bound cannot be negative."]}),
        ({"field": "account"}, {"field": ["Select a valid choice. account is not one of the available choices."]}),
        ({"operator": "startswith"},
         {"operator": ["Select a valid choice. startswith is not one of the available choices."]}),
    ])
    def test_bad_input_is_refused_by_field_and_nothing_is_written(self, workspace, fuel, fields, errors):
        with pytest.raises(ValidationError) as refused:
            rule(workspace, fuel, **{"pattern": "shell", **fields})
        assert refused.value.message_dict == errors
        assert CategoryRule.objects.count() == 0

    def test_a_category_of_another_workspace_is_refused(self, workspace, other_workspace):
        theirs = f.CategoryFactory(workspace=other_workspace, name="Fuel")
        with pytest.raises(ValidationError) as refused:
            rule(workspace, theirs)
        assert refused.value.message_dict == {"category": ["Choose a category of this workspace."]}
        assert CategoryRule.objects.count() == 0

    def test_update_checks_the_whole_rule(self, workspace, fuel):
        made = rule(workspace, fuel, amount_min=Decimal("20"))
        with pytest.raises(ValidationError) as refused:
            category_rule_update(rule=made, amount_max=Decimal("5"))
        assert refused.value.message_dict == {"amount_max": ["The maximum (5.00) is below the minimum (20.00)."]}
        made.refresh_from_db()
        assert made.amount_max is None
        assert category_rule_update(rule=made, pattern=" chevron ", priority=5).pattern == "chevron"

    def test_the_lowest_priority_number_wins_and_kind_and_amount_must_fit(self, workspace, fuel, bank_fees):
        sales = f.CategoryFactory(workspace=workspace, name="Sales", kind="revenue")
        late = rule(workspace, fuel, pattern="shell", priority=20)
        early = rule(workspace, bank_fees, pattern="shell", priority=10, amount_max=Decimal("5"))
        revenue = rule(workspace, sales, pattern="refund", field="description")
        rules = list(CategoryRule.objects.select_related("category").order_by("priority", "id"))

        def match(kind="expense", amount="3", description="", merchant="Shell"):
            return category_rule_for(rules=rules, kind=kind, amount=Decimal(amount), description=description,
                                     merchant=merchant)

        assert match() == early
        assert match(amount="40") == late
        assert match(kind="revenue", description="Shell refund") == revenue
        assert match(kind="expense", description="Shell refund", merchant="") is None


@pytest.mark.django_db
class TestRulesWhenWriting:
    def test_a_new_transaction_without_a_category_gets_the_rules(self, workspace, fuel, member):
        rule(workspace, fuel)
        # When a member adds a Shell expense without choosing a category
        row = transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("52.10"),
                                 date=DAY, merchant="SHELL OIL")
        # Then the rule chose its category
        assert (row.category, row.category_source, row.category_confidence) == (fuel, "rule", None)

    def test_a_category_the_user_chose_is_kept(self, workspace, fuel, bank_fees, member):
        rule(workspace, fuel)
        row = transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("52.10"),
                                 date=DAY, merchant="Shell", category=bank_fees)
        assert (row.category, row.category_source) == (bank_fees, "user")

    def test_an_inactive_rule_does_nothing(self, workspace, fuel, member):
        rule(workspace, fuel, is_active=False)
        row = transaction_create(workspace=workspace, user=member, kind="expense", amount=Decimal("52.10"),
                                 date=DAY, merchant="Shell")
        assert (row.category, row.category_source) == (None, "")

    def test_the_csv_import_applies_the_rules(self, workspace, fuel, bank_fees, member, client_for):
        rule(workspace, fuel)
        csv = b"date,amount,merchant,category\n2026-03-01,-52.10,Shell,\n2026-03-02,-3.00,Shell,Bank fees\n" \
              b"2026-03-03,-9.00,Bakery,\n"
        upload = io.BytesIO(csv)
        upload.name = "books.csv"
        response = client_for(member).post("/api/v1/transactions/import/", {"workspace": workspace.pk,
                                                                            "file": upload}, format="multipart")
        assert response.status_code == 201, response.json()
        rows = list(Transaction.objects.order_by("date").values_list("merchant", "category__name", "category_source"))
        assert rows == [("Shell", "Fuel", "rule"), ("Shell", "Bank fees", "user"), ("Bakery", None, "")]

    def test_the_api_applies_the_rules(self, workspace, fuel, member, client_for):
        rule(workspace, fuel)
        response = client_for(member).post("/api/v1/transactions/", {
            "workspace": workspace.pk, "kind": "expense", "amount": "40.00", "date": "2026-03-02",
            "merchant": "Shell Station"}, format="json")
        assert response.status_code == 201
        assert (response.json()["category"], response.json()["category_source"]) == (fuel.pk, "rule")

    def test_applying_rules_to_existing_rows_changes_only_rows_nobody_categorised(self, workspace, fuel, bank_fees):
        # Given Shell rows: uncategorised, suggested by the model, and chosen by a user
        open_row = f.TransactionFactory(workspace=workspace, merchant="Shell")
        suggested = f.TransactionFactory(workspace=workspace, merchant="Shell", category=bank_fees,
                                         category_source="model", category_confidence=0.2)
        chosen = f.TransactionFactory(workspace=workspace, merchant="Shell", category=bank_fees,
                                      category_source="user")
        other = f.TransactionFactory(workspace=workspace, merchant="Bakery")
        rule(workspace, fuel)
        # When the rules are applied to the books
        changed = category_rules_apply(workspace=workspace)
        # Then the uncategorised and the suggested row got the rule's category, the user's did not
        assert changed == 2
        got = {t.pk: (t.category_id, t.category_source, t.category_confidence)
               for t in Transaction.objects.all()}
        assert got == {
            open_row.pk: (fuel.pk, "rule", None), suggested.pk: (fuel.pk, "rule", None),
            chosen.pk: (bank_fees.pk, "user", None), other.pk: (None, "", None),
        }


@pytest.mark.django_db
class TestApi:
    def test_crud(self, workspace, fuel, member, client_for):
        client = client_for(member)
        created = client.post("/api/v1/rules/", {
            "workspace": workspace.pk, "field": "description", "operator": "matches",
            "pattern": r"^shell\s", "category": fuel.pk, "amount_min": "1.00", "amount_max": "200.00"},
            format="json")
        assert created.status_code == 201, created.json()
        body = created.json()
        assert {k: body[k] for k in ("field", "operator", "pattern", "amount_min", "amount_max", "category",
                                     "priority", "is_active", "created_by")} == {
            "field": "description", "operator": "matches", "pattern": r"^shell\s", "amount_min": "1.00",
            "amount_max": "200.00", "category": fuel.pk, "priority": 100, "is_active": True,
            "created_by": member.username}
        url = f"/api/v1/rules/{body['id']}/"
        assert client.get("/api/v1/rules/").json()["count"] == 1
        assert client.patch(url, {"priority": 7}, format="json").json()["priority"] == 7
        assert client.delete(url).status_code == 204
        assert CategoryRule.objects.count() == 0

    @pytest.mark.parametrize(("data", "field", "message"), [
        ({"operator": "matches", "pattern": "(x*)*"}, "pattern",
         "This regular expression is too complex: a repeated group may not contain another repetition "
         "(such as (a+)+), which can take very long to match."),
        ({"operator": "matches", "pattern": "[shell"}, "pattern",
         "This is not a valid regular expression: unterminated character set at position 0."),
        ({"amount_min": "50.00", "amount_max": "10.00"}, "amount_max",
         "The maximum (10.00) is below the minimum (50.00)."),
    ])
    def test_bad_input_is_a_400_naming_the_field(self, workspace, fuel, member, client_for, data, field, message):
        response = client_for(member).post("/api/v1/rules/", {
            "workspace": workspace.pk, "pattern": "shell", "category": fuel.pk, **data}, format="json")
        assert response.status_code == 400
        assert response.json() == {field: [message]}
        assert CategoryRule.objects.count() == 0

    def test_another_workspaces_category_is_a_400(self, workspace, other_workspace, member, client_for):
        theirs = f.CategoryFactory(workspace=other_workspace, name="Fuel")
        response = client_for(member).post("/api/v1/rules/", {
            "workspace": workspace.pk, "pattern": "shell", "category": theirs.pk}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["category"]
        assert CategoryRule.objects.count() == 0

    def test_another_workspaces_rule_is_a_404(self, other_workspace, member, client_for):
        theirs = rule(other_workspace, f.CategoryFactory(workspace=other_workspace, name="Fuel"))
        client = client_for(member)
        assert client.get(f"/api/v1/rules/{theirs.pk}/").status_code == 404
        assert client.delete(f"/api/v1/rules/{theirs.pk}/").status_code == 404
        assert client.get("/api/v1/rules/").json()["count"] == 0
        assert CategoryRule.objects.filter(pk=theirs.pk).exists()

    def test_a_viewer_reads_but_cannot_write(self, workspace, fuel, viewer, client_for):
        made = rule(workspace, fuel)
        client = client_for(viewer)
        assert client.get(f"/api/v1/rules/{made.pk}/").status_code == 200
        assert client.post("/api/v1/rules/", {"workspace": workspace.pk, "pattern": "bp", "category": fuel.pk},
                           format="json").status_code == 403
        assert client.delete(f"/api/v1/rules/{made.pk}/").status_code == 403
        assert client.post("/api/v1/rules/apply/", {"workspace": workspace.pk}, format="json").status_code == 403
        assert CategoryRule.objects.count() == 1

    def test_apply_to_existing_rows(self, workspace, fuel, member, client_for):
        f.TransactionFactory(workspace=workspace, merchant="Shell")
        rule(workspace, fuel)
        response = client_for(member).post("/api/v1/rules/apply/", {"workspace": workspace.pk}, format="json")
        assert (response.status_code, response.json()) == (200, {"changed": 1})


@pytest.mark.django_db
class TestPages:
    def test_the_list_for_a_member(self, workspace, fuel, member, logged_in):
        rule(workspace, fuel, amount_max=Decimal("80"))
        response = logged_in(member).get("/rules/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "Merchant contains <code>shell</code>" in page
        assert 'href="/rules/new/"' in page

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get("/rules/")
        assert (response.status_code, response["Location"]) == (302, "/login/?next=/rules/")

    def test_add_a_rule_through_the_form_and_apply_it(self, workspace, fuel, member, logged_in):
        row = f.TransactionFactory(workspace=workspace, merchant="Shell")
        response = logged_in(member).post("/rules/new/", {
            "field": "merchant", "operator": "contains", "pattern": "shell", "category": fuel.pk,
            "priority": "100", "is_active": "on", "apply_existing": "on"})
        assert (response.status_code, response["Location"]) == (302, "/rules/")
        made = CategoryRule.objects.get()
        assert (made.pattern, made.category, made.created_by) == ("shell", fuel, member)
        row.refresh_from_db()
        assert (row.category, row.category_source) == (fuel, "rule")

    def test_a_bad_regular_expression_re_renders_the_form(self, workspace, fuel, member, logged_in):
        response = logged_in(member).post("/rules/new/", {
            "field": "merchant", "operator": "matches", "pattern": "(ab|c)+", "category": fuel.pk,
            "priority": "100", "is_active": "on", "amount_min": "1,000", "amount_max": "20"})
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors == {
            "pattern": ["This regular expression is too complex: a repeated group may not contain alternatives "
                        "(such as (a|ab)*), which can take very long to match."],
            "amount_max": ["The maximum (20.00) is below the minimum (1000.00)."],
        }
        assert CategoryRule.objects.count() == 0

    def test_edit_and_delete(self, workspace, fuel, member, logged_in):
        made = rule(workspace, fuel)
        client = logged_in(member)
        assert client.get(f"/rules/{made.pk}/edit/").status_code == 200
        response = client.post(f"/rules/{made.pk}/edit/", {
            "field": "merchant", "operator": "contains", "pattern": "chevron", "category": fuel.pk,
            "priority": "3", "is_active": "on"})
        assert response.status_code == 302
        made.refresh_from_db()
        assert (made.pattern, made.priority) == ("chevron", 3)
        assert client.get(f"/rules/{made.pk}/delete/").status_code == 200
        assert client.post(f"/rules/{made.pk}/delete/").status_code == 302
        assert CategoryRule.objects.count() == 0

    def test_a_viewer_sees_the_list_but_cannot_write(self, workspace, fuel, viewer, logged_in):
        made = rule(workspace, fuel)
        client = logged_in(viewer)
        assert client.get("/rules/").status_code == 200
        assert 'href="/rules/new/"' not in client.get("/rules/").content.decode()
        assert client.get("/rules/new/").status_code == 403
        assert client.post("/rules/new/", {"pattern": "bp", "category": fuel.pk}).status_code == 403
        assert client.post(f"/rules/{made.pk}/edit/", {"pattern": "bp"}).status_code == 403
        assert client.post(f"/rules/{made.pk}/delete/").status_code == 403
        assert client.post("/rules/apply/").status_code == 403
        assert list(CategoryRule.objects.values_list("pattern", flat=True)) == ["shell"]

    def test_another_workspaces_rule_is_a_404(self, other_workspace, member, logged_in):
        theirs = rule(other_workspace, f.CategoryFactory(workspace=other_workspace, name="Fuel"))
        client = logged_in(member)
        assert client.get(f"/rules/{theirs.pk}/edit/").status_code == 404
        assert client.post(f"/rules/{theirs.pk}/delete/").status_code == 404
        assert CategoryRule.objects.filter(pk=theirs.pk).exists()

    def test_writes_need_the_csrf_token(self, workspace, fuel, member):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        response = client.post("/rules/new/", {"field": "merchant", "operator": "contains", "pattern": "shell",
                                               "category": fuel.pk, "priority": "1"})
        assert response.status_code == 403
        assert CategoryRule.objects.count() == 0
