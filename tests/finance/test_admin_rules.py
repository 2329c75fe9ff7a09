"""Django admin for category rules: written and checked through the rules' services, with
the Rules page's messages; staff see the rules of their own workspaces only."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from finance.models import CategoryRule, Membership, Transaction
from finance.services.rules import category_rule_create
from tests import factories as f

ADD = reverse("admin:finance_categoryrule_add")
CHANGELIST = reverse("admin:finance_categoryrule_changelist")


def change_url(rule):
    return reverse("admin:finance_categoryrule_change", args=[rule.pk])


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def fuel(workspace):
    return f.CategoryFactory(workspace=workspace, name="Fuel", kind="expense")


def form_data(workspace, category, **overrides):
    return {"workspace": workspace.pk, "field": "merchant", "operator": "contains", "pattern": " Shell ",
            "amount_min": "", "amount_max": "", "category": category.pk, "priority": "100", "is_active": "on",
            **overrides}


@pytest.mark.django_db
class TestCategoryRuleAdmin:
    def test_add_writes_through_the_service(self, client, superuser, workspace, fuel):
        # Given a superuser in admin
        client.force_login(superuser)
        # When they add a rule with thousands separators in its bounds
        response = client.post(ADD, form_data(workspace, fuel, amount_min="1,000", amount_max="2,500.50"))
        # Then it is stored as the service stores it: pattern stripped, creator recorded
        assert response.status_code == 302
        rule = CategoryRule.objects.get()
        assert (rule.workspace, rule.pattern, rule.amount_min, rule.amount_max, rule.category, rule.created_by) == (
            workspace, "Shell", Decimal("1000.00"), Decimal("2500.50"), fuel, superuser)

    @pytest.mark.parametrize(("overrides", "field", "message"), [
        ({"operator": "matches", "pattern": "(a+)+"}, "pattern",
         "This regular expression is too complex: a repeated group may not contain another repetition "
         "(such as (a+)+), which can take very long to match."),
        ({"pattern": "   "}, "pattern", "This field is required."),
        ({"amount_min": "50", "amount_max": "10"}, "amount_max", "The maximum (10.00) is below the minimum (50.00)."),
        ({"amount_min": "-5"}, "amount_min", "An amount bound cannot be negative."),
    ])
    def test_refused_rule_names_the_field_and_writes_nothing(self, client, superuser, workspace, fuel, overrides,
                                                              field, message):
        client.force_login(superuser)
        response = client.post(ADD, form_data(workspace, fuel, **overrides))
        assert response.status_code == 200
        assert response.context["adminform"].form.errors == {field: [message]}
        assert CategoryRule.objects.count() == 0

    def test_category_of_another_workspace_is_refused(self, client, superuser, workspace, other_workspace):
        # Given a category of the other workspace, offered to a superuser
        theirs = f.CategoryFactory(workspace=other_workspace, name="Their fuel", kind="expense")
        client.force_login(superuser)
        # When it is chosen for a rule of this workspace
        response = client.post(ADD, form_data(workspace, theirs))
        # Then the service's message names the category and nothing is written
        assert response.context["adminform"].form.errors == {"category": ["Choose a category of this workspace."]}
        assert CategoryRule.objects.count() == 0

    def test_change_updates_through_the_service_and_keeps_the_workspace(self, client, superuser, workspace,
                                                                        other_workspace, fuel):
        rule = category_rule_create(workspace=workspace, user=None, pattern="shell", category=fuel)
        client.force_login(superuser)
        # When staff change the priority and try to move the rule to another workspace
        response = client.post(change_url(rule), form_data(other_workspace, fuel, priority="5", pattern="SHELL"))
        # Then the priority and pattern change, the workspace does not
        assert response.status_code == 302
        rule.refresh_from_db()
        assert (rule.workspace, rule.priority, rule.pattern) == (workspace, 5, "SHELL")

    def test_change_refused_by_the_service_writes_nothing(self, client, superuser, workspace, fuel):
        rule = category_rule_create(workspace=workspace, user=None, pattern="shell", category=fuel,
                                    amount_min=Decimal("10"))
        client.force_login(superuser)
        response = client.post(change_url(rule), form_data(workspace, fuel, amount_min="10", amount_max="5"))
        assert response.context["adminform"].form.errors == {
            "amount_max": ["The maximum (5.00) is below the minimum (10.00)."]}
        rule.refresh_from_db()
        assert (rule.amount_min, rule.amount_max) == (Decimal("10.00"), None)

    def test_staff_see_and_choose_only_their_workspaces(self, client, workspace, other_workspace, fuel):
        # Given a staff owner of one workspace, and a rule in each workspace
        staff = f.UserFactory(is_staff=True)
        f.MembershipFactory(workspace=workspace, user=staff, role=Membership.Role.OWNER)
        staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_categoryrule", "add_categoryrule"]))
        theirs_category = f.CategoryFactory(workspace=other_workspace, name="Groceries", kind="expense")
        category_rule_create(workspace=workspace, user=None, pattern="mine-shell", category=fuel)
        theirs = category_rule_create(workspace=other_workspace, user=None, pattern="their-aldi",
                                      category=theirs_category)
        client.force_login(staff)
        # When they open the list, the other rule and the add form
        page = client.get(CHANGELIST).content.decode()
        form = client.get(ADD).context["adminform"].form
        # Then only their workspace's rule, workspaces and categories are offered
        assert "mine-shell" in page and "their-aldi" not in page
        assert client.get(change_url(theirs)).status_code == 302
        assert list(form.fields["workspace"].queryset) == [workspace]
        assert list(form.fields["category"].queryset) == [fuel]

    def test_list_filters_and_search(self, client, superuser, workspace, fuel):
        category_rule_create(workspace=workspace, user=None, pattern="shell", category=fuel)
        category_rule_create(workspace=workspace, user=None, pattern="aral", category=fuel, is_active=False)
        client.force_login(superuser)
        inactive = client.get(CHANGELIST, {"is_active__exact": "0"}).context["cl"].result_list
        found = client.get(CHANGELIST, {"q": "SHE"}).context["cl"].result_list
        assert [r.pattern for r in inactive] == ["aral"]
        assert [r.pattern for r in found] == ["shell"]

    def test_delete_and_apply_actions(self, client, superuser, workspace, fuel):
        # Given an active rule and an uncategorised row it applies to
        keep = category_rule_create(workspace=workspace, user=None, pattern="shell", category=fuel)
        gone = category_rule_create(workspace=workspace, user=None, pattern="aral", category=fuel)
        row = f.TransactionFactory(workspace=workspace, kind="expense", merchant="Shell 42", category=None)
        assert row.category_source == Transaction.CategorySource.NONE
        client.force_login(superuser)
        # When staff apply the rules, then delete one rule
        applied = client.post(CHANGELIST, {"action": "apply_rules", "_selected_action": [keep.pk]}, follow=True)
        client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [gone.pk], "post": "yes"})
        # Then the row has the rule's category and only the other rule is left
        row.refresh_from_db()
        assert (row.category, row.category_source) == (fuel, "rule")
        assert "Bakery A: 1 row got a rule&#x27;s category." in applied.content.decode()
        assert list(CategoryRule.objects.values_list("pattern", flat=True)) == ["shell"]
