"""Registry admin: actions behind permissions and confirmation pages, the inspect page."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from forecasting.admin import ModelVersionAdmin
from forecasting.engine.registry import build_forecaster
from forecasting.monitoring.alerts import alert_raise
from forecasting.monitoring.models import Alert
from forecasting.pages.inspect import SeriesUnit, metric_format, params_rows
from forecasting.registry.artifacts import artifact_save
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
        assert '<td id="drivers">none</td>' in page

    def test_inspect_page_names_the_demand_drivers_a_model_learned_from(self, client, superuser, workspace):
        version = fitted_version(workspace=workspace, status="deployed")
        version.drivers = ["promotion", "price", "holidays"]
        version.save(update_fields=["drivers"])
        client.force_login(superuser)
        page = client.get(reverse("admin:forecasting_modelversion_inspect", args=[version.pk])).content.decode()
        assert ('<td id="drivers">promotion, price, holidays (forecasts assume no promotion at the last price unless '
                'a request plans them)</td>') in page

    def test_inspect_page_shows_the_parameters_as_a_table(self, client, superuser, workspace):
        # Given a combination whose members borrowed their season from a 36-month group
        group = [98765.4321] * 36
        v1 = fitted_version(workspace=workspace)
        v1.params = {"method": "median", "member_params": {"ets": {"damped": True, "group_series": group}},
                     "members": ["ets", "theta"]}
        v1.save(update_fields=["params"])
        client.force_login(superuser)
        # When staff inspect it
        response = client.get(reverse("admin:forecasting_modelversion_inspect", args=[v1.pk]))
        # Then the parameters are name/value rows, nested names dotted, the group shown as its
        # length, not its 36 numbers, and short lists whole
        assert response.context["inspection"].params == [
            ("member_params.ets.damped", "True"),
            ("member_params.ets.group_series", "[36 values]"),
            ("members", "ets, theta"),
            ("method", "median"),
        ]
        page = response.content.decode()
        assert '<tr><th scope="row"><code>member_params.ets.group_series</code></th><td>[36 values]</td></tr>' in page
        assert '<tr><th scope="row"><code>members</code></th><td>ets, theta</td></tr>' in page
        assert "98765.4321" not in page
        assert ModelVersionAdmin.params_summary(v1.params) == {
            "method": "median", "members": ["ets", "theta"],
            "member_params": {"ets": {"damped": True, "group_series": "[36 values]"}},
        }

    def test_inspect_context_of_a_forecaster(self, client, superuser, workspace):
        # Given a monthly revenue forecaster in a EUR workspace, its series stored without
        # dates, a 2-month horizon and one backtest window from the third month
        workspace.currency = "EUR"
        workspace.save(update_fields=["currency"])
        v1 = fitted_version(workspace=workspace, values=[10.0, 12.0, 14.0, 16.0])
        v1.horizon = 2
        v1.metrics = {"mae": 3.0, "rmse": 3.1623, "mape": 21.4286, "smape": 24.1758, "mase": 1.5, "r2": -4.0,
                      "n_windows": 1}
        v1.backtest = {"horizon": 2, "metrics": {}, "windows": [
            {"origin": 2, "actual": [14.0, 16.0], "mean": [12.0, 12.0], "lo80": [10.0, 9.0], "hi80": [14.0, 15.0],
             "lo95": [9.0, 8.0], "hi95": [15.0, 16.0], "dates": ["2022-03-01", "2022-04-01"]},
        ]}
        v1.save(update_fields=["horizon", "metrics", "backtest"])
        expected = build_forecaster("naive", season_length=12).fit([10.0, 12.0, 14.0, 16.0]).predict(2)
        client.force_login(superuser)
        # When staff inspect it
        response = client.get(reverse("admin:forecasting_modelversion_inspect", args=[v1.pk]))
        # Then the metrics carry units and the chart has history, the backtest window at the
        # months it forecast and the forecast (with its bands) starting at the last actual
        inspection = response.context["inspection"]
        assert inspection.integrity == "verified"
        assert [(m.label, m.value) for m in inspection.metrics] == [
            ("MAE", "3.00\xa0EUR"), ("RMSE", "3.16\xa0EUR"), ("MAPE", "21.4\xa0%"), ("sMAPE", "24.2\xa0%"),
            ("MASE", "1.50"), ("R²", "-4.00"), ("Backtest windows", "1"),
        ]
        chart = inspection.chart
        assert chart["unit"] == "EUR" and chart["decimals"] == 2
        assert chart["labels"] == ["2022-01-01", "2022-02-01", "2022-03-01", "2022-04-01", "2022-05-01", "2022-06-01"]
        assert chart["history"] == [10.0, 12.0, 14.0, 16.0, None, None]
        assert chart["backtest"] == [{"origin": "2022-03-01", "mean": [None, None, 12.0, 12.0, None, None]}]
        assert chart["mean"] == [None, None, None, 16.0, 16.0, 16.0]
        for key in ("lo80", "hi80", "lo95", "hi95"):
            assert chart[key] == [None, None, None, 16.0, *(float(v) for v in getattr(expected, key))]
        # And the page hands the chart to the script once, as an object (not a JSON string)
        page = response.content.decode()
        data = json.loads(page.split('<script id="chart-data" type="application/json">', 1)[1].split("</script>", 1)[0])
        assert data == chart
        assert '<tr data-metric="mae"><th scope="row">MAE</th><td class="numeric">3.00\xa0EUR</td></tr>' in page

    def test_inspect_chart_uses_the_stored_dates_and_stock_units(self, client, superuser, workspace):
        # Given an inventory forecaster whose training data lists its weekly dates
        v1 = fitted_version(workspace=workspace, target="inventory", values=[5.0, 7.0, 6.0])
        ModelVersion.objects.filter(pk=v1.pk).update(
            frequency="W", horizon=1, metrics={"mae": 1.25}, training_start=dt.date(2024, 1, 1),
            training_end=dt.date(2024, 1, 15),
            training_data={"frequency": "W", "dates": ["2024-01-01", "2024-01-08", "2024-01-15"], "values": [5.0, 7.0, 6.0]},
        )
        client.force_login(superuser)
        # When staff inspect it
        inspection = client.get(reverse("admin:forecasting_modelversion_inspect", args=[v1.pk])).context["inspection"]
        # Then the chart follows the stored weeks, and errors are in stock units
        assert inspection.chart["labels"] == ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]
        assert inspection.chart["unit"] == "units"
        assert inspection.chart["backtest"] == []
        assert [(m.label, m.value) for m in inspection.metrics] == [("MAE", "1.2\xa0units")]

    def test_inspect_context_of_a_classifier(self, client, superuser, workspace):
        # Given a categoriser with hold-out metrics and a calibration table
        artifact = artifact_save(obj={"model": "categoriser"}, name=f"test/{workspace.pk}/categorizer.pkl")
        v1 = ModelVersion.objects.create(
            workspace=workspace, target="categorizer", kind="categorizer", algorithm="tfidf_logreg", version=1,
            metrics={"accuracy": 0.91234, "f1": 0.8771, "ece": 0.0312, "n": 1234, "roc_auc": 0.91234,
                     "per_category": {"Rent": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 4}}},
            backtest={"reliability": [{"from": 0.9, "to": 1.0, "n": 10, "confidence": 0.95, "accuracy": 0.9}]},
            artifact_path=artifact.path, artifact_sha256=artifact.sha256, artifact_size=artifact.size,
        )
        client.force_login(superuser)
        # When staff inspect it
        inspection = client.get(reverse("admin:forecasting_modelversion_inspect", args=[v1.pk])).context["inspection"]
        # Then shares are percentages, counts whole, AUC a plain number, and there is no chart
        assert inspection.integrity == "verified"
        assert inspection.unit is None
        assert [(m.label, m.value) for m in inspection.metrics] == [
            ("Accuracy", "91.2\xa0%"), ("F1", "87.7\xa0%"), ("Calibration error (ECE)", "3.1\xa0%"),
            ("ROC AUC", "0.912"), ("Rows", "1,234"),
        ]
        assert inspection.per_category == [("Rent", {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 4})]
        assert inspection.reliability == [{"from": 0.9, "to": 1.0, "n": 10, "confidence": 0.95, "accuracy": 0.9}]
        assert inspection.chart is None

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


    def test_inspect_needs_the_view_permission(self, client, workspace):
        # Given staff of the workspace without any model-version permission
        user = f.UserFactory(is_staff=True)
        f.MembershipFactory(workspace=workspace, user=user)
        v1 = fitted_version(workspace=workspace)
        client.force_login(user)
        # When they open the inspect page
        response = client.get(reverse("admin:forecasting_modelversion_inspect", args=[v1.pk]))
        # Then it is refused
        assert response.status_code == 403

    def test_changelist_columns_are_merged_with_units(self, client, superuser, workspace):
        # Given a forecaster and a categoriser
        fitted_version(workspace=workspace, mae=1234.567)
        artifact = artifact_save(obj={}, name=f"test/{workspace.pk}/categorizer.pkl")
        ModelVersion.objects.create(
            workspace=workspace, target="categorizer", kind="categorizer", algorithm="tfidf_logreg", version=1,
            metrics={"accuracy": 0.91234, "f1": 0.8771}, artifact_path=artifact.path,
            artifact_sha256=artifact.sha256, artifact_size=artifact.size,
        )
        client.force_login(superuser)
        # When staff open the model-version list
        response = client.get(CHANGELIST)
        # Then it has the merged columns, the backtest score with its unit, and an Inspect link per row
        headers = [str(h["text"]) for h in response.context["result_headers"]][1:]  # after the checkbox
        assert headers == ["Model", "", "status", "Backtest", "training end", "workspace"]
        rows = [[str(cell) for cell in row] for row in response.context["results"]]
        assert '<td class="field-backtest_display">91.2% / F1 0.877</td>' in rows[0]
        assert '<td class="field-backtest_display">MAE 1,234.57\xa0USD</td>' in rows[1]
        assert response.content.decode().count(">Inspect</a>") == 2


@pytest.mark.parametrize(("name", "value", "unit", "shown"), [
    ("mae", 1234.5678, SeriesUnit("EUR", 2), "1,234.57\xa0EUR"),
    ("rmse", 12.345, SeriesUnit("units", 1), "12.3\xa0units"),
    ("mae", 12.0, None, "12.0"),
    ("mape", 12.3456, SeriesUnit("EUR", 2), "12.3\xa0%"),
    ("smape", 7, None, "7.0\xa0%"),
    ("mase", 0.82345, None, "0.823"),
    ("mase", 9.996, None, "10.0"),
    ("r2", 0.99951, None, "1.00"),
    ("r2", -1234.5, None, "-1,230"),
    ("r2", 0, None, "0"),
    ("aic", 123456.7, None, "123,000"),
    ("accuracy", 0.91234, None, "91.2\xa0%"),
    ("f1", 1.0, None, "100.0\xa0%"),
    ("ece", 0.0312, None, "3.1\xa0%"),
    ("roc_auc", 0.91234, None, "0.912"),
    ("n_windows", 3, None, "3"),
    ("n", 12345, None, "12,345"),
    ("mae", None, SeriesUnit("EUR", 2), "—"),
    ("r2", float("nan"), None, "—"),
    ("mae", True, None, "—"),
    ("method", "median", None, "—"),
])
def test_metric_format(name, value, unit, shown):
    assert metric_format(name=name, value=value, unit=unit) == shown


def test_params_rows_flatten_nested_parameters():
    # Given parameters with nesting, a list of dicts, a long list, an empty dict and a float
    params = {
        "method": "median", "members": ["ets", "theta"], "order": [1, 1, 0], "empty": {}, "none": None,
        "member_params": {"ets": {"damped": True, "group_series": [1.5] * 13, "alpha": 0.123456789}},
        "windows": [{"size": 3}, {"size": 6}],
    }
    # When they are made into rows
    rows = params_rows(params)
    # Then the names are dotted and sorted, lists joined, the long list shown as its length
    assert rows == [
        ("empty", "—"),
        ("member_params.ets.alpha", "0.123457"),
        ("member_params.ets.damped", "True"),
        ("member_params.ets.group_series", "[13 values]"),
        ("members", "ets, theta"),
        ("method", "median"),
        ("none", "None"),
        ("order", "1, 1, 0"),
        ("windows[0].size", "3"),
        ("windows[1].size", "6"),
    ]
    assert params_rows({}) == []


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
