"""Registry admin: actions behind permissions and confirmation pages, the inspect page."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from forecasting.admin import ModelVersionAdmin
from forecasting.monitoring.alerts import alert_raise
from forecasting.monitoring.models import Alert
from forecasting.registry.models import Deployment, ModelVersion
from forecasting.training.models import TrainingJob
from tests import factories as f
from tests.factories import fitted_version

CHANGELIST = "/admin/forecasting/modelversion/"


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_viewer(workspace):
    """Staff that may view model versions but has none of the lifecycle permissions."""
    user = f.UserFactory(is_staff=True)
    f.MembershipFactory(workspace=workspace, user=user)
    user.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    return user


def post_action(client, action, versions, follow=False, **extra):
    data = {"action": action, "_selected_action": [v.pk for v in versions], **extra}
    return client.post(CHANGELIST, data, follow=follow)


@pytest.mark.django_db
class TestModelVersionActions:
    def test_deploy_asks_for_confirmation_then_deploys(self, client, superuser, workspace):
        v1 = fitted_version(workspace=workspace)
        client.force_login(superuser)
        page = post_action(client, "deploy_selected", [v1])
        assert page.status_code == 200
        assert "Deploy this version? The currently deployed one will be retired." in page.content.decode()
        assert Deployment.objects.count() == 0
        response = post_action(client, "deploy_selected", [v1], confirmed="yes", reason="reviewed", follow=True)
        v1.refresh_from_db()
        assert v1.status == "deployed"
        assert Deployment.objects.get().reason == "reviewed"
        assert "Deployed revenue v1 (naive)." in response.content.decode()

    def test_rollback_action(self, client, superuser, workspace):
        from forecasting.registry.services import model_version_deploy

        v1, v2 = fitted_version(workspace=workspace), fitted_version(workspace=workspace)
        model_version_deploy(version=v1)
        model_version_deploy(version=v2)
        client.force_login(superuser)
        post_action(client, "rollback_selected", [v2], confirmed="yes")
        assert dict(ModelVersion.objects.values_list("version", "status")) == {1: "deployed", 2: "retired"}

    def test_retrain_action_queues_a_job(self, client, superuser, workspace, monkeypatch):
        monkeypatch.setattr("forecasting.training.jobs._send", lambda job_id, task: None)
        v1 = fitted_version(workspace=workspace)
        client.force_login(superuser)
        post_action(client, "retrain_selected", [v1], confirmed="yes")
        assert list(TrainingJob.objects.values_list("target", "status")) == [("revenue", "queued")]

    def test_compare_shows_metrics_side_by_side(self, client, superuser, workspace):
        v1, v2 = fitted_version(workspace=workspace, mae=10), fitted_version(workspace=workspace, mae=7.5)
        client.force_login(superuser)
        page = post_action(client, "compare_selected", [v1, v2]).content.decode()
        assert "<th>mae</th>" in page and "10.0000" in page and "7.5000" in page

    def test_staff_without_permission_cannot_deploy(self, client, staff_viewer, workspace):
        v1 = fitted_version(workspace=workspace)
        client.force_login(staff_viewer)
        changelist = client.get(CHANGELIST).content.decode()
        assert "deploy_selected" not in changelist
        response = post_action(client, "deploy_selected", [v1], confirmed="yes")
        assert response.status_code in (200, 302)
        v1.refresh_from_db()
        assert v1.status == "candidate"
        assert Deployment.objects.count() == 0

    def test_inspect_page_shows_integrity_history_and_chart_data(self, client, superuser, workspace):
        v1 = fitted_version(workspace=workspace, status="deployed")
        client.force_login(superuser)
        page = client.get(reverse("admin:forecasting_modelversion_inspect", args=[v1.pk])).content.decode()
        assert '<td id="integrity">verified</td>' in page
        assert v1.artifact_sha256 in page
        assert 'id="chart-data"' in page and "vendor/chartjs/chart.umd.min.js" in page

    def test_inspect_page_shows_a_group_series_as_its_length(self, client, superuser, workspace):
        # Given a combination whose members borrowed their season from a 36-month group
        group = [98765.4321] * 36
        v1 = fitted_version(workspace=workspace)
        v1.params = {"method": "median", "member_params": {"ets": {"damped": True, "group_series": group}},
                     "members": ["ets", "theta"]}
        v1.save(update_fields=["params"])
        client.force_login(superuser)
        # When staff inspect it
        page = client.get(reverse("admin:forecasting_modelversion_inspect", args=[v1.pk])).content.decode()
        # Then the parameters show the group's length, not its 36 numbers, and short lists whole
        # (PostgreSQL's jsonb keeps its own key order, so the parts are checked one by one)
        params = page.split('<td id="params"><code>', 1)[1].split("</code>", 1)[0].replace("&#x27;", "'")
        assert "'ets': {'damped': True, 'group_series': '[36 values]'}" in params
        assert "'members': ['ets', 'theta']" in params
        assert "98765.4321" not in page
        assert ModelVersionAdmin.params_summary(v1.params) == {
            "method": "median", "members": ["ets", "theta"],
            "member_params": {"ets": {"damped": True, "group_series": "[36 values]"}},
        }

    def test_inspect_page_reports_a_tampered_artifact(self, client, superuser, workspace, settings):
        v1 = fitted_version(workspace=workspace)
        with open(f"{settings.MEDIA_ROOT}/{v1.artifact_path}", "ab") as handle:
            handle.write(b"!")
        client.force_login(superuser)
        page = client.get(reverse("admin:forecasting_modelversion_inspect", args=[v1.pk])).content.decode()
        assert '<td id="integrity">FAILED: Artifact' in page

    def test_inspect_another_workspace_version_is_404_for_scoped_staff(self, client, staff_viewer, other_workspace):
        theirs = fitted_version(workspace=other_workspace)
        client.force_login(staff_viewer)
        response = client.get(reverse("admin:forecasting_modelversion_inspect", args=[theirs.pk]))
        assert response.status_code == 404


@pytest.mark.django_db
def test_alert_acknowledge_action(client, superuser, workspace):
    alert = alert_raise(workspace=workspace, kind="drift", message="drifted")
    client.force_login(superuser)
    response = client.post("/admin/forecasting/alert/", {"action": "acknowledge_selected", "_selected_action": [alert.pk]},
                           follow=True)
    assert "Acknowledged 1 alert." in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == superuser
    assert Alert.objects.filter(acknowledged_at__isnull=True).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/admin/forecasting/trainingjob/", "/admin/forecasting/deployment/", "/admin/forecasting/alert/",
    "/admin/forecasting/prediction/", "/admin/forecasting/feedback/", "/admin/forecasting/performancesnapshot/",
    "/admin/forecasting/targetstate/", CHANGELIST,
])
def test_registry_changelists_render(url, client, superuser, workspace):
    fitted_version(workspace=workspace)
    client.force_login(superuser)
    assert client.get(url).status_code == 200
