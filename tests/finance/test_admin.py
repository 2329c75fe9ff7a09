"""Django admin: every model's pages render, staff are scoped, CSV import works."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from coaching.models import BanditArm, BehavioralEvent, CoachingSettings, RecommendationImpression
from coaching.services.segments import segments_refresh
from finance.models import Membership, Transaction
from finance.services.rules import category_rule_create
from tests import factories as f

OUR_APPS = {"finance", "coaching"}
MODELS = [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_staff=True, is_superuser=True)


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
class TestAdminPages:
    @pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
    def test_changelist_add_and_search_render(self, model, client, superuser, workspace, owner):
        f.TransactionFactory(workspace=workspace)
        f.StockLevelFactory(workspace=workspace)
        f.SaleFactory(workspace=workspace)
        f.BudgetFactory(workspace=workspace)
        f.GoalFactory(workspace=workspace)
        f.BehavioralEventFactory(workspace=workspace)
        f.SupplierFactory(workspace=workspace)
        f.InvitationFactory(workspace=workspace)
        f.TransferFactory(workspace=workspace)
        f.ReceiptFactory(purchase_order=f.PurchaseOrderFactory(workspace=workspace))
        category_rule_create(workspace=workspace, user=None, pattern="shell",
                             category=f.CategoryFactory(workspace=workspace, kind="expense"))
        # the coaching rows that are computed, not typed in
        segments_refresh()
        BanditArm.objects.create(segment_key="business-unsegmented", arm="automate_savings", alpha=2.0, beta=1.0)
        RecommendationImpression.objects.create(
            workspace=workspace, user=owner, segment_key="business-unsegmented", arm="automate_savings",
            title="Automate savings", text="Move 10 % of revenue on payday.", sampled_value=0.5, position=1,
            shown_at=timezone.now())
        CoachingSettings.objects.create(workspace=workspace, strategy="ucb1")
        client.force_login(superuser)
        request = RequestFactory().get("/")
        request.user = superuser
        computed = not admin.site._registry[model].has_add_permission(request)
        assert client.get(_admin_url(model, "changelist")).status_code == 200
        assert client.get(_admin_url(model, "changelist"), {"q": "x"}).status_code == 200
        assert client.get(_admin_url(model, "add")).status_code == (403 if computed else 200)
        obj = model.objects.first()
        assert client.get(_admin_url(model, "change", obj.pk)).status_code == 200

    def test_every_model_has_filters_search_and_readable_str(self):
        for model in MODELS:
            model_admin = admin.site._registry[model]
            assert model_admin.list_filter, model
            assert model_admin.search_fields, model

    def test_staff_member_sees_only_own_workspace_rows(self, client, workspace, other_workspace):
        staff = f.UserFactory(is_staff=True)
        f.MembershipFactory(workspace=workspace, user=staff, role=Membership.Role.OWNER)
        staff.user_permissions.add(Permission.objects.get(codename="view_transaction"))
        mine = f.TransactionFactory(workspace=workspace, description="mine")
        theirs = f.TransactionFactory(workspace=other_workspace, description="theirs")
        client.force_login(staff)
        page = client.get(_admin_url(Transaction, "changelist")).content.decode()
        assert "mine" in page and "theirs" not in page
        assert client.get(_admin_url(Transaction, "change", theirs.pk)).status_code == 302
        assert client.get(_admin_url(Transaction, "change", mine.pk)).status_code == 200


    def test_staff_member_filters_list_only_own_workspaces_and_their_rows(self, client, workspace, other_workspace):
        # Given a staff member of one workspace with two warehouses, and another workspace's
        from finance.models import StockLevel

        staff = f.UserFactory(is_staff=True)
        f.MembershipFactory(workspace=workspace, user=staff, role=Membership.Role.OWNER)
        staff.user_permissions.add(Permission.objects.get(codename="view_stocklevel"))
        ours = [f.StockLevelFactory(workspace=workspace, warehouse__name=name, warehouse__workspace=workspace).warehouse
                for name in ("North depot", "South depot")]
        f.StockLevelFactory(workspace=other_workspace, warehouse__name="Their depot",
                            warehouse__workspace=other_workspace)
        client.force_login(staff)
        # When they open the stock levels in admin
        response = client.get(_admin_url(StockLevel, "changelist"))
        # Then the warehouse filter offers their two warehouses only, the workspace filter
        # (one choice) is not offered, and nothing of the other workspace is named
        filters = {spec.title: [choice["display"] for choice in spec.choices(response.context["cl"])][1:]
                   for spec in response.context["cl"].filter_specs}
        assert filters == {"warehouse": [str(warehouse) for warehouse in ours]}
        page = response.content.decode()
        assert "Their depot" not in page and other_workspace.name not in page

    def test_superuser_filters_list_every_workspace(self, client, superuser, workspace, other_workspace):
        from finance.models import StockLevel

        f.StockLevelFactory(workspace=workspace, warehouse__workspace=workspace)
        f.StockLevelFactory(workspace=other_workspace, warehouse__workspace=other_workspace)
        client.force_login(superuser)
        response = client.get(_admin_url(StockLevel, "changelist"))
        workspaces = [spec for spec in response.context["cl"].filter_specs if spec.title == "workspace"][0]
        assert [choice["display"] for choice in workspaces.choices(response.context["cl"])][1:] == sorted(
            [str(workspace), str(other_workspace)])


@pytest.mark.django_db
class TestAdminCsvImport:
    def test_good_file_imports_and_redirects(self, client, superuser, workspace):
        client.force_login(superuser)
        upload = SimpleUploadedFile("t.csv", b"date,amount,description\n2025-01-02,-12.50,Coffee\n")
        response = client.post(
            _admin_url(Transaction, "import"), {"workspace": workspace.pk, "file": upload}, follow=True
        )
        assert response.redirect_chain[-1][0] == _admin_url(Transaction, "changelist")
        assert "Imported 1 transaction." in response.content.decode()
        assert Transaction.objects.get().amount == 12.5

    def test_bad_row_is_reported_and_nothing_written(self, client, superuser, workspace):
        client.force_login(superuser)
        upload = SimpleUploadedFile("t.csv", b"date,amount\n2025-01-02,-12.50\n2025-01-03,twelve\n")
        response = client.post(_admin_url(Transaction, "import"), {"workspace": workspace.pk, "file": upload})
        page = response.content.decode()
        assert response.status_code == 200
        assert "Nothing was imported: row 3, column &#x27;amount&#x27;: &#x27;twelve&#x27; is not a number" in page
        assert Transaction.objects.count() == 0

    def test_admin_event_passes_privacy_filter(self, client, superuser, workspace):
        client.force_login(superuser)
        response = client.post(
            _admin_url(BehavioralEvent, "add"),
            {
                "workspace": workspace.pk, "user": superuser.pk, "event_type": "search",
                "data": '{"query": "rent", "token": "abc"}', "session_id": "", "timestamp_0": "2025-01-02",
                "timestamp_1": "10:00:00",
            },
        )
        assert response.status_code == 302
        event = BehavioralEvent.objects.get()
        assert (event.data, event.redacted_fields) == ({"query": "rent"}, 1)
