"""Rollouts through the registry, the API and admin, and the comparison of champion and
challenger on the same realised actuals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import Membership
from forecasting.registry.models import Deployment, ModelVersion, Rollout
from forecasting.registry.rollouts import rollout_abort, rollout_promote, rollout_start
from forecasting.registry.services import RegistryError, model_version_delete, model_version_deploy
from forecasting.series.targets import Target
from forecasting.serving.models import Feedback, Prediction
from forecasting.serving.predictions import forecast_predict
from forecasting.serving.rollouts import rollout_compare
from tests import factories as f
from tests.factories import fitted_version


@pytest.fixture
def manager(workspace):
    return f.MembershipFactory(workspace=workspace, role=Membership.Role.MANAGER).user


@pytest.fixture
def versions(workspace):
    """v1 deployed (the champion), v2 a candidate (the challenger)."""
    champion = fitted_version(workspace=workspace)
    challenger = fitted_version(workspace=workspace, algorithm="seasonal_naive")
    model_version_deploy(version=champion)
    return champion, challenger


def statuses(workspace) -> dict[int, str]:
    return dict(ModelVersion.objects.filter(workspace=workspace).values_list("version", "status"))


def history(workspace) -> list[tuple[str, int | None, int | None]]:
    return list(Deployment.objects.filter(workspace=workspace).order_by("created_at", "id")
                .values_list("action", "from_version", "to_version"))


# --- the registry ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestRolloutServices:
    def test_start_promote_and_their_history(self, workspace, versions, manager):
        champion, challenger = versions
        rollout = rollout_start(challenger=challenger, mode="canary", share=0.2, user=manager)
        assert (rollout.status, rollout.champion_id, rollout.challenger_id, rollout.share) == (
            "open", champion.pk, challenger.pk, 0.2)
        deployment = rollout_promote(rollout=rollout, user=manager, reason="better on actuals")
        rollout.refresh_from_db()
        assert (rollout.status, rollout.ended_by, rollout.end_reason) == ("promoted", manager, "better on actuals")
        assert (deployment.action, deployment.from_version_id, deployment.to_version_id) == (
            "rollout_promote", champion.pk, challenger.pk)
        assert statuses(workspace) == {1: "retired", 2: "deployed"}
        assert history(workspace) == [("deploy", None, champion.pk), ("rollout_start", champion.pk, challenger.pk),
                                      ("rollout_promote", champion.pk, challenger.pk)]
        assert Deployment.objects.get(action="rollout_start").reason == "Canary of v2 at 20%."

    def test_abort_leaves_the_champion_deployed(self, workspace, versions):
        champion, challenger = versions
        rollout = rollout_start(challenger=challenger, mode="shadow", share=1.0)
        rollout_abort(rollout=rollout)
        rollout.refresh_from_db()
        assert (rollout.status, rollout.end_reason) == ("aborted", "Shadow of v2 aborted.")
        assert statuses(workspace) == {1: "deployed", 2: "candidate"}
        assert history(workspace)[-1] == ("rollout_abort", challenger.pk, champion.pk)

    def test_a_rollback_after_a_promote_brings_the_champion_back(self, workspace, versions):
        from forecasting.registry.services import model_version_rollback

        champion, challenger = versions
        rollout_promote(rollout=rollout_start(challenger=challenger, mode="canary", share=0.5))
        deployment = model_version_rollback(workspace_id=workspace.pk, target="revenue")
        assert (deployment.from_version_id, deployment.to_version_id) == (challenger.pk, champion.pk)

    def test_a_deploy_during_a_rollout_ends_it(self, workspace, versions):
        champion, challenger = versions
        rollout = rollout_start(challenger=challenger, mode="canary", share=0.2)
        third = fitted_version(workspace=workspace)
        model_version_deploy(version=third)
        rollout.refresh_from_db()
        assert (rollout.status, rollout.end_reason) == ("aborted", "Ended by the deploy of v3.")
        assert history(workspace)[-2:] == [("rollout_abort", challenger.pk, champion.pk),
                                           ("deploy", champion.pk, third.pk)]

    @pytest.mark.parametrize(("mode", "share", "message"), [
        ("canary", 1.0, "A canary's share is strictly between 0 and 1"),
        ("canary", 0.0, "A canary's share is strictly between 0 and 1"),
        ("shadow", 0.0, "A shadow's share is above 0 and at most 1"),
        ("blue-green", 0.5, "Unknown rollout mode 'blue-green'"),
    ])
    def test_bad_shares_and_modes_are_refused(self, workspace, versions, mode, share, message):
        with pytest.raises(RegistryError, match=message):
            rollout_start(challenger=versions[1], mode=mode, share=share)
        assert Rollout.objects.count() == 0
        assert history(workspace) == [("deploy", None, versions[0].pk)]

    def test_refusals(self, workspace, versions):
        champion, challenger = versions
        with pytest.raises(RegistryError, match="Version 1 is already deployed"):
            rollout_start(challenger=champion, mode="canary", share=0.2)
        weekly = fitted_version(workspace=workspace, frequency="W")
        with pytest.raises(RegistryError, match=r"Nothing is deployed for revenue \(frequency W\)"):
            rollout_start(challenger=weekly, mode="canary", share=0.2)
        rollout = rollout_start(challenger=challenger, mode="canary", share=0.2)
        with pytest.raises(RegistryError, match="A rollout of revenue .frequency M. is already open"):
            rollout_start(challenger=fitted_version(workspace=workspace), mode="shadow", share=1.0)
        with pytest.raises(RegistryError, match="challenger of an open rollout"):
            model_version_delete(version=challenger)
        rollout_abort(rollout=rollout)
        with pytest.raises(RegistryError, match="The rollout has ended"):
            rollout_promote(rollout=rollout)
        assert Rollout.objects.filter(status="open").count() == 0


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.django_db
class TestRolloutApi:
    def test_manager_starts_lists_and_promotes_a_canary(self, workspace, versions, manager, client_for):
        champion, challenger = versions
        client = client_for(manager)
        response = client.post(f"/api/v1/ml/models/{challenger.pk}/rollout/", {"mode": "canary", "share": 0.2},
                               format="json")
        assert response.status_code == 201
        body = response.json()
        assert {k: body[k] for k in ("mode", "share", "status", "champion", "challenger", "challenger_version",
                                     "started_by")} == {
            "mode": "canary", "share": 0.2, "status": "open", "champion": champion.pk, "challenger": challenger.pk,
            "challenger_version": 2, "started_by": manager.username}
        listed = client.get("/api/v1/ml/rollouts/", {"workspace": workspace.pk}).json()
        assert [r["id"] for r in listed["results"]] == [body["id"]]
        promoted = client.post(f"/api/v1/ml/rollouts/{body['id']}/promote/", {"reason": "wins"}, format="json")
        assert promoted.status_code == 200
        assert (promoted.json()["action"], promoted.json()["to_version"], promoted.json()["reason"]) == (
            "rollout_promote", challenger.pk, "wins")
        assert statuses(workspace) == {1: "retired", 2: "deployed"}

    def test_shadow_defaults_to_every_request_and_abort(self, workspace, versions, manager, client_for):
        client = client_for(manager)
        body = client.post(f"/api/v1/ml/models/{versions[1].pk}/rollout/", {"mode": "shadow"}, format="json").json()
        assert (body["mode"], body["share"]) == ("shadow", 1.0)
        response = client.post(f"/api/v1/ml/rollouts/{body['id']}/abort/", {}, format="json")
        assert (response.status_code, response.json()["action"]) == (200, "rollout_abort")
        again = client.post(f"/api/v1/ml/rollouts/{body['id']}/abort/", {}, format="json")
        assert again.status_code == 409
        assert again.json() == {"detail": "The rollout has ended (aborted)."}

    @pytest.mark.parametrize(("payload", "field", "message"), [
        ({"share": 0.2}, "mode", "This field is required."),
        ({"mode": "blue-green", "share": 0.2}, "mode", '"blue-green" is not a valid choice.'),
        ({"mode": "canary"}, "share", "A canary needs a share, e.g. 0.2 for 20 %."),
        ({"mode": "canary", "share": 1}, "share", "A canary's share is strictly between 0 and 1 (0.2 sends 20 % "
                                                  "of the request keys to the challenger)."),
        ({"mode": "canary", "share": 1.5}, "share", "Ensure this value is less than or equal to 1.0."),
        ({"mode": "shadow", "share": "half"}, "share", "A valid number is required."),
    ])
    def test_bad_input_is_400_naming_the_field_and_starts_nothing(self, workspace, versions, manager, client_for,
                                                                  payload, field, message):
        response = client_for(manager).post(f"/api/v1/ml/models/{versions[1].pk}/rollout/", payload, format="json")
        assert response.status_code == 400
        assert response.json() == {field: [message]}
        assert Rollout.objects.count() == 0

    def test_a_second_rollout_is_409(self, workspace, versions, manager, client_for):
        client = client_for(manager)
        client.post(f"/api/v1/ml/models/{versions[1].pk}/rollout/", {"mode": "shadow"}, format="json")
        third = fitted_version(workspace=workspace)
        response = client.post(f"/api/v1/ml/models/{third.pk}/rollout/", {"mode": "shadow"}, format="json")
        assert response.status_code == 409
        assert response.json() == {"detail": "A rollout of revenue (frequency M) is already open; promote or abort "
                                             "it first."}
        assert Rollout.objects.count() == 1

    @pytest.mark.parametrize("role", [Membership.Role.MEMBER, Membership.Role.VIEWER])
    def test_without_manager_role_nothing_changes(self, workspace, versions, role, client_for):
        user = f.MembershipFactory(workspace=workspace, role=role).user
        client = client_for(user)
        response = client.post(f"/api/v1/ml/models/{versions[1].pk}/rollout/", {"mode": "shadow"}, format="json")
        assert response.status_code == 403
        rollout = rollout_start(challenger=versions[1], mode="canary", share=0.2)
        for verb in ("promote", "abort"):
            assert client.post(f"/api/v1/ml/rollouts/{rollout.pk}/{verb}/", {}, format="json").status_code == 403
        assert client.get("/api/v1/ml/rollouts/", {"workspace": workspace.pk}).json()["count"] == 1  # reads
        rollout.refresh_from_db()
        assert rollout.status == "open"
        assert statuses(workspace) == {1: "deployed", 2: "candidate"}

    def test_another_workspace_is_404(self, workspace, other_workspace, versions, outsider, client_for):
        rollout = rollout_start(challenger=versions[1], mode="canary", share=0.2)
        client = client_for(outsider)
        assert client.get("/api/v1/ml/rollouts/", {"workspace": workspace.pk}).status_code == 404
        assert client.get(f"/api/v1/ml/rollouts/{rollout.pk}/").status_code == 404
        for verb in ("promote", "abort"):
            assert client.post(f"/api/v1/ml/rollouts/{rollout.pk}/{verb}/", {}, format="json").status_code == 404
        assert client.post(f"/api/v1/ml/models/{versions[1].pk}/rollout/", {"mode": "shadow"},
                           format="json").status_code == 404
        assert client.get("/api/v1/ml/rollouts/").json()["count"] == 0
        rollout.refresh_from_db()
        assert rollout.status == "open"

    def test_bad_list_filters_are_400(self, workspace, member, client_for):
        client = client_for(member)
        assert client.get("/api/v1/ml/rollouts/", {"workspace": "mine"}).json() == {
            "workspace": ["Select a valid choice. That choice is not one of the available choices."]}
        assert client.get("/api/v1/ml/rollouts/", {"status": "paused"}).status_code == 400

    def test_rollouts_are_not_created_directly(self, workspace, manager, client_for):
        response = client_for(manager).post("/api/v1/ml/rollouts/", {}, format="json")
        assert response.status_code == 404

    def test_detail_compares_champion_and_challenger(self, workspace, versions, member, client_for):
        rollout = rollout_start(challenger=versions[1], mode="shadow", share=1.0)
        body = client_for(member).get(f"/api/v1/ml/rollouts/{rollout.pk}/").json()
        assert body["comparison"] == {
            "periods": [],
            "champion": {"model_version": versions[0].pk, "mae": None, "answers": 0},
            "challenger": {"model_version": versions[1].pk, "mae": None, "answers": 0},
        }

    def test_the_schema_documents_the_endpoints_and_their_errors(self, member, client_for):
        schema = client_for(member).get("/api/schema/", {"format": "json"}).json()
        start = schema["paths"]["/api/v1/ml/models/{id}/rollout/"]["post"]
        assert sorted(start["responses"]) == ["201", "400", "401", "403", "404", "409", "415", "429"]
        for verb in ("promote", "abort"):
            assert sorted(schema["paths"][f"/api/v1/ml/rollouts/{{id}}/{verb}/"]["post"]["responses"]) == [
                "200", "400", "401", "403", "404", "409", "415", "429"]
        listing = schema["paths"]["/api/v1/ml/rollouts/"]["get"]
        assert sorted(listing["responses"]) == ["200", "400", "401", "404", "429"]
        assert {"workspace", "status", "mode", "target", "frequency"} <= {p["name"] for p in listing["parameters"]}
        assert "key" in {p["name"] for p in schema["paths"]["/api/v1/forecasts/{metric}/"]["get"]["parameters"]}


# --- comparison on realised actuals -------------------------------------------------------


@pytest.mark.django_db
class TestComparison:
    def test_both_versions_are_scored_on_the_same_periods_with_actuals(self, workspace, versions, member):
        champion, challenger = versions
        rollout = rollout_start(challenger=challenger, mode="shadow", share=1.0)
        # Given both versions' forecasts of Jan–Mar 2025 logged under the rollout
        forecast_predict(workspace=workspace, target=Target("revenue"), periods=3, user=member)
        logged = {p.model_version_id: p for p in Prediction.objects.filter(rollout=rollout)}
        champion_forecast = logged[champion.pk].output["forecast"]
        challenger_forecast = logged[challenger.pk].output["forecast"]
        # And the books of January and February 2025 (March is not over: today is 2025-03-10)
        for month, amount in ((1, "300.00"), (2, "250.00"), (3, "999.00")):
            f.TransactionFactory(workspace=workspace, kind="revenue", status="approved", amount=Decimal(amount),
                                 date=dt.date(2025, month, 5))
        # When they are compared
        result = rollout_compare(rollout=rollout, today=dt.date(2025, 3, 10))
        # Then both are judged on January and February, against the books
        assert result.periods == ["2025-01-01", "2025-02-01"]
        assert result.champion.mae == round((abs(champion_forecast[0] - 300) + abs(champion_forecast[1] - 250)) / 2, 6)
        assert result.challenger.mae == round(
            (abs(challenger_forecast[0] - 300) + abs(challenger_forecast[1] - 250)) / 2, 6)
        assert (result.champion.answers, result.challenger.answers) == (1, 1)

    def test_actual_feedback_replaces_the_books(self, workspace, versions, member):
        champion, challenger = versions
        rollout = rollout_start(challenger=challenger, mode="shadow", share=1.0)
        forecast_predict(workspace=workspace, target=Target("revenue"), periods=2, user=member)
        prediction = Prediction.objects.get(rollout=rollout, shadow=False)
        Feedback.objects.create(workspace=workspace, kind="actual", target="revenue", prediction=prediction,
                                actual={"2025-01-01": 280, "2025-02-01": 290})
        result = rollout_compare(rollout=rollout, today=dt.date(2025, 1, 2))  # the books hold nothing yet
        forecasts = {p.model_version_id: p.output["forecast"] for p in Prediction.objects.filter(rollout=rollout)}
        assert result.periods == ["2025-01-01", "2025-02-01"]
        assert result.champion.mae == round(
            (abs(forecasts[champion.pk][0] - 280) + abs(forecasts[champion.pk][1] - 290)) / 2, 6)
        assert result.challenger.mae == round(
            (abs(forecasts[challenger.pk][0] - 280) + abs(forecasts[challenger.pk][1] - 290)) / 2, 6)


# --- admin -----------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.django_db
class TestRolloutAdmin:
    def test_start_a_canary_then_promote_it(self, client, superuser, workspace, versions):
        champion, challenger = versions
        client.force_login(superuser)
        changelist = reverse("admin:forecasting_modelversion_changelist")
        confirm = client.post(changelist, {"action": "start_canary_selected", "_selected_action": [challenger.pk]})
        assert confirm.status_code == 200
        assert 'name="share"' in confirm.content.decode()
        client.post(changelist, {"action": "start_canary_selected", "_selected_action": [challenger.pk],
                                 "confirmed": "yes", "share": "0.25", "reason": "try it"})
        rollout = Rollout.objects.get()
        assert (rollout.mode, rollout.share, rollout.reason, rollout.started_by) == ("canary", 0.25, "try it",
                                                                                    superuser)
        client.post(reverse("admin:forecasting_rollout_changelist"),
                    {"action": "promote_selected", "_selected_action": [rollout.pk], "confirmed": "yes"})
        rollout.refresh_from_db()
        assert rollout.status == "promoted"
        assert statuses(workspace) == {1: "retired", 2: "deployed"}
        page = client.get(reverse("admin:forecasting_rollout_change", args=[rollout.pk]))
        assert "No period forecast by both has an actual yet." in page.content.decode()

    def test_start_a_shadow_and_abort_it(self, client, superuser, workspace, versions):
        client.force_login(superuser)
        client.post(reverse("admin:forecasting_modelversion_changelist"),
                    {"action": "start_shadow_selected", "_selected_action": [versions[1].pk], "confirmed": "yes",
                     "share": "1"})
        rollout = Rollout.objects.get()
        assert (rollout.mode, rollout.share) == ("shadow", 1.0)
        client.post(reverse("admin:forecasting_rollout_changelist"),
                    {"action": "abort_selected", "_selected_action": [rollout.pk], "confirmed": "yes"})
        rollout.refresh_from_db()
        assert rollout.status == "aborted"

    def test_staff_without_the_deploy_permission_have_no_rollout_actions(self, client, workspace, versions):
        staff = f.UserFactory(username="clerk", is_staff=True)
        from django.contrib.auth.models import Permission

        staff.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
        client.force_login(staff)
        page = client.get(reverse("admin:forecasting_modelversion_changelist")).content.decode()
        assert "start_canary_selected" not in page
        client.post(reverse("admin:forecasting_modelversion_changelist"),
                    {"action": "start_canary_selected", "_selected_action": [versions[1].pk], "confirmed": "yes",
                     "share": "0.2"})
        assert Rollout.objects.count() == 0
