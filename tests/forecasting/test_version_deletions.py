"""Deleting model versions: never the deployed one from admin, and every deletion is
recorded (who, when, which version, why) whatever deletes it."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage

from finance.models import Membership
from forecasting.registry.audit import UNATTRIBUTED
from forecasting.registry.models import ModelVersion, ModelVersionDeletion
from forecasting.registry.services import model_version_deploy
from tests import factories as f
from tests.factories import fitted_version

CHANGELIST = "/admin/forecasting/modelversion/"


def delete_url(version):
    return f"{CHANGELIST}{version.pk}/delete/"


def records():
    return list(ModelVersionDeletion.objects.order_by("version_id").values_list(
        "version_id", "target", "version", "algorithm", "status", "user__username", "reason"))


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def versions(workspace):
    """v1 deployed, v2 a candidate."""
    v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
    model_version_deploy(version=v1)
    v1.refresh_from_db()
    return v1, v2


@pytest.mark.django_db
class TestAdmin:
    def test_the_deployed_version_cannot_be_deleted(self, client, superuser, versions):
        deployed, _ = versions
        client.force_login(superuser)
        # no delete link on its page, and its delete page is forbidden
        assert delete_url(deployed) not in client.get(f"{CHANGELIST}{deployed.pk}/change/").content.decode()
        assert client.get(delete_url(deployed)).status_code == 403
        assert client.post(delete_url(deployed), {"post": "yes", "reason": "x"}).status_code == 403
        assert ModelVersion.objects.filter(pk=deployed.pk).exists()
        assert records() == []

    def test_the_delete_action_refuses_a_selection_with_the_deployed_version(self, client, superuser, versions):
        deployed, candidate = versions
        client.force_login(superuser)
        assert "delete_selected" not in client.get(CHANGELIST).content.decode()  # Django's own asks no reason
        response = client.post(CHANGELIST, {"action": "delete_versions", "_selected_action": [deployed.pk, candidate.pk],
                                            "confirmed": "yes", "reason": "cleanup"}, follow=True)
        assert ("Nothing was deleted: revenue v1 naive (deployed) is deployed; deploy another version or roll back "
                "first.") in response.content.decode()
        assert ModelVersion.objects.count() == 2
        assert records() == []

    def test_deleting_a_candidate_records_who_which_and_why(
        self, client, superuser, versions, django_capture_on_commit_callbacks
    ):
        _, candidate = versions
        client.force_login(superuser)
        page = client.get(delete_url(candidate)).content.decode()
        assert 'name="reason"' in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(delete_url(candidate), {"post": "yes", "reason": "trained on bad data"})
        assert response.status_code == 302
        assert records() == [(candidate.pk, "revenue", 2, "naive", "candidate", "root", "trained on bad data")]
        record = ModelVersionDeletion.objects.get()
        assert record.workspace_id == candidate.workspace_id
        assert record.artifact_sha256 == candidate.artifact_sha256 and record.deleted_at is not None
        assert not default_storage.exists(candidate.artifact_path)

    def test_the_delete_action_asks_why_and_records_each_version(self, client, superuser, workspace, versions):
        _, candidate = versions
        retired = fitted_version(workspace=workspace, status="retired")
        client.force_login(superuser)
        selection = {"action": "delete_versions", "_selected_action": [candidate.pk, retired.pk]}
        confirm = client.post(CHANGELIST, selection).content.decode()
        assert "Delete these versions and their artifacts?" in confirm and 'name="reason"' in confirm
        assert ModelVersion.objects.count() == 3
        response = client.post(CHANGELIST, {**selection, "confirmed": "yes", "reason": "old"}, follow=True)
        assert "Deleted 2 versions" in response.content.decode()
        assert records() == [(candidate.pk, "revenue", 2, "naive", "candidate", "root", "old"),
                             (retired.pk, "revenue", 3, "naive", "retired", "root", "old")]

    def test_staff_without_the_delete_permission_cannot_delete(self, client, workspace, versions):
        _, candidate = versions
        staff = f.UserFactory(is_staff=True)
        f.MembershipFactory(workspace=workspace, user=staff)
        staff.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
        client.force_login(staff)
        assert client.post(delete_url(candidate), {"post": "yes"}).status_code == 403
        client.post(CHANGELIST, {"action": "delete_versions", "_selected_action": [candidate.pk], "confirmed": "yes"})
        assert ModelVersion.objects.count() == 2
        assert records() == []

    def test_the_records_are_read_only(self, client, superuser, versions):
        _, candidate = versions
        candidate.delete()
        record = ModelVersionDeletion.objects.get()
        client.force_login(superuser)
        assert client.get("/admin/forecasting/modelversiondeletion/").status_code == 200
        assert client.post(f"/admin/forecasting/modelversiondeletion/{record.pk}/delete/",
                           {"post": "yes"}).status_code == 403
        assert ModelVersionDeletion.objects.count() == 1


@pytest.mark.django_db
class TestEveryDeletionIsRecorded:
    def test_through_the_api(self, workspace, versions, client_for):
        _, candidate = versions
        manager = f.MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user
        assert client_for(manager).delete(f"/api/v1/ml/models/{candidate.pk}/").status_code == 204
        assert records() == [(candidate.pk, "revenue", 2, "naive", "candidate", manager.username,
                              "Deleted through the API.")]

    def test_the_api_cannot_delete_the_deployed_version(self, workspace, versions, client_for):
        deployed, _ = versions
        manager = f.MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user
        assert client_for(manager).delete(f"/api/v1/ml/models/{deployed.pk}/").status_code == 409
        assert records() == []

    def test_outside_the_services(self, versions):
        deployed, candidate = versions
        ModelVersion.objects.filter(pk__in=[deployed.pk, candidate.pk]).delete()
        assert records() == [(deployed.pk, "revenue", 1, "naive", "deployed", None, UNATTRIBUTED),
                             (candidate.pk, "revenue", 2, "naive", "candidate", None, UNATTRIBUTED)]

    def test_not_when_the_workspace_goes_with_its_records(self, workspace, versions, other_workspace):
        theirs = fitted_version(workspace=other_workspace)
        their_id = theirs.pk
        theirs.delete()
        workspace.delete()
        assert ModelVersion.objects.count() == 0
        assert records() == [(their_id, "revenue", 1, "naive", "candidate", None, UNATTRIBUTED)]
